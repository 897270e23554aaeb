"""Which text encoding a CSV is in, decided from the bytes, or a refusal naming the file.

A customs export from Russia, Kazakhstan or Uzbekistan is often Windows-1251; read as cp1252 its
Cyrillic importer names become mojibake that no sanctions list matches, so a wrong guess silently
blinds the screening. UTF-8 (and UTF-16 with a byte-order mark) is recognised by its structure;
anything else goes to charset-normalizer, restricted to the encodings customs data really uses,
and a detection that is not clear-cut is refused rather than guessed.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

from screening.errors import TradeReadError

UTF8_BOM = codecs.BOM_UTF8
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)

CUSTOMS_ENCODINGS: tuple[str, ...] = (
    "cp1252",  # Western Europe, Turkey's older exports, most English-language vendors
    "cp1251",  # Russia, Kazakhstan, Kyrgyzstan, Uzbekistan, Ukraine, Belarus, Mongolia
    "cp1254",  # Turkey
    "cp1250",  # Central Europe
    "koi8_r",  # older Russian systems
    "koi8_u",  # older Ukrainian systems
    "cp866",  # DOS Cyrillic, still written by old customs software
    "iso8859_5",  # ISO Cyrillic
    "iso8859_9",  # ISO Turkish
    "cp1253",  # Greece, Cyprus
    "cp1256",  # Arabic script: Iran, the Gulf
    "gb18030",  # mainland China (a superset of GBK and GB2312)
    "big5",  # Taiwan, Hong Kong
)
"""Single- and multi-byte encodings tried after UTF-8, most preferred first: when two of them
read the file to the same text, the earlier name is reported."""

SAMPLE_BYTES = 256 * 1024
"""Bytes of non-ASCII lines handed to the detector: plenty to tell Cyrillic code pages apart."""
MAX_CHAOS = 0.2
"""charset-normalizer "mess" ratio above which the best reading is not text at all."""
TIE_MARGIN = 0.01
"""Two readings with different text whose mess ratios are this close are a tie: refused."""
_TURKISH_BYTES = frozenset(b"\xd0\xdd\xde\xf0\xfd\xfe")
"""The only printable bytes where cp1254 and cp1252 differ (Ğ İ Ş ğ ı ş vs Ð Ý Þ ð ý þ)."""
_CHUNK = 1 << 20
_COMMON_ACCENTED = frozenset(
    "åøæñãõâêîôûàèìòùëïÿœ"  # Western European
    "łąęśźżćńčřěůőűťď"  # Central European
)
"""Accented letters frequent in company and place names, to tell Latin code pages apart."""


def _common_letters(sample: bytes, encoding: str) -> int:
    text = sample.decode(encoding, errors="replace").lower()
    return sum(1 for ch in text if ch in _COMMON_ACCENTED)


@dataclass(frozen=True)
class DetectedEncoding:
    """A CSV's encoding as Python and pyarrow name it, and where its text starts."""

    name: str
    """Codec name, e.g. ``utf-8``, ``utf-8-sig``, ``utf-16``, ``cp1251``."""
    skip_bytes: int = 0
    """Leading bytes that are not text (a UTF-8 byte-order mark in front of a cp1252 file)."""
    how: str = "structure"
    """``structure`` (valid UTF-8 / BOM) or ``detected`` (charset-normalizer)."""

    @property
    def is_utf8(self) -> bool:
        return self.name in ("utf-8", "utf-8-sig")


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            yield chunk


