"""The catalogue of official list sources and the choice of active lists, read from YAML.

The catalogue (screening/data/list_sources.yml) says where each list is published and what a
good download looks like; a lists config (``active: [...]``) says which lists are refreshed and
screened. Both are data, so adding a source or a mirror needs no code change.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import yaml

from screening import paths, yaml_files
from screening.errors import ReferenceDataError

DEFAULT_CATALOGUE = paths.PACKAGE_DATA_DIR / "list_sources.yml"
LISTS_CONFIG_NAME = "lists.yml"
"""A lists config in the store folder is used when no ``--config`` is given."""

DEFAULT_MAX_BYTES = 500_000_000
FILE_KINDS = ("csv", "xml", "ods", "json", "zip")
DEFAULT_CONTENT_TYPES: dict[str, tuple[str, ...]] = {
    # servers label the same bytes in many ways; the byte sniff is the real check
    "csv": (
        "text/csv",
        "text/plain",
        "application/csv",
        "text/comma-separated-values",
        "application/vnd.ms-excel",
        "application/octet-stream",
        "binary/octet-stream",
    ),
    "xml": ("application/xml", "text/xml", "application/octet-stream", "binary/octet-stream"),
    "ods": (
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/zip",
        "application/octet-stream",
        "binary/octet-stream",
    ),
    "json": ("application/json", "application/x-ndjson", "text/plain", "application/octet-stream"),
    "zip": (
        "application/zip",
        "application/x-zip-compressed",
        "application/octet-stream",
        "binary/octet-stream",
    ),
}
_SECRET_QUERY_KEYS = frozenset({"token", "key", "apikey", "api_key", "secret", "access_token"})
_PLACEHOLDER = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")


@dataclass(frozen=True)
class SourceFile:
    """One file of a list publication and what its bytes must look like."""

    name: str
    url: str
    kind: str
    content_types: tuple[str, ...]
    min_bytes: int = 1
    max_bytes: int = DEFAULT_MAX_BYTES
    head_contains: str | None = None


@dataclass(frozen=True)
class ListSource:
    """One list as published: its files, parser and the floor a good download must reach."""

    id: str
    title: str
    format: str
    files: tuple[SourceFile, ...]
    provides: tuple[str, ...] = ()
    min_entities: int = 1
    parse_options: Mapping[str, Any] = field(default_factory=dict)
    url_params: Mapping[str, str] = field(default_factory=dict)
    publisher: str | None = None
    landing_page: str | None = None
    licence: str | None = None
    redirect_hosts: tuple[str, ...] = ()
    """Hosts a download may be redirected to besides those of the files' own URLs."""

    def allowed_redirect_hosts(self) -> frozenset[str]:
        """Hosts a redirect may lead to: those of the files' URLs and ``redirect_hosts``."""
        own = {urlsplit(f.url).hostname for f in self.files}
        return frozenset(h.lower() for h in (*own, *self.redirect_hosts) if h)

    def resolved_url(self, file: SourceFile) -> str:
        """The file's URL with ``{NAME}`` placeholders filled (environment first, then default)."""

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            value = os.environ.get(name) or self.url_params.get(name)
            if not value:
                raise ReferenceDataError(
                    f"list {self.id!r}: URL of {file.name} needs {name}; set the environment "
                    f"variable {name} or url_params.{name} in the catalogue"
                )
            return value

        return _PLACEHOLDER.sub(fill, file.url)


