"""Trade dates: cell text -> ISO ``YYYY-MM-DD`` (or ``YYYY-MM`` for a month), with the reason
when a cell is not a date.

A record whose date cannot be read is still screened (a bad date must never hide a listed party
or code); the text is kept as written and ``date_issue`` says why. One vendor trap is handled on
purpose: exports that store local midnight as a UTC timestamp (India's ``2025-03-28T18:30:00Z``
is 29 March at 00:00 in UTC+05:30). When every UTC timestamp of a file's date column has the
same afternoon time of day, that time is a time-zone offset, not a time, and the date is the
next day; the shift is noted for the manifest.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTHS = {
    **{name: i for i, name in enumerate(_MONTH_NAMES, 1)},
    **{name[:3]: i for i, name in enumerate(_MONTH_NAMES, 1)},
    "sept": 9,
}
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](.*))?$")
_ISO_TIME = re.compile(
    r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*(Z|UTC|[+-]00:?00)?$", re.IGNORECASE
)
_SLASH_YMD = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?: .*)?$")
_SLASH_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?: .*)?$")
_DOTTED_DMY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?: .*)?$")
_MONTH_YEAR = re.compile(r"^([A-Za-z]{3,9})\.?[ \-/]?(\d{4})$")
_YEAR_MONTH = re.compile(r"^(\d{4})-?(\d{2})$")
_COMPACT_YMD = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_EXCEL_SERIAL = re.compile(r"^\d{1,7}(?:\.\d+)?$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)
FIRST_YEAR, LAST_YEAR = 1900, 2200
"""Years outside this range are typing errors in trade data, not dates."""
_MAX_TEXT = 64
MIN_TIMESTAMPS = 2
"""Distinct UTC timestamps needed before a shared afternoon time is read as a time zone."""


@dataclass(frozen=True)
class DateReading:
    """One cell read: ISO text (None when not a date) and the reason when it is not."""

    iso: str | None
    issue: str | None = None
    utc_time: dt.time | None = None
    """Time of day of a UTC timestamp (``...T18:30:00Z``), for the local-midnight check."""


def _day(year: str, month: str, day: str) -> DateReading:
    try:
        value = dt.date(int(year), int(month), int(day))
    except ValueError:
        return DateReading(None, f"not a calendar date ({year}-{month}-{day})")
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        return DateReading(None, f"year {value.year} outside {FIRST_YEAR}-{LAST_YEAR}")
    return DateReading(value.isoformat())


def _month(year: str, month: int) -> DateReading:
    if not 1 <= month <= 12:
        return DateReading(None, f"no month {month}")
    if not FIRST_YEAR <= int(year) <= LAST_YEAR:
        return DateReading(None, f"year {int(year)} outside {FIRST_YEAR}-{LAST_YEAR}")
    return DateReading(f"{int(year):04d}-{month:02d}")


def read_date(text: str, *, excel_serials: bool = False) -> DateReading:
    """Read one date text; see :func:`parse_trade_date` for the forms understood."""
    value = text.strip()
    if len(value) > _MAX_TEXT:
        return DateReading(None, "not a date (text too long)")
    if m := _ISO_DATE.match(value):
        reading = _day(*m.groups()[:3])
        time_text = m.group(4)
        if reading.iso and time_text and (t := _ISO_TIME.match(time_text.strip())) and t.group(4):
            hour, minute, second = int(t.group(1)), int(t.group(2)), int(t.group(3) or 0)
            if hour < 24 and minute < 60 and second < 60:
                return DateReading(reading.iso, utc_time=dt.time(hour, minute, second))
        return reading
    if m := _SLASH_YMD.match(value):
        return _day(*m.groups())
    if m := _SLASH_DMY.match(value):
        first, second, year = (int(g) for g in m.groups())
        if first > 12 >= second:
            return _day(str(year), str(second), str(first))
        if second > 12 >= first:
            return _day(str(year), str(first), str(second))
        if first == second:
            return _day(str(year), str(first), str(second))
        return DateReading(None, "day/month order unknown (write dates as YYYY-MM-DD)")
    if m := _DOTTED_DMY.match(value):
        return _day(m.group(3), m.group(2), m.group(1))
    if m := _MONTH_YEAR.match(value):
        month = _MONTHS.get(m.group(1).lower())
        return _month(m.group(2), month) if month else DateReading(None, "not a date")
    if m := _COMPACT_YMD.match(value):
        return _day(*m.groups())
    if m := _YEAR_MONTH.match(value):
        return _month(m.group(1), int(m.group(2)))
    if excel_serials and _EXCEL_SERIAL.match(value):
        days = float(value)
        if 1 <= days < 2_958_466:
            day = _EXCEL_EPOCH + dt.timedelta(days=int(days))
            return _day(str(day.year), str(day.month), str(day.day))
    return DateReading(None, "not a date")


def parse_trade_date(text: str, *, excel_serials: bool = False) -> str | None:
    """ISO ``YYYY-MM-DD`` (or ``YYYY-MM`` for a month) for one date text; None if not a date.

    "2025-04-25T18:30:00.000Z" -> "2025-04-25" (the date as written: whether 18:30 UTC is a
    local midnight is decided per file by :class:`DateReader`), "Mar 2025" -> "2025-03",
    "31.03.2025" -> "2025-03-31", "202201" -> "2022-01", "13/04/2025" -> "2025-04-13"; with
    ``excel_serials`` a bare day number from a cell without a date format (45747) ->
    "2025-03-31". Slashed dates whose day/month order is ambiguous (03/04/2025) are not read.
    """
    return read_date(text, excel_serials=excel_serials).iso


def _local_midnight_shift(times: set[dt.time]) -> dt.timedelta | None:
    """The day shift when all UTC timestamps share one afternoon time: a local midnight.

    18:30Z every time is 00:00 in UTC+05:30, the next day. A single time before noon (05:00Z,
    midnight in UTC-05:00) falls on the date as written, so it needs no shift.
    """
    if len(times) != 1:
        return None
    (time,) = times
    if time.hour < 12 or time.second or time.minute % 15:
        return None
    return dt.timedelta(days=1)


@dataclass
class DateReader:
    """Reads one file's date column batch by batch, keeping file-wide decisions and counts."""

    excel_serials: bool = False
    column: str = "date"
    shift: dt.timedelta | None = None
    shift_time: dt.time | None = None
    decided: bool = False
    not_dates: int = 0
    shifted: int = 0
    _notes: list[str] = field(default_factory=list)

    def read(self, values: pa.Array) -> tuple[pa.Array, pa.Array]:
        """(ISO dates, date_issue) for cleaned text: each distinct text parsed once."""
        unique = pc.unique(values).drop_null()
        texts = unique.to_pylist()
        readings = [read_date(v, excel_serials=self.excel_serials) for v in texts]
        stamped = [r for r in readings if r.utc_time is not None]
        if not self.decided and len(stamped) >= MIN_TIMESTAMPS:
            times = {r.utc_time for r in stamped if r.utc_time is not None}
            if times:
                self.decided = True
                self.shift = _local_midnight_shift(times)
                self.shift_time = next(iter(times)) if self.shift else None
        isos: list[str | None] = []
        shifted = [False] * len(readings)
        for i, (reading, text) in enumerate(zip(readings, texts, strict=True)):
            iso = reading.iso
            if iso is not None and reading.utc_time is not None and self.shift is not None:
                iso = (dt.date.fromisoformat(iso) + self.shift).isoformat()
                shifted[i] = True
            isos.append(iso if iso is not None else text)
        positions = pc.index_in(values, value_set=unique)
        dates = pc.take(pa.array(isos, pa.string()), positions)
        issue_texts = [
            None if r.issue is None else f"{r.issue}: {t[:40]!r}"
            for r, t in zip(readings, texts, strict=True)
        ]
        issues = pc.take(pa.array(issue_texts, pa.string()), positions)
        self.not_dates += len(values) - issues.null_count if len(values) else 0
        self.shifted += int(pc.sum(pc.take(pa.array(shifted, pa.bool_()), positions)).as_py() or 0)
        return dates, issues

    def notes(self, header: str) -> list[str]:
        out = []
        if self.shifted and self.shift_time is not None:
            hours = 24 - self.shift_time.hour - (1 if self.shift_time.minute else 0)
            minutes = (60 - self.shift_time.minute) % 60
            out.append(
                f"date: every timestamp in {header!r} is {self.shift_time:%H:%M} UTC, i.e. local "
                f"midnight in UTC+{hours:02d}:{minutes:02d}: {self.shifted} date(s) read as the "
                "next day"
            )
        if self.not_dates:
            out.append(
                f"date: {self.not_dates} value(s) in {header!r} are not dates; kept as written "
                "(reason in date_issue)"
            )
        return out
