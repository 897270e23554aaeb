"""A local HTTP server that plays an official list server, good days and bad days.

Serves real list files on 127.0.0.1 (ephemeral port) and can misbehave the ways real servers
do: cut the body short of its Content-Length, answer 500 a few times first, send an HTML page
with status 200, or say nothing at all. Used by the refresh tests and the flow test, so no test
reaches the internet; the fixtures at the end (a server, two SDN publications) serve both, as a
plugin registered in tests/conftest.py.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from screening.lists.store.sources import DEFAULT_CATALOGUE

HTML_ERROR_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head>"
    b"<body><h1>The list is temporarily unavailable</h1><p>Please try again later.</p>"
    b"</body></html>\n"
)


@dataclass
class Route:
    """What the server answers for one path."""

    body: bytes
    content_type: str | None = "text/csv"
    status: int = 200
    fail_first: int = 0
    """Answer HTTP 500 to this many requests before answering properly."""
    cut_after: int | None = None
    """Announce the full Content-Length but send only this many bytes, then hang up."""
    last_modified: str | None = None
    stall_seconds: float = 0.0
    """Send the headers, then nothing for this long (released early when the server stops)."""
    trickle: tuple[int, float] | None = None
    """Send the body ``bytes`` at a time with ``seconds`` between pieces."""
    redirect_to: str | None = None
    """Answer 302 with this Location instead of the body."""


class ListServer:
    """Routes by path; counts requests and remembers the User-Agents it saw."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.user_agents: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.stopping = threading.Event()
        self.requested = threading.Event()
        """Set at every request: a test waits on it before interrupting a client."""

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def serve(self, path: str, route: Route) -> str:
        with self._lock:
            self.routes["/" + path.lstrip("/")] = route
        return self.url(path)

    def serve_files(self, prefix: str, files: Mapping[str, Path], **options: Any) -> None:
        """Serve each ``name -> file`` under ``/<prefix>/<name>`` with the same options."""
        for name, path in files.items():
            self.serve(f"{prefix}/{name}", Route(path.read_bytes(), **options))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with server._lock:
                    server.hits[self.path] += 1
                    server.user_agents.append(self.headers.get("User-Agent", ""))
                    route = server.routes.get(self.path)
                    count = server.hits[self.path]
                server.requested.set()
                if route is None:
                    self.send_error(404, "Not Found")
                    return
                if count <= route.fail_first:
                    self.send_error(500, "Internal Server Error")
                    return
                if route.redirect_to is not None:
                    self.send_response(302)
                    self.send_header("Location", route.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    self.close_connection = True
                    return
                self.send_response(route.status)
                if route.content_type:
                    self.send_header("Content-Type", route.content_type)
                if route.last_modified:
                    self.send_header("Last-Modified", route.last_modified)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.flush()
                self.close_connection = True
                if route.stall_seconds and server.stopping.wait(route.stall_seconds):
                    return
                body = route.body if route.cut_after is None else route.body[: route.cut_after]
                try:
                    if route.trickle is None:
                        self.wfile.write(body)
                    else:
                        size, pause = route.trickle
                        for start in range(0, len(body), size):
                            self.wfile.write(body[start : start + size])
                            self.wfile.flush()
                            if server.stopping.wait(pause):
                                return
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up, as it should

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def running_list_server() -> Iterator[ListServer]:
    server = ListServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def local_catalogue(server: ListServer, list_ids: list[str]) -> dict[str, Any]:
    """The official catalogue, reduced to ``list_ids``, every URL pointing at ``server``.

    A file ``name`` of list ``id`` is fetched from ``/<id>/<name>``.
    """
    with open(DEFAULT_CATALOGUE, encoding="utf-8") as handle:
        catalogue = yaml.safe_load(handle)
    kept = [s for s in catalogue["sources"] if s["id"] in list_ids]
    for source in kept:
        for file in source["files"]:
            file["url"] = server.url(f"{source['id']}/{file['name']}")
    return {"catalogue_version": catalogue["catalogue_version"], "sources": kept}


def write_local_catalogue(server: ListServer, list_ids: list[str], path: Path) -> Path:
    path.write_text(yaml.safe_dump(local_catalogue(server, list_ids)), encoding="utf-8")
    return path


SDN_SET_FILES = ("sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv")


def sdn_ent_nums(sdn_csv: Path) -> set[str]:
    """The ent_nums of an OFAC sdn.csv, read with the csv module (not the project's parser)."""
    import csv

    with open(sdn_csv, encoding="utf-8", errors="replace", newline="") as handle:
        return {row[0] for row in csv.reader(handle) if row and row[0].strip().isdigit()}


def keep_rows_of(source: Path, target: Path, ent_nums: set[str]) -> Path:
    """Copy an OFAC alt/add/sdn file keeping only the records of ``ent_nums`` (one per line)."""
    lines = source.read_bytes().rstrip(b"\x1a").splitlines(keepends=True)
    kept = [line for line in lines if line.split(b",", 1)[0].decode() in ent_nums]
    target.write_bytes(b"".join(kept) + b"\x1a")
    return target


def make_newer_sdn_set(sanctions_dir: Path, target: Path) -> dict[str, Path]:
    """A newer SDN publication from real files: the 2024-05-03 sdn.csv, with the 2026 alt.csv
    and add.csv cut to its ent_nums (the matching ones were not retrievable, SOURCES.md) and the
    2023-12-28 sdn_comments.csv (rows of delisted parties are ignored by OFAC's own layout)."""
    target.mkdir(parents=True, exist_ok=True)
    ofac = sanctions_dir / "us_ofac"
    sdn = target / "sdn.csv"
    sdn.write_bytes((ofac / "sdn_2024-05-03" / "sdn.csv").read_bytes())
    listed = sdn_ent_nums(sdn)
    files = {"sdn.csv": sdn}
    for name in ("alt.csv", "add.csv"):
        files[name] = keep_rows_of(ofac / "partial_2026-06" / name, target / name, listed)
    comments = target / "sdn_comments.csv"
    comments.write_bytes((ofac / "sdn_set_2023-12-28" / "sdn_comments.csv").read_bytes())
    files["sdn_comments.csv"] = comments
    return files


@pytest.fixture(scope="module")
def server() -> Iterator[ListServer]:
    with running_list_server() as running:
        yield running


@pytest.fixture(scope="module")
def sdn_v1() -> dict[str, Path]:
    """The real 2023-12-28 SDN publication."""
    from tests.conftest import shared_path

    folder = shared_path("sanctions", "us_ofac", "sdn_set_2023-12-28")
    return {name: folder / name for name in SDN_SET_FILES}


@pytest.fixture(scope="module")
def sdn_v2(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A newer SDN publication made from real files (make_newer_sdn_set)."""
    from tests.conftest import shared_path

    shared_path("sanctions", "us_ofac", "partial_2026-06", "alt.csv")
    return make_newer_sdn_set(shared_path("sanctions"), tmp_path_factory.mktemp("sdn_v2"))
