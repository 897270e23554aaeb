"""List files as published inside ZIP archives (OFAC's CONS_ENHANCED.ZIP and SDN_ENHANCED.ZIP).

An archive is opened only within limits, checked on the bytes actually inflated rather than on
the sizes the archive claims: at most :data:`MAX_MEMBERS` files, :data:`MAX_TOTAL_BYTES` in
all, and no member inflating more than :data:`MAX_RATIO` times its compressed size (a zip
bomb). Members are written under their base name into a temporary folder, so a name such as
``../../etc/passwd`` cannot escape it. Spreadsheets that are ZIPs inside (ODS, XLSX) are not
archives here: their parsers read them as they are.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from screening.errors import ListParseError

MAX_MEMBERS = 50
MAX_TOTAL_BYTES = 2_000_000_000
"""Inflated bytes of all members together (SDN_ENHANCED.XML is well under 1 GB)."""
MAX_RATIO = 200
"""Inflated / compressed size of one member; list XML and CSV compress 5-30 times."""
_CHUNK = 1 << 20
_SPREADSHEET_MEMBERS = frozenset({"mimetype", "content.xml", "[content_types].xml"})
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a member first; an empty archive


def is_list_archive(path: str | Path) -> bool:
    """A ZIP archive holding files (not an ODS/XLSX spreadsheet, which is a ZIP inside too)."""
    path = Path(path)
    if not path.is_file():
        return False
    with open(path, "rb") as handle:
        if handle.read(4) not in ZIP_MAGIC:
            return False
    try:
        with zipfile.ZipFile(path) as archive:
            names = {name.lower() for name in archive.namelist()}
    except (zipfile.BadZipFile, OSError):
        return True  # a damaged archive: unpacked() says what is wrong with it
    return not names & _SPREADSHEET_MEMBERS


@contextmanager
def unpacked(path: str | Path) -> Iterator[list[Path]]:
    """The files of the archive ``path``, inflated within the limits into a temporary folder
    that is removed afterwards; ListParseError naming the archive and member otherwise."""
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="dualuse-zip-") as folder:
        yield _extract(path, Path(folder))


def _extract(path: Path, folder: Path) -> list[Path]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ListParseError(f"not a readable ZIP archive (cut short?): {exc}", file=path) from exc
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if not members:
            raise ListParseError("the ZIP archive holds no file", file=path)
        if len(members) > MAX_MEMBERS:
            raise ListParseError(
                f"the ZIP archive holds {len(members):,} files, more than the {MAX_MEMBERS} "
                "a list publication has",
                file=path,
            )
        total = 0
        extracted: list[Path] = []
        for info in members:
            name = PurePosixPath(info.filename.replace("\\", "/")).name
            if not name or name.startswith(".") or name in {p.name for p in extracted}:
                raise ListParseError(f"ZIP member {info.filename!r}: unusable file name", file=path)
            target = folder / name
            total = _inflate(archive, info, target, total, path)
            extracted.append(target)
    return extracted


def _inflate(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, total: int, path: Path
) -> int:
    """Write one member, counting the inflated bytes against the limits; the new total."""
    allowed = max(info.compress_size, 1) * MAX_RATIO
    written = 0
    try:
        with archive.open(info) as source, open(target, "wb") as handle:
            while chunk := source.read(_CHUNK):
                written += len(chunk)
                total += len(chunk)
                if written > allowed:
                    raise ListParseError(
                        f"ZIP member {info.filename!r} inflates more than {MAX_RATIO} times its "
                        f"compressed size ({info.compress_size:,} bytes): refused as a zip bomb",
                        file=path,
                    )
                if total > MAX_TOTAL_BYTES:
                    raise ListParseError(
                        f"the ZIP archive inflates to more than {MAX_TOTAL_BYTES:,} bytes; refused",
                        file=path,
                    )
                handle.write(chunk)
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        raise ListParseError(
            f"ZIP member {info.filename!r} cannot be read (damaged or cut short?): {exc}",
            file=path,
        ) from exc
    return total
