"""The review store on SQLite and on a real PostgreSQL: migrations, append-only decisions,
records and parties seen, and two processes writing at once."""

from __future__ import annotations

import itertools
import multiprocessing
import random
from pathlib import Path

import pytest
import sqlalchemy as sa

from screening.review import store as store_module
from screening.review.store import (
    MIGRATIONS,
    Decision,
    ReviewStore,
    ReviewStoreError,
    decisions,
    records_seen,
    row_ranges,
    schema_version,
)


def _decision(kind: str, *, party: str = "romashka", source_id: str = "1234", **more) -> Decision:
    return Decision(
        party=party,
        party_name=more.pop("party_name", "OOO ROMASHKA"),
        list_source="us_ofac_sdn",
        source_id=source_id,
        decision=kind,
        analyst=more.pop("analyst", "ana"),
        decided_at=more.pop("decided_at", "2026-01-01T00:00:00.000000+00:00"),
        **more,
    )


def test_migrations_run_once_and_are_recorded(store_url: str) -> None:
    with ReviewStore(store_url) as store:
        assert store.schema_version() == MIGRATIONS[-1].version
    with ReviewStore(store_url) as again:  # a second open applies nothing twice
        with again.engine.connect() as connection:
            rows = connection.execute(sa.select(schema_version.c.version)).scalars().all()
        assert rows == [m.version for m in MIGRATIONS]
        tables = set(sa.inspect(again.engine).get_table_names())
    assert {"decisions", "record_ranges_seen", "parties_seen", "schema_version"} <= tables
    assert "records_seen" not in tables  # folded into ranges by step 3


def test_a_store_newer_than_the_tool_is_refused(store_url: str) -> None:
    with ReviewStore(store_url) as store, store.engine.begin() as connection:
        connection.execute(
            schema_version.insert().values(version=999, description="future", applied_at="x")
        )
    with pytest.raises(ReviewStoreError, match="schema version 999"):
        ReviewStore(store_url)


def test_decisions_are_appended_never_overwritten(store_url: str) -> None:
    with ReviewStore(store_url) as store:
        store.add_decisions([_decision("cleared", note="different company")])
        store.add_decisions([_decision("confirmed", analyst="bob", decided_at="2026-02-01")])
        store.add_decisions([_decision("escalated", source_id="999")])
        history = store.decision_history()
        current = store.current_decisions()
    assert [d.decision for d in history] == ["cleared", "confirmed", "escalated"]
    assert history[0].note == "different company" and history[0].analyst == "ana"
    assert current[("romashka", "us_ofac_sdn", "1234")].decision == "confirmed"
    assert current[("romashka", "us_ofac_sdn", "1234")].analyst == "bob"
    assert current[("romashka", "us_ofac_sdn", "999")].decision == "escalated"
    assert len(current) == 2


def test_an_older_store_is_upgraded_and_decisions_cannot_be_changed(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import screening.review.store as store_module

    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS[:1])  # a store made by v1
    with ReviewStore(store_url) as old:
        old.add_decisions([_decision("cleared")])
        with old.engine.begin() as connection:  # version 1 had no guard yet
            connection.execute(decisions.update().values(note="edited before the upgrade"))
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS)
    with ReviewStore(store_url) as store:
        assert store.schema_version() == MIGRATIONS[-1].version >= 2
        for statement in (decisions.update().values(decision="confirmed"), decisions.delete()):
            with (
                pytest.raises(sa.exc.DBAPIError, match="append-only"),
                store.engine.begin() as connection,
            ):
                connection.execute(statement)
        [kept] = store.decision_history()
    assert (kept.decision, kept.note) == ("cleared", "edited before the upgrade")


def test_unknown_decisions_never_reach_the_store(store_url: str) -> None:
    with ReviewStore(store_url) as store:
        with pytest.raises(ValueError, match="unknown decision 'maybe'"):
            store.add_decisions([_decision("maybe")])
        with store.engine.begin() as connection, pytest.raises(sa.exc.IntegrityError):
            # the database itself refuses it too (check constraint)
            connection.execute(decisions.insert().values(**{**vars(_decision("x")), "id": None}))
        assert store.decision_history() == []


def test_records_seen_keep_their_first_sighting(store_url: str) -> None:
    rows = [
        {"file_sha256": "a" * 64, "source_row": n, "source_file": "f.csv", "record_id": f"f:{n}"}
        for n in range(2, 2502)
    ]
    with ReviewStore(store_url) as store:
        assert store.mark_records_seen(rows[:1500]) == 1500
        assert store.mark_records_seen(rows) == 1000  # the first 1500 were known
        assert store.seen_rows("a" * 64) == set(range(2, 2502))
        assert store.seen_rows("b" * 64) == set()
        assert store.count_records_seen() == 2500


