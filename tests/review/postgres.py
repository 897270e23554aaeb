"""A throwaway PostgreSQL cluster for the tests: initdb in a temp dir, started on a free port.

Uses the server binaries of Debian's ``postgresql`` package (``/usr/lib/postgresql/<v>/bin``)
or whatever ``pg_config --bindir`` / PATH offer. PostgreSQL refuses to run as root, so as root
the cluster belongs to an unprivileged user (``postgres`` when the package created it, else one
made with ``useradd``) and its commands run through ``runuser``. The cluster listens on
127.0.0.1 and on a unix socket inside the temp dir only, trusts local connections, skips
fsync (a test cluster need not survive a power cut) and is stopped and deleted afterwards.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CLUSTER_USER = "postgres"
FALLBACK_USER = "dualuse-pg"
SUPERUSER = "dualuse"


def find_bindir() -> Path | None:
    """The folder holding initdb and pg_ctl, newest PostgreSQL first; None when absent."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True
    )
    pg_config = shutil.which("pg_config")
    if pg_config:
        result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if result.returncode == 0:
            candidates.append(result.stdout.strip())
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(str(Path(initdb).parent))
    for folder in candidates:
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _cluster_user() -> str | None:
    """The unprivileged owner of the cluster when running as root (created if missing)."""
    if os.geteuid() != 0:
        return None
    for name in (CLUSTER_USER, FALLBACK_USER):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", FALLBACK_USER],
        check=True,
        capture_output=True,
    )
    return FALLBACK_USER


def _run(command: list[str], user: str | None) -> subprocess.CompletedProcess[str]:
    full = ["runuser", "-u", user, "--", *command] if user else command
    result = subprocess.run(full, capture_output=True, text=True, timeout=180)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed ({result.returncode}): {result.stderr or result.stdout}"
        )
    return result


@contextmanager
def postgres_cluster(bindir: Path) -> Iterator[str]:
    """Start a cluster; yield a SQLAlchemy URL of its ``postgres`` database (superuser
    ``dualuse``, no password); stop and delete it afterwards."""
    user = _cluster_user()
    root = Path(tempfile.mkdtemp(prefix="dualuse-pg-"))
    data, sockets, log = root / "data", root / "sock", root / "server.log"
    sockets.mkdir()
    if user:
        entry = pwd.getpwnam(user)
        for path in (root, sockets):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    port = free_port()
    try:
        _run(
            [
                str(bindir / "initdb"),
                "-D", str(data),
                "-U", SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
            user,
        )  # fmt: skip
        options = (
            f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=40"
        )
        _run([str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w",
              "-t", "120", "start"], user)  # fmt: skip
        try:
            yield f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/postgres"
        finally:
            _run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], user)
    finally:
        shutil.rmtree(root, ignore_errors=True)


# --- fixtures (a pytest plugin, registered in tests/conftest.py) --------------------------------

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """URL of the ``postgres`` database of a throwaway cluster, started once per session
    (skips where PostgreSQL's server binaries are not installed)."""
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    with postgres_cluster(bindir) as url:
        yield url


def fresh_postgres_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the cluster for one test; dropped afterwards."""
    import sqlalchemy as sa

    name = f"review_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield server_url.rsplit("/", 1)[0] + f"/{name}"
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty review store URL: a SQLite file, then a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'review.sqlite'}"
        return
    yield from fresh_postgres_database(request.getfixturevalue("postgres_server"))
