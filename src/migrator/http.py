"""The one HTTP client: timeouts, retries with backoff (Retry-After honoured), per-host politeness,
response-size caps, the private-address guard on every hop, and conditional GET.

Proxies (HTTPS_PROXY/HTTP_PROXY/NO_PROXY) and REQUESTS_CA_BUNDLE are honoured because the session keeps
``trust_env=True``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import random
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.structures import CaseInsensitiveDict
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt

from migrator import __version__
from migrator.config import HttpConfig
from migrator.errors import BlockedAddressError, FetchError, ResponseTooLargeError

USER_AGENT = f"migrator/{__version__} (+https://pypi.org/project/migrator/)"
MAX_REDIRECTS = 10
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Fetched:
    url: str  # final URL after redirects
    status: int  # 200..299, or 304 for a conditional GET that found nothing new
    headers: Mapping[str, str] = field(default_factory=dict)
    content: bytes = b""  # empty when streamed to a file, or on 304
    sha256: str | None = None
    size: int = 0

    @property
    def content_type(self) -> str | None:
        ct = self.headers.get("Content-Type")
        return ct.split(";")[0].strip().lower() if ct else None

    @property
    def etag(self) -> str | None:
        return self.headers.get("ETag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("Last-Modified")

    def text(self) -> str:
        charset = None
        ct = self.headers.get("Content-Type", "")
        for part in ct.split(";")[1:]:
            k, _, v = part.strip().partition("=")
            if k.lower() == "charset":
                charset = v.strip('"') or None
        try:
            return self.content.decode(charset or "utf-8", errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None, status_code: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after
        self.status_code = status_code


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def backoff_delay(attempt: int, base: float, cap: float, rand: Callable[[], float] = random.random) -> float:
    """Exponential backoff with jitter: ``base * 2**(attempt-1)`` plus up to ``base`` more, at most ``cap``."""
    return min(cap, base * 2 ** (attempt - 1) + base * rand())


def is_public_address(ip: str) -> bool:
    addr = ipaddress.ip_address(ip.split("%")[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    return not (
        addr.is_loopback
        or addr.is_private
        or addr.is_link_local
        or addr.is_multicast
        or addr.is_unspecified
        or addr.is_reserved
    )


class _HostGate:
    """At most ``per_host`` requests in flight per host, and ``delay`` seconds between two starts."""

    def __init__(self, per_host: int, delay: float, sleep: Callable[[float], None] = time.sleep):
        self.sleep = sleep
        self.sem = threading.BoundedSemaphore(per_host)
        self.delay = delay
        self.lock = threading.Lock()
        self.next_start = 0.0

    def __enter__(self) -> None:
        self.sem.acquire()
        if self.delay > 0:
            with self.lock:
                now = time.monotonic()
                wait = self.next_start - now
                self.next_start = max(now, self.next_start) + self.delay
            if wait > 0:
                self.sleep(wait)

    def __exit__(self, *exc: object) -> None:
        self.sem.release()


class HttpClient:
    def __init__(
        self,
        cfg: HttpConfig | None = None,
        *,
        allow_private: bool = False,
        allow_hosts: tuple[str, ...] = (),
        pool_size: int = 10,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.cfg = cfg or HttpConfig()
        self.allow_private = allow_private
        self.allow_hosts = {h.lower() for h in allow_hosts}
        self.session = requests.Session()
        self.session.trust_env = True
        adapter = requests.adapters.HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = self.cfg.user_agent or USER_AGENT
        self._gates: dict[str, _HostGate] = {}
        self._delays: dict[str, float] = {}
        self._gates_lock = threading.Lock()
        self._dns: dict[str, list[str]] = {}
        self._sleep = sleep
        self._count_lock = threading.Lock()
        self.requests_made = 0

    def close(self) -> None:
        self.session.close()

    # --- the private-address guard -------------------------------------------------------------------
    def check_url(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise FetchError(f"refusing to fetch {url!r}: only http and https URLs are fetched", url=url)
        host = parts.hostname
        if not host:
            raise FetchError(f"refusing to fetch {url!r}: no host name", url=url)
        if self.allow_private or host.lower() in self.allow_hosts:
            return
        addrs = self._dns.get(host)
        if addrs is None:
            try:
                infos = socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80))
            except (socket.gaierror, UnicodeError) as e:
                raise FetchError(f"cannot resolve host {host}: {e}", url=url) from None
            addrs = sorted({info[4][0] for info in infos})
            self._dns[host] = addrs
        for ip in addrs:
            if not is_public_address(ip):
                raise BlockedAddressError(
                    f"refusing to fetch {url}: {host} resolves to the non-public address {ip}",
                    "pass --allow-private-network if this is really wanted",
                    url=url,
                )

    # --- politeness ----------------------------------------------------------------------------------
    def set_host_delay(self, netloc: str, delay: float) -> None:
        """A host that wants more politeness than ``http.delay`` (e.g. a blog's own pages)."""
        with self._gates_lock:
            self._delays[netloc.lower()] = max(delay, self.cfg.delay)
            self._gates.pop(netloc.lower(), None)

    def _gate(self, url: str) -> _HostGate:
        host = urlsplit(url).netloc.lower()
        with self._gates_lock:
            gate = self._gates.get(host)
            if gate is None:
                delay = self._delays.get(host, self.cfg.delay)
                gate = self._gates[host] = _HostGate(self.cfg.per_host, delay, self._sleep)
            return gate

    # --- retries -------------------------------------------------------------------------------------
    def _wait(self, retry_state) -> float:  # type: ignore[no-untyped-def]
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        ra = getattr(exc, "retry_after", None)
        if ra is not None:
            return min(float(ra), self.cfg.backoff_max)
        return backoff_delay(retry_state.attempt_number, self.cfg.backoff, self.cfg.backoff_max)

    def get(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        to_file: Path | None = None,
        max_bytes: int | None = None,
    ) -> Fetched:
        """GET with retries. Raises FetchError for a final failure (4xx, retries exhausted, blocked).

        With ``to_file`` the body is streamed there (the caller renames it into place); otherwise it is in
        ``Fetched.content``. With ``etag``/``last_modified`` a 304 answer returns ``status == 304``.
        """
        hdrs = dict(headers or {})
        if etag:
            hdrs["If-None-Match"] = etag
        if last_modified:
            hdrs["If-Modified-Since"] = last_modified
        cap = max_bytes or self.cfg.max_bytes
        retrying = Retrying(
            stop=stop_after_attempt(self.cfg.retries),
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            reraise=True,
            sleep=self._sleep,
        )
        try:
            return retrying(self._get_once, url, hdrs, to_file, cap)
        except _Retryable as e:
            raise FetchError(
                f"{url}: {e} (gave up after {self.cfg.retries} attempts)",
                "it will be retried on the next run",
                url=url,
                status_code=e.status_code,
            ) from None

    def _get_once(self, url: str, headers: dict[str, str], to_file: Path | None, cap: int) -> Fetched:
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            self.check_url(current)
            with self._gate(current):
                with self._count_lock:
                    self.requests_made += 1
                try:
                    resp = self.session.get(
                        current,
                        headers=headers,
                        timeout=(self.cfg.connect_timeout, self.cfg.read_timeout),
                        allow_redirects=False,
                        stream=True,
                    )
                except (requests.Timeout, requests.ConnectionError) as e:
                    raise _Retryable(f"connection failed ({type(e).__name__})") from None
                try:
                    if resp.is_redirect or resp.status_code in (301, 302, 303, 307, 308):
                        location = resp.headers.get("Location")
                        if not location:
                            raise FetchError(f"{current}: redirect without a Location", url=url)
                        current = urljoin(current, location)
                        continue
                    if resp.status_code == 304:
                        return Fetched(url=current, status=304, headers=CaseInsensitiveDict(resp.headers))
                    if resp.status_code in RETRY_STATUSES or resp.status_code >= 500:
                        raise _Retryable(
                            f"HTTP {resp.status_code}",
                            retry_after=parse_retry_after(resp.headers.get("Retry-After")),
                            status_code=resp.status_code,
                        )
                    if resp.status_code >= 400:
                        raise FetchError(
                            f"{current}: HTTP {resp.status_code} {resp.reason or ''}".rstrip(),
                            url=url,
                            status_code=resp.status_code,
                        )
                    return self._read_body(resp, current, to_file, cap)
                finally:
                    resp.close()
        raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects", url=url)

    def _read_body(self, resp: requests.Response, url: str, to_file: Path | None, cap: int) -> Fetched:
        declared = resp.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > cap:
            raise ResponseTooLargeError(
                f"{url}: response of {int(declared):,} bytes is over the {cap:,}-byte cap",
                "raise http.max_bytes in the config if this is expected",
                url=url,
            )
        digest = hashlib.sha256()
        size = 0
        chunks: list[bytes] = []
        sink = open(to_file, "wb") if to_file is not None else None  # noqa: SIM115
        try:
            try:
                for chunk in resp.iter_content(chunk_size=64 * 1024):
                    if not chunk:
                        continue
                    size += len(chunk)
                    if size > cap:
                        raise ResponseTooLargeError(
                            f"{url}: response is over the {cap:,}-byte cap",
                            "raise http.max_bytes in the config if this is expected",
                            url=url,
                        )
                    digest.update(chunk)
                    if sink is not None:
                        sink.write(chunk)
                    else:
                        chunks.append(chunk)
            except (
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError,
                requests.ConnectionError,
                requests.Timeout,
                urllib3.exceptions.HTTPError,
            ) as e:
                raise _Retryable(f"body cut short ({type(e).__name__})") from None
            encoded = resp.headers.get("Content-Encoding", "identity").lower() not in ("", "identity")
            if declared and declared.isdigit() and not encoded and size < int(declared):
                raise _Retryable(f"body cut short ({size} of {declared} bytes)")
        finally:
            if sink is not None:
                sink.close()
        return Fetched(
            url=url,
            status=resp.status_code,
            headers=CaseInsensitiveDict(resp.headers),
            content=b"".join(chunks),
            sha256=digest.hexdigest(),
            size=size,
        )
