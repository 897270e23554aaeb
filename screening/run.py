"""One screening run over trade files, streamed: the entry point of the CLI, the flow and notebooks.

``screen_files(paths, config, out_dir)`` reads the files, screens every record and writes the
run folder (flagged.csv, screened.parquet, rejected.csv, manifest.json) as one set. Memory is
bounded by the batch size plus the distinct party names, not by the rows:

1. **Read and pre-screen** each file in record batches. The record-by-record stages (goods,
   descriptions, destinations, forwarders) run per batch, and the batch is spilled to a
   Parquet part in the staging folder. Kept from each batch: its distinct (party name,
   country) pairs, the records that can be a leg of a re-export chain, and per-importer
   totals for the import-surge signal.
2. **Match** every distinct (name, country) pair of the whole input once.
3. **Link**: re-export chains over the collected leg candidates; the surge verdict per
   importer from the summed totals.
4. **Score and write** part by part: matches, chains and surges joined on, risk scored, the
   part appended to screened.parquet; flagged records kept for flagged.csv.

Batches and name partitions are independent units: :mod:`screening.parallel` runs them in
this process or on a Dask cluster, with the same results.

A file that cannot be read or mapped does not stop the others: it is listed in rejected.csv
(a file-level row) and in the manifest's ``files_rejected``; the run then "completed with
rejected files" (CLI exit status 3). When no file can be read, the run fails with the error.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import platform
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from screening.config import ScreeningConfig
from screening.errors import ScreeningError
from screening.geo.chains import (
    ROUTE_CHAIN_COLUMNS,
    find_route_chains,
    party_keys,
    remember_party_keys,
)
from screening.geo.leg_spill import ChainLegSpill
from screening.io import TradeFileInfo, iter_trade_files, open_trade_file
from screening.io.writers import escape_formulas_in_table, write_json_atomic
from screening.match_pool import ClusterMatching, MatchPool, can_fork, pool_processes
from screening.memory import release_free_memory
from screening.outputs import count_by
from screening.parallel import (
    DaskExecutor,
    Executor,
    LocalExecutor,
    ProcessExecutor,
    make_executor,
    reference_for,
    reference_key,
    refuse_in_worker_start,
    remember_reference,
    single_threaded,
    warm_up,
)
from screening.paths import SAMPLE_TRADES
from screening.pipeline import (
    PARTY_ROLES,
    ReferenceData,
    cached_name_index,
    classify_destinations,
    classify_goods,
    describe_goods,
    distinct_parties,
    flag_forwarders,
    join_party_matches,
    load_reference_data,
    match_distinct_parties,
    name_index_cache_file,
)
from screening.report.files import REVIEW_FILES
from screening.report.spill import FlaggedSpill, spilled_review_files
from screening.review.carry import DecisionCounts, apply_decisions, unflagged_by_decision
from screening.review.pending import PendingRecord
from screening.review.run import RunReview
from screening.review.seen import RunSightings, party_sightings, screened_rows
from screening.review.store import open_store
from screening.risk.red_flags import (
    SurgeTotals,
    apply_surge_verdicts,
    combine_surge_totals,
    surge_totals,
    surge_verdicts,
)
from screening.risk.score import score_risk
from screening.run_folder import RunFolder, check_output_folder
from screening.schema import (
    EXTRA_COLUMN_PREFIX,
    REJECT_SCHEMA,
    TRADE_SCHEMA,
    check_stage_output,
)

logger = logging.getLogger("screening.run")

DEFAULT_BATCH_ROWS = 250_000
TASK_ROWS_ON_DASK = 50_000
"""Records per read batch and pre-screening task on Dask (at most): many more tasks than
workers, so every worker stays busy to the end of the input."""
EXIT_OK = 0
EXIT_FILES_REJECTED = 3
"""CLI exit status of a run that completed, but with one or more input files rejected."""

_ROW = "_run_row"
"""Global record number (0-based, input order) carried through the spilled parts."""
_CHAIN_COLUMNS = [c for c in ROUTE_CHAIN_COLUMNS if c != "record_id"]
_SURGE_COLUMNS = ["red_flag", "red_flag_reason"]
_FOLDED = SurgeTotals(pd.DataFrame(), None, None)
"""A batch's surge totals once summed into the run's (see ScreeningRun._fold_surge_totals)."""


# --------------------------------------------------------------------------------------------
# inputs


def expand_trade_paths(paths: Sequence[str | Path] | None) -> list[Path]:
    """Files as given, folders expanded to their trade files (sorted); none = bundled sample."""
    if not paths:
        return [SAMPLE_TRADES]
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        out.extend(iter_trade_files(path) if path.is_dir() else [path])
    return out


@dataclass(frozen=True)
class ReadOptions:
    """How trade files are mapped: the same for every file of a run."""

    mapping: dict[str, str] | None = None
    reporter_country: str | None = None
    trade_flow: str | None = None


@dataclass
class FileReport:
    """What happened to one input file: how it was read, or why it was rejected."""

    path: Path
    info: TradeFileInfo | None = None
    rejected_reason: str | None = None
    rejects: list[pa.Table] = field(default_factory=list)
    """Its rejected rows, held until the file is read to its end (then written)."""

    @property
    def rows_in(self) -> int:
        return self.info.rows_in if self.info and not self.rejected_reason else 0

    @property
    def rows_rejected(self) -> int:
        return self.info.rejected if self.info and not self.rejected_reason else 0

    def to_manifest(self) -> dict[str, Any]:
        entry: dict[str, Any] = self.info.to_manifest() if self.info else {"path": str(self.path)}
        if self.rejected_reason:
            entry["file_rejected"] = self.rejected_reason
        return entry


FILE_ERRORS: tuple[type[BaseException], ...] = (
    ScreeningError,
    pa.ArrowException,
    OSError,
    UnicodeError,
    ValueError,
)
"""What makes one input file unreadable without touching the others."""


def describe_file_error(exc: BaseException) -> str:
    """One line: the library's own message, else the exception type and message."""
    if isinstance(exc, ScreeningError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}".splitlines()[0]


