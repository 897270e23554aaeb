"""List refresh against a local server playing treasury.gov: real files, good and bad days.

Every bad download must leave the last good snapshot active and byte-identical, leave no
partial file in the store, and say why. No test reaches the internet: the catalogue's URLs are
pointed at a server on 127.0.0.1.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import click
import pyarrow.compute as pc
import pytest
from click.testing import CliRunner

from screening.errors import ReferenceDataError
from screening.lists.store.download import DownloadPolicy
from screening.lists.store.refresh import describe_active_lists, refresh_list, refresh_lists
from screening.lists.store.snapshots import (
    ACTIVE_NAME,
    SNAPSHOT_NAME,
    STAGING_DIR,
    default_store,
    load_active_lists,
    read_active,
    verify_snapshot,
)
from screening.lists.store.sources import (
    ListSource,
    load_list_sources,
    redact_url,
    resolve_active_ids,
)
from tests.conftest import shared_path
from tests.lists.list_server import (
    HTML_ERROR_PAGE,
    ListServer,
    Route,
    sdn_ent_nums,
    write_local_catalogue,
)

FAST = DownloadPolicy(attempts=2, backoff_seconds=0.01, trust_env=False)
V1_LAST_MODIFIED = "Thu, 28 Dec 2023 15:00:00 GMT"


@pytest.fixture(scope="module")
def sources(server: ListServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, ListSource]:
    catalogue = tmp_path_factory.mktemp("catalogue") / "sources.yml"
    ids = ["us_ofac_sdn", "us_trade_csl", "un_sc", "us_ofac_sdn_enhanced"]
    return load_list_sources(write_local_catalogue(server, ids, catalogue))


def serve_sdn(server: ListServer, files: dict[str, Path], **overrides: Route) -> None:
    """Serve an SDN set as treasury.gov does; ``overrides`` replace single files' answers."""
    server.routes.clear()
    server.hits.clear()
    server.serve_files("us_ofac_sdn", files, last_modified=V1_LAST_MODIFIED)
    for name, route in overrides.items():
        server.serve(f"us_ofac_sdn/{name}", route)


@pytest.fixture(scope="module")
def baseline_store(
    tmp_path_factory: pytest.TempPathFactory,
    server: ListServer,
    sdn_v1: dict[str, Path],
    sources: dict[str, ListSource],
) -> Path:
    store = tmp_path_factory.mktemp("baseline") / "store"
    serve_sdn(server, sdn_v1)
    result = refresh_list("us_ofac_sdn", store=store, sources=sources, policy=FAST)
    assert result.status == "updated", result.reason
    return store


