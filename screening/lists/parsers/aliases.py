"""Names in list free text: OFAC's weak aliases (``a.k.a. 'BNC'``) and ``Linked To:`` relations.

Works on whole pandas columns (``str.extractall``) and returns *long* frames (one row per
finding, ``row`` = position of the source record), like :mod:`screening.lists.parsers.identifiers`.
"""

from __future__ import annotations

import pandas as pd

from screening.lists.parsers.tables import extract_all

# --------------------------------------------------------------------------- names, relations

_ALIAS_RE = (
    r"(?P<kind>[afn])\.k\.a\.,?\s*'(?P<name>.+?)'"
    r"(?=\s*(?:[;,)]|\.?\s*$|\.\s*;))"
)


def extract_aliases(remarks: pd.Series) -> pd.DataFrame:
    """``a.k.a. 'X'`` / ``f.k.a.`` / ``n.k.a.`` in remarks: long frame ``row, name, name_kind``.

    OFAC's legacy files put exactly its *low-quality* ("weak") aliases in the remarks; the
    enhanced XML flags the same names ``isLowQuality`` (checked on the 2025 consolidated list:
    64 of 68 remark aliases are flagged weak there, none strong; the rest are cut-off
    names). So all of them are ``weak_alias``, whether a.k.a., f.k.a. or n.k.a.
    """
    found = extract_all(remarks, _ALIAS_RE)
    names = found["name"].astype("str").str.strip()
    quoted = names.str.fullmatch(r"'[^']+'")  # ''FOOPIE'': a nickname in its own quotes
    names = names.where(~quoted, names.str.slice(1, -1)).str.strip()
    out = pd.DataFrame({"row": found["row"], "name": names, "name_kind": "weak_alias"})
    return out[out["name"].str.len() > 0].reset_index(drop=True)


_LINKED_RE = r"Linked To:\s*(?P<name>[^;]+?)\s*(?=;|$)"


def extract_related(remarks: pd.Series, known_names: pd.Series | None = None) -> pd.DataFrame:
    """``Linked To: NAME`` relations: long frame ``row, name``.

    The sentence's closing period (and the ``)`` of CSL's ``(Linked To: X)``) is dropped. When
    the name itself ends in a period ("... CO., LTD.") and ``known_names`` (the list's names)
    contains that spelling, the period is kept.
    """
    found = extract_all(remarks, _LINKED_RE)
    names = found["name"].astype("str")
    unbalanced = names.str.count(r"\)") > names.str.count(r"\(")
    names = names.where(~unbalanced, names.str.replace(r"\)\s*$", "", regex=True))
    stripped = names.str.replace(r"\.\s*$", "", regex=True).str.strip()
    if known_names is not None:
        known = pd.Index(known_names.dropna().unique())
        with_period = stripped + "."
        keep_period = with_period.isin(known) & ~stripped.isin(known)
        stripped = stripped.where(~keep_period, with_period)
    out = pd.DataFrame({"row": found["row"], "name": stripped})
    return out[out["name"].str.len() > 0].reset_index(drop=True)
