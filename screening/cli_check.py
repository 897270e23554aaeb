"""``dualuse check NAME``: the single-name lookup, printed for a terminal."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from screening.config import ScreeningConfig


@click.command("check")
@click.argument("name")
@click.option("--country", help="ISO-2 country of the party (e.g. RU): qualifies the score.")
@click.option("--top", type=click.IntRange(1, 50), default=5, show_default=True)
@click.option(
    "--threshold",
    type=float,
    default=None,
    help="Lowest score shown (default 70; a run flags from the screening threshold, 88).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False),
    help="YAML file overriding ScreeningConfig keys (which lists, thresholds).",
)
def check_command(
    name: str, country: str | None, top: int, threshold: float | None, config_file: str | None
) -> None:
    """Is NAME listed? The best list entries for one name, with scores and explanations.

    The first call builds the name index and caches it in $DUALUSE_DATA_DIR; later calls
    answer in well under a second until the lists or the code change."""
    from screening.check import LOOKUP_THRESHOLD, check_name
    from screening.index_cache import load_name_index
    from screening.names.tunables import settings

    started = time.perf_counter()
    config: ScreeningConfig | None = None  # defaults, without loading pydantic's validation
    if config_file:
        from screening.config import ScreeningConfig

        config = ScreeningConfig.from_file(config_file)
        settings = config.match_settings()
    index, cached = load_name_index(config)
    entries = check_name(
        name,
        country=country,
        top=top,
        threshold=LOOKUP_THRESHOLD if threshold is None else threshold,
        config=config,
        index=index,
    )
    elapsed = time.perf_counter() - started
    where = f" ({country.upper()})" if country else ""
    if not entries:
        click.echo(f"{name}{where}: no list entry scores {threshold or LOOKUP_THRESHOLD:g} or more")
    for rank, entry in enumerate(entries, start=1):
        verdict = "MATCH" if entry.flagged else "below threshold"
        click.echo(
            f"{rank}. {entry.score:5.1f}  {verdict}  {entry.list_source} {entry.source_id}: "
            f"{entry.primary_name or entry.matched_name}"
        )
        if entry.matched_name != entry.primary_name:
            click.echo(f"     matched as: {entry.matched_name}")
        facts = [
            entry.entity_type or "",
            ", ".join(entry.countries),
            ", ".join(entry.programs[:6]),
        ]
        if any(facts):
            click.echo(f"     {' | '.join(f for f in facts if f)}")
        if entry.link:
            click.echo(f"     {entry.link}")
        click.echo(f"     why: {entry.explanation}")
    source = "cached index" if cached else "index built and cached"
    click.echo(f"({source}, {elapsed:.2f} s; flagged in a run from {settings.flag_threshold:g})")
