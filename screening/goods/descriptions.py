"""What the goods description says, read against the CHPL: a second witness to the HS code.

A declared HS code can be wrong by mistake or on purpose; "MICROCONTROLLER STM32" declared under
9403 (furniture) is the pattern the BIS/FinCEN alerts describe. The phrases that name CHPL-type
goods live in ``screening/data/description_rules.yml`` (English, Russian, Chinese customs
wording), so analysts can extend them without code.

Vendor text is upper case, truncated, and mixes look-alike Latin and Cyrillic letters inside one
word ("MИKPOCXEMA"), so descriptions are normalised first (:func:`normalise_texts`). Each rule is
one RE2 alternation run over the DISTINCT normalised descriptions with pyarrow.compute; rows are
never looped over.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from screening.errors import ListParseError
from screening.hs.chpl import CHPL_TIERS, load_chpl
from screening.paths import PACKAGE_DATA_DIR

DESCRIPTION_RULES_FILE = PACKAGE_DATA_DIR / "description_rules.yml"

POSSIBLE_MISDECLARATION = "possible_misdeclaration"
CONSISTENT = "consistent"
OTHER_CHPL_CODE = "other_chpl_code"
DESCRIPTION_ONLY = "description_only"
DESCRIPTION_SIGNALS = (POSSIBLE_MISDECLARATION, CONSISTENT, OTHER_CHPL_CODE, DESCRIPTION_ONLY)
"""``possible_misdeclaration``: a CHPL-type description under a declared code that is neither
on the CHPL nor where those goods belong, or under an invalid code; ``consistent``: the code is
where the described goods belong; ``other_chpl_code``: the code is on the CHPL but for other
goods; ``description_only``: no code to compare with."""

DESCRIPTION_COLUMNS = (
    "description_rule",
    "description_phrase",
    "description_tier",
    "description_hs",
    "description_signal",
    "description_reason",
)

WORD_CHAR = "[^ ]"
"""What ``\\w`` means in a rule pattern: any character but the space, which in normalised text
is a letter, mark or digit of any script (RE2's own ``\\w`` is ASCII only, and a Unicode class
makes each regex far slower to compile)."""

_CJK_CLASS = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}"
_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_LANGUAGES = ("en", "ru", "uk", "tr", "zh", "translit")
_CJK_SPACE = re.compile(rf"(?<={_CJK_CHAR.pattern}) (?={_CJK_CHAR.pattern})")
_CAPTURING_GROUP = re.compile(r"(?<!\\)\((?!\?)")

# Latin and Cyrillic letters that look alike in upper case (and the few that do in lower case).
_LATIN_LOOKALIKES = "AaBCcEeHIiKkMOoPpTXxYy"
_CYRILLIC_LOOKALIKES = "АаВСсЕеНІіКкМОоРрТХхУу"
_TO_CYRILLIC = str.maketrans(_LATIN_LOOKALIKES, _CYRILLIC_LOOKALIKES)
_TO_LATIN = str.maketrans(_CYRILLIC_LOOKALIKES, _LATIN_LOOKALIKES)
_LETTERS = re.compile(r"[^\W\d_]+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z]")


@dataclass(frozen=True)
class DescriptionRule:
    """One rule of the rules file, with its patterns compiled into one RE2 alternation."""

    id: str
    label: str
    tier: str
    hs_prefixes: tuple[str, ...]
    """digit strings (4 or 6 digits)"""
    patterns: Mapping[str, tuple[str, ...]]
    """language -> patterns as written in the file"""
    unless: tuple[str, ...]
    ignore: tuple[str, ...]
    note: str
    regex: str
    """the patterns as one RE2 regex over normalised text, whole words only"""
    unless_regex: str | None
    ignore_regex: str | None
    negated_regex: str
    """the patterns right after a negation ("other than", "excluding", "кроме"): HS texts and
    copied nomenclature wording name goods they exclude"""

    @property
    def hs_dotted(self) -> str:
        return ", ".join(_dotted(p) for p in self.hs_prefixes)


@dataclass(frozen=True)
class DescriptionRules:
    rules: tuple[DescriptionRule, ...]
    source: str

    def __len__(self) -> int:
        return len(self.rules)


def _dotted(digits: str) -> str:
    return digits if len(digits) <= 4 else f"{digits[:4]}.{digits[4:]}"


# --------------------------------------------------------------------------------------------
# Text normalisation (shared with the red-flag term lists)


def _fix_mixed_word(match: re.Match[str]) -> str:
    """One word written in both scripts -> the script its unambiguous letters belong to."""
    word = match.group()
    if not (_CYRILLIC.search(word) and _LATIN.search(word)):
        return word
    cyrillic_only = any(_CYRILLIC.match(c) and c not in _CYRILLIC_LOOKALIKES for c in word)
    latin_only = any(_LATIN.match(c) and c not in _LATIN_LOOKALIKES for c in word)
    if cyrillic_only != latin_only:
        return word.translate(_TO_CYRILLIC if cyrillic_only else _TO_LATIN)
    cyrillic_count = len(_CYRILLIC.findall(word))
    latin_count = len(_LATIN.findall(word))
    return word.translate(_TO_CYRILLIC if cyrillic_count >= latin_count else _TO_LATIN)


def _fix_mixed_scripts(text: str) -> str:
    return _LETTERS.sub(_fix_mixed_word, text)


def _as_string_array(values: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        values = pa.array(list(values), type=pa.string())
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    return values if values.type == pa.string() else values.cast(pa.string())


def normalise_texts(values: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> pa.Array:
    """Descriptions (or names) as the rule patterns read them: `` word word `` in lower case.

    NFKC; Latin/Cyrillic look-alike letters inside a word of the other script repaired
    ("MИKPOCXEMA" -> "микросхема"); lower case (Turkish "İ" -> "i"); ё -> е; CJK characters
    spaced apart; every run
    of characters other than letters, marks and digits -> one space; one space at each end so
    a pattern wrapped in spaces matches whole words only. Call it on distinct values.
    """
    text = pc.utf8_normalize(_as_string_array(values), "NFKC")
    mixed = pc.and_(
        pc.match_substring_regex(text, r"\p{Cyrillic}"),
        pc.match_substring_regex(text, r"[A-Za-z]"),
    )
    rows = np.flatnonzero(pc.fill_null(mixed, False).to_numpy(zero_copy_only=False))
    if rows.size:
        fixed = [_fix_mixed_scripts(t) for t in text.take(pa.array(rows)).to_pylist()]
        mask = np.zeros(len(text), dtype=bool)
        mask[rows] = True
        text = pc.replace_with_mask(text, pa.array(mask), pa.array(fixed, pa.string()))
    text = pc.replace_substring(pc.utf8_lower(text), "ё", "е")
    text = pc.replace_substring(text, "\u0307", "")  # Turkish İ lower-cases to i + dot above
    text = pc.replace_substring_regex(text, f"([{_CJK_CLASS}])", r" \1 ")
    text = pc.replace_substring_regex(text, r"[^\p{L}\p{M}\p{N}]+", " ")
    text = pc.utf8_trim(text, " ")
    return pc.binary_join_element_wise(" ", text, " ", "")


def unspace_cjk(text: str) -> str:
    """Undo the normaliser's spacing of CJK characters, for showing a matched phrase."""
    return _CJK_SPACE.sub("", text)


