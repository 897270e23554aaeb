"""The library's public surface: importable without Prefect, and __all__ tells the truth."""

from __future__ import annotations

import subprocess
import sys

import screening


def test_library_import_does_not_import_prefect() -> None:
    code = "import sys, screening, screening.cli; print('prefect' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_all_names_exist_and_are_public() -> None:
    for name in screening.__all__:
        assert hasattr(screening, name), name
    public = {n for n in dir(screening) if not n.startswith("_")}
    modules = {
        "config",
        "errors",
        "hs",
        "io",
        "lists",
        "names",
        "outputs",
        "pipeline",
        "parallel",
        "run",
        "run_folder",
        "review",
        "report",
        "risk",
        "geo",
        "goods",
        "paths",
        "schema",
        "cli",
        "cli_hs",
        "cli_lists",
        "check",
        "cli_check",
        "index_cache",
        "progress",
        "cli_config",
        "cli_review",
    }
    assert public - modules == set(screening.__all__)
