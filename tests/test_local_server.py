"""The Prefect server `dualuse serve` starts when none is configured: a free port, for real."""

from __future__ import annotations

import os
import socket

import httpx

from flows.local_server import free_port, local_prefect_server


def test_free_port_is_free_and_not_the_fixed_default() -> None:
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", port))  # nothing else holds it
    assert port > 0


def test_server_starts_on_a_free_port_and_stops(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    # hold a port, as another server on a shared machine would: the helper must not take it
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        with local_prefect_server() as api_url:
            assert os.environ["PREFECT_API_URL"] == api_url
            assert f":{busy}/" not in api_url
            assert httpx.get(f"{api_url}/health", timeout=5).status_code == 200
    assert "PREFECT_API_URL" not in os.environ
    try:
        httpx.get(f"{api_url}/health", timeout=2)
        raise AssertionError("the server is still answering after the block")
    except httpx.HTTPError:
        pass
