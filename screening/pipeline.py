"""The screening stages over a loaded trade table, and the one function that chains them.

Each stage is a pure function (Arrow table in, columns added) so the Prefect flow, the CLI and
notebooks call the same code and can run stages separately. Party matching works over the
distinct exporter/importer names only and joins the best hit back to every record.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from screening import collector
from screening.config import ScreeningConfig
from screening.geo import classify_routes, normalise_countries
from screening.geo.chains import find_route_chains
from screening.goods.descriptions import classify_descriptions
from screening.hs import classify_hs_codes, load_categories
from screening.lists import load_bundled_lists, parse_list_files
from screening.lists.store.snapshots import load_active_lists, store_has_active_lists
from screening.names.index import NameIndex
from screening.names.match import match_names
from screening.paths import data_dir
from screening.risk.red_flags import chpl_import_surge_flags, freight_forwarder_flags
from screening.risk.score import RISK_LEVELS, score_risk
from screening.schema import check_stage_output

try:
    import fcntl
except ImportError:  # not on POSIX: each process builds its own index
    fcntl = None  # type: ignore[assignment]

T = TypeVar("T")
PARTY_ROLES = ("exporter", "importer")
CHPL_CATEGORY = "CHPL"


class ReferenceData:
    """Lists, their name index and the CHPL table: built once per run, shared by all chunks.

    A plain class rather than a dataclass on purpose: task runners such as Dask walk
    dataclass arguments field by field; this object must travel to workers as one piece.
    The name index is built (or read from its cache) on first use: a process that only runs
    the goods and route stages never pays for it.
    """

    def __init__(
        self,
        *,
        lists: pa.Table,
        index: NameIndex | None = None,
        categories: pa.Table,
        list_versions: dict[str, str] | None = None,
    ) -> None:
        self.lists = lists
        self._index = index
        self._index_lock = threading.Lock()
        self.categories = categories
        self.list_versions = dict(list_versions or {})

    @property
    def index(self) -> NameIndex:
        """The name index of ``lists`` (see :func:`cached_name_index`)."""
        with self._index_lock:
            if self._index is None:
                self._index = cached_name_index(self.lists)
            return self._index

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        del state["_index_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._index_lock = threading.Lock()

    @property
    def chpl(self) -> pa.Table:
        """The CHPL rows of the goods categories."""
        return self.categories.filter(pc.equal(self.categories["category"], CHPL_CATEGORY))


def _index_cache_key(lists: pa.Table) -> str:
    """sha256 of the list table's content and of the code and data that shape an index."""
    digest = hashlib.sha256()
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, lists.schema) as writer:
        writer.write_table(lists)
    digest.update(sink.getvalue().to_pybytes())
    package = Path(__file__).resolve().parent
    for path in sorted([*(package / "names").glob("*.py"), *(package / "data").glob("*.yml")]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:24]


def name_index_cache_file(lists: pa.Table) -> Path:
    """Where :func:`cached_name_index` keeps the index of ``lists``."""
    return data_dir() / "cache" / f"name-index-{_index_cache_key(lists)}.pickle"


def cached_name_index(lists: pa.Table) -> NameIndex:
    """``NameIndex.build(lists)``, kept in the data folder's cache between runs and processes.

    Building the index takes far longer than reading it back, and every Dask worker needs
    one. The cache file is keyed by the lists' content and the matcher's code and data, so a
    changed list or matcher builds anew; it is written by this tool into the user's own data
    folder (like the parsed-list cache) and read back only from there.
    """
    cache = name_index_cache_file(lists)
    with _INDEX_MEMO_LOCK:
        known = _INDEX_MEMO.get(cache.name)
    if known is not None:
        return known
    index = read_or_build_index(lists, cache)
    with _INDEX_MEMO_LOCK:
        _INDEX_MEMO.clear()  # one index per process: a refresh replaces it
        _INDEX_MEMO[cache.name] = index
    return index


_INDEX_MEMO: dict[str, NameIndex] = {}
_INDEX_MEMO_LOCK = threading.Lock()


def load_index_file(cache: Path) -> Any:
    """The object pickled at ``cache`` (an index), read with the cyclic collector held off
    (1.5 s of CPU -> 0.5) and set aside from it after (see collector.reading_long_lived)."""
    with open(cache, "rb") as fh, collector.reading_long_lived():
        return pickle.load(fh)


def _read_index(cache: Path) -> NameIndex | None:
    """The index pickled at ``cache``; None when absent, unreadable or from another version."""
    if not cache.is_file():
        return None
    try:
        index = load_index_file(cache)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None  # build again and overwrite
    return index if isinstance(index, NameIndex) else None


