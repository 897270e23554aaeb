"""The review store: analysts' decisions, the records and parties already screened.

One SQLAlchemy Core schema that runs on SQLite (the default, a file under $DUALUSE_DATA_DIR)
and on PostgreSQL (``--db postgresql://…`` or ``DUALUSE_DB``), so a team can share decisions.
The schema is created and upgraded by ordered migration steps recorded in ``schema_version``:
opening a store brings it to the newest version under a lock (an advisory lock on PostgreSQL,
an immediate write transaction on SQLite), so two processes opening a fresh store at once
apply each step exactly once.

Tables
    decisions      append-only history of analyst decisions on (party, list entry) matches;
                   never updated or deleted: the current decision is the latest row of a key
    record_ranges_seen
                   (file content hash, first row, last row) of the records runs have screened,
                   as disjoint ranges of rows: --only-new. (Schema 1-2 kept one row per record
                   in ``records_seen``: 1M rows per 1M-record file; step 3 folds it into ranges.)
    parties_seen   every (party, country) a run has matched, where it was seen, when it was
                   last screened and against which list versions: ``dualuse rescreen``
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from screening import paths
from screening.errors import ScreeningError

DB_ENV = "DUALUSE_DB"
DB_FILE_NAME = "review.sqlite"
DECISIONS = ("cleared", "confirmed", "escalated")
_BATCH = 1000
"""Rows per executemany / IN (...) query: well under every driver's parameter limit."""
_BULK = 50_000
"""Rows per executemany of the bulk writes (records and parties seen): bounds the parameter
lists held at once; the transaction stays one."""
_WRITE_OPTION = "dualuse_write"
"""Execution option marking a write transaction (SQLite takes its write lock at BEGIN)."""
_PG_MIGRATION_LOCK = 0x6475616C  # "dual": the advisory lock id that serialises migrations

metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("applied_at", sa.String(32), nullable=False),
)