def compile_patterns(patterns: Sequence[str]) -> str:
    """Rule patterns -> one RE2 regex matching whole words of :func:`normalise_texts` output.

    ``\\w`` becomes a letter/mark/digit of any script; groups become non-capturing (so the
    matched phrase can be extracted by name); consecutive CJK characters are spaced as the
    normaliser spaces them; ё -> е as in the text.
    """
    parts = []
    for pattern in patterns:
        pattern = pattern.replace("ё", "е").replace(r"\w", WORD_CHAR)
        pattern = _CAPTURING_GROUP.sub("(?:", pattern)
        pattern = re.sub(rf"(?<={_CJK_CHAR.pattern})(?={_CJK_CHAR.pattern})", " ", pattern)
        parts.append(f"(?:{pattern})")
    return " (?:" + "|".join(parts) + ") "


NEGATIONS = (
    "other than",
    "excluding",
    "except",
    "not containing",
    "not including",
    "кроме",
    "за исключением",
    "не содержащ\\w*",
)
"""Words that turn a following phrase into an exclusion; a rule that only matches after one of
them (within four words) does not fire."""


def _negated(regex: str) -> str:
    negation = "|".join(n.replace(r"\w", WORD_CHAR) for n in NEGATIONS)
    return f" (?:{negation}) (?:{WORD_CHAR}+ ){{0,4}}" + regex[1:]


def match_patterns(normalised: pa.Array, regex: str) -> np.ndarray:
    """Boolean numpy mask: which normalised texts the compiled regex matches (null -> False)."""
    if len(normalised) == 0:
        return np.zeros(0, dtype=bool)
    hits = pc.match_substring_regex(normalised, regex)
    return pc.fill_null(hits, False).to_numpy(zero_copy_only=False)


