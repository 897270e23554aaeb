"""Parsing cell text into values: dates, numbers and cleaned text, each with the reason a cell
could not be read (HS codes are parsed in :mod:`screening.hs.codes`)."""

from __future__ import annotations

from screening.io.values.dates import DateReader, parse_trade_date
from screening.io.values.numbers import parse_numbers
from screening.io.values.text import clean_text

__all__ = ["DateReader", "clean_text", "parse_numbers", "parse_trade_date"]
