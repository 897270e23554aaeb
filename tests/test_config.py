"""ScreeningConfig: every tunable declared once, refused at once when wrong, recorded in full."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pydantic
import pytest

from screening.config import ConfigError, ScreeningConfig
from screening.errors import ScreeningError
from screening.names import DEFAULT_THRESHOLD, NameIndex
from screening.names import settings as names_settings
from screening.pipeline import best_party_matches, link_records
from screening.schema import LIST_ENTRY_SCHEMA
from tests.conftest import REPO_ROOT
from tests.risk.factory import chpl, screened

BAD_VALUES: list[tuple[dict[str, Any], str]] = [
    ({"name_threshold": "high"}, "config key 'name_threshold': Input should be a valid number"),
    ({"name_threshold": 120}, "config key 'name_threshold': Input should be less than or equal"),
    ({"name_treshold": 90}, "unknown config key 'name_treshold' (known: name_threshold,"),
    ({"max_matches_per_name": 0}, "config key 'max_matches_per_name'"),
    ({"risk_weights": {"party_match": "a lot"}}, "config key 'risk_weights.party_match'"),
    ({"risk_weights": {"chpl_tier_5": 1}}, "unknown config key 'risk_weights.chpl_tier_5'"),
    ({"risk_weights": {"level_medium": 80}}, "level_medium (80) must not exceed level_high (70)"),
    ({"risk_weights": 5}, "config key 'risk_weights'"),
    ({"import_surge": {"measure": "tons"}}, "config key 'import_surge.measure'"),
    ({"import_surge": {"surge_ratio": -1}}, "config key 'import_surge.surge_ratio'"),
    ({"hs_vintage": "2019"}, "config key 'hs_vintage'"),
    ({"transshipment_countries": ["Kazakhstan"]}, "not ISO 3166 alpha-2 code(s): KAZAKHSTAN"),
    ({"import_history_cutoff": "24.02.2022"}, "config key 'import_history_cutoff': expected an"),
    ({"list_files": "lists.csv"}, "config key 'list_files'"),
    ({"chain_window_days": 1.5}, "config key 'chain_window_days'"),
]


@pytest.mark.parametrize(("values", "message"), BAD_VALUES)
def test_bad_values_are_one_line_naming_the_key(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        ScreeningConfig.from_mapping(values, source="team.yml")
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith("team.yml: ")
    assert message in text
    assert isinstance(caught.value, ScreeningError)


def test_every_error_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        ScreeningConfig.from_mapping({"name_threshold": "high", "colour": "red"})
    assert "'name_threshold'" in str(caught.value) and "'colour'" in str(caught.value)


def test_name_threshold_is_the_one_the_matcher_declares() -> None:
    assert ScreeningConfig().name_threshold == DEFAULT_THRESHOLD


def test_every_tunable_is_declared_with_type_default_and_description() -> None:
    described = ScreeningConfig.describe()
    assert {"name_threshold", "risk_weights.party_match", "risk_weights.level_high"} <= set(
        described
    )
    assert {f"import_surge.{k}" for k in ("surge_ratio", "min_surge_records", "measure")} <= set(
        described
    )
    for key, entry in described.items():
        assert entry["description"], key
        assert entry["type"], key
    assert described["risk_weights.party_match"]["default"] == 45.0
    assert described["import_surge.surge_ratio"]["default"] == 3.0


def test_manifest_records_every_tunable_and_the_matcher_settings() -> None:
    config = ScreeningConfig.from_mapping(
        {"risk_weights": {"party_match": 50}, "import_surge": {"surge_ratio": 4}}
    )
    manifest = json.loads(json.dumps(config.to_manifest()))
    for key in ScreeningConfig.describe():
        table, _, name = key.rpartition(".")
        assert name in (manifest[table] if table else manifest), key
    assert manifest["risk_weights"]["party_match"] == 50.0
    assert manifest["risk_weights"]["party_export_control_list"] == 10.0
    assert manifest["import_surge"]["surge_ratio"] == 4.0
    assert manifest["name_threshold"] == DEFAULT_THRESHOLD
    for name, entry in names_settings.describe().items():
        if name != "flag_threshold":
            assert manifest["name_matching"][name] == entry["value"], name


def test_name_matching_is_the_matchers_own_declaration() -> None:
    """name_matching: is built from screening.names.tunables (same keys, defaults and
    descriptions, nothing restated) and its values reach the matcher."""
    described = ScreeningConfig.describe()
    for name, entry in names_settings.describe().items():
        if name == "flag_threshold":
            continue
        assert described[f"name_matching.{name}"]["default"] == entry["default"]
        assert described[f"name_matching.{name}"]["description"] == entry["description"]
    config = ScreeningConfig.from_mapping(
        {"name_threshold": 91, "name_matching": {"country_conflict": -30}}
    )
    assert config.match_settings().flag_threshold == 91
    assert config.match_settings().country_conflict == -30
    with pytest.raises(ConfigError, match=r"unknown config key 'name_matching\.flag_threshold'"):
        ScreeningConfig.from_mapping({"name_matching": {"flag_threshold": 80}})


def test_name_matching_values_change_the_party_match() -> None:
    """A listed Russian firm named with a German destination scores 92 with the default
    country-conflict penalty (-8) and drops below the threshold at -30."""
    row = {
        "list_source": "us_ofac_sdn",
        "source_id": "1",
        "entity_type": "entity",
        "name": "EVEREST GRUP OOO",
        "name_kind": "primary",
        "countries": ["RU"],
        "list_version": "2024-01-01",
    }
    index = NameIndex.build(pa.Table.from_pylist([row], schema=LIST_ENTRY_SCHEMA))
    queries = (["OOO EVEREST GRUP", "OOO EVEREST GRUP"], ["DE", "RU"])

    def scores(values: dict[str, Any]) -> dict[str, float]:
        config = ScreeningConfig.from_mapping({"workers": 1, **values})
        hits = best_party_matches(*queries, index, config).to_pylist()
        return {h["query_country"]: h["score"] for h in hits}

    assert scores({}) == {"DE": 92.0, "RU": 100.0}
    assert scores({"name_matching": {"country_conflict": -30}}) == {"RU": 100.0}


def test_round_trip_and_frozen() -> None:
    config = ScreeningConfig.from_mapping(
        {"list_files": ["a.csv"], "risk_weights": {"route_chain": 25}, "hs_vintage": 2017}
    )
    assert config.list_files == ("a.csv",)
    assert config.hs_vintage == "2017"
    assert ScreeningConfig.from_mapping(config.to_dict()) == config
    with pytest.raises(pydantic.ValidationError):
        config.name_threshold = 50  # type: ignore[misc]


def test_yaml_file_with_an_unquoted_date(tmp_path: Path) -> None:
    path = tmp_path / "team.yml"
    path.write_text(
        "# our team's settings\nimport_history_cutoff: 2022-03-01\n"
        "transshipment_countries: [kz, am]\nrisk_weights:\n  route_chain: 30\n",
        encoding="utf-8",
    )
    config = ScreeningConfig.from_file(path)
    assert config.import_history_cutoff == "2022-03-01"
    assert config.transshipment_countries == ("KZ", "AM")
    assert config.risk_weights.route_chain == 30.0
    assert config.risk_weights.party_match == 45.0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("name_threshold: [1, 2\n", "not valid YAML at line"),
        ("- a\n- b\n", "expected a mapping of config keys at the top level"),
        ("risk_weights:\n  party_match: high\n", "config key 'risk_weights.party_match'"),
    ],
)
def test_file_errors_name_the_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "team.yml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=f"^{path}: .*{message}".replace("[", r"\[")):
        ScreeningConfig.from_file(path)
    with pytest.raises(ConfigError, match="cannot read config file"):
        ScreeningConfig.from_file(tmp_path / "missing.yml")


def test_empty_file_is_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "empty.yml"
    path.write_text("# nothing yet\n", encoding="utf-8")
    assert ScreeningConfig.from_file(path) == ScreeningConfig()


def test_surge_settings_reach_the_link_stage() -> None:
    """A consignee with CHPL imports only after the cut-off is new, unless the config asks for
    more history before the cut-off than the data has."""
    base = {**chpl("1"), "importer": "OOO NOVY IMPORTER", "route": "other"}
    table = screened(
        {**base, "importer": "OOO OLD HAND", "chpl_tier": None, "date": "2021-06-01"},
        {**base, "date": "2022-05-01"},
        {**base, "date": "2022-06-01"},
        upto="flag_forwarders",
    )
    flags = link_records(table, ScreeningConfig())["red_flag"].to_pylist()
    assert flags == [None, "new_chpl_importer", "new_chpl_importer"]
    strict = ScreeningConfig.from_mapping({"import_surge": {"min_history_days": 400}})
    assert link_records(table, strict)["red_flag"].to_pylist() == [None, None, None]
    later = ScreeningConfig.from_mapping(
        {"import_history_cutoff": "2022-05-15", "import_surge": {"min_surge_records": 1}}
    )
    assert link_records(table, later)["red_flag"].to_pylist() == [None, None, "chpl_import_surge"]


def test_cli_refuses_a_bad_config_at_once_before_reading_lists(tmp_path: Path) -> None:
    """End to end through ``python -m screening run``: under 5 s of CPU, exit 2, one line naming
    the key. The config also names a list file that is not a list: had lists been read before the
    config was checked, the error would be about that file instead."""
    not_a_list = tmp_path / "not_a_list.csv"
    not_a_list.write_text("this,is\nnot,a list\n", encoding="utf-8")
    config = tmp_path / "bad.yml"
    config.write_text(f"list_files: [{not_a_list}]\nname_threshold: high\n", encoding="utf-8")
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    started, cpu_before = time.perf_counter(), _children_cpu()
    result = subprocess.run(
        [sys.executable, "-m", "screening", "run", "--config", str(config), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=env,
        timeout=60,
    )
    elapsed, cpu = time.perf_counter() - started, _children_cpu() - cpu_before
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"error: {config}: config key 'name_threshold': Input should be a valid number, "
        "unable to parse string as a number (got 'high')"
    ]
    assert "not_a_list" not in result.stderr
    assert not out.exists()
    # CPU seconds of the command (imports included): what it costs on an idle machine. The wall
    # time bound is loose because a CI runner shared with other jobs can be several times slower.
    assert cpu < 5.0, f"refusing a bad config took {cpu:.1f} s of CPU ({elapsed:.1f} s wall)"
    assert elapsed < 30.0, f"refusing a bad config took {elapsed:.1f} s wall"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def test_dualuse_config_prints_a_template_that_reads_back(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from screening.cli import cli

    team = tmp_path / "team.yml"
    team.write_text("risk_weights: {route_chain: 25}\ncoalition_countries: [NO, US]\n")
    result = CliRunner().invoke(cli, ["config", "--config", str(team)])
    assert result.exit_code == 0, result.output
    assert "# points from which a record is high risk (float)" in result.output
    written = tmp_path / "written.yml"
    written.write_text(result.output, encoding="utf-8")
    config = ScreeningConfig.from_file(written)
    assert config == ScreeningConfig.from_file(team)
    assert config.coalition_countries == ("NO", "US")  # YAML's "NO" is not read as false
    bad = tmp_path / "bad.yml"
    bad.write_text("risk_weights: {route_chian: 25}\n", encoding="utf-8")
    refused = CliRunner().invoke(cli, ["config", "--config", str(bad)])
    assert isinstance(refused.exception, ConfigError)
    assert "unknown config key 'risk_weights.route_chian'" in str(refused.exception)