def redact_url(url: str) -> str:
    """``url`` with secret-looking query values (token, key, ...) replaced by ``***``."""
    parts = urlsplit(url)
    query = [
        (k, "***" if k.lower() in _SECRET_QUERY_KEYS else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(parts._replace(query=urlencode(query, safe="*")))


def load_list_sources(path: str | Path | None = None) -> dict[str, ListSource]:
    """The catalogue as ``{id: ListSource}``, checked field by field (errors name the entry)."""
    path = Path(path) if path is not None else DEFAULT_CATALOGUE
    data = _read_yaml(path)
    entries = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ReferenceDataError(f"{path}: expected a top-level 'sources' list")
    sources: dict[str, ListSource] = {}
    for position, entry in enumerate(entries, start=1):
        source = _list_source(entry, f"{path}: source #{position}")
        if source.id in sources:
            raise ReferenceDataError(f"{path}: source id {source.id!r} appears twice")
        sources[source.id] = source
    return sources


def read_active_config(path: str | Path) -> list[str]:
    """The ``active:`` ids of a lists config YAML, in order, duplicates dropped."""
    data = _read_yaml(Path(path))
    active = data.get("active") if isinstance(data, dict) else None
    if not isinstance(active, list) or not all(isinstance(i, str) for i in active):
        raise ReferenceDataError(f"{path}: expected 'active: [list ids]' at the top level")
    return list(dict.fromkeys(active))


def check_active_ids(ids: list[str], sources: Mapping[str, ListSource], known: set[str]) -> None:
    """Refuse unknown ids and two active lists that are the authority for one list_source."""
    unknown = [i for i in ids if i not in sources and i not in known]
    if unknown:
        every = ", ".join(sorted(set(sources) | known))
        raise ReferenceDataError(f"unknown list id(s) {', '.join(unknown)}; known: {every}")
    owner: dict[str, str] = {}
    for list_id in ids:
        for list_source in sources[list_id].provides if list_id in sources else ():
            if list_source in owner:
                raise ReferenceDataError(
                    f"lists {owner[list_source]!r} and {list_id!r} both provide {list_source!r}; "
                    "make only one of them active"
                )
            owner[list_source] = list_id


def _read_yaml(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml_files.safe_load(fh)
    except FileNotFoundError as exc:
        raise ReferenceDataError(f"{path}: file not found") from exc
    except yaml.YAMLError as exc:
        raise ReferenceDataError(f"{path}: not valid YAML: {exc}") from exc


def _list_source(entry: Any, where: str) -> ListSource:
    if not isinstance(entry, dict):
        raise ReferenceDataError(f"{where}: expected a mapping")
    for key in ("id", "title", "format", "files"):
        if not entry.get(key):
            raise ReferenceDataError(f"{where}: missing {key!r}")
    where = f"{where} ({entry['id']})"
    if not isinstance(entry["files"], list):
        raise ReferenceDataError(f"{where}: 'files' must be a list")
    files = tuple(_source_file(f, f"{where}, file #{i}") for i, f in enumerate(entry["files"], 1))
    names = [f.name for f in files]
    if len(set(names)) != len(names):
        raise ReferenceDataError(f"{where}: file names must differ, got {names}")
    return ListSource(
        id=str(entry["id"]),
        title=str(entry["title"]),
        format=str(entry["format"]),
        files=files,
        provides=tuple(entry.get("provides") or ()),
        min_entities=int(entry.get("min_entities", 1)),
        parse_options=dict(entry.get("parse_options") or {}),
        url_params={k: str(v) for k, v in (entry.get("url_params") or {}).items()},
        publisher=entry.get("publisher"),
        landing_page=entry.get("landing_page"),
        licence=entry.get("licence"),
        redirect_hosts=tuple(str(h).lower() for h in entry.get("redirect_hosts") or ()),
    )


def _source_file(entry: Any, where: str) -> SourceFile:
    if not isinstance(entry, dict) or not entry.get("name") or not entry.get("url"):
        raise ReferenceDataError(f"{where}: expected a mapping with 'name' and 'url'")
    name = str(entry["name"])
    if Path(name).name != name or name.startswith("."):
        raise ReferenceDataError(f"{where}: file name {name!r} must be a plain file name")
    kind = entry.get("kind")
    if kind not in FILE_KINDS:
        raise ReferenceDataError(f"{where}: kind must be one of {', '.join(FILE_KINDS)}")
    content_types = tuple(entry.get("content_types") or DEFAULT_CONTENT_TYPES[kind])
    return SourceFile(
        name=name,
        url=str(entry["url"]),
        kind=kind,
        content_types=tuple(t.lower() for t in content_types if t.lower() != "text/html"),
        min_bytes=int(entry.get("min_bytes", 1)),
        max_bytes=int(entry.get("max_bytes", DEFAULT_MAX_BYTES)),
        head_contains=entry.get("head_contains"),
    )


def bundled_list_ids(*, active_only: bool = False) -> list[str]:
    """Ids of the lists in reference_lists/manifest.yml (only the active ones if asked)."""
    from screening.lists.store.bundled import load_manifest

    return [
        dataset["id"]
        for dataset in load_manifest()["datasets"]
        if dataset.get("kind") == "sanctions_list"
        and (dataset.get("active", False) or not active_only)
    ]


def resolve_active_ids(
    *,
    config_file: str | Path | None = None,
    store: Path | None = None,
    sources: Mapping[str, ListSource] | None = None,
) -> list[str]:
    """Which lists are refreshed and screened.

    ``config_file`` if given, else ``lists.yml`` in the store folder if present, else the
    bundled manifest's active lists.
    """
    if config_file is not None:
        ids = read_active_config(config_file)
    elif store is not None and (store / LISTS_CONFIG_NAME).is_file():
        ids = read_active_config(store / LISTS_CONFIG_NAME)
    else:
        ids = bundled_list_ids(active_only=True)
    check_active_ids(
        ids, load_list_sources() if sources is None else sources, set(bundled_list_ids())
    )
    return ids


def select_sources(ids: list[str], sources: Mapping[str, ListSource]) -> list[ListSource]:
    """The catalogue entries of ``ids``; an id without an official source is an error."""
    missing = [i for i in ids if i not in sources]
    if missing:
        raise ReferenceDataError(
            f"no official source in the catalogue for {', '.join(missing)}; "
            f"catalogue ids: {', '.join(sources)}"
        )
    return [sources[i] for i in ids]
