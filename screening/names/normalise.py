"""Company and person name normalisation for matching customs names against list names.

Why each step exists:
- NFKC + case folding: full-width letters, ligatures and case never make two names differ.
- Leading Russian INN / KPP digits (``7722476458 772201001 OOO YATASH RUS``) are identifiers that
  customs systems glue to the name; they are taken out and kept as identifiers.
- Transliteration (anyascii) puts Cyrillic, Greek, Armenian, CJK... names in the same Latin
  space as the lists; the original is kept by the caller.
- Customs abbreviations are expanded (INTL -> international), legal forms are recognised and
  removed from the name core (ООО / OOO / LLC / Limited Liability Company -> ``llc``), and
  generic words are marked, so that weighting can make rare words count.
- A phonetic fold meets Russian transliteration variants (KH/H, TS/C, YA/IA, IY/Y, doubled
  letters), applied identically to both sides of every comparison.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from anyascii import anyascii
from rapidfuzz import process
from rapidfuzz.distance import OSA

from screening import yaml_files
from screening.names.numerals import TENS, spell_numbers
from screening.paths import PACKAGE_DATA_DIR

SHORTCUTS = True
"""Skip work that provably changes nothing (a word that begins no legal form is not looked up
as one; an ASCII name has no look-alike letters). Off, every step runs in full: the reference
the speed test compares the fast path with (tests/test_benchmarks_speed.py)."""

_CJK = re.compile(r"([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af])")
_APOSTROPHES = re.compile(r"['’ʼ`ʹ]")
_POSSESSIVE = re.compile(r"(?<=[a-z0-9])['’ʼ`ʹ]s\b", re.IGNORECASE)
"""An English possessive: DEUTSCHE BANK'S AG is the bank's name, not a word BANKS."""
_TOKEN = re.compile(r"[a-z0-9]+")
_LEADING_RU_IDS = re.compile(r"^\s*(?P<inn>\d{10}|\d{12})(?:\s+(?P<kpp>\d{9}))?\s+(?=.*[^\W\d_])")
_RU_SOFT_SIGNS = str.maketrans({"ь": "", "Ь": "", "ъ": "", "Ъ": "", "ё": "е", "Ё": "Е"})
_UK_TO_RU = str.maketrans(
    {
        "і": "и",
        "І": "И",
        "ї": "и",
        "Ї": "И",
        "є": "е",
        "Є": "Е",
        "ґ": "г",
        "Ґ": "Г",
        "ы": "и",
        "Ы": "И",
    }
)
"""Ukrainian and Russian Cyrillic spellings of one name read alike (Київський / Киевский):
і, ї and Russian ы read as и, є as е, ґ as г."""

# Order matters: longer clusters first. Applied to whole tokens, both sides alike.
_FOLD_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), repl)
    for pattern, repl in (
        (r"ies$", "y"),  # TECHNOLOGIES ~ TECHNOLOGY, whatever the spelling
        (r"dzh", "j"),  # DZHOINT ~ JOINT (English written in Cyrillic)
        (r"tech", "teh"),  # TECHNO ~ TEKHNO (the English and the transliterated Russian)
        (r"mech", "meh"),  # MECHANIKA ~ MEKHANIKA (the German and the English transliteration)
        (r"(?<=[bcdfghklmnprstvz])yo", "e"),  # Ё written YO or E: POLYOT ~ POLET
        (r"(?<=..[oe]v)a$", ""),  # a surname in the genitive: ZAVOD KULAKOVA ~ PLANT KULAKOV
        (r"our$", "or"),  # British and American spelling: ARMOUR ~ ARMOR
        (r"tre[iy]d|trade", "trad"),  # SPETSTEHNOTREYD ~ SPETSTECHNOTRADE
        (r"c(?![eiyhkz])", "k"),  # ENICS ~ ENIKS: a c sounding k
        (r"shch", "sch"),
        (r"sch", "sh"),
        (r"kh", "h"),
        (r"ck", "k"),
        (r"ph", "f"),
        (r"(ts|tz|cz)", "c"),
        (r"x", "ks"),
        (r"w", "v"),
        (r"q", "k"),
        (r"(iy|yy|ij|yj|yi|ii)$", "i"),
        (r"[yj]", "i"),
        (r"ie", "e"),
        (r"(?<=[^s])s$", ""),  # plural (SHIPYARDS ~ SHIPYARD); not -ss (BUSINESS)
        (r"(.)\1+", r"\1"),
        (r"(?<=..)([sc])k(i|ai|aia|oe|oi|ogo)$", r"\1k"),  # VOTKINSKIY, LIPETSKII ~ -SK
        (r"(?<=....)s?sk$", ""),  # a place's adjective: SARATOVSKIY ~ SARATOV, MOSKOVSKY ~ MOSCOW
    )
)


@dataclass(frozen=True)
class NameVocabulary:
    """Legal forms, abbreviations and generic words, loaded once from package data."""

    abbreviations: dict[str, tuple[str, ...]]
    folded_abbreviations: dict[str, tuple[str, ...]]
    """the long abbreviation keys by their fold: TEHNOLOGII meets TEKHNOLOGII"""
    short_legal_forms: tuple[str, ...]
    """one-word legal forms of 3-5 letters: what a garbled LBC, KTD or JLC was"""
    legal_form_words: frozenset[str]
    folded_legal_forms: dict[tuple[str, ...], str]
    """the legal forms by their folded words: AKCIONERNOE and AKTSIONERNOYE meet"""
    generic: frozenset[str]
    """folded generic tokens"""
    legal_forms: dict[tuple[str, ...], str]
    """token sequence (after abbreviation expansion) -> canonical legal form"""
    max_legal_form_len: int
    spelling_targets: tuple[str, ...]
    short_spelling_targets: tuple[str, ...]
    """the legal-form words among them: the only targets of short tokens (JONT -> joint)"""
    """long legal-form and generic words that misspellings are corrected to (COMPNAY)"""
    legal_form_starts: frozenset[tuple[str, ...]]
    """every legal-form phrase cut inside one of its words (LIMITED LIABILITY COMPA)"""
    translations: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)
    """folded Russian/Ukrainian organisation phrase -> its English words (ZAVOD -> plant)"""
    max_translation_len: int = 1
    translation_stems: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(folded Russian stem, English words), longest stem first (ИНЖЕНЕРН -> engineering)"""
    neutral_legal_forms: frozenset[str] = frozenset()
    """legal forms that say nothing about the form ("company")"""
    compatible_legal_forms: frozenset[frozenset[str]] = frozenset()
    """pairs of legal forms one company may be written with (LLC, LTD)"""