@contextlib.contextmanager
def index_build_lock(cache: Path) -> Iterator[None]:
    """Held while one process builds the index at ``cache``: the others (a run's matching
    processes, Dask workers, a second run) wait for its file instead of each building the
    same index at once. Without a writable cache folder there is nothing to share: no lock."""
    if fcntl is None:
        yield
        return
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        handle = open(cache.with_suffix(".lock"), "wb")  # noqa: SIM115 - closed below
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_or_build_index(lists: pa.Table, cache: Path) -> NameIndex:
    """The index of ``lists`` read from ``cache``, else built and written there (once, under
    a lock, however many processes ask at the same time)."""
    index = _read_index(cache)
    if index is not None:
        return index
    with index_build_lock(cache):
        index = _read_index(cache)  # built by another process while this one waited
        if index is None:
            index = build_index_file(lists, cache)
    return index


def build_index_file(lists: pa.Table, cache: Path) -> NameIndex:
    """Build the index of ``lists`` and write it to ``cache`` (if the folder can be written),
    replacing the indexes of other lists; the caller holds :func:`index_build_lock`."""
    index = NameIndex.build(lists)
    with contextlib.suppress(OSError):
        partial = cache.with_name(f"{cache.name}.{os.getpid()}.partial")
        with open(partial, "wb") as fh:
            pickle.dump(index, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, cache)
        for old in cache.parent.glob("name-index-*"):  # other lists' indexes and locks
            if old.stem != cache.stem and old.suffix in (".pickle", ".lock"):
                old.unlink(missing_ok=True)
    return index


def load_reference_data(config: ScreeningConfig) -> ReferenceData:
    """Parse the configured lists (refreshed store, else bundled, by default) and load the
    goods categories; the name index follows on first use."""
    if config.list_files:
        lists = parse_list_files(list(config.list_files))
    elif store_has_active_lists(config.list_store):
        lists = load_active_lists(config.list_store)
    else:
        lists = load_bundled_lists()
    versions: dict[str, str] = {}
    for source, version in zip(
        lists["list_source"].to_pylist(), lists["list_version"].to_pylist(), strict=True
    ):
        versions.setdefault(source, version or "unknown")
    return ReferenceData(
        lists=lists,
        categories=load_categories(list(config.category_files) or None),
        list_versions=dict(sorted(versions.items())),
    )


def classify_goods(trades: pa.Table, categories: pa.Table, config: ScreeningConfig) -> pa.Table:
    """Add normalised HS code columns, the goods categories (CHPL and any configured list) and
    the CHPL tier of each record.

    ``goods_status`` is exact / possible (an HS 2017 code that may be a listed HS 2022 code;
    ``goods_candidates`` names them) / none / invalid / missing. ``chpl_tier`` is set for exact
    CHPL matches, ``chpl_possible_tier`` for possible ones.
    """
    goods = classify_hs_codes(
        trades["hs_code"], categories, vintage=config.hs_vintage, dates=trades["date"]
    )
    only_chpl = set(categories["category"].to_pylist()) <= {CHPL_CATEGORY}
    chpl = (
        goods
        if only_chpl
        else classify_hs_codes(
            trades["hs_code"],
            categories.filter(pc.equal(categories["category"], CHPL_CATEGORY)),
            vintage=config.hs_vintage,
            dates=trades["date"],
        )
    )
    status = goods["status"]
    hs_status = pc.if_else(
        pc.is_in(status, pa.array(["invalid", "missing"])), status, pa.scalar("valid")
    )
    exact = pc.equal(chpl["status"], "exact")
    possible = pc.equal(chpl["status"], "possible")
    no_text = pa.scalar(None, pa.string())
    columns = {
        "hs_code_normalised": goods["code"],
        "hs6": goods["hs6"],
        "hs_status": hs_status,
        "hs_issue": goods["hs_issue"],
        "goods_category": goods["category"],
        "goods_tier": goods["tier"],
        "goods_description": goods["description"],
        "goods_status": status,
        "goods_candidates": goods["candidates"],
        "chpl_tier": pc.if_else(exact, chpl["tier"], no_text),
        "chpl_description": pc.if_else(exact, chpl["description"], no_text),
        "chpl_possible_tier": pc.if_else(possible, chpl["tier"], no_text),
    }
    out = trades
    for name, column in columns.items():
        out = out.append_column(name, column)
    return check_stage_output("classify_goods", out)