def test_a_store_of_one_row_per_record_is_migrated_to_ranges(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [*range(0, 10), *range(12, 20), 25]
    with monkeypatch.context() as patch:
        patch.setattr(store_module, "MIGRATIONS", MIGRATIONS[:2])  # a store of schema 2
        with ReviewStore(store_url) as old, old.engine.begin() as connection:
            for digest, numbers in (("a" * 64, rows), ("b" * 64, [7])):
                connection.execute(
                    records_seen.insert(),
                    [
                        {"file_sha256": digest, "source_row": n, "source_file": "f.csv",
                         "record_id": f"f:{n}", "first_seen_at": "2026-01-01"}
                        for n in numbers
                    ],
                )  # fmt: skip
    with ReviewStore(store_url) as store:
        assert store.schema_version() == MIGRATIONS[-1].version
        assert store.seen_ranges("a" * 64) == [(0, 9), (12, 19), (25, 25)]
        assert store.seen_rows("b" * 64) == {7}
        assert store.count_records_seen() == len(rows) + 1
        assert store.mark_rows_seen("a" * 64, "f.csv", [(5, 30)]) == 26 - (5 + 8 + 1)


def test_rows_seen_as_ranges_count_each_row_once(store_url: str) -> None:
    rng = random.Random(3)
    known: set[int] = set()
    with ReviewStore(store_url) as store:
        for _ in range(30):
            batch = {rng.randrange(0, 400) for _ in range(rng.randrange(1, 60))}
            start = rng.randrange(0, 400)
            batch |= set(range(start, start + rng.randrange(0, 40)))
            new = store.mark_rows_seen("c" * 64, "g.csv", row_ranges(batch))
            assert new == len(batch - known)
            known |= batch
            assert store.seen_rows("c" * 64) == known
        ranges = store.seen_ranges("c" * 64)
        assert all(a[1] < b[0] for a, b in itertools.pairwise(ranges))


def test_parties_seen_accumulate_and_rescreen_updates_versions(store_url: str) -> None:
    party = {
        "party_name": "OOO ROMASHKA",
        "country": "RU",
        "party": "romashka",
        "role": "importer",
        "file": "a.csv",
        "record_id": "a.csv:2",
        "records": 3,
    }
    with ReviewStore(store_url) as store:
        store.mark_parties_screened([party], {"us_ofac_sdn": "2023-12-28"})
        store.mark_parties_screened(
            [{**party, "file": "b.csv", "record_id": "b.csv:9", "records": 2}],
            {"us_ofac_sdn": "2024-01-05"},
        )
        [seen] = store.parties()
        assert (seen["first_seen_file"], seen["last_seen_file"], seen["records"]) == (
            "a.csv",
            "b.csv",
            5,
        )
        assert seen["list_versions"] == {"us_ofac_sdn": "2024-01-05"}
        store.mark_rescreened([("OOO ROMASHKA", "RU")], {"us_ofac_sdn": "2024-05-03"})
        [seen] = store.parties()
        assert seen["list_versions"] == {"us_ofac_sdn": "2024-05-03"}


WRITES_PER_PROCESS = 120


def _write_decisions(url: str, worker: int, start: object) -> None:
    """One process: open the store (migrating it if nobody has yet), then write its decisions
    one transaction each, interleaving with the other process."""
    start.wait(timeout=120)  # type: ignore[attr-defined]
    with ReviewStore(url) as store:
        for n in range(WRITES_PER_PROCESS):
            store.add_decisions(
                [_decision("cleared", party=f"party {worker}-{n}", analyst=f"worker {worker}")]
            )


def test_two_processes_writing_at_once_lose_nothing(store_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)  # both processes are up before either opens the store
    workers = [
        context.Process(target=_write_decisions, args=(store_url, worker, start))
        for worker in (1, 2)
    ]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=240)
    assert [p.exitcode for p in workers] == [0, 0]
    with ReviewStore(store_url) as store:
        history = store.decision_history()
        with store.engine.connect() as connection:
            versions = connection.execute(sa.select(schema_version.c.version)).scalars().all()
    assert versions == [m.version for m in MIGRATIONS]  # each step applied exactly once
    assert len(history) == 2 * WRITES_PER_PROCESS
    assert {d.party for d in history} == {
        f"party {w}-{n}" for w in (1, 2) for n in range(WRITES_PER_PROCESS)
    }
    assert len({d.id for d in history}) == len(history)


def test_a_bare_path_is_a_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "decisions.db"
    with ReviewStore(str(path)) as store:
        store.add_decisions([_decision("cleared")])
    assert path.is_file()
