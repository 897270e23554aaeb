"""A small customs-style name distorter, independent of the matcher (SYNTHETIC variants).

Usage: ``distort(name, op, rng, inn=...)`` rewrites one real list name the way a customs
declaration or a shipping record writes it; ``OPERATIONS`` names every rewrite. The variants
are synthetic, so their figures are labelled synthetic, but the tables below were written for
this benchmark alone: nothing here is imported from, or copied out of, ``screening`` (its
normaliser, abbreviation table, legal-form vocabulary, transliteration or sampler), so the
matcher cannot have been tuned on the same tables that distort its test queries.
"""

from __future__ import annotations

import re

import numpy as np

# Latin letters and the Cyrillic letters that look the same in most fonts
HOMOGLYPHS = {
    "A": "А", "B": "В", "C": "С", "E": "Е", "H": "Н", "K": "К", "M": "М", "O": "О",
    "P": "Р", "T": "Т", "X": "Х", "Y": "У", "a": "а", "c": "с", "e": "е", "o": "о",
    "p": "р", "x": "х", "y": "у",
}  # fmt: skip

# abbreviations seen in customs and bill-of-lading party fields
ABBREVIATIONS = {
    "AVIATION": "AVN", "LOGISTICS": "LOGIST", "HOLDING": "HLD", "HOLDINGS": "HLDGS",
    "INVESTMENT": "INV", "INVESTMENTS": "INV", "RESEARCH": "RES", "INSTITUTE": "INST",
    "SHIPPING": "SHPG", "INTERNATIONAL": "INTL", "INDUSTRIAL": "IND", "INDUSTRIES": "INDS",
    "MANUFACTURING": "MFG", "TECHNOLOGY": "TECH", "TECHNOLOGIES": "TECHS",
    "ENGINEERING": "ENGG", "CORPORATION": "CORP", "TRADING": "TRDG", "ELECTRONICS": "ELECTR",
    "EQUIPMENT": "EQPT", "SCIENTIFIC": "SCI", "PRODUCTION": "PRODN", "ASSOCIATION": "ASSN",
    "MACHINE": "MACH", "BUILDING": "BLDG", "DEVELOPMENT": "DEVT", "SYSTEMS": "SYST",
    "GROUP": "GRP", "SERVICES": "SVCS", "INSTRUMENT": "INSTR", "ENTERPRISE": "ENTPR",
    "INDUSTRY": "IND", "MARINE": "MAR", "NATIONAL": "NATL", "FEDERAL": "FED",
    "STATE": "ST", "COMPANY": "CO", "MANAGEMENT": "MGMT", "DESIGN": "DSGN",
    "CONSTRUCTION": "CONSTR", "DEFENCE": "DEF", "DEFENSE": "DEF", "INSTRUMENTS": "INSTRS",
    "AUTOMATION": "AUTOM", "COMMERCIAL": "COML", "IMPORT": "IMP", "EXPORT": "EXP",
}  # fmt: skip

# equivalent spellings of one legal form (a swap keeps the form, it only rewrites it)
LEGAL_FORM_SPELLINGS = (
    ("LIMITED LIABILITY COMPANY", "LLC", "OOO", "L.L.C."),
    ("JOINT STOCK COMPANY", "JSC", "AO", "J.S.C."),
    ("OPEN JOINT STOCK COMPANY", "OJSC", "OAO"),
    ("CLOSED JOINT STOCK COMPANY", "CJSC", "ZAO"),
    ("PUBLIC JOINT STOCK COMPANY", "PJSC", "PAO"),
    ("COMPANY LIMITED", "CO., LTD.", "CO LTD", "CO. LIMITED"),
    ("LIMITED", "LTD", "LTD."),
    ("INCORPORATED", "INC", "INC."),
    ("CORPORATION", "CORP", "CORP."),
)

