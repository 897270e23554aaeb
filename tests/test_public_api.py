"""The library's public surface: importable without Prefect, and __all__ tells the truth."""

from __future__ import annotations

import subprocess
import sys
import types

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
    # submodules appear as attributes once imported (by the package or by other tests)
    modules = {n for n in public if isinstance(getattr(screening, n), types.ModuleType)}
    assert public - modules == set(screening.__all__)
