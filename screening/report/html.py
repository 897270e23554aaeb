"""report.html: one self-contained page per run, readable offline and safe to open.

Self-contained because compliance machines often have no internet and a report must still
read the same in a year: CSS is inline, charts are inline SVG drawn here, nothing is fetched
(no CDN, no fonts, no scripts). Every value from a trade file or a list passes through Jinja's
autoescaping, so a party named ``<script>`` stays text; links are only the official entry
links built in :mod:`screening.report.links`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

from jinja2 import Environment, select_autoescape
from markupsafe import Markup, escape

from screening.io.writers import _write_atomically
from screening.report.summary import ReportSummary

RISK_COLOURS = {"high": "#c0392b", "medium": "#e67e22", "low": "#f1c40f", "none": "#95a5a6"}
BAR_COLOUR = "#2e6da4"
BAR_HEIGHT, BAR_GAP, LABEL_WIDTH, CHART_WIDTH = 18, 6, 190, 520
MAX_BARS = 15
LABEL_SPACING = 72
"""Pixels between two month labels: a YYYY-MM label at 12 px is about 55 px wide."""


def _fmt(value: float) -> str:
    return f"{value:,.0f}"


def bar_chart(
    counts: Mapping[str, int], *, title: str, colours: Mapping[str, str] | None = None
) -> Markup:
    """Horizontal bars, one per key (at most MAX_BARS, the rest summed as "other")."""
    items = list(counts.items())
    if len(items) > MAX_BARS:
        rest = sum(v for _, v in items[MAX_BARS - 1 :])
        items = [*items[: MAX_BARS - 1], ("other", rest)]
    if not items:
        return Markup('<p class="empty">No flagged records.</p>')
    top = max(v for _, v in items) or 1
    plot = CHART_WIDTH - LABEL_WIDTH - 60
    height = len(items) * (BAR_HEIGHT + BAR_GAP) + BAR_GAP
    parts = [
        f'<svg role="img" aria-label="{escape(title)}" width="{CHART_WIDTH}" height="{height}" '
        f'viewBox="0 0 {CHART_WIDTH} {height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (label, value) in enumerate(items):
        y = BAR_GAP + i * (BAR_HEIGHT + BAR_GAP)
        width = max(1.0, plot * value / top) if value else 0.0
        colour = (colours or {}).get(label, BAR_COLOUR)
        text = str(label) if len(str(label)) <= 28 else str(label)[:27] + "…"
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR_HEIGHT - 5}" text-anchor="end" '
            f'class="lbl">{escape(text)}<title>{escape(label)}</title></text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" height="{BAR_HEIGHT}" '
            f'fill="{colour}" rx="2"/>'
            f'<text x="{LABEL_WIDTH + width + 5:.1f}" y="{y + BAR_HEIGHT - 5}" class="val">'
            f"{_fmt(value)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def column_chart(counts: Mapping[str, int], *, title: str) -> Markup:
    """Vertical columns in key order (months), labels under every column that fits."""
    items = list(counts.items())
    if not items:
        return Markup('<p class="empty">No dated flagged records.</p>')
    top = max(v for _, v in items) or 1
    width, height, base = CHART_WIDTH * 2 + 20, 220, 180
    step = (width - 40) / len(items)
    bar = max(2.0, step * 0.7)
    label_every = max(1, math.ceil(LABEL_SPACING / step))
    parts = [
        f'<svg role="img" aria-label="{escape(title)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="20" y1="{base}" x2="{width - 10}" y2="{base}" stroke="#999"/>',
    ]
    for i, (label, value) in enumerate(items):
        x = 20 + i * step + (step - bar) / 2
        h = (base - 20) * value / top
        parts.append(
            f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
            f'fill="{BAR_COLOUR}"><title>{escape(label)}: {value}</title></rect>'
            f'<text x="{x + bar / 2:.1f}" y="{base - h - 4:.1f}" text-anchor="middle" '
            f'class="val">{_fmt(value)}</text>'
        )
        if i % label_every == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{base + 16}" text-anchor="middle" '
                f'class="lbl">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Dual-use screening report {{ s.created_at }}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;
 color:#1d2733;background:#f4f6f9}
header{background:#1f3a5f;color:#fff;padding:18px 32px}
header h1{margin:0 0 4px;font-size:22px} header p{margin:0;opacity:.85;font-size:13px}
main{padding:20px 32px;max-width:1200px}
.cards{display:flex;gap:14px;flex-wrap:wrap;margin-bottom:18px}
.card{background:#fff;border-radius:6px;padding:12px 18px;min-width:150px;
 box-shadow:0 1px 3px rgba(0,0,0,.12)}
.card .n{font-size:28px;font-weight:700} .card .t{font-size:12px;color:#5b6775;
 text-transform:uppercase;letter-spacing:.04em}
.card.flag .n{color:#c0392b}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(540px,1fr));gap:14px}
section{background:#fff;border-radius:6px;padding:12px 18px;margin-bottom:14px;
 box-shadow:0 1px 3px rgba(0,0,0,.12)}
h2{font-size:15px;margin:4px 0 10px;color:#1f3a5f}
svg .lbl{font-size:12px;fill:#1d2733} svg .val{font-size:11px;fill:#5b6775}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e3e7ec;vertical-align:top}
th{background:#eef2f6;font-weight:600} td.num{text-align:right;font-variant-numeric:tabular-nums}
.risk{display:inline-block;padding:1px 7px;border-radius:9px;color:#fff;font-size:12px}
.empty{color:#5b6775;font-style:italic} footer{color:#5b6775;font-size:12px;padding:0 32px 24px}
a{color:#0b5cad}
</style></head>
<body>
<header><h1>Dual-use screening report</h1>
<p>Run of {{ s.created_at or "unknown time" }} &middot; {{ s.inputs|length }} input file(s)
 &middot; lists: {{ s.list_versions|length }}</p></header>
<main>
<div class="cards">
{% for key, title in cards %}<div class="card{{ ' flag' if key == 'rows_flagged' else '' }}"
 id="count-{{ key }}"><div class="n">{{ "{:,}".format(s.counts.get(key, 0)) }}</div>
<div class="t">{{ title }}</div></div>
{% endfor %}
{% if 'suppressed_by_decision' in s.counts %}<div class="card" id="count-suppressed_by_decision">
<div class="n">{{ "{:,}".format(s.counts['suppressed_by_decision']) }}</div>
<div class="t">suppressed by decision</div></div>{% endif %}
</div>
<div class="grid">
<section><h2>Records by risk level</h2>{{ charts.risk }}</section>
<section><h2>Flagged records by CHPL tier</h2>{{ charts.tier }}</section>
<section><h2>Flagged records by route</h2>{{ charts.route }}</section>
<section><h2>Flagged records by destination</h2>{{ charts.destination }}</section>
</div>
<section><h2>Flagged records by month</h2>{{ charts.month }}</section>
<section><h2>Top listed entries</h2>
{% if s.top_entries %}<table id="top-entries"><thead><tr><th>List</th><th>Entry</th>
<th>Matched as</th><th>Parties as written</th><th>Role</th><th class="num">Records</th>
<th class="num">Best score</th><th>Highest risk</th></tr></thead><tbody>
{% for e in s.top_entries %}<tr><td>{{ e.list_source }}</td>
<td>{% if e.link %}<a href="{{ e.link }}" rel="noopener noreferrer">{{ e.source_id }}</a>
{% else %}{{ e.source_id }}{% endif %}</td><td>{{ e.matched_names }}</td>
<td>{{ e.parties_as_written }}</td><td>{{ e.roles }}</td>
<td class="num">{{ "{:,}".format(e.records) }}</td>
<td class="num">{{ "%.1f"|format(e.best_score) if e.best_score is not none else "" }}</td>
<td><span class="risk" style="background:{{ colours.get(e.highest_risk, '#777') }}">
{{ e.highest_risk }}</span></td></tr>{% endfor %}</tbody></table>
{% else %}<p class="empty">No listed party matched.</p>{% endif %}</section>
<section><h2>Top parties</h2>
{% if s.top_parties %}<table id="top-parties"><thead><tr><th>Party as written</th><th>Role</th>
<th class="num">Flagged records</th></tr></thead><tbody>
{% for p in s.top_parties %}<tr><td>{{ p.party }}</td><td>{{ p.role }}</td>
<td class="num">{{ "{:,}".format(p.records) }}</td></tr>{% endfor %}</tbody></table>
{% else %}<p class="empty">No flagged party matched a list.</p>{% endif %}</section>
<div class="grid">
<section><h2>List versions</h2><table id="list-versions"><thead><tr><th>List</th>
<th>Version</th></tr></thead><tbody>
{% for name, version in s.list_versions.items() %}<tr><td>{{ name }}</td><td>{{ version }}</td>
</tr>{% endfor %}</tbody></table></section>
<section><h2>Inputs</h2><table><thead><tr><th>File</th><th>Layout</th></tr></thead><tbody>
{% for i in s.inputs[:50] %}<tr><td>{{ i.path|basename }}</td><td>{{ i.layout or "" }}</td>
</tr>{% endfor %}{% if s.inputs|length > 50 %}<tr><td colspan="2">… and
{{ s.inputs|length - 50 }} more (see manifest.json)</td></tr>{% endif %}</tbody></table>
</section></div>
</main>
<footer>{% if s.extra.xlsx_note %}<p id="xlsx-note">{{ s.extra.xlsx_note }}</p>{% endif %}
Files of this run: flagged.csv and flagged.xlsx (one row per case, for review),
screened.parquet (every record), rejected.csv, manifest.json (settings, list versions,
timings).</footer>
</body></html>
"""

CARDS = (
    ("rows_in", "rows in"),
    ("rows_screened", "screened"),
    ("rows_rejected", "rejected"),
    ("rows_flagged", "flagged"),
)

_ENVIRONMENT = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
_ENVIRONMENT.filters["basename"] = lambda path: Path(str(path)).name


def render_report(summary: ReportSummary) -> str:
    """The whole page as one HTML string."""
    charts = {
        "risk": bar_chart(summary.by_risk_level, title="risk level", colours=RISK_COLOURS),
        "tier": bar_chart(summary.flagged_by_tier, title="CHPL tier"),
        "route": bar_chart(summary.flagged_by_route, title="route"),
        "destination": bar_chart(summary.flagged_by_destination, title="destination"),
        "month": column_chart(summary.flagged_by_month, title="month"),
    }
    return _ENVIRONMENT.from_string(TEMPLATE).render(
        s=summary, charts=charts, cards=CARDS, colours=RISK_COLOURS
    )


def write_report(summary: ReportSummary, path: str | Path) -> Path:
    """Render and write report.html atomically."""
    html = render_report(summary).encode("utf-8")
    return _write_atomically(path, lambda handle: handle.write(html))