# Latin (as the lists romanise Russian) back to Cyrillic: digraphs first
CYRILLIC = (
    ("SHCH", "Щ"), ("ZH", "Ж"), ("KH", "Х"), ("TS", "Ц"), ("CH", "Ч"), ("SH", "Ш"),
    ("YU", "Ю"), ("YA", "Я"), ("YE", "Е"), ("YO", "Ё"), ("IY", "ИЙ"), ("YY", "ЫЙ"),
    ("A", "А"), ("B", "Б"), ("V", "В"), ("G", "Г"), ("D", "Д"), ("E", "Е"), ("Z", "З"),
    ("I", "И"), ("Y", "Й"), ("K", "К"), ("L", "Л"), ("M", "М"), ("N", "Н"), ("O", "О"),
    ("P", "П"), ("R", "Р"), ("S", "С"), ("T", "Т"), ("U", "У"), ("F", "Ф"), ("C", "К"),
    ("W", "В"), ("X", "КС"), ("Q", "К"), ("H", "Х"), ("J", "ДЖ"),
)  # fmt: skip

# keys next to each other on a QWERTY keyboard (for typos)
NEIGHBOURS = {
    "A": "SQZ", "B": "VNG", "C": "XVD", "D": "SFE", "E": "WRD", "F": "DGR", "G": "FHT",
    "H": "GJY", "I": "UOK", "J": "HKU", "K": "JLI", "L": "KO", "M": "N", "N": "BM",
    "O": "IPL", "P": "O", "Q": "WA", "R": "ETF", "S": "ADW", "T": "RYG", "U": "YIJ",
    "V": "CB", "W": "QES", "X": "ZC", "Y": "TUH", "Z": "XA",
}  # fmt: skip

OPERATIONS = (
    "truncate35",
    "homoglyph",
    "join_split",
    "typo",
    "drop_parenthetical",
    "abbreviate",
    "cyrillic",
    "legal_form_swap",
    "inn_prefix",
    "case_punct",
)
"""Every rewrite; the issue's held-out set measured recall by the same kinds of distortion."""

_PAREN = re.compile(r"\s*\([^)]*\)")
_WORD = re.compile(r"[A-Za-z]+")


def applicable(name: str, op: str, *, inn: str | None = None) -> bool:
    """Whether ``op`` changes ``name`` (a truncation of a short name is no variant)."""
    if op == "truncate35":
        return len(name) > 40
    if op == "drop_parenthetical":
        return bool(_PAREN.search(name)) and bool(_PAREN.sub("", name).strip())
    if op == "abbreviate":
        return any(w.upper() in ABBREVIATIONS for w in _WORD.findall(name))
    if op == "legal_form_swap":
        return _legal_form_hit(name) is not None
    if op == "inn_prefix":
        return inn is not None
    if op == "join_split":
        return len(name.split()) >= 2 or any(len(w) >= 8 for w in _WORD.findall(name))
    if op in ("typo", "homoglyph"):
        return any(len(w) >= 5 for w in _WORD.findall(name))
    return bool(_WORD.search(name))


def distort(name: str, op: str, rng: np.random.Generator, *, inn: str | None = None) -> str:
    """One customs-style rewrite of ``name``."""
    return _OPS[op](name, rng, inn)


def _truncate(name: str, rng: np.random.Generator, inn: str | None) -> str:
    return name[:35]


def _homoglyph(name: str, rng: np.random.Generator, inn: str | None) -> str:
    spots = [i for i, ch in enumerate(name) if ch in HOMOGLYPHS]
    if not spots:
        return name
    chars = list(name)
    for i in rng.choice(spots, size=min(len(spots), int(rng.integers(1, 3))), replace=False):
        chars[int(i)] = HOMOGLYPHS[chars[int(i)]]
    return "".join(chars)


