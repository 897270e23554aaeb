"""EU Official Journal annexes (OpenSanctions transcriptions of 833/2014, 269/2014, 765/2006).

The files are CC BY-NC: read from ../shared, never copied into the repository.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from screening.errors import ListParseError
from screening.lists import detect_list_format, load_bundled_lists
from screening.lists.parsers.eu_transcriptions import (
    looks_like_eu_transcription_csv,
    parse_eu_transcription_csv,
)
from screening.lists.parsers.identifiers import inn_check_digits_agree, ogrn_check_digit_agrees
from screening.schema import LIST_ENTRY_SCHEMA
from tests.conftest import shared_path

FOLDER = ("sanctions", "eu_opensanctions_oj")
HEADER = (
    "celex,recordId,programKey,annex,measure,startDate,reason,schema,name,alias,weakAlias,"
    "previousName,country,nationality,jurisdiction,birthDate,birthPlace,position,passportNumber,"
    "gender,appearance,ethnicity,fatherName,motherName,incorporationDate,legalForm,sector,"
    "registrationNumber,taxNumber,idNumber,innCode,ogrnCode,kppCode,okpoCode,leiCode,swiftBic,"
    "ticker,imoNumber,mmsi,flag,address,phone,email,website,notes"
)


def _parse(stem: str) -> pd.DataFrame:
    table = parse_eu_transcription_csv(shared_path(*FOLDER, f"{stem}.csv"))
    assert table.schema == LIST_ENTRY_SCHEMA
    return table.to_pandas()


@pytest.fixture(scope="module")
def reg_833() -> pd.DataFrame:
    return _parse("32014R0833")


@pytest.fixture(scope="module")
def reg_269() -> pd.DataFrame:
    return _parse("32014R0269")


@pytest.fixture(scope="module")
def reg_765() -> pd.DataFrame:
    return _parse("32006R0765")


def _primary(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["name_kind"] == "primary"]


def _identifiers(table: pd.DataFrame, scheme: str) -> pd.DataFrame:
    """``list_source, source_id, value`` of one identifier scheme, one row per party and value."""
    long = _primary(table)[["list_source", "source_id", "identifiers"]].explode("identifiers")
    long = long.dropna(subset=["identifiers"])
    long = long.assign(
        scheme=long["identifiers"].map(lambda i: i["scheme"]),
        value=long["identifiers"].map(lambda i: i["value"]),
    )
    return long.loc[long["scheme"] == scheme, ["list_source", "source_id", "value"]]


@pytest.mark.shared
def test_833_has_1746_records_921_in_annex_iv(reg_833: pd.DataFrame) -> None:
    primary = _primary(reg_833)
    assert len(primary) == 1746  # SOURCES.md
    assert not primary[["list_source", "source_id"]].duplicated().any()
    assert primary["list_source"].value_counts().to_dict() == {
        "eu_833_annex_iv": 921,
        "eu_833": 825,
    }
    annex_iv = primary[primary["list_source"] == "eu_833_annex_iv"]
    assert annex_iv["programs"].map(list).map(tuple).unique().tolist() == [
        ("EU 833/2014 Annex IV", "EU-RUS Export control")
    ]
    assert set(primary["entity_type"].dropna()) == {"entity", "vessel"}
    assert (primary["entity_type"] == "vessel").sum() == 633  # Annex XLII
    assert set(reg_833["list_version"]) == {"2026-05-24"}  # newest startDate


@pytest.mark.shared
def test_annex_iv_entry_as_listed(reg_833: pd.DataFrame) -> None:
    sirius = reg_833[reg_833["source_id"] == "IV/1"]
    assert sirius["list_source"].unique().tolist() == ["eu_833_annex_iv"]
    names = dict(zip(sirius["name"], sirius["name_kind"], strict=True))
    assert names["JSC Sirius"] == "primary"
    assert names["Kontsern Sirius"] == "alias"
    cyrillic = "Открытое Акционерное Общество «Концерн «Сириус» (ОАО «Концерн «Сириус»)"
    assert names[cyrillic] == "alias"  # kept exactly as the Official Journal writes it
    row = sirius.iloc[0]
    assert [(i["scheme"], i["value"]) for i in row["identifiers"]] == [("INN", "7704730655")]
    assert list(row["countries"]) == ["RU"]
    assert list(row["addresses"]) == [
        "119435, Moscow, Pirogovskaya M. Str., 18, Building 1, Russian Federation"
    ]
    assert row["listed_on"] == dt.date(2014, 9, 12)


@pytest.mark.shared
def test_russian_inns_in_833_and_269(reg_833: pd.DataFrame, reg_269: pd.DataFrame) -> None:
    inn_833 = _identifiers(reg_833, "INN")
    inn_269 = _identifiers(reg_269, "INN")
    assert inn_833.groupby("list_source")["source_id"].nunique().to_dict() == {
        "eu_833_annex_iv": 694
    }
    assert inn_269["source_id"].nunique() == 728
    # INN means the Russian register: every value has agreeing check digits
    both = pd.concat([inn_833, inn_269])
    assert both["value"].map(inn_check_digits_agree).all()
    ogrn = pd.concat([_identifiers(reg_833, "OGRN"), _identifiers(reg_269, "OGRN")])
    assert ogrn["source_id"].nunique() == 10 + 445
    assert ogrn["value"].map(ogrn_check_digit_agrees).all()
    assert _identifiers(reg_833, "IMO")["source_id"].nunique() == 633


@pytest.mark.shared
def test_entities_sharing_an_inn_with_the_bundled_ofac_sdn(
    reg_833: pd.DataFrame, reg_269: pd.DataFrame
) -> None:
    ofac = _identifiers(load_bundled_lists().to_pandas(), "INN")
    ofac = ofac[ofac["list_source"] == "us_ofac_sdn"]
    eu = pd.concat([_identifiers(reg_833, "INN"), _identifiers(reg_269, "INN")])
    shared = eu.merge(ofac, on="value", suffixes=("_eu", "_ofac"))
    assert shared["value"].nunique() == 417
    assert shared.groupby("list_source_eu")["source_id_eu"].nunique().to_dict() == {
        "eu_833_annex_iv": 308,
        "eu_269": 185,
    }
    kalashnikov = shared[shared["value"] == "1832090230"]
    assert set(kalashnikov["list_source_eu"]) >= {"eu_833_annex_iv"}


@pytest.mark.shared
def test_269_persons_and_entities(reg_269: pd.DataFrame) -> None:
    primary = _primary(reg_269)
    assert len(primary) == 2802
    assert primary["entity_type"].value_counts().to_dict() == {"individual": 1984, "entity": 818}
    assert set(primary["list_source"]) == {"eu_269"}
    assert set(reg_269["list_version"]) == {"2026-07-17"}
    aksyonov = reg_269[reg_269["source_id"] == "I.PERSONS/1"]
    names = dict(zip(aksyonov["name"], aksyonov["name_kind"], strict=True))
    # "Latin (Кириллица)" aliases become one name per script
    assert names == {
        "Sergey Valeryevich AKSYONOV": "primary",
        "Sergei Valerievich AKSENOV": "alias",
        "Сергей Валерьевич АКСЁНОВ": "alias",
        "Serhiy Valeriyovych AKSYONOV": "alias",
        "Сергiй Валерiйович АКСЬОНОВ": "alias",
    }


@pytest.mark.shared
def test_765_belarus_export_control_annex(reg_765: pd.DataFrame) -> None:
    primary = _primary(reg_765)
    assert len(primary) == 408
    assert primary["list_source"].value_counts().to_dict() == {"eu_765": 382, "eu_765_annex_v": 26}
    belarusian = primary["countries"].map(lambda countries: list(countries) == ["BY"])
    assert belarusian.sum() == 252  # addresses in Belarus, "Belarusian" nationality
    assert not primary[["list_source", "source_id"]].duplicated().any()


@pytest.mark.shared
def test_detected_by_the_registry() -> None:
    path = shared_path(*FOLDER, "32014R0833.csv")
    assert looks_like_eu_transcription_csv(path)
    assert detect_list_format(path) == "eu_transcription_csv"


def _write(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "32014R0833.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _row(**cells: str) -> str:
    columns = HEADER.split(",")
    return ",".join(f'"{cells.get(c, "")}"' for c in columns)


def test_small_file_without_record_ids(tmp_path: Path) -> None:
    base = {"celex": "32014R0833", "programKey": "EU-RUS", "schema": "LegalEntity"}
    path = _write(
        tmp_path,
        _row(**base, annex="XIV", measure="Financial restrictions", name="Bank A"),
        _row(**base, annex="XIV", measure="Financial restrictions", name="Bank B"),
        _row(
            **base,
            recordId="7",
            annex="IV",
            measure="Export control",
            startDate="9 August 2023",
            name="OOO Test",
            registrationNumber="7704730655 (Tax ID/INN)",
        ),
    )
    table = parse_eu_transcription_csv(path).to_pandas()
    assert table["source_id"].tolist() == ["XIV/#1", "XIV/#2", "IV/7"]
    assert table["list_source"].tolist() == ["eu_833", "eu_833", "eu_833_annex_iv"]
    assert table["listed_on"].tolist()[2] == dt.date(2023, 8, 9)
    assert table["list_version"].unique().tolist() == ["2023-08-09"]


def test_bad_date_names_row_and_column(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        _row(
            celex="32014R0833",
            recordId="1",
            programKey="EU-RUS",
            annex="IV",
            measure="x",
            schema="LegalEntity",
            name="A",
            startDate="2014/09/12",
        ),
    )
    with pytest.raises(ListParseError, match=r"row 2, column 'startDate': startDate '2014/09/12'"):
        parse_eu_transcription_csv(path)


def test_unknown_schema_and_repeated_record_id(tmp_path: Path) -> None:
    base = {"celex": "32014R0833", "programKey": "EU-RUS", "annex": "IV", "measure": "x"}
    path = _write(tmp_path, _row(**base, recordId="1", schema="Spaceship", name="A"))
    with pytest.raises(ListParseError, match=r"row 2, column 'schema': unknown schema 'Spaceship'"):
        parse_eu_transcription_csv(path)
    path = _write(
        tmp_path,
        _row(**base, recordId="1", schema="LegalEntity", name="A"),
        _row(**base, recordId="1", schema="LegalEntity", name="B"),
    )
    with pytest.raises(ListParseError, match=r"row 3, column 'recordId'"):
        parse_eu_transcription_csv(path)


def test_missing_column_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "x,y", header="celex,annex,name,schema,measure")
    assert looks_like_eu_transcription_csv(path)
    with pytest.raises(ListParseError, match=r"row 1, column 'recordId': not an EU journal"):
        parse_eu_transcription_csv(path)