# --------------------------------------------------------------------------------------------
# Loading the rules


def _rule_lines(text: str) -> list[int]:
    """Line number (1-based) where each rule starts, to name it in errors."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return []
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if key.value == "rules" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def _check_regex(regex: str) -> str | None:
    try:
        pc.match_substring_regex(pa.array([""], pa.string()), regex)
    except pa.ArrowInvalid as exc:
        return str(exc)
    return None


_ESCAPES = re.compile(r"\\[pP]\{\w+\}|\\.")


def _parse_rule(raw: Any, where: dict[str, Any], seen: set[str]) -> DescriptionRule:
    def fail(message: str, column: str) -> ListParseError:
        return ListParseError(message, **where, column=column)

    if not isinstance(raw, dict):
        raise fail("a rule must be a mapping with id, tier, hs_prefixes, patterns", "rules")
    rule_id = str(raw.get("id") or "").strip()
    if not re.fullmatch(r"[a-z0-9_]+", rule_id):
        raise fail(f"rule id {raw.get('id')!r} must be snake_case", "id")
    if rule_id in seen:
        raise fail(f"duplicate rule id {rule_id!r}", "id")
    tier = str(raw.get("tier") or "")
    if tier not in CHPL_TIERS:
        raise fail(f"rule {rule_id}: tier {tier!r} is not one of {', '.join(CHPL_TIERS)}", "tier")
    prefixes = []
    for prefix in raw.get("hs_prefixes") or []:
        digits = str(prefix).replace(".", "").strip()
        if not re.fullmatch(r"[0-9]{4}|[0-9]{6}", digits):
            raise fail(f"rule {rule_id}: HS prefix {prefix!r} is not 4 or 6 digits", "hs_prefixes")
        prefixes.append(digits)
    if not prefixes:
        raise fail(f"rule {rule_id}: needs at least one HS prefix", "hs_prefixes")
    by_language = raw.get("patterns")
    if not isinstance(by_language, dict) or not by_language:
        raise fail(f"rule {rule_id}: patterns must map a language to a list", "patterns")
    patterns: dict[str, tuple[str, ...]] = {}
    for language, items in by_language.items():
        if language not in _LANGUAGES:
            raise fail(f"rule {rule_id}: unknown language {language!r}", "patterns")
        if not isinstance(items, list) or not items:
            raise fail(f"rule {rule_id}: patterns.{language} must be a non-empty list", "patterns")
        patterns[language] = tuple(str(p) for p in items)
    unless = tuple(str(p) for p in raw.get("unless") or [])
    ignore = tuple(str(p) for p in raw.get("ignore") or [])
    for pattern in [p for ps in patterns.values() for p in ps] + list(unless) + list(ignore):
        bare = _ESCAPES.sub("", pattern)
        if bare != bare.lower():
            raise fail(f"rule {rule_id}: pattern {pattern!r} must be lower case", "patterns")
        error = _check_regex(compile_patterns([pattern]))
        if error:
            raise fail(f"rule {rule_id}: pattern {pattern!r} is not valid RE2: {error}", "patterns")
    seen.add(rule_id)
    return DescriptionRule(
        id=rule_id,
        label=str(raw.get("label") or rule_id.replace("_", " ")),
        tier=tier,
        hs_prefixes=tuple(prefixes),
        patterns=patterns,
        unless=unless,
        ignore=ignore,
        note=str(raw.get("note") or ""),
        regex=compile_patterns([p for ps in patterns.values() for p in ps]),
        unless_regex=compile_patterns(unless) if unless else None,
        ignore_regex=compile_patterns(ignore) if ignore else None,
        negated_regex=_negated(compile_patterns([p for ps in patterns.values() for p in ps])),
    )


@functools.cache
def _load_rules(path: str) -> DescriptionRules:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ListParseError("file not found", file=path) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ListParseError(f"not valid YAML: {exc}", file=path) from exc
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise ListParseError("expected a top-level 'rules:' list", file=path, column="rules")
    lines = _rule_lines(text)
    seen: set[str] = set()
    rules = []
    for i, raw in enumerate(data["rules"]):
        where = {"file": path, "row": lines[i] if i < len(lines) else None}
        rules.append(_parse_rule(raw, where, seen))
    if not rules:
        raise ListParseError("the rules list is empty", file=path, column="rules")
    return DescriptionRules(tuple(rules), path)


def load_description_rules(path: str | Path | None = None) -> DescriptionRules:
    """The rules file (default: the bundled one), validated and compiled; cached per path.

    Raises :class:`ListParseError` naming the file, the line where the bad rule starts and the
    field (``id``, ``tier``, ``hs_prefixes``, ``patterns``).
    """
    return _load_rules(str(Path(path) if path is not None else DESCRIPTION_RULES_FILE))


# --------------------------------------------------------------------------------------------
# Classification


def _tier_rank(tier: str) -> int:
    return CHPL_TIERS.index(tier)


def rule_hits(normalised: pa.Array, rules: DescriptionRules) -> np.ndarray:
    """(texts x rules) boolean matrix: which rule fires on which normalised text."""
    hits = np.zeros((len(normalised), len(rules)), dtype=bool)
    for j, rule in enumerate(rules.rules):
        fired = match_patterns(normalised, rule.regex)
        if fired.any():
            rows = np.flatnonzero(fired)
            candidates = normalised.take(pa.array(rows))
            affirmed = candidates
            if rule.ignore_regex is not None:
                affirmed = pc.replace_substring_regex(affirmed, rule.ignore_regex, " ")
            affirmed = pc.replace_substring_regex(affirmed, rule.negated_regex, " ")
            cancelled = ~match_patterns(affirmed, rule.regex)
            if rule.unless_regex is not None:
                cancelled |= match_patterns(candidates, rule.unless_regex)
            fired[rows[cancelled]] = False
        hits[:, j] = fired
    return hits


def _matched_phrases(normalised: pa.Array, rule: DescriptionRule) -> list[str | None]:
    """The words of each text that the rule matched (first match)."""
    regex = " (?P<phrase>" + rule.regex[1:-1] + ") "
    found = pc.struct_field(pc.extract_regex(normalised, regex), "phrase")
    return [None if p is None else unspace_cjk(p.strip()) for p in found.to_pylist()]


def _code_agrees(hs6: pa.Array, rules: Sequence[DescriptionRule]) -> np.ndarray:
    """(codes x rules): does each code start with one of each rule's HS prefixes?"""
    out = np.zeros((len(hs6), len(rules)), dtype=bool)
    for j, rule in enumerate(rules):
        for prefix in rule.hs_prefixes:
            starts = pc.fill_null(pc.starts_with(hs6, prefix), False)
            out[:, j] |= starts.to_numpy(zero_copy_only=False)
    return out


