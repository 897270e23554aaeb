"""Where bundled data lives. Read once here so no module hard-codes a path."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REFERENCE_DIR = Path(os.environ.get("DUALUSE_REFERENCE_DIR", PROJECT_ROOT / "reference_lists"))
PACKAGE_DATA_DIR = Path(__file__).resolve().parent / "data"
