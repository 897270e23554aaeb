"""Typing slips in customs names, repaired from the lists' own words.

Why: a clerk's slip (a space typed in the wrong place, left out or typed as a letter; a doubled,
swapped, left-out or mistyped letter; J written for Ж; a garbled legal form) turns a listed name
into words no list contains, which the token index cannot see. Each repair is accepted only
where it gives words the lists use, and the repaired name is a second *reading* scored next to
the name as written (screening.names.match keeps the better score), so a repair that makes
things worse costs nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import OSA

from screening.names import normalise
from screening.names.normalise import (
    MIN_FOLD_LEN,
    NameVocabulary,
    NormalisedName,
    fold_token,
    load_vocabulary,
    normalise_name,
)


@dataclass(frozen=True)
class KnownWords:
    """Words the lists use, as written (``raw``) and as comparison keys (``folded``): what a
    customs name's joined or split words are re-cut into (NATIONALNUCLEAR, EXODUSM ICRO...)."""

    raw: frozenset[str]
    folded: frozenset[str]

    def __contains__(self, word: str) -> bool:
        return word in self.raw or (len(word) >= MIN_FOLD_LEN and fold_token(word) in self.folded)

    def __getstate__(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k != "_memos"}


class _Memos:
    """What repairs worked out for ``known``'s words, kept with it (never pickled: see
    KnownWords.__getstate__): a bulk run meets the same words, and the same neighbours, name
    after name. Each memo is a pure function of its key and ``known``; each is emptied when it
    holds MAX_ITEMS items."""

    MAX_ITEMS = 1 << 18

    def __init__(self, known: KnownWords) -> None:
        self.is_known = _Membership(known)
        self.pairs: dict[tuple[str, str], tuple[str, ...] | None] = {}
        self.singles: dict[str, tuple[str, str] | None] = {}
        self.words: dict[
            tuple[str, bool, bool, bool], tuple[tuple[str, ...], str | None, bool]
        ] = {}


class _Membership(dict[str, bool]):
    """word -> ``word in known``, worked out on first use."""

    def __init__(self, known: KnownWords) -> None:
        super().__init__()
        self._known = known

    def __missing__(self, word: str) -> bool:
        if len(self) >= _Memos.MAX_ITEMS:
            self.clear()
        found = self[word] = word in self._known
        return found


def _memos(known: KnownWords) -> _Memos:
    """``known``'s memos; with the shortcuts off, fresh ones on every call (nothing kept)."""
    memos = known.__dict__.get("_memos")
    if memos is None or not normalise.SHORTCUTS:
        memos = known.__dict__["_memos"] = _Memos(known)
    return memos


_NOT_YET = object()


MIN_RECUT_WORD = 6
MAX_REPAIRED_WORD = 64
"""A name with a longer "word" is not repaired: re-cutting and undoubling slice each word at
every position, quadratic in its length (a 1 MB cell would take hours)."""
"""A word this long that the lists do not know may be two list words run together."""
MIN_RECUT_PART = 2
MIN_RECUT_LONGER_PART = 4


def _legal_form_words(*words: str) -> bool:
    """Every one of the words is a word of some legal form (C OLTD is CO LTD)."""
    vocab = load_vocabulary()
    return all(
        all(part in vocab.legal_form_words for part in vocab.abbreviations.get(w, (w,)))
        for w in words
    )


@lru_cache(maxsize=1 << 18)  # bulk traffic repeats its words: each cut is searched once
def _split_in_two(
    word: str, known: KnownWords, *, around: int | None = None
) -> tuple[str, str] | None:
    """The cut of ``word`` into two known words, the most even one first (NATIONALNUCLEAR is
    NATIONAL + NUCLEAR), else into two known words either side of one stray letter
    (GOLDENYRESOURCES is GOLDEN + RESOURCES). ``around``: only cuts within two letters of
    there (a space typed a letter or two off its place)."""
    if around is None:
        cuts: Iterable[int] = range(MIN_RECUT_PART, len(word) - MIN_RECUT_PART + 1)
    else:
        cuts = [c for c in range(around - 2, around + 3) if c != around]
    best = _most_even(
        (left, right)
        for at in cuts
        for left, right in [(word[:at], word[at:])]
        if left in known.raw  # (first: it rules out most cuts at once)
        and right in known.raw
        and min(len(left), len(right)) >= MIN_RECUT_PART
        and (max(len(left), len(right)) >= MIN_RECUT_LONGER_PART or _legal_form_words(left, right))
        and not (left.isdigit() or right.isdigit())
    )
    if best is None and len(word) >= 2 * MIN_RECUT_LONGER_PART + 1:
        # the space typed as a letter: ENGINEERINGHLTD, LIABILITYPCO, STARDINTERNATIONAL
        letter_cuts = (
            range(MIN_RECUT_LONGER_PART, len(word) - MIN_RECUT_PART)
            if around is None
            else range(around - 1, around + 1)
        )
        best = _most_even(
            (left, right)
            for at in letter_cuts  # LEFT + one letter + RIGHT
            for left, right in [(word[:at], word[at + 1 :])]
            if left in known.raw
            and right in known.raw
            and len(left) >= MIN_RECUT_LONGER_PART
            and len(right) >= MIN_RECUT_PART
        )
    return best