decisions = sa.Table(
    "decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("party", sa.String(500), nullable=False),
    sa.Column("party_name", sa.Text, nullable=False),
    sa.Column("party_identifiers", sa.Text, nullable=False, server_default=""),
    sa.Column("list_source", sa.String(100), nullable=False),
    sa.Column("source_id", sa.String(200), nullable=False),
    sa.Column("list_version", sa.String(100)),
    sa.Column("entry_hash", sa.String(64)),
    sa.Column("score", sa.Float),
    sa.Column("decision", sa.String(20), nullable=False),
    sa.Column("analyst", sa.String(200), nullable=False),
    sa.Column("decided_at", sa.String(32), nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("source", sa.Text),
    sa.Column("record_id", sa.Text),
    sa.CheckConstraint("decision IN ('cleared', 'confirmed', 'escalated')", name="ck_decision"),
)
sa.Index("ix_decisions_key", decisions.c.party, decisions.c.list_source, decisions.c.source_id)

records_seen = sa.Table(
    "records_seen",
    metadata,
    sa.Column("file_sha256", sa.String(64), primary_key=True),
    sa.Column("source_row", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("source_file", sa.Text, nullable=False),
    sa.Column("record_id", sa.Text),
    sa.Column("first_seen_at", sa.String(32), nullable=False),
)

record_ranges_seen = sa.Table(
    "record_ranges_seen",
    metadata,
    sa.Column("file_sha256", sa.String(64), primary_key=True),
    sa.Column("first_row", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("last_row", sa.Integer, nullable=False),
    sa.Column("source_file", sa.Text, nullable=False),
    sa.Column("first_seen_at", sa.String(32), nullable=False),
)

parties_seen = sa.Table(
    "parties_seen",
    metadata,
    sa.Column("party_name", sa.String(1000), primary_key=True),
    sa.Column("country", sa.String(8), primary_key=True),
    sa.Column("party", sa.String(500), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("first_seen_file", sa.Text, nullable=False),
    sa.Column("first_seen_record", sa.Text),
    sa.Column("last_seen_file", sa.Text, nullable=False),
    sa.Column("last_seen_record", sa.Text),
    sa.Column("records", sa.Integer, nullable=False),
    sa.Column("first_seen_at", sa.String(32), nullable=False),
    sa.Column("last_screened_at", sa.String(32), nullable=False),
    sa.Column("list_versions", sa.Text, nullable=False),
)


def _create(*tables: sa.Table) -> Callable[[Connection], None]:
    def step(connection: Connection) -> None:
        for table in tables:
            table.create(connection)
            for index in table.indexes:
                if not index.name or not _index_exists(connection, table.name, index.name):
                    index.create(connection)

    return step


def _index_exists(connection: Connection, table: str, name: str) -> bool:
    return name in {i["name"] for i in sa.inspect(connection).get_indexes(table)}


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Connection], None]


def _append_only_decisions(connection: Connection) -> None:
    """Triggers that refuse UPDATE and DELETE on decisions: the history is append-only in the
    database itself, whatever client writes to it."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            "CREATE FUNCTION decisions_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'decisions are append-only: add a new decision instead'; "
            "END $$"
        )
        connection.exec_driver_sql(
            "CREATE TRIGGER decisions_append_only BEFORE UPDATE OR DELETE ON decisions "
            "FOR EACH ROW EXECUTE FUNCTION decisions_append_only()"
        )
        return
    for action in ("UPDATE", "DELETE"):
        connection.exec_driver_sql(
            f"CREATE TRIGGER decisions_no_{action.lower()} BEFORE {action} ON decisions "
            "BEGIN SELECT RAISE(ABORT, 'decisions are append-only: add a new decision instead'); "
            "END"
        )


def _records_seen_as_ranges(connection: Connection) -> None:
    """records_seen (one row per record) folded into record_ranges_seen: each run of
    consecutive rows of a file becomes one range (gaps and islands: a row minus its rank is
    the same along a run); then records_seen is dropped."""
    record_ranges_seen.create(connection)
    connection.exec_driver_sql(
        "INSERT INTO record_ranges_seen (file_sha256, first_row, last_row, source_file, "
        "first_seen_at) SELECT file_sha256, MIN(source_row), MAX(source_row), MIN(source_file), "
        "MIN(first_seen_at) FROM (SELECT file_sha256, source_row, source_file, first_seen_at, "
        "source_row - ROW_NUMBER() OVER (PARTITION BY file_sha256 ORDER BY source_row) AS run "
        "FROM records_seen) AS numbered GROUP BY file_sha256, run"
    )
    records_seen.drop(connection)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1, "decisions, records_seen, parties_seen", _create(decisions, records_seen, parties_seen)
    ),
    Migration(2, "decisions append-only (triggers)", _append_only_decisions),
    Migration(3, "records seen kept as ranges of rows", _records_seen_as_ranges),
)
"""Ordered schema steps; a new step is appended here, never an old one edited."""


class ReviewStoreError(ScreeningError):
    """The review store cannot be opened or is newer than this version of the tool."""


def now_text() -> str:
    """UTC now as ISO 8601 with microseconds: sorts as text on every database."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def default_url() -> str:
    """``$DUALUSE_DB``, else SQLite at ``$DUALUSE_DATA_DIR/review.sqlite``."""
    configured = os.environ.get(DB_ENV)
    if configured:
        return configured
    return f"sqlite:///{paths.data_dir() / DB_FILE_NAME}"


def normalise_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here (the driver installed); a bare path is SQLite."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    return url


def redacted(url: str) -> str:
    """The URL with any password hidden, for logs and manifests."""
    try:
        return sa.engine.make_url(normalise_url(url)).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url


SQLITE_WAIT_SECONDS = 60
"""How long a SQLite store waits for another process's lock before giving up."""


def _write_ahead_log(cursor: Any) -> None:
    """Put the database in WAL mode (readers never wait for a writer). When two processes open
    a new store at the same moment, the one that loses gets "database is locked" at once:
    SQLite does not wait on its busy timeout for this switch. It tries again until the other
    is done (the switch is then already made), for as long as it would wait for any lock."""
    deadline = time.monotonic() + SQLITE_WAIT_SECONDS
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def create_store_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": SQLITE_WAIT_SECONDS})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_WAIT_SECONDS * 1000}")
            _write_ahead_log(cursor)
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Connection) -> None:
            # writers take the write lock up front: two writers wait for each other instead of
            # one failing on a lock upgrade half way through its transaction; readers do not
            # wait for writers (WAL)
            writing = connection.get_execution_options().get(_WRITE_OPTION, False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")

        return engine
    try:
        return sa.create_engine(url, pool_pre_ping=True)
    except (sa.exc.ArgumentError, ModuleNotFoundError) as exc:
        raise ReviewStoreError(f"cannot use review store {redacted(url)}: {exc}") from exc


def _insert(connection: Connection, table: sa.Table) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (SQLite and PostgreSQL both do)."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def row_ranges(rows: Iterable[int]) -> list[tuple[int, int]]:
    """Rows as sorted disjoint (first, last) ranges of consecutive rows."""
    ordered = np.unique(np.fromiter(rows, dtype=np.int64))
    if ordered.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(ordered) != 1)
    firsts = np.concatenate([ordered[:1], ordered[breaks + 1]])
    lasts = np.concatenate([ordered[breaks], ordered[-1:]])
    return list(zip(firsts.tolist(), lasts.tolist(), strict=True))


