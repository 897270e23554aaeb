"""dualuse_kit.sample: seeded synthetic trade records, their ground truth and the bundled sample."""

from __future__ import annotations

import functools
import io
import re
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pycountry
import pytest
from rapidfuzz.distance import DamerauLevenshtein

from dualuse_kit.sample import (
    ROUTE_KINDS,
    TRADE_COLUMNS,
    TRUTH_COLUMNS,
    _apply_typos,
    generate_trade_records,
    load_sample_vocabulary,
)
from screening.hs import load_chpl, normalise_hs_codes
from screening.lists import load_bundled_lists
from screening.paths import PACKAGE_DATA_DIR, REFERENCE_DIR
from screening.schema import LIST_ENTRY_SCHEMA

BUNDLED_SAMPLE = PACKAGE_DATA_DIR / "sample_trades.csv"
INN_PREFIX = re.compile(r"^(\d{10}) (\d{9}) ")


def _entry(source_id: str, name: str, **fields: Any) -> dict[str, Any]:
    row = {
        "list_source": "test_list",
        "source_id": source_id,
        "entity_type": "entity",
        "name": name,
        "name_kind": "primary",
        "programs": [],
        "countries": [],
        "addresses": [],
        "identifiers": [],
        "related": [],
        "remarks": None,
        "listed_on": None,
        "list_version": "2024-01-01",
    }
    row.update(fields)
    return row


def _hand_made_lists() -> pa.Table:
    """A few entries of each kind the generator must use, or must leave alone."""
    inn = [{"scheme": "INN", "value": "7722476458"}]
    rows = [
        _entry(
            "1",
            'Limited Liability Company "Volga Tekhnologii"',
            countries=["RU"],
            programs=["RUSSIA-EO14024"],
            identifiers=inn,
        ),
        _entry(
            "1",
            "OOO Volga Tekhnologii",
            name_kind="alias",
            countries=["RU"],
            programs=["RUSSIA-EO14024"],
            identifiers=inn,
        ),
        _entry(
            "1",
            "ООО «Волга Технологии»",
            name_kind="alias",
            countries=["RU"],
            programs=["RUSSIA-EO14024"],
            identifiers=inn,
        ),
        _entry(
            "2",
            "Shenzhen Example Electronics Co., Ltd.",
            entity_type=None,
            list_source="us_bis_entity_list",
            countries=["CN", "HK"],
        ),
        _entry("3", "Joint Stock Company Uralsky Priborostroitelny Zavod", countries=["RU"]),
        _entry(
            "4",
            "IVANOV, Ivan Ivanovich",
            entity_type="individual",
            countries=["RU"],
            programs=["RUSSIA-EO14024"],
        ),
        _entry("5", "SEA BREEZE", entity_type="vessel", countries=["RU"]),
        _entry("6", "EMPRESA CUBANA DE EJEMPLO", programs=["CUBA"], countries=["CU"]),
    ]
    return pa.Table.from_pylist(rows, schema=LIST_ENTRY_SCHEMA)


@functools.cache
def _bundled_sample_table(rows: int, seed: int) -> pa.Table:
    return generate_trade_records(
        rows, seed=seed, list_table=load_bundled_lists(), include_truth=True
    )


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    """20,000 rows against the bundled lists, with truth."""
    return _bundled_sample_table(20_000, 11).to_pandas()


def _hs6(code: str) -> str:
    """The HS6 of a code as written: 8542.31.0000, 85423190, 854231.0 (float), 80810.0."""
    digits = code[:-2] if code.endswith(".0") else code
    digits = digits.replace(".", "")
    if len(digits) % 2:  # a leading zero lost to a spreadsheet
        digits = "0" + digits
    return digits[:6]


def _name_key(name: str) -> str:
    """Letters and digits only: equal keys mean only case, quotes and punctuation differ."""
    name = re.sub(r"[«»\"'“”„‘’`?]", "", INN_PREFIX.sub("", name.upper()))
    return " ".join(re.findall(r"[0-9A-ZА-ЯЁ]+", name))


