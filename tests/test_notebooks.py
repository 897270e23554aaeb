"""Execute notebooks/explore_flags.ipynb with nbclient and check what it shows.

Why: an exploration notebook rots silently when a column is renamed or a stage changes. Running
it on the bundled sample and on a run's ``screened.parquet``, and comparing the counts it shows
with an independent count of the same screened table, catches that.
"""

from __future__ import annotations

import ast
import base64
import json
import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

nbformat = pytest.importorskip("nbformat", reason="dev extra not installed (nbformat)")
nbclient = pytest.importorskip("nbclient", reason="dev extra not installed (nbclient)")
pytest.importorskip("ipykernel", reason="dev extra not installed (ipykernel)")
pytest.importorskip("matplotlib", reason="dev extra not installed (matplotlib)")

from screening.config import ScreeningConfig  # noqa: E402
from screening.io import load_trade_files  # noqa: E402
from screening.io.writers import write_parquet_atomic  # noqa: E402
from screening.paths import SAMPLE_TRADES  # noqa: E402
from screening.pipeline import (  # noqa: E402
    ReferenceData,
    flagged_records,
    load_reference_data,
    screen_records,
)
from screening.risk.score import RISK_LEVELS  # noqa: E402

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "explore_flags.ipynb"
PARAMETERS = ("SCREENED_PARQUET", "TRADE_FILE")
NOT_ON_CHPL = "(not on CHPL)"
ROLES = ("exporter", "importer")
SUBSET_ROWS = 1500
"""Rows of the sample screened into the test's parquet: fewer than the sample, so a notebook
that ignored SCREENED_PARQUET and screened the sample instead would show other counts."""


@pytest.fixture(scope="module")
def venv_kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A "python3" kernelspec running this interpreter, ahead of any user-level kernelspec."""
    kernels = tmp_path_factory.mktemp("jupyter")
    spec_dir = kernels / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (test venv)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(kernels))
        patch.setenv("MPLBACKEND", "Agg")
        yield


@pytest.fixture(scope="module")
def reference() -> ReferenceData:
    return load_reference_data(ScreeningConfig())


@pytest.fixture(scope="module")
def sample_trades() -> pa.Table:
    loaded = load_trade_files([SAMPLE_TRADES])
    return loaded.table


@pytest.fixture(scope="module")
def sample_screened(sample_trades: pa.Table, reference: ReferenceData) -> pa.Table:
    screened, _ = screen_records(sample_trades, reference, ScreeningConfig())
    return screened


@pytest.fixture(scope="module")
def run_parquet(
    sample_trades: pa.Table, reference: ReferenceData, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, pa.Table]:
    """A previous run's screened.parquet: the first rows of the sample, screened by the library."""
    screened, _ = screen_records(sample_trades.slice(0, SUBSET_ROWS), reference, ScreeningConfig())
    path = write_parquet_atomic(screened, tmp_path_factory.mktemp("run") / "screened.parquet")
    return path, screened


def run_notebook(workdir: Path, **parameters: str | None) -> Any:
    """Execute the notebook with its parameters cell replaced; returns the executed notebook."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cell = cell_tagged(nb, "parameters")
    assigned = {
        target.id
        for node in ast.parse(cell.source).body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    assert assigned == set(PARAMETERS), f"parameters cell assigns {sorted(assigned)}"
    values = {name: parameters.get(name) for name in PARAMETERS}
    cell.source = "\n".join(f"{name} = {value!r}" for name, value in values.items())
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}
    )
    client.execute()
    return nb


def cell_tagged(nb: Any, tag: str) -> Any:
    cells = [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"expected one cell tagged {tag!r}, found {len(cells)}"
    return cells[0]


def outputs_of(cell: Any, mime: str) -> list[str]:
    """Displayed data of one MIME type, or printed text for ``mime="stream"``."""
    if mime == "stream":
        return [o["text"] for o in cell.outputs if o.output_type == "stream"]
    return [o["data"][mime] for o in cell.outputs if mime in o.get("data", {})]


def summary_of(nb: Any) -> dict[str, Any]:
    streams = outputs_of(cell_tagged(nb, "summary"), "stream")
    assert len(streams) == 1, "the summary cell prints one JSON document"
    return json.loads(streams[0])


def expected_counts(screened: pa.Table) -> dict[str, Any]:
    """The notebook's counts, computed here independently of pandas, from the screened table."""
    flagged = screened.filter(pc.not_equal(screened["risk_level"], "none"))
    parties: Counter[tuple[str, str]] = Counter()
    for row in flagged.to_pylist():
        # one listed entity (list + id) per record, whatever alias or role matched it
        parties.update(
            {
                (row[f"{r}_match_list_source"], row[f"{r}_match_source_id"])
                for r in ROLES
                if row[f"{r}_match_name"] is not None
            }
        )
    months = Counter(
        d[:7] for d in flagged["date"].to_pylist() if d and re.match(r"^\d{4}-\d{2}", d)
    )
    levels = Counter(screened["risk_level"].to_pylist())
    return {
        "records": screened.num_rows,
        "flagged": flagged.num_rows,
        "by_risk_level": {level: levels.get(level, 0) for level in RISK_LEVELS},
        "flagged_by_chpl_tier": Counter(
            NOT_ON_CHPL if t is None else t for t in flagged["chpl_tier"].to_pylist()
        ),
        "flagged_by_route": Counter(flagged["route"].to_pylist()),
        "parties": parties,
        "flagged_by_month": dict(months),
    }


def nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in counts.items() if v}


def assert_notebook_matches(nb: Any, screened: pa.Table) -> dict[str, Any]:
    """Every check shared by both runs: counts, chart, review order, explanation."""
    summary = summary_of(nb)
    expected = expected_counts(screened)
    for key in ("records", "flagged", "by_risk_level"):
        assert summary[key] == expected[key], key
    assert nonzero(summary["flagged_by_chpl_tier"]) == dict(expected["flagged_by_chpl_tier"])
    assert nonzero(summary["flagged_by_route"]) == dict(expected["flagged_by_route"])
    assert summary["top_parties"], "the sample has party matches; the notebook must show them"
    top = max(expected["parties"].values())
    assert summary["top_parties"][0]["records"] == top
    keys = [(p["list_source"], p["source_id"]) for p in summary["top_parties"]]
    assert len(keys) == len(set(keys)), "one row per listed entity"
    for party, key in zip(summary["top_parties"], keys, strict=True):
        assert party["records"] == expected["parties"][key], key
    assert summary["flagged_by_month"] == expected["flagged_by_month"]

    shown_levels = "\n".join(outputs_of(cell_tagged(nb, "risk-levels"), "text/plain"))
    for level, count in expected["by_risk_level"].items():
        assert re.search(rf"^{level}\s+{count}\s", shown_levels, re.MULTILINE), (level, count)

    for tag in ("risk-chart", "tier-chart", "route-chart", "month-chart"):
        charts = outputs_of(cell_tagged(nb, tag), "image/png")
        assert len(charts) == 1, f"the {tag} cell draws one chart"
        assert base64.b64decode(charts[0]).startswith(b"\x89PNG\r\n\x1a\n")

    review_order = flagged_records(screened)["record_id"].to_pylist()
    top20_html = "\n".join(outputs_of(cell_tagged(nb, "top20"), "text/html"))
    positions = [top20_html.find(f">{rid}<") for rid in review_order[:20]]
    assert all(p >= 0 for p in positions), "every one of the top 20 records is shown"
    assert positions == sorted(positions), "in review order"
    assert f">{review_order[20]}<" not in top20_html

    party_flagged = [
        r["record_id"]
        for r in flagged_records(screened).to_pylist()
        if r["exporter_match_name"] is not None or r["importer_match_name"] is not None
    ]
    explanation = "\n".join(outputs_of(cell_tagged(nb, "explanation"), "stream"))
    assert explanation.startswith(f"Record {party_flagged[0]} "), explanation[:200]
    assert "how it matched: matched words:" in explanation
    return summary


def test_notebook_screens_the_bundled_sample_by_default(
    venv_kernel: None, sample_screened: pa.Table, tmp_path: Path
) -> None:
    nb = run_notebook(tmp_path)
    summary = assert_notebook_matches(nb, sample_screened)
    assert summary["source"] == f"screened now {SAMPLE_TRADES}"
    loop = summary["review_loop"]
    assert loop["suppressed_by_decision"] >= loop["case_records"] >= 1, loop
    assert loop["rows_still_matching"] == 0, loop
    assert loop["flagged_after"] <= loop["flagged_before"], loop
    load_output = "\n".join(outputs_of(cell_tagged(nb, "load"), "stream"))
    assert f"{sample_screened.num_rows:,} rows read, 0 rejected" in load_output


def test_notebook_reads_a_previous_runs_parquet(
    venv_kernel: None, run_parquet: tuple[Path, pa.Table], tmp_path: Path
) -> None:
    path, screened = run_parquet
    nb = run_notebook(tmp_path, SCREENED_PARQUET=str(path))
    summary = assert_notebook_matches(nb, screened)
    assert summary["source"] == f"previous run {path}"
    assert summary["review_loop"] is None, "no run folder to review: the demo is skipped"
    assert summary["records"] == SUBSET_ROWS


def test_missing_parquet_is_an_error_naming_the_path(venv_kernel: None, tmp_path: Path) -> None:
    missing = tmp_path / "no_such_run" / "screened.parquet"
    with pytest.raises(nbclient.exceptions.CellExecutionError) as error:
        run_notebook(tmp_path, SCREENED_PARQUET=str(missing))
    assert "FileNotFoundError" in str(error.value)
    assert str(missing) in str(error.value)