@dataclass(frozen=True)
class NormalisedName:
    """A name ready for matching. ``tokens`` are folded comparison keys of the name core."""

    original: str
    tokens: tuple[str, ...]
    generic_tokens: frozenset[str]
    legal_forms: tuple[str, ...]
    identifiers: tuple[tuple[str, str], ...] = field(default=())
    removed: tuple[str, ...] = field(default=())
    """words normalised away (legal forms), for explanations"""
    ends_with_legal_form: bool = False
    """the name ends in a whole legal form (... CO., LTD): it was not cut short"""
    written_length: int = 0
    """characters of the name as written, identifiers aside: a long name may have been cut"""
    words: tuple[str, ...] = field(default=(), compare=False)
    """the words the name was read from (identifiers aside, before any expansion): other
    readings of the same name start from them rather than tokenise it again"""
    recut: tuple[str, ...] = field(default=())
    """words repaired into list words (``nationalnuclear -> national nuclear``, ``lbc -> llc``),
    for explanations"""
    as_written_core: tuple[str, ...] = field(default=(), compare=False)
    """the core's keys before organisation words were translated (KONTSERN, not concern), where
    that differs: what a name cut short is compared with, as its cut word was never translated"""
    written: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    """(comparison key, word as written): explanations use the words an analyst reads"""
    key: str = field(init=False, compare=False)
    """The core as one string: what string scorers compare."""

    def as_written(self, token: str) -> str:
        """The word of the name as written that gave the comparison key ``token``."""
        return dict(self.written).get(token, token)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", " ".join(self.tokens))


def raw_words(text: str) -> list[str]:
    """Words of a name as written, in the Latin comparison space (before any expansion)."""
    return _raw_tokens(text)


@functools.cache
def _latin_lookalikes() -> dict[str, str]:
    """Character -> the Latin letter it looks like, from the Unicode confusables data (UTS #39,
    as packaged by confusable-homoglyphs): Cyrillic С, Greek Ο, Cyrillic У ..."""
    from confusable_homoglyphs.confusables import confusables_data

    table: dict[str, str] = {}
    for char, glyphs in confusables_data.items():
        if len(char) != 1 or _is_latin(char):
            continue
        latin = [
            g["c"] for g in glyphs if len(g["c"]) == 1 and g["c"].isascii() and g["c"].isalpha()
        ]
        if latin:
            table[char] = latin[0]
    return table


def _is_latin(char: str) -> bool:
    return char.isascii() or unicodedata.name(char, "").startswith("LATIN")


_WORD = re.compile(r"\w+")


def latin_skeleton(text: str) -> str:
    """Latin text with look-alike letters of other scripts typed into it (``Сo., Ltd.`` with a
    Cyrillic С, ``PУRAMID``) read as the Latin letters they look like: a word mixing scripts,
    or in a mostly Latin name a word made only of look-alikes. Names written wholly in
    another script are left to transliteration."""
    if SHORTCUTS and text.isascii():  # most names: nothing but Latin letters to read
        return text
    letters = [c for c in text if c.isalpha()]
    latin = sum(1 for c in letters if _is_latin(c))
    if not latin or latin == len(letters):
        return text
    lookalikes = _latin_lookalikes()
    mostly_latin = 2 * latin > len(letters)

    def fold(word: re.Match[str]) -> str:
        w = word.group()
        foreign = [c for c in w if c.isalpha() and not _is_latin(c)]
        if not foreign or not all(c in lookalikes for c in foreign):
            return w
        if len(foreign) < sum(c.isalpha() for c in w) or mostly_latin:
            return "".join(lookalikes.get(c, c) if not _is_latin(c) else c for c in w)
        return w

    return _WORD.sub(fold, text)


