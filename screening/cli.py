"""The ``dualuse`` command: thin over the public library API and the Prefect flow.

``run`` and ``serve`` import Prefect lazily, so the other commands (and the library) work
without starting a Prefect server.
"""

from __future__ import annotations

import os
import sys
import typing

import click

from screening.errors import ScreeningError
from screening.progress import log_level, show_progress, step, verbose_option


def _mapping_options(map_items: tuple[str, ...], mapping_file: str | None) -> dict[str, str] | None:
    """--mapping FILE.yml then --map FIELD=COLUMN flags (flags win), or None to auto-detect."""
    from screening.io import parse_map_options, read_mapping_file

    mapping: dict[str, str] = {}
    if mapping_file:
        mapping.update(read_mapping_file(mapping_file).get("mapping") or {})
    mapping.update(parse_map_options(list(map_items)))
    return mapping or None


def _prefect_quiet_defaults() -> None:
    """No network here or in many compliance environments: keep telemetry out of the logs."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")


class LazyCommands(click.Group):
    """A group whose heavier sub-commands are imported only when called (or listed by --help),
    so that a quick command such as ``check`` does not pay for the others' imports."""

    lazy: typing.ClassVar[dict[str, str]] = {
        "hs": "screening.cli_hs:hs_command",
        "check": "screening.cli_check:check_command",
        "config": "screening.cli_config:config_command",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            import importlib

            module, attribute = self.lazy[cmd_name].split(":")
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyCommands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dualuse-screening")
@click.option("--debug", is_flag=True, help="On an error, print the full traceback too.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Screen trade records for dual-use goods bound for Russia: CHPL HS codes, listed
    parties, transshipment routes.

    Exit status: 0 done; 1 unexpected failure; 2 bad input, configuration or usage (nothing
    written); 3 done, but some input files were rejected (listed in rejected.csv and the
    manifest); 4 the output folder is in use by another run."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


@cli.command()
@click.argument("trade_files", nargs=-1, type=click.Path(exists=True))
@click.option("--out", "out_dir", required=True, type=click.Path(), help="Output folder.")
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False),
    help="YAML file overriding ScreeningConfig keys.",
)
@click.option(
    "--map",
    "map_items",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="Map a canonical field onto a column (repeatable).",
)
@click.option(
    "--mapping",
    "mapping_file",
    type=click.Path(exists=True, dir_okay=False),
    help="YAML file of FIELD: COLUMN pairs.",
)
@click.option("--reporter-country", help="Country whose customs recorded the file (e.g. RU).")
@click.option(
    "--flow",
    "trade_flow",
    type=click.Choice(["import", "export"]),
    help="Whether the file records imports or exports of the reporter country.",
)
@click.option(
    "--dask-address",
    metavar="tcp://HOST:PORT",
    help="Run the batch work on this Dask scheduler (workers must see the files and --out).",
)
@click.option(
    "--dask-workers",
    type=click.IntRange(min=1),
    help="Run the batch work on a local Dask cluster of N worker processes.",
)
@click.option(
    "--db", "db_url", metavar="URL", help="Review store (default: $DUALUSE_DB, else SQLite)."
)
@click.option("--only-new", is_flag=True, help="Skip records an earlier run has screened.")
@click.option(
    "--batch-rows",
    type=click.IntRange(min=1),
    default=250_000,
    show_default=True,
    help="Records per batch: bounds memory.",
)
@verbose_option
def run(
    trade_files: tuple[str, ...],
    out_dir: str,
    config_file: str | None,
    map_items: tuple[str, ...],
    mapping_file: str | None,
    reporter_country: str | None,
    trade_flow: str | None,
    dask_address: str | None,
    dask_workers: int | None,
    db_url: str | None,
    only_new: bool,
    batch_rows: int,
) -> None:
    """Screen TRADE_FILES (CSV, XLSX, Parquet, or folders; none = the bundled sample) and write
    flagged.csv, screened.parquet, rejected.csv and manifest.json into --out, as one set."""
    import logging

    from screening.config import ScreeningConfig
    from screening.io import read_mapping_file
    from screening.run import ScreeningRun

    if dask_address and dask_workers:
        raise click.UsageError("give --dask-address or --dask-workers, not both")
    logging.basicConfig(level=log_level(), format="%(levelname)s %(message)s")
    config = ScreeningConfig.from_file(config_file) if config_file else ScreeningConfig()
    file_options = read_mapping_file(mapping_file) if mapping_file else {}
    with (
        ScreeningRun(
            list(trade_files) or None,
            config,
            out_dir,
            mapping=_mapping_options(map_items, mapping_file),
            reporter_country=reporter_country or file_options.get("reporter_country"),
            trade_flow=trade_flow or file_options.get("flow"),
            batch_rows=batch_rows,
            dask_address=dask_address,
            dask_workers=dask_workers,
            db=db_url,
            only_new=only_new,
        ) as screening_run,
        show_progress(),
    ):
        with step("Loading the lists and the name index"):
            screening_run.load_reference()
        with step("Reading and pre-screening the records"):
            screening_run.read_and_prescreen()
        with step("Matching the parties"):
            screening_run.match_parties()
        with step("Linking records (routes, import surges)"):
            screening_run.link_records()
        with step("Scoring and writing screened.parquet"):
            screening_run.score_and_write()
        with step("Writing the review files and the manifest"):
            result = screening_run.finish()
    click.echo(result.summary())
    review = result.manifest.get("review") or {}
    if review.get("rows_skipped_seen") or review.get("suppressed_by_decision"):
        click.echo(
            f"skipped {review.get('rows_skipped_seen', 0)} records seen before; "
            f"{review.get('suppressed_by_decision', 0)} records had a cleared match taken off"
        )
    click.echo(f"outputs in {result.out_dir}")
    if result.exit_code:
        click.echo(
            f"completed with {len(result.files_rejected)} rejected file(s) "
            f"(exit status {result.exit_code})",
            err=True,
        )
        sys.exit(result.exit_code)