def classify_descriptions(
    descriptions: pa.Array | pa.ChunkedArray | Sequence[str | None],
    hs6: pa.Array | pa.ChunkedArray | Sequence[str | None] | None = None,
    rules: DescriptionRules | None = None,
    *,
    hs_status: pa.Array | pa.ChunkedArray | Sequence[str | None] | None = None,
    chpl_hs6: Sequence[str] | None = None,
) -> pa.Table:
    """Per record: which CHPL-type goods its description names, and whether the code agrees.

    Columns (``DESCRIPTION_COLUMNS``, null where no rule fired): ``description_rule`` (rule id),
    ``description_phrase`` (the words that matched, normalised), ``description_tier`` (CHPL tier
    of the described goods; the highest when several rules fire), ``description_hs`` (where those
    goods belong, "8542.31"), ``description_signal`` (see ``DESCRIPTION_SIGNALS``) and
    ``description_reason`` (one sentence for the analyst).

    ``hs6`` is the declared HS6 per record (``hs6`` of the pipeline); without it every hit is
    ``description_only``. ``hs_status`` (valid / invalid / missing) tells an unreadable code,
    which counts as a possible misdeclaration, from an absent one (``description_only``).
    ``chpl_hs6`` defaults to the bundled CHPL.
    """
    rules = rules or load_description_rules()
    values = _as_string_array(descriptions)
    n = len(values)
    for name, other in (("hs6", hs6), ("hs_status", hs_status)):
        if other is not None and len(other) != n:
            raise ValueError(f"{name} has {len(other)} values but descriptions has {n}")
    encoded = pc.dictionary_encode(values)
    distinct = normalise_texts(encoded.dictionary)
    hits = rule_hits(distinct, rules)
    fired_any = hits.any(axis=1)

    rank = np.array([_tier_rank(r.tier) * 10_000 + j for j, r in enumerate(rules.rules)])
    best = np.where(hits, rank[None, :], np.iinfo(np.int64).max).argmin(axis=1)
    best = np.where(fired_any, best, -1)

    positions = pc.fill_null(encoded.indices.cast(pa.int64()), -1).to_numpy(zero_copy_only=False)
    row_best = np.append(best, -1)[positions]  # a null description (-1) takes the appended -1
    hit_rows = np.flatnonzero(row_best >= 0)

    phrase_of_distinct: list[str | None] = [None] * len(distinct)
    for j, rule in enumerate(rules.rules):
        rows = np.flatnonzero(best == j)
        if rows.size:
            phrases = _matched_phrases(distinct.take(pa.array(rows)), rule)
            for row, phrase in zip(rows.tolist(), phrases, strict=True):
                phrase_of_distinct[row] = phrase

    signal = np.full(n, None, dtype=object)
    reason = np.full(n, None, dtype=object)
    if hit_rows.size:
        signal[hit_rows], reason[hit_rows] = _signals_and_reasons(
            hit_rows,
            positions[hit_rows],
            best,
            hits,
            phrase_of_distinct,
            rules,
            hs6=None if hs6 is None else _as_string_array(hs6),
            hs_status=None if hs_status is None else _as_string_array(hs_status),
            chpl_hs6=chpl_hs6,
        )

    rule_ids = np.array([r.id for r in rules.rules] + [None], dtype=object)
    tiers = np.array([r.tier for r in rules.rules] + [None], dtype=object)
    hs_text = np.array([r.hs_dotted for r in rules.rules] + [None], dtype=object)
    phrases = np.array([*phrase_of_distinct, None], dtype=object)
    picked = np.where(row_best >= 0, row_best, len(rules.rules))
    phrase_index = np.where(row_best >= 0, positions, len(distinct))
    return pa.table(
        {
            "description_rule": pa.array(rule_ids[picked].tolist(), pa.string()),
            "description_phrase": pa.array(phrases[phrase_index].tolist(), pa.string()),
            "description_tier": pa.array(tiers[picked].tolist(), pa.string()),
            "description_hs": pa.array(hs_text[picked].tolist(), pa.string()),
            "description_signal": pa.array(signal.tolist(), pa.string()),
            "description_reason": pa.array(reason.tolist(), pa.string()),
        }
    )