def _space_may_move(word: str, nxt: str, known: KnownWords) -> bool:
    """False where _split_in_two(word + nxt, around=len(word)) provably finds no cut: every cut
    it tries within two letters of the space leaves either ``word`` less its last one or two
    letters, or ``nxt`` less its first one or two, as one of the two parts (or drops a letter
    between them), and neither is a known word. Four look-ups instead of the search, for the
    most common case of a name with a word the lists do not know."""
    if not normalise.SHORTCUTS:
        return True
    raw = known.raw
    a, b, c, d = word[:-1], word[:-2], nxt[1:], nxt[2:]
    return bool((a and a in raw) or (b and b in raw) or (c and c in raw) or (d and d in raw))


def _most_even(cuts: Iterable[tuple[str, str]]) -> tuple[str, str] | None:
    """The cut whose shorter part is longest (the first of equals), or None."""
    return max(cuts, key=lambda cut: min(map(len, cut)), default=None)


def recut_words(words: list[str], known: KnownWords) -> tuple[list[str], list[str]]:
    """Undo a space typed in the wrong place, left out or added (EXODUSM ICROELECTRONICS,
    CHINA NATIONALNUCLEAR, VERSVETSRO, T ECH), using only words the lists know: a pair of
    neighbours with an unknown word is joined or re-cut, then an unknown long word is cut in
    two. Returns the words and what was re-cut (for explanations)."""
    out: list[str] = []
    notes: list[str] = []
    memos = _memos(known)
    is_known, pairs, singles = memos.is_known, memos.pairs, memos.singles
    if len(pairs) >= memos.MAX_ITEMS or len(singles) >= memos.MAX_ITEMS:
        pairs.clear()
        singles.clear()
    i = 0
    while i < len(words):
        word = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else None
        if nxt is not None and not (is_known[word] and is_known[nxt]) and not word.isdigit():
            pair = pairs.get((word, nxt), _NOT_YET)
            if pair is _NOT_YET:
                pair = pairs[(word, nxt)] = _recut_pair(word, nxt, known)
            if pair is not None:
                out.extend(pair)
                notes.append(f"{word} {nxt} -> {' '.join(pair)}")
                i += 2
                continue
        if len(word) >= MIN_RECUT_WORD and not is_known[word]:
            split = singles.get(word, _NOT_YET)
            if split is _NOT_YET:
                split = singles[word] = _split_in_two(word, known)
            if split is not None:
                out.extend(split)
                notes.append(f"{word} -> {' '.join(split)}")
                i += 1
                continue
        out.append(word)
        i += 1
    return out, notes


def _recut_pair(word: str, nxt: str, known: KnownWords) -> tuple[str, ...] | None:
    """The words two neighbours (one of them unknown) are re-cut into: joined, or split
    again with the space moved; None where they stay as they are."""
    joined = word + nxt
    if joined in known.raw and len(joined) >= MIN_RECUT_LONGER_PART:
        return (joined,)
    # AGORA SA is not AGOR ASA: a space before a whole legal form is where it belongs
    before_form = (nxt,) in load_vocabulary().legal_forms and len(word) >= 3
    split = (
        None
        if before_form or not _space_may_move(word, nxt, known)
        else _split_in_two(joined, known, around=len(word))
    )
    if split is not None and split[0] != word:
        return split
    return None


MIN_UNDOUBLED_LEN = 4
"""In four letters a doubled first letter is more often initials (M M E C) than a slip."""


def _undoubled(word: str, known: KnownWords) -> str | None:
    """A known word the unknown ``word`` is with one doubled letter (SMMAZ, IINTL, ANND)."""
    if len(word) < MIN_UNDOUBLED_LEN:
        return None
    for at in range(1 if len(word) > MIN_UNDOUBLED_LEN else 2, len(word)):
        if word[at] == word[at - 1] and (single := word[:at] + word[at + 1 :]) in known.raw:
            return single
    return None


MIN_UNSWAPPED_LEN = 4