# --- determinism and shape ------------------------------------------------------------------


def test_same_seed_same_table_and_other_seed_other_table() -> None:
    lists = load_bundled_lists()
    first = generate_trade_records(3_000, seed=3, list_table=lists, include_truth=True)
    again = generate_trade_records(3_000, seed=3, list_table=lists, include_truth=True)
    other = generate_trade_records(3_000, seed=4, list_table=lists, include_truth=True)
    assert first.equals(again)
    assert not first.equals(other)
    # the list table's row order does not matter either
    shuffled = lists.take(np.random.default_rng(0).permutation(lists.num_rows))
    assert generate_trade_records(3_000, seed=3, list_table=shuffled, include_truth=True).equals(
        first
    )


def test_columns_types_and_plausible_values(sample: pd.DataFrame) -> None:
    plain = generate_trade_records(50, list_table=_hand_made_lists())
    assert plain.column_names == list(TRADE_COLUMNS)
    assert list(sample.columns) == [*TRADE_COLUMNS, *TRUTH_COLUMNS]
    assert sample["RECORD_ID"].is_unique
    dates = pd.to_datetime(sample["DATE"], format="%Y-%m-%d")
    assert dates.min() >= pd.Timestamp("2022-01-01")
    assert dates.max() <= pd.Timestamp("2025-06-30")
    assert dates.dt.year.nunique() == 4  # spread over the range
    assert dates.is_monotonic_increasing
    assert (sample["VALUE_USD"] > 0).all() and (sample["QUANTITY"] > 0).all()
    assert sample["VALUE_USD"].median() > 1_000
    assert set(sample["truth_route"]) == set(ROUTE_KINDS)
    for column in ("EXPORTER_NAME", "IMPORTER_NAME", "HS_CODE", "PRODUCT_DESCRIPTION"):
        assert sample[column].str.strip().str.len().gt(0).all(), column


def test_dates_follow_start_and_end() -> None:
    table = generate_trade_records(
        500, list_table=_hand_made_lists(), start="2024-02-01", end="2024-02-29"
    )
    days = {date.fromisoformat(d) for d in table["DATE"].to_pylist()}
    assert min(days) >= date(2024, 2, 1) and max(days) <= date(2024, 2, 29)
    with pytest.raises(ValueError, match="before start"):
        generate_trade_records(
            10, list_table=_hand_made_lists(), start="2024-02-01", end="2024-01-01"
        )


def test_bad_shares_are_refused() -> None:
    with pytest.raises(ValueError, match="listed_share"):
        generate_trade_records(10, list_table=_hand_made_lists(), listed_share=1.5)


# --- shares ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("listed_share", "chpl_share"), [(0.03, 0.08), (0.10, 0.20)])
def test_shares_are_roughly_as_asked(listed_share: float, chpl_share: float) -> None:
    table = generate_trade_records(
        20_000,
        seed=5,
        list_table=load_bundled_lists(),
        listed_share=listed_share,
        chpl_share=chpl_share,
        include_truth=True,
    ).to_pandas()
    slots = pd.concat([table["truth_exporter_source_id"], table["truth_importer_source_id"]])
    assert slots.notna().mean() == pytest.approx(listed_share, abs=0.006)
    assert table["truth_chpl_tier"].notna().mean() == pytest.approx(chpl_share, abs=0.01)
    # innocent traffic is the majority
    clean = (
        table["truth_exporter_source_id"].isna()
        & table["truth_importer_source_id"].isna()
        & table["truth_chpl_tier"].isna()
    )
    assert clean.mean() > 0.6


def test_no_listed_parties_when_share_is_zero() -> None:
    empty = LIST_ENTRY_SCHEMA.empty_table()
    table = generate_trade_records(2_000, list_table=empty, listed_share=0.0, include_truth=True)
    assert table["truth_exporter_source_id"].null_count == table.num_rows
    with pytest.raises(ValueError, match="no organisation names"):
        generate_trade_records(100, list_table=empty, listed_share=0.05)


