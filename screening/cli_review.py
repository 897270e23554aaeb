"""``dualuse review apply | list`` and ``dualuse rescreen``: the analyst's review loop.

Attach with :func:`register` to the main group of screening.cli. None of these needs Prefect.
"""

from __future__ import annotations

import click

DB_HELP = (
    "Review store: a SQLAlchemy URL (postgresql://user@host/db, sqlite:///file) or a SQLite "
    "file path. Default: $DUALUSE_DB, else $DUALUSE_DATA_DIR/review.sqlite."
)


def db_option(function):  # type: ignore[no-untyped-def]
    """The shared ``--db URL`` option (also read from DUALUSE_DB)."""
    return click.option("--db", "db_url", default=None, metavar="URL", help=DB_HELP)(function)


@click.group()
def review() -> None:
    """Decisions on flagged matches: read them from a reviewed file, list the current ones."""


@review.command("apply")
@click.argument("flagged_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--analyst", help="Who decided (default: the file's analyst column, else $USER).")
@db_option
def review_apply(flagged_file: str, analyst: str | None, db_url: str | None) -> None:
    """Store the decisions typed into FLAGGED_FILE's analyst_decision / analyst_note columns
    (CSV or XLSX). Accepted: cleared (false positive, fp, ...), confirmed (true positive, tp,
    ...), escalated (escalate, refer, ...); any other value stops with its row and column."""
    from screening.review import open_store, read_review_file

    imported = read_review_file(flagged_file, analyst=analyst)
    with open_store(db_url) as store:
        written = store.add_decisions(imported.decisions)
    by_kind: dict[str, int] = {}
    for decision in imported.decisions:
        by_kind[decision.decision] = by_kind.get(decision.decision, 0) + 1
    summary = ", ".join(f"{k} {v}" for k, v in sorted(by_kind.items())) or "none"
    click.echo(
        f"{imported.rows_decided} of {imported.rows_read} rows decided; "
        f"{written} decisions stored ({summary}) in {store!r}"
    )
    if imported.rows_without_party_match:
        rows = ", ".join(map(str, imported.rows_without_party_match[:20]))
        click.echo(
            f"{len(imported.rows_without_party_match)} decided row(s) name no party match "
            f"(goods or route flags): not stored, a decision is about a party match. Rows: {rows}"
        )


@review.command("list")
@db_option
@click.option("--history", is_flag=True, help="Every decision ever written, oldest first.")
def review_list(db_url: str | None, history: bool) -> None:
    """Print the current decision of every (party, list entry), latest first."""
    from screening.review import open_store

    with open_store(db_url) as store:
        rows = store.decision_history() if history else store.current_decisions().values()
        rows = sorted(rows, key=lambda d: d.id or 0, reverse=not history)
    if not rows:
        click.echo("no decisions stored")
        return
    for d in rows:
        note = f"  {d.note}" if d.note else ""
        click.echo(
            f"{d.decided_at[:19]}  {d.decision:<9}  {d.analyst}  {d.party_name!r} ~ "
            f"{d.list_source} {d.source_id}{note}"
        )
    click.echo(f"{len(rows)} decision(s)")


@click.command()
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
@db_option
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False),
    help="YAML file overriding ScreeningConfig keys (lists, threshold).",
)
def rescreen(out_dir: str, db_url: str | None, config_file: str | None) -> None:
    """Re-screen every party the store has seen against only the list entries added or
    changed since it was last screened; write new_hits.csv into --out."""
    from screening.config import ScreeningConfig
    from screening.review import open_store
    from screening.review import rescreen as run_rescreen

    config = ScreeningConfig.from_file(config_file) if config_file else ScreeningConfig()
    with open_store(db_url) as store:
        result = run_rescreen(store, out_dir, config=config)
    checked = ", ".join(f"{k}: {v}" for k, v in result.entries_checked.items()) or "none"
    click.echo(
        f"{result.parties_rescreened} of {result.parties} parties re-screened against new or "
        f"changed entries ({checked}); {result.hits} new hit(s) -> {result.outputs['new_hits']}"
    )


def register(cli: click.Group) -> None:
    """Add ``review`` and ``rescreen`` to the ``dualuse`` group."""
    cli.add_command(review)
    cli.add_command(rescreen)