def _scan(path: Path, skip: int) -> tuple[bool, bool, bytes]:
    """(is valid UTF-8, holds NUL bytes, up to SAMPLE_BYTES of its non-ASCII lines)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    valid, nul = True, False
    sample: list[bytes] = []
    sampled = 0
    tail = b""
    first = True
    for chunk in _chunks(path):
        if first:
            chunk, first = chunk[skip:], False
        nul = nul or b"\x00" in chunk
        if valid:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                valid = False
        if sampled < SAMPLE_BYTES and not chunk.isascii():
            lines = (tail + chunk).split(b"\n")
            tail = lines.pop()
            for line in lines:
                if not line.isascii():
                    sample.append(line)
                    sampled += len(line) + 1
        else:
            tail = (tail + chunk).rsplit(b"\n", 1)[-1][-4096:]
        if not valid and sampled >= SAMPLE_BYTES:
            break
    if valid:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            valid = False  # the file ends inside a multi-byte character
    if tail and not tail.isascii() and sampled < SAMPLE_BYTES:
        sample.append(tail)
    return valid, nul, b"\n".join(sample)[: SAMPLE_BYTES + 4096]


def _same_text(sample: bytes, first: str, second: str) -> bool:
    try:
        return sample.decode(first) == sample.decode(second)
    except UnicodeDecodeError:
        return False


def _choose(path: Path, sample: bytes) -> str:
    """The customs encoding charset-normalizer reads ``sample`` best in, or a refusal."""
    results = sorted(
        from_bytes(sample, cp_isolation=list(CUSTOMS_ENCODINGS), explain=False),
        key=lambda r: (r.chaos, -r.coherence),
    )
    if not results or results[0].chaos > MAX_CHAOS:
        raise TradeReadError(
            "cannot tell the text encoding: the bytes are not UTF-8 and read as garbled text in "
            f"every encoding tried ({', '.join(CUSTOMS_ENCODINGS)}); save the file as UTF-8",
            file=path,
        )
    best = results[0]
    name = best.encoding
    # Report the most preferred encoding that reads the sample to the same text (cp1250 and
    # cp1252 agree on "Côte d'Ivoire").
    for preferred in CUSTOMS_ENCODINGS[: CUSTOMS_ENCODINGS.index(name)]:
        if _same_text(sample, preferred, name):
            name = preferred
            break
    rivals = [
        r.encoding
        for r in results[1:]
        if r.chaos <= best.chaos + TIE_MARGIN
        and r.coherence >= best.coherence - TIE_MARGIN
        and not _same_text(sample, r.encoding, name)
    ]
    latin = {"cp1252", "cp1254", "cp1250", "iso8859_9"}
    if {name, *rivals} <= latin and any(b in _TURKISH_BYTES for b in sample):
        # Ğ İ Ş ı in Turkish names against Icelandic Ð Ý Þ ý: customs data is Turkish.
        return "cp1254"
    if rivals and {name, *rivals} <= latin:
        # Latin code pages differ in a few accented letters: the reading with more letters
        # that names really use wins (Ångström, not Ĺngström); a draw is refused.
        scores = {e: _common_letters(sample, e) for e in (name, *rivals)}
        ranked = sorted(scores.values(), reverse=True)
        if ranked[0] > ranked[1]:
            return max(scores, key=lambda e: scores[e])
    if rivals and not {name, *rivals} <= {"cp1254", "iso8859_9"}:
        raise TradeReadError(
            f"cannot tell the text encoding: {name} and {', '.join(rivals)} read the file "
            "equally well but give different text; save the file as UTF-8",
            file=path,
        )
    return name


def detect_encoding(path: str | Path) -> DetectedEncoding:
    """The encoding of a text file: UTF-16 or UTF-8 by their marks or structure, else detected.

    Raises TradeReadError naming the file when the bytes hold NULs (not a text file) or when no
    customs encoding reads them clearly better than the others.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            start = handle.read(4)
    except OSError as exc:
        raise TradeReadError(f"cannot read: {exc}", file=path) from exc
    if start.startswith(UTF16_BOMS):
        return DetectedEncoding("utf-16")
    skip = len(UTF8_BOM) if start.startswith(UTF8_BOM) else 0
    try:
        valid, nul, sample = _scan(path, skip)
    except OSError as exc:
        raise TradeReadError(f"cannot read: {exc}", file=path) from exc
    if nul:
        raise TradeReadError("binary data (NUL bytes): not a text CSV file", file=path)
    if valid:
        return DetectedEncoding("utf-8-sig" if skip else "utf-8", skip_bytes=skip)
    return DetectedEncoding(_choose(path, sample), skip_bytes=skip, how="detected")
