"""One exception tree, so callers can catch broadly (ScreeningError) or narrowly.

ScreeningError
 ├── ListParseError      a reference list file is unsupported or malformed
 ├── TradeLayoutError    a trade file's columns cannot be mapped onto the canonical fields
 ├── TradeReadError      a trade file cannot be read at all
 ├── ReferenceDataError  bundled reference data is missing or fails its sha256 check
 ├── ConfigError         a config key is unknown or its value has the wrong type
 └── StageOutputError    a screening stage's output lacks a declared column, or mistypes it
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class ScreeningError(Exception):
    """Base class of every error this library raises on purpose."""


def _where(file: str | Path | None, row: int | None, column: str | None) -> str:
    parts = []
    if file is not None:
        parts.append(str(file))
    if row is not None:
        parts.append(f"row {row}")
    if column is not None:
        parts.append(f"column {column!r}")
    return ", ".join(parts)


class ListParseError(ScreeningError):
    """A list file could not be parsed; names the file and, where known, the row and column."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.file, self.row, self.column = file, row, column
        where = _where(file, row, column)
        super().__init__(f"{where}: {message}" if where else message)


class TradeReadError(ScreeningError):
    """A trade file could not be opened or decoded."""

    def __init__(
        self, message: str, *, file: str | Path, row: int | None = None, column: str | None = None
    ) -> None:
        self.file, self.row, self.column = file, row, column
        super().__init__(f"{_where(file, row, column)}: {message}")


class TradeLayoutError(ScreeningError):
    """No column mapping fits a trade file: says which fields are missing and what was seen."""

    def __init__(
        self,
        *,
        file: str | Path,
        missing: Sequence[str],
        seen: Sequence[str],
        header_row: int | None = None,
    ) -> None:
        self.file, self.missing, self.seen, self.header_row = (
            file,
            list(missing),
            list(seen),
            header_row,
        )
        at = f" (header at row {header_row})" if header_row else ""
        shown = [repr(c if len(c) <= 60 else c[:57] + "...") for c in self.seen[:40]]
        if len(self.seen) > 40:
            shown.append(f"... {len(self.seen) - 40} more")
        seen_text = f"columns seen: {', '.join(shown)}" if self.seen else "no columns"
        super().__init__(
            f"{file}: cannot map canonical field(s) {', '.join(self.missing)}{at}; "
            f"{seen_text}. Pass a mapping with --map FIELD=COLUMN or --mapping FILE.yml."
        )


class ReferenceDataError(ScreeningError):
    """Bundled reference data is missing, or its sha256 does not match the manifest."""


class ConfigError(ScreeningError):
    """A config file or mapping is unreadable, has an unknown key or a value of the wrong type.

    One line, naming the file (when there is one) and the key, so the CLI can print it as is.
    """


class StageOutputError(ScreeningError):
    """A stage's output, or a reader's input, lacks a declared column or has it mistyped."""
