"""Other names a long organisation name holds: its quoted proper name, the subsidiary after a
parent company, the name without an honorific "named after ..." tail.

Why: the lists write one Russian entity in very different lengths. The EU writes ``Tactical
Missile Company, Joint Stock Company “Salute”`` where OFAC writes ``JOINT STOCK COMPANY
SALUTE``; ``JSC PROGRESS Arsenyev Aviation Company named after N.I. Sazikin`` where another
list stops before the honorific; ``NPP START IM. A. I. YASKINA AO`` where a trade record writes
``NPP Start``. Each reading is scored and the best one counts (screening.names.readings), so a
shorter reading only adds the chance to meet a shorter listed name; the legal forms of the
whole name go with every reading, so a conflicting legal form still counts against it.
"""

from __future__ import annotations

import re

_OPEN = '“«„‘"'
_CLOSE = '”»“’"'
_QUOTED = re.compile(rf"(?<!\w)[{_OPEN}]([^{_OPEN}{_CLOSE}]{{2,}})[{_CLOSE}](?!\w)")
"""The innermost quoted part: “Vympel” in “State ... Design Bureau “Vympel” named after ...”."""
_HONORIFIC = re.compile(
    r"\s*,?\s*\b(?:named\s+after|in\s+the\s+name\s+of|imeni|im\.|имени|им\."
    r"|of\s+the\s+russian\s+academy\s+of\s+sciences)(?:\s+.*)?$",
    re.IGNORECASE,
)
"""An honorific tail: NAMED AFTER ACADEMICIAN E.I. ZABABAKHIN, IMENI V V BAKHIREVA, ИМ. ..."""
_PARENT_WORDS = re.compile(
    r"\b(?:company|corporation|concern|holding|group|jsc|pjsc|ojsc|ao|pao|oao)\b\W*$",
    re.IGNORECASE,
)
"""The first comma-part of ``PARENT COMPANY, SUBSIDIARY`` ends in an organisation word."""
MIN_PART_LETTERS = 3
_MARKS = re.compile(rf"[,\-{_OPEN}{_CLOSE}]")
_HYPHEN = re.compile(r"(?<=[^\W\d_])-(?=[^\W\d_])")
"""A hyphen inside a word: ELECTRO-MECHANICS is also written ELECTROMECHANICS."""
_HONORIFIC_WORDS = ("named", "imeni", "im.", "имени", "им.", "in the name", "academy of sciences")


def _may_hold(name: str) -> bool:
    """A cheap test first (bulk runs read hundreds of thousands of names): a comma, a hyphen
    or a quote mark, or a word an honorific begins with."""
    if _MARKS.search(name):
        return True
    return _has_honorific_word(name)


def _has_honorific_word(name: str) -> bool:
    low = name.casefold()
    return any(word in low for word in _HONORIFIC_WORDS)


def _letters(text: str) -> int:
    return sum(c.isalpha() for c in text)


def _named_parts(text: str) -> list[str]:
    """Comma-separated parts that are each a company name with its legal form: two names of
    one entity (``JSC Tula Cartridge Plant, JSC TCP``; ``FSE 'TGP', Federal State Enterprise
    'Tambov Gunpowder Plant'``). A part that is only a legal form (``X Co., Ltd``) is none."""
    if text.count(",") == 0:
        return []
    from screening.names.normalise import load_vocabulary, raw_words

    forms = load_vocabulary().legal_form_words
    named = []
    for part in text.split(","):
        words = raw_words(part)
        if any(w in forms for w in words) and any(w not in forms for w in words):
            named.append(part.strip())
    return named if len(named) >= 2 else []


def honorific_free(name: str) -> str | None:
    """The name without its "named after ..." tail (inside quotes or not), or None."""
    if not _has_honorific_word(name):
        return None
    inner = _QUOTED.sub(
        lambda m: m.group(0)[0] + _HONORIFIC.sub("", m.group(1)) + m.group(0)[-1], name
    )
    out = _HONORIFIC.sub("", inner).strip(" ,")
    return out if out != name.strip() and _letters(out) >= MIN_PART_LETTERS else None


def segment_alternatives(name: str, legal_forms: tuple[str, ...] = ()) -> list[str]:
    """Shorter names the name holds: each quoted part, the part after a parent company
    (``Tactical Missile Company, Joint Stock Company Severny Press``), the name without an
    honorific tail, and the name with its hyphenated words joined (ELECTRO-MECHANICS).
    ``legal_forms`` (words as written) are added to a quoted part read alone, so it is
    compared as the same kind of company."""
    if not _may_hold(name):  # most names: nothing to look for
        return []
    out: list[str] = []
    text = name.strip()
    honorless = honorific_free(text)
    if honorless:
        out.append(honorless)
    base = honorless or text
    head, comma, tail = base.partition(",")
    parent = _PARENT_WORDS.search(head) if comma else None
    # (a head that is only a legal form, "JSC, X", is no parent company)
    if parent and _letters(head[: parent.start()]) and _letters(tail) >= MIN_PART_LETTERS:
        out.append(tail.strip())  # the parent itself is not read: it is another entity
    else:
        out.extend(_named_parts(base))
    suffix = " ".join(legal_forms)
    for quoted in _QUOTED.findall(base):
        part = quoted.strip(" ,-–")
        if _letters(part) >= MIN_PART_LETTERS:
            out.append(f"{part} {suffix}".strip())
    if _HYPHEN.search(text):  # the hyphenated words joined
        out.append(_HYPHEN.sub("", text))
    return [o for o in dict.fromkeys(out) if o and o != text]


__all__ = ["honorific_free", "segment_alternatives"]
