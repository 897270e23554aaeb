"""A Prefect server for `dualuse serve` on a free local port, when none is configured.

Why: the README told users to start ``prefect server start`` on the fixed port 4200, which
clashes with any other Prefect server (or anything else) on a shared machine. When
``PREFECT_API_URL`` is not set, ``dualuse serve`` starts its own server on a port the system
says is free, points the process at it, prints the UI address and stops it on exit.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

HOST = "127.0.0.1"
STARTUP_TIMEOUT_SECONDS = 120.0


def free_port(host: str = HOST) -> int:
    """A TCP port nothing listens on now (the system's choice for port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Prefect server exited with status {process.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the Prefect server at {url} did not answer within {timeout:.0f} s")


@contextmanager
def local_prefect_server(
    port: int | None = None, timeout: float = STARTUP_TIMEOUT_SECONDS
) -> Iterator[str]:
    """Start ``prefect server start`` on ``port`` (default: a free one); yields its API URL
    with PREFECT_API_URL set to it for this process, and stops the server afterwards."""
    port = port or free_port()
    api_url = f"http://{HOST}:{port}/api"
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", HOST, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    previous = os.environ.get("PREFECT_API_URL")
    try:
        _wait_healthy(api_url, process, timeout)
        os.environ["PREFECT_API_URL"] = api_url
        yield api_url
    finally:
        if previous is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = previous
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
