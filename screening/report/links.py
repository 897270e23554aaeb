"""Where an analyst reads a list entry at its publisher: a link per (list_source, source_id).

Only lists whose ids address a public page get a per-entry link: the OFAC lists (SDN and the
non-SDN lists share one search site keyed by the entry's uid, which is our ``source_id``). The
other lists either identify entries by a hash we derive (the trade.gov Consolidated Screening
List carries no stable public id for BIS, State and ITAR rows) or publish no per-entry page
that an id alone can address (UN: pages are named by the entry, UK: the search service), so
they link to the publisher's search or list page, where the id shown beside the link is
searched for.
"""

from __future__ import annotations

from urllib.parse import quote

import pyarrow as pa

OFAC_ENTRY = "https://sanctionssearch.ofac.treas.gov/Details.aspx?id={id}"
CSL_SEARCH = "https://www.trade.gov/data-visualization/csl-search"

ENTRY_PAGES: dict[str, str] = {
    "us_ofac_sdn": OFAC_ENTRY,
    "us_ofac_non_sdn": OFAC_ENTRY,
    "us_ofac_ssi": OFAC_ENTRY,
    "us_ofac_plc": OFAC_ENTRY,
    "us_ofac_cmic": OFAC_ENTRY,
    "us_ofac_capta": OFAC_ENTRY,
    "us_ofac_fse": OFAC_ENTRY,
    "us_ofac_ns_mbs": OFAC_ENTRY,
}
"""list_source -> URL of one entry, ``{id}`` replaced by the URL-quoted ``source_id``."""

LIST_PAGES: dict[str, str] = {
    "us_bis_entity_list": CSL_SEARCH,
    "us_bis_dpl": CSL_SEARCH,
    "us_bis_uvl": CSL_SEARCH,
    "us_bis_meu": CSL_SEARCH,
    "us_state_isn": CSL_SEARCH,
    "us_state_itar_debarred": CSL_SEARCH,
    "un_sc": "https://main.un.org/securitycouncil/en/content/un-sc-consolidated-list",
    "uk_fcdo": "https://search-uk-sanctions-list.service.gov.uk/",
    "eu_fsf": "https://data.europa.eu/data/datasets/consolidated-list-of-persons-groups-and-entities-subject-to-eu-financial-sanctions",
    "ca_sema": "https://www.international.gc.ca/world-monde/international_relations-relations_internationales/sanctions/consolidated-consolide.aspx",
    "jp_meti": "https://www.meti.go.jp/policy/anpo/englishpage.html",
}
"""list_source -> the publisher's search or list page, for lists without per-entry pages."""


OFFICIAL_PREFIXES = tuple(
    sorted({t.split("{")[0] for t in ENTRY_PAGES.values()} | set(LIST_PAGES.values()))
)
"""Addresses this module builds: only these become clickable in the files it feeds."""


def is_official_link(url: str | None) -> bool:
    return bool(url) and str(url).startswith(OFFICIAL_PREFIXES)


def entry_link(list_source: str | None, source_id: str | None) -> str | None:
    """The official page of one list entry, else its list's search page, else None."""
    if not list_source or not source_id:
        return None
    template = ENTRY_PAGES.get(list_source)
    if template:
        return template.format(id=quote(source_id, safe=""))
    return LIST_PAGES.get(list_source)


def entry_links(
    list_sources: pa.ChunkedArray | pa.Array, source_ids: pa.ChunkedArray | pa.Array
) -> pa.Array:
    """:func:`entry_link` for each row (the flagged rows: a bounded number)."""
    return pa.array(
        [
            entry_link(s, i)
            for s, i in zip(list_sources.to_pylist(), source_ids.to_pylist(), strict=True)
        ],
        pa.string(),
    )