# --- HS codes and descriptions --------------------------------------------------------------


def test_chpl_rows_carry_chpl_codes_and_others_do_not(sample: pd.DataFrame) -> None:
    chpl = load_chpl().to_pandas().set_index("hs6")["tier"]
    hs6 = sample["HS_CODE"].map(_hs6)
    assert (hs6 == sample["truth_hs6"]).all()
    is_chpl = sample["truth_chpl_tier"].notna()
    assert hs6[is_chpl].isin(chpl.index).all()
    assert (hs6[is_chpl].map(chpl) == sample.loc[is_chpl, "truth_chpl_tier"]).all()
    assert not hs6[~is_chpl].isin(chpl.index).any()
    # tier-weighted: integrated circuits lead, every tier appears
    assert hs6[is_chpl].value_counts().index[0] == "854231"
    assert set(sample.loc[is_chpl, "truth_chpl_tier"]) == set(chpl)


def test_hs_codes_read_back_through_the_product_normaliser(sample: pd.DataFrame) -> None:
    normalised = normalise_hs_codes(pa.array(sample["HS_CODE"])).to_pandas()
    assert (normalised["hs_status"] == "valid").all()
    assert (normalised["hs6"] == sample["truth_hs6"]).all()


def test_hs_codes_come_in_national_formats(sample: pd.DataFrame) -> None:
    code = sample["HS_CODE"]
    patterns = {
        "hs6": r"^\d{6}$",
        "cn8": r"^\d{8}$",
        "tnved10": r"^\d{10}$",
        "dotted": r"^\d{4}\.\d{2}(\.\d{4})?$",
        "float": r"^\d{5,6}\.0$",
    }
    matched = pd.Series(False, index=code.index)
    for label, pattern in patterns.items():
        hits = code.str.match(pattern)
        assert hits.mean() > 0.02, label
        matched |= hits
    assert matched.all()
    assert code.str.match(r"^\d{5}\.0$").any()  # 080810 -> 80810.0
    bound_for_eaeu = sample["DESTINATION_COUNTRY"].isin(["RUSSIAN FEDERATION", "RUSSIA", "RU"])
    assert code[bound_for_eaeu].str.match(r"^\d{10}$").mean() > 0.6


def test_descriptions_are_consistent_with_codes(sample: pd.DataFrame) -> None:
    vocab = load_sample_vocabulary()
    goods = vocab["goods"]
    vague = {
        text
        for pools in vocab["vague_descriptions"].values()
        for texts in pools.values()
        for text in texts
    }
    described = sample[~sample["PRODUCT_DESCRIPTION"].isin(vague)]
    assert len(described) > 0.85 * len(sample)
    for hs6, group in described.groupby("truth_hs6"):
        entry = goods.get(hs6)
        if entry is None:  # a CHPL code without a catalogue entry: its HS text
            continue
        allowed = set(entry["en"]) | set(entry.get("ru", []))
        assert set(group["PRODUCT_DESCRIPTION"]) <= allowed, hs6
    russian = described["PRODUCT_DESCRIPTION"].str.contains(r"[А-Я]")
    assert 0.05 < russian.mean() < 0.5
    vague_rows = sample["PRODUCT_DESCRIPTION"].isin(vague)
    is_chpl = sample["truth_chpl_tier"].notna()
    assert vague_rows[is_chpl].mean() > vague_rows[~is_chpl].mean()


def test_goods_catalogue_codes_exist_in_hs2022() -> None:
    nomenclature = pd.read_csv(REFERENCE_DIR / "hs" / "hs2022_nomenclature.csv", dtype=str)
    known = set(nomenclature["hscode"])
    assert set(load_sample_vocabulary()["goods"]) <= known


# --- routes and countries -------------------------------------------------------------------