def _unswapped(word: str, known: KnownWords) -> str | None:
    """The known word the unknown ``word`` is with two neighbouring letters swapped (BAKN,
    SLOID, OPRTON); None when none or several are."""
    if len(word) < MIN_UNSWAPPED_LEN or not word.isalpha():
        return None
    found = {swapped for swapped in _swaps(word) if swapped in known.raw}
    return found.pop() if len(found) == 1 else None


def _swaps(word: str) -> Iterator[str]:
    """``word`` with each pair of neighbouring (different) letters swapped."""
    for at in range(len(word) - 1):
        if word[at] != word[at + 1]:
            yield word[:at] + word[at + 1] + word[at] + word[at + 2 :]


MIN_REINSERTED_LEN = 4
MAX_REINSERTED_LEN = 8
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _reinserted(word: str, known: KnownWords) -> str | None:
    """The one known word the unknown ``word`` is with a letter left out (FRNT, SPPLY, GROU);
    None when none or several are (BRD: BIRD, BARD?)."""
    if not MIN_REINSERTED_LEN <= len(word) <= MAX_REINSERTED_LEN or not word.isalpha():
        return None  # longer words are matched by spelling similarity
    if not normalise.SHORTCUTS or _brute_force_left(known):
        found = {
            candidate
            for at in range(len(word) + 1)
            for letter in _LETTERS
            if (candidate := word[:at] + letter + word[at:]) in known.raw
        }
        return found.pop() if len(found) == 1 else None
    found = _with_a_letter_left_out(known).get(word, frozenset())
    return next(iter(found)) if len(found) == 1 else None


BRUTE_FORCE_WORDS = 2000
"""A left-out letter is looked for letter by letter in the first this many unknown words of a
process (a check of one name, a small file); past them the table pays for its building."""
_brute_forced: dict[int, int] = {}


def _brute_force_left(known: KnownWords) -> bool:
    """Look the next word up letter by letter (True) rather than in the table (False)."""
    done = _brute_forced.get(id(known), 0)
    if done >= BRUTE_FORCE_WORDS:
        return False
    _brute_forced[id(known)] = done + 1
    return True


def prepare(known: KnownWords) -> None:
    """Build the tables repairs look words up in now: a parent that builds them before it forks
    (screening.names.bulk) builds them once for all its children."""
    _with_a_letter_left_out(known)
    _with_a_letter_unread(known)
    _brute_forced[id(known)] = BRUTE_FORCE_WORDS


def keep_tables(known: KnownWords) -> None:
    """Build the tables repairs look words up in and keep them with ``known`` (a built name
    index is cached on disk with its known words: reading the table back is a fifth of the
    time building it takes, on every bulk run)."""
    known.__dict__["_left_out"] = _left_out_table(known)
    known.__dict__["_unread"] = _unread_table(known)


@lru_cache(maxsize=4)
def _with_a_letter_left_out(known: KnownWords) -> dict[str, set[str]]:
    """Each known word of the lengths _reinserted looks for, under every spelling with one of
    its letters (a-z) left out: a left-out letter is then one look-up, not one per position
    and letter."""
    kept = known.__dict__.get("_left_out")
    return kept if kept is not None else _left_out_table(known)


def _left_out_table(known: KnownWords) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    letters = frozenset(_LETTERS)
    for word in known.raw:
        if MIN_REINSERTED_LEN < len(word) <= MAX_REINSERTED_LEN + 1:
            every_letter = letters.issuperset(word)
            for at in range(len(word)):
                if every_letter or word[at] in letters:
                    short = word[:at] + word[at + 1 :]
                    if short in found:
                        found[short].add(word)
                    else:
                        found[short] = {word}
    return found


MIN_RETYPED_LEN = 5
"""A shorter word with one letter typed wrong is as often another name: VTB / VEB, TASO / TACO."""
MAX_RETYPED_WORDS = 2
MIN_WORDS_FOR_TWO_RETYPED = 3
"""A name of two words with both mistyped is another name (ROSOBORONEXPART IZHMESH); as in a
one-to-one comparison (screening.names.slips), two count only in a name of three words or more."""
_UNREAD = "?"
_SEVERAL = ""
"""(in the table: the words under this spelling are several, so none is the repair)"""


def _retyped(word: str, known: KnownWords) -> str | None:
    """The one known word the unknown ``word`` is with one letter typed wrong (HUAEEI for
    HUAWEI, GROYP for GROUP); None when none or several are (a shorter word: MIN_RETYPED_LEN).
    Like every repair this only makes a second reading; a match resting on it in a short name
    still needs an agreeing country or identifier (screening.names.features)."""
    if len(word) < MIN_RETYPED_LEN or not word.isalpha():
        return None
    table = _with_a_letter_unread(known)
    found = {table.get(word[:at] + _UNREAD + word[at + 1 :]) for at in range(len(word))}
    found.discard(None)
    return found.pop() if len(found) == 1 and _SEVERAL not in found else None


