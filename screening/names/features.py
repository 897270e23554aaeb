"""The evidence a name match is scored on: one small named function per feature.

Why: an analyst trusts a flag they can read. Each feature returns how strongly it holds for a
pair (0 = not at all, 1 = fully) and, only when asked (``explain=True``, for the hits returned),
the sentence the analyst reads, in the words of the names as written. A feature's weight (points
on the 0-100 scale, declared in screening.names.tunables) turns it into score: positive weights
support a match, negative "qualifier" weights are evidence against it. A feature's docstring
documents it (``Feature.doc``), so the documentation cannot drift from the behaviour.

The name similarity itself (weighted word overlap and string similarity) is computed for all
candidate pairs at once, vectorised, in screening.names.match; the features here qualify the
pairs near the threshold, one pair at a time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from screening import yaml_files
from screening.names.commonness import word_zipf
from screening.names.index import FuzzyMap, NameIndex, is_abbreviation, one_slip_apart
from screening.names.normalise import NormalisedName, fold_token, load_vocabulary
from screening.names.qualifiers import bracketed_countries, countries_of_names, describe
from screening.names.respaced import is_respaced
from screening.names.tunables import MatchSettings


@dataclass(slots=True)
class Pair:
    """What the features see of one (trade name reading, list name) pair: cheap to build."""

    query: NormalisedName
    key: NormalisedName
    key_id: int
    index: NameIndex
    fuzzy: FuzzyMap
    settings: MatchSettings
    query_country: str | None = None
    cut: bool = False
    """scored as a trade name cut short by a vendor's field width"""
    identifier: str | None = None
    """the shared identifier, explained (INN 7722476458 ...)"""
    query_words: frozenset[str] | None = None
    """query_distinctive's answer, kept: several features ask for it per pair"""
    query_written: str | None = None
    """the trade name as written, before it was read (a reading may have set its bracketed
    parts aside); None: the reading's own text"""


@dataclass(slots=True)
class FeatureResult:
    """How strongly a feature holds (0-1) and, for returned hits, the analyst's sentence."""

    value: float
    detail: str | None = None


FeatureFunction = Callable[[Pair, bool], FeatureResult]
NO = FeatureResult(0.0)


@dataclass(frozen=True)
class Feature:
    """A named feature and the setting holding its weight (points at full strength)."""

    func: FeatureFunction
    weight_setting: str

    @property
    def name(self) -> str:
        return self.func.__name__

    @property
    def doc(self) -> str:
        return " ".join((self.func.__doc__ or "").split())

    def weight(self, settings: MatchSettings) -> float:
        return float(getattr(settings, self.weight_setting))


def distinctive(name: NormalisedName) -> frozenset[str]:
    """The words that identify a name: generic words set aside."""
    return frozenset(name.tokens) - name.generic_tokens


def query_distinctive(pair: Pair) -> frozenset[str]:
    """The trade name's distinctive words, each abbreviation read as the list word it stands
    for (SHPG as SHIPPING: generic, so not distinctive), and a misspelt generic word as that
    word (GRUOP as GROUP)."""
    if pair.query_words is not None:
        return pair.query_words
    key_tokens = set(pair.key.tokens)
    generic = pair.key.generic_tokens
    words = set()
    for token in pair.query.tokens:
        alt = next(
            (
                a
                for a, _ in pair.fuzzy.get(token, [])
                if a in key_tokens and (a in generic or is_abbreviation(token, a))
            ),
            token,
        )
        words.add(alt)
    pair.query_words = frozenset(words) - pair.query.generic_tokens - pair.key.generic_tokens
    return pair.query_words


def _words(name: NormalisedName, tokens: frozenset[str] | set[str]) -> str:
    return ", ".join(sorted(name.as_written(t) for t in tokens))


def one_distinctive_word(pair: Pair) -> bool:
    return len(query_distinctive(pair)) <= 1 or len(distinctive(pair.key)) <= 1


def spelt_differently(pair: Pair) -> bool:
    """The names' distinctive words differ; for a cut name matched on the start of the list
    name, the words before the cut were already found to agree and the rest was cut off; names
    of the same letters with spaces moved are spelt alike (respaced_reading counts them)."""
    if pair.cut or is_respaced(pair.query, pair.key):
        return False
    return query_distinctive(pair) != distinctive(pair.key)