def test_suspicious_rows_lean_to_russia_and_hubs(sample: pd.DataFrame) -> None:
    suspicious = (
        sample["truth_exporter_source_id"].notna()
        | sample["truth_importer_source_id"].notna()
        | sample["truth_chpl_tier"].notna()
    )
    russia_bound = sample["truth_route"].isin(["hub_to_russia", "direct_russia"])
    assert russia_bound[suspicious].mean() > 2 * russia_bound[~suspicious].mean()
    assert russia_bound[suspicious].mean() < 0.9  # more often, not always
    # false-alarm bait: innocent rows bound for Russia with non-CHPL goods
    assert (russia_bound & ~suspicious).sum() > 0.05 * (~suspicious).sum()


def test_route_countries_fit_the_route(sample: pd.DataFrame) -> None:
    vocab = load_sample_vocabulary()
    spelled = {text: iso for iso, spellings in vocab["countries"].items() for text, _ in spellings}
    origin = sample["ORIGIN_COUNTRY"].map(spelled)
    destination = sample["DESTINATION_COUNTRY"].map(spelled)
    assert origin.notna().all() and destination.notna().all()
    assert all(pycountry.countries.get(alpha_2=iso) for iso in set(origin) | set(destination))
    route = sample["truth_route"]
    russia_bound = route.isin(["hub_to_russia", "direct_russia"])
    assert destination[russia_bound].isin(["RU", "BY"]).all()
    assert not destination[~russia_bound].isin(["RU", "BY"]).any()
    hubs = set(vocab["routes"]["hubs"])
    assert destination[route == "to_hub"].isin(hubs).all()
    assert (origin[route == "ordinary"] != destination[route == "ordinary"]).all()
    assert {"TÜRKİYE", "HONG KONG, CHINA", "RUSSIAN FEDERATION"} <= set(spelled) & (
        set(sample["ORIGIN_COUNTRY"]) | set(sample["DESTINATION_COUNTRY"])
    )


# --- listed parties -------------------------------------------------------------------------


def test_listed_variants_trace_to_real_list_entries(sample: pd.DataFrame) -> None:
    lists = load_bundled_lists().to_pandas()
    names_by_entity = lists.groupby(["list_source", "source_id"])["name"].agg(set)
    types = lists.groupby(["list_source", "source_id"])["entity_type"].first()
    for role in ("exporter", "importer"):
        listed = sample[sample[f"truth_{role}_source_id"].notna()]
        assert len(listed) > 300
        keys = list(
            zip(listed[f"truth_{role}_list_source"], listed[f"truth_{role}_source_id"], strict=True)
        )
        assert all(key in names_by_entity.index for key in keys)
        assert all(
            name in names_by_entity[key]
            for key, name in zip(keys, listed[f"truth_{role}_list_name"], strict=True)
        )
        assert not {types[key] for key in keys} & {"individual", "vessel", "aircraft"}
        assert listed[f"truth_{role}_name_variant"].notna().all()


def test_listed_variants_are_rewritten_as_their_ops_say(sample: pd.DataFrame) -> None:
    seen_ops: set[str] = set()
    for role in ("exporter", "importer"):
        listed = sample[sample[f"truth_{role}_source_id"].notna()]
        for written, listed_name, variant in zip(
            listed[f"{role.upper()}_NAME"],
            listed[f"truth_{role}_list_name"],
            listed[f"truth_{role}_name_variant"],
            strict=True,
        ):
            ops = set(variant.split("+"))
            seen_ops |= ops
            if ops <= {"verbatim", "alias"}:
                assert written == listed_name
            if "truncate35" in ops:
                assert len(written) <= 35
            if "inn_prefix" in ops:
                assert role == "importer" and INN_PREFIX.match(written)
            else:
                assert not INN_PREFIX.match(written)
            if ops <= {"verbatim", "alias", "upper", "drop_quotes", "drop_punct"}:
                assert _name_key(written) == _name_key(listed_name)
    expected = {
        "verbatim",
        "upper",
        "drop_punct",
        "legal_form_swap",
        "abbreviate",
        "legal_form_move",
        "translit",
        "typo",
        "truncate35",
        "inn_prefix",
        "alias",
    }
    assert expected <= seen_ops


