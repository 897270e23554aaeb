"""A one-to-one comparison reads a leading article on one side only as absent.

Why: "The" is never what tells two organisations apart (`The World Bank` / `World Bank`,
`The Goldman Sachs Group, Inc.` / `Goldman Sachs Group, Inc.`), yet the name readings keep it as
a word, and where the rest of the name is short and common (WORLD BANK) the unmatched word is
enough to drop the pair below the threshold. When an analyst compares two given names and only
one of them begins with an article, the other is read as beginning with it too: the pair is
scored on the words that can differ. Screening does not need this reading: there the article is
a generic word that never makes a candidate on its own.
"""

from __future__ import annotations

import dataclasses

from screening.names.normalise import NormalisedName

ARTICLES = frozenset({"the"})


def article_reading(first: NormalisedName, second: NormalisedName) -> NormalisedName | None:
    """``first`` with its leading article dropped, or with ``second``'s put in front, when only
    one of the two names begins with one; None otherwise."""
    ours = bool(first.tokens) and first.tokens[0] in ARTICLES
    theirs = bool(second.tokens) and second.tokens[0] in ARTICLES
    if ours == theirs or not first.tokens or not second.tokens:
        return None
    if ours:
        if len(first.tokens) < 2:
            return None
        return dataclasses.replace(first, tokens=first.tokens[1:])
    article = second.tokens[0]
    return dataclasses.replace(
        first,
        tokens=(article, *first.tokens),
        generic_tokens=first.generic_tokens | {article},
        written=(*first.written, (article, second.as_written(article))),
    )


__all__ = ["ARTICLES", "article_reading"]