@cli.group()
def lists() -> None:
    """Reference lists: parse, refresh from the official sources, show, diff."""


@lists.command("parse")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Parquet file.")
@click.option("--format", "fmt", default=None, help="Force a format instead of detecting it.")
def lists_parse(paths: tuple[str, ...], out: str, fmt: str | None) -> None:
    """Parse list files (OFAC SDN CSV set, trade.gov CSL CSV, ...) into one Parquet table."""
    from screening.io.writers import write_parquet_atomic
    from screening.lists import parse_list_files

    table = parse_list_files(list(paths), format=fmt)
    write_parquet_atomic(table, out)
    summary = table.group_by(["list_source", "name_kind"]).aggregate([("source_id", "count")])
    entities = table.group_by("list_source").aggregate([("source_id", "count_distinct")])
    for row in entities.sort_by("list_source").to_pylist():
        click.echo(f"{row['list_source']}: {row['source_id_count_distinct']} entities")
    for row in summary.sort_by(
        [("list_source", "ascending"), ("name_kind", "ascending")]
    ).to_pylist():
        click.echo(f"  {row['list_source']} {row['name_kind']}: {row['source_id_count']} names")
    total = sum(r["source_id_count_distinct"] for r in entities.to_pylist())
    click.echo(f"{total} entities, {table.num_rows} names written to {out}")


UNREADABLE_ROWS_SHOWN = 5
"""How many unreadable rows ``match-names`` names (with their reasons) before counting the rest."""