def test_inn_prefix_uses_the_listed_inn(sample: pd.DataFrame) -> None:
    lists = load_bundled_lists()
    flat = pc.list_flatten(lists["identifiers"]).to_pylist()
    parent = pc.list_parent_indices(lists["identifiers"]).to_numpy()
    source_ids = lists["source_id"].to_pylist()
    inns: dict[str, set[str]] = {}
    for row, ident in zip(parent.tolist(), flat, strict=True):
        inns.setdefault(source_ids[row], set()).add(ident["value"])
    prefixed = sample[sample["truth_importer_name_variant"].fillna("").str.contains("inn_prefix")]
    assert len(prefixed) > 20
    for written, source_id in zip(
        prefixed["IMPORTER_NAME"], prefixed["truth_importer_source_id"], strict=True
    ):
        inn, kpp = INN_PREFIX.match(written).groups()  # type: ignore[union-attr]
        assert inn in inns[source_id]
        assert kpp[:4] == inn[:4] or kpp in inns[source_id]


def test_hand_made_list_table_only_organisations_are_used() -> None:
    table = generate_trade_records(
        4_000, seed=2, list_table=_hand_made_lists(), listed_share=0.2, include_truth=True
    ).to_pandas()
    used = set(table["truth_exporter_source_id"].dropna()) | set(
        table["truth_importer_source_id"].dropna()
    )
    assert used == {"1", "2", "3"}  # not the individual, the vessel or the Cuban firm
    ops = pd.concat([table["truth_exporter_name_variant"], table["truth_importer_name_variant"]])
    cyrillic = table["IMPORTER_NAME"][
        table["truth_importer_name_variant"].fillna("").str.contains("cyrillic")
    ]
    assert ops.str.contains("cyrillic").any()
    assert cyrillic.str.contains("ВОЛГА").all() and not cyrillic.str.contains("«").any()


def test_typos_are_one_keyboard_slip() -> None:
    names = pa.array(["VOLGA TEKHNOLOGII", "SHENZHEN EXAMPLE ELECTRONICS", "URAL ZAVOD AO"] * 50)
    rows = np.arange(0, len(names), 2)
    typed = _apply_typos(names, rows, np.random.default_rng(1)).to_pylist()
    original = names.to_pylist()
    distances = [DamerauLevenshtein.distance(a, b) for a, b in zip(original, typed, strict=True)]
    assert all(distances[r] <= 1 for r in rows)
    assert sum(distances[r] == 1 for r in rows) > 0.8 * len(rows)
    assert all(distances[r] == 0 for r in range(1, len(names), 2))


# --- clean parties --------------------------------------------------------------------------


def test_clean_names_look_like_customs_names_and_are_not_listed(sample: pd.DataFrame) -> None:
    clean = pd.concat(
        [
            sample.loc[sample["truth_exporter_source_id"].isna(), "EXPORTER_NAME"],
            sample.loc[sample["truth_importer_source_id"].isna(), "IMPORTER_NAME"],
        ]
    )
    assert clean.nunique() > 1_000
    assert clean.value_counts().iloc[0] > 20  # some parties trade often
    for pattern in (
        r"CO,? LTD",
        r"^OOO ",
        r"SANAYI VE TICARET A S$",
        r"GMBH",
        r"^TOO ",
        r"FZE$",
        r"PRIVATE LIMITED$",
        r"\(SHENZHEN\)|\(GUANGZHOU\)",
        r"TECHNOLOGY CO LTD$",
        r"GROUP LLC$",
        r"TRADING",
    ):
        assert clean.str.contains(pattern).any(), pattern
    prefixed = clean[clean.str.match(INN_PREFIX)]
    assert len(prefixed) > 100  # Russian import declarations
    listed_keys = {_name_key(n) for n in load_bundled_lists()["name"].to_pylist()}
    assert not {_name_key(n) for n in clean.unique()} & listed_keys