_GLUED_INITIALS = re.compile(r"(?<=[A-Za-z]{2})(?=[A-Za-z]\.[A-Za-z]\.)")
"""ARIZONAS.A., DEC.V.: a legal form written as initials, glued to the word before it."""


def _raw_tokens(text: str) -> list[str]:
    if SHORTCUTS and text.isascii():
        # most names: NFKC, the look-alike, Cyrillic and CJK steps and transliteration leave
        # ASCII as it is, its only apostrophes are ' and `, and its casefold is lower
        if "." in text:
            text = _GLUED_INITIALS.sub(" ", text)
        if "s" in text or "S" in text:  # (an upper-case name's possessive too: BANK'S)
            text = _POSSESSIVE.sub("", text)
        text = text.replace("'", "").replace("`", "").lower()
    else:
        text = latin_skeleton(unicodedata.normalize("NFKC", text))
        if "." in text:
            text = _GLUED_INITIALS.sub(" ", text)
        text = text.translate(_RU_SOFT_SIGNS).translate(_UK_TO_RU)
        text = _CJK.sub(r" \1 ", text)
        text = anyascii(text)
        if "s" in text or "S" in text:  # (an upper-case name's possessive too: BANK'S)
            text = _POSSESSIVE.sub("", text)
        text = _APOSTROPHES.sub("", text).casefold()
    if "dzh" in text:
        text = text.replace("dzh", "j")  # ДЖ: DZHOINT is JOINT, DZHABRAILOV JABRAILOV
    text = text.replace("&", " and ")
    tokens = _TOKEN.findall(text)
    if SHORTCUTS and not _SINGLE_LETTER.search(text):
        return tokens  # no one-letter word: no initials to join
    return _join_initials(tokens)


_SINGLE_LETTER = re.compile(r"(?<![a-z0-9])[a-z](?![a-z0-9])")
"""a one-letter word of the lower-cased text, as _TOKEN reads its words"""


def _join_initials(tokens: list[str]) -> list[str]:
    """Runs of single letters are one word: F.Z.E. -> fze, L L C -> llc, A.S. -> as."""
    out: list[str] = []
    run: list[str] = []
    for token in [*tokens, ""]:
        if len(token) == 1 and token.isalpha():
            run.append(token)
            continue
        if run:
            out.extend(["".join(run)] if len(run) > 1 else run)
            run = []
        if token:
            out.append(token)
    return out


MIN_FOLD_LEN = 6
"""Shorter tokens only get the light fold: folding AVITS to AVIC, or MMEC to MEC, would make
two names meet."""
MIN_LIGHT_FOLD_LEN = 4
_LIGHT_FOLD_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), repl)
    for pattern, repl in (
        (r"(iy|yy|yi|ii)$", "i"),
        (r"dzh", "j"),
        (r"kh", "h"),  # UKHTA ~ UHTA
        (r"y", "i"),  # KUZEY ~ KUZEI, SVYAZ ~ SVIAZ, YANG ~ IANG
        (r"^tre[iy]d$", "trade"),  # TREID ~ TRADE
    )
)
_HARD_C = re.compile(r"c(?![eiyhkz])")
FOLD_VERSION = 9
"""Bumped whenever the fold changes: caches of folded words carry it in their names."""


@functools.lru_cache(maxsize=1 << 18)
def fold_token(token: str, *, force: bool = False) -> str:
    """Phonetic key meeting transliteration variants (Khimprom ~ Himprom, Tsentr ~ Centr).
    ``force`` folds short tokens too (to compare a cut word with the start of a folded one)."""
    if len(token) < MIN_FOLD_LEN and not force:
        if len(token) < MIN_LIGHT_FOLD_LEN or token.isdigit():
            return token
        for pattern, repl in _LIGHT_FOLD_RULES:
            token = pattern.sub(repl, token)
        if len(token) > MIN_LIGHT_FOLD_LEN:  # ENICS ~ ENIKS; four letters (CTTS) are initials
            token = _HARD_C.sub("k", token)
        return token
    if not SHORTCUTS:
        for pattern, repl in _FOLD_RULES:
            token = pattern.sub(repl, token)
        return token
    for (pattern, repl), needles in zip(_FOLD_RULES, _FOLD_NEEDLES, strict=True):
        if needles is None:
            token = pattern.sub(repl, token)
            continue
        for needle in needles:  # a rule none of whose needles is in the word cannot match it
            if needle in token:
                token = pattern.sub(repl, token)
                break
    return token


_FOLD_NEEDLES: tuple[tuple[str, ...] | None, ...] = (
    ("ies",),
    ("dzh",),
    ("tech",),
    ("mech",),
    ("yo",),
    ("va",),
    ("our",),
    ("tre", "trade"),
    ("c",),
    ("shch",),
    ("sch",),
    ("kh",),
    ("ck",),
    ("ph",),
    ("ts", "tz", "cz"),
    ("x",),
    ("w",),
    ("q",),
    ("i", "y", "j"),
    ("y", "j"),
    ("ie",),
    ("s",),
    None,  # a doubled letter
    ("k",),
    ("sk",),
)
"""Per fold rule, strings one of which a word must hold for the rule to match it (None: any
word may match): most words skip most of the rules' regular expressions."""


