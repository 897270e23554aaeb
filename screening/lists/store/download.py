"""Fetch one list file over HTTP into a staging folder and check that its bytes are what we asked.

Official list servers time out, answer 5xx under load, cut connections and serve HTML error
pages with status 200. So: connect errors, timeouts, cut bodies and 5xx/408/429 are retried
with exponential backoff; the body streams to a ``.part`` file that only becomes the named file
once complete; a size cap stops runaway downloads; and :func:`sniff_problem` looks at the bytes
themselves, because a Content-Type header proves nothing.

Nothing may hold a refresh for long: one deadline (``DownloadPolicy.deadline_at``) bounds every
attempt, wait and retry of a refresh together, a transfer slower than ``min_bytes_per_second``
is cut off, and :func:`request_stop` (SIGTERM, Ctrl-C) ends every download of the process
within a second, its partial file removed. Redirects are followed only to the same host or to
the hosts the catalogue names for the source (never to a cloud metadata address), and never to
a non-HTTP URL.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import os
import socket
import threading
import time
import zipfile
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from screening.errors import ScreeningError
from screening.lists.store.sources import SourceFile, redact_url

HEAD_BYTES = 64 * 1024
"""How much of a file the sniff reads."""
MAX_REDIRECTS = 5
DEFAULT_DEADLINE_SECONDS = 600.0
"""One refresh, all lists, attempts, waits and task retries included, ends within this."""
_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})
_ALLOWED_CONTROLS = frozenset("\t\n\r\x0c\x1a")  # 0x1a: OFAC's DOS end-of-file byte
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head>", b"<body")

_STOP = threading.Event()
_open_sockets: set[socket.socket] = set()
_sockets_lock = threading.Lock()


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


class DownloadStopped(DownloadError):
    """The download was stopped on request (SIGTERM, Ctrl-C); never retried."""


def request_stop() -> None:
    """Stop every download of this process now: each ends within a second, its files removed.

    Blocked reads are woken by shutting their sockets down, so a server that stalls cannot
    hold the process. Called from the refresh flow when it is interrupted.
    """
    _STOP.set()
    with _sockets_lock:
        sockets = list(_open_sockets)
    for sock in sockets:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def clear_stop() -> None:
    """Allow downloads again (at the start of a refresh)."""
    _STOP.clear()


def stop_requested() -> bool:
    return _STOP.is_set()


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
    min_bytes_per_second: float = 10_000.0
    """A transfer slower than this over ``rate_window_seconds`` is cut off (and retried)."""
    rate_window_seconds: float = 30.0
    deadline_at: float | None = None
    """Wall-clock time (``time.time()``) after which no attempt, wait or retry goes on."""
    user_agent: str = USER_AGENT
    trust_env: bool = True
    """Honour HTTP(S)_PROXY / NO_PROXY / SSL_CERT_FILE, as corporate networks need."""

    def client(self) -> httpx.Client:
        """An httpx client with this policy's timeouts and User-Agent; redirects are checked
        and followed by :func:`download_file`, not by the client."""
        timeout = httpx.Timeout(self.read_timeout, connect=self.connect_timeout)
        return httpx.Client(
            timeout=timeout,
            headers={"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"},
            follow_redirects=False,
            trust_env=self.trust_env,
        )

    def remaining(self) -> float | None:
        """Seconds left before the deadline (None: no deadline)."""
        return None if self.deadline_at is None else self.deadline_at - time.time()

    def timeout(self) -> httpx.Timeout:
        """This attempt's timeouts: the policy's, cut to what is left of the deadline."""
        left = self.remaining()
        read = self.read_timeout if left is None else max(0.1, min(self.read_timeout, left))
        connect = self.connect_timeout if left is None else min(self.connect_timeout, read)
        return httpx.Timeout(read, connect=connect)


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
    redirect_hosts: frozenset[str] = frozenset(),
) -> DownloadedFile:
    """Fetch ``url`` into ``target`` (complete or not at all), retrying transient failures.

    ``redirect_hosts``: hosts besides ``url``'s own that a redirect may lead to.
    """
    shown = redact_url(url)
    for attempt in range(1, policy.attempts + 1):
        _check_go_on(policy, shown)
        try:
            return _fetch_once(client, url, target, file=file, policy=policy, hosts=redirect_hosts)
        except DownloadError as error:
            if _STOP.is_set():
                raise DownloadStopped("stopped on request", url=shown, transient=False) from error
            if not error.transient or attempt == policy.attempts:
                if attempt == 1:
                    raise
                raise DownloadError(
                    f"{error.reason} (after {attempt} attempts)",
                    url=error.url,
                    transient=error.transient,
                ) from error
            delay = _backoff(policy, attempt, error.retry_after)
            left = policy.remaining()
            if left is not None and left <= delay:
                raise DownloadError(
                    f"{error.reason}; the refresh deadline leaves no time for another attempt "
                    f"(after {attempt})",
                    url=error.url,
                    transient=False,
                ) from error
            if _STOP.wait(delay):
                raise DownloadStopped("stopped on request", url=shown, transient=False) from error
    raise AssertionError("unreachable: attempts >= 1")


def _check_go_on(policy: DownloadPolicy, shown: str) -> None:
    if _STOP.is_set():
        raise DownloadStopped("stopped on request", url=shown, transient=False)
    left = policy.remaining()
    if left is not None and left <= 0:
        raise DownloadError("the refresh deadline has passed", url=shown, transient=False)


def _backoff(policy: DownloadPolicy, attempt: int, retry_after: float | None) -> float:
    delay = policy.backoff_seconds * 2 ** (attempt - 1)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return min(delay, policy.max_backoff_seconds)


def redirect_target(location: str, current: str, origin: str, hosts: frozenset[str]) -> str:
    """The URL a redirect leads to, if it may be followed; else a permanent DownloadError.

    Followed: http(s) URLs on ``origin``'s host or one of ``hosts`` (the catalogue's).
    """
    target = urljoin(current, location)
    parts = urlsplit(target)
    shown = redact_url(origin)
    if parts.scheme not in ("http", "https"):
        raise DownloadError(
            f"redirect to a non-HTTP URL {redact_url(target)!r} refused", url=shown, transient=False
        )
    host = (parts.hostname or "").lower()
    if host != (urlsplit(origin).hostname or "").lower() and host not in hosts:
        allowed = ", ".join(sorted({urlsplit(origin).hostname or "", *hosts}))
        raise DownloadError(
            f"redirect to another host {host!r} refused (allowed: {allowed}; a mirror's hosts "
            "go in the catalogue's redirect_hosts)",
            url=shown,
            transient=False,
        )
    return target


def _fetch_once(
    client: httpx.Client,
    url: str,
    target: Path,
    *,
    file: SourceFile,
    policy: DownloadPolicy,
    hosts: frozenset[str],
) -> DownloadedFile:
    shown = redact_url(url)
    partial = target.with_name(f".{target.name}.part")
    current = url
    try:
        for _hop in range(MAX_REDIRECTS + 1):
            with client.stream("GET", current, timeout=policy.timeout()) as response:
                if response.status_code in _REDIRECT_STATUS and "location" in response.headers:
                    current = redirect_target(response.headers["location"], current, url, hosts)
                    continue
                sock = _register(response)
                try:
                    return _receive(response, partial, target, file=file, policy=policy, url=url)
                finally:
                    _unregister(sock)
        raise DownloadError(f"more than {MAX_REDIRECTS} redirects", url=shown, transient=False)
    except httpx.TransportError as exc:
        if _STOP.is_set():
            raise DownloadStopped("stopped on request", url=shown, transient=False) from exc
        raise DownloadError(f"{type(exc).__name__}: {exc}", url=shown, transient=True) from exc
    except httpx.InvalidURL as exc:
        raise DownloadError(f"invalid URL: {exc}", url=shown, transient=False) from exc
    finally:
        partial.unlink(missing_ok=True)


def _receive(
    response: httpx.Response,
    partial: Path,
    target: Path,
    *,
    file: SourceFile,
    policy: DownloadPolicy,
    url: str,
) -> DownloadedFile:
    """Stream the body of a final (non-redirect) response into ``partial``, then ``target``."""
    shown = redact_url(url)
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
            f"server announces {int(declared):,} bytes, more than max_bytes {file.max_bytes:,}",
            url=shown,
            transient=False,
        )
    digest = hashlib.sha256()
    received = 0
    pace = _Pace(policy, shown)
    try:
        with open(partial, "wb") as handle:
            for chunk in response.iter_bytes():
                if _STOP.is_set():
                    raise DownloadStopped("stopped on request", url=shown, transient=False)
                received += len(chunk)
                if received > file.max_bytes:
                    raise DownloadError(
                        f"body exceeds max_bytes {file.max_bytes:,}; download stopped",
                        url=shown,
                        transient=False,
                    )
                digest.update(chunk)
                handle.write(chunk)
                pace.check(len(chunk), received)
            handle.flush()
            os.fsync(handle.fileno())
    except httpx.TransportError as exc:
        if _STOP.is_set():
            raise DownloadStopped("stopped on request", url=shown, transient=False) from exc
        raise DownloadError(
            f"{type(exc).__name__} after {received:,} bytes: {exc}", url=shown, transient=True
        ) from exc
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


class _Pace:
    """Cuts off a transfer slower than the policy's minimum rate, or one past the deadline."""

    def __init__(self, policy: DownloadPolicy, shown: str) -> None:
        self.policy, self.shown = policy, shown
        self.window_start, self.window_bytes = time.monotonic(), 0

    def check(self, size: int, received: int) -> None:
        self.window_bytes += size
        now = time.monotonic()
        elapsed = now - self.window_start
        if elapsed >= self.policy.rate_window_seconds:
            rate = self.window_bytes / elapsed
            if rate < self.policy.min_bytes_per_second:
                raise DownloadError(
                    f"transfer too slow: {rate:,.0f} bytes/s over {elapsed:.0f} s after "
                    f"{received:,} bytes, below the minimum "
                    f"{self.policy.min_bytes_per_second:,.0f} bytes/s",
                    url=self.shown,
                    transient=True,
                )
            self.window_start, self.window_bytes = now, 0
        left = self.policy.remaining()
        if left is not None and left <= 0:
            raise DownloadError(
                f"the refresh deadline passed after {received:,} bytes",
                url=self.shown,
                transient=False,
            )


def _register(response: httpx.Response) -> socket.socket | None:
    """Remember the response's socket so that :func:`request_stop` can wake a blocked read."""
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if not isinstance(sock, socket.socket):
        return None
    with _sockets_lock:
        _open_sockets.add(sock)
    if _STOP.is_set():  # a stop that came while connecting
        request_stop()
    return sock


def _unregister(sock: socket.socket | None) -> None:
    if sock is not None:
        with _sockets_lock:
            _open_sockets.discard(sock)


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
    if file.kind == "zip":
        return _zip_problem(path, head)
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


def _zip_problem(path: Path, head: bytes) -> str | None:
    """A list archive: a readable zip with at least one file (its members are parsed next,
    within the limits of screening.lists.parsers.archives)."""
    if not head.startswith(b"PK\x03\x04"):
        return "not a ZIP archive (no zip header)"
    try:
        with zipfile.ZipFile(path) as archive:
            files = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, OSError) as exc:
        return f"not a readable ZIP archive (cut short?): {exc}"
    if not files:
        return "a ZIP archive holding no file"
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