@lru_cache(maxsize=4)
def _with_a_letter_unread(known: KnownWords) -> dict[str, str]:
    """Each known word of at least MIN_RETYPED_LEN letters under every spelling with one of its
    letters unread ("hua?ei": huawei), or _SEVERAL where words share the spelling: a mistyped
    letter is then one look-up per position, not one per position and letter."""
    kept = known.__dict__.get("_unread")
    return kept if kept is not None else _unread_table(known)


def _unread_table(known: KnownWords) -> dict[str, str]:
    found: dict[str, str] = {}
    for word in known.raw:
        if len(word) >= MIN_RETYPED_LEN and word.isalpha():
            for at in range(len(word)):
                spelling = word[:at] + _UNREAD + word[at + 1 :]
                other = found.get(spelling)
                found[spelling] = word if other is None or other == word else _SEVERAL
    return found


def _zh_for_j(word: str, known: KnownWords) -> str | None:
    """J written for Ж, as French, Uzbek and Turkish transliterations do (DRUJBA, NIJNI):
    the fold reads J as Й, so the Ж reading is tried here."""
    if "j" not in word:
        return None
    candidate = word.replace("j", "zh")
    return candidate if candidate in known.raw else None


def _garbled_legal_form(word: str, vocab: NameVocabulary) -> str | None:
    """The one-word legal form an unknown short word is one typo away from (LBC, KTD, CJZC,
    OOOO, LC): the form when only one is that close, "" when several are (JLC: JSC or LLC)."""
    return _garbled_form(word) if vocab is load_vocabulary() else _garbled_form_in(word, vocab)


@lru_cache(maxsize=1 << 16)
def _garbled_form(word: str) -> str | None:
    """_garbled_legal_form against the package vocabulary, worked out once per word."""
    return _garbled_form_in(word, load_vocabulary())


def _garbled_form_in(word: str, vocab: NameVocabulary) -> str | None:
    close = [
        form
        for form in vocab.short_legal_forms
        if abs(len(form) - len(word)) <= 1 and OSA.distance(word, form, score_cutoff=1) <= 1
    ]
    if not close:
        return None
    return close[0] if len(close) == 1 else ""


MAX_GARBLED_FORM_LEN = 5
_DIGITS_LETTERS = re.compile(r"(\d+)([a-z]{3,})|([a-z]{3,})(\d+)")


def _swapped_legal_form(word: str, vocab: NameVocabulary) -> str | None:
    """The legal form ``word`` is with two neighbouring letters swapped (LDT, LCL, JCS)."""
    if normalise.SHORTCUTS and vocab is load_vocabulary():
        return _swapped_form(word)
    return next((swapped for swapped in _swaps(word) if swapped in vocab.short_legal_forms), None)


@lru_cache(maxsize=1 << 16)
def _swapped_form(word: str) -> str | None:
    """_swapped_legal_form against the package vocabulary, once per word (a swap keeps the
    length: a word as long as no short legal form is none swapped)."""
    forms = load_vocabulary().short_legal_forms
    if all(len(form) != len(word) for form in forms):
        return None
    return next((swapped for swapped in _swaps(word) if swapped in forms), None)


@lru_cache(maxsize=1 << 18)
def _one_word_repair(word: str, known: KnownWords) -> str | None:
    """The one list word an unknown word is with a doubled, swapped or left-out letter or a J
    for ZH (a mistyped letter is _retyped's, counted apart). Bulk traffic repeats its unknown
    words, so each is worked out once per process."""
    return (
        _undoubled(word, known)
        or _unswapped(word, known)
        or _zh_for_j(word, known)
        or _reinserted(word, known)
    )


