"""The snapshot store: dated, hash-checked copies of each list and which copy is active.

Layout (``<store>`` = ``$DUALUSE_DATA_DIR/lists``, default ``~/.local/share/dualuse/lists``)::

    <store>/active.json                      active snapshot per list + refresh log
    <store>/lists.yml                        optional lists config (``active: [ids]``)
    <store>/<list_id>/<YYYY-MM-DDTHHMMSSZ>/  one complete snapshot: the list files as
        snapshot.json                        downloaded, their sha256, counts, parser, version
        diff/from_<previous>.csv             what changed against the previous version
    <store>/.staging/   downloads in progress  (never read as snapshots)
    <store>/.rejected/  the last refused downloads per list, with the reason, for inspection

A snapshot folder appears in one ``os.rename`` of a complete staging folder, and active.json is
replaced atomically, so a crash leaves either the old or the new state, never a mix. Loading
re-checks every file's sha256, so a damaged copy is refused rather than screened against.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from screening import paths, progress
from screening.errors import ReferenceDataError
from screening.io.writers import write_json_atomic
from screening.lists.parsers.archives import is_list_archive
from screening.lists.parsers.registry import (
    FORMATS,
    detect_list_format,
    keep_newest_versions,
    parse_archive,
)
from screening.lists.store.bundled import load_manifest, sha256_of
from screening.lists.store.sources import (
    ListSource,
    bundled_list_ids,
    check_active_ids,
    load_list_sources,
    resolve_active_ids,
)
from screening.schema import LIST_ENTRY_SCHEMA, empty_table

ACTIVE_NAME = "active.json"
SNAPSHOT_NAME = "snapshot.json"
DIFF_DIR = "diff"
STAGING_DIR = ".staging"
REJECTED_DIR = ".rejected"
STAMP_FORMAT = "%Y-%m-%dT%H%M%SZ"
LOG_LIMIT = 1000
"""Refresh-log entries kept in active.json (oldest dropped first)."""
REJECTED_KEPT = 3
"""Refused downloads kept per list under .rejected/."""

PARSED_KEPT = 8
"""Parsed list tables kept in memory per process (by content)."""

_thread_lock = threading.Lock()
_parsed: dict[tuple[Any, ...], pa.Table] = {}


def default_store() -> Path:
    """``$DUALUSE_DATA_DIR/lists``, by default ``~/.local/share/dualuse/lists``."""
    return paths.data_dir() / "lists"


def resolve_store(store: str | Path | None) -> Path:
    return Path(store) if store is not None else default_store()


def utc_stamp(moment: datetime) -> str:
    """Folder name of a snapshot retrieved at ``moment``: ``2026-03-01T020000Z``."""
    return moment.astimezone(UTC).strftime(STAMP_FORMAT)


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Exclusive lock on ``path`` across threads and processes (flock; msvcrt on Windows)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        if os.name == "nt":  # pragma: no cover - exercised on Windows only
            import msvcrt

            msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
        else:
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            if os.name == "nt":  # pragma: no cover
                import msvcrt

                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
            else:
                import fcntl

                fcntl.flock(handle, fcntl.LOCK_UN)


def read_active(store: Path) -> dict[str, Any]:
    """active.json as a dict (an empty manifest when the store has none yet)."""
    path = store / ACTIVE_NAME
    if not path.exists():
        return {"store_version": 1, "active": {}, "refresh_log": []}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ReferenceDataError(f"{path}: unreadable store manifest: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("active"), dict):
        raise ReferenceDataError(f"{path}: expected an object with an 'active' mapping")
    data.setdefault("refresh_log", [])
    return data


def update_active(store: Path, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Apply ``change`` to active.json under the store lock and write it back atomically."""
    with file_lock(store / ".lock"):
        manifest = read_active(store)
        change(manifest)
        manifest["refresh_log"] = manifest["refresh_log"][-LOG_LIMIT:]
        manifest["updated_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        write_json_atomic(manifest, store / ACTIVE_NAME)
        return manifest


def store_has_active_lists(store: str | Path | None = None) -> bool:
    """Whether the store holds at least one active snapshot (then screening should use it)."""
    store = resolve_store(store)
    return (store / ACTIVE_NAME).is_file() and bool(read_active(store)["active"])


def active_snapshot_dir(store: Path, list_id: str) -> Path | None:
    entry = read_active(store)["active"].get(list_id)
    return None if entry is None else store / list_id / entry["snapshot"]


def read_snapshot_meta(snapshot_dir: Path) -> dict[str, Any]:
    path = snapshot_dir / SNAPSHOT_NAME
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ReferenceDataError(f"{path}: unreadable snapshot record: {exc}") from exc


def verify_snapshot(snapshot_dir: Path) -> dict[str, Any]:
    """The snapshot record, after checking every file against its sha256 (else an error)."""
    meta = read_snapshot_meta(snapshot_dir)
    for entry in meta["files"]:
        path = snapshot_dir / entry["name"]
        if not path.is_file():
            raise ReferenceDataError(f"{path}: file of snapshot {snapshot_dir.name} is missing")
        actual = sha256_of(path)
        if actual != entry["sha256"]:
            raise ReferenceDataError(
                f"{path}: sha256 {actual} does not match snapshot.json's {entry['sha256']}; "
                "the copy is damaged. Run `dualuse lists refresh` for a fresh one"
            )
    return meta


def parse_entry_file(
    entry: Path,
    list_format: str,
    *,
    list_version: str | None = None,
    options: Mapping[str, Any] | None = None,
) -> pa.Table:
    """Parse one list publication with its registered parser (``auto`` = detect the format).

    A ZIP archive (OFAC's CONS_ENHANCED.ZIP) is unpacked within limits and its list file parsed.
    """
    if list_format != "auto" and list_format not in FORMATS:
        raise ReferenceDataError(
            f"{entry}: list format {list_format!r} is not registered; known: {', '.join(FORMATS)}"
        )
    if is_list_archive(entry):
        return parse_archive(
            entry,
            None if list_format == "auto" else list_format,
            list_version=list_version,
            options=dict(options or {}),
        )
    name = detect_list_format(entry) if list_format == "auto" else list_format
    return FORMATS[name].parse(entry, list_version=list_version, **dict(options or {}))


def load_snapshot(snapshot_dir: str | Path, *, verify: bool = True) -> pa.Table:
    """The canonical table of one snapshot folder (sha256 checked first unless ``verify=False``).

    Parsed tables are kept per process by content (format, version, sha256 of every file), so
    the refresh's diff and the screening that follows parse a snapshot once.
    """
    snapshot_dir = Path(snapshot_dir)
    meta = verify_snapshot(snapshot_dir) if verify else read_snapshot_meta(snapshot_dir)
    version = meta.get("list_version") if meta.get("list_version_from") != "content" else None
    options = meta.get("parse_options") or {}
    key = (
        meta["format"],
        version,
        json.dumps(options, sort_keys=True),
        tuple((f["name"], f["sha256"]) for f in meta["files"]),
    )
    return _cached(
        key,
        lambda: parse_entry_file(
            snapshot_dir / meta["files"][0]["name"],
            meta["format"],
            list_version=version,
            options=options,
        ),
    )


def _cached(key: tuple[Any, ...], parse: Callable[[], pa.Table]) -> pa.Table:
    """``parse()`` once per key; the oldest entries go beyond PARSED_KEPT."""
    with _thread_lock:
        if key in _parsed:
            return _parsed[key]
    table = parse()
    with _thread_lock:
        _parsed[key] = table
        while len(_parsed) > PARSED_KEPT:
            _parsed.pop(next(iter(_parsed)))
    return table


def load_list_path(path: str | Path) -> pa.Table:
    """A snapshot folder (checked against its snapshot.json) or any supported list file/folder."""
    from screening.lists.parsers.registry import parse_list_files

    path = Path(path)
    if path.is_dir() and (path / SNAPSHOT_NAME).is_file():
        return load_snapshot(path)
    return parse_list_files([path])


def load_bundled_list(list_id: str) -> pa.Table | None:
    """The bundled copy of ``list_id`` from reference_lists/ (hash-checked), or None."""
    from screening import paths
    from screening.lists.store.bundled import verify_reference_files

    dataset = next(
        (
            d
            for d in load_manifest()["datasets"]
            if d["id"] == list_id and d.get("kind") == "sanctions_list"
        ),
        None,
    )
    if dataset is None:
        return None
    verify_reference_files()
    version = None if dataset.get("list_version") is None else str(dataset["list_version"])
    entry = Path(paths.REFERENCE_DIR) / dataset["files"][0]["path"]
    key = (dataset["format"], version, "bundled", tuple(f["sha256"] for f in dataset["files"]))
    return _cached(key, lambda: parse_entry_file(entry, dataset["format"], list_version=version))


def combine_lists(tables: Mapping[str, pa.Table], sources: Mapping[str, ListSource]) -> pa.Table:
    """One table from several lists: a list_source comes from the list that provides it.

    The CSL carries SDN rows too; with the OFAC SDN list active, only the latter's are kept.
    Among lists that do not provide a list_source, the newest version wins.
    """
    authority = {
        list_source: list_id
        for list_id in tables
        for list_source in (sources[list_id].provides if list_id in sources else ())
    }
    kept = []
    for list_id, table in tables.items():
        owned_elsewhere = [s for s, owner in authority.items() if owner != list_id]
        if owned_elsewhere:
            table = table.filter(
                pc.invert(pc.is_in(table["list_source"], pa.array(owned_elsewhere)))
            )
        kept.append(table)
    if not kept:
        return empty_table(LIST_ENTRY_SCHEMA)
    return keep_newest_versions(pa.concat_tables(kept))


def load_active_lists(
    store: str | Path | None = None,
    *,
    lists: list[str] | None = None,
    config_file: str | Path | None = None,
    sources_file: str | Path | None = None,
) -> pa.Table:
    """The active lists as one LIST_ENTRY_SCHEMA table, for screening.

    Each active list (``lists``, else the lists config, else the bundled manifest's active
    ones) comes from its active snapshot in the store, hash-checked; a list never refreshed
    falls back to its bundled copy; a list with neither is an error, never silently skipped.
    Each snapshot is parsed once per process (see :func:`load_snapshot`).
    """
    store = resolve_store(store)
    sources = load_list_sources(sources_file)
    if lists is None:
        ids = resolve_active_ids(config_file=config_file, store=store, sources=sources)
    else:
        ids = list(dict.fromkeys(lists))
        check_active_ids(ids, sources, set(bundled_list_ids()))
    active = read_active(store)["active"]
    tables: dict[str, pa.Table] = {}
    advance = progress.counter("Parsing lists", total=len(ids))
    for list_id in ids:
        advance(1)
        if list_id in active:
            tables[list_id] = load_snapshot(store / list_id / active[list_id]["snapshot"])
            continue
        bundled = load_bundled_list(list_id)
        if bundled is None:
            raise ReferenceDataError(
                f"list {list_id!r} is active but has no snapshot in {store} and is not bundled; "
                f"run `dualuse lists refresh --list {list_id}`"
            )
        tables[list_id] = bundled
    return combine_lists(tables, sources)


def new_staging_dir(store: Path, list_id: str, stamp: str) -> Path:
    """A fresh folder for one download, on the store's file system (so rename is atomic)."""
    staging = store / STAGING_DIR
    staging.mkdir(parents=True, exist_ok=True)
    remove_orphaned_staging(store)
    _remove_stale(staging, older_than=timedelta(hours=12))
    folder = staging / f"{list_id}-{stamp}-{os.getpid()}-{threading.get_ident()}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    return folder


def remove_orphaned_staging(store: Path, *, including_own: bool = False) -> list[str]:
    """Remove what a killed or crashed refresh left in .staging/ (folders and ``*.part`` files
    of processes that are gone; with ``including_own`` this process's too, when it stops);
    returns the names removed. Called at every start."""
    staging = store / STAGING_DIR
    if not staging.is_dir():
        return []
    removed = []
    for path in staging.iterdir():
        owner = _staging_owner(path.name)
        if owner is not None and owner != os.getpid() and _process_alive(owner):
            continue
        if owner == os.getpid() and not including_own:
            continue  # this process's own download in progress
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path.name)
    return removed


