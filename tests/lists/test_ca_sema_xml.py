"""Canada SEMA XML: the real 2020-04 file, the 2022+ tag layouts, alias splitting, broken files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from screening.cli import cli
from screening.errors import ListParseError
from screening.lists import detect_list_format
from screening.lists.parsers.ca_sema_xml import (
    complete_person_alias,
    looks_like_ca_sema_xml,
    parse_ca_sema_xml,
    split_aliases,
)
from screening.schema import LIST_ENTRY_SCHEMA
from tests.conftest import shared_path


@pytest.fixture(scope="module")
def sema_file() -> Path:
    return shared_path("sanctions", "ca_sema", "sema-lmes_2020-04.xml")


@pytest.fixture(scope="module")
def sema_table(sema_file: Path) -> pa.Table:
    return parse_ca_sema_xml(sema_file)


@pytest.fixture(scope="module")
def sema(sema_table: pa.Table) -> pd.DataFrame:
    return sema_table.to_pandas()


def _names(rows: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(rows["name"], rows["name_kind"], strict=True))


def _party(sema: pd.DataFrame, primary_name: str) -> pd.DataFrame:
    primary = sema[(sema["name_kind"] == "primary") & (sema["name"] == primary_name)]
    assert len(primary) == 1, primary_name
    return sema[sema["source_id"] == primary["source_id"].iloc[0]]


@pytest.mark.shared
def test_1369_records(sema_table: pa.Table, sema: pd.DataFrame) -> None:
    assert sema_table.schema == LIST_ENTRY_SCHEMA
    primary = sema[sema["name_kind"] == "primary"]
    assert len(primary) == 1369  # SOURCES.md: 1,369 records
    assert primary["source_id"].is_unique
    assert primary["entity_type"].value_counts().to_dict() == {"individual": 985, "entity": 384}
    assert set(sema["list_source"]) == {"ca_sema"}
    assert set(sema["list_version"]) == {"2020-04"}  # from the file name: no date inside
    for column in ("programs", "countries", "addresses", "identifiers", "related"):
        assert sema_table[column].null_count == 0, column
    # Country is the regime, not where the party is: no country is claimed
    assert sema["countries"].map(len).eq(0).all()


@pytest.mark.shared
def test_programs_are_regime_and_schedule(sema: pd.DataFrame) -> None:
    primary = sema[sema["name_kind"] == "primary"]
    programs = primary["programs"].map(lambda p: p[0]).value_counts()
    russia = programs[programs.index.str.startswith("Russia")]
    assert russia.sum() == 197  # SOURCES.md: Russia 197
    assert russia["Russia, Schedule 1, Part 2"] == 66
    assert programs[programs.index.str.startswith("Ukraine")].sum() == 242
    assert programs["Zimbabwe"] == 181  # Schedule "N/A" is left out
    glazyev = _party(sema, "Sergey Yur’yevich GLAZ’YEV").iloc[0]
    assert (glazyev["source_id"], glazyev["entity_type"]) == ("Russia/1/1", "individual")


@pytest.mark.shared
def test_person_aliases_completed_or_weak(sema: pd.DataFrame) -> None:
    cherezov = _party(sema, "Andrey Vladimirovich CHEREZOV")
    assert ("Andrei Vladimirovich CHEREZOV", "alias") in _names(cherezov)
    assert "DOB: 1967-10-12" in cherezov.iloc[0]["remarks"]
    assert ("Vladimir Vladimirovich ERYGIN", "alias") in _names(
        _party(sema, "Vladimir Vladimirovich YERYGIN")
    )
    assert _names(_party(sema, "Igor GIRKIN")) >= {("Igor STRELKOV", "alias")}
    dremov = _party(sema, "Pavel DREMOV")
    assert _names(dremov) == {
        ("Pavel DREMOV", "primary"),
        ("Batya", "weak_alias"),
        ("Kazak", "weak_alias"),
    }


@pytest.mark.shared
def test_entity_aliases_split(sema: pd.DataFrame) -> None:
    assert ("Rosselkhozbank", "alias") in _names(_party(sema, "Russian Agricultural Bank"))
    air_bagan = _party(sema, "Air Bagan")
    assert _names(air_bagan) == {
        ("Air Bagan", "primary"),
        ("Air Bagan Holdings Pte. Ltd.", "alias"),
        ("Air Bagan Limited", "alias"),
    }
    irgc = _names(_party(sema, "Islamic Revolutionary Guard Corps"))
    assert ("Corps des Gardiens de la Révolution islamique", "alias") in irgc
    assert {"IRGC", "Sepah-e Pasdaran-e Enghelab-e Eslami", "GRI", "CGRI"} <= {n for n, _ in irgc}
    assert _names(_party(sema, "MEC Steel Mills (Hmaw Bi/Pyi/Ywama)")) == {
        ("MEC Steel Mills (Hmaw Bi/Pyi/Ywama)", "primary")
    }


@pytest.mark.shared
def test_detector_and_cli(sema_file: Path, tmp_path: Path) -> None:
    assert looks_like_ca_sema_xml(sema_file)
    assert detect_list_format(sema_file) == "ca_sema_xml"
    assert not looks_like_ca_sema_xml(
        shared_path("sanctions", "un", "UN_consolidated_2026-02-27.xml")
    )
    out = tmp_path / "x.parquet"
    result = CliRunner().invoke(cli, ["lists", "parse", str(sema_file), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "ca_sema: 1369 entities" in result.output
    assert pq.read_table(out).num_rows == len(parse_ca_sema_xml(sema_file))


# --------------------------------------------------------------------------- alias rules


@pytest.mark.parametrize(
    ("text", "aliases"),
    [
        (
            "Air Bagan Holdings Pte. Ltd., Air Bagan Limited",
            ["Air Bagan Holdings Pte. Ltd.", "Air Bagan Limited"],
        ),
        ("Foo Trading, LLC; Bar", ["Foo Trading, LLC", "Bar"]),
        ("GORT/ORTAS", ["GORT", "ORTAS"]),
        ("Maersk A/S", ["Maersk A/S"]),
        ("Steel Mills (Hmaw Bi/Pyi)", ["Steel Mills (Hmaw Bi/Pyi)"]),
        ("(Rosselkhozbank)", ["Rosselkhozbank"]),
        (" Andrei ", ["Andrei"]),
        ("", []),
    ],
)
def test_split_aliases(text: str, aliases: list[str]) -> None:
    assert split_aliases(text) == aliases


@pytest.mark.parametrize(
    ("alias", "given", "last", "expected"),
    [
        ("Andrei", "Andrey Vladimirovich", "CHEREZOV", ("Andrei Vladimirovich CHEREZOV", "alias")),
        (
            "Alexander Alexandrovich",
            "Aleksandr Aleksandrovich",
            "ZHAROV",
            ("Alexander Alexandrovich ZHAROV", "alias"),
        ),
        ("ERYGIN", "Vladimir Vladimirovich", "YERYGIN", ("Vladimir Vladimirovich ERYGIN", "alias")),
        ("Oleksii SALYAYEV", "Aleksey Mikhailovich", "SALYAEV", ("Oleksii SALYAYEV", "alias")),
        ("Amir Ali Hajizadeh", "Amir Ali Haji", "Zadeh", ("Amir Ali Hajizadeh", "alias")),
        ("Motorola", "Arseny", "PAVLOV", ("Motorola", "weak_alias")),
        ("Abou Ezzat", "Muhammad", "Khallouf", ("Abou Ezzat", "alias")),
    ],
)
def test_complete_person_alias(alias: str, given: str, last: str, expected: tuple[str, str]):
    assert complete_person_alias(alias, given, last) == expected


# --------------------------------------------------------------------------- 2022+ layouts

_BILINGUAL = """<?xml version="1.0" encoding="UTF-8"?>
<data-set>
  <record>
    <Country-Pays>Russia / Russie</Country-Pays>
    <EntityOrShip-EntiteOuNavire>Sparta IV</EntityOrShip-EntiteOuNavire>
    <TitleOrShipType-TitreOuTypeDeNavire>General Cargo</TitleOrShipType-TitreOuTypeDeNavire>
    <ShipIMONumber-NumeroOMIDuNavire>9743033</ShipIMONumber-NumeroOMIDuNavire>
    <DateOfBirthOrShipBuildDate-DateDeNaissanceOuDateDeConstructionDuNavire>2016</DateOfBirthOrShipBuildDate-DateDeNaissanceOuDateDeConstructionDuNavire>
    <Schedule-Annexe>1, Part 3</Schedule-Annexe>
    <Item-NumeroDarticle>12</Item-NumeroDarticle>
    <DateOfListing-DateDinscription>2024-02-24</DateOfListing-DateDinscription>
  </record>
  <record>
    <Country-Pays>Belarus / Bélarus</Country-Pays>
    <LastName-NomDeFamille>Atabekov</LastName-NomDeFamille>
    <GivenName-Prenom>Khazalbek Bakhtibekovich</GivenName-Prenom>
    <Schedule-Annexe>1, Part 1</Schedule-Annexe>
    <Item-NumeroDarticle>1</Item-NumeroDarticle>
    <DateOfListing-DateDinscription>2020-09-28</DateOfListing-DateDinscription>
  </record>
