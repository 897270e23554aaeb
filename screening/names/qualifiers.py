"""Place qualifiers in brackets: "Bank of China (Hong Kong) Limited", "... II (Sweden) AB".

Why: groups name their branches and subsidiaries after the parent with the country in
brackets, and each is its own legal entity: `Bank of China (Hong Kong)` is not `Bank of China
(Singapore)`, nor `Bowne Global Solutions II (Sweden) AB` its Finnish sister. The name
readings set such qualifiers aside (screening.names.index.parenthetical_alternatives: many
unrelated names share "(Hong Kong)"), so without this feature two sisters read as one name. A
qualifier on one side only is neutral: lists and trade records often leave it out.

Only a bracketed part that is a country (as screening.geo.countries resolves it, "U.K." and
"Hong Kong" included) counts; a city, region or acronym in brackets says nothing here.
"""

from __future__ import annotations

import functools
import re

_BRACKETED = re.compile(r"[(\[]([^()\[\]]{2,40})[)\]]")


@functools.lru_cache(maxsize=65536)
def bracketed_countries(name: str) -> frozenset[str]:
    """ISO-2 codes of the countries a name gives in brackets (``(Hong Kong)`` -> HK)."""
    if "(" not in name and "[" not in name:
        return frozenset()
    # imported here: the country tables load only when a name has brackets (dualuse check on
    # a plain name stays fast)
    from screening.geo.countries import country_to_iso2

    codes = set()
    for part in _BRACKETED.findall(name):
        code = country_to_iso2(part.strip())
        if code:
            codes.add(code)
    return frozenset(codes)


def countries_of_names(names: list[str]) -> frozenset[str]:
    """The bracketed countries of a list entry's names (a key may stand for several rows)."""
    codes: set[str] = set()
    for name in names:
        codes |= bracketed_countries(name)
    return frozenset(codes)


def describe(codes: frozenset[str]) -> str:
    from screening.geo.countries import country_display_name

    return ", ".join(sorted(country_display_name(c) for c in codes))


__all__ = ["bracketed_countries", "countries_of_names", "describe"]
