"""Re-screening after a list update, on real OFAC publications: the parties the store has seen
are matched against only the entries the newer SDN list added (or renamed), and nothing else.

The store sees the bundled sample's parties plus a few planted ones while the 2023-12-28 SDN
set is active; then the 2024-05-03 sdn.csv is imported (as `dualuse lists import` does) and
`rescreen` runs. The expected hits are computed independently: every seen party matched
against the whole newer list, keeping the entries that are new in it.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from screening.config import ScreeningConfig
from screening.io import load_trade_files
from screening.lists.store.local_import import import_list_files
from screening.lists.store.snapshots import load_active_lists
from screening.names import NameIndex, match_names
from screening.paths import SAMPLE_TRADES
from screening.pipeline import cached_name_index, classify_destinations
from screening.review.rescreen import rescreen
from screening.review.seen import file_hashes, record_run
from screening.review.store import ReviewStore
from tests.conftest import shared_path
from tests.lists.list_server import sdn_ent_nums

SAMPLE_RECORDS = 1500
"""Records of the bundled sample whose parties the store sees (about 800 distinct parties)."""
SET_FILES = ("sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv")


@pytest.fixture(scope="module")
def publications() -> dict[str, list[Path]]:
    ofac = shared_path("sanctions", "us_ofac")
    return {
        "old": [ofac / "sdn_set_2023-12-28" / name for name in SET_FILES],
        "new": [ofac / "sdn_2024-05-03" / "sdn.csv"],
    }


def _planted(new: pa.Table, added: set[str], old_ids: set[str]) -> dict[str, list[str]]:
    """Primary names of three entities new in 2024 and two listed in both publications,
    planted as importers of records whose destination is not given (no country to qualify
    the match: the 2024 sdn.csv comes without its address file)."""
    primary = new.filter(
        pc.and_(pc.equal(new["name_kind"], "primary"), pc.equal(new["entity_type"], "entity"))
    )
    rows = [r for r in primary.select(["source_id", "name"]).to_pylist() if len(r["name"]) > 14]
    fresh = sorted((r for r in rows if r["source_id"] in added), key=lambda r: int(r["source_id"]))
    known = sorted(
        (r for r in rows if r["source_id"] in old_ids), key=lambda r: int(r["source_id"])
    )
    return {
        "added": [fresh[i]["name"] for i in (0, len(fresh) // 2, -1)],
        "known": [known[0]["name"], known[-1]["name"]],
    }


def test_rescreen_reports_seen_parties_matching_added_entries_and_nothing_else(
    publications: dict[str, list[Path]], tmp_path: Path
) -> None:
    list_store = tmp_path / "lists"
    list_store.mkdir()
    (list_store / "lists.yml").write_text("active: [us_ofac_sdn]\n", encoding="utf-8")
    config = ScreeningConfig(list_store=str(list_store), workers=1)
    first = import_list_files(
        "us_ofac_sdn", publications["old"], store=list_store, list_version="2023-12-28"
    )
    assert (first.status, first.list_version) == ("updated", "2023-12-28")
    old = load_active_lists(list_store)

    # the parties a run saw while the 2023-12-28 list was active: the sample's, and five
    # planted ones (three listed only in 2024, two listed in both publications)
    old_ids = sdn_ent_nums(publications["old"][0])
    added = sdn_ent_nums(publications["new"][0]) - old_ids
    from screening.lists import parse_list_files

    planted = _planted(parse_list_files(publications["new"]), added, old_ids)
    trades_csv = tmp_path / "trades.csv"
    with open(SAMPLE_TRADES, encoding="utf-8", newline="") as source:
        rows = list(csv.reader(source))[: SAMPLE_RECORDS + 1]  # header + records
    for n, name in enumerate(planted["added"] + planted["known"]):
        rows.append([f"PLANT-{n}", "2024-06-01", "ACME GMBH", name, "GERMANY", "",
                     "854231", "INTEGRATED CIRCUITS", "1000", "10", "PCS"])  # fmt: skip
    with open(trades_csv, "w", encoding="utf-8", newline="") as target:
        csv.writer(target).writerows(rows)
    trades = classify_destinations(load_trade_files([trades_csv]).table, config)
    with ReviewStore(f"sqlite:///{tmp_path / 'review.sqlite'}") as store:
        record_run(store, trades, file_hashes([trades_csv]), {"us_ofac_sdn": "2023-12-28"})
        seen = store.parties()

        # a newer publication arrives; rescreen
        second = import_list_files(
            "us_ofac_sdn", publications["new"], store=list_store, list_version="2024-05-03"
        )
        assert (second.status, second.list_version) == ("updated", "2024-05-03")
        result = rescreen(store, tmp_path / "out", config=config)
        again = rescreen(store, tmp_path / "again", config=config)

    with open(tmp_path / "out" / "new_hits.csv", encoding="utf-8-sig", newline="") as handle:
        hits = list(csv.DictReader(handle))
    assert result.parties == result.parties_rescreened == len(seen) > 500
    assert result.hits == len(hits)
    assert result.list_versions == {"us_ofac_sdn": "2024-05-03"}
    reported = {(h["party"], h["source_id"]) for h in hits}

    # the planted parties listed only in 2024 are reported, as added entries, with their
    # first sighting; the ones listed in both publications are not
    for name in planted["added"]:
        [hit] = [h for h in hits if h["party"] == name and h["change"] == "added"]
        assert hit["seen_in_file"] == "trades.csv" and hit["seen_in_record"].startswith("trades")
        assert float(hit["score"]) >= config.name_threshold and hit["explanation"]
    assert not {h["party"] for h in hits} & set(planted["known"])

    # nothing else: every hit is an entry new in 2024, or an entry that gained the matched
    # name, and the party did not match that entry in the 2023 list
    new = load_active_lists(list_store)
    old_names = {(r["source_id"], r["name"]) for r in old.select(["source_id", "name"]).to_pylist()}
    for hit in hits:
        assert hit["change"] in ("added", "changed")
        assert hit["source_id"] in added or (hit["source_id"], hit["matched_name"]) not in old_names
    parties = [p["party_name"] for p in seen]
    countries = [p["country"] or None for p in seen]
    before = match_names(parties, NameIndex.build(old), countries=countries, top=50, workers=1)
    assert not reported & set(
        zip(before["query"].to_pylist(), before["source_id"].to_pylist(), strict=True)
    )

    # and everything: each seen party whose best new-entry match is over the threshold against
    # the whole 2024 list is reported
    # (the index a run over the 2024 list uses, which rescreen read from the cache too)
    after = match_names(parties, cached_name_index(new), countries=countries, top=50, workers=1)
    expected = {
        q
        for q, i in zip(after["query"].to_pylist(), after["source_id"].to_pylist(), strict=True)
        if i in added
    }
    assert expected == {h["party"] for h in hits if h["change"] == "added"}
    assert len(expected) >= 3

    # the store now holds the 2024 versions: a second rescreen has nothing to do
    assert (again.parties_rescreened, again.hits) == (0, 0)