def _one_slip(pair: Pair) -> bool:
    ours, theirs = query_distinctive(pair), distinctive(pair.key)
    if len(ours) != 1 or len(theirs) != 1:
        return False
    (a,), (b,) = ours, theirs
    return one_slip_apart(a, b)


def weak_alias(pair: Pair, explain: bool) -> FeatureResult:
    """The list name is only an OFAC weak a.k.a.: broad by design, not expected to produce a
    hit on its own."""
    if not pair.index.key_is_weak[pair.key_id]:
        return NO
    return FeatureResult(1.0, "list name is a weak alias" if explain else None)


ACRONYM_NOTE = "acronym "
"""How a reading notes an acronym read as the words it stands for (screening.names.acronyms)."""


def repaired_reading(pair: Pair, explain: bool) -> FeatureResult:
    """The trade name was read with a typing slip repaired or its spaces moved (TRANSLOGISTIK
    as TRANS LOGISTIK), or, compared one-to-one, an acronym read as the words it stands for
    (PMC as PRIVATE MILITARY COMPANY): a guess, however likely."""
    if not pair.query.recut:
        return NO
    if not explain:
        return FeatureResult(1.0)
    acronyms = [
        n.removeprefix(ACRONYM_NOTE) for n in pair.query.recut if n.startswith(ACRONYM_NOTE)
    ]
    slips = [n for n in pair.query.recut if not n.startswith(ACRONYM_NOTE)]
    said = [f"read as typed slips: {', '.join(slips)}"] if slips else []
    said += [f"read as an acronym: {', '.join(acronyms)}"] if acronyms else []
    return FeatureResult(1.0, "; ".join(said))


def respaced_reading(pair: Pair, explain: bool) -> FeatureResult:
    """The names agree letter for letter only with their spaces moved (TOGA NET WORKS /
    TOGA NETWORKS, OPERA DORA / OPERADORA): every letter kept, the word breaks a guess."""
    if pair.query.recut or not is_respaced(pair.query, pair.key):
        return NO
    if not explain:
        return FeatureResult(1.0)
    ours = " ".join(pair.query.as_written(t) for t in pair.query.tokens)
    theirs = " ".join(pair.key.as_written(t) for t in pair.key.tokens)
    return FeatureResult(1.0, f"the same letters with spaces moved: {ours} / {theirs}")


def one_word_spelling(pair: Pair, explain: bool) -> FeatureResult:
    """A name whose only distinctive word is spelt differently (KINET / KINEF) is another name
    as often as it is a typo."""
    if not (one_distinctive_word(pair) and spelt_differently(pair)) or _one_slip(pair):
        return NO
    return FeatureResult(1.0, "the one distinctive word is spelt differently" if explain else None)


def one_slip_spelling(pair: Pair, explain: bool) -> FeatureResult:
    """A name whose only distinctive word differs by one slip in a long word (VETRIKAL /
    VERTIKAL, ONRBANK / ONERBANK): how clerks misspell names, less doubt than any spelling."""
    if not (one_distinctive_word(pair) and spelt_differently(pair) and _one_slip(pair)):
        return NO
    return FeatureResult(1.0, "the one distinctive word differs by one slip" if explain else None)


def country_agreement(pair: Pair, explain: bool) -> FeatureResult:
    """The party's country (origin for exporters, destination for importers) is one of the
    listed entry's countries."""
    listed = pair.index.key_countries[pair.key_id]
    if not pair.query_country or pair.query_country not in listed:
        return NO
    return FeatureResult(
        1.0, f"country {pair.query_country} is a listed country" if explain else None
    )


def country_conflict(pair: Pair, explain: bool) -> FeatureResult:
    """Both the party and the listed entry have countries, and none agree. A missing country
    on either side is neutral."""
    listed = pair.index.key_countries[pair.key_id]
    if not pair.query_country or not listed or pair.query_country in listed:
        return NO
    return FeatureResult(
        1.0,
        f"country {pair.query_country} differs from listed {', '.join(sorted(listed))}"
        if explain
        else None,
    )


