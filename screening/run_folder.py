"""A run's output folder: checked before any work, one run at a time, swapped in as one set.

Why: an analyst opens ``flagged.csv`` next to a ``manifest.json`` that must describe it. Each
file replaced on its own leaves, after a kill, a new ``flagged.csv`` beside the previous run's
manifest; two runs into one folder silently overwrite each other. So a run

1. checks ``--out`` before any screening (a file in the way, no write access: one clear error);
2. takes an exclusive lock beside the folder (``.<name>.dualuse-lock``). A second run is
   refused at once; a lock left by a process that died is taken over (``flock`` dies with
   its process; the pid written in the file only serves the messages);
3. writes every output into a staging folder beside the target, then swaps the two folders in
   one ``renameat2(RENAME_EXCHANGE)`` system call. Where the file system cannot exchange, the
   files are moved one by one with the manifest removed first and written last, so a folder
   with a manifest is always a complete set.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import shutil
import socket
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from screening.errors import ScreeningError

MANIFEST_NAME = "manifest.json"
LOCK_SUFFIX = ".dualuse-lock"
STAGING_MARK = ".staging-"


class OutputFolderError(ScreeningError):
    """``--out`` cannot hold the run's outputs (a file in the way, no write access)."""


class OutputFolderBusy(ScreeningError):
    """Another run holds the output folder's lock."""


def check_output_folder(out_dir: str | Path) -> Path:
    """The absolute output folder, after checking it can be created and written; no side effects.

    Raises OutputFolderError naming the path when ``out_dir`` is a file, lies under a file, or
    sits where this user cannot write.
    """
    target = Path(out_dir).expanduser().absolute()
    if target.exists() and not target.is_dir():
        raise OutputFolderError(f"--out {target} is a file, not a folder")
    existing = target
    while not existing.exists():
        existing = existing.parent
    if existing != target and not existing.is_dir():
        raise OutputFolderError(f"--out {target} cannot be created: {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputFolderError(f"--out {target} cannot be written: no write access to {existing}")
    return target


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _previous_outputs(target: Path) -> set[str]:
    """Names the previous run's manifest lists as its outputs (they are replaced, not kept)."""
    try:
        manifest = json.loads((target / MANIFEST_NAME).read_text(encoding="utf-8"))
        return {Path(str(p)).name for p in (manifest.get("outputs") or {}).values()}
    except (OSError, ValueError, AttributeError):
        return set()


class RunFolder:
    """Lock + staging folder + one-step swap for a run's outputs (a context manager).

    ``with RunFolder(out) as folder:`` write into ``folder.staging``, then ``folder.commit()``;
    leaving the block without a commit (error, Ctrl-C) removes the staging folder and keeps
    the previous set as it was.
    """

    def __init__(self, out_dir: str | Path) -> None:
        self.target = check_output_folder(out_dir)
        self.notes: list[str] = []
        self._handle: Any = None
        self.staging: Path = self.target
        base = self.target.parent
        self._in_parent = base.exists() and os.access(base, os.W_OK | os.X_OK)
        if not self._in_parent:
            # the parent is read-only: lock and stage inside the folder (non-atomic commit)
            base = self.target
        self._base = base
        self.lock_path = base / f".{self.target.name}{LOCK_SUFFIX}"

    # ------------------------------------------------------------------------------- lock
    def acquire(self) -> RunFolder:
        import fcntl

        self._base.mkdir(parents=True, exist_ok=True)
        for _ in range(5):
            handle = open(self.lock_path, "a+", encoding="utf-8")  # noqa: SIM115 - held open
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip()
                handle.close()
                raise OutputFolderBusy(
                    f"another run is writing into {self.target} ({holder or 'pid unknown'}); "
                    "wait for it to finish or choose another --out"
                ) from None
            try:
                same_file = os.fstat(handle.fileno()).st_ino == os.stat(self.lock_path).st_ino
            except FileNotFoundError:
                same_file = False
            if not same_file:  # removed by the run that held it: lock the new file
                handle.close()
                continue
            handle.seek(0)
            previous = handle.read().strip()
            if previous:
                pid = previous.split()[1] if previous.startswith("pid ") else ""
                alive = pid.isdigit() and _pid_alive(int(pid))
                self.notes.append(
                    f"took over the lock left by a run that ended without releasing it ({previous}"
                    f"{'' if alive else ', no longer running'})"
                )
            handle.seek(0)
            handle.truncate()
            handle.write(
                f"pid {os.getpid()} on {socket.gethostname()} since "
                f"{datetime.now(UTC).isoformat(timespec='seconds')}"
            )
            handle.flush()
            self._handle = handle
            self._remove_stale_staging()
            self.staging = self._new_staging()
            return self
        raise OutputFolderBusy(f"could not lock {self.lock_path}: it keeps being replaced")

    def release(self) -> None:
        if self._handle is None:
            return
        import fcntl

        with contextlib.suppress(OSError):
            os.unlink(self.lock_path)  # while still locked: a waiting run re-checks the inode
        fcntl.flock(self._handle, fcntl.LOCK_UN)
        self._handle.close()
        self._handle = None

    # ------------------------------------------------------------------------------- staging
    def _staging_prefix(self) -> str:
        return f".{self.target.name}{STAGING_MARK}" if self._in_parent else STAGING_MARK

    def _new_staging(self) -> Path:
        staging = self._base / f"{self._staging_prefix()}{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        return staging

    def _remove_stale_staging(self) -> None:
        """Staging folders of runs that died (we hold the lock: nobody else is writing)."""
        for stale in self._base.glob(f"{self._staging_prefix()}*"):
            shutil.rmtree(stale, ignore_errors=True)

    def commit(self) -> Path:
        """Swap the staging folder in as the output folder, as one step where possible."""
        if self._in_parent:
            if not self.target.exists():
                os.rename(self.staging, self.target)
                return self.target
            self._carry_over_foreign_files()
            if _exchange(self.staging, self.target):
                shutil.rmtree(self.staging, ignore_errors=True)  # now the previous set
                return self.target
        self._move_files_one_by_one()
        return self.target

    def _carry_over_foreign_files(self) -> None:
        """Files a user keeps in the folder (not a previous run's outputs) stay in it."""
        ours = _previous_outputs(self.target) | {MANIFEST_NAME}
        produced = {p.name for p in self.staging.iterdir()}
        for entry in self.target.iterdir():
            if entry.name in ours or entry.name in produced:
                continue
            if entry.is_file() and not entry.is_symlink():
                try:
                    os.link(entry, self.staging / entry.name)
                except OSError:
                    shutil.copy2(entry, self.staging / entry.name)
            else:
                os.rename(entry, self.staging / entry.name)

    def _move_files_one_by_one(self) -> None:
        self.target.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.target / MANIFEST_NAME)
        names = sorted(p.name for p in self.staging.iterdir() if p.name != MANIFEST_NAME)
        for name in names:
            os.replace(self.staging / name, self.target / name)
        if (self.staging / MANIFEST_NAME).exists():
            os.replace(self.staging / MANIFEST_NAME, self.target / MANIFEST_NAME)
        shutil.rmtree(self.staging, ignore_errors=True)

    def discard(self) -> None:
        if self.staging != self.target:
            shutil.rmtree(self.staging, ignore_errors=True)

    # ------------------------------------------------------------------------------- context
    def __enter__(self) -> RunFolder:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.discard()
        finally:
            self.release()