# --------------------------------------------------------------------------------------------
# units of work (module functions: a Dask worker imports them, nothing is pickled but data)


def _names_as_keys(names: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Party names as written, one per record (None for null), standing in for their
    normalised keys while a batch is pre-screened: the surge totals are summed per name as
    written, and regrouped by key once each distinct name's key is known (``name_keys``)."""
    values = names.combine_chunks() if isinstance(names, pa.ChunkedArray) else names
    return values.cast(pa.string()).to_numpy(zero_copy_only=False)


@dataclass(frozen=True)
class RunContext:
    """What every unit needs besides its data: small, sent to each worker once."""

    config: ScreeningConfig
    reference_key: str
    collect_names: bool = True
    """Whether pre-screening returns each batch's distinct names (for their keys): not on
    Dask, where every name's key comes back with its matches."""


@dataclass(frozen=True)
class BatchTask:
    records: pa.Table
    first_row: int
    part_path: Path
    file_number: int


@dataclass
class PrescreenSummary:
    """What pass one keeps of a batch (its records are in ``part_path``)."""

    part_path: Path
    first_row: int
    file_number: int
    rows: int
    schema: pa.Schema
    parties: pa.Table
    names: pa.Array
    """Distinct party names as written and trimmed (both roles; the review store keys trimmed
    names): each gets its normalised key once, in link_records."""
    chain_legs: pa.Table
    surge: SurgeTotals
    seconds: dict[str, float]


def _timed(seconds: dict[str, float], stage: str, func: Callable[..., Any], *args: Any) -> Any:
    start = time.perf_counter()
    result = func(*args)
    seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - start
    return result


def _chain_legs(table: pa.Table, config: ScreeningConfig, first_row: int) -> pa.Table:
    """Records that can be a leg of a re-export chain (a superset: find_route_chains decides)."""

    def codes(column: str) -> pa.Array:
        return pc.utf8_upper(pc.utf8_trim_whitespace(table[column].combine_chunks()))

    direct = pa.array(sorted({c.upper() for c in config.direct_destinations}), pa.string())
    coalition = pa.array(sorted({c.upper() for c in config.coalition_countries}), pa.string())
    hubs = pa.array(sorted({c.upper() for c in config.transshipment_countries}), pa.string())
    destination = codes("destination_iso2")
    leg1 = pc.and_(
        pc.is_in(codes("origin_iso2"), value_set=coalition), pc.is_in(destination, value_set=hubs)
    )
    leg = pc.or_(leg1, pc.is_in(destination, value_set=direct))
    has_hs = pc.greater(pc.utf8_length(table["hs6"].combine_chunks()), 0)
    keep = pc.fill_null(pc.and_(leg, has_hs), False)
    columns = ["record_id", "date", "exporter", "importer", "origin_iso2", "destination_iso2"]
    legs = table.select([*columns, "hs6"]).append_column(
        _ROW, pa.array(np.arange(first_row, first_row + table.num_rows), pa.int64())
    )
    return legs.filter(keep)


def prescreen_batch(task: BatchTask, context: RunContext) -> PrescreenSummary:
    """Pass one over a batch: the record-by-record stages, spilled to ``task.part_path``."""
    config = context.config
    reference = reference_for(config, context.reference_key)
    seconds: dict[str, float] = {}
    table = _timed(seconds, "classify_goods", classify_goods, task.records, reference.categories,
                   config)  # fmt: skip
    table = _timed(seconds, "describe_goods", describe_goods, table)
    table = _timed(seconds, "classify_destinations", classify_destinations, table, config)
    table = _timed(seconds, "flag_forwarders", flag_forwarders, table)
    start = time.perf_counter()
    parties = distinct_parties(table)
    names = pa.array([], pa.string())
    if context.collect_names:
        written = [table[role].combine_chunks().cast(pa.string()) for role in PARTY_ROLES]
        names = pc.unique(pa.concat_arrays([*written, *map(pc.utf8_trim_whitespace, written)]))
    legs = _chain_legs(table, config, task.first_row)
    surge = surge_totals(
        table, cutoff=config.import_history_cutoff, keys=_names_as_keys(table["importer"])
    )
    seconds["link_records"] = time.perf_counter() - start
    start = time.perf_counter()
    pq.write_table(table, task.part_path)
    seconds["spill"] = time.perf_counter() - start
    return PrescreenSummary(
        task.part_path,
        task.first_row,
        task.file_number,
        table.num_rows,
        table.schema,
        parties,
        names,
        legs,
        surge,
        seconds,
    )


def match_partition(
    parties: pa.Table, context: RunContext
) -> tuple[pa.Table, dict[str, str | None]]:
    """Match one partition of distinct (name, country) pairs: party_match_summary rows, and
    each name's key (re-export chains, import surges, the review store), read off the
    readings matching made (none where the names were matched in forked children)."""
    reference = reference_for(context.config, context.reference_key)
    keys: dict[str, str | None] = {}
    matches = match_distinct_parties(parties, reference.index, context.config, name_keys=keys)
    return matches, keys


def name_keys(names: pa.Array, context: RunContext) -> pa.Array:
    """The normalised key (re-export chains, import surges) of each of a partition of distinct
    party names; null where a name has none."""
    del context  # keys depend on the name alone
    return pa.array(party_keys(names).tolist(), pa.string())


@dataclass(frozen=True)
class Links:
    """Everything the score stage needs from the whole input, small enough to send once."""

    matches: pa.Table
    chains: pa.Table
    """ROUTE_CHAIN_COLUMNS of records in a chain, with their global row ``_run_row``."""
    surges: dict[str, tuple[str, str]]
    """Importer name as written -> (red flag, reason), for the importers with a verdict."""
    schema: pa.Schema
    """The unified schema of the pre-screened parts (src_ columns of every file)."""
    decisions: dict[Any, Any] = field(default_factory=dict)
    """The review store's current decisions, carried into the matches before scoring."""


@dataclass(frozen=True)
class FinishTask:
    part_path: Path
    first_row: int
    out_path: Path | None
    """Where a worker writes the scored part, as an Arrow IPC file (None: return it to the
    caller). Not Parquet: the caller appends it to screened.parquet, and decoding a Parquet
    part there cost the caller (the one process every part goes through) more than encoding
    it (4 s of CPU for 1M rows)."""


@dataclass
class FinishedPart:
    table: pa.Table | None
    out_path: Path | None
    flagged: pa.Table
    counts: dict[str, Counter[str]]
    seconds: dict[str, float]
    decisions: DecisionCounts
    unflagged_by_decision: int
    rows_seen: dict[str, np.ndarray] = field(default_factory=dict)
    """source_file -> its rows in the part (the review store marks them seen)."""
    sightings: pa.Table | None = None
    """The part's parties (screening.review.seen.PARTY_SIGHTINGS) for the review store."""


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """The table with ``schema``'s columns in its order; absent src_ columns all-null."""
    columns = [
        table[f.name] if f.name in table.column_names else pa.nulls(table.num_rows, f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def _link_columns(
    table: pa.Table, first_row: int, links: Links, config: ScreeningConfig
) -> pa.Table:
    n = table.num_rows
    rows = links.chains[_ROW].to_numpy()
    lo, hi = np.searchsorted(rows, [first_row, first_row + n])
    chain_cols: dict[str, pa.Array] = {
        "route_chain_role": pa.nulls(n, pa.string()),
        "route_chain_partner": pa.nulls(n, pa.string()),
        "route_chain_count": pa.array(np.zeros(n, dtype=np.int32)),
        "route_chain_reason": pa.nulls(n, pa.string()),
    }
    if hi > lo:
        mine = links.chains.slice(int(lo), int(hi - lo))
        local = pa.array(mine[_ROW].to_numpy() - first_row, pa.int64())
        position = pc.index_in(pa.array(np.arange(n), pa.int64()), value_set=local)
        for column in _CHAIN_COLUMNS:
            values = mine[column].combine_chunks().take(position)
            if column == "route_chain_count":
                values = pc.fill_null(values, 0).cast(pa.int32())
            chain_cols[column] = values
    for column in _CHAIN_COLUMNS:
        table = table.append_column(column, chain_cols[column])
    surges = apply_surge_verdicts(
        table,
        links.surges,
        cutoff=config.import_history_cutoff,
        keys=_names_as_keys(table["importer"]),
    )
    for column in _SURGE_COLUMNS:
        table = table.append_column(column, surges[column])
    return table


def finish_part(task: FinishTask, context: RunContext, links: Links) -> FinishedPart:
    """Pass two over a spilled part: matches, chains and surges joined on, risk scored."""
    config = context.config
    seconds: dict[str, float] = {}
    release_free_memory()  # what the process's previous part left free
    start = time.perf_counter()
    table = _conform(pq.read_table(task.part_path), links.schema)
    seconds["spill"] = time.perf_counter() - start
    table = _timed(seconds, "match_parties", join_party_matches, table, links.matches)
    check_stage_output("match_parties", table)
    decided = DecisionCounts()
    if links.decisions:
        lists = reference_for(config, context.reference_key).lists
        table, decided = apply_decisions(table, links.decisions, lists)
    table = _timed(seconds, "link_records", _link_columns, table, task.first_row, links, config)
    check_stage_output("link_records", table)
    table = _timed(seconds, "score_risk", score_risk, table, config.risk_weights)
    task.part_path.unlink(missing_ok=True)
    flagged = table.filter(pc.not_equal(table["risk_level"], "none"))
    counts = {
        column: Counter(count_by(table, column)) for column in ("risk_level", "route", "chpl_tier")
    }
    start = time.perf_counter()
    rows_seen, sightings = screened_rows(table), party_sightings(table)
    seconds["record_review"] = time.perf_counter() - start
    if task.out_path is not None:
        start = time.perf_counter()
        with pa.ipc.new_file(task.out_path, table.schema) as sink:
            sink.write_table(table)
        seconds["write_outputs"] = time.perf_counter() - start
        table = None
    return FinishedPart(
        table,
        task.out_path,
        flagged,
        counts,
        seconds,
        decided,
        unflagged_by_decision(flagged if table is None else table),
        rows_seen,
        sightings,
    )


@dataclass(frozen=True)
class ReviewFilesTask:
    staging: Path
    flagged_path: Path
    manifest: dict[str, Any]
    only: tuple[str, ...]
    """Which review files (``REVIEW_FILES`` names) this unit writes."""
    top: int
    """How many of the first flagged records (review order) to return for the CLI."""


def write_review_files_part(
    task: ReviewFilesTask,
) -> tuple[dict[str, Path], list[dict[str, Any]]]:
    """Some of the review files, from the spilled flagged records (a unit of a Dask run)."""
    written, flagged = spilled_review_files(
        task.staging, task.flagged_path, task.manifest, only=task.only
    )
    return written, flagged.top(task.top) if task.top else []


# --------------------------------------------------------------------------------------------
# the run


@dataclass
class RunResult:
    """What a finished run wrote and counted."""

    out_dir: Path
    outputs: dict[str, Path]
    manifest: dict[str, Any]
    files_rejected: list[dict[str, str]]
    top_flags: list[dict[str, Any]] = field(default_factory=list)
    """The first flagged records in review order (risk, record, parties, reasons)."""

    @property
    def counts(self) -> dict[str, Any]:
        return self.manifest["counts"]

    @property
    def exit_code(self) -> int:
        """0, or EXIT_FILES_REJECTED when some input files could not be screened."""
        return EXIT_FILES_REJECTED if self.files_rejected else EXIT_OK

    def summary(self) -> str:
        counts = self.counts
        levels = ", ".join(f"{k} {v}" for k, v in counts["by_risk_level"].items())
        line = (
            f"rows in {counts['rows_in']}, screened {counts['rows_screened']}, "
            f"rejected {counts['rows_rejected']}, flagged {counts['rows_flagged']}"
            + (f" ({levels})" if levels else "")
        )
        for rejected in self.files_rejected:
            line += f"\nfile rejected: {rejected['path']}: {rejected['reason']}"
        return line


class _RejectWriter:
    """rejected.csv, appended file by file (formula-escaped, UTF-8 with BOM like every CSV)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._sink = open(path, "wb")  # noqa: SIM115 - closed in close()
        self._sink.write(b"\xef\xbb\xbf")
        self._writer = pa_csv.CSVWriter(self._sink, REJECT_SCHEMA)
        self.rows = 0

    def write(self, rejects: pa.Table) -> None:
        if rejects.num_rows:
            self._writer.write_table(escape_formulas_in_table(rejects.cast(REJECT_SCHEMA)))
            self.rows += rejects.num_rows

    def close(self) -> None:
        self._writer.close()
        self._sink.close()


def _read_ipc(path: Path) -> pa.Table:
    """An Arrow IPC file, memory-mapped (no copy, no decoding)."""
    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _unified_schema(schemas: Sequence[pa.Schema]) -> pa.Schema:
    """Canonical fields, then every file's src_ columns in order of appearance, then stages."""
    fields: dict[str, pa.Field] = {}
    for schema in schemas:
        for f in schema:
            fields.setdefault(f.name, f)
    canonical = [fields.pop(f.name) for f in TRADE_SCHEMA if f.name in fields]
    src = [f for name, f in fields.items() if name.startswith(EXTRA_COLUMN_PREFIX)]
    rest = [f for name, f in fields.items() if not name.startswith(EXTRA_COLUMN_PREFIX)]
    return pa.schema(canonical + src + rest)


class ScreeningRun:
    """A run in steps (the Prefect flow makes each a task); ``screen_files`` runs them all.

    Use as a context manager: entering checks and locks the output folder (before any work),
    leaving releases it and drops the staging folder of an unfinished run.
    """

    def __init__(
        self,
        paths: Sequence[str | Path] | None,
        config: ScreeningConfig | None = None,
        out_dir: str | Path = "out",
        *,
        mapping: dict[str, str] | None = None,
        reporter_country: str | None = None,
        trade_flow: str | None = None,
        batch_rows: int = DEFAULT_BATCH_ROWS,
        dask_address: str | None = None,
        dask_workers: int | None = None,
        db: str | None = None,
        only_new: bool = False,
    ) -> None:
        if batch_rows < 1:
            raise ValueError(f"batch_rows must be positive, got {batch_rows}")
        self.config = config or ScreeningConfig()
        self.paths = expand_trade_paths(paths)
        missing = [p for p in self.paths if not p.exists()]
        if missing:
            raise ScreeningError(f"input not found: {', '.join(map(str, missing))}")
        self.folder = RunFolder(check_output_folder(out_dir))
        self.options = ReadOptions(mapping, reporter_country, trade_flow)
        self.batch_rows = batch_rows
        self._dask = (dask_address, dask_workers)
        self._review_options = (db, only_new)
        self.review: RunReview | None = None
        self._decided = DecisionCounts()
        self._unflagged_by_decision = 0
        self.executor: Executor | None = None
        self._finisher: ProcessExecutor | None = None
        self._scored_in: str | None = None
        self.reference: ReferenceData | None = None
        self.context: RunContext | None = None
        self.files: list[FileReport] = []
        self.prescreened: list[PrescreenSummary] = []
        self.links: Links | None = None
        self.timings: dict[str, float] = {}
        self._started = time.perf_counter()
        self._rejects: _RejectWriter | None = None
        self._flagged_spill: FlaggedSpill | None = None
        self._counts: dict[str, Counter[str]] = {}
        self._rows_screened = 0
        self._match_pool: MatchPool | None = None
        self._cluster_matching: ClusterMatching | None = None
        self._leg_spill: ChainLegSpill | None = None
        self._sightings = RunSightings()
        self._pending_record: PendingRecord | None = None
        self._surge: SurgeTotals | None = None

    # ------------------------------------------------------------------------------- lifecycle
    def __enter__(self) -> ScreeningRun:
        self.folder.acquire()
        for note in self.folder.notes:
            logger.warning(note)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._pending_record is not None:
                self._pending_record.abandon()  # committed already, unless the run failed
            if self._rejects is not None:
                self._rejects.close()
            if self._leg_spill is not None:
                self._leg_spill.close()
            if self.review is not None:
                self.review.close()
            if self._match_pool is not None:
                self._match_pool.close()
            if self._finisher is not None:
                self._finisher.close()
            if self.executor is not None:
                self.executor.close()
        finally:
            self.folder.__exit__(exc_type, exc, tb)

    def _add_seconds(self, seconds: dict[str, float]) -> None:
        for stage, value in seconds.items():
            self.timings[stage] = self.timings.get(stage, 0.0) + value

    @property
    def _flagged(self) -> FlaggedSpill:
        """The flagged records of the scored parts, spilled (read back for the review files)."""
        if self._flagged_spill is None:
            self._flagged_spill = FlaggedSpill(self._work_dir / "flagged-records.parquet")
        return self._flagged_spill

    @property
    def _rejected_files(self) -> set[int]:
        """The numbers of the input files rejected (as a whole)."""
        return {n for n, f in enumerate(self.files) if f.rejected_reason}

    @property
    def _legs(self) -> ChainLegSpill:
        """The re-export chain leg candidates, spilled as the input is read."""
        if self._leg_spill is None:
            self._leg_spill = ChainLegSpill(self._work_dir / "chain-legs.arrow")
        return self._leg_spill

    @property
    def _work_dir(self) -> Path:
        work = self.folder.staging / ".parts"
        work.mkdir(exist_ok=True)
        return work

    # ------------------------------------------------------------------------------- steps
    def load_reference(self) -> ReferenceData:
        """Lists, name index and goods categories; starts the executor (Dask cluster)."""
        start = time.perf_counter()
        processes = pool_processes(self.config)
        if self._dask == (None, None) and can_fork(processes):
            # forked before the lists and the records exist (see screening.match_pool)
            self._match_pool = MatchPool(processes)
        self.reference = load_reference_data(self.config)
        release_free_memory()  # what parsing the lists left free (first run: 200 MB)
        key = reference_key(self.config, self.reference.list_versions)
        remember_reference(key, self.reference)
        self.timings["load_reference"] = time.perf_counter() - start
        start = time.perf_counter()
        self.executor = make_executor(*self._dask)
        self.timings["start_workers"] = time.perf_counter() - start
        remote = isinstance(self.executor, DaskExecutor)
        worker_config = single_threaded(self.config) if remote else self.config
        self.context = RunContext(worker_config, key, collect_names=not remote)
        with_index = name_index_cache_file(self.reference.lists).is_file()
        self.executor.warm_up(warm_up, worker_config, key, with_index)
        if self._match_pool is not None:
            self._start_match_pool()
        db, only_new = self._review_options
        self.review = RunReview(open_store(db), {}, only_new=only_new)
        logger.info(
            "Loaded %d list names (%s); screening %s",
            self.reference.lists.num_rows,
            ", ".join(f"{k} {v}" for k, v in self.reference.list_versions.items()),
            self.executor.description,
        )
        return self.reference

    def _start_match_pool(self) -> None:
        """Point the matching processes at the run's index cache. A first run (no cached
        index) has them build it while this process reads; where the cache folder cannot be
        written, this process matches alone."""
        assert self._match_pool is not None and self.reference is not None
        lists = self.reference.lists
        index_file = name_index_cache_file(lists)
        if index_file.is_file():
            self._match_pool.start(index_file, single_threaded(self.config))
            return
        with contextlib.suppress(OSError):
            index_file.parent.mkdir(parents=True, exist_ok=True)
        if not os.access(index_file.parent, os.W_OK):
            self._match_pool.close()
            self._match_pool = None
            return
        self._match_pool.start(index_file, single_threaded(self.config), lists)

    def _batches(self) -> Iterator[BatchTask]:
        """Record batches of every file in turn. A file that cannot be opened, or fails part
        way, is rejected as a whole (its batches already sent are dropped after pass one);
        with one input file, its error is the run's error."""
        assert self._rejects is not None and self.review is not None
        first_row = 0
        batch_rows = self.batch_rows
        if isinstance(self.executor, DaskExecutor):  # read in task-sized batches: the first
            batch_rows = min(batch_rows, TASK_ROWS_ON_DASK)  # task starts sooner
        for number, path in enumerate(self.paths):
            report = FileReport(path)
            self.files.append(report)
            start = time.perf_counter()
            try:
                trade_file = open_trade_file(
                    path,
                    mapping=self.options.mapping,
                    reporter_country=self.options.reporter_country,
                    flow=self.options.trade_flow,
                )
                report.info = trade_file.info
                for key in (str(path), path.name):
                    self.review.hashes.setdefault(key, trade_file.info.sha256)
                for part, batch in enumerate(trade_file.batches(batch_rows)):
                    report.rejects.append(batch.rejects)
                    records = self.review.select(batch.records)
                    self._add_seconds({"load_trades": time.perf_counter() - start})
                    name = f"in-{number:05d}-{part:05d}.parquet"
                    yield BatchTask(records, first_row, self._work_dir / name, number)
                    first_row += records.num_rows
                    start = time.perf_counter()
            except FILE_ERRORS as exc:
                if len(self.paths) == 1:
                    raise
                self._reject_file(report, exc)
                continue
            self._add_seconds({"load_trades": time.perf_counter() - start})
            for rejects in report.rejects:
                self._rejects.write(rejects)
            report.rejects.clear()
            assert report.info is not None
            logger.info(
                "%s: %d rows, %d rejected, layout %s",
                path.name,
                report.info.rows_in,
                report.info.rejected,
                report.info.layout,
            )
            for note in report.info.notes:
                logger.info("%s: %s", path.name, note)

    def _reject_file(self, report: FileReport, exc: BaseException) -> None:
        assert self._rejects is not None
        reason = describe_file_error(exc)
        # the run names the file itself: its reason need not begin with the path again
        report.rejected_reason = reason.removeprefix(f"{report.path}: ")
        report.rejects.clear()
        logger.warning("file rejected: %s: %s", report.path, report.rejected_reason)
        self._rejects.write(
            pa.Table.from_pylist(
                [
                    {
                        "file": report.path.name,
                        "row": None,
                        "column": None,
                        "reason": f"file rejected: {report.rejected_reason}",
                        "raw": None,
                    }
                ],
                schema=REJECT_SCHEMA,
            )
        )

    def read_and_prescreen(self) -> None:
        """Pass one: read every file in batches, run the record-by-record stages, spill."""
        assert self.executor is not None and self.context is not None
        self._rejects = _RejectWriter(self.folder.staging / "rejected.csv")
        start = time.perf_counter()
        if isinstance(self.executor, DaskExecutor):
            self._start_cluster_matching()
        matching = self._match_pool or self._cluster_matching
        for summary in self.executor.map(prescreen_batch, self._batches(), context=self.context):
            self.prescreened.append(summary)
            self._add_seconds(summary.seconds)
            self._legs.write(summary.chain_legs, summary.file_number)
            summary.chain_legs = summary.chain_legs.schema.empty_table()
            if matching is not None:  # matched while the next batches are read
                matching.submit(summary.parties)
                # a slice would keep the buffers; the names' keys come with their matches
                summary.parties = summary.parties.schema.empty_table()
                summary.names = pa.array([], pa.string())
            self._fold_surge_totals()
        rejected = self._rejected_files
        for summary in self.prescreened:
            if summary.file_number in rejected:
                summary.part_path.unlink(missing_ok=True)
        self.prescreened = [s for s in self.prescreened if s.file_number not in rejected]
        if all(f.rejected_reason for f in self.files):
            reasons = "; ".join(f"{f.path}: {f.rejected_reason}" for f in self.files)
            raise ScreeningError(f"no input file could be screened: {reasons}")
        self.timings["pass_read_prescreen"] = time.perf_counter() - start
        logger.info(
            "Pre-screened %d records in %d batch(es)",
            sum(s.rows for s in self.prescreened),
            len(self.prescreened),
        )

    SURGE_FOLD = 16
    """Batches whose per-importer surge totals are summed into one as the input is read: a
    large input's batches would otherwise hold each importer once per batch to the end."""

    def _fold_surge_totals(self, force: bool = False) -> None:
        pending = [s for s in self.prescreened if s.surge is not _FOLDED]
        if len(pending) < self.SURGE_FOLD and not force:
            return
        self._surge = combine_surge_totals([*([self._surge] if self._surge else []),
                                            *(s.surge for s in pending)])  # fmt: skip
        for summary in pending:
            summary.surge = _FOLDED

    def match_parties(self) -> pa.Table:
        """Match the distinct (party name, country) pairs of the whole input, each once."""
        assert self.executor is not None and self.context is not None
        if self._match_pool is not None:
            return self._collect_pool_matches()
        if self._cluster_matching is not None:
            return self._collect_cluster_matches()
        start = time.perf_counter()
        parties = (
            pa.concat_tables([s.parties for s in self.prescreened])
            .group_by(["name", "country"])
            .aggregate([])
            .sort_by([("name", "ascending"), ("country", "ascending")])
        )
        for summary in self.prescreened:
            summary.parties = parties.schema.empty_table()  # free the per-batch copies
        if isinstance(self.executor, DaskExecutor) and parties.num_rows:
            assert self.reference is not None
            if not name_index_cache_file(self.reference.lists).is_file():
                cached_name_index(self.reference.lists)  # built once here, read by each worker
        results = list(
            self.executor.map(match_partition, self._partitions(parties), context=self.context)
        )
        matches = pa.concat_tables([m for m, _ in results]) if results else None
        for _, keys in results:
            remember_party_keys(keys)
        if isinstance(self.executor, DaskExecutor):
            # every named party was matched, so every name's key came back with the hits
            for summary in self.prescreened:
                summary.names = pa.array([], pa.string())
        self._matches = matches
        self.timings["match_parties"] = time.perf_counter() - start
        logger.info(
            "Matched %d distinct party names: %d with a list hit",
            parties.num_rows,
            0 if matches is None else matches.num_rows,
        )
        return matches

    def _collect_pool_matches(self) -> pa.Table:
        """The matching processes' hits (each distinct name's key was computed in this
        process while they matched, batch by batch)."""
        assert self._match_pool is not None
        start = time.perf_counter()
        pool = self._match_pool
        matches = pool.result()
        self.timings["match_parties"] = time.perf_counter() - start
        self.timings["match_parties_worker_seconds"] = pool.busy_seconds
        pool.close()
        self._match_pool = None
        self._matches = matches
        logger.info(
            "Matched %d distinct party names in %d processes while reading: %d with a list hit",
            pool.pairs,
            pool.processes,
            0 if matches is None else matches.num_rows,
        )
        return matches

    def _start_cluster_matching(self) -> None:
        """Match on the Dask workers while reading (see ClusterMatching); the name index is
        built here first if the lists have no cached one yet (each worker then reads it)."""
        assert isinstance(self.executor, DaskExecutor) and self.reference is not None
        if not name_index_cache_file(self.reference.lists).is_file():
            cached_name_index(self.reference.lists)
        self._cluster_matching = ClusterMatching(self.executor, match_partition, self.context)

    def _collect_cluster_matches(self) -> pa.Table:
        """The hits of the matching sent to the cluster while reading (each matched name's
        key came back with them)."""
        assert self._cluster_matching is not None
        start = time.perf_counter()
        matching, self._cluster_matching = self._cluster_matching, None
        done_while_reading = matching.jobs_done()
        matches = matching.result()
        self.timings["match_parties"] = time.perf_counter() - start
        self._matches = matches
        logger.info(
            "Matched %d distinct party names on the cluster (%d of %d jobs done while reading): "
            "%d with a list hit",
            matching.pairs,
            done_while_reading,
            matching.jobs_sent,
            matches.num_rows,
        )
        return matches

    def _partitions(self, rows: pa.Table | pa.Array) -> list[Any]:
        """Equal slices of ``rows`` (distinct names, sorted): eight per worker, so a worker
        that finishes early takes another and the workers finish within a short slice of one
        another; one in process. Each slice is a copy of its rows: an Arrow slice pickles
        with its parent's whole buffers, so every unit would carry all the names to a worker."""
        workers = self.executor.workers if self.executor is not None else 1
        count = 8 * workers if workers > 1 else 1
        n = len(rows)
        if count == 1:
            return [rows]
        step = max(1, -(-n // count))
        return [
            rows.take(pa.array(np.arange(i, min(i + step, n)), pa.int64()))
            for i in range(0, max(n, 1), step)
        ]

    def _distinct_names(self) -> pa.Array:
        """The distinct party names of the whole input (as written and trimmed), sorted."""
        names = pa.concat_arrays([s.names for s in self.prescreened])
        for summary in self.prescreened:
            summary.names = pa.array([], pa.string())  # a slice would keep the buffers
        return pc.unique(names.drop_null()).sort()

    @staticmethod
    def _remember_keys(names: pa.Array, keys: Sequence[pa.Array]) -> None:
        """Cache the keys computed for ``names`` (the chains, the surges and the review store
        ask for them again)."""
        computed = pa.concat_arrays(list(keys)) if len(names) else pa.array([], pa.string())
        remember_party_keys(dict(zip(names.to_pylist(), computed.to_pylist(), strict=True)))

    def _name_keys(self) -> None:
        """Each distinct party name's normalised key, computed once, spread over the workers."""
        names = self._distinct_names()
        keys = self.executor.map(name_keys, self._partitions(names), context=self.context)
        self._remember_keys(names, list(keys))

    def link_records(self) -> Links:
        """Re-export chains over the leg candidates; surge verdicts from the summed totals."""
        assert self.executor is not None and self.context is not None
        start = time.perf_counter()
        release_free_memory()  # what reading and matching freed
        self._start_finisher()
        config = self.config
        legs = self._legs.read(self._rejected_files)
        if legs is None:
            legs = pa.concat_tables([s.chain_legs for s in self.prescreened])
        self._fold_surge_totals(force=True)
        by_name = self._surge or combine_surge_totals([])
        self._surge = None
        if any(len(s.names) for s in self.prescreened):
            self._name_keys()  # keys for the chains, surges and review store
        chains = find_route_chains(
            legs,
            coalition=config.coalition_countries,
            hubs=config.transshipment_countries,
            direct=config.direct_destinations,
            window_days=config.chain_window_days,
        )
        chains = (
            chains.drop_columns(["record_id"])
            .append_column(_ROW, legs[_ROW])
            .filter(pc.is_valid(chains["route_chain_role"]))
        )
        names = by_name.per_party.index
        keys = pd.Series(party_keys(pa.array(list(names), pa.string())), index=names, dtype=object)
        totals = SurgeTotals(
            by_name.per_party.groupby(keys.to_numpy(), dropna=True).sum(),
            by_name.first_day,
            by_name.last_day,
        )
        verdicts = surge_verdicts(
            totals, cutoff=config.import_history_cutoff, **config.import_surge.model_dump()
        )
        surges = {n: verdicts[k] for n, k in keys.items() if k in verdicts} if verdicts else {}
        self.links = Links(
            # one chunk: a chunk of a job's hits pickles with all of that job's buffers, and
            # the links go to every scoring process (800 MB instead of 24 at 10M rows)
            matches=self._matches.combine_chunks(),
            chains=chains.sort_by(_ROW),
            surges=surges,
            schema=_unified_schema([s.schema for s in self.prescreened]),
            decisions=dict(self.review.decisions) if self.review else {},
        )
        del legs, chains, by_name, totals, keys
        release_free_memory()  # the legs and the surge totals, dropped
        self.timings["link_records"] = (
            self.timings.get("link_records", 0.0) + time.perf_counter() - start
        )
        return self.links

    def _start_finisher(self) -> None:
        """Processes that score the parts of a run in this process on a machine with several
        cores, started now so that they are ready when the scoring starts. Not before: the
        matching may fork, which a process is only allowed while it runs one thread (the pool
        runs a few)."""
        if not isinstance(self.executor, LocalExecutor):
            return
        processes = min(pool_processes(self.config), len(self.prescreened))
        if processes >= 2:  # two cores and two parts at least
            self._finisher = ProcessExecutor(processes, self._work_dir)

    @property
    def _finish_executor(self) -> Executor:
        """Where the parts are scored."""
        assert self.executor is not None
        return self._finisher if self._finisher is not None else self.executor

    def score_and_write(self) -> None:
        """Pass two: join, score and append each part to screened.parquet."""
        assert self.executor is not None and self.context is not None and self.links
        start = time.perf_counter()
        executor = self._finish_executor
        self._scored_in = executor.description
        remote = not isinstance(executor, LocalExecutor)
        tasks = [
            FinishTask(
                s.part_path,
                s.first_row,
                s.part_path.with_name(s.part_path.stem + "-scored.arrow") if remote else None,
            )
            for s in self.prescreened
        ]
        writer: pq.ParquetWriter | None = None
        path = self.folder.staging / "screened.parquet"
        try:
            for part in executor.map(finish_part, tasks, context=self.context, links=self.links):
                self._add_seconds(part.seconds)
                write_start = time.perf_counter()
                table = part.table if part.table is not None else _read_ipc(part.out_path)
                if writer is None:
                    writer = pq.ParquetWriter(path, table.schema)
                writer.write_table(table)
                if part.out_path is not None:
                    part.out_path.unlink(missing_ok=True)
                self._rows_screened += table.num_rows
                self._flagged.write(part.flagged)
                self._decided = self._decided + part.decisions
                self._unflagged_by_decision += part.unflagged_by_decision
                if part.sightings is not None:
                    self._sightings.add(part.rows_seen, part.sightings)
                for column, counter in part.counts.items():
                    self._counts.setdefault(column, Counter()).update(counter)
                del table, part
                release_free_memory()  # the part, read and written
                self.timings["write_outputs"] = (
                    self.timings.get("write_outputs", 0.0) + time.perf_counter() - write_start
                )
        finally:
            if writer is not None:
                writer.close()
            if self._finisher is not None:  # see _write_review_files
                self._finisher.close()
                self._finisher = None
        if writer is None:  # no records at all: still one (empty) screened table
            pq.write_table(self.links.schema.empty_table(), path)
        self.timings["pass_score_write"] = time.perf_counter() - start

    def finish(self) -> RunResult:
        """The review files and the manifest, then the whole set swapped into the output
        folder; then the review store records the run (only once its outputs are in place)."""
        assert self._rejects is not None and self.reference is not None
        assert self.review is not None
        start = time.perf_counter()
        staging = self.folder.staging
        self._rejects.close()
        screened_path = staging / "screened.parquet"
        self._flagged.close(pq.read_schema(screened_path))
        manifest = self._manifest(self._flagged.rows)
        review_start = time.perf_counter()
        # beside the review files: on Dask this process only waits for the workers writing
        # them; in process the recording's SQLite steps run while the workbook is written
        self._start_recording()
        review_files, top_flags = self._write_review_files(manifest)
        release_free_memory()  # the flagged records, laid out and written
        self.executor.close_in_background()  # no more work for the workers
        outputs = {
            **review_files,
            "screened": screened_path,
            "rejected": self._rejects.path,
        }
        work = staging / ".parts"
        if work.exists():
            for leftover in work.iterdir():
                leftover.unlink()
            work.rmdir()
        self.timings["write_review_files"] = time.perf_counter() - review_start
        outputs = {name: self.folder.target / path.name for name, path in outputs.items()}
        self.timings["write_outputs"] = (
            self.timings.get("write_outputs", 0.0) + time.perf_counter() - start
        )
        self._stamp_timings(manifest)
        manifest["outputs"] = {
            name: {"path": str(path), "sha256": _sha256(staging / path.name)}
            for name, path in outputs.items()
        }
        outputs["manifest"] = self.folder.target / "manifest.json"
        write_json_atomic(manifest, staging / "manifest.json")
        target = self.folder.commit()
        logger.info("Outputs in %s", target)
        manifest["review"].update(self._commit_record())
        # what the review store recorded (and how long it took), written into the manifest in
        # place too: the file an analyst opens says what the run's result says
        self._stamp_timings(manifest)
        write_json_atomic(manifest, outputs["manifest"])
        files_rejected = [
            {"path": str(f.path), "reason": f.rejected_reason}
            for f in self.files
            if f.rejected_reason
        ]
        return RunResult(target, outputs, manifest, files_rejected, top_flags)

    def _stamp_timings(self, manifest: dict[str, Any]) -> None:
        """The run's stage timings so far, and its total, into ``manifest``."""
        self.timings["total"] = time.perf_counter() - self._started
        manifest["timings_seconds"] = {k: round(v, 3) for k, v in self.timings.items()}

    def _write_review_files(
        self, manifest: dict[str, Any]
    ) -> tuple[dict[str, Path], list[dict[str, Any]]]:
        """flagged.csv, flagged.xlsx and report.html; on Dask the workbook is written by one
        worker while another writes the other two. A run on this machine writes them itself,
        its scoring processes closed: each of two processes laying out the cases took as much
        memory as this one (at 1M rows, the two with this one held 2.3 GB, over the 2 GB a
        1M-row run may take; one process alone, 1.8 GB), for 2 s less."""
        executor = self.executor
        staging, flagged_path = self.folder.staging, self._flagged.path
        if isinstance(executor, LocalExecutor):
            written, flagged = spilled_review_files(staging, flagged_path, manifest)
            return written, flagged.top(20)
        tasks = [
            ReviewFilesTask(staging, flagged_path, manifest, ("flagged_xlsx",), 0),
            ReviewFilesTask(staging, flagged_path, manifest, ("flagged", "report"), 20),
        ]
        written: dict[str, Path] = {}
        top_flags: list[dict[str, Any]] = []
        for paths, top in executor.map(write_review_files_part, tasks):
            written.update(paths)
            top_flags = top_flags or top
        return {name: written[name] for name in REVIEW_FILES}, top_flags

    def _start_recording(self) -> None:
        """Start writing the run's sightings into the review store (records seen, parties
        screened), from what the scored parts gathered; kept only by :meth:`_commit_record`,
        once the outputs are in place (see screening.review.pending)."""
        assert self.review is not None and self.reference is not None
        self._pending_record = self.review.start_recording(
            self._sightings, self.reference.list_versions
        )
        self._sightings = RunSightings()

    def _commit_record(self) -> dict[str, int]:
        """The run's sightings kept in the review store: its counts for the manifest."""
        assert self._pending_record is not None
        start = time.perf_counter()
        counts = self._pending_record.commit()
        self.timings["record_review"] = self.timings.get("record_review", 0.0) + (
            self._pending_record.seconds
        )
        self.timings["record_review_wait"] = time.perf_counter() - start
        return counts

    def _manifest(self, rows_flagged: int) -> dict[str, Any]:
        assert self.reference is not None and self.review is not None
        review = self.review
        review.counts = self._decided
        review_summary = review.summary()
        review_summary["unflagged_by_decision"] = self._unflagged_by_decision
        return {
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "inputs": [f.to_manifest() for f in self.files],
            "files_rejected": [
                {"path": str(f.path), "reason": f.rejected_reason}
                for f in self.files
                if f.rejected_reason
            ],
            "lists": dict(self.reference.list_versions),
            "config": self.config.to_manifest(),
            "counts": {
                "rows_in": sum(f.rows_in for f in self.files),
                "rows_screened": self._rows_screened,
                "rows_rejected": sum(f.rows_rejected for f in self.files),
                "rows_skipped_seen": review.rows_skipped,
                "rows_flagged": rows_flagged,
                "suppressed_by_decision": self._decided.records_suppressed,
                "files_rejected": sum(1 for f in self.files if f.rejected_reason),
                "by_risk_level": dict(self._counts.get("risk_level", Counter())),
                "by_route": dict(self._counts.get("route", Counter())),
                "by_chpl_tier": dict(self._counts.get("chpl_tier", Counter())),
            },
            "review": review_summary,
            "execution": {
                "executor": self.executor.description if self.executor else None,
                "scored_in": self._scored_in,
                "batch_rows": self.batch_rows,
                "batches": len(self.prescreened),
            },
            "notes": [*self.folder.notes],
            "timings_seconds": {},
            "environment": {"python": platform.python_version(), "pyarrow": pa.__version__},
        }


def screen_files(
    paths: Sequence[str | Path] | None,
    config: ScreeningConfig | None = None,
    out_dir: str | Path = "out",
    *,
    mapping: dict[str, str] | None = None,
    reporter_country: str | None = None,
    trade_flow: str | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    dask_address: str | None = None,
    dask_workers: int | None = None,
    db: str | None = None,
    only_new: bool = False,
) -> RunResult:
    """Screen trade files (or folders of them; none = the bundled sample) into ``out_dir``.

    The one entry point of the CLI (``dualuse run``), the Prefect flow and notebooks.
    ``dask_address`` runs the batch work on an existing Dask cluster (its workers must see the
    input files and the output folder's parent), ``dask_workers`` on a LocalCluster of that
    many processes; by default everything runs in this process. The results are the same.
    ``db`` is the review store (default: $DUALUSE_DB, else SQLite in the data folder): its
    decisions are carried into the run; ``only_new`` skips records an earlier run screened.
    """
    refuse_in_worker_start()
    with ScreeningRun(
        paths,
        config,
        out_dir,
        mapping=mapping,
        reporter_country=reporter_country,
        trade_flow=trade_flow,
        batch_rows=batch_rows,
        dask_address=dask_address,
        dask_workers=dask_workers,
        db=db,
        only_new=only_new,
    ) as run:
        run.load_reference()
        run.read_and_prescreen()
        run.match_parties()
        run.link_records()
        run.score_and_write()
        return run.finish()


__all__ = [
    "EXIT_FILES_REJECTED",
    "RunResult",
    "ScreeningRun",
    "expand_trade_paths",
    "screen_files",
]
