"""OpenSanctions FollowTheMoney JSON lines: the yente fixtures (CC BY-NC, read from ../shared)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from screening.errors import ListParseError
from screening.lists import detect_list_format
from screening.lists.parsers.opensanctions_ftm import (
    PARTY_SCHEMAS,
    RELATION_ENDS,
    looks_like_opensanctions_ftm,
    parse_opensanctions_ftm,
)
from screening.schema import LIST_ENTRY_SCHEMA
from tests.conftest import shared_path

FOLDER = ("sanctions", "opensanctions")


def _entities(name: str) -> list[dict[str, Any]]:
    with open(shared_path(*FOLDER, name), encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


@pytest.fixture(scope="module")
def zala() -> pd.DataFrame:
    table = parse_opensanctions_ftm(shared_path(*FOLDER, "zala_entities.ftm.json"))
    assert table.schema == LIST_ENTRY_SCHEMA
    return table.to_pandas()


@pytest.fixture(scope="module")
def t1() -> pd.DataFrame:
    return parse_opensanctions_ftm(shared_path(*FOLDER, "t1_entities.ftm.json")).to_pandas()


def _primary(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["name_kind"] == "primary"].set_index("source_id")


@pytest.mark.shared
def test_parties_are_the_companies_persons_and_organizations(
    zala: pd.DataFrame, t1: pd.DataFrame
) -> None:
    for table, name, expected in ((zala, "zala", 17), (t1, "t1", 6)):
        entities = _entities(f"{name}_entities.ftm.json")
        parties = {e["id"]: e["schema"] for e in entities if e["schema"] in PARTY_SCHEMAS}
        primary = _primary(table)
        assert len(primary) == expected
        assert set(primary.index) == set(parties)
        assert set(table["list_source"]) == {f"opensanctions_{name}"}
        # Sanction, Address, Passport and relationship entities are never parties
        others = {e["id"] for e in entities if e["schema"] not in PARTY_SCHEMAS}
        assert not others & set(table["source_id"])
    assert _primary(zala)["entity_type"].value_counts().to_dict() == {
        "entity": 11,
        "individual": 6,
    }
    assert _primary(t1)["entity_type"].value_counts().to_dict() == {
        "individual": 4,
        "entity": 2,
    }


@pytest.mark.shared
def test_sanctions_attached_to_their_party(zala: pd.DataFrame) -> None:
    sanctions = [e for e in _entities("zala_entities.ftm.json") if e["schema"] == "Sanction"]
    targets = {party for s in sanctions for party in s["properties"]["entity"]}
    primary = _primary(zala)
    assert targets == {"NK-abdzbEBkqyT29GyREbiURZ", "NK-aU5ybkbRFJucf8YMwsJvDw"}
    cst = primary.loc["NK-abdzbEBkqyT29GyREbiURZ"]
    assert cst["name"] == "LLC CST"
    assert {"GB-RUS", "EU-UKR", "AU-RUSSIA", "US-BIS-EL"} <= set(cst["programs"])
    assert cst["listed_on"] == dt.date(2021, 10, 30)  # earliest start or listing date
    zakharov = primary.loc["NK-aU5ybkbRFJucf8YMwsJvDw"]
    assert zakharov["listed_on"] == dt.date(2023, 7, 1)
    # a Sanction's country is the sanctioning authority's, not the party's
    assert list(cst["countries"]) == ["RU"]
    assert primary.drop(index=list(targets))["listed_on"].isna().all()


@pytest.mark.shared
def test_addresses_attached_by_id(zala: pd.DataFrame) -> None:
    entities = _entities("zala_entities.ftm.json")
    full = {e["id"]: e["properties"]["full"][0] for e in entities if e["schema"] == "Address"}
    primary = _primary(zala)
    attached = 0
    for entity in entities:
        for address_id in entity["properties"].get("addressEntity", []):
            if address_id in full and entity["schema"] in PARTY_SCHEMAS:
                assert full[address_id] in set(primary.loc[entity["id"], "addresses"])
                attached += 1
    assert attached == 11  # every Address entity of the file belongs to a party


@pytest.mark.shared
def test_relationships_fill_related(zala: pd.DataFrame) -> None:
    entities = _entities("zala_entities.ftm.json")
    captions = {e["id"]: e["caption"] for e in entities}
    primary = _primary(zala)
    links = 0
    for entity in entities:
        if entity["schema"] not in RELATION_ENDS:
            continue
        one, other = (entity["properties"][end][0] for end in RELATION_ENDS[entity["schema"]])
        assert captions[other] in set(primary.loc[one, "related"])
        assert captions[one] in set(primary.loc[other, "related"])
        links += 1
    assert links == 21  # 14 Ownership, 4 Family, 3 Directorship
    kalashnikov = primary.loc["NK-nR5AXM9AVPq4pQaSPSaVam"]
    assert "LLC CST" in set(kalashnikov["related"])
    assert "Ownership: LLC CST (subsidiary of)" in kalashnikov["remarks"]


@pytest.mark.shared
def test_identifiers_names_and_non_targets(zala: pd.DataFrame, t1: pd.DataFrame) -> None:
    primary = _primary(zala)
    kalashnikov = primary.loc["NK-nR5AXM9AVPq4pQaSPSaVam"]
    pairs = {(i["scheme"], i["value"]) for i in kalashnikov["identifiers"]}
    assert {("INN", "1832090230"), ("OGRN", "1111832003018"), ("KPP", "183201001")} <= pairs
    # "TIN: 183111242572" in idNumber is the INN of a Russian person
    svetlana = primary.loc["NK-DQ98GPMgdVH8DSZd8g9Xtc"]
    assert ("INN", "183111242572") in {(i["scheme"], i["value"]) for i in svetlana["identifiers"]}
    related_only = primary.loc["ru-inn-5920040846"]
    assert related_only["remarks"].startswith("Not itself a sanctions target")
    assert list(related_only["programs"]) == []
    names = zala[zala["source_id"] == "NK-2Tbri3s6GgNtAwsSXh4qpL"]
    assert set(names["name_kind"]) == {"primary", "alias", "former"}
    assert "Мария Александровна Осетрова" in set(names["name"])  # Cyrillic kept as given
    registered = _primary(t1).loc["NK-2GdmHtZTeNXjNVrBGEXZNj"]
    assert [(i["scheme"], i["value"]) for i in registered["identifiers"]] == [
        ("REGISTRATION:BY", "808000714")
    ]


@pytest.mark.shared
def test_detected_by_the_registry() -> None:
    path = shared_path(*FOLDER, "t1_entities.ftm.json")
    assert looks_like_opensanctions_ftm(path)
    assert detect_list_format(path) == "opensanctions_ftm_json"


def test_broken_line_names_its_row(tmp_path: Path) -> None:
    path = tmp_path / "sanctions" / "entities.ftm.json"
    path.parent.mkdir()
    company = {"id": "c1", "schema": "Company", "properties": {"name": ["ACME LLC"]}}
    path.write_text(json.dumps(company) + "\n{broken\n", encoding="utf-8")
    assert looks_like_opensanctions_ftm(path)
    with pytest.raises(ListParseError, match=r"entities\.ftm\.json, row 2: not a JSON object"):
        parse_opensanctions_ftm(path)
    path.write_text(json.dumps(company) + "\n" + json.dumps({"id": "x"}) + "\n", "utf-8")
    with pytest.raises(ListParseError, match=r"row 2, column 'schema': entity without 'schema'"):
        parse_opensanctions_ftm(path)
    path.write_text(json.dumps(company) + "\n", encoding="utf-8")
    table = parse_opensanctions_ftm(path).to_pandas()
    assert table[["list_source", "source_id", "name"]].values.tolist() == [
        ["opensanctions_sanctions", "c1", "ACME LLC"]
    ]
