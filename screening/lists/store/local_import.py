"""Activate list files that are already on disk, as a refresh would have activated a download.

Air-gapped sites copy the official files over by hand, and mirrors publish them on an intranet
share: ``dualuse lists import FILE... --list ID`` stages the given files the way
:func:`screening.lists.store.refresh.download_list` stages a download, then hands them to the
same :func:`~screening.lists.store.refresh.activate_download`, so an imported file passes the
very checks a downloaded one does (bytes sniffed, parsed, structure, entity floor, shrink
guard, diff) and the last good snapshot stays active when it does not.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterable, Mapping
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from screening.errors import ListParseError, ReferenceDataError
from screening.lists.parsers.archives import is_list_archive, unpacked
from screening.lists.store.download import DownloadedFile
from screening.lists.store.refresh import (
    DEFAULT_MAX_SHRINK,
    RefreshResult,
    StagedDownload,
    activate_download,
)
from screening.lists.store.snapshots import new_staging_dir, resolve_store, utc_stamp
from screening.lists.store.sources import ListSource, load_list_sources

_CHUNK = 1 << 20


def import_list_files(
    list_id: str,
    files: Iterable[str | Path],
    *,
    store: str | Path | None = None,
    sources: Mapping[str, ListSource] | None = None,
    max_shrink: float = DEFAULT_MAX_SHRINK,
    list_version: str | None = None,
) -> RefreshResult:
    """Stage local copies of ``list_id``'s files and activate them if they check out.

    A ZIP archive given for a list not published as one is unpacked (within limits) and its
    members taken as the files. Files are matched to the catalogue's file names (``sdn.csv``,
    ``alt.csv``...; case does not matter). A single file under another name stands for the
    list's first file (a renamed ``sdn_2024-05-03.csv``). The first file is required; the
    others may be left out when the parser does without them. ``list_version`` names the
    version when the file does not say (else the file's modification date is used, as a
    server's Last-Modified would be).
    Returns ``updated``, ``unchanged`` or ``rejected`` with the reason, like a refresh.
    """
    sources = load_list_sources() if sources is None else sources
    if list_id not in sources:
        raise ReferenceDataError(
            f"unknown list id {list_id!r}; the catalogue knows: {', '.join(sources)}"
        )
    source = sources[list_id]
    store = resolve_store(store)
    imported_at = datetime.now(UTC).replace(microsecond=0)
    with ExitStack() as unpacking:
        origin: dict[Path, str] = {}
        for path in map(Path, files):
            origin |= _files_of(path, source, unpacking)
        named = assign_file_names(source, list(origin))
        folder = new_staging_dir(store, source.id, utc_stamp(imported_at))
        try:
            staged = tuple(
                _copy_in(path, folder / name, origin[path]) for name, path in named.items()
            )
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
    return activate_download(
        StagedDownload(source.id, folder, staged, imported_at, list_version=list_version),
        source,
        store=store,
        max_shrink=max_shrink,
    )


def _files_of(path: Path, source: ListSource, unpacking: ExitStack) -> dict[Path, str]:
    """``{file: where it came from}``: ``path`` itself, or the members of a ZIP archive
    (unpacked within the limits of screening.lists.parsers.archives) when the list is not
    published as a ZIP (``file:///…/set.zip!/sdn.csv``)."""
    uri = path.resolve().as_uri()
    if source.files[0].kind != "zip" and is_list_archive(path):
        try:
            members = unpacking.enter_context(unpacked(path))
        except ListParseError as error:
            raise ReferenceDataError(str(error)) from error
        return {member: f"{uri}!/{member.name}" for member in members}
    return {path: uri}


def assign_file_names(source: ListSource, paths: list[Path]) -> dict[str, Path]:
    """``{catalogue file name: given path}``, the list's first file first; errors say what fits."""
    expected = [f.name for f in source.files]
    if not paths:
        raise ReferenceDataError(f"no file given for list {source.id!r}")
    for path in paths:
        if not path.is_file():
            raise ReferenceDataError(f"{path}: not a file")
    by_lower = {name.lower(): name for name in expected}
    named: dict[str, Path] = {}
    unmatched: list[Path] = []
    for path in paths:
        name = by_lower.get(path.name.lower())
        if name is None:
            unmatched.append(path)
        elif name in named:
            raise ReferenceDataError(f"{named[name]} and {path} both stand for {name}")
        else:
            named[name] = path
    if unmatched and len(paths) == 1:
        named[expected[0]] = unmatched.pop()
    if unmatched:
        raise ReferenceDataError(
            f"list {source.id!r} is published as {', '.join(expected)}; cannot tell which of "
            f"these {', '.join(str(p) for p in unmatched)} is (rename it to the published name)"
        )
    if expected[0] not in named:
        raise ReferenceDataError(
            f"list {source.id!r} needs its first file {expected[0]}; given: "
            f"{', '.join(p.name for p in paths)}"
        )
    return {name: named[name] for name in expected if name in named}


def _copy_in(path: Path, target: Path, origin: str) -> DownloadedFile:
    """Copy ``path`` to ``target`` (complete or not at all), hashing what was written."""
    partial = target.with_name(f".{target.name}.part")
    digest = hashlib.sha256()
    size = 0
    try:
        with open(path, "rb") as source, open(partial, "wb") as handle:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                handle.write(chunk)
                size += len(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return DownloadedFile(
        name=target.name,
        path=target,
        url=origin,
        sha256=digest.hexdigest(),
        size=size,
        content_type=None,
        last_modified=modified.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
