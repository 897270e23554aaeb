"""No list server can hold a refresh: deadline, minimum rate, stop on request, redirects.

The local list server (127.0.0.1) plays a server that stalls after its headers, trickles,
or redirects elsewhere; the file served is the bundled UN list, so no ../shared is needed.
Every test is bounded in time: the refresh must end in seconds where it used to hang.
"""

from __future__ import annotations

import dataclasses
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from screening import paths
from screening.lists.store.download import DownloadPolicy, request_stop
from screening.lists.store.refresh import refresh_list, refresh_lists
from screening.lists.store.snapshots import STAGING_DIR, read_active, remove_orphaned_staging
from screening.lists.store.sources import ListSource, load_list_sources
from tests.lists.list_server import ListServer, Route, write_local_catalogue

UN_XML = Path(paths.REFERENCE_DIR) / "un_sc" / "2026-02-27" / "consolidated.xml"
PATH = "un_sc/consolidated.xml"
XML = "application/xml"
QUICK = DownloadPolicy(attempts=4, backoff_seconds=0.01, trust_env=False)


@pytest.fixture(scope="module")
def sources(server: ListServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, ListSource]:
    catalogue = tmp_path_factory.mktemp("catalogue") / "sources.yml"
    return load_list_sources(write_local_catalogue(server, ["un_sc"], catalogue))


@pytest.fixture
def serve(server: ListServer) -> Callable[..., None]:
    """Answer only ``route`` (at the UN list's path unless told), hit counters reset."""

    def answer(route: Route, path: str = PATH) -> None:
        server.routes.clear()
        server.hits.clear()
        server.requested.clear()
        server.serve(path, route)

    return answer


def within(seconds: float) -> dict[str, float]:
    """A policy deadline ``seconds`` from now."""
    return {"deadline_at": time.time() + seconds}


def assert_clean(store: Path) -> None:
    staging = store / STAGING_DIR
    assert not staging.exists() or not list(staging.iterdir()), "partial files left behind"
    assert "un_sc" not in read_active(store)["active"]


def test_a_stall_after_the_headers_ends_at_the_deadline(
    tmp_path: Path, serve: Callable[..., None], sources: dict[str, ListSource]
) -> None:
    serve(Route(UN_XML.read_bytes(), content_type=XML, stall_seconds=60))
    policy = dataclasses.replace(QUICK, read_timeout=120, **within(2))
    started = time.monotonic()
    result = refresh_list("un_sc", store=tmp_path, sources=sources, policy=policy)
    elapsed = time.monotonic() - started
    assert result.status == "failed"
    assert "deadline" in (result.reason or "")
    assert elapsed < 6, f"took {elapsed:.1f} s against a 2 s deadline"
    assert_clean(tmp_path)


def test_a_1_kb_per_second_trickle_is_cut_off(
    tmp_path: Path, server: ListServer, serve: Callable[..., None], sources: dict[str, ListSource]
) -> None:
    serve(Route(UN_XML.read_bytes(), content_type=XML, trickle=(1024, 1.0)))
    policy = dataclasses.replace(QUICK, attempts=1, rate_window_seconds=1.5)
    started = time.monotonic()
    result = refresh_list("un_sc", store=tmp_path, sources=sources, policy=policy)
    elapsed = time.monotonic() - started
    assert result.status == "failed"
    assert "transfer too slow" in (result.reason or "")
    assert "below the minimum 10,000 bytes/s" in (result.reason or "")
    assert elapsed < 6
    assert_clean(tmp_path)


def test_a_trickle_is_retried_only_until_the_deadline(
    tmp_path: Path, server: ListServer, serve: Callable[..., None], sources: dict[str, ListSource]
) -> None:
    serve(Route(UN_XML.read_bytes(), content_type=XML, trickle=(1024, 1.0)))
    policy = dataclasses.replace(QUICK, attempts=50, rate_window_seconds=1.0, **within(4))
    started = time.monotonic()
    result = refresh_list("un_sc", store=tmp_path, sources=sources, policy=policy)
    assert result.status == "failed"
    assert time.monotonic() - started < 8
    assert server.hits[f"/{PATH}"] < 50


