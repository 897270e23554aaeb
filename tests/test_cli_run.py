"""`dualuse run` as a user meets it: one consistent output set, one run per folder, one-line
errors before any work, and a bad file that does not sink the good ones.

Each test runs the real command in a child process (``python -m screening``), so exit status,
stderr and kills are the real thing.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from screening.run import EXIT_FILES_REJECTED
from screening.run_folder import LOCK_SUFFIX, RunFolder

REPO_ROOT = Path(__file__).resolve().parent.parent
EXIT_ERROR, EXIT_BUSY = 2, 4
HEADER = ["EXPORTER_NAME", "IMPORTER_NAME", "HS_CODE", "DESTINATION_COUNTRY", "DATE"]
ROWS = [
    ["ACME GMBH", "OOO SILOVYE MASHINY", "8542.31", "RUSSIA", "2023-05-01"],
    ["ACME GMBH", "OOO ROMASHKA", "690721", "GERMANY", "2023-05-02"],
    ["SHENZHEN HUAXIN CO LTD", "AO PKK MILANDR", "854232", "RUSSIA", "2023-05-03"],
]


def write_trades(path: Path, rows: list[list[str]] = ROWS) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def dualuse(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "screening", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``dualuse ARGS`` in this process (lists and index loaded once per session)."""
    from screening.cli import main

    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def start_dualuse(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "screening", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_consistent_set(out: Path) -> dict:
    """The manifest describes exactly the files beside it (sha256 of each), nothing else."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    names = {Path(o["path"]).name for o in manifest["outputs"].values()}
    assert {p.name for p in out.iterdir()} == names | {"manifest.json"}
    for output in manifest["outputs"].values():
        assert sha256(out / Path(output["path"]).name) == output["sha256"], output["path"]
    return manifest


@pytest.fixture(scope="module")
def trades(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_trades(tmp_path_factory.mktemp("trades") / "trades.csv")


def test_kill_before_the_swap_leaves_the_previous_set_intact(
    trades: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, _, err = run_main(capsys, "run", str(trades), "--out", str(out))
    assert code == 0, err
    before = assert_consistent_set(out)
    assert before["counts"]["rows_in"] == 3

    # the second run writes its whole set, then is killed (SIGKILL) just before the swap
    other = write_trades(tmp_path / "other.csv", ROWS[:1])
    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, signal, sys\n"
            "from screening.run_folder import RunFolder\n"
            "RunFolder.commit = lambda self: os.kill(os.getpid(), signal.SIGKILL)\n"
            "from screening.cli import main\n"
            f"main(['run', {str(other)!r}, '--out', {str(out)!r}])\n",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        timeout=300,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    after = assert_consistent_set(out)
    assert after == before
    # the dead run's staging folder and lock are cleaned up by the next run
    leftovers = {p.name for p in tmp_path.iterdir()} - {"out", "other.csv"}
    assert any(".staging-" in n for n in leftovers)
    code, _, err = run_main(capsys, "run", str(other), "--out", str(out))
    assert code == 0, err
    assert assert_consistent_set(out)["counts"]["rows_in"] == 1
    assert {p.name for p in tmp_path.iterdir()} == {"out", "other.csv"}


def test_files_a_user_keeps_in_the_folder_stay(
    trades: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "my_notes.txt").write_text("keep me", encoding="utf-8")
    code, _, err = run_main(capsys, "run", str(trades), "--out", str(out))
    assert code == 0, err
    code, _, err = run_main(capsys, "run", str(trades), "--out", str(out))
    assert code == 0, err
    assert (out / "my_notes.txt").read_text(encoding="utf-8") == "keep me"
    assert (out / "flagged.csv").exists()


def test_a_second_run_into_the_same_folder_is_refused_at_once(
    trades: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    go_on = tmp_path / "go-on"
    # a real run that, once it holds the folder, waits for the test before loading lists
    first = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time\n"
            "from pathlib import Path\n"
            "from screening.run import ScreeningRun\n"
            "load = ScreeningRun.load_reference\n"
            "def waiting(self):\n"
            f"    while not Path({str(go_on)!r}).exists():\n"
            "        time.sleep(0.05)\n"
            "    return load(self)\n"
            "ScreeningRun.load_reference = waiting\n"
            "from screening.cli import main\n"
            f"main(['run', {str(trades)!r}, '--out', {str(out)!r}])\n",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    lock = tmp_path / f".out{LOCK_SUFFIX}"
    deadline = time.monotonic() + 120
    while not lock.exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert lock.exists(), "the first run takes the lock before any work"
    start = time.monotonic()
    code, _, err = run_main(capsys, "run", str(trades), "--out", str(out))
    refused_after = time.monotonic() - start
    go_on.touch()
    assert code == EXIT_BUSY
    assert refused_after < 2, "refused before loading lists or reading files"
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: another run is writing into")
    assert f"pid {first.pid}" in lines[0]
    _, stderr = first.communicate(timeout=300)
    assert first.returncode == 0, stderr
    assert_consistent_set(out)


def test_a_lock_left_by_a_dead_process_is_taken_over(
    trades: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    dead = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, signal\n"
            "from screening.run_folder import RunFolder\n"
            f"RunFolder({str(out)!r}).acquire()\n"
            "os.kill(os.getpid(), signal.SIGKILL)\n",
        ],
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert dead.wait(timeout=120) == -signal.SIGKILL
    lock = tmp_path / f".out{LOCK_SUFFIX}"
    assert lock.read_text(encoding="utf-8").startswith(f"pid {dead.pid} ")
    code, _, err = run_main(capsys, "run", str(trades), "--out", str(out))
    assert code == 0, err
    manifest = assert_consistent_set(out)
    assert any("took over the lock" in n and "no longer running" in n for n in manifest["notes"])
    assert not lock.exists()


def test_the_lock_is_held_only_by_the_live_holder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with RunFolder(out) as folder:
        assert folder.lock_path.exists()
        with pytest.raises(Exception, match="another run is writing into"):
            RunFolder(out).acquire()
    assert not folder.lock_path.exists()
    with RunFolder(out):
        pass


def test_out_under_a_file_is_refused_before_any_work(trades: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "report.txt"
    blocker.write_text("a file, not a folder", encoding="utf-8")
    start = time.monotonic()
    result = dualuse("run", str(trades), "--out", str(blocker / "out"))
    elapsed = time.monotonic() - start
    assert result.returncode == EXIT_ERROR
    assert result.stderr.strip() == (
        f"error: --out {blocker / 'out'} cannot be created: {blocker} is a file"
    )
    assert "Traceback" not in result.stderr + result.stdout
    assert elapsed < 15, "checked before the lists are loaded"
    on_file = dualuse("run", str(trades), "--out", str(blocker))
    assert on_file.returncode == EXIT_ERROR
    assert on_file.stderr.strip() == f"error: --out {blocker} is a file, not a folder"


def test_errors_are_one_line_and_debug_adds_the_traceback(
    trades: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.yml"
    config.write_text("no_such_key: 1\n", encoding="utf-8")
    args = ("run", str(trades), "--out", str(tmp_path / "out"), "--config", str(config))
    code, _, err = run_main(capsys, *args)
    assert code == EXIT_ERROR
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "no_such_key" in lines[0]
    code, _, err = run_main(capsys, "--debug", *args)
    assert code == EXIT_ERROR
    assert "Traceback (most recent call last)" in err
    assert err.strip().splitlines()[-1] == lines[0]
    assert not (tmp_path / "out").exists()


def test_one_bad_file_does_not_sink_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    write_trades(folder / "a_good.csv")
    (folder / "b_corrupt.parquet").write_bytes(b"PAR1 this is not really parquet")
    (folder / "c_unmappable.csv").write_text("colour,size\nred,4\n", encoding="utf-8")
    write_trades(folder / "d_good.csv", ROWS[:2])
    out = tmp_path / "out"
    code, stdout, stderr = run_main(capsys, "run", str(folder), "--out", str(out))
    assert code == EXIT_FILES_REJECTED, stderr
    assert "file rejected:" in stdout and "b_corrupt.parquet" in stdout
    assert "c_unmappable.csv" in stdout
    # each line names the file once
    twice = [line for line in stdout.splitlines() if line.count("c_unmappable.csv") > 1]
    assert not twice, twice
    assert "completed with 2 rejected file(s)" in stderr
    manifest = assert_consistent_set(out)
    rejected_files = {Path(f["path"]).name: f["reason"] for f in manifest["files_rejected"]}
    assert set(rejected_files) == {"b_corrupt.parquet", "c_unmappable.csv"}
    assert "Parquet" in rejected_files["b_corrupt.parquet"]
    counts = manifest["counts"]
    assert counts["rows_in"] == 5 == counts["rows_screened"] + counts["rows_rejected"]
    assert counts["files_rejected"] == 2
    rejected = pd.read_csv(out / "rejected.csv", encoding="utf-8-sig", dtype=str)
    file_rows = rejected[rejected["row"].isna()]
    assert sorted(file_rows["file"]) == ["b_corrupt.parquet", "c_unmappable.csv"]
    assert file_rows["reason"].str.startswith("file rejected: ").all()
    screened = pd.read_parquet(out / "screened.parquet")
    flagged = screened[screened["risk_level"] != "none"]
    assert set(flagged["source_file"]) == {"a_good.csv", "d_good.csv"}
    assert "OOO SILOVYE MASHINY" in set(flagged["importer"])


def test_a_single_bad_file_is_an_error_not_an_empty_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "c_unmappable.csv"
    bad.write_text("colour,size\nred,4\n", encoding="utf-8")
    code, _, err = run_main(capsys, "run", str(bad), "--out", str(tmp_path / "out"))
    assert code == EXIT_ERROR
    assert err.count("\n") == 1 and "c_unmappable.csv" in err
    assert not (tmp_path / "out").exists()
