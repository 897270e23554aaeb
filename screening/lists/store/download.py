"""Fetch one list file over HTTP into a staging folder and check that its bytes are what we asked.

Official list servers time out, answer 5xx under load, cut connections and serve HTML error
pages with status 200. So: connect errors, timeouts, cut bodies and 5xx/408/429 are retried
with exponential backoff; the body streams to a ``.part`` file that only becomes the named file
once complete; a size cap stops runaway downloads; and :func:`sniff_problem` looks at the bytes
themselves, because a Content-Type header proves nothing.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import time
import zipfile
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import httpx

from screening.errors import ScreeningError
from screening.lists.store.sources import SourceFile, redact_url

HEAD_BYTES = 64 * 1024
"""How much of a file the sniff reads."""
_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_ALLOWED_CONTROLS = frozenset("\t\n\r\x0c\x1a")  # 0x1a: OFAC's DOS end-of-file byte
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head>", b"<body")


def _user_agent() -> str:
    try:
        release = version("dualuse-screening")
    except PackageNotFoundError:
        release = "dev"
    return f"dualuse-screening/{release} (reference-list refresh; python-httpx)"


USER_AGENT = _user_agent()


class DownloadError(ScreeningError):
    """A file could not be fetched; ``transient`` says whether trying later may help."""

    def __init__(
        self, reason: str, *, url: str, transient: bool, retry_after: float | None = None
    ) -> None:
        self.reason, self.url, self.transient, self.retry_after = (
            reason,
            url,
            transient,
            retry_after,
        )
        super().__init__(f"{url}: {reason}")


@dataclass(frozen=True)
class DownloadPolicy:
    """How hard to try. Defaults suit official servers; tests shorten the waits."""

    attempts: int = 4
    """Tries per file; retried: connect errors, timeouts, cut bodies, 5xx, 408, 425, 429."""
    backoff_seconds: float = 2.0
    """Wait before retry n is ``backoff_seconds * 2**(n-1)`` (capped by max_backoff_seconds)."""
    max_backoff_seconds: float = 60.0
    connect_timeout: float = 15.0
    read_timeout: float = 120.0
    """Seconds without a byte before giving up on a response."""
    user_agent: str = USER_AGENT
    trust_env: bool = True
    """Honour HTTP(S)_PROXY / NO_PROXY / SSL_CERT_FILE, as corporate networks need."""

    def client(self) -> httpx.Client:
        """An httpx client with this policy's timeouts, User-Agent and redirects followed."""
        timeout = httpx.Timeout(self.read_timeout, connect=self.connect_timeout)
        return httpx.Client(
            timeout=timeout,
            headers={"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"},
            follow_redirects=True,
            trust_env=self.trust_env,
        )


@dataclass(frozen=True)
class DownloadedFile:
    """A complete file on disk and what the server said about it."""

    name: str
    path: Path
    url: str
    """The URL with secret query values redacted (safe to write into snapshot.json)."""
    sha256: str
    size: int
    content_type: str | None
    last_modified: str | None
    """The server's Last-Modified as ISO 8601 UTC, when sent."""


def download_file(
    client: httpx.Client,
    url: str,
    target: Path,
    *,
    file: SourceFile,
    policy: DownloadPolicy,
) -> DownloadedFile:
    """Fetch ``url`` into ``target`` (complete or not at all), retrying transient failures."""
    for attempt in range(1, policy.attempts + 1):
        try:
            return _fetch_once(client, url, target, file=file)
        except DownloadError as error:
            if not error.transient or attempt == policy.attempts:
                if attempt == 1:
                    raise
                raise DownloadError(
                    f"{error.reason} (after {attempt} attempts)",
                    url=error.url,
                    transient=error.transient,
                ) from error
            time.sleep(_backoff(policy, attempt, error.retry_after))
    raise AssertionError("unreachable: attempts >= 1")


def _backoff(policy: DownloadPolicy, attempt: int, retry_after: float | None) -> float:
    delay = policy.backoff_seconds * 2 ** (attempt - 1)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return min(delay, policy.max_backoff_seconds)