def _uncovered(
    ranges: Sequence[tuple[int, int]], known: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    """The parts of ``ranges`` (sorted, disjoint) outside every ``known`` range (same)."""
    out: list[tuple[int, int]] = []
    k = 0
    for first, last in ranges:
        while k < len(known) and known[k][1] < first:
            k += 1
        j = k
        while first <= last:
            if j >= len(known) or known[j][0] > last:
                out.append((first, last))
                break
            if known[j][0] > first:
                out.append((first, known[j][0] - 1))
            first = max(first, known[j][1] + 1)
            j += 1
    return out


_SQLITE_UPSERT_PARTIES = (
    "INSERT INTO parties_seen (party_name, country, party, role, first_seen_file, "
    "first_seen_record, last_seen_file, last_seen_record, records, first_seen_at, "
    "last_screened_at, list_versions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (party_name, country) DO UPDATE SET "
    "last_seen_file = excluded.last_seen_file, last_seen_record = excluded.last_seen_record, "
    "records = parties_seen.records + excluded.records, "
    "last_screened_at = excluded.last_screened_at, list_versions = excluded.list_versions"
)


def _chunks(rows: Sequence[Any], size: int = _BATCH) -> Iterator[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


@dataclass(frozen=True)
class Decision:
    """One analyst decision on one (party, list entry) match, as stored."""

    party: str
    party_name: str
    list_source: str
    source_id: str
    decision: str
    analyst: str
    decided_at: str
    list_version: str | None = None
    entry_hash: str | None = None
    score: float | None = None
    party_identifiers: str = ""
    note: str | None = None
    source: str | None = None
    record_id: str | None = None
    id: int | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.party, self.list_source, self.source_id)


class ReviewStore:
    """An opened, migrated review store. Cheap to create; holds a connection pool."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_url()
        self.engine = create_store_engine(self.url)
        try:
            self.migrate()
        except sa.exc.OperationalError as exc:
            raise ReviewStoreError(
                f"cannot open review store {redacted(self.url)}: {exc.orig}"
            ) from exc

    def __repr__(self) -> str:
        return f"ReviewStore({redacted(self.url)!r})"

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> ReviewStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction (committed on success, rolled back on error)."""
        with self.engine.connect() as connection:
            connection = connection.execution_options(**{_WRITE_OPTION: True})
            with connection.begin():
                yield connection

    def transaction(self) -> AbstractContextManager[Connection]:
        """A write transaction for several writes that must land together (a run's sightings):
        pass its connection to them; committed when the block ends, rolled back on error."""
        return self._write()

    @contextmanager
    def _writing(self, connection: Connection | None) -> Iterator[Connection]:
        """The caller's open transaction (see :meth:`transaction`), else a new one."""
        if connection is not None:
            yield connection
            return
        with self._write() as new:
            yield new

    # --- migrations -------------------------------------------------------------------------

    def migrate(self) -> int:
        """Apply the migration steps not applied yet; returns the schema version."""
        with self._write() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_MIGRATION_LOCK}
                )
            schema_version.create(connection, checkfirst=True)
            applied = set(connection.execute(sa.select(schema_version.c.version)).scalars())
            newest = MIGRATIONS[-1].version
            if applied and max(applied) > newest:
                raise ReviewStoreError(
                    f"review store {redacted(self.url)} has schema version {max(applied)}, "
                    f"newer than this tool knows ({newest}); upgrade dualuse"
                )
            for step in MIGRATIONS:
                if step.version in applied:
                    continue
                step.apply(connection)
                connection.execute(
                    schema_version.insert().values(
                        version=step.version, description=step.description, applied_at=now_text()
                    )
                )
            return newest

    def schema_version(self) -> int:
        with self.engine.connect() as connection:
            return int(
                connection.execute(sa.select(sa.func.max(schema_version.c.version))).scalar()
            )

    # --- decisions ----------------------------------------------------------------------------

    def add_decisions(self, items: Iterable[Decision]) -> int:
        """Append decisions (one transaction); returns how many were written."""
        rows = [{k: v for k, v in vars(item).items() if k != "id"} for item in items]
        for row in rows:
            if row["decision"] not in DECISIONS:
                raise ValueError(
                    f"unknown decision {row['decision']!r}; use {', '.join(DECISIONS)}"
                )
        if not rows:
            return 0
        with self._write() as connection:
            for chunk in _chunks(rows):
                connection.execute(decisions.insert(), list(chunk))
        return len(rows)

    def decision_history(self) -> list[Decision]:
        """Every decision ever written, oldest first."""
        with self.engine.connect() as connection:
            result = connection.execute(sa.select(decisions).order_by(decisions.c.id))
            return [Decision(**row._mapping) for row in result]

    def current_decisions(self) -> dict[tuple[str, str, str], Decision]:
        """(party, list_source, source_id) -> its latest decision."""
        latest = (
            sa.select(sa.func.max(decisions.c.id).label("id"))
            .group_by(decisions.c.party, decisions.c.list_source, decisions.c.source_id)
            .subquery()
        )
        query = sa.select(decisions).join(latest, decisions.c.id == latest.c.id)
        with self.engine.connect() as connection:
            rows = [Decision(**row._mapping) for row in connection.execute(query)]
        return {row.key: row for row in rows}

    # --- records seen (--only-new) ------------------------------------------------------------

    def seen_ranges(self, file_sha256: str) -> list[tuple[int, int]]:
        """(first, last) ranges of the rows of the file with this content hash that a run has
        screened, sorted and disjoint."""
        return self._seen_ranges(self.engine, file_sha256)

    @staticmethod
    def _seen_ranges(connection: Connection | Engine, file_sha256: str) -> list[tuple[int, int]]:
        table = record_ranges_seen
        query = (
            sa.select(table.c.first_row, table.c.last_row)
            .where(table.c.file_sha256 == file_sha256)
            .order_by(table.c.first_row)
        )
        if isinstance(connection, Engine):
            with connection.connect() as opened:
                return [(int(a), int(b)) for a, b in opened.execute(query)]
        return [(int(a), int(b)) for a, b in connection.execute(query)]

    def seen_rows(self, file_sha256: str) -> set[int]:
        """Rows of the file with this content hash that a run has screened (small files and
        tests; a run reads :meth:`seen_ranges`)."""
        return {r for a, b in self.seen_ranges(file_sha256) for r in range(a, b + 1)}

    def mark_rows_seen(
        self,
        file_sha256: str,
        source_file: str,
        ranges: Sequence[tuple[int, int]],
        connection: Connection | None = None,
    ) -> int:
        """Remember that the rows in ``ranges`` (sorted, disjoint (first, last)) of the file
        with this content hash were screened; rows already known keep their first sighting.
        Returns how many rows were new. ``connection``: an open :meth:`transaction`."""
        if not ranges:
            return 0
        seen_at = now_text()
        with self._writing(connection) as connection:
            new = _uncovered(ranges, self._seen_ranges(connection, file_sha256))
            values = [
                {
                    "file_sha256": file_sha256,
                    "first_row": first,
                    "last_row": last,
                    "source_file": source_file,
                    "first_seen_at": seen_at,
                }
                for first, last in new
            ]
            for chunk in _chunks(values, _BULK):
                connection.execute(record_ranges_seen.insert(), list(chunk))
        return sum(last - first + 1 for first, last in new)

    def mark_records_seen(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Remember screened records (file_sha256, source_row, source_file); a record already
        known keeps its first sighting. Returns how many were new."""
        by_file: dict[str, tuple[str, list[int]]] = {}
        for row in rows:
            entry = by_file.setdefault(row["file_sha256"], (row["source_file"], []))
            entry[1].append(int(row["source_row"]))
        return sum(
            self.mark_rows_seen(digest, source, row_ranges(numbers))
            for digest, (source, numbers) in by_file.items()
        )

    def count_records_seen(self) -> int:
        table = record_ranges_seen
        total = sa.func.coalesce(sa.func.sum(table.c.last_row - table.c.first_row + 1), 0)
        with self.engine.connect() as connection:
            return int(connection.execute(sa.select(total)).scalar())

    # --- parties seen (rescreen) --------------------------------------------------------------

    def mark_parties_screened(
        self, rows: Sequence[Mapping[str, Any]], list_versions: Mapping[str, str]
    ) -> None:
        """Upsert parties (party_name, country, party, role, file, record_id, records) as
        screened now against ``list_versions``; the first sighting is kept."""
        if not rows:
            return
        at = now_text()
        versions = json.dumps(dict(sorted(list_versions.items())))
        values = [
            (
                row["party_name"], row["country"], row["party"], row["role"],
                row["file"], row.get("record_id"), row["file"], row.get("record_id"),
                row["records"], at, at, versions,
            )
            for row in rows
        ]  # fmt: skip
        with self._write() as connection:
            for chunk in _chunks(values, _BULK):
                self._upsert_parties(connection, chunk)

    def mark_party_sightings(
        self,
        sightings: Any,
        list_versions: Mapping[str, str],
        connection: Connection | None = None,
    ) -> int:
        """Upsert the parties of a run as screened now against ``list_versions``, from an Arrow
        table (screening.review.seen.PARTY_SIGHTINGS columns): the first sighting is kept,
        the last one replaced, the records added. Returns how many parties were written.
        ``connection``: an open :meth:`transaction`."""
        if sightings.num_rows == 0:
            return 0
        at = now_text()
        versions = json.dumps(dict(sorted(list_versions.items())))
        with self._writing(connection) as connection:
            for offset in range(0, sightings.num_rows, _BULK):
                chunk = sightings.slice(offset, _BULK)
                columns = [
                    chunk[name].to_pylist()
                    for name in (
                        "party_name", "country", "party", "role", "first_file",
                        "first_record", "last_file", "last_record", "records",
                    )
                ]  # fmt: skip
                values = [(*row, at, at, versions) for row in zip(*columns, strict=True)]
                self._upsert_parties(connection, values)
        return sightings.num_rows

    @staticmethod
    def _upsert_parties(connection: Connection, values: Sequence[tuple[Any, ...]]) -> None:
        """Upsert parties_seen rows (tuples in its column order): the first sighting is kept,
        the last one replaced, the records added. On SQLite through the driver's own
        executemany of tuples: the same statement SQLAlchemy's ``on_conflict_do_update``
        builds, without its per-row parameter handling, which took 11 s of a 1M-row run's 200k
        parties (measured)."""
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql(_SQLITE_UPSERT_PARTIES, values)
            return
        names = [c.name for c in parties_seen.columns]
        statement = _insert(connection, parties_seen)
        statement = statement.on_conflict_do_update(
            index_elements=[parties_seen.c.party_name, parties_seen.c.country],
            set_={
                "last_seen_file": statement.excluded.last_seen_file,
                "last_seen_record": statement.excluded.last_seen_record,
                "records": parties_seen.c.records + statement.excluded.records,
                "last_screened_at": statement.excluded.last_screened_at,
                "list_versions": statement.excluded.list_versions,
            },
        )
        connection.execute(statement, [dict(zip(names, row, strict=True)) for row in values])

    def parties(self) -> list[dict[str, Any]]:
        """Every party seen, with ``list_versions`` decoded."""
        with self.engine.connect() as connection:
            rows = [dict(r._mapping) for r in connection.execute(sa.select(parties_seen))]
        for row in rows:
            row["list_versions"] = json.loads(row["list_versions"] or "{}")
        return sorted(rows, key=lambda r: (r["party_name"], r["country"]))

    def mark_rescreened(
        self, keys: Sequence[tuple[str, str]], list_versions: Mapping[str, str]
    ) -> None:
        """Record that these (party_name, country) were screened against ``list_versions``."""
        if not keys:
            return
        at = now_text()
        versions = json.dumps(dict(sorted(list_versions.items())))
        statement = (
            parties_seen.update()
            .where(parties_seen.c.party_name == sa.bindparam("k_name"))
            .where(parties_seen.c.country == sa.bindparam("k_country"))
            .values(last_screened_at=at, list_versions=versions)
        )
        with self._write() as connection:
            for chunk in _chunks(list(keys)):
                connection.execute(
                    statement, [{"k_name": name, "k_country": country} for name, country in chunk]
                )


def open_store(url: str | None = None) -> ReviewStore:
    """The review store at ``url`` (default: DUALUSE_DB, else the SQLite file), migrated."""
    return ReviewStore(url)