@functools.cache
def load_vocabulary() -> NameVocabulary:
    with open(PACKAGE_DATA_DIR / "name_vocabulary.yml", encoding="utf-8") as fh:
        vocab = yaml_files.safe_load(fh)
    abbreviations = {
        str(k): tuple(_raw_tokens(str(v))) for k, v in (vocab.get("abbreviations") or {}).items()
    }
    with open(PACKAGE_DATA_DIR / "legal_forms.yml", encoding="utf-8") as fh:
        forms_data = yaml_files.safe_load(fh)
    legal_forms: dict[tuple[str, ...], str] = {}
    for canonical, variants in forms_data.items():
        for variant in [canonical, *variants]:
            tokens = _expand(_raw_tokens(str(variant)), abbreviations)
            if tokens:
                legal_forms.setdefault(tuple(tokens), str(canonical))
    generic = frozenset(
        fold_token(t)
        for word in vocab.get("generic") or []
        for t in _expand(_raw_tokens(str(word)), abbreviations)
    )
    legal_words = {t for phrase in legal_forms for t in phrase}
    generic_words = {
        t
        for word in vocab.get("generic") or []
        for t in _expand(_raw_tokens(str(word)), abbreviations)
    }
    # generic words as customs writes them too (TECHNOLOGIES): TECHNOLOGISE is one slip away
    generic_spellings = {
        k
        for k, v in abbreviations.items()
        if len(k) >= MIN_GENERIC_SPELLING_LEN
        and all(w in generic_words for w in v)
        and len(k) >= len(" ".join(v)) - 2  # whole words, not shortenings (INTERNAT)
    }
    targets = sorted(
        {w for w in legal_words if len(w) >= MIN_SPELLING_LEN}
        | {w for w in generic_words | generic_spellings if len(w) >= MIN_GENERIC_SPELLING_LEN}
    )
    starts = {
        (*phrase[:i], phrase[i][:cut])
        for phrase in legal_forms
        for i in range(len(phrase))
        for cut in range(1, len(phrase[i]))
    }
    # cut between words: ... CLOSED JOINT STOCK, ... LIMITED LIABILITY, ... PRIVATE
    starts |= {
        phrase[:i]
        for phrase in legal_forms
        for i in range(1, len(phrase))
        if phrase[:i] not in legal_forms
        and (
            i > 1 or (len(phrase[0]) >= MIN_CUT_FORM_WORD and phrase[0] not in NAME_LIKE_FORM_WORDS)
        )
    }
    translations = {
        # the English words as names write them after expansion (INSTRUMENT -> instruments)
        tuple(fold_token(t) for t in _raw_tokens(str(k))): tuple(
            _expand(_raw_tokens(str(v)), abbreviations)
        )
        for k, v in (vocab.get("translations") or {}).items()
    }
    families = (vocab.get("legal_form_families") or {}).values()
    compatible = frozenset(
        frozenset((a, b)) for family in families for a in family for b in family if a != b
    )
    stems = sorted(
        (
            (
                fold_token("".join(_raw_tokens(str(k))), force=True),
                tuple(_expand(_raw_tokens(str(v)), abbreviations)),
            )
            for k, v in (vocab.get("translation_stems") or {}).items()
        ),
        key=lambda sv: (-len(sv[0]), sv[0]),
    )
    return NameVocabulary(
        translation_stems=tuple(stems),
        neutral_legal_forms=frozenset(vocab.get("neutral_legal_forms") or ()),
        compatible_legal_forms=compatible,
        translations=translations,
        max_translation_len=max((len(k) for k in translations), default=1),
        abbreviations=abbreviations,
        folded_abbreviations={
            fold_token(k): v for k, v in abbreviations.items() if len(k) >= MIN_FOLD_LEN
        },
        folded_legal_forms={
            tuple(fold_token(t) for t in phrase): form
            for phrase, form in legal_forms.items()
            if any(len(t) >= MIN_FOLD_LEN for t in phrase)
        },
        legal_form_words=frozenset(legal_words),
        short_legal_forms=tuple(
            sorted({p[0] for p in legal_forms if len(p) == 1 and 3 <= len(p[0]) <= 5})
        ),
        generic=generic,
        legal_forms=legal_forms,
        max_legal_form_len=max(len(k) for k in legal_forms),
        spelling_targets=tuple(targets),
        short_spelling_targets=tuple(w for w in targets if w in legal_words),
        legal_form_starts=frozenset(starts),
    )


@functools.cache
def _phrase_words() -> _PhraseWords:
    """First and last words of the vocabulary's phrases (see _PhraseWords)."""
    vocab = load_vocabulary()
    return _PhraseWords(
        legal_first=frozenset(p[0] for p in vocab.legal_forms),
        folded_legal_first=frozenset(p[0] for p in vocab.folded_legal_forms),
        legal_last=frozenset(p[-1] for p in vocab.legal_forms),
        folded_legal_last=frozenset(p[-1] for p in vocab.folded_legal_forms),
        cut_form_last=frozenset(p[-1] for p in vocab.legal_form_starts),
        translation_first=frozenset(p[0] for p in vocab.translations),
        spelling_targets=frozenset(vocab.spelling_targets),
    )