def _fetch_once(
    client: httpx.Client, url: str, target: Path, *, file: SourceFile
) -> DownloadedFile:
    shown = redact_url(url)
    partial = target.with_name(f".{target.name}.part")
    received = 0
    try:
        with client.stream("GET", url) as response:
            if response.status_code >= 400:
                raise DownloadError(
                    f"HTTP {response.status_code} {response.reason_phrase}",
                    url=shown,
                    transient=response.status_code in _RETRY_STATUS,
                    retry_after=_retry_after(response),
                )
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > file.max_bytes:
                raise DownloadError(
                    f"server announces {int(declared):,} bytes, more than max_bytes "
                    f"{file.max_bytes:,}",
                    url=shown,
                    transient=False,
                )
            digest = hashlib.sha256()
            with open(partial, "wb") as handle:
                for chunk in response.iter_bytes(1 << 16):
                    received += len(chunk)
                    if received > file.max_bytes:
                        raise DownloadError(
                            f"body exceeds max_bytes {file.max_bytes:,}; download stopped",
                            url=shown,
                            transient=False,
                        )
                    digest.update(chunk)
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, target)
            return DownloadedFile(
                name=target.name,
                path=target,
                url=shown,
                sha256=digest.hexdigest(),
                size=received,
                content_type=response.headers.get("content-type"),
                last_modified=_iso_date(response.headers.get("last-modified")),
            )
    except httpx.TransportError as exc:
        got = f" after {received:,} bytes" if received else ""
        raise DownloadError(f"{type(exc).__name__}{got}: {exc}", url=shown, transient=True) from exc
    except httpx.InvalidURL as exc:
        raise DownloadError(f"invalid URL: {exc}", url=shown, transient=False) from exc
    finally:
        partial.unlink(missing_ok=True)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.isdigit() else None


def _iso_date(http_date: str | None) -> str | None:
    if not http_date:
        return None
    try:
        return parsedate_to_datetime(http_date).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (TypeError, ValueError):
        return None


def content_type_problem(content_type: str | None, file: SourceFile) -> str | None:
    """Why the declared Content-Type is unacceptable for ``file``, or None (absent = no claim)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if not media or media in file.content_types:
        return None
    return f"Content-Type {media!r} is not one of {', '.join(file.content_types)}"


def sniff_problem(path: Path, file: SourceFile) -> str | None:
    """Why the first bytes of ``path`` are not a ``file.kind`` file, or None if they look right."""
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if any(marker in start[:1024].lower() for marker in _HTML_MARKERS):
        return f"an HTML page, not {file.kind} (an error or login page served as the file?)"
    if head.startswith(b"\x1f\x8b"):
        return f"gzip-compressed bytes, not {file.kind} (served compressed without saying so?)"
    if file.kind == "ods":
        return _ods_problem(path, head)
    if head.startswith(b"PK\x03\x04"):
        return f"a zip archive, not {file.kind}"
    text = _decode_head(head)
    if text is None:
        return f"garbled bytes, not {file.kind} text (neither UTF-8/16 nor Windows-1252)"
    controls = sum(1 for ch in text if ch < " " and ch not in _ALLOWED_CONTROLS)
    if controls > max(2, len(text) // 200):
        return f"garbled bytes, not {file.kind} text ({controls} control characters in the head)"
    stripped = text.lstrip("\ufeff \t\r\n")
    problem = _kind_problem(stripped, file.kind)
    if problem:
        return problem
    if file.head_contains and file.head_contains not in text:
        return f"{file.head_contains!r} not found in the first {HEAD_BYTES // 1024} KiB"
    return None


def _ods_problem(path: Path, head: bytes) -> str | None:
    """An ODS is a zip holding content.xml (and, when present, an ODS ``mimetype`` member)."""
    if not head.startswith(b"PK\x03\x04"):
        return "not an OpenDocument spreadsheet (no zip header)"
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype") if "mimetype" in names else None
    except (zipfile.BadZipFile, OSError) as exc:
        return f"not a readable OpenDocument spreadsheet (cut short?): {exc}"
    if "content.xml" not in names:
        return "a zip archive without content.xml, not an OpenDocument spreadsheet"
    if mimetype is not None and b"opendocument.spreadsheet" not in mimetype:
        return (
            f"an OpenDocument file of type {mimetype.decode(errors='replace')!r}, not a spreadsheet"
        )
    return None


def _kind_problem(text: str, kind: str) -> str | None:
    if not text:
        return "no content (only whitespace)"
    if kind == "csv":
        first_line = text.split("\n", 1)[0]
        if not any(sep in first_line for sep in (",", ";", "\t", "|")):
            return f"not CSV: no delimiter in the first line {first_line[:80]!r}"
    elif kind == "xml" and not text.startswith("<"):
        return f"not XML: starts with {text[:40]!r}"
    elif kind == "json" and not text.startswith(("{", "[")):
        return f"not JSON: starts with {text[:40]!r}"
    return None


def _decode_head(head: bytes) -> str | None:
    """The head as text (a multi-byte character cut at the end is fine), or None if not text."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        if b"\x00" in head:
            return None
        encodings = ("utf-8", "cp1252")
    for encoding in encodings:
        try:
            return codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
    return None