def _signals_and_reasons(
    rows: np.ndarray,
    distinct_of_row: np.ndarray,
    best: np.ndarray,
    hits: np.ndarray,
    phrases: list[str | None],
    rules: DescriptionRules,
    *,
    hs6: pa.Array | None,
    hs_status: pa.Array | None,
    chpl_hs6: Sequence[str] | None,
) -> tuple[list[str], list[str]]:
    """Signal and reason for the rows where a rule fired (a small share of all rows)."""
    best_rule = [rules.rules[j] for j in best[distinct_of_row].tolist()]
    described = [
        f"description names CHPL tier {r.tier} goods ({r.label}: '{p}', belong under HS "
        f"{r.hs_dotted})"
        for r, p in zip(best_rule, [phrases[d] for d in distinct_of_row.tolist()], strict=True)
    ]
    if hs6 is None:
        return [DESCRIPTION_ONLY] * len(rows), [f"{d}; no HS code to compare" for d in described]

    codes = hs6.take(pa.array(rows))
    code_list = codes.to_pylist()
    status_list = (
        hs_status.take(pa.array(rows)).to_pylist() if hs_status is not None else [None] * len(rows)
    )
    agrees = (_code_agrees(codes, rules.rules) & hits[distinct_of_row]).any(axis=1)
    chpl_codes = pa.array(
        sorted(set(chpl_hs6) if chpl_hs6 is not None else set(load_chpl()["hs6"].to_pylist())),
        pa.string(),
    )
    on_chpl = pc.fill_null(pc.is_in(codes, value_set=chpl_codes), False).to_numpy(
        zero_copy_only=False
    )
    signals: list[str] = []
    reasons: list[str] = []
    for code, status, agree, chpl, text in zip(
        code_list, status_list, agrees.tolist(), on_chpl.tolist(), described, strict=True
    ):
        if code is None and status == "invalid":
            signals.append(POSSIBLE_MISDECLARATION)
            reasons.append(f"{text}, but the declared HS code is invalid: possible misdeclaration")
        elif code is None:
            signals.append(DESCRIPTION_ONLY)
            reasons.append(f"{text}; no HS code declared")
        elif agree:
            signals.append(CONSISTENT)
            reasons.append(f"{text}; the declared HS {code} agrees")
        elif chpl:
            signals.append(OTHER_CHPL_CODE)
            reasons.append(f"{text}, but is declared under HS {code}, a CHPL code for other goods")
        else:
            signals.append(POSSIBLE_MISDECLARATION)
            reasons.append(
                f"{text}, but the declared HS {code} is neither on the CHPL nor where those goods "
                "belong: possible misdeclaration"
            )
    return signals, reasons
