"""Progress lines on the terminal for the long steps, silence in library use, quiet logs."""

from __future__ import annotations

import logging

import click
import pytest
from click.testing import CliRunner

from screening import progress


def test_library_use_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    advance = progress.counter("Matching names", total=3)
    advance(3)
    with progress.step("Parsing lists", total=2) as more:
        more(2)
    assert capsys.readouterr() == ("", "")


def test_command_line_shows_each_step_with_its_count(capsys: pytest.CaptureFixture[str]) -> None:
    with progress.show_progress(enabled=True):
        advance = progress.counter("Parsing lists", total=4)
        for _ in range(4):
            advance(1)
        # a second chunk of a streamed run adds to the same line
        progress.counter("Matching names", total=10)(10)
        progress.counter("Matching names", total=5)(5)
        with progress.step("Writing the review files"):
            pass
    err = capsys.readouterr().err
    assert "Parsing lists" in err and "4/4" in err
    assert "Matching names" in err and "15/15" in err
    assert "Writing the review files" in err and "1/1" in err
    assert progress.counter("after", total=1) is progress._nothing  # display closed


@click.command()
@progress.verbose_option
def _command() -> None:
    import os

    click.echo(f"{os.environ['PREFECT_LOGGING_LEVEL']} {progress.log_level()}")


def test_quiet_by_default_verbose_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PREFECT_LOGGING_LEVEL", "DUALUSE_VERBOSE"):
        monkeypatch.setenv(name, "")  # restored after the test, whatever the command sets
        monkeypatch.delenv(name)
    quiet = CliRunner().invoke(_command, [])
    assert quiet.output.split() == ["WARNING", str(logging.WARNING)]
    monkeypatch.delenv("PREFECT_LOGGING_LEVEL", raising=False)
    verbose = CliRunner().invoke(_command, ["--verbose"])
    assert verbose.output.split() == ["INFO", str(logging.INFO)]
