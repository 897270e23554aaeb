"""The reference data shipped in reference_lists/: manifest, sha256 check and the default lists.

Screening without ``--lists`` uses the manifest's ``active`` lists. Hashes are checked before
parsing so a silently edited or truncated file is refused rather than screened against.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import threading
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from screening import collector, paths, progress, yaml_files
from screening.errors import ReferenceDataError
from screening.io.writers import write_parquet_atomic
from screening.lists.parsers.registry import FORMATS, keep_newest_versions
from screening.schema import LIST_ENTRY_SCHEMA, empty_table

MANIFEST_NAME = "manifest.yml"

_cache: dict[Path, pa.Table] = {}
_cache_lock = threading.Lock()


def _reference_dir() -> Path:
    return Path(paths.REFERENCE_DIR)


def load_manifest() -> dict[str, Any]:
    """reference_lists/manifest.yml as a dict (``datasets``: one entry per dataset)."""
    manifest_path = _reference_dir() / MANIFEST_NAME
    try:
        with open(manifest_path, encoding="utf-8") as fh:
            manifest = yaml_files.safe_load(fh)
    except FileNotFoundError as exc:
        raise ReferenceDataError(f"{manifest_path}: reference manifest not found") from exc
    except yaml.YAMLError as exc:
        raise ReferenceDataError(f"{manifest_path}: not valid YAML: {exc}") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("datasets"), list):
        raise ReferenceDataError(f"{manifest_path}: expected a top-level 'datasets' list")
    return manifest


def sha256_of(path: str | Path) -> str:
    """Hex sha256 of a file's bytes, read in blocks (manifests and run manifests record it)."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def verify_reference_files() -> None:
    """Check every file of the manifest exists and matches its sha256; else ReferenceDataError."""
    root = _reference_dir()
    for dataset in load_manifest()["datasets"]:
        for entry in dataset.get("files", []):
            path = root / entry["path"]
            if not path.is_file():
                raise ReferenceDataError(
                    f"{path}: bundled file of {dataset['id']!r} is missing "
                    f"(reference dir {root}; set DUALUSE_REFERENCE_DIR to use another)"
                )
            actual = sha256_of(path)
            if actual != entry["sha256"]:
                raise ReferenceDataError(
                    f"{path}: sha256 {actual} does not match the manifest's {entry['sha256']}; "
                    "the file was changed or is incomplete. Restore it, or update "
                    "manifest.yml if the change is intended"
                )


def _active_lists() -> list[dict[str, Any]]:
    return [
        dataset
        for dataset in load_manifest()["datasets"]
        if dataset.get("kind") == "sanctions_list" and dataset.get("active", False)
    ]


def bundled_list_paths() -> list[Path]:
    """Entry file of each active list (sdn.csv for the OFAC set: its siblings follow it)."""
    root = _reference_dir()
    return [root / dataset["files"][0]["path"] for dataset in _active_lists()]


@functools.cache
def _parser_code_digest() -> str:
    """Digest of the code and data that shape a parsed list: a change invalidates the cache."""
    package = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256()
    sources = [
        *sorted((package / "lists").rglob("*.py")),
        package / "geo" / "countries.py",
        package / "data" / "country_aliases.csv",
        package / "schema.py",
    ]
    for source in sources:
        digest.update(source.read_bytes())
    return digest.hexdigest()


def _parse_dataset(root: Path, dataset: dict[str, Any]) -> tuple[pa.Table, bool]:
    """Parse one bundled list, through an on-disk Parquet cache keyed by the files' sha256,
    the list version and the parser code (parsing the UK ODS alone takes seconds). Also
    says whether the list was parsed from its files (not read from the cache)."""
    entry_file = root / dataset["files"][0]["path"]
    version = dataset.get("list_version")
    version = None if version is None else str(version)
    key = hashlib.sha256(
        "|".join(
            [dataset["format"], str(version), _parser_code_digest()]
            + [f["sha256"] for f in dataset["files"]]
        ).encode()
    ).hexdigest()[:24]
    cache_file = paths.data_dir() / "cache" / f"{dataset['id']}-{key}.parquet"
    if cache_file.is_file():
        try:
            return pq.read_table(cache_file).cast(LIST_ENTRY_SCHEMA), False
        except (OSError, pa.ArrowInvalid):
            pass  # unreadable cache: parse again and overwrite it
    table = FORMATS[dataset["format"]].parse(entry_file, list_version=version)
    with contextlib.suppress(OSError):  # a read-only data dir only costs speed
        write_parquet_atomic(table, cache_file)
    return table, True


def load_bundled_lists(*, verify: bool = True) -> pa.Table:
    """All active bundled lists as one LIST_ENTRY_SCHEMA table, parsed once per process.

    Each list is parsed by its manifest ``format`` with the manifest's ``list_version``; a
    ``list_source`` present in several lists keeps its newest version's rows only (the OFAC
    SDN file supersedes the older CSL's SDN rows). Callers get the same immutable table.
    """
    root = _reference_dir().resolve()
    if verify:
        verify_reference_files()
    with _cache_lock:
        cached = _cache.get(root)
        if cached is not None:
            return cached
        tables = []
        parsed = False
        advance = progress.counter("Parsing lists", total=len(_active_lists()))
        for dataset in _active_lists():
            advance(1)
            fmt = dataset.get("format")
            if fmt not in FORMATS:
                raise ReferenceDataError(
                    f"{root / MANIFEST_NAME}: list {dataset['id']!r} has unknown format "
                    f"{fmt!r}; known: {', '.join(FORMATS)}"
                )
            table, from_source = _parse_dataset(root, dataset)
            tables.append(table)
            parsed = parsed or from_source
        if parsed:
            collector.collect_parse_cycles()
        if tables:
            table = keep_newest_versions(pa.concat_tables(tables))
        else:
            table = empty_table(LIST_ENTRY_SCHEMA)
        _cache[root] = table
        return table