def repair_words(words: list[str], known: KnownWords) -> tuple[list[str], list[str]]:
    """The name as its typist meant it, as far as the lists' words tell: misplaced spaces
    undone (recut_words); a doubled letter dropped, two swapped letters put back, a J read as
    ZH or a left-out letter put back where that gives one list word (SMMAZ, BAKN, DRUJBA,
    FRNT); a garbled legal form read as one
    (LBC -> LLC; set aside when it could be several).
    Returns the words and what was repaired (for explanations)."""
    vocab = load_vocabulary()
    memos = _memos(known)
    is_known = memos.is_known
    if normalise.SHORTCUTS and all([is_known[word] for word in words]):
        # nothing to re-cut (recut_words leaves known words as they are) or repair, but a
        # legal form with two letters swapped at the end
        if len(words) > 1 and (form := _swapped_legal_form(words[-1], vocab)):
            return [*words[:-1], form], [f"{words[-1]} -> {form}"]
        return words, []
    words, notes = recut_words(words, known)
    last = len(words) - 1
    done = memos.words
    if len(done) >= memos.MAX_ITEMS:
        done.clear()
    read = []
    for i, word in enumerate(words):
        # what happens to a word depends on the word and where it stands alone
        where = (word, i == last and i > 0, i in (0, last), last > 0)
        found = done.get(where)
        if found is None:
            found = done[where] = _repaired_word(word, *where[1:], known, vocab)
        read.append((word, found))
    retyped = sum(found[2] for _, found in read)
    allowed = MAX_RETYPED_WORDS if len(words) >= MIN_WORDS_FOR_TWO_RETYPED else 1
    out: list[str] = []
    for word, (repaired, note, was_retyped) in read:
        if was_retyped and retyped > allowed:
            out.append(word)  # two mistyped words in a name of two are another name
            continue
        out.extend(repaired)
        if note is not None:
            notes.append(note)
    return out, notes


def _repaired_word(
    word: str,
    is_last: bool,
    at_edge: bool,
    several_words: bool,
    known: KnownWords,
    vocab: NameVocabulary,
) -> tuple[tuple[str, ...], str | None, bool]:
    """One word of a name as repair_words reads it (``is_last``: the last of several words;
    ``several_words``: a one-word name is not only a legal form): the words it gives, the
    note saying what was repaired (None: nothing) and whether it was a mistyped letter."""
    if is_last and (form := _swapped_legal_form(word, vocab)):
        return (form,), f"{word} -> {form}", False  # LDT: a list word, but at the end a form
    if word in known or word.isdigit():
        return (word,), None, False
    single = _one_word_repair(word, known)
    if single is not None:
        return (single,), f"{word} -> {single}", False
    apart = _DIGITS_LETTERS.fullmatch(word)
    parts = [part for part in apart.groups() if part] if apart else []
    if parts and any(part in known.raw for part in parts if not part.isdigit()):
        return tuple(parts), f"{word} -> {' '.join(parts)}", False  # 75ARSENAL
    short = len(word) <= MAX_GARBLED_FORM_LEN
    if several_words and short and (len(word) >= 3 or (at_edge and len(word) == 2)):
        form = _garbled_legal_form(word, vocab)
        if form is not None:
            return ((form,) if form else ()), f"{word} -> {form or '(a legal form)'}", False
    glued = _glued_legal_form(word, known, vocab)
    if glued is not None:
        return glued, f"{word} -> {' '.join(glued)}", False
    retyped = _retyped(word, known)
    if retyped is not None:
        return (retyped,), f"{word} -> {retyped}", True
    return (word,), None, False


GLUED_LEGAL_FORMS = (
    "ltd", "ltda", "llc", "llp", "plc", "jsc", "ojsc", "pjsc", "cjsc", "ooo", "oao", "zao",
    "pao", "gmbh", "fze", "fzco", "fzllc", "corp",
)  # fmt: skip
"""Legal forms typed onto the word before or after them (TRADEOOO, NIKLLC, COLTD, OOORASSVET):
none ends or begins an ordinary word, as ANO (MILANO), SPA, INC or TOO would."""
MIN_GLUED_REST = 2


def _glued_legal_form(
    word: str, known: KnownWords, vocab: NameVocabulary
) -> tuple[str, ...] | None:
    """The unknown ``word`` as a legal form and a list word (or another legal form: COLTD)
    typed without the space between them, form last or first; None otherwise."""
    if not word.isalpha():
        return None
    for form in GLUED_LEGAL_FORMS:
        if len(word) - len(form) < MIN_GLUED_REST:
            continue
        if word.endswith(form):
            rest = word[: -len(form)]
            if rest in known.raw or (rest,) in vocab.legal_forms:
                return rest, form
        if word.startswith(form):
            rest = word[len(form) :]
            if rest in known.raw:
                return form, rest
    return None


def repaired_reading(name: NormalisedName, known_words: KnownWords) -> NormalisedName | None:
    """``name`` read again with its typing slips repaired (repair_words), or None when there
    is nothing to repair: most names are spared a second normalisation."""
    if any(len(word) > MAX_REPAIRED_WORD for word in name.words):
        return None  # not a name (a description pasted into the cell); repairs are quadratic
    words, notes = repair_words(list(name.words), known_words)
    return normalise_name(name.original, words=words, repairs=notes) if notes else None
