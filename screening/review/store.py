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
    records_seen   (file content hash, row) of every record a run has screened: --only-new
    parties_seen   every (party, country) a run has matched, where it was seen, when it was
                   last screened and against which list versions: ``dualuse rescreen``
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1, "decisions, records_seen, parties_seen", _create(decisions, records_seen, parties_seen)
    ),
    Migration(2, "decisions append-only (triggers)", _append_only_decisions),
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


def create_store_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 60})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=60000")
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


_PG_INSERT_RECORDS = sa.text(
    "INSERT INTO records_seen (file_sha256, source_row, source_file, record_id, first_seen_at) "
    "SELECT f, r, s, i, :seen_at FROM unnest(CAST(:f AS text[]), CAST(:r AS integer[]), "
    "CAST(:s AS text[]), CAST(:i AS text[])) AS t(f, r, s, i) ON CONFLICT DO NOTHING"
)


_SQLITE_INSERT_RECORDS = (
    "INSERT INTO records_seen (file_sha256, source_row, source_file, record_id, first_seen_at) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)


def _insert_new_records(
    connection: Connection, rows: Sequence[Mapping[str, Any]], seen_at: str
) -> int:
    """Insert records not known yet, in bulk; returns how many were new.

    PostgreSQL: one INSERT ... SELECT FROM unnest(arrays) per chunk (its rowcount is exact).
    SQLite: the driver's own executemany of tuples (sqlite3 sums the rows inserted; the
    per-row work of SQLAlchemy's parameter handling was most of the time)."""
    if connection.dialect.name == "postgresql":
        columns = {
            key: [row.get(name) for row in rows]
            for key, name in (
                ("f", "file_sha256"),
                ("r", "source_row"),
                ("s", "source_file"),
                ("i", "record_id"),
            )
        }
        return connection.execute(_PG_INSERT_RECORDS, {**columns, "seen_at": seen_at}).rowcount
    values = [
        (row["file_sha256"], row["source_row"], row["source_file"], row.get("record_id"), seen_at)
        for row in rows
    ]
    result = connection.exec_driver_sql(_SQLITE_INSERT_RECORDS, values)
    return max(result.rowcount, 0)


_SQLITE_UPSERT_PARTIES = (
    "INSERT INTO parties_seen (party_name, country, party, role, first_seen_file, "
    "first_seen_record, last_seen_file, last_seen_record, records, first_seen_at, "
    "last_screened_at, list_versions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (party_name, country) DO UPDATE SET "
    "last_seen_file = excluded.last_seen_file, last_seen_record = excluded.last_seen_record, "
    "records = parties_seen.records + excluded.records, "
    "last_screened_at = excluded.last_screened_at, list_versions = excluded.list_versions"
)


def _upsert_parties_sqlite(
    connection: Connection, rows: Sequence[Mapping[str, Any]], at: str, versions: str
) -> None:
    """The parties upsert through the SQLite driver's own executemany of tuples: the same
    statement SQLAlchemy's ``on_conflict_do_update`` builds, without its per-row parameter
    handling, which took 11 s of a 1M-row run's 200k parties (measured)."""
    values = [
        (
            row["party_name"], row["country"], row["party"], row["role"],
            row["file"], row.get("record_id"), row["file"], row.get("record_id"),
            row["records"], at, at, versions,
        )
        for row in rows
    ]  # fmt: skip
    connection.exec_driver_sql(_SQLITE_UPSERT_PARTIES, values)


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

    def seen_rows(self, file_sha256: str) -> set[int]:
        """Rows of the file with this content hash that a run has screened."""
        query = sa.select(records_seen.c.source_row).where(
            records_seen.c.file_sha256 == file_sha256
        )
        with self.engine.connect() as connection:
            return set(connection.execute(query).scalars())

    def mark_records_seen(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Remember screened records (file_sha256, source_row, source_file, record_id); a
        record already known keeps its first_seen_at. Returns how many were new."""
        if not rows:
            return 0
        seen_at = now_text()
        written = 0
        with self._write() as connection:
            for chunk in _chunks(rows, _BULK):
                written += _insert_new_records(connection, chunk, seen_at)
        return written

    def count_records_seen(self) -> int:
        with self.engine.connect() as connection:
            return int(
                connection.execute(sa.select(sa.func.count()).select_from(records_seen)).scalar()
            )

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
        with self._write() as connection:
            if connection.dialect.name == "sqlite":
                _upsert_parties_sqlite(connection, rows, at, versions)
                return
            for chunk in _chunks(rows, _BULK):
                values = [
                    {
                        "party_name": row["party_name"],
                        "country": row["country"],
                        "party": row["party"],
                        "role": row["role"],
                        "first_seen_file": row["file"],
                        "first_seen_record": row.get("record_id"),
                        "last_seen_file": row["file"],
                        "last_seen_record": row.get("record_id"),
                        "records": row["records"],
                        "first_seen_at": at,
                        "last_screened_at": at,
                        "list_versions": versions,
                    }
                    for row in chunk
                ]
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
                connection.execute(statement, values)

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