def _vendor_party_names(shared: Path) -> set[str]:
    folder = shared / "trade" / "vendor_samples_csv"
    if not folder.is_dir():
        pytest.skip(f"real data not available: {folder}")
    names: set[str] = set()
    for path in sorted(folder.glob("*.csv")):
        frame = pd.read_csv(path, dtype=str)
        for column in frame.columns:
            upper = column.upper()
            if "ADDRESS" in upper:
                continue
            if re.search(r"NAME|SHIPPER|CONSIGNEE|BUYER|SUPPLIER|EXPORTER|IMPORTER|MANUF", upper):
                names |= {_name_key(v) for v in frame[column].dropna()}
    return names - {""}


def test_no_vendor_sample_names_are_copied(sample: pd.DataFrame, shared: Path) -> None:
    """``shared`` (conftest) skips where ../shared/data is absent."""
    vendor = _vendor_party_names(shared)
    assert len(vendor) > 1_000
    bundled = pd.read_csv(BUNDLED_SAMPLE, dtype=str)
    generated = set(sample["EXPORTER_NAME"][sample["truth_exporter_source_id"].isna()])
    generated |= set(sample["IMPORTER_NAME"][sample["truth_importer_source_id"].isna()])
    generated |= set(bundled["EXPORTER_NAME"]) | set(bundled["IMPORTER_NAME"])
    listed = set(sample["EXPORTER_NAME"][sample["truth_exporter_source_id"].notna()])
    clean_keys = {_name_key(n) for n in generated - listed}
    assert not clean_keys & vendor


# --- the bundled sample ---------------------------------------------------------------------


def test_bundled_sample_is_current_and_small() -> None:
    """screening/data/sample_trades.csv is what make_sample.py writes for 5,000 rows, seed 7."""
    assert BUNDLED_SAMPLE.stat().st_size < 1.5e6
    expected = generate_trade_records(5_000, seed=7, list_table=load_bundled_lists())
    buffer = io.BytesIO()
    pa_csv.write_csv(expected, buffer, pa_csv.WriteOptions(quoting_style="needed"))
    assert BUNDLED_SAMPLE.read_bytes() == buffer.getvalue(), (
        "stale sample: python benchmarks/make_sample.py --rows 5000 --seed 7 "
        "--out screening/data/sample_trades.csv"
    )


def test_make_sample_cli_writes_trade_and_truth(tmp_path: Path) -> None:
    import subprocess
    import sys

    out, truth = tmp_path / "trade.parquet", tmp_path / "truth.csv"
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "make_sample.py"
    result = subprocess.run(
        [
            sys.executable,
            str(script),
            "--rows",
            "300",
            "--seed",
            "9",
            "--out",
            str(out),
            "--truth",
            str(truth),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    import pyarrow.parquet as pq

    trade = pq.read_table(out)
    answers = pa_csv.read_csv(truth)
    assert trade.column_names == list(TRADE_COLUMNS)
    assert answers.column_names == ["RECORD_ID", *TRUTH_COLUMNS]
    expected = _bundled_sample_table_plain(300, 9)
    assert trade.equals(expected)
    bad = subprocess.run(
        [sys.executable, str(script), "--rows", "5", "--out", str(tmp_path / "x.txt")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode != 0 and ".csv or .parquet" in bad.stderr


def _bundled_sample_table_plain(rows: int, seed: int) -> pa.Table:
    return generate_trade_records(rows, seed=seed, list_table=load_bundled_lists())


# --- where the generator lives --------------------------------------------------------------


def test_generator_is_a_kit_outside_the_library() -> None:
    """The library neither holds nor imports the generator; ``dualuse sample`` loads it lazily."""
    import subprocess
    import sys

    import screening

    assert not (Path(screening.__file__).parent / "sample.py").exists()
    code = "import sys, screening, screening.cli; print('dualuse_kit' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_dualuse_sample_command_writes_truth_columns(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from screening.cli import cli

    out = tmp_path / "sample.csv"
    result = CliRunner().invoke(
        cli, ["sample", "--rows", "200", "--seed", "3", "--out", str(out), "--truth"]
    )
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out, dtype=str)
    assert len(written) == 200
    assert list(written.columns) == [*TRADE_COLUMNS, *TRUTH_COLUMNS]
