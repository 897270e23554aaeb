"""``dualuse config``: every tunable with its value and description, as a YAML file to start from.

The text comes from the declarations in :mod:`screening.config`, so what an analyst reads here
is what a run validates and records in its manifest.
"""

from __future__ import annotations

import click
import yaml

from screening.config import ScreeningConfig


def config_template(config: ScreeningConfig) -> str:
    """A commented YAML of every setting with the value ``config`` has (its description above)."""
    described = ScreeningConfig.describe()
    values = config.to_dict()
    lines: list[str] = []
    table = ""
    for key, entry in described.items():
        parent, _, name = key.rpartition(".")
        if parent != table:
            table = parent
            if parent:
                lines.append(f"{parent}:")
        indent = "  " if parent else ""
        value = values[parent][name] if parent else values[name]
        lines.append(f"{indent}# {entry['description']} ({entry['type']})")
        rendered = yaml.safe_dump({name: value}, default_flow_style=True, width=1000).strip()
        lines.append(f"{indent}{rendered.removeprefix('{').removesuffix('}')}")
    return "\n".join(lines) + "\n"


@click.command("config")
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Check this YAML file and show the settings it gives.",
)
def config_command(config_file: str | None) -> None:
    """Show every setting that changes results, with its value and what it means, as YAML a
    --config file can start from; with --config, check that file first (one-line error)."""
    config = ScreeningConfig.from_file(config_file) if config_file else ScreeningConfig()
    click.echo(config_template(config), nl=False)
