"""Rebuild ``reference_lists/categories/chpl.csv`` from the curated CHPL table.

The CHPL table (``reference_lists/hs/chpl_common_high_priority_list.csv``) is the hand-checked
source; the category file is derived from it in the generic layout of
:mod:`screening.hs.categories`, so it is never edited by hand. A test fails when the committed
file differs from what this script writes.

    python -m screening.hs.build_categories           # rewrite the file, print sha256 and rows
    python -m screening.hs.build_categories --check   # exit 1 when the file is stale

After a rebuild, copy the printed sha256 and rows into ``reference_lists/manifest.yml``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import sys
from pathlib import Path

from screening import paths
from screening.hs.categories import CATEGORY_COLUMNS
from screening.hs.chpl import CHPL_FILE, load_chpl
from screening.hs.vintage import CURRENT_EDITION

CHPL_CATEGORY = "CHPL"
CHPL_SOURCE = (
    "Common High Priority List, version of 2024-02-23 (US BIS, EU, UK, Japan); "
    "description = HS 2022 subheading text"
)
COLUMNS = (*CATEGORY_COLUMNS, "hs_edition")


def chpl_category_path() -> Path:
    return Path(paths.REFERENCE_DIR) / "categories" / "chpl.csv"


def render_chpl_categories(chpl_file: str | Path = CHPL_FILE) -> str:
    """The CHPL in the category layout, as CSV text (one row per HS6 code, file order).

    No validity dates: the CHPL is a risk-indicator list, and shipments made before its latest
    version are screened against it too.
    """
    chpl = load_chpl(chpl_file)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for code, tier, description in zip(
        chpl["hs6"].to_pylist(),
        chpl["tier"].to_pylist(),
        chpl["description"].to_pylist(),
        strict=True,
    ):
        writer.writerow(
            [code, CHPL_CATEGORY, tier, description, CHPL_SOURCE, "", "", CURRENT_EDITION]
        )
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args(argv)
    target = chpl_category_path()
    text = render_chpl_categories()
    data = text.encode("utf-8")
    current = target.read_bytes() if target.is_file() else None
    if args.check:
        if current != data:
            print(f"{target} is stale: run python -m screening.hs.build_categories")
            return 1
        print(f"{target} is current")
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    rows = text.count("\n") - 1
    print(f"{target}: sha256 {hashlib.sha256(data).hexdigest()}, rows {rows}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