def legal_forms_conflict(
    query: NormalisedName, key: NormalisedName, country: str | None = None
) -> bool:
    """Both names state a legal form and no pair of them is compatible (LLC vs JSC, AG vs
    GmbH). "Company" says nothing. For a party in a country whose only limited company is
    the LLC (Russia's OOO, Belarus, Kazakhstan ...), a "Ltd" is that LLC written in English
    (the EU lists write OOO INVENT as "Invent LTD")."""
    vocab = load_vocabulary()
    ours = set(query.legal_forms) - vocab.neutral_legal_forms
    theirs = set(key.legal_forms) - vocab.neutral_legal_forms
    if not ours or not theirs:
        return False
    compatible = vocab.compatible_legal_forms
    if country and country in _limited_is_llc_countries():
        compatible = compatible | {LTD_AS_LLC}
    return not any(a == b or frozenset((a, b)) in compatible for a in ours for b in theirs)


LTD_AS_LLC = frozenset(("ltd", "llc"))


@functools.cache
def _limited_is_llc_countries() -> frozenset[str]:
    """ISO-2 countries where "limited (liability) company" can only mean the LLC, from the
    name vocabulary (``limited_is_llc_countries``)."""

    from screening.paths import PACKAGE_DATA_DIR

    with open(PACKAGE_DATA_DIR / "name_vocabulary.yml", encoding="utf-8") as fh:
        vocab = yaml_files.safe_load(fh)
    return frozenset(vocab.get("limited_is_llc_countries") or ())


def legal_forms_agree(query: NormalisedName, key: NormalisedName) -> bool:
    """Both names state a legal form (other than "company") and they are compatible."""
    vocab = load_vocabulary()
    ours = set(query.legal_forms) - vocab.neutral_legal_forms
    theirs = set(key.legal_forms) - vocab.neutral_legal_forms
    return bool(ours and theirs) and not legal_forms_conflict(query, key)


def _legal_form_sentence(pair: Pair) -> str:
    return (
        f"legal forms differ: {', '.join(pair.query.removed) or '-'} vs "
        f"{', '.join(pair.key.removed) or '-'}"
    )


def legal_form_conflict(pair: Pair, explain: bool) -> FeatureResult:
    """Both names state legal forms and none are compatible (Deutsche Bank AG / Deutsche Bank
    GmbH are two companies). A missing legal form on either side is neutral."""
    if one_distinctive_word(pair) or not legal_forms_conflict(
        pair.query, pair.key, pair.query_country
    ):
        return NO
    return FeatureResult(1.0, _legal_form_sentence(pair) if explain else None)


def one_word_legal_form_conflict(pair: Pair, explain: bool) -> FeatureResult:
    """As legal_form_conflict, for names sharing only one distinctive word (CITY LLC / CITY
    PJSC, ANO RASSVET / LLC RASSVET): there the legal form says even more."""
    if not one_distinctive_word(pair) or not legal_forms_conflict(
        pair.query, pair.key, pair.query_country
    ):
        return NO
    return FeatureResult(1.0, _legal_form_sentence(pair) if explain else None)


def place_qualifier_conflict(pair: Pair, explain: bool) -> FeatureResult:
    """Both names give a country in brackets and none agree (Bank of China (Hong Kong) /
    Bank of China (Singapore), Bowne Global Solutions II (Sweden) AB / (Finland) AB): branches
    and subsidiaries named after their parent, each its own legal entity. A bracketed country
    on one side only is neutral."""
    ours = bracketed_countries(pair.query_written or pair.query.original)
    if not ours:
        return NO
    names = pair.index.entry_columns()[2]
    theirs = countries_of_names([names[r] for r in pair.index.key_rows[pair.key_id].tolist()])
    if not theirs or ours & theirs:
        return NO
    return FeatureResult(
        1.0,
        f"bracketed countries differ: {describe(ours)} vs {describe(theirs)}" if explain else None,
    )