@cli.command("match-names")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--column", required=True, help="Column holding the names.")
@click.option("--out", required=True, type=click.Path(dir_okay=False))
@click.option(
    "--lists",
    "list_paths",
    multiple=True,
    type=click.Path(exists=True),
    help="List files (default: the bundled active lists).",
)
@click.option(
    "--threshold", type=float, default=None, help="Score cut-off (default: the flag threshold)."
)
@click.option("--top", type=int, default=3, show_default=True)
@click.option(
    "--country-column",
    default=None,
    help="Column holding each party's ISO-2 country: agreeing countries corroborate a match, "
    "conflicting ones count against it.",
)
@click.option(
    "--show-held/--hide-held",
    default=True,
    show_default=True,
    help="Also list matches held below the threshold because they need corroboration.",
)
def match_names_cmd(
    file: str,
    column: str,
    out: str,
    list_paths: tuple[str, ...],
    threshold: float | None,
    top: int,
    country_column: str | None,
    show_held: bool,
) -> None:
    """Match the names in FILE's COLUMN against the lists: one row per (name, hit)."""
    from screening.io.writers import write_csv_atomic
    from screening.names.file_matching import match_names_in_file

    # read as the trade loader reads: encoding detected, XLSX and Parquet alike, header found
    matched = match_names_in_file(
        file,
        column,
        country_column=country_column,
        list_paths=list_paths,
        threshold=threshold,
        top=top,
        show_held=show_held,
    )
    hits = matched.hits
    write_csv_atomic(hits if country_column else hits.drop_columns(["query_country"]), out)
    click.echo(f"{hits.num_rows} matches for {len(set(hits['query'].to_pylist()))} names -> {out}")
    if matched.unreadable:
        shown = UNREADABLE_ROWS_SHOWN
        more = len(matched.unreadable) - shown
        click.echo(
            f"warning: {len(matched.unreadable)} row(s) of {file} could not be read and were "
            f"not matched: {'; '.join(matched.unreadable[:shown])}"
            + (f"; and {more} more" if more > 0 else ""),
            err=True,
        )


@cli.command()
@click.argument("names", nargs=-1)
@click.option(
    "--pairs",
    "pairs_file",
    type=click.Path(exists=True, dir_okay=False),
    help="CSV or Parquet with columns name1,name2: score every row.",
)
@click.option("--out", type=click.Path(dir_okay=False), help="Output CSV for --pairs.")
@click.option(
    "--lists-rarity",
    is_flag=True,
    help="Weigh words by their rarity on the bundled lists (slower): the score match-names "
    "gives the first name against a list holding the second.",
)
def compare(
    names: tuple[str, ...], pairs_file: str | None, out: str | None, lists_rarity: bool
) -> None:
    """Score two names against each other and explain the score; or every row of --pairs
    (adds score and is_match at the flag threshold; an entity_type or schema column says
    which second names are people, as a list does)."""
    from screening.names import DEFAULT_THRESHOLD, NameIndex, score_name_pairs

    reference = None
    if lists_rarity:
        from screening.lists import load_bundled_lists

        reference = NameIndex.build(load_bundled_lists())

    if pairs_file:
        if names or not out:
            raise click.UsageError("--pairs FILE takes --out OUT and no names")
        import pandas as pd

        from screening.io.writers import write_csv_atomic

        frame = (
            pd.read_parquet(pairs_file)
            if pairs_file.endswith(".parquet")
            else pd.read_csv(pairs_file, dtype=str, encoding="utf-8-sig", keep_default_na=False)
        )
        missing = {"name1", "name2"} - set(frame.columns)
        if missing:
            raise click.UsageError(
                f"{pairs_file}: missing column(s) {', '.join(sorted(missing))}; "
                f"columns seen: {', '.join(map(str, frame.columns))}"
            )
        from screening.names.pair_types import pair_entity_types

        results = score_name_pairs(
            frame["name1"].fillna("").astype(str).tolist(),
            frame["name2"].fillna("").astype(str).tolist(),
            reference=reference,
            entity_types=pair_entity_types(frame),
        )
        # a column the file already has (a labelled is_match, an earlier score) is kept
        kept = {c: f"{c}_input" for c in ("score", "is_match", "explanation") if c in frame}
        frame = frame.rename(columns=kept)
        for column, renamed in kept.items():
            click.echo(f"{pairs_file}: its own column {column!r} is kept as {renamed!r}", err=True)
        frame["score"] = [r.score for r in results]
        frame["is_match"] = frame["score"] >= DEFAULT_THRESHOLD
        frame["explanation"] = [r.explanation for r in results]
        write_csv_atomic(frame, out)
        click.echo(f"{len(frame)} pairs scored, {int(frame['is_match'].sum())} matches -> {out}")
        return
    if len(names) != 2:
        raise click.UsageError("give exactly two names, or --pairs FILE --out OUT")
    (result,) = score_name_pairs([names[0]], [names[1]], reference=reference, workers=1)
    click.echo(f"score {result.score:.1f}")
    click.echo(result.explanation)


