"""YAML read with libyaml's C parser where PyYAML was built with it.

Why: the package's vocabulary, legal-form, layout and list-catalogue files are read on every
command; the pure-Python safe loader spends about a quarter of a second on them, which a
one-name lookup or a small ``match-names`` pays each time. ``CSafeLoader`` builds the same
plain values (no tags, no objects) about ten times faster.
"""

from __future__ import annotations

from typing import IO, Any

import yaml

SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(stream: str | bytes | IO[str] | IO[bytes]) -> Any:
    """``yaml.safe_load`` with the C parser when available: plain values only."""
    return yaml.load(stream, Loader=SAFE_LOADER)
