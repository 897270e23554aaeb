"""Deployments of the screening flow: a nightly run over a folder of trade files.

Start a server (`prefect server start`), point the client at it
(`prefect config set PREFECT_API_URL=http://127.0.0.1:4200/api`), then serve with
`dualuse serve --folder DIR --out DIR` (or `python -m flows.deployments DIR OUT`).
Each run writes into a dated subfolder of OUT so that earlier results stay for comparison.
"""

from __future__ import annotations

import sys

from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron

from flows.screen_trade import screen_trade

NIGHTLY_CRON = "0 2 * * *"


def nightly_deployment(
    *,
    folder: str,
    out_dir: str,
    cron: str = NIGHTLY_CRON,
    timezone: str = "UTC",
    config_file: str | None = None,
) -> RunnerDeployment:
    """The nightly screening deployment: every trade file in ``folder`` -> ``out_dir/<time>``."""
    return screen_trade.to_deployment(
        name="nightly-screening",
        schedule=Cron(cron, timezone=timezone),
        parameters={
            "trade_files": [folder],
            "out_dir": out_dir,
            "config_file": config_file,
            "dated_subfolder": True,
        },
        tags=["dual-use", "screening"],
        description="Screen every trade file in a folder against the active lists and the CHPL.",
    )


if __name__ == "__main__":  # pragma: no cover - a long-running server process
    from prefect import serve

    serve(nightly_deployment(folder=sys.argv[1], out_dir=sys.argv[2]))