@dataclass(frozen=True)
class _PhraseWords:
    """The words a legal-form or translated phrase can begin or end with: a word that is none
    of them starts (or ends) no phrase, so most words of a name skip the phrase look-ups."""

    legal_first: frozenset[str]
    folded_legal_first: frozenset[str]
    legal_last: frozenset[str]
    folded_legal_last: frozenset[str]
    cut_form_last: frozenset[str]
    translation_first: frozenset[str]
    spelling_targets: frozenset[str]


_V = TypeVar("_V")


class _PerWord(dict[str, _V], Generic[_V]):
    """word -> ``compute(word)``, worked out on first use: the names of a bulk run share their
    words, and a dict hit is cheaper than a call through lru_cache. Emptied when it holds
    MAX_WORDS words (memory stays bounded over any number of names)."""

    MAX_WORDS = 1 << 18

    def __init__(self, compute: Callable[[str], _V]) -> None:
        super().__init__()
        self._compute = compute

    def __missing__(self, word: str) -> _V:
        if len(self) >= self.MAX_WORDS:
            self.clear()
        value = self[word] = self._compute(word)
        return value

    def cache_clear(self) -> None:
        self.clear()


def _expanded_word(token: str) -> tuple[str, ...]:
    """One word with its abbreviation expanded (by its fold too), as _expand reads it with the
    vocabulary's tables."""
    vocab = load_vocabulary()
    return tuple(_expand([token], vocab.abbreviations, vocab.folded_abbreviations))


_EXPANDED = _PerWord(_expanded_word)


def _expand_words(tokens: Sequence[str]) -> list[str]:
    """_expand(tokens, vocab.abbreviations, vocab.folded_abbreviations), word by word cached."""
    if not SHORTCUTS:
        vocab = load_vocabulary()
        return _expand(list(tokens), vocab.abbreviations, vocab.folded_abbreviations)
    expanded = _EXPANDED
    return [w for t in tokens for w in expanded[t]]


def _expand(
    tokens: list[str],
    abbreviations: dict[str, tuple[str, ...]],
    folded: dict[str, tuple[str, ...]] | None = None,
) -> list[str]:
    out: list[str] = []
    for token in tokens:
        expansion = abbreviations.get(token)
        if expansion is None and len(token) > MIN_PLURAL_ABBREVIATION and token.endswith("s"):
            expansion = abbreviations.get(token[:-1])  # TECHS, INSTRS: the plural's S added
        if expansion is None and folded and len(token) >= MIN_FOLD_LEN:
            expansion = folded.get(fold_token(token))
        out.extend(expansion or (token,))
    return out


MIN_SPELLING_LEN = 5
MIN_PLURAL_ABBREVIATION = 3
"""A known abbreviation of at least this many letters with an S added is its plural (TECHS,
INSTRS, ENGS); shorter ones (COS) are listed as they are."""
MIN_CUT_FORM_WORD = 5
MIN_WHOLE_FORM_END = 3
"""A name ending in LTD or LLC is whole; one ending in SA or CO may be SAN... or CORP... cut."""
NAME_LIKE_FORM_WORDS = frozenset({"state", "free"})
"""First words of legal forms that also end ordinary names (... OF THE STATE): a long name
ending in one is not taken for a cut legal form."""
MIN_GENERIC_SPELLING_LEN = 7
"""Short generic words are not spelling targets: SPARS must not become SPARE."""
TRUNCATION_MIN_LEN = 25
"""Names at least this long may have been cut by a data vendor's field width (35 is common)."""


@functools.lru_cache(maxsize=1 << 16)
def _corrected(token: str) -> str:
    """A misspelt legal-form or generic word (COMPNAY, LIABILIITY, LIMMITED) as it should be;
    any other token unchanged. Legal-form words take one edit (a swap counts as one), two for
    words of 8 letters or more; generic words one edit only, so that a name word is not made
    generic (TARGETING is not MARKETING); a word of the language is not taken for two slips."""
    from screening.names.commonness import word_zipf  # it imports this module

    if len(token) < MIN_SPELLING_LEN - 1 or token.isdigit():
        return token
    limit = 1 if len(token) < 8 else 2
    found = process.extractOne(
        token, _targets_within(len(token), limit, True), scorer=OSA.distance, score_cutoff=limit
    )
    if found is None and len(token) >= MIN_GENERIC_SPELLING_LEN - 1:
        found = process.extractOne(
            token, _targets_within(len(token), 1, False), scorer=OSA.distance, score_cutoff=1
        )
    if found is None:
        return token
    folded = fold_token(token)
    if found[1] > 1 and folded != fold_token(found[0]) and word_zipf(folded):
        return token  # a word of the language (REPUBLIC) is not two slips from PUBLIC
    return found[0]


@functools.lru_cache(maxsize=256)
def _targets_within(length: int, edits: int, legal_form_words: bool) -> tuple[str, ...]:
    """The spelling targets (legal-form words only, or all) a word of ``length`` letters can be
    ``edits`` edits from, in their order: a word more letters longer or shorter is further
    (the first of equally close targets stays first)."""
    vocab = load_vocabulary()
    targets = vocab.short_spelling_targets if legal_form_words else vocab.spelling_targets
    if not SHORTCUTS:
        return targets
    return tuple(t for t in targets if abs(len(t) - length) <= edits)


