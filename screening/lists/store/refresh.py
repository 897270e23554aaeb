"""Refresh the reference lists from their official URLs without ever losing the last good copy.

A refresh of one list is: download every file into a staging folder (:func:`download_list`),
then :func:`activate_download`: check the bytes (size, Content-Type, sniff), parse with the
registered parser, check the structure and that the list did not shrink by more than
``max_shrink`` against the active version, diff against it, and only then move the folder into
the store and make it active. Anything that fails is recorded in the store's refresh log with
the reason, and the previous version stays active. The Prefect flow (flows/refresh_lists.py)
and ``dualuse lists refresh`` call these same functions.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import httpx
import pyarrow as pa
import pyarrow.compute as pc

from screening.errors import ReferenceDataError, ScreeningError
from screening.io.writers import write_csv_atomic, write_json_atomic
from screening.lists.parsers.registry import FORMATS
from screening.lists.store.bundled import load_manifest
from screening.lists.store.diff import diff_counts, diff_lists
from screening.lists.store.download import (
    DEFAULT_DEADLINE_SECONDS,
    DownloadedFile,
    DownloadError,
    DownloadPolicy,
    clear_stop,
    content_type_problem,
    download_file,
    sniff_problem,
)
from screening.lists.store.snapshots import (
    DIFF_DIR,
    SNAPSHOT_NAME,
    STAMP_FORMAT,
    active_snapshot_dir,
    commit_staged,
    file_lock,
    keep_rejected,
    load_bundled_list,
    load_snapshot,
    new_staging_dir,
    parse_entry_file,
    read_active,
    read_snapshot_meta,
    remove_orphaned_staging,
    resolve_store,
    update_active,
    utc_stamp,
)
from screening.lists.store.sources import ListSource, load_list_sources, resolve_active_ids
from screening.schema import LIST_ENTRY_SCHEMA

DEFAULT_MAX_SHRINK = 0.2
"""A new version with over 20 % fewer entities than the active one is refused as suspicious."""
SHRINK_CHECK_MIN_ENTITIES = 50
"""Per list_source, the shrink check applies from this many entities in the active version."""

RefreshStatus = Literal["updated", "unchanged", "rejected", "failed"]


class ListValidationError(ScreeningError):
    """A downloaded list is not fit to replace the active one; the message says why."""


@dataclass(frozen=True)
class StagedDownload:
    """The complete files of one list, in a staging folder, not yet checked."""

    list_id: str
    folder: Path
    files: tuple[DownloadedFile, ...]
    retrieved_at: datetime
    list_version: str | None = None
    """The version as stated by whoever supplied the files (``lists import --list-version``);
    used when the file itself does not say."""


@dataclass(frozen=True)
class RefreshResult:
    """What one refresh of one list did, and why. Also the refresh-log entry."""

    list_id: str
    status: RefreshStatus
    reason: str | None
    active_snapshot: str | None
    """The snapshot active after this refresh (the previous one unless ``updated``)."""
    at: str
    new_snapshot: str | None = None
    list_version: str | None = None
    entities: int | None = None
    names: int | None = None
    previous: str | None = None
    previous_entities: int | None = None
    diff_file: str | None = None
    diff: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def list_stats(table: pa.Table) -> dict[str, Any]:
    """Entities, names and entities with a Russian INN, in total and per list_source."""

    def counts(part: pa.Table) -> dict[str, int]:
        ids, identifiers = part["source_id"].combine_chunks(), part["identifiers"].combine_chunks()
        with_inn = pc.equal(pc.struct_field(pc.list_flatten(identifiers), "scheme"), "INN")
        owners = ids.take(pc.list_parent_indices(identifiers)).filter(with_inn)
        return {
            "entities": len(pc.unique(ids)),
            "names": part.num_rows,
            "inn_entities": len(pc.unique(owners)),
        }

    by_source = {
        source: counts(table.filter(pc.equal(table["list_source"], source)))
        for source in sorted(pc.unique(table["list_source"]).to_pylist())
    }
    totals = {
        k: sum(c[k] for c in by_source.values()) for k in ("entities", "names", "inn_entities")
    }
    return {**totals, "by_source": by_source}


def download_list(
    source: ListSource,
    *,
    store: str | Path | None = None,
    policy: DownloadPolicy | None = None,
    client: httpx.Client | None = None,
) -> StagedDownload:
    """Download every file of ``source`` into a fresh staging folder of the store.

    Raises DownloadError (``transient`` says whether a later retry may help); nothing is left
    behind on failure.
    """
    store = resolve_store(store)
    policy = policy or DownloadPolicy()
    retrieved_at = datetime.now(UTC).replace(microsecond=0)
    folder = new_staging_dir(store, source.id, utc_stamp(retrieved_at))
    own_client = client is None
    http = policy.client() if client is None else client
    try:
        files = tuple(
            download_file(
                http,
                source.resolved_url(file),
                folder / file.name,
                file=file,
                policy=policy,
                redirect_hosts=source.allowed_redirect_hosts(),
            )
            for file in source.files
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        if own_client:
            http.close()
    return StagedDownload(source.id, folder, files, retrieved_at)


def activate_download(
    staged: StagedDownload,
    source: ListSource,
    *,
    store: str | Path | None = None,
    max_shrink: float = DEFAULT_MAX_SHRINK,
) -> RefreshResult:
    """Check a staged download and make it the active snapshot, or keep the current one.

    Returns ``updated`` (new snapshot active, diff written), ``unchanged`` (same bytes as the
    active snapshot) or ``rejected`` (with the reason; the download is kept under .rejected/).
    The staging folder is gone afterwards in every case.
    """
    store = resolve_store(store)
    with file_lock(store / source.id / ".lock"):
        try:
            return _activate(staged, source, store, max_shrink)
        finally:
            shutil.rmtree(staged.folder, ignore_errors=True)


def record_failure(
    list_id: str,
    error: BaseException,
    *,
    store: str | Path | None = None,
    stage: str = "download",
) -> RefreshResult:
    """Log a refresh that failed for good at ``stage``; the active snapshot stays as it is."""
    store = resolve_store(store)
    reason = error.reason if isinstance(error, DownloadError) else str(error)
    url = f" ({error.url})" if isinstance(error, DownloadError) else ""
    result = RefreshResult(
        list_id=list_id,
        status="failed",
        reason=f"{stage} failed{url}: {reason}",
        active_snapshot=_active_stamp(store, list_id),
        at=_now(),
    )
    _log(store, result)
    return result


def refresh_list(
    list_id: str,
    *,
    store: str | Path | None = None,
    sources: Mapping[str, ListSource] | None = None,
    max_shrink: float = DEFAULT_MAX_SHRINK,
    policy: DownloadPolicy | None = None,
    client: httpx.Client | None = None,
) -> RefreshResult:
    """Download, check and (if good) activate one list; never raises for a bad download."""
    sources = load_list_sources() if sources is None else sources
    if list_id not in sources:
        raise ReferenceDataError(
            f"no official source for list {list_id!r} in the catalogue; known: {', '.join(sources)}"
        )
    source = sources[list_id]
    try:
        staged = download_list(source, store=store, policy=policy, client=client)
    except (DownloadError, ReferenceDataError) as error:
        return record_failure(list_id, error, store=store)
    return activate_download(staged, source, store=store, max_shrink=max_shrink)


def refresh_lists(
    list_ids: list[str] | None = None,
    *,
    store: str | Path | None = None,
    sources: Mapping[str, ListSource] | None = None,
    config_file: str | Path | None = None,
    max_shrink: float = DEFAULT_MAX_SHRINK,
    policy: DownloadPolicy | None = None,
) -> list[RefreshResult]:
    """Refresh ``list_ids`` (default: the active lists of the config), one after the other,
    within DEFAULT_DEADLINE_SECONDS unless ``policy`` says otherwise."""
    store = resolve_store(store)
    clear_stop()
    remove_orphaned_staging(store)
    sources = load_list_sources() if sources is None else sources
    ids = list_ids or resolve_active_ids(config_file=config_file, store=store, sources=sources)
    policy = policy or DownloadPolicy(deadline_at=time.time() + DEFAULT_DEADLINE_SECONDS)
    with policy.client() as client:
        return [
            refresh_list(
                list_id,
                store=store,
                sources=sources,
                max_shrink=max_shrink,
                policy=policy,
                client=client,
            )
            for list_id in ids
        ]


def describe_active_lists(
    store: str | Path | None = None,
    *,
    config_file: str | Path | None = None,
    sources: Mapping[str, ListSource] | None = None,
) -> list[dict[str, Any]]:
    """One row per active list: where it comes from (store snapshot or bundled copy), its
    version and date, entity/name counts, entities with an INN, and the last refresh attempt."""
    store = resolve_store(store)
    sources = load_list_sources() if sources is None else sources
    manifest = read_active(store)
    bundled = {d["id"]: d for d in load_manifest()["datasets"] if d.get("kind") == "sanctions_list"}
    last_attempt: dict[str, dict[str, Any]] = {}
    for entry in manifest["refresh_log"]:
        last_attempt[entry["list_id"]] = entry
    rows = []
    for list_id in resolve_active_ids(config_file=config_file, store=store, sources=sources):
        row: dict[str, Any] = {"list_id": list_id, "last_refresh": last_attempt.get(list_id)}
        if list_id in manifest["active"]:
            meta = read_snapshot_meta(store / list_id / manifest["active"][list_id]["snapshot"])
            row |= {
                "origin": "store",
                "snapshot": meta["snapshot"],
                "list_version": meta["list_version"],
                "date": meta["retrieved_at"],
                **{k: meta["stats"][k] for k in ("entities", "names", "inn_entities")},
            }
        elif list_id in bundled:
            stats = list_stats(load_bundled_list(list_id))  # type: ignore[arg-type]
            row |= {
                "origin": "bundled",
                "snapshot": str(Path(bundled[list_id]["files"][0]["path"]).parent),
                "list_version": str(bundled[list_id].get("list_version")),
                "date": str(bundled[list_id].get("snapshot_date")),
                **{k: stats[k] for k in ("entities", "names", "inn_entities")},
            }
        else:
            row |= {"origin": "missing", "snapshot": None, "list_version": None, "date": None}
        rows.append(row)
    return rows


# --- activation steps ---------------------------------------------------------------------------


class _Previous:
    """The version a download is checked and diffed against; parsed only when needed."""

    def __init__(
        self,
        label: str,
        load: Callable[[], pa.Table],
        *,
        sha256: dict[str, str] | None = None,
        stats: dict[str, Any] | None = None,
    ) -> None:
        self.label, self.sha256, self._load, self._stats = label, sha256, load, stats
        self.note: str | None = None

    @cached_property
    def table(self) -> pa.Table | None:
        try:
            return self._load()
        except ScreeningError as error:  # a damaged copy: counts still compare, no diff
            self.note = f"previous version unreadable, no diff: {error}"
            return None

    @cached_property
    def stats(self) -> dict[str, Any]:
        if self._stats is not None:
            return self._stats
        return list_stats(self.table) if self.table is not None else {"entities": 0}


def _activate(
    staged: StagedDownload, source: ListSource, store: Path, max_shrink: float
) -> RefreshResult:
    previous = _previous_version(store, source.id)
    base = {"list_id": source.id, "at": _now(), "active_snapshot": _active_stamp(store, source.id)}
    downloaded = {f.name: f.sha256 for f in staged.files}
    if previous is not None and previous.sha256 == downloaded:
        result = RefreshResult(
            status="unchanged",
            reason="same bytes as the active snapshot",
            previous=previous.label,
            **base,
        )
        _log(store, result)
        return result
    try:
        table, list_version, version_from = _validated_table(staged, source)
        stats = list_stats(table)
        _check_counts(stats, source, previous, max_shrink)
    except ListValidationError as error:
        result = RefreshResult(
            status="rejected",
            reason=str(error),
            previous=previous.label if previous else None,
            previous_entities=previous.stats["entities"] if previous else None,
            **base,
        )
        keep_rejected(store, source.id, staged.folder, result.to_dict())
        _log(store, result)
        return result

    stamp = utc_stamp(staged.retrieved_at)
    diff_info: dict[str, int] = {}
    diff_name = None
    if previous is not None and previous.table is not None:
        diff = diff_lists(previous.table, table)
        diff_info = diff_counts(diff)
        diff_name = f"{DIFF_DIR}/from_{previous.label.replace(':', '_')}.csv"
        write_csv_atomic(diff, staged.folder / diff_name)
    meta = {
        "snapshot_version": 1,
        "list_id": source.id,
        "snapshot": stamp,
        "title": source.title,
        "format": source.format,
        "parser": _parser_name(source.format),
        "parse_options": dict(source.parse_options),
        "retrieved_at": staged.retrieved_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "list_version": list_version,
        "list_version_from": version_from,
        "stats": stats,
        "files": [
            {
                "name": f.name,
                "url": f.url,
                "sha256": f.sha256,
                "bytes": f.size,
                "content_type": f.content_type,
                "last_modified": f.last_modified,
            }
            for f in staged.files
        ],
        "previous": previous.label if previous else None,
        "previous_note": previous.note if previous else None,
        "diff": {"file": diff_name, **diff_info} if diff_name else None,
    }
    write_json_atomic(meta, staged.folder / SNAPSHOT_NAME)
    final = commit_staged(store, source.id, staged.folder, stamp)
    meta["snapshot"] = final.name
    if final.name != stamp:
        write_json_atomic(meta, final / SNAPSHOT_NAME)
    result = RefreshResult(
        list_id=source.id,
        status="updated",
        reason=None,
        active_snapshot=final.name,
        at=base["at"],
        new_snapshot=final.name,
        list_version=list_version,
        entities=stats["entities"],
        names=stats["names"],
        previous=previous.label if previous else None,
        previous_entities=previous.stats["entities"] if previous else None,
        diff_file=str(final / diff_name) if diff_name else None,
        diff=diff_info,
    )

    def activate(manifest: dict[str, Any]) -> None:
        manifest["active"][source.id] = {
            "snapshot": final.name,
            "list_version": list_version,
            "entities": stats["entities"],
            "activated_at": result.at,
        }
        manifest["refresh_log"].append(result.to_dict())

    update_active(store, activate)
    return result


def _validated_table(staged: StagedDownload, source: ListSource) -> tuple[pa.Table, str, str]:
    """The parsed download, its list_version and where that came from, after the byte and
    structure checks; ListValidationError if unfit."""
    by_name = {f.name: f for f in staged.files}
    for spec in source.files:
        got = by_name.get(spec.name)
        if got is None:  # an import without the optional files (a download has them all)
            continue
        if got.size == 0:
            raise ListValidationError(f"{spec.name}: empty body (0 bytes) from {got.url}")
        problem = content_type_problem(got.content_type, spec) or sniff_problem(got.path, spec)
        if problem:
            raise ListValidationError(f"{spec.name}: {problem}")
        if got.size < spec.min_bytes:
            raise ListValidationError(
                f"{spec.name}: only {got.size:,} bytes, expected at least {spec.min_bytes:,}"
            )
    if source.format != "auto" and source.format not in FORMATS:
        raise ListValidationError(
            f"list format {source.format!r} is not registered (parsers: {', '.join(FORMATS)})"
        )
    entry = staged.folder / source.files[0].name
    try:
        table = parse_entry_file(entry, source.format, options=source.parse_options)
    except Exception as exc:  # a parser meeting garbage may raise anything: report it, keep going
        raise ListValidationError(f"does not parse as {source.format}: {exc}") from exc
    _check_structure(table, source)
    if table["list_version"].null_count < table.num_rows:
        return table, pc.max(table["list_version"]).as_py(), "content"
    # the file does not say: the version given with it, the server's Last-Modified date (an
    # import: the file's modification date), else the retrieval date
    modified = by_name[source.files[0].name].last_modified
    if staged.list_version:
        version, version_from = staged.list_version, "given"
    else:
        version = (modified or staged.retrieved_at.strftime("%Y-%m-%d"))[:10]
        version_from = "last_modified" if modified else "retrieved"
    column = pa.array([version] * table.num_rows, pa.string())
    position = table.schema.get_field_index("list_version")
    table = table.set_column(position, "list_version", column)
    return table, version, version_from


def _check_structure(table: pa.Table, source: ListSource) -> None:
    missing = [name for name in LIST_ENTRY_SCHEMA.names if name not in table.column_names]
    if missing:
        raise ListValidationError(f"parser output lacks column(s) {', '.join(missing)}")
    if table.num_rows == 0:
        raise ListValidationError("parsed to no entries at all")
    for column in ("list_source", "source_id", "name"):
        nulls = table[column].null_count
        if nulls:
            raise ListValidationError(f"{nulls} parsed row(s) have no {column}")
    found = set(pc.unique(table["list_source"]).to_pylist())
    absent = [s for s in source.provides if s not in found]
    if absent:
        raise ListValidationError(
            f"no entries for {', '.join(absent)} (the catalogue says this list provides them); "
            f"parsed list_source values: {', '.join(sorted(found))}"
        )


def _check_counts(
    stats: dict[str, Any], source: ListSource, previous: _Previous | None, max_shrink: float
) -> None:
    if stats["entities"] < source.min_entities:
        raise ListValidationError(
            f"only {stats['entities']:,} entities, expected at least {source.min_entities:,}"
        )
    if previous is None:
        return
    before, after = previous.stats["entities"], stats["entities"]
    if before and (before - after) / before > max_shrink:
        raise ListValidationError(
            f"suspicious shrink: {after:,} entities against {before:,} in {previous.label} "
            f"(-{(before - after) / before:.0%}, more than the allowed {max_shrink:.0%}); "
            "raise --max-shrink if the publisher really delisted that many"
        )
    for list_source, old in previous.stats.get("by_source", {}).items():
        before = old["entities"]
        after = stats["by_source"].get(list_source, {}).get("entities", 0)
        if before >= SHRINK_CHECK_MIN_ENTITIES and (before - after) / before > max_shrink:
            raise ListValidationError(
                f"suspicious shrink of {list_source}: {after:,} entities against {before:,} in "
                f"{previous.label} (-{(before - after) / before:.0%}, more than the allowed "
                f"{max_shrink:.0%})"
            )


def _previous_version(store: Path, list_id: str) -> _Previous | None:
    """The active snapshot (or, before the first refresh, the bundled copy) to compare with."""
    snapshot_dir = active_snapshot_dir(store, list_id)
    if snapshot_dir is not None:
        meta = read_snapshot_meta(snapshot_dir)
        return _Previous(
            meta["snapshot"],
            lambda: load_snapshot(snapshot_dir),
            sha256={f["name"]: f["sha256"] for f in meta["files"]},
            stats=meta["stats"],
        )
    for dataset in load_manifest()["datasets"]:
        if dataset["id"] == list_id and dataset.get("kind") == "sanctions_list":
            label = f"bundled-{dataset.get('list_version') or dataset.get('snapshot_date')}"
            return _Previous(label, lambda: load_bundled_list(list_id))
    return None


def _parser_name(list_format: str) -> str | None:
    parse = FORMATS[list_format].parse if list_format in FORMATS else None
    return None if parse is None else f"{parse.__module__}.{parse.__qualname__}"


def _active_stamp(store: Path, list_id: str) -> str | None:
    entry = read_active(store)["active"].get(list_id)
    return None if entry is None else entry["snapshot"]


def _log(store: Path, result: RefreshResult) -> None:
    update_active(store, lambda manifest: manifest["refresh_log"].append(result.to_dict()))


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


__all__ = [
    "DEFAULT_MAX_SHRINK",
    "STAMP_FORMAT",
    "ListValidationError",
    "RefreshResult",
    "StagedDownload",
    "activate_download",
    "describe_active_lists",
    "download_list",
    "list_stats",
    "record_failure",
    "refresh_list",
    "refresh_lists",
]