def test_stop_on_request_ends_a_blocked_download_at_once(
    tmp_path: Path, server: ListServer, serve: Callable[..., None], sources: dict[str, ListSource]
) -> None:
    serve(Route(UN_XML.read_bytes(), content_type=XML, stall_seconds=60))
    outcome: list = []
    worker = threading.Thread(
        target=lambda: outcome.append(
            refresh_lists(["un_sc"], store=tmp_path, sources=sources, policy=QUICK)
        )
    )
    worker.start()
    assert server.requested.wait(10)
    time.sleep(0.3)  # the client is now blocked reading the body
    assert any((tmp_path / STAGING_DIR).iterdir())  # its staging folder exists
    stopped_at = time.monotonic()
    request_stop()
    worker.join(10)
    took = time.monotonic() - stopped_at
    assert not worker.is_alive()
    assert took < 2, f"stopping took {took:.1f} s"
    [result] = outcome[0]
    assert result.status == "failed" and "stopped on request" in (result.reason or "")
    assert server.hits[f"/{PATH}"] == 1  # a stop is not retried
    assert_clean(tmp_path)


def test_leftovers_of_a_killed_refresh_are_removed_on_the_next_start(
    tmp_path: Path, serve: Callable[..., None], sources: dict[str, ListSource]
) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    left = tmp_path / STAGING_DIR / f"un_sc-2026-01-01T000000Z-{dead.pid}-1"
    left.mkdir(parents=True)
    (left / ".consolidated.xml.part").write_bytes(b"<CONSOLIDATED_LIST")
    (tmp_path / STAGING_DIR / ".stray.part").write_bytes(b"x")
    assert sorted(remove_orphaned_staging(tmp_path)) == [".stray.part", left.name]

    left.mkdir()
    (left / ".consolidated.xml.part").write_bytes(b"<CONSOLIDATED_LIST")
    serve(Route(b"", status=404))
    refresh_lists(["un_sc"], store=tmp_path, sources=sources, policy=QUICK)
    assert not left.exists()


@pytest.mark.parametrize(
    ("location", "words"),
    [
        ("http://169.254.169.254/latest/meta-data/", "redirect to another host '169.254.169.254'"),
        ("http://example.org/consolidated.xml", "redirect to another host 'example.org'"),
        ("file:///etc/passwd", "redirect to a non-HTTP URL 'file:///etc/passwd' refused"),
    ],
)
def test_redirects_elsewhere_are_refused_at_once(
    tmp_path: Path,
    server: ListServer,
    serve: Callable[..., None],
    sources: dict[str, ListSource],
    location: str,
    words: str,
) -> None:
    serve(Route(b"", redirect_to=location))
    started = time.monotonic()
    result = refresh_list("un_sc", store=tmp_path, sources=sources, policy=QUICK)
    assert result.status == "failed"
    assert words in (result.reason or "")
    assert server.hits[f"/{PATH}"] == 1  # permanent: not retried
    assert time.monotonic() - started < 3
    assert_clean(tmp_path)


def test_redirects_on_the_same_host_or_to_a_catalogued_host_are_followed(
    tmp_path: Path, server: ListServer, serve: Callable[..., None], sources: dict[str, ListSource]
) -> None:
    body = UN_XML.read_bytes()
    serve(Route(b"", redirect_to="/mirror/consolidated.xml"))
    server.serve("mirror/consolidated.xml", Route(body, content_type=XML))
    result = refresh_list("un_sc", store=tmp_path / "a", sources=sources, policy=QUICK)
    assert result.status == "updated", result.reason

    # another host name for the same server: refused unless the catalogue names it
    port = server.base_url.rsplit(":", 1)[1]
    serve(Route(b"", redirect_to=f"http://localhost:{port}/mirror/consolidated.xml"))
    server.serve("mirror/consolidated.xml", Route(body, content_type=XML))
    refused = refresh_list("un_sc", store=tmp_path / "b", sources=sources, policy=QUICK)
    assert refused.status == "failed" and "'localhost'" in (refused.reason or "")
    listed = {"un_sc": dataclasses.replace(sources["un_sc"], redirect_hosts=("localhost",))}
    followed = refresh_list("un_sc", store=tmp_path / "c", sources=listed, policy=QUICK)
    assert followed.status == "updated", followed.reason
