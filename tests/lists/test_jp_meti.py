"""Japan METI export-ban end-user lists: the three real text files and broken files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from screening.errors import ListParseError
from screening.lists import detect_list_format
from screening.lists.parsers.jp_meti import looks_like_jp_meti, parse_jp_meti
from screening.schema import LIST_ENTRY_SCHEMA
from tests.conftest import shared_path

FOLDER = ("sanctions", "jp_meti")
RUSSIA = "250912_list_russia_tokutei.pdf.txt"
THIRD = "250912_list_daisangoku_tokutei.pdf.txt"
BELARUS = "list_belarus_tokutei.pdf.txt"


def _parse(name: str) -> pd.DataFrame:
    table = parse_jp_meti(shared_path(*FOLDER, name))
    assert table.schema == LIST_ENTRY_SCHEMA
    return table.to_pandas()


@pytest.fixture(scope="module")
def lists() -> dict[str, pd.DataFrame]:
    return {name: _parse(name) for name in (RUSSIA, THIRD, BELARUS)}


def _names(table: pd.DataFrame, number: int) -> dict[str, str]:
    entry = table[table["source_id"] == str(number)]
    return dict(zip(entry["name"], entry["name_kind"], strict=True))


@pytest.mark.shared
@pytest.mark.parametrize(
    ("name", "entries", "list_source", "version"),
    [
        # SOURCES.md says "about" 561 / 56 / 27: these are the entry numbers each list
        # reaches, and every number from 1 up is found exactly once
        (RUSSIA, 561, "jp_meti_russia", "2025-09-12"),
        (THIRD, 56, "jp_meti_third_country", "2025-09-12"),
        (BELARUS, 27, "jp_meti_belarus", "2022-07-05"),
    ],
)
def test_every_numbered_entry_once(
    lists: dict[str, pd.DataFrame], name: str, entries: int, list_source: str, version: str
) -> None:
    table = lists[name]
    primary = table[table["name_kind"] == "primary"]
    assert primary["source_id"].tolist() == [str(i) for i in range(1, entries + 1)]
    assert set(table["list_source"]) == {list_source}
    assert set(table["list_version"]) == {version}
    assert set(table["entity_type"]) == {"entity"}
    # every entry has an English primary name and its Japanese name as an alias
    assert not primary["name"].str.contains(r"[\u3040-\u30ff\u4e00-\u9fff]").any()
    assert not table["name"].str.contains(r"a\.k\.a|所在地|別称").any()
    assert primary["addresses"].map(len).gt(0).all()


@pytest.mark.shared
def test_countries_from_addresses(lists: dict[str, pd.DataFrame]) -> None:
    russia = lists[RUSSIA][lists[RUSSIA]["name_kind"] == "primary"]
    no_country = russia[russia["countries"].map(len) == 0]
    # entry 10 gives "Yasenevo 11 Kolpachny, Moscow, 0101000." and no country: not guessed
    assert no_country["source_id"].tolist() == ["10"]
    third = lists[THIRD][lists[THIRD]["name_kind"] == "primary"]
    counts = third["countries"].explode().value_counts()
    assert counts[["CN", "TR", "AE"]].tolist() == [31, 10, 4]
    belarus = lists[BELARUS][lists[BELARUS]["name_kind"] == "primary"]
    assert belarus["countries"].map(list).map(tuple).unique().tolist() == [("BY",)]


@pytest.mark.shared
def test_entries_as_listed(lists: dict[str, pd.DataFrame]) -> None:
    russia, third, belarus = lists[RUSSIA], lists[THIRD], lists[BELARUS]
    assert _names(russia, 12) == {
        "International Center for Quantum Optics and Quantum Technologies LLS": "primary",
        "国際量子光学・量子技術センター": "alias",
        "ロシア量子センター": "alias",
        "RQC": "alias",
        "Russian Quantum Center": "alias",
    }
    quantum = russia[russia["source_id"] == "12"].iloc[0]
    assert len(quantum["addresses"]) == 3
    # the English name on the Japanese name's line
    assert "JSC Rocket and Space Centre – Progress" in _names(russia, 18)
    # entries glued to the previous address by the PDF extraction ("…Moscow 127055RU.10 …")
    assert _names(russia, 10)["Foreign Intelligence Service (SVR)"] == "primary"
    assert _names(russia, 25)["NPO High Precision Systems JSC"] == "primary"
    assert (
        _names(belarus, 15)[
            "Internal Troops of the Ministry of Internal Affairs of the Republic of Belarus"
        ]
        == "primary"
    )
    # a description is not a name: it moves to remarks
    defence = russia[russia["source_id"] == "23"]
    assert defence["name"].iloc[0] == "Ministry of Defence of the Russian Federation"
    assert "including the Armed Forces" in defence["remarks"].iloc[0]
    # 別称: lines (newer entries) and Chinese names in parentheses
    assert _names(russia, 560) == {
        "Alfa Machinery Group": "primary",
        "アルファ・マシナリー・グループ": "alias",
        "AMG社": "alias",
        "有限会社 AMG": "alias",
        "LLC Company AMG": "alias",
        "Kompaniya AMG": "alias",
    }
    assert _names(third, 13)["深圳市亿路发科技有限公司"] == "alias"
    assert _names(third, 53)["Hong Kong Qisu Electronic Technology Co Ltd"] == "primary"
    assert _names(third, 28)["Most Development Ltd"] == "alias"


@pytest.mark.shared
def test_detected_by_the_registry() -> None:
    for name in (RUSSIA, THIRD, BELARUS):
        path = shared_path(*FOLDER, name)
        assert looks_like_jp_meti(path)
        assert detect_list_format(path) == "jp_meti_txt"


TITLE = (
    "○ 国際平和のための国際的な努力に我が国として寄与するために講ずる輸出等に係る禁止措置\n"
    "の対象となるロシア連邦の団体（令和四年外務省告示第八十二号）\n"
    "指定日：2022 年03月01 日\n最終更新日：2025 年09 月12 日\n"
)


def test_small_list(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_text(
        TITLE + "１ 株式会社テスト\nTest JSC, a.k.a., the following one alias:\n-Test.\n"
        "所在地：1 Lenina St., Moscow, Russia.２ 株式会社サンプル\nSample LLC\n"
        "所在地：2 Mira Ave., Minsk, Belarus",
        encoding="utf-8",
    )
    assert looks_like_jp_meti(path)
    table = parse_jp_meti(path).to_pandas()
    assert table["name"].tolist() == [
        "Test JSC",
        "株式会社テスト",
        "Test",
        "Sample LLC",
        "株式会社サンプル",
    ]
    assert table.drop_duplicates("source_id")["countries"].map(list).tolist() == [["RU"], ["BY"]]
    assert set(table["programs"].map(tuple)) == {
        ("JP export ban: Russia entities", "令和四年外務省告示第八十二号")
    }


def test_no_entries_or_unknown_title(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text(TITLE, encoding="utf-8")
    with pytest.raises(ListParseError, match=r"empty\.txt: no numbered entries"):
        parse_jp_meti(path)
    path.write_text("○ 別のリスト\n最終更新日：2025年1月1日\n1 株式会社テスト\nTest JSC\n", "utf-8")
    assert not looks_like_jp_meti(path)
    with pytest.raises(ListParseError, match=r"row 1: title names none of the known notices"):
        parse_jp_meti(path)