def _join_split(name: str, rng: np.random.Generator, inn: str | None) -> str:
    words = name.split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 8 and w.isalpha()]
    hyphenated = [i for i, w in enumerate(words) if "-" in w.strip("-")]
    choice = int(rng.integers(0, 3))
    if choice == 0 and hyphenated:
        i = hyphenated[int(rng.integers(0, len(hyphenated)))]
        words[i] = words[i].replace("-", " " if rng.random() < 0.5 else "")
    elif choice == 1 and long_words:
        i = long_words[int(rng.integers(0, len(long_words)))]
        cut = int(rng.integers(3, len(words[i]) - 2))
        words[i] = words[i][:cut] + " " + words[i][cut:]
    elif len(words) >= 2:
        i = int(rng.integers(0, len(words) - 1))
        words[i : i + 2] = [words[i] + words[i + 1]]
    elif long_words:
        i = long_words[0]
        words[i] = words[i][:4] + " " + words[i][4:]
    return " ".join(words)


def _typo(name: str, rng: np.random.Generator, inn: str | None) -> str:
    spans = [m.span() for m in _WORD.finditer(name) if len(m.group()) >= 5]
    start, end = spans[int(rng.integers(0, len(spans)))]
    i = int(rng.integers(start + 1, end - 1))
    ch = name[i]
    kind = int(rng.integers(0, 4))
    if kind == 0:
        near = NEIGHBOURS.get(ch.upper(), "E")
        new = near[int(rng.integers(0, len(near)))]
        return name[:i] + (new if ch.isupper() else new.lower()) + name[i + 1 :]
    if kind == 1:
        return name[:i] + name[i + 1 :]
    if kind == 2:
        return name[:i] + ch + name[i:]
    return name[:i] + name[i + 1] + name[i] + name[i + 2 :]


def _drop_parenthetical(name: str, rng: np.random.Generator, inn: str | None) -> str:
    return " ".join(_PAREN.sub("", name).split())


def _abbreviate(name: str, rng: np.random.Generator, inn: str | None) -> str:
    def short(m: re.Match[str]) -> str:
        return ABBREVIATIONS.get(m.group().upper(), m.group())

    return _WORD.sub(short, name.upper())


def _legal_form_hit(name: str) -> tuple[str, tuple[str, ...]] | None:
    upper = f" {name.upper()} "
    for spellings in LEGAL_FORM_SPELLINGS:
        for spelling in spellings:
            if re.search(rf"(?<![A-Z]){re.escape(spelling)}(?![A-Z])", upper):
                return spelling, spellings
    return None


def _legal_form_swap(name: str, rng: np.random.Generator, inn: str | None) -> str:
    hit = _legal_form_hit(name)
    if hit is None:
        return name
    spelling, spellings = hit
    others = [s for s in spellings if s != spelling]
    new = others[int(rng.integers(0, len(others)))]
    pattern = re.compile(rf"(?<![A-Z]){re.escape(spelling)}(?![A-Z])")
    rest = " ".join(pattern.sub(" ", name.upper(), count=1).replace(" ,", ",").split())
    rest = rest.strip(" ,")
    return f"{new} {rest}" if rng.random() < 0.5 else f"{rest} {new}"


def _cyrillic(name: str, rng: np.random.Generator, inn: str | None) -> str:
    text = name.upper()
    for latin, cyr in CYRILLIC:
        text = text.replace(latin, cyr)
    return text


def _inn_prefix(name: str, rng: np.random.Generator, inn: str | None) -> str:
    return f"INN {inn} {name}" if rng.random() < 0.5 else f"{name} INN {inn}"


def _case_punct(name: str, rng: np.random.Generator, inn: str | None) -> str:
    text = re.sub(r"[\"'“”«».,]", "", name)
    return text.lower() if rng.random() < 0.5 else text.title()


_OPS = {
    "truncate35": _truncate,
    "homoglyph": _homoglyph,
    "join_split": _join_split,
    "typo": _typo,
    "drop_parenthetical": _drop_parenthetical,
    "abbreviate": _abbreviate,
    "cyrillic": _cyrillic,
    "legal_form_swap": _legal_form_swap,
    "inn_prefix": _inn_prefix,
    "case_punct": _case_punct,
}