def _correct_spelling(tokens: list[str], vocab: NameVocabulary) -> list[str]:
    if not SHORTCUTS:
        known = set(vocab.spelling_targets)
        corrected = [t if t in known else _corrected(t) for t in tokens]
        return _expand(corrected, vocab.abbreviations)
    spelled = _SPELLED
    return [w for t in tokens for w in spelled[t]]


def _spelled_word(token: str) -> tuple[str, ...]:
    """One word with a misspelt legal-form or generic word corrected, then its abbreviation
    expanded (not by its fold): _correct_spelling of one word."""
    vocab = load_vocabulary()
    corrected = token if token in _phrase_words().spelling_targets else _corrected(token)
    return tuple(_expand([corrected], vocab.abbreviations))


_SPELLED = _PerWord(_spelled_word)


def _read_word(word: str) -> tuple[str, ...]:
    """One word expanded, then spelling-corrected and expanded again: what _expand_words then
    _correct_spelling make of it, in one look-up per word."""
    return tuple(t for e in _EXPANDED[word] for t in _SPELLED[e])


_READ_WORDS = _PerWord(_read_word)
_NUMBERISH = _PerWord(lambda word: word[:1].isdigit() or word in TENS)
"""words spell_numbers may rewrite (a digit first, a tens word): a name with none is left as
it is"""
_FOLDED = _PerWord(fold_token)
"""fold_token of a token, read from a dict"""
_STEMMED = _PerWord(lambda folded: _stem_translation(folded, load_vocabulary()))
"""the English words of a folded word by its stem (None: no stem)"""


def _tokens_of(
    words: Sequence[str], may_cut_form: bool, vocab: NameVocabulary
) -> tuple[list[str], str | None]:
    """The name's tokens from its words: numbers spelt as one word, abbreviations expanded, a
    legal form cut off at the end set aside (``may_cut_form``), misspelt legal-form and generic
    words corrected (then expanded); and the cut legal form, if any."""
    if not SHORTCUTS:
        tokens = _expand_words(spell_numbers(words))  # Forty-Four, 44: one word
        cut = None
        if may_cut_form:
            tokens, cut = _strip_cut_legal_form(tokens, vocab)  # before spelling: PARTN is cut
        return _correct_spelling(tokens, vocab), cut
    words = _numbers_spelt(words)
    # a cut legal form is only looked for where the last expanded word may end one
    # (_strip_cut_legal_form returns at once otherwise); every other name's words are read
    # one by one
    if may_cut_form and _last_word_may_end_cut_form(words):
        tokens, cut = _strip_cut_legal_form(_expand_words(words), vocab)
        return _correct_spelling(tokens, vocab), cut
    read = _READ_WORDS
    return [t for w in words for t in read[w]], None


def _numbers_spelt(words: Sequence[str]) -> Sequence[str]:
    """spell_numbers(words), called only for a name with a word it may rewrite (the words as
    they are otherwise)."""
    numberish = _NUMBERISH
    return spell_numbers(list(words)) if any([numberish[w] for w in words]) else words


def _last_word_may_end_cut_form(words: Sequence[str]) -> bool:
    """The last word (numbers spelt), expanded, may end a legal form broken off at the end."""
    return bool(words) and _EXPANDED[words[-1]][-1] in _phrase_words().cut_form_last


def may_end_in_cut_form(words: Sequence[str]) -> bool:
    """A trade name of these words (as written) may end in a legal form broken off by a
    vendor's field width (normalise_name sets it aside when ``may_be_cut``); when not, the
    name reads the same whether it may be cut or not, and need not be read twice. The same
    test as _tokens_of makes before looking for a cut form."""
    return not SHORTCUTS or _last_word_may_end_cut_form(_numbers_spelt(words))


def _strip_cut_legal_form(core: list[str], vocab: NameVocabulary) -> tuple[list[str], str | None]:
    """A legal form cut off at the end of a truncated name (... JOINT STOCK C, ... LIMITED
    SIRK): whole legal forms are left to _strip_legal_forms, which also names them."""
    if SHORTCUTS and (not core or core[-1] not in _phrase_words().cut_form_last):
        return core, None  # (every tail below ends in the name's last word)
    if _ends_with_legal_form(core, vocab):
        return core, None
    for size in range(min(vocab.max_legal_form_len, len(core) - 1), 0, -1):
        tail = tuple(core[-size:])
        if tail in vocab.legal_form_starts and (tail[-1],) not in vocab.legal_forms:
            return core[:-size], " ".join(tail)
    return core, None


def _ends_with_legal_form(tokens: list[str], vocab: NameVocabulary) -> bool:
    """The words end in a whole legal form (... OTKRYTOE AKTSIONERNOE OBSHCHESTVO)."""
    ends = _phrase_words()
    if SHORTCUTS and (
        not tokens
        or (
            tokens[-1] not in ends.legal_last
            and fold_token(tokens[-1]) not in ends.folded_legal_last
        )
    ):
        return False
    for size in range(1, min(vocab.max_legal_form_len, len(tokens)) + 1):
        tail = tuple(tokens[-size:])
        if tail in vocab.legal_forms or tuple(map(fold_token, tail)) in vocab.folded_legal_forms:
            return True
    return False