def classify_destinations(trades: pa.Table, config: ScreeningConfig) -> pa.Table:
    """Add ISO-2 origin/destination, their status, and the route class with its reason."""
    origin = normalise_countries(trades["origin_country"])
    destination = normalise_countries(trades["destination_country"])
    routes = classify_routes(
        origin["country_iso2"],
        destination["country_iso2"],
        destination_status=destination["country_status"],
        destination_raw=trades["destination_country"],
        direct=config.direct_destinations,
        transshipment=config.transshipment_countries,
    )
    out = (
        trades.append_column("origin_iso2", origin["country_iso2"])
        .append_column("origin_status", origin["country_status"])
        .append_column("destination_iso2", destination["country_iso2"])
        .append_column("destination_status", destination["country_status"])
        .append_column("route", routes["route"])
        .append_column("route_reason", routes["route_reason"])
    )
    return check_stage_output("classify_destinations", out)


PARTY_COUNTRY_COLUMNS = {"exporter": "origin_iso2", "importer": "destination_iso2"}
"""The country that qualifies each party's match: where the goods leave from / go to."""


def best_party_matches(
    names: Sequence[str | None],
    countries: Sequence[str | None],
    index: NameIndex,
    config: ScreeningConfig,
    name_keys: dict[str, str | None] | None = None,
) -> pa.Table:
    """All list hits for the distinct (name, country) pairs, NAME_MATCH_SCHEMA (``name_keys``:
    see :func:`screening.names.match_names`)."""
    return match_names(
        names,
        index,
        countries=countries,
        threshold=config.name_threshold,
        top=config.max_matches_per_name,
        workers=config.workers,
        config=config.match_settings(),
        name_keys=name_keys,
    )


MATCH_COLUMNS = {
    "score": "score",
    "matched_name": "name",
    "list_source": "list_source",
    "source_id": "source_id",
    "explanation": "explanation",
}
"""NAME_MATCH_SCHEMA column -> suffix of the ``<role>_match_*`` column it fills."""


def _party_keys(trades: pa.Table, role: str) -> pa.Table:
    """(name, country) of each record's party: trimmed name, ISO-2 country or "" for none."""
    country_column = PARTY_COUNTRY_COLUMNS[role]
    countries = (
        trades[country_column]
        if country_column in trades.column_names
        else pa.nulls(trades.num_rows, pa.string())
    )
    return pa.table(
        {
            "name": pc.utf8_trim_whitespace(trades[role]),
            "country": pc.fill_null(countries, ""),
        }
    )


def distinct_parties(trades: pa.Table) -> pa.Table:
    """The distinct (name, country) pairs of the exporters and importers: what gets matched."""
    keys = [_party_keys(trades, role) for role in PARTY_ROLES]
    return pa.concat_tables(keys).group_by(["name", "country"]).aggregate([])


def party_match_summary(hits: pa.Table) -> pa.Table:
    """Best hit and number of hits per matched (query, query_country); country "" for none."""
    hits = hits.set_column(
        hits.schema.get_field_index("query_country"),
        "query_country",
        pc.fill_null(hits["query_country"], ""),
    )
    counts = hits.group_by(["query", "query_country"]).aggregate([("rank", "count")])
    best = hits.filter(pc.equal(hits["rank"], 1)).select(["query", "query_country", *MATCH_COLUMNS])
    return best.join(counts, keys=["query", "query_country"])


def match_distinct_parties(
    parties: pa.Table,
    index: NameIndex,
    config: ScreeningConfig,
    name_keys: dict[str, str | None] | None = None,
) -> pa.Table:
    """Match distinct (name, country) pairs (``distinct_parties``) once: party_match_summary
    (``name_keys``: see :func:`screening.names.match_names`)."""
    hits = best_party_matches(
        parties["name"].to_pylist(),
        [c or None for c in parties["country"].to_pylist()],
        index,
        config,
        name_keys,
    )
    return party_match_summary(hits)


def join_party_matches(trades: pa.Table, summary: pa.Table) -> pa.Table:
    """Add ``<role>_match_*`` columns: each record's exporter/importer looked up in ``summary``."""
    out = trades
    for role in PARTY_ROLES:
        keys = _party_keys(trades, role)
        rows = keys.append_column("row", pa.array(range(trades.num_rows), pa.int64()))
        joined = rows.join(
            summary,
            keys=["name", "country"],
            right_keys=["query", "query_country"],
            join_type="left outer",
        ).sort_by("row")
        for column, suffix in MATCH_COLUMNS.items():
            out = out.append_column(f"{role}_match_{suffix}", joined[column])
        out = out.append_column(
            f"{role}_match_count", pc.fill_null(joined["rank_count"], 0).cast(pa.int32())
        )
    return check_stage_output("match_parties", out)