@cli.command()
@click.option("--rows", type=int, default=5000, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False))
@click.option("--truth/--no-truth", default=False, help="Add the ground-truth columns.")
def sample(rows: int, seed: int, out: str, truth: bool) -> None:
    """Generate a synthetic but realistic trade file (CSV or Parquet)."""
    from dualuse_kit.sample import generate_trade_records
    from screening.io.writers import write_csv_atomic, write_parquet_atomic
    from screening.lists import load_bundled_lists

    table = generate_trade_records(
        rows, seed=seed, list_table=load_bundled_lists(), include_truth=truth
    )
    if out.endswith(".parquet"):
        write_parquet_atomic(table, out)
    else:
        write_csv_atomic(table, out, bom=False)
    click.echo(f"{table.num_rows} rows -> {out}")


@cli.command()
@click.option(
    "--folder",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder of trade files screened at every run.",
)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
@click.option("--cron", default="0 2 * * *", show_default=True, help="Schedule (cron).")
@click.option("--timezone", default="UTC", show_default=True)
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--db", "db_url", metavar="URL", help="Review store (default: $DUALUSE_DB, else SQLite)."
)
@click.option("--no-refresh", is_flag=True, help="Do not refresh the lists before screening.")
@verbose_option
def serve(
    folder: str,
    out_dir: str,
    cron: str,
    timezone: str,
    config_file: str | None,
    db_url: str | None,
    no_refresh: bool,
) -> None:
    """Serve the nightly screening deployment. Uses the Prefect server of PREFECT_API_URL, else
    starts one on a free local port for as long as it serves (and prints its address)."""
    import contextlib

    _prefect_quiet_defaults()
    from flows.local_server import local_prefect_server

    with contextlib.ExitStack() as stack:
        if not os.environ.get("PREFECT_API_URL"):
            api_url = stack.enter_context(local_prefect_server())
            click.echo(f"Prefect server (UI and API) at {api_url.removesuffix('/api')}")
        from prefect import serve as prefect_serve  # flow-only command: Prefect and flows/ here

        from flows.deployments import nightly_deployment

        prefect_serve(
            nightly_deployment(
                folder=folder,
                out_dir=out_dir,
                cron=cron,
                timezone=timezone,
                config_file=config_file,
                db=db_url,
                refresh=not no_refresh,
            )
        )


def _register_commands() -> None:
    """``hs``, ``check`` and ``config`` are imported on first use (LazyCommands)."""
    from screening.cli_lists import register as register_list_commands
    from screening.cli_review import register as register_review_commands

    register_list_commands(lists)
    register_review_commands(cli)


_register_commands()


EXIT_FAILURE = 1
EXIT_ERROR = 2
EXIT_BUSY = 4


def _error_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text


def _output_folder_busy(exc: BaseException) -> bool:
    """Another run holds the output folder: only a command that loaded the run folder's code
    can raise that, so a command that never did (``check``) does not load it to ask."""
    run_folder = sys.modules.get("screening.run_folder")
    return run_folder is not None and isinstance(exc, run_folder.OutputFolderBusy)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: every error is one line on stderr and a non-zero exit status
    (see ``dualuse --help``); ``--debug`` adds the traceback."""
    import traceback

    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args[: args.index("--")] if "--" in args else "--debug" in args

    def fail(message: str, code: int) -> None:
        if debug:
            traceback.print_exc()
        click.echo(f"error: {message}", err=True)
        sys.exit(code)

    try:
        cli.main(args=args, standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(EXIT_FAILURE)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (ScreeningError, ValueError) as exc:
        fail(_error_line(exc), EXIT_BUSY if _output_folder_busy(exc) else EXIT_ERROR)
    except OSError as exc:
        fail(_error_line(exc), EXIT_ERROR)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        fail(
            f"unexpected {type(exc).__name__}: {_error_line(exc)} (run with --debug for the "
            "traceback)",
            EXIT_FAILURE,
        )