def _staging_owner(name: str) -> int | None:
    """The pid in ``<list_id>-<stamp>-<pid>-<thread>``, or None for anything else."""
    parts = name.rsplit("-", 2)
    return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None


def _process_alive(pid: int) -> bool:
    if os.name == "nt":  # pragma: no cover - signal 0 means CTRL_C there; leave it to the age rule
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def commit_staged(store: Path, list_id: str, staging: Path, stamp: str) -> Path:
    """Move a complete staging folder into place as ``<list_id>/<stamp>`` (one rename)."""
    parent = store / list_id
    parent.mkdir(parents=True, exist_ok=True)
    moment = datetime.strptime(stamp, STAMP_FORMAT).replace(tzinfo=UTC)
    target = parent / stamp
    while target.exists():  # two refreshes within one second: the later one is a second later
        moment += timedelta(seconds=1)
        target = parent / utc_stamp(moment)
    os.rename(staging, target)
    return target


def keep_rejected(store: Path, list_id: str, staging: Path, record: dict[str, Any]) -> Path:
    """Keep a refused download (with why) under .rejected/, pruning all but the newest few."""
    parent = store / REJECTED_DIR / list_id
    parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(record, staging / "rejection.json")
    target = parent / staging.name
    os.rename(staging, target)
    for old in sorted(p for p in parent.iterdir() if p.is_dir())[:-REJECTED_KEPT]:
        shutil.rmtree(old, ignore_errors=True)
    return target


def _remove_stale(folder: Path, *, older_than: timedelta) -> None:
    cutoff = datetime.now(UTC).timestamp() - older_than.total_seconds()
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                shutil.rmtree(path, ignore_errors=True)
        except FileNotFoundError:
            continue