def match_parties(trades: pa.Table, index: NameIndex, config: ScreeningConfig) -> pa.Table:
    """Add ``<role>_match_*`` columns: the best list hit of the exporter and the importer.

    Distinct (name, country) pairs are matched once; the best hit and the number of hits are
    joined back onto every record."""
    summary = match_distinct_parties(distinct_parties(trades), index, config)
    return join_party_matches(trades, summary)


def describe_goods(trades: pa.Table) -> pa.Table:
    """Add description signals: CHPL-type goods named in the text, and whether the declared
    code agrees (``description_signal`` possible_misdeclaration / consistent / ...)."""
    described = classify_descriptions(
        trades["description"], trades["hs6"], hs_status=trades["hs_status"]
    )
    return check_stage_output("describe_goods", _append_all(trades, described))


def flag_forwarders(trades: pa.Table) -> pa.Table:
    """Add ``importer_forwarder*``: consignees that are forwarders or logistics firms."""
    flags = freight_forwarder_flags(trades["importer"], role="importer")
    renamed = flags.rename_columns(
        [c.replace("freight_forwarder", "importer_forwarder") for c in flags.column_names]
    )
    return check_stage_output("flag_forwarders", _append_all(trades, renamed))


def link_records(table: pa.Table, config: ScreeningConfig) -> pa.Table:
    """Signals that need every record at once: re-export chains (coalition origin -> hub ->
    Russia on the same goods by the same intermediary) and importers that start or surge CHPL
    imports after the cut-off date."""
    chains = find_route_chains(
        table,
        coalition=config.coalition_countries,
        hubs=config.transshipment_countries,
        direct=config.direct_destinations,
        window_days=config.chain_window_days,
    )
    surges = chpl_import_surge_flags(
        table, cutoff=config.import_history_cutoff, **config.import_surge.model_dump()
    )
    return check_stage_output("link_records", _append_all(_append_all(table, chains), surges))


def _append_all(table: pa.Table, columns: pa.Table) -> pa.Table:
    """Append a stage's per-record columns (its ``record_id`` echo is dropped)."""
    for name in columns.column_names:
        if name != "record_id":
            table = table.append_column(name, columns[name])
    return table


def _timed(timings: dict[str, float], stage: str, func: Callable[..., T], *args: Any) -> T:
    start = time.perf_counter()
    result = func(*args)
    timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - start
    return result


def screen_chunk(
    trades: pa.Table, reference: ReferenceData, config: ScreeningConfig
) -> tuple[pa.Table, dict[str, float]]:
    """The record-by-record stages (goods, descriptions, routes, parties, forwarders): any
    slice of the records can go through them on its own, on any worker."""
    timings: dict[str, float] = {}
    table = _timed(timings, "classify_goods", classify_goods, trades, reference.categories, config)
    table = _timed(timings, "describe_goods", describe_goods, table)
    table = _timed(timings, "classify_destinations", classify_destinations, table, config)
    table = _timed(timings, "match_parties", match_parties, table, reference.index, config)
    table = _timed(timings, "flag_forwarders", flag_forwarders, table)
    return table, timings


def assess_records(table: pa.Table, config: ScreeningConfig) -> tuple[pa.Table, dict[str, float]]:
    """The stages over all records together: linking records, then the risk score."""
    timings: dict[str, float] = {}
    table = _timed(timings, "link_records", link_records, table, config)
    table = _timed(timings, "score_risk", score_risk, table, config.risk_weights)
    return table, timings


def screen_records(
    trades: pa.Table, reference: ReferenceData, config: ScreeningConfig
) -> tuple[pa.Table, dict[str, float]]:
    """Run every stage; returns the screened table and seconds spent per stage."""
    table, timings = screen_chunk(trades, reference, config)
    table, more = assess_records(table, config)
    return table, {**timings, **more}


def flagged_records(screened: pa.Table) -> pa.Table:
    """Records with a risk level other than none, highest risk first, then most points."""
    flagged = screened.filter(pc.not_equal(screened["risk_level"], "none"))
    rank = pc.index_in(flagged["risk_level"], pa.array(list(RISK_LEVELS)))
    flagged = flagged.append_column("_level_rank", rank)
    flagged = flagged.sort_by(
        [("_level_rank", "ascending"), ("risk_points", "descending"), ("source_row", "ascending")]
    )
    return flagged.drop_columns(["_level_rank"])