</data-set>
"""


def _write(tmp_path: Path, text: str, name: str = "sema-lmes.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("layout", ["bilingual", "english"])
def test_current_layouts_with_ship(tmp_path: Path, layout: str) -> None:
    text = _BILINGUAL
    if layout == "english":  # EntityOrShip, ShipIMONumber, ... without the French half
        text = pd.Series([text]).str.replace(r"<(/?)([A-Z]\w+)-\w+>", r"<\1\2>", regex=True)[0]
    path = _write(tmp_path, text)
    assert detect_list_format(path) == "ca_sema_xml"
    table = parse_ca_sema_xml(path).to_pandas()
    ship = table.iloc[0]
    assert (ship["name"], ship["entity_type"], ship["source_id"]) == (
        "Sparta IV",
        "vessel",
        "Russia/1, Part 3/12",
    )
    assert [(i["scheme"], i["value"]) for i in ship["identifiers"]] == [("IMO", "9743033")]
    assert list(ship["programs"]) == ["Russia, Schedule 1, Part 3"]
    assert ship["remarks"] == "Ship type: General Cargo; Built: 2016"
    assert str(ship["listed_on"]) == "2024-02-24"
    person = table.iloc[1]
    assert (person["name"], person["entity_type"]) == (
        "Khazalbek Bakhtibekovich Atabekov",
        "individual",
    )
    assert set(table["list_version"]) == {"2024-02-24"}  # newest listing: no date in the name


def test_bad_ship_imo_names_record_and_field(tmp_path: Path) -> None:
    path = _write(tmp_path, _BILINGUAL.replace(">9743033<", ">97430<"))
    with pytest.raises(ListParseError, match=r"row 1, column 'ShipIMONumber': record #1"):
        parse_ca_sema_xml(path)


def test_repeated_item_is_an_error(tmp_path: Path) -> None:
    record = _BILINGUAL.split("<record>")[1].split("</record>")[0]
    text = _BILINGUAL.replace("</data-set>", f"<record>{record}</record>\n</data-set>")
    with pytest.raises(ListParseError, match=r"'Russia/1, Part 3/12' appears twice"):
        parse_ca_sema_xml(_write(tmp_path, text))


def test_truncated_file_names_line_and_last_record(tmp_path: Path) -> None:
    cut = _BILINGUAL.index("<LastName-NomDeFamille>") + 10
    line = _BILINGUAL[:cut].count("\n") + 1
    with pytest.raises(
        ListParseError,
        match=rf"row {line}: malformed XML at line {line}, column \d+ "
        r".*after <record> 'Russia / Russie' item 12",
    ):
        parse_ca_sema_xml(_write(tmp_path, _BILINGUAL[:cut]))


def test_entity_bomb_is_refused(tmp_path: Path) -> None:
    text = _BILINGUAL.replace(
        "<data-set>",
        '<!DOCTYPE data-set [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
        "<data-set>",
    ).replace("Sparta IV", "&b;")
    path = _write(tmp_path, text)
    assert looks_like_ca_sema_xml(path)
    with pytest.raises(ListParseError, match="refused"):
        parse_ca_sema_xml(path)


def test_other_data_set_xml_is_not_detected(tmp_path: Path) -> None:
    other = _write(tmp_path, "<data-set><row><a>1</a></row></data-set>", "other.xml")
    assert not looks_like_ca_sema_xml(other)
