"""Public names of a package imported on first use (PEP 562), one implementation for every
package that re-exports.

Why: ``import screening.names.tunables`` (the configuration) or ``screening.report.links``
(the single-name lookup) must not load the matcher, SciPy or the spreadsheet writers just
because their package re-exports them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str], namespace: MutableMapping[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A package's ``__getattr__`` and ``__dir__``: ``exports`` maps each public name to the
    module defining it; a name is imported on first access and kept in ``namespace`` (the
    package's ``globals()``), so later accesses are plain look-ups."""

    def getattr_(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def dir_() -> list[str]:
        return sorted(set(namespace) | set(namespace.get("__all__", exports)))

    return getattr_, dir_