def _strip_legal_forms(
    tokens: list[str], vocab: NameVocabulary, folded: Sequence[str] | None = None
) -> tuple[list[str], list[str], list[str]]:
    """Remove legal-form phrases (longest first); returns core, canonical forms, removed words.
    ``folded``: the tokens' folds, when already known."""
    core: list[str] = []
    forms: list[str] = []
    removed: list[str] = []
    if folded is None:
        folded = [fold_token(t) for t in tokens]
    starts = _phrase_words()
    i = 0
    while i < len(tokens):
        if SHORTCUTS and (
            tokens[i] not in starts.legal_first and folded[i] not in starts.folded_legal_first
        ):
            core.append(tokens[i])  # begins no legal form
            i += 1
            continue
        for size in range(min(vocab.max_legal_form_len, len(tokens) - i), 0, -1):
            phrase = tuple(tokens[i : i + size])
            form = vocab.legal_forms.get(phrase) or vocab.folded_legal_forms.get(
                tuple(folded[i : i + size])
            )
            if form is not None:
                forms.append(form)
                removed.append(" ".join(phrase))
                i += size
                break
        else:
            core.append(tokens[i])
            i += 1
    return core, forms, removed


def normalise_name(
    name: str | None,
    *,
    may_be_cut: bool = True,
    words: Sequence[str] | None = None,
    repairs: Sequence[str] = (),
    literal_end: bool = False,
) -> NormalisedName:
    """Normalise one party name; call it over *unique* names only (see normalise_names).

    ``may_be_cut``: the name comes from a field a data vendor may have cut short (trade data),
    so a legal form broken off at its end is set aside; list names are taken as written.
    ``words``: the name's words when already known (another reading's, or repaired ones, with
    ``repairs`` saying what was repaired: screening.names.repair); by default tokenised here.
    ``literal_end``: read a long name as cut, its last word a fragment kept as written (INST
    may be INSTRUMENTS cut, not INSTITUTE; PR, PRODUCTS cut, not a broken-off legal form)."""
    original = name or ""
    identifiers, text = split_identifiers(original)
    vocab = load_vocabulary()
    read_from = tuple(words) if words is not None else tuple(_raw_tokens(text))
    words = list(read_from)
    fragment = words.pop() if literal_end and len(words) > 1 else None
    written_length = len(text.strip())
    tokens, cut = _tokens_of(
        words, may_be_cut and not fragment and written_length >= TRUNCATION_MIN_LEN, vocab
    )
    fold = _FOLDED.__getitem__ if SHORTCUTS else fold_token
    core, forms, removed = _strip_legal_forms(tokens, vocab, list(map(fold, tokens)))
    ends_with_legal_form = (
        not cut
        and not fragment
        and bool(tokens)
        and len(tokens[-1]) >= MIN_WHOLE_FORM_END
        and _ends_with_legal_form(tokens, vocab)
    )
    if not core and not fragment:  # a name that is only a legal form ("LLC") keeps its words
        core, forms, removed = tokens, [], []
    if cut:
        removed.append(cut)
    if fragment:
        core.append(fragment)
    untranslated = tuple(map(fold, core))
    if SHORTCUTS and _translates_nothing(untranslated):
        folded, translated = untranslated, {}
    else:
        core, translated = _translate(core, vocab)
        folded = tuple(map(fold, core))
    generic = vocab.generic
    return _new_name(
        original=original,
        tokens=folded,
        generic_tokens=frozenset([t for t in folded if t in generic]),
        legal_forms=tuple(dict.fromkeys(forms)),
        identifiers=tuple(identifiers),
        removed=tuple(removed),
        ends_with_legal_form=ends_with_legal_form,
        written_length=written_length,
        words=read_from,
        recut=tuple(repairs),
        as_written_core=untranslated if untranslated != folded else (),
        written=_written_words(read_from, vocab, translated),
    )


def _new_name(**fields: object) -> NormalisedName:
    """NormalisedName(**fields), made without the frozen dataclass's __init__ (which sets each
    field through object.__setattr__: a tenth of normalising a name, measured); the same
    object, ``key`` included."""
    name = object.__new__(NormalisedName)
    fields["key"] = " ".join(fields["tokens"])  # type: ignore[arg-type]
    name.__dict__.update(fields)
    return name


def _translates_nothing(folded: Sequence[str]) -> bool:
    """No organisation phrase starts at any of the folded words and none has a translated
    stem: _translate would return the words as they are, with no sources."""
    if not _phrase_words().translation_first.isdisjoint(folded):
        return False
    stemmed = _STEMMED
    return all([stemmed[f] is None for f in folded])


