"""report.html: self-contained, escaped, and rendered for real in headless Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pyarrow as pa
import pytest

from screening.report.html import render_report
from screening.report.review_layout import review_table
from screening.report.summary import summarise_run
from tests.report.conftest import RunFolder

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
WINDOW = (1280, 2000)


def chromium() -> str:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("headless Chromium not installed (Debian: apt-get install chromium)")


def run_chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_report_renders_in_chromium(vendor_run: RunFolder, tmp_path: Path) -> None:
    image = pytest.importorskip("PIL.Image", reason="Pillow (a matplotlib dependency) needed")
    page = vendor_run.path / "report.html"
    shot = tmp_path / "report.png"
    run_chromium(
        page, tmp_path / "profile", f"--screenshot={shot}", f"--window-size={WINDOW[0]},{WINDOW[1]}"
    )
    with image.open(shot) as picture:
        assert picture.size == WINDOW
        rgb = picture.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 20) or []
        # a blank or error page has a handful of colours; charts, text and cards have many
        assert len(colours) > 200, len(colours)
        commonest = max(count for count, _ in colours)
        assert commonest < 0.8 * WINDOW[0] * WINDOW[1], "mostly one colour: nothing rendered"
        # the header band is the report's dark blue (#1f3a5f), i.e. the CSS was applied
        assert rgb.getpixel((10, 10)) == (0x1F, 0x3A, 0x5F)

    dom = run_chromium(page, tmp_path / "profile-dom", "--dump-dom").stdout
    counts = vendor_run.manifest["counts"]
    for key in ("rows_in", "rows_screened", "rows_rejected", "rows_flagged"):
        shown = re.search(rf'id="count-{key}"><div class="n">([\d,]+)<', dom)
        assert shown, key
        assert int(shown.group(1).replace(",", "")) == counts[key], key
    assert dom.count("<svg") == 5
    assert "sanctionssearch.ofac.treas.gov/Details.aspx?id=" in dom
    assert "PARS TILE COMPANY" in dom


def test_report_is_self_contained_and_escapes_input(vendor_run: RunFolder) -> None:
    html = (vendor_run.path / "report.html").read_text("utf-8")
    assert "<script" not in html
    assert not re.search(r"<(link|img|iframe|object|embed)\b", html)
    assert not re.search(r"(src=|@import|url\()", html)
    # the only external addresses are the official entry links
    for url in re.findall(r"https?://[^\"' <)]+", html):
        assert url.startswith(
            (
                "https://sanctionssearch.ofac.treas.gov/",
                "https://www.trade.gov/",
                "https://main.un.org/",
                "https://search-uk-sanctions-list.service.gov.uk/",
                "http://www.w3.org/2000/svg",
            )
        ), url


def test_party_names_are_escaped() -> None:
    flagged = pa.table(
        {
            "risk_level": ["medium"],
            "risk_points": [40],
            "record_id": ["r1"],
            "exporter": ['<script>alert("x")</script>'],
            "exporter_match_name": ["<b>ACME</b>"],
            "exporter_match_list_source": ["us_ofac_sdn"],
            "exporter_match_source_id": ['1"><script>'],
            "exporter_match_score": [95.0],
            "importer": ["B"],
            "route": ["<img src=x>"],
            "date": ["2024-05-01"],
        }
    )
    manifest = {"counts": {"rows_in": 1, "rows_flagged": 1}, "lists": {"<x>": "1"}}
    html = render_report(summarise_run(manifest, flagged, review_table(flagged)))
    assert "<script" not in html and "<img" not in html and "<b>ACME" not in html
    assert "&lt;script&gt;" in html
    assert "Details.aspx?id=1%22%3E%3Cscript%3E" in html