def one_common_word(pair: Pair, explain: bool) -> FeatureResult:
    """The list name's one distinctive word is a dictionary word (ATLAS, RASSVET "dawn",
    TERMINAL), or it has none (WORLD EQUIPMENT TRADING): such names fit many unrelated firms.
    Very common words count fully, merely common ones half."""
    words = distinctive(pair.key)
    settings = pair.settings
    if not words:
        return FeatureResult(
            1.0,
            "list name has no distinctive word, only generic dictionary words" if explain else None,
        )
    if len(words) != 1:
        return NO
    zipf = word_zipf(next(iter(words)))
    if zipf < settings.common_word_zipf:
        return NO
    value = 1.0 if zipf >= settings.very_common_word_zipf else 0.5
    return FeatureResult(
        value,
        f"list name's one distinctive word ({_words(pair.key, words)}) is an ordinary "
        "dictionary word"
        if explain
        else None,
    )


def two_common_words(pair: Pair, explain: bool) -> FeatureResult:
    """A person named by two common words (ALI SALIM): many people share such a name."""
    words = distinctive(pair.key)
    if not pair.index.key_is_person[pair.key_id] or len(words) != 2:
        return NO
    if not all(word_zipf(w) >= pair.settings.common_word_zipf for w in words):
        return NO
    return FeatureResult(
        1.0, f"person named by two common words ({_words(pair.key, words)})" if explain else None
    )


FEATURES: tuple[Feature, ...] = (
    Feature(country_agreement, "country_agreement"),
    Feature(country_conflict, "country_conflict"),
    Feature(legal_form_conflict, "legal_form_conflict"),
    Feature(one_word_legal_form_conflict, "one_word_legal_form_conflict"),
    Feature(place_qualifier_conflict, "place_qualifier_conflict"),
    Feature(one_word_spelling, "one_word_spelling"),
    Feature(one_slip_spelling, "one_slip_spelling"),
    Feature(repaired_reading, "recut"),
    Feature(respaced_reading, "recut"),
    Feature(one_common_word, "one_common_word"),
    Feature(two_common_words, "two_common_words"),
    Feature(weak_alias, "weak_alias"),
)
"""The qualifying features of the default model, with the settings holding their weights."""


def rests_on_slip(pair: Pair) -> bool:
    """The match needs a letter repaired or a word spelt differently in a distinctive word
    (INTERSAN -> INTERSCAN), or rests on abbreviations alone (LSS read as LESPROMPROTSESSING).
    Moved spaces (SIEMENSAG) keep every letter, and an abbreviation beside a distinctive word
    that agrees as written (SIBERIAN AVN) is regular customs practice: neither counts."""
    theirs = distinctive(pair.key)
    for note in pair.query.recut:
        before, _, after = note.partition(" -> ")
        repaired = {fold_token(w) for w in after.split()}
        if before.replace(" ", "") != after.replace(" ", "") and repaired & theirs:
            return True
    abbreviated = False
    for token in set(pair.query.tokens) - theirs:
        alts = [alt for alt, _ in pair.fuzzy.get(token, []) if alt in theirs]
        if any(not is_abbreviation(token, alt) for alt in alts):
            return True
        abbreviated = abbreviated or bool(alts)
    return abbreviated and not set(pair.query.tokens) & theirs


def needs_corroboration(pair: Pair) -> str | None:
    """Why the match may only flag with agreeing evidence (an agreeing country or a shared
    identifier), or None: it rests on a repaired slip in a short name (one or two distinctive
    words), or it names a person."""
    if pair.index.key_is_person[pair.key_id]:
        return "a personal name"
    short = len(distinctive(pair.key)) <= pair.settings.max_short_name_words
    if short and rests_on_slip(pair):
        return "a repaired slip in a short name"
    return None


def corroborated(pair: Pair) -> bool:
    """Agreeing evidence beside the name: the party's country is a listed one, or the trade
    name carries the listed entry's identifier."""
    return bool(pair.identifier) or country_agreement(pair, False).value > 0


__all__ = [
    "FEATURES",
    "Feature",
    "FeatureResult",
    "Pair",
    "corroborated",
    "distinctive",
    "legal_forms_conflict",
    "needs_corroboration",
]