def _translate(core: list[str], vocab: NameVocabulary) -> tuple[list[str], dict[str, str]]:
    """Russian/Ukrainian organisation words in English (ZAVOD -> plant, NPO -> scientific
    production association), longest phrase first, on folded words; also returns each English
    word's source phrase as written (English word -> source, for explanations)."""
    if not vocab.translations:
        return core, {}
    folded = [fold_token(t) for t in core]
    out: list[str] = []
    sources: dict[str, str] = {}
    starts = _phrase_words().translation_first
    i = 0
    while i < len(core):
        for size in (
            range(min(vocab.max_translation_len, len(core) - i), 0, -1)
            if folded[i] in starts or not SHORTCUTS
            else ()
        ):
            english = vocab.translations.get(tuple(folded[i : i + size]))
            if english is not None:
                out.extend(english)
                for word in english:
                    sources.setdefault(word, " ".join(core[i : i + size]))
                i += size
                break
        else:
            english = _stem_translation(folded[i], vocab)
            if english is None:
                out.append(core[i])
            else:
                out.extend(english)
                for word in english:
                    sources.setdefault(word, core[i])
            i += 1
    return out, sources


MIN_STEM_TOKEN_LEN = 5


def _stem_translation(folded: str, vocab: NameVocabulary) -> tuple[str, ...] | None:
    """The English words of a Russian word beginning with a known stem (any ending)."""
    if len(folded) < MIN_STEM_TOKEN_LEN or not folded.isalpha():
        return None
    return _stem_lookup(folded)


@functools.lru_cache(maxsize=1 << 16)
def _stem_lookup(folded: str) -> tuple[str, ...] | None:
    if SHORTCUTS:  # the longest stem the word begins with: one look-up per stem length
        for length, stems in _stems_by_length():
            english = stems.get(folded[:length])
            if english is not None:
                return english
        return None
    for stem, english in load_vocabulary().translation_stems:
        if folded.startswith(stem):
            return english
    return None


@functools.cache
def _stems_by_length() -> tuple[tuple[int, dict[str, tuple[str, ...]]], ...]:
    """The translation stems by length, longest first, each length's stems by stem (the first
    of equal stems kept, as the ordered search finds it first)."""
    by_length: dict[int, dict[str, tuple[str, ...]]] = {}
    for stem, english in load_vocabulary().translation_stems:
        by_length.setdefault(len(stem), {}).setdefault(stem, english)
    return tuple(sorted(by_length.items(), reverse=True))


def _written_keys(word: str) -> tuple[str, ...]:
    """The comparison keys a word as written gives (its expansion, folded)."""
    return tuple(fold_token(token) for token in _EXPANDED[word])


_WRITTEN_KEYS = _PerWord(_written_keys)


def _written_words(
    words: Sequence[str], vocab: NameVocabulary, translated: dict[str, str]
) -> tuple[tuple[str, str], ...]:
    """(comparison key, word as written) for the words of a name: explanations speak of
    SIEMENS, not of its key ``semen``; of ZAVOD (as plant), not of ``plant``."""
    found: dict[str, str] = {}
    for word in words:
        for key in _WRITTEN_KEYS[word]:
            found.setdefault(key, word)
    for english, source in translated.items():
        key = fold_token(english)
        found[key] = source if fold_token(source) == key else f"{source} (as {english})"
    return tuple(found.items())


_LABELLED_RU_IDS = re.compile(
    r"[\s,;(]*\b(?P<scheme>INN|ИНН|OGRN|ОГРН|KPP|КПП)\b[\s:№#.]*(?P<value>\d{9,15})\b[\s,;)]*",
    re.IGNORECASE,
)
_ANY_DIGIT = re.compile(r"\d")
_SCHEMES = {"инн": "INN", "огрн": "OGRN", "кпп": "KPP"}
_ID_LENGTHS = {"INN": (10, 12), "OGRN": (13, 15), "KPP": (9,)}


def split_identifiers(name: str | None) -> tuple[list[tuple[str, str]], str]:
    """Russian INN/KPP digits customs systems glue before a name, and labelled INN, OGRN or
    KPP numbers anywhere in it (``INN 7718852163 ROSOBORONEKSPORT OAO``, ``... OOO INN
    5042118606``); the identifiers and the name without them."""
    text = name or ""
    identifiers: list[tuple[str, str]] = []
    found = _LEADING_RU_IDS.match(text)
    if found:
        identifiers = [("INN", found["inn"])] + ([("KPP", found["kpp"])] if found["kpp"] else [])
        text = text[found.end() :]
    if _ANY_DIGIT.search(text) if SHORTCUTS else any(c.isdigit() for c in text):
        kept: list[tuple[str, str]] = []

        def take(match: re.Match[str]) -> str:
            scheme = _SCHEMES.get(match["scheme"].casefold(), match["scheme"].upper())
            if len(match["value"]) not in _ID_LENGTHS[scheme]:
                return match.group()
            kept.append((scheme, match["value"]))
            return " "

        rest = _LABELLED_RU_IDS.sub(take, text)
        if kept and rest.strip():
            identifiers += kept
            text = rest.strip()
    return identifiers, text


def normalise_company_name(name: str | None) -> str:
    """The comparison key of a name as one string (for display, dedupe and tests)."""
    return normalise_name(name).key


def normalise_names(names: list[str], *, may_be_cut: bool = True) -> list[NormalisedName]:
    """Normalise a list of names, computing each distinct name once."""
    cache: dict[str, NormalisedName] = {}
    out = []
    for name in names:
        result = cache.get(name)
        if result is None:
            result = cache[name] = normalise_name(name, may_be_cut=may_be_cut)
        out.append(result)
    return out