@pytest.fixture
def store(baseline_store: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "store"
    shutil.copytree(baseline_store, copy)
    return copy


def active_dir(store: Path) -> Path:
    return store / "us_ofac_sdn" / read_active(store)["active"]["us_ofac_sdn"]["snapshot"]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- a good first refresh -------------------------------------------------------------------


def test_first_refresh_snapshots_verified_copy_and_activates_it(
    baseline_store: Path, sdn_v1: dict[str, Path], server: ListServer
) -> None:
    snapshot = active_dir(baseline_store)
    meta = verify_snapshot(snapshot)
    assert {f["name"]: f["sha256"] for f in meta["files"]} == {
        name: sha256(path) for name, path in sdn_v1.items()
    }
    for name, path in sdn_v1.items():
        assert (snapshot / name).read_bytes() == path.read_bytes()
    assert meta["stats"]["entities"] == len(sdn_ent_nums(sdn_v1["sdn.csv"])) == 13_821
    assert meta["list_version"] == "2023-12-28"  # from the server's Last-Modified
    assert meta["list_version_from"] == "last_modified"
    assert meta["format"] == "us_ofac_sdn_csv"
    assert meta["parser"].endswith("parse_ofac_sdn_csv")
    # the first refresh is compared with the bundled copy: the same publication, no change
    assert meta["previous"] == "bundled-2023-12-28"
    assert (meta["diff"]["added"], meta["diff"]["removed"], meta["diff"]["changed"]) == (0, 0, 0)
    assert not list((baseline_store / STAGING_DIR).iterdir())
    log = read_active(baseline_store)["refresh_log"]
    assert [entry["status"] for entry in log] == ["updated"]


def test_requests_carry_a_user_agent(baseline_store: Path, server: ListServer) -> None:
    assert server.user_agents
    assert all(agent.startswith("dualuse-screening/") for agent in server.user_agents)


def test_active_lists_come_from_the_store_and_fall_back_to_bundled(baseline_store: Path) -> None:
    table = load_active_lists(baseline_store)
    sdn = table.filter(pc.equal(table["list_source"], "us_ofac_sdn"))
    assert len(pc.unique(sdn["source_id"])) == 13_821
    # the CSL was never refreshed: its bundled copy is used, without its older SDN rows
    assert set(pc.unique(sdn["list_version"]).to_pylist()) == {"2023-12-28"}
    entity_list = table.filter(pc.equal(table["list_source"], "us_bis_entity_list"))
    assert len(pc.unique(entity_list["source_id"])) > 1_500


# --- bad days: the last good snapshot stays ---------------------------------------------------


def _truncated(v1: dict[str, Path], _v2: dict[str, Path]) -> dict[str, Route]:
    body = v1["sdn.csv"].read_bytes()
    return {"sdn.csv": Route(body, cut_after=len(body) // 2)}


def _empty(v1: dict[str, Path], _v2: dict[str, Path]) -> dict[str, Route]:
    return {"sdn.csv": Route(b"")}


def _html_page(v1: dict[str, Path], _v2: dict[str, Path]) -> dict[str, Route]:
    return {"sdn.csv": Route(HTML_ERROR_PAGE, content_type="text/html; charset=utf-8")}


def _html_labelled_csv(v1: dict[str, Path], _v2: dict[str, Path]) -> dict[str, Route]:
    return {"alt.csv": Route(HTML_ERROR_PAGE * 2000, content_type="text/csv")}


def _gzip_unannounced(v1: dict[str, Path], _v2: dict[str, Path]) -> dict[str, Route]:
    return {"sdn.csv": Route(gzip.compress(v1["sdn.csv"].read_bytes()))}


def _random_bytes(v1: dict[str, Path], _v2: dict[str, Path]) -> dict[str, Route]:
    noise = random.Random(7).randbytes(2_000_000)
    return {"sdn.csv": Route(noise, content_type="application/octet-stream")}


def _garbled_middle(v1: dict[str, Path], _v2: dict[str, Path]) -> dict[str, Route]:
    body = v1["sdn.csv"].read_bytes()
    noise = random.Random(3).randbytes(4096)
    return {"sdn.csv": Route(body[:1_500_000] + noise + body[1_500_000:])}


def _server_error(v1: dict[str, Path], _v2: dict[str, Path]) -> dict[str, Route]:
    return {"add.csv": Route(b"", fail_first=10)}


def _mixed_publications(v1: dict[str, Path], _v2: dict[str, Path]) -> dict[str, Route]:
    # the 2026 alt.csv names parties the 2024 sdn.csv does not have yet
    partial = shared_path("sanctions", "us_ofac", "partial_2026-06", "alt.csv")
    newer = shared_path("sanctions", "us_ofac", "sdn_2024-05-03", "sdn.csv")
    return {
        "sdn.csv": Route(newer.read_bytes()),
        "alt.csv": Route(partial.read_bytes()),
    }


def _shrunk_by_40_percent(v1: dict[str, Path], _v2: dict[str, Path]) -> dict[str, Route]:
    lines = v1["sdn.csv"].read_bytes().rstrip(b"\x1a").splitlines(keepends=True)
    kept = lines[: int(len(lines) * 0.6)]
    listed = {line.split(b",", 1)[0] for line in kept}

    def only_listed(name: str) -> bytes:
        rows = v1[name].read_bytes().rstrip(b"\x1a").splitlines(keepends=True)
        return b"".join(r for r in rows if r.split(b",", 1)[0] in listed) + b"\x1a"

    return {
        "sdn.csv": Route(b"".join(kept) + b"\x1a"),
        "alt.csv": Route(only_listed("alt.csv")),
        "add.csv": Route(only_listed("add.csv")),
    }


BAD_DAYS: list[tuple[str, Callable[..., dict[str, Route]], str, str]] = [
    # (case, answers, status, words of the reason)
    ("truncated body", _truncated, "failed", "peer closed connection without sending complete"),
    ("empty 200", _empty, "rejected", "sdn.csv: empty body (0 bytes)"),
    ("HTML error page", _html_page, "rejected", "Content-Type 'text/html' is not one of"),
    ("HTML sent as text/csv", _html_labelled_csv, "rejected", "alt.csv: an HTML page, not csv"),
    ("gzip bytes sent as CSV", _gzip_unannounced, "rejected", "gzip-compressed bytes"),
    ("random bytes", _random_bytes, "rejected", "garbled bytes, not csv text"),
    ("bytes garbled mid-file", _garbled_middle, "rejected", "does not parse as us_ofac_sdn_csv"),
    ("HTTP 500 every time", _server_error, "failed", "HTTP 500 Internal Server Error"),
    ("files of two publications", _mixed_publications, "rejected", "different publications"),
    ("list shrunk by 40 %", _shrunk_by_40_percent, "rejected", "suspicious shrink"),
]


@pytest.mark.parametrize(
    ("answers", "status", "reason"),
    [pytest.param(a, s, r, id=case) for case, a, s, r in BAD_DAYS],
)
def test_bad_download_keeps_the_last_good_snapshot(
    store: Path,
    server: ListServer,
    sources: dict[str, ListSource],
    sdn_v1: dict[str, Path],
    answers: Callable[..., dict[str, Route]],
    status: str,
    reason: str,
) -> None:
    good = active_dir(store)
    before = {path.name: path.read_bytes() for path in good.iterdir() if path.is_file()}
    serve_sdn(server, sdn_v1, **answers(sdn_v1, {}))

    result = refresh_list("us_ofac_sdn", store=store, sources=sources, policy=FAST)

    assert result.status == status
    assert reason in (result.reason or "")
    assert result.active_snapshot == good.name
    assert active_dir(store) == good
    after = {path.name: path.read_bytes() for path in good.iterdir() if path.is_file()}
    assert after == before  # byte-identical, snapshot.json included
    verify_snapshot(good)
    assert [p.name for p in (store / "us_ofac_sdn").iterdir() if p.is_dir()] == [good.name]
    assert not list((store / STAGING_DIR).iterdir())  # no partial file anywhere
    logged = read_active(store)["refresh_log"][-1]
    assert (logged["status"], logged["reason"]) == (status, result.reason)
    if status == "rejected":  # the refused bytes are kept for a look, with the reason
        kept = next((store / ".rejected" / "us_ofac_sdn").iterdir())
        assert json.loads((kept / "rejection.json").read_text())["reason"] == result.reason


def test_transient_errors_are_retried_permanent_ones_not(
    store: Path, server: ListServer, sources: dict[str, ListSource], sdn_v1: dict[str, Path]
) -> None:
    serve_sdn(server, sdn_v1, **_server_error(sdn_v1, {}))
    refresh_list("us_ofac_sdn", store=store, sources=sources, policy=FAST)
    assert server.hits["/us_ofac_sdn/add.csv"] == FAST.attempts

    serve_sdn(server, sdn_v1)
    del server.routes["/us_ofac_sdn/sdn_comments.csv"]
    result = refresh_list("us_ofac_sdn", store=store, sources=sources, policy=FAST)
    assert result.status == "failed"
    assert "HTTP 404" in (result.reason or "")
    assert server.hits["/us_ofac_sdn/sdn_comments.csv"] == 1


def test_500_then_success_completes_the_download(
    store: Path, server: ListServer, sources: dict[str, ListSource], sdn_v1: dict[str, Path]
) -> None:
    body = sdn_v1["sdn.csv"].read_bytes()
    serve_sdn(server, sdn_v1, **{"sdn.csv": Route(body, fail_first=2)})
    result = refresh_list(
        "us_ofac_sdn",
        store=store,
        sources=sources,
        policy=dataclasses.replace(FAST, attempts=3),
    )
    assert server.hits["/us_ofac_sdn/sdn.csv"] == 3
    # the bytes arrived whole: identical to the active snapshot, so nothing new is stored
    assert result.status == "unchanged"
    assert len([p for p in (store / "us_ofac_sdn").iterdir() if p.is_dir()]) == 1


def test_oversized_download_is_stopped(
    store: Path, server: ListServer, sources: dict[str, ListSource], sdn_v1: dict[str, Path]
) -> None:
    source = sources["us_ofac_sdn"]
    capped = dataclasses.replace(
        source, files=(dataclasses.replace(source.files[0], max_bytes=1_000_000), *source.files[1:])
    )
    serve_sdn(server, sdn_v1)
    result = refresh_list("us_ofac_sdn", store=store, sources={"us_ofac_sdn": capped}, policy=FAST)
    assert result.status == "failed"
    assert "more than max_bytes 1,000,000" in (result.reason or "")
    assert server.hits["/us_ofac_sdn/sdn.csv"] == 1  # not worth retrying
    assert not list((store / STAGING_DIR).iterdir())


# --- a good newer version ---------------------------------------------------------------------


def test_newer_version_becomes_active_with_its_diff(
    store: Path,
    server: ListServer,
    sources: dict[str, ListSource],
    sdn_v1: dict[str, Path],
    sdn_v2: dict[str, Path],
) -> None:
    old = active_dir(store)
    serve_sdn(server, sdn_v2)
    result = refresh_list("us_ofac_sdn", store=store, sources=sources, policy=FAST)

    assert result.status == "updated", result.reason
    old_ids, new_ids = sdn_ent_nums(sdn_v1["sdn.csv"]), sdn_ent_nums(sdn_v2["sdn.csv"])
    assert result.entities == len(new_ids) == 14_965
    assert result.previous == old.name
    assert result.diff["added"] == len(new_ids - old_ids) == 1_256
    assert result.diff["removed"] == len(old_ids - new_ids) == 112
    assert result.diff["changed"] > 0

    new = active_dir(store)
    assert new != old and new.name == result.new_snapshot
    verify_snapshot(old)  # the previous snapshot is kept, intact
    rows = _read_csv(Path(result.diff_file or ""))
    added = {r["source_id"] for r in rows if r["change"] == "added"}
    removed = {r["source_id"] for r in rows if r["change"] == "removed"}
    assert added == new_ids - old_ids
    assert removed == old_ids - new_ids
    sovcomflot = next(r for r in rows if r["source_id"] == "34741")
    assert sovcomflot["change"] == "added"
    assert "JOINT STOCK COMPANY SOVCOMFLOT" in sovcomflot["names_added"]
    assert "PAO SOVCOMFLOT" in sovcomflot["names_added"]  # an alias from alt.csv
    assert "RUSSIA-EO14024" in sovcomflot["programs_added"]

    table = load_active_lists(store)
    sdn = table.filter(pc.equal(table["list_source"], "us_ofac_sdn"))
    assert len(pc.unique(sdn["source_id"])) == len(new_ids)

    from screening.cli_lists import register

    group = click.Group("lists")
    register(group)
    shown = CliRunner().invoke(group, ["diff", str(old), str(new), "--top", "3"])
    assert shown.exit_code == 0, shown.output
    assert "us_ofac_sdn added: 1256" in shown.output
    assert "34741: added: JOINT STOCK COMPANY SOVCOMFLOT" in shown.output


def test_damaged_snapshot_is_refused_and_a_fresh_copy_replaces_it(
    store: Path, server: ListServer, sources: dict[str, ListSource], sdn_v2: dict[str, Path]
) -> None:
    damaged = active_dir(store) / "alt.csv"
    data = bytearray(damaged.read_bytes())
    data[5000] ^= 0x20
    damaged.write_bytes(bytes(data))
    with pytest.raises(ReferenceDataError, match=r"sha256 .* does not match"):
        load_active_lists(store)

    serve_sdn(server, sdn_v2)
    result = refresh_list("us_ofac_sdn", store=store, sources=sources, policy=FAST)
    assert result.status == "updated"
    assert result.diff == {}  # nothing trustworthy to compare with
    meta = json.loads((active_dir(store) / SNAPSHOT_NAME).read_text())
    assert "unreadable" in meta["previous_note"]
    assert load_active_lists(store).num_rows > 0


# --- other formats, the lists config, show ------------------------------------------------------


def test_configured_lists_refresh_in_any_registered_format(
    tmp_path: Path, server: ListServer, sources: dict[str, ListSource]
) -> None:
    un = shared_path("sanctions", "un", "UN_consolidated_2026-02-27.xml")
    csl = shared_path("sanctions", "us_trade_csl", "consolidated_2022-04.csv")
    server.routes.clear()
    server.serve("un_sc/consolidated.xml", Route(un.read_bytes(), content_type="application/xml"))
    server.serve("us_trade_csl/consolidated.csv", Route(csl.read_bytes()))
    store = tmp_path / "store"
    config = tmp_path / "lists.yml"
    config.write_text("active: [us_trade_csl, un_sc]\n", encoding="utf-8")

    results = refresh_lists(store=store, sources=sources, config_file=config, policy=FAST)

    assert [(r.list_id, r.status) for r in results] == [
        ("us_trade_csl", "updated"),
        ("un_sc", "updated"),
    ]
    un_result = results[1]
    assert un_result.entities == 730 + 273  # individuals + entities (SOURCES.md)
    assert un_result.list_version == "2026-02-27"  # from the file's dateGenerated
    # bundled too: the first refresh is compared with the bundled copy, and nothing changed
    assert un_result.previous == "bundled-2026-02-27" and un_result.diff["added"] == 0
    assert results[0].previous == "bundled-2022-04" and results[0].diff["added"] == 0

    table = load_active_lists(store, config_file=config)
    sources_found = set(pc.unique(table["list_source"]).to_pylist())
    assert {"un_sc", "us_bis_entity_list", "us_ofac_sdn"} <= sources_found  # SDN via the CSL


def test_lists_config_is_checked(tmp_path: Path, sources: dict[str, ListSource]) -> None:
    config = tmp_path / "lists.yml"
    config.write_text("active: [us_ofac_sdn, uk_fcdo_typo]\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=r"unknown list id.*uk_fcdo_typo"):
        resolve_active_ids(config_file=config, sources=sources)
    config.write_text("active: [us_ofac_sdn, us_ofac_sdn_enhanced]\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="both provide 'us_ofac_sdn'"):
        resolve_active_ids(config_file=config, sources=sources)
    # a lists.yml in the store folder is the default config
    (tmp_path / "lists.yml").write_text("active: [un_sc]\n", encoding="utf-8")
    assert resolve_active_ids(store=tmp_path, sources=sources) == ["un_sc"]
    # no config at all: the bundled manifest's active lists
    assert resolve_active_ids(store=tmp_path / "none", sources=sources) == [
        "us_ofac_sdn",
        "us_trade_csl",
        "un_sc",
        "uk_fcdo",
    ]


def test_show_lists_store_and_bundled_lists_with_inn_counts(baseline_store: Path) -> None:
    from screening.cli_lists import register

    table = load_active_lists(baseline_store)
    sdn = table.filter(pc.equal(table["list_source"], "us_ofac_sdn")).to_pylist()
    with_inn = {r["source_id"] for r in sdn if any(i["scheme"] == "INN" for i in r["identifiers"])}
    rows = {r["list_id"]: r for r in describe_active_lists(baseline_store)}
    assert rows["us_ofac_sdn"]["origin"] == "store"
    assert rows["us_ofac_sdn"]["inn_entities"] == len(with_inn) > 1_000
    assert rows["us_trade_csl"]["origin"] == "bundled"
    assert rows["us_trade_csl"]["list_version"] == "2022-04"

    group = click.Group("lists")
    register(group)
    result = CliRunner().invoke(group, ["show", "--store", str(baseline_store)])
    assert result.exit_code == 0, result.output
    sdn_line = next(line for line in result.output.splitlines() if line.startswith("us_ofac_sdn"))
    assert "store" in sdn_line and "2023-12-28" in sdn_line
    assert "13,821" in sdn_line and f"{len(with_inn):,}" in sdn_line
    assert any(line.startswith("us_trade_csl") for line in result.output.splitlines())


def test_show_works_without_a_store(tmp_path: Path) -> None:
    from screening.cli_lists import register

    group = click.Group("lists")
    register(group)
    result = CliRunner().invoke(group, ["show", "--store", str(tmp_path / "absent")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:2] == ["list", "origin"]
    assert [line.split()[1] for line in lines[1:3]] == ["bundled", "bundled"]
    assert not (tmp_path / "absent" / ACTIVE_NAME).exists()


def test_store_location_and_secret_urls(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DUALUSE_DATA_DIR", str(tmp_path))
    assert default_store() == tmp_path / "lists"
    eu = load_list_sources()["eu_fsf"]
    monkeypatch.setenv("DUALUSE_EU_FSF_TOKEN", "s3cret")
    url = eu.resolved_url(eu.files[0])
    assert url.endswith("content?token=s3cret")
    assert redact_url(url).endswith("content?token=***")


def _read_csv(path: Path) -> list[dict[str, str]]:
    import csv

    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))
