"""The nightly deployment: built, registered on the (temporary) server, read back."""

from __future__ import annotations

import asyncio
from pathlib import Path

from prefect.client.orchestration import get_client

from flows.deployments import NIGHTLY_CRON, nightly_deployment


def test_nightly_deployment_schedule_and_parameters(tmp_path: Path) -> None:
    deployment = nightly_deployment(folder=str(tmp_path / "in"), out_dir=str(tmp_path / "out"))
    deployment_id = deployment.apply()

    async def read_back():
        async with get_client() as client:
            return await client.read_deployment(deployment_id)

    stored = asyncio.run(read_back())
    assert stored.name == "nightly-screening"
    assert [s.schedule.cron for s in stored.schedules] == [NIGHTLY_CRON]
    assert stored.schedules[0].schedule.timezone == "UTC"
    assert stored.parameters == {
        "trade_files": [str(tmp_path / "in")],
        "out_dir": str(tmp_path / "out"),
        "config_file": None,
        "dated_subfolder": True,
    }
