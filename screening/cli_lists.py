"""``dualuse lists refresh | import | show | diff``: the snapshot store from the command line.

Attach with :func:`register` to the ``lists`` group of screening.cli. ``refresh`` runs the
Prefect flow (imported lazily, as ``run`` does); ``show`` and ``diff`` need no Prefect.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

_STORE_HELP = "Snapshot store (default: $DUALUSE_DATA_DIR/lists or ~/.local/share/dualuse/lists)."
_CONFIG_HELP = "Lists config YAML (active: [ids]); default: lists.yml in the store, else bundled."


# options that refresh and import share: one declaration, so the guard and its default agree
_max_shrink_option = click.option(
    "--max-shrink",
    type=click.FloatRange(0.0, 1.0),
    default=0.2,
    show_default=True,
    help="Refuse a version with this much fewer entities than the active one.",
)
_sources_option = click.option(
    "--sources",
    "sources_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Catalogue of sources instead of the official one (e.g. a mirror).",
)


def register(lists_group: click.Group) -> None:
    """Add the refresh, show and diff commands to the ``dualuse lists`` group."""
    lists_group.add_command(refresh)
    lists_group.add_command(import_files)
    lists_group.add_command(show)
    lists_group.add_command(diff)


@click.command()
@click.option("--list", "list_ids", multiple=True, metavar="ID", help="List id (repeatable).")
@click.option("--store", type=click.Path(file_okay=False), help=_STORE_HELP)
@_max_shrink_option
@click.option(
    "--config", "config_file", type=click.Path(exists=True, dir_okay=False), help=_CONFIG_HELP
)
@_sources_option
@click.option(
    "--deadline",
    "deadline_seconds",
    type=click.FloatRange(min=1.0),
    default=600.0,
    show_default=True,
    help="Seconds for the whole refresh, retries included; what is not done by then fails.",
)
@click.option(
    "--min-rate",
    "min_bytes_per_second",
    type=click.FloatRange(min=0.0),
    default=10_000.0,
    show_default=True,
    help="Bytes per second below which a transfer is cut off (measured over 30 s).",
)
def refresh(
    list_ids: tuple[str, ...],
    store: str | None,
    max_shrink: float,
    config_file: str | None,
    sources_file: str | None,
    deadline_seconds: float,
    min_bytes_per_second: float,
) -> None:
    """Download the lists from their official URLs; activate each only if it checks out.

    Exits with 1 when a list could not be refreshed (its last good snapshot stays active).
    SIGTERM or Ctrl-C stop the downloads within seconds without touching the active snapshots.
    """
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from flows.refresh_lists import refresh_lists_flow

    summary = refresh_lists_flow(
        list_ids=list(list_ids) or None,
        store=store,
        max_shrink=max_shrink,
        config_file=config_file,
        sources_file=sources_file,
        deadline_seconds=deadline_seconds,
        min_bytes_per_second=min_bytes_per_second,
    )
    for result in summary["results"]:
        click.echo(_result_line(result))
    click.echo(f"store: {summary['store']}")
    if summary["rejected"] or summary["failed"]:
        sys.exit(1)


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--list", "list_id", required=True, metavar="ID", help="List id in the catalogue.")
@click.option("--store", type=click.Path(file_okay=False), help=_STORE_HELP)
@_max_shrink_option
@click.option(
    "--list-version",
    metavar="VERSION",
    help="Version (e.g. 2024-05-03) when the file does not say; default: its modification date.",
)
@_sources_option
def import_files(
    files: tuple[str, ...],
    list_id: str,
    store: str | None,
    max_shrink: float,
    list_version: str | None,
    sources_file: str | None,
) -> None:
    """Activate local copies of a list's files (air-gapped sites, mirrors) as a new snapshot.

    The files go through the checks of `lists refresh`; a refused import leaves the active
    snapshot as it is and exits with 1. Name the files as published (sdn.csv, alt.csv, ...);
    a single file under another name stands for the list's main file.
    """
    from screening.errors import ScreeningError
    from screening.lists.store.local_import import import_list_files
    from screening.lists.store.sources import load_list_sources

    try:
        result = import_list_files(
            list_id,
            files,
            store=store,
            sources=load_list_sources(sources_file),
            max_shrink=max_shrink,
            list_version=list_version,
        )
    except ScreeningError as error:
        raise click.ClickException(str(error)) from error
    click.echo(_result_line(result.to_dict()))
    if result.status not in ("updated", "unchanged"):
        sys.exit(1)


@click.command()
@click.option("--store", type=click.Path(file_okay=False), help=_STORE_HELP)
@click.option(
    "--config", "config_file", type=click.Path(exists=True, dir_okay=False), help=_CONFIG_HELP
)
def show(store: str | None, config_file: str | None) -> None:
    """Print the active lists: origin, version, date, entities, names, entities with an INN."""
    from screening.lists.store.refresh import describe_active_lists

    rows = describe_active_lists(store, config_file=config_file)
    header = ("list", "origin", "version", "date", "entities", "names", "with INN", "snapshot")
    table = [header] + [
        (
            row["list_id"],
            row["origin"],
            row["list_version"] or "-",
            (row["date"] or "-")[:10],
            _count(row.get("entities")),
            _count(row.get("names")),
            _count(row.get("inn_entities")),
            row["snapshot"] or "-",
        )
        for row in rows
    ]
    widths = [max(len(str(line[i])) for line in table) for i in range(len(header))]
    for line in table:
        cells = (str(cell).ljust(width) for cell, width in zip(line, widths, strict=True))
        click.echo("  ".join(cells).rstrip())
    for row in rows:
        last = row.get("last_refresh")
        if last and last["status"] in ("rejected", "failed"):
            click.echo(
                f"{row['list_id']}: last refresh {last['status']} at {last['at']}: {last['reason']}"
            )
        if row["origin"] == "missing":
            click.echo(
                f"{row['list_id']}: no copy; run `dualuse lists refresh --list {row['list_id']}`"
            )


@click.command()
@click.argument("old", type=click.Path(exists=True))
@click.argument("new", type=click.Path(exists=True))
@click.option("--out", type=click.Path(dir_okay=False), help="Write every change to this CSV.")
@click.option("--top", type=int, default=20, show_default=True, help="Changes printed.")
def diff(old: str, new: str, out: str | None, top: int) -> None:
    """Compare two versions of a list: snapshot folders, or list files of any supported format."""
    from screening.io.writers import write_csv_atomic
    from screening.lists.store.diff import diff_lists
    from screening.lists.store.snapshots import load_list_path

    changes = diff_lists(load_list_path(old), load_list_path(new))
    summary = changes.group_by(["list_source", "change"]).aggregate([("source_id", "count")])
    for row in summary.sort_by([("list_source", "ascending"), ("change", "ascending")]).to_pylist():
        click.echo(f"{row['list_source']} {row['change']}: {row['source_id_count']}")
    for row in changes.slice(0, top).select(["source_id", "changes"]).to_pylist():
        click.echo(f"  {row['source_id']}: {row['changes']}")
    if changes.num_rows > top:
        click.echo(f"  ... {changes.num_rows - top} more")
    if out:
        write_csv_atomic(changes, out)
        click.echo(f"{changes.num_rows} changed entities -> {out}")
    elif not changes.num_rows:
        click.echo("no differences")


def _result_line(result: dict[str, Any]) -> str:
    list_id, status = result["list_id"], result["status"]
    if status == "updated":
        counts, previous = result["diff"], result["previous"]
        change = (
            f"; +{counts['added']} -{counts['removed']} ~{counts['changed']} vs {previous}"
            if counts
            else ""
        )
        return (
            f"{list_id}: updated -> {result['new_snapshot']} "
            f"({result['entities']:,} entities, version {result['list_version']}{change})"
        )
    kept = result["active_snapshot"] or "no snapshot (bundled copy used)"
    return f"{list_id}: {status}, {kept} stays active: {result['reason']}"


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"
