"""The one HTTP client: timeouts and a total deadline per attempt, retries with backoff (Retry-After
honoured), per-host politeness, response-size caps, the private-address guard on every hop, and conditional
GET.

The guard: a URL is refused before any connection when it is ambiguous (a backslash or a ``user@`` in the
host part, or ``urlsplit`` and urllib3's ``parse_url`` -- the parser requests uses -- naming different hosts
or ports), and otherwise when the host the connection will use resolves to a non-public address (see
:func:`is_public_address`). A direct connection then goes to exactly the addresses that were checked: the
urllib3 connection class resolves once, checks every address and connects to one of them by IP, while the
Host header, TLS SNI and certificate verification keep the name (DNS rebinding cannot swap the address
between the check and the connection). Through a proxy the proxy resolves the name, so the target is checked
by resolving it here, but the connection (to the proxy) is not pinned. Cloud metadata addresses are refused
even with ``allow_private``; only a host named in ``allow_hosts`` may reach them.

Proxies (HTTPS_PROXY/HTTP_PROXY/ALL_PROXY/NO_PROXY) and REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE are honoured as
requests honours them, but read here, not by the session on every request: a request is prepared and handed
to the session's adapter directly (requests' ``Session.request`` scanned the whole environment twice a request
for proxies and merged cookies and hooks we do not use: 2.7 -> 1.8 ms of CPU a request). The proxies of a
host are looked up once per run; ``~/.netrc`` is not read (no credentials of the user's are ever sent to the
hosts a blog links to).
"""

from __future__ import annotations

import atexit
import hashlib
import heapq
import ipaddress
import os
import random
import socket
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from migrator import __version__
from migrator.config import HttpConfig
from migrator.errors import BadBody, BlockedAddressError, FetchError, ResponseTooLargeError
from migrator.runtime import LazyModule

if TYPE_CHECKING:
    import ssl

    import requests
    from tenacity import RetryCallState
    from urllib3.connection import HTTPConnection
else:  # loaded with the first request (the session is made then): a run that fetches nothing never does
    requests = LazyModule("requests")  # (requests, urllib3 and what they load: 7 MB and 70 ms of every run)
urllib3 = LazyModule("urllib3")

RETRIED_NEXT_RUN = "it will be retried on the next run"  # the hint of a request that gave up (its item's)
USER_AGENT = f"migrator/{__version__} (+https://pypi.org/project/migrator/)"
MAX_REDIRECTS = 10
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
DNS_CACHE_SECONDS = 300.0  # how long one resolution is reused (the check and the connection share it)

# Refused even with allow_private (only a host in allow_hosts may reach them): the instance metadata services
# of AWS/GCP/Azure/OCI (IPv4 and AWS's IPv6), AWS ECS task metadata, Alibaba Cloud's.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "169.254.170.2", "100.100.100.200")
)
METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog"})
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_V4_COMPATIBLE = ipaddress.ip_network("::/96")
_V4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")

Resolver = Callable[[str, int], list[str]]


HEAD_BYTES, TAIL_BYTES = 4096, 1024


@dataclass(frozen=True)
class Fetched:
    url: str  # final URL after redirects
    status: int  # 200..299, or 304 for a conditional GET that found nothing new
    headers: Mapping[str, str] = field(default_factory=dict)
    content: bytes = b""  # empty when streamed to a file, or on 304
    sha256: str | None = None
    size: int = 0
    head: bytes = b""  # the body's first 4 KB and last 1 KB, kept while it streams (what a file check reads)
    tail: bytes = b""

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


def _effective_address(ip: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address a packet really goes to: the IPv4 address inside IPv4-mapped (``::ffff:127.0.0.1``),
    IPv4-translated, IPv4-compatible (``::127.0.0.1``), NAT64 (``64:ff9b::7f00:1``) and 6to4 (``2002:7f00:1::``)
    IPv6 forms, else the address itself."""
    addr = ipaddress.ip_address(ip.split("%")[0])
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped:
            return addr.ipv4_mapped
        if addr.sixtofour:
            return addr.sixtofour
        if addr in _NAT64 or addr in _V4_TRANSLATED or addr in _V4_COMPATIBLE:
            return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    return addr


def is_public_address(ip: str) -> bool:
    """A globally routable unicast address (``ipaddress``'s ``is_global``, so 100.64.0.0/10 CGNAT, 0.0.0.0/8,
    benchmarking and documentation ranges are not), judged on the IPv4 address inside IPv6 transition forms."""
    raw = ipaddress.ip_address(ip.split("%")[0])
    if isinstance(raw, ipaddress.IPv6Address) and raw in _NAT64_LOCAL:
        return False  # local-use NAT64 (RFC 8215): where it leads is the network's own business
    addr = _effective_address(ip)
    return addr.is_global and not addr.is_multicast


def is_metadata_address(ip: str) -> bool:
    """A cloud instance-metadata address (credentials live there), in any of its IPv6 spellings."""
    return _effective_address(ip) in METADATA_ADDRESSES


def system_resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to, in the resolver's order (what urllib3 itself would try)."""
    infos = socket.getaddrinfo(host, port, urllib3.util.connection.allowed_gai_family(), socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _bare_host(host: str) -> str:
    """A host as the resolver sees it: no IPv6 brackets, lower case (a trailing dot stays: it is DNS's)."""
    return host.strip("[]").lower()


def _host_name(host: str) -> str:
    """A host as the allow list and the metadata names see it: also without the trailing dot."""
    return _bare_host(host).rstrip(".")


def _ascii_host(host: str) -> str | None:
    """``host`` IDNA-encoded the way urllib3 does it, or None when it cannot be."""
    if host.isascii():
        return host.lower()
    import idna

    try:
        return idna.encode(host.lower(), strict=True, std3_rules=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None


def blocked_reason(host: str, addrs: list[str], allow_private: bool) -> str | None:
    """Why a connection to ``host`` at ``addrs`` is refused, or None. Every address is checked."""
    for ip in addrs:
        if is_metadata_address(ip):
            return f"{host} resolves to the cloud metadata address {ip}"
        if not allow_private and not is_public_address(ip):
            return f"{host} resolves to the non-public address {ip}"
    return None


def _blocked_hint(reason: str) -> str:
    if "metadata" in reason:
        return "cloud metadata is never fetched; list the host in allow_private_hosts if this is really wanted"
    return "pass --allow-private-network if this is really wanted"


# --- the deadline ------------------------------------------------------------------------------------------
_local = threading.local()


def _shutdown(conn: HTTPConnection) -> None:
    sock = getattr(conn, "sock", None)
    if sock is None:
        return
    try:
        # the plain socket's shutdown, also under TLS: the blocked read sees EOF, the SSL object stays intact
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass


class _Watchdog:
    """One thread for every exchange's deadline (a thread per request cost more CPU than the request's own
    Python): a heap of (when, exchange); at its time an exchange still running is expired, and its
    connections are shut down again every 0.2 s until it is left."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, _Deadline]] = []
        self._cond = threading.Condition()
        self._seq = 0
        self._thread: threading.Thread | None = None

    def add(self, when: float, deadline: _Deadline) -> None:
        with self._cond:
            self._seq += 1
            heapq.heappush(self._heap, (when, self._seq, deadline))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="http-deadline", daemon=True)
                self._thread.start()
            elif self._heap[0][2] is deadline:
                self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)  # left in time: forgotten
                if not self._heap:
                    self._cond.wait()
                    continue
                when = self._heap[0][0]
                now = time.monotonic()
                if when > now:
                    self._cond.wait(when - now)
                    continue
                _, _, deadline = heapq.heappop(self._heap)
            deadline.expire()
            if not deadline.done:
                self.add(time.monotonic() + 0.2, deadline)


_WATCHDOG = _Watchdog()


class _Deadline:
    """A watchdog for one exchange: once ``seconds`` pass before it is left, it shuts down the socket of
    every connection the exchange used (and keeps doing so for one that connects late), so a read blocked
    on a server that drips a byte now and then returns at once. ``seconds <= 0`` with ``total <= 0``: none.
    """

    def __init__(self, seconds: float, total: float) -> None:
        self.seconds = seconds
        self.total = total
        self.left = seconds
        self.expired = False
        self.done = False
        self._conns: list[HTTPConnection] = []
        self._lock = threading.Lock()
        self._start = 0.0

    @property
    def message(self) -> str:
        return f"no complete answer within the {self.total:g}-second deadline (http.deadline)"

    def __enter__(self) -> _Deadline:
        self._start = time.monotonic()
        _local.deadline = self
        if self.total > 0:
            _WATCHDOG.add(self._start + max(0.0, self.seconds), self)
        return self

    def __exit__(self, *exc: object) -> None:
        self.done = True
        _local.deadline = None
        with self._lock:
            self._conns.clear()
        self.left = self.seconds - (time.monotonic() - self._start)

    def watch(self, conn: HTTPConnection) -> None:
        with self._lock:
            if conn not in self._conns:
                self._conns.append(conn)
        if self.expired:
            _shutdown(conn)

    def expire(self) -> None:
        """Past its time: every connection of the exchange is shut down (the watchdog calls this)."""
        if self.done:
            return
        self.expired = True
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            _shutdown(conn)


def _error_chain(error: BaseException) -> Iterator[BaseException]:
    """``error`` and every error requests and urllib3 wrapped inside it (causes, contexts, a MaxRetryError's
    ``reason``, exceptions passed as arguments), each once, nearest first."""
    seen: set[int] = set()
    todo: list[object] = [error]
    while todo:
        e = todo.pop(0)
        if not isinstance(e, BaseException) or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo += [e.__cause__, e.__context__, getattr(e, "reason", None), *e.args]


def connection_problem(error: BaseException) -> str:
    """What the system said about a failed connection (``connection refused``, ``connection reset by
    peer``...), found in the chain of errors requests and urllib3 wrap around it; else the error's kind."""
    for e in _error_chain(error):
        if isinstance(e, OSError) and e.strerror and not isinstance(e, socket.gaierror):
            return e.strerror[:1].lower() + e.strerror[1:]
    return type(error).__name__


def certificate_problem(error: BaseException) -> str | None:
    """Why the server's TLS certificate was refused (``certificate verify failed: ...``, a name it is not
    valid for), found in the chain of errors requests and urllib3 wrap around it; None for any other failure
    (a reset, a timeout, a handshake cut short: those may pass when asked again)."""
    import ssl

    for e in _error_chain(error):
        if isinstance(e, ssl.SSLCertVerificationError):
            return str(e.verify_message or e.reason or e).strip() or "certificate verify failed"
        if type(e).__name__ == "CertificateError":  # urllib3's own hostname check
            return str(e) or "the certificate is not valid for this host name"
    return None


def _ca_bundle() -> str | bool:
    """The CA bundle requests would use: REQUESTS_CA_BUNDLE, else CURL_CA_BUNDLE, else its own (certifi)."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True


class TlsContexts:
    """One TLS context per CA bundle for the whole run, its certificates loaded once. Left to itself, urllib3
    makes a context for every new connection and loads the bundle into it: certifi's ~150 roots are 15-25 ms
    of CPU each time, most of a no-op resync's TLS cost. The run's bundle is loaded in a thread while requests
    is imported (OpenSSL reads and parses the file without holding the GIL)."""

    def __init__(self) -> None:
        self._made: dict[str, Future[ssl.SSLContext]] = {}
        self._lock = threading.Lock()
        self.loads = 0  # bundles read (one per bundle, not one per connection)

    @staticmethod
    def where(verify: bool | str) -> str:
        """The bundle ``verify`` names: requests' own for True (``requests.certs.where()``, once requests is
        imported: a distribution may patch it; before, certifi's, which it is unpatched), else the path."""
        if verify is True:
            certs = sys.modules.get("requests.certs")
            if certs is not None:
                return str(certs.where())
            import certifi

            return certifi.where()
        return str(verify)

    def _claim(self, where: str) -> tuple[Future[ssl.SSLContext], bool]:
        """The future of ``where``'s context, and whether the caller is the one to load it."""
        with self._lock:
            future = self._made.get(where)
            if future is not None:
                return future, False
            future = self._made[where] = Future()
            self.loads += 1
            return future, True

    def _load(self, where: str, future: Future[ssl.SSLContext]) -> None:
        try:
            from urllib3.util.ssl_ import create_urllib3_context

            ctx = create_urllib3_context()  # urllib3's own settings: CERT_REQUIRED, the name checked, TLS 1.2+
            if os.path.isdir(where):
                ctx.load_verify_locations(capath=where)
            else:
                ctx.load_verify_locations(cafile=where)
            future.set_result(ctx)
        except BaseException as e:  # noqa: BLE001 - handed to every request that needs the context
            future.set_exception(e)

    def preload(self, verify: bool | str) -> None:
        """Start loading the context of ``verify``'s bundle in a thread (urllib3 is imported here, first)."""
        import urllib3.util.ssl_  # noqa: F401 - before the thread: one import, in this thread

        where = self.where(verify)
        if not os.path.exists(where):
            return  # requests reports a missing bundle itself
        future, mine = self._claim(where)
        if mine:
            # never a daemon, not even when a daemon thread starts it (a resync's questions asked ahead): a run
            # that ends while OpenSSL parses the bundle waits for it (a few ms). Exit's OPENSSL_cleanup freed
            # the tables the parse was using under it: a quick dry run died of a segmentation fault.
            threading.Thread(target=self._load, args=(where, future), name="tls-bundle", daemon=False).start()

    def settled(self, timeout: float) -> bool:
        """Whether every load has ended, waiting up to ``timeout`` seconds (a failed load has ended too)."""
        with self._lock:
            loads = list(self._made.values())
        return not wait(loads, timeout=timeout).not_done

    def get(self, verify: bool | str) -> ssl.SSLContext:
        """The context for ``verify``, loaded now if no thread is loading it; a bundle that cannot be read is a
        FetchError that says so (asking again would not help)."""
        where = self.where(verify)
        future, mine = self._claim(where)
        if mine:
            self._load(where, future)
        try:
            return future.result()
        except (OSError, ValueError) as e:  # ssl.SSLError is an OSError
            why = "no such file or folder" if isinstance(e, FileNotFoundError) else str(e)
            raise FetchError(
                f"cannot load the CA bundle {where}: {why}",
                "REQUESTS_CA_BUNDLE (or CURL_CA_BUNDLE) must name a file of PEM certificates, or be unset",
            ) from None


def _stopping() -> FetchError:
    """What a request meets once the run is stopping (HttpClient.stop)."""
    return FetchError("the run is stopping", "run the same command again to resume")


class _HostGate:
    """At most ``per_host`` requests in flight per host, and ``delay`` seconds between two starts."""

    def __init__(
        self, per_host: int, delay: float, sleep: Callable[[float], None] = time.sleep,
        stopped: threading.Event | None = None,
    ) -> None:  # fmt: skip
        self.sleep = sleep
        self.stopped = stopped  # set: a request waiting for a slot leaves at once
        self.sem = threading.BoundedSemaphore(per_host)
        self.delay = delay
        self.lock = threading.Lock()
        self.next_start = 0.0

    def __enter__(self) -> None:
        while not self.sem.acquire(timeout=0.25):
            if self.stopped is not None and self.stopped.is_set():
                raise _stopping()
        try:
            if self.delay > 0:
                with self.lock:
                    now = time.monotonic()
                    wait = self.next_start - now
                    self.next_start = max(now, self.next_start) + self.delay
                if wait > 0:
                    self.sleep(wait)
        except BaseException:  # the run is stopping: the slot goes back, or the others wait forever
            self.sem.release()
            raise

    def __exit__(self, *exc: object) -> None:
        self.sem.release()


_LIVE: weakref.WeakSet[HttpClient] = weakref.WeakSet()  # every client not yet collected (stopped at exit)
EXIT_DRAIN_SECONDS = 3.0  # how long an exit waits for exchanges still on the wire, once they are cut


@atexit.register
def _drain_at_exit() -> None:
    """Stop every client and wait for its exchanges to leave the wire before the process exits. A thread
    that nobody waits for (a resync's questions asked ahead, when the blog fails to open) may be inside
    OpenSSL, in a handshake or decrypting a record, or loading the CA bundle; exit's OPENSSL_cleanup frees
    the library's tables under it, and the process dies of a segmentation fault instead of its exit status.
    Stopped, every exchange ends at once (its socket shut; a connection that completes later is closed
    before its TLS handshake); one still connecting is waited for at most EXIT_DRAIN_SECONDS."""
    if threading.current_thread() is threading.main_thread():
        import signal

        # a second Ctrl-C must not cut this wait (at most EXIT_DRAIN_SECONDS) into the crash it prevents
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    clients = list(_LIVE)
    for client in clients:
        client.stop()
    until = time.monotonic() + EXIT_DRAIN_SECONDS
    for client in clients:
        client.drained(max(0.0, until - time.monotonic()))


class HttpClient:
    def __init__(
        self,
        cfg: HttpConfig | None = None,
        *,
        allow_private: bool = False,
        allow_hosts: tuple[str, ...] = (),
        pool_size: int = 10,
        sleep: Callable[[float], None] = time.sleep,
        resolve: Resolver = system_resolve,
    ) -> None:
        self.cfg = cfg or HttpConfig()
        self.allow_private = allow_private
        self.allow_hosts = {_host_name(h) for h in allow_hosts}
        self._resolver = resolve
        self._pool_size = pool_size
        self._session: requests.Session | None = None
        self._tls: TlsContexts | None = None  # the session's contexts (their loads are waited for at exit)
        self._session_lock = threading.Lock()
        self._gates: dict[str, _HostGate] = {}
        self._delays: dict[str, float] = {}
        self._gates_lock = threading.Lock()
        self._dns: dict[str, tuple[float, list[str]]] = {}
        self._stopped = threading.Event()
        # told before each retry's wait (url, why, seconds, the attempt about to be made, attempts in all)
        self.on_retry: Callable[[str, str, float, int, int], None] | None = None
        self._active: set[_Deadline] = set()  # the exchanges on the wire (stop() shuts their sockets)
        self._sleep = sleep if sleep is not time.sleep else self._wait_unless_stopped
        self._count_lock = threading.Condition()  # also told when an exchange leaves the wire (drained())
        self.requests_made = 0
        self._proxies: dict[tuple[str, str], dict[str, str]] = {}
        _LIVE.add(self)

    @property
    def session(self) -> requests.Session:
        """The requests session, made (and requests imported) on the first request."""
        session = self._session
        if session is None:
            with self._session_lock:
                if self._session is None:
                    self._check_stopped()  # stopped: no bundle load starts (exit may already be past its joins)
                    tls = self._tls = TlsContexts()
                    tls.preload(_ca_bundle())  # in a thread, while requests is imported
                    from migrator.transport import guarded_session

                    self._session = guarded_session(
                        self._pinned_addresses, self._pool_size, self.cfg.user_agent or USER_AGENT, tls
                    )
                session = self._session
        return session

    def close(self) -> None:
        """The run is over with this client: it is stopped (what a pool still has on the wire, pages read
        ahead past ``--limit``, is cut: the process's exit joins those threads and waited for their answers
        and retries) and its connections closed."""
        self.stop()
        if self._session is not None:
            self._session.close()

    def _tell_retry(self, url: str, state: RetryCallState, attempts: int) -> None:
        """``on_retry(url, why, seconds, attempt, attempts)`` before a retry's wait, when someone listens (the
        CLI, while the source opens: a blog that refuses was 17 s of silence)."""
        if self.on_retry is None or state.outcome is None:
            return
        error = state.outcome.exception()
        why = getattr(error, "message", None) or str(error) or type(error).__name__
        seconds = state.next_action.sleep if state.next_action is not None else 0.0
        self.on_retry(url, why, seconds, state.attempt_number + 1, attempts)

    def stop(self) -> None:
        """The run is stopping (Ctrl-C): no new request, no wait for a retry or a politeness delay, the
        sockets of the exchanges on the wire shut down, a body being read stops at its next chunk; each
        raises a FetchError that says so, so the threads that download end at once instead of after their
        answers and their retries' back-off. A connection still being opened ends with its connect timeout
        (``http.connect_timeout``), a name being resolved with the resolver's. A client is for one run: once
        stopped, it stays stopped."""
        self._stopped.set()
        with self._count_lock:
            active = list(self._active)
        for deadline in active:
            deadline.expire()  # a read blocked on a slow answer returns now

    def drained(self, timeout: float) -> bool:
        """Whether no exchange is on the wire and no CA bundle is being loaded, waiting up to ``timeout``
        seconds for the last to end (a session being made is waited for first: it starts the load)."""
        until = time.monotonic() + timeout
        if not self._session_lock.acquire(timeout=timeout):
            return False
        try:
            tls = self._tls
        finally:
            self._session_lock.release()
        if tls is not None and not tls.settled(max(0.0, until - time.monotonic())):
            return False
        with self._count_lock:
            return self._count_lock.wait_for(lambda: not self._active, max(0.0, until - time.monotonic()))

    def _check_stopped(self) -> None:
        if self._stopped.is_set():
            raise _stopping()

    def _wait_unless_stopped(self, seconds: float) -> None:
        if self._stopped.wait(seconds):
            self._check_stopped()

    # --- the private-address guard -------------------------------------------------------------------
    def _resolve(self, host: str, port: int) -> list[str]:
        """One resolution of ``host``, shared by the check and the connection for DNS_CACHE_SECONDS."""
        now = time.monotonic()
        cached = self._dns.get(host)
        if cached is not None and cached[0] > now:
            return cached[1]
        addrs = list(self._resolver(host, port))
        if not addrs:
            raise socket.gaierror(f"no address for {host}")
        self._dns[host] = (now + DNS_CACHE_SECONDS, addrs)
        return addrs

    def _pinned_addresses(self, host: str, port: int) -> list[str]:
        """For the connection itself: the checked addresses of ``host`` (the name urllib3 connects to)."""
        host = _bare_host(host)
        addrs = self._resolve(host, port)
        if _host_name(host) not in self.allow_hosts:
            reason = blocked_reason(host, addrs, self.allow_private)
            if reason:
                raise BlockedAddressError(reason, _blocked_hint(reason))
        return addrs

    @staticmethod
    def target(url: str) -> tuple[str, str, int]:
        """``(scheme, host, port)`` of the connection ``url`` leads to; FetchError for a URL whose host
        part is ambiguous: a backslash, a ``user@``, or urlsplit and urllib3 (requests) reading it apart."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise FetchError(f"refusing to fetch {url!r}: only http and https URLs are fetched", url=url)
        if "\\" in parts.netloc:
            raise FetchError(
                f"refusing to fetch {url!r}: a backslash in the host part (URL parsers disagree on such a host)",
                url=url,
            )
        if "@" in parts.netloc:
            raise FetchError(f"refusing to fetch {url!r}: URLs with a user name (user@host) are not fetched", url=url)
        default = 443 if parts.scheme == "https" else 80
        try:
            split_host, split_port = parts.hostname, parts.port or default
            u3 = urllib3.util.parse_url(url)
        except (ValueError, urllib3.exceptions.LocationParseError) as e:
            raise FetchError(f"refusing to fetch {url!r}: malformed URL ({e})", url=url) from None
        if not split_host or not u3.host:
            raise FetchError(f"refusing to fetch {url!r}: no host name", url=url)
        host, port = _bare_host(u3.host), u3.port or default
        if _ascii_host(split_host) != host or split_port != port:  # (urlsplit's hostname is lower case already)
            raise FetchError(
                f"refusing to fetch {url!r}: URL parsers disagree on its host "
                f"(urlsplit: {split_host}:{split_port}, urllib3: {host}:{port})",
                url=url,
            )
        return parts.scheme, host, port

    def check_url(self, url: str) -> None:
        """Refuse ``url`` before any connection: ambiguous, or its host resolves to a refused address.

        Direct connections are checked again, and pinned, when the socket is opened; through a proxy this
        is the only check (the proxy resolves the name itself)."""
        _scheme, host, port = self.target(url)
        if _host_name(host) in self.allow_hosts:
            return
        if _host_name(host) in METADATA_HOSTS:
            raise BlockedAddressError(
                f"refusing to fetch {url}: {host} is a cloud metadata host",
                _blocked_hint("metadata"),
                url=url,
            )
        try:
            addrs = self._resolve(host, port)
        except (OSError, UnicodeError) as e:
            if self.allow_private:
                return  # nothing private to protect; a direct connection resolves (and checks) again
            raise FetchError(f"cannot resolve host {host}: {e}", url=url) from None
        reason = blocked_reason(host, addrs, self.allow_private)
        if reason:
            raise BlockedAddressError(f"refusing to fetch {url}: {reason}", _blocked_hint(reason), url=url)

    # --- politeness ----------------------------------------------------------------------------------
    def set_host_delay(self, netloc: str, delay: float) -> None:
        """A host that wants more politeness than ``http.delay`` (e.g. a blog's own pages)."""
        with self._gates_lock:
            self._delays[netloc.lower()] = max(delay, self.cfg.delay)
            self._gates.pop(netloc.lower(), None)

    def set_cdn_domains(self, domains: tuple[str, ...]) -> None:
        """Image CDNs (a platform's own, e.g. googleusercontent.com and its sub-domains) may be asked
        ``http.per_cdn_host`` requests at once instead of ``http.per_host``: they serve the whole web's
        images, and a browser opens six connections to each on its own; a blog's pages keep ``per_host``."""
        with self._gates_lock:
            self._cdn_domains = tuple(d.lower().lstrip(".") for d in domains)
            self._gates.clear()

    def _limit_for(self, host: str) -> int:
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        for d in getattr(self, "_cdn_domains", ()):
            if name == d or name.endswith("." + d):
                return max(self.cfg.per_host, self.cfg.per_cdn_host)
        return self.cfg.per_host

    def _gate(self, url: str) -> _HostGate:
        host = urlsplit(url).netloc.lower()
        with self._gates_lock:
            gate = self._gates.get(host)
            if gate is None:
                delay = self._delays.get(host, self.cfg.delay)
                gate = self._gates[host] = _HostGate(self._limit_for(host), delay, self._sleep, self._stopped)
            return gate

    # --- retries -------------------------------------------------------------------------------------
    def _wait(self, retry_state) -> float:  # type: ignore[no-untyped-def]
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        ra = getattr(exc, "retry_after", None)
        if ra is not None:
            return min(float(ra), self.cfg.backoff_max)
        return backoff_delay(retry_state.attempt_number, self.cfg.backoff, self.cfg.backoff_max)

    def _stop(self, bad_body_attempts: int) -> Callable[[RetryCallState], bool]:
        def stop(state: RetryCallState) -> bool:
            exc = state.outcome.exception() if state.outcome else None
            limit = bad_body_attempts if isinstance(exc, BadBody) else self.cfg.retries
            return state.attempt_number >= limit

        return stop

    def get(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        to_file: Path | None = None,
        max_bytes: int | None = None,
        check: Callable[[Fetched], None] | None = None,
        check_attempts: int | None = None,
    ) -> Fetched:
        """GET with the one retry policy (tenacity: attempts, backoff, Retry-After). Raises FetchError for a
        final failure (4xx, retries exhausted, blocked).

        With ``to_file`` the body is streamed there (the caller renames it into place); otherwise it is in
        ``Fetched.content``. With ``etag``/``last_modified`` a 304 answer returns ``status == 304``. ``check``
        looks at a body that arrived whole and raises :class:`BadBody` when it is unusable all the same (an
        image cut short with no Content-Length to tell, a feed page that is not JSON): it is fetched again,
        ``check_attempts`` times in all (default ``http.retries``), then the BadBody reaches the caller.
        """
        hdrs = dict(headers or {})
        if etag:
            hdrs["If-None-Match"] = etag
        if last_modified:
            hdrs["If-Modified-Since"] = last_modified
        cap = max_bytes or self.cfg.max_bytes

        def attempt() -> Fetched:
            got = self._get_once(url, hdrs, to_file, cap)
            if check is not None and got.status != 304:
                check(got)
            return got

        try:
            return attempt()  # most requests need one attempt: tenacity only for the ones that fail
        except (_Retryable, BadBody) as e:
            first: Exception | None = e
        from tenacity import Retrying, retry_if_exception_type

        def again() -> Fetched:  # tenacity's first attempt is the one that failed above (not asked again)
            nonlocal first
            if first is not None:
                failed, first = first, None
                raise failed
            return attempt()

        attempts = check_attempts or self.cfg.retries
        retrying = Retrying(
            stop=self._stop(attempts),
            wait=self._wait,
            retry=retry_if_exception_type((_Retryable, BadBody)),
            reraise=True,
            sleep=self._sleep,
            before_sleep=lambda state: self._tell_retry(url, state, attempts),
        )
        try:
            return retrying(again)
        except _Retryable as e:
            raise FetchError(
                f"{url}: {e} (gave up after {self.cfg.retries} attempt{'s' if self.cfg.retries != 1 else ''})",
                RETRIED_NEXT_RUN,
                url=url,
                status_code=e.status_code,
            ) from None

    def _get_once(self, url: str, headers: dict[str, str], to_file: Path | None, cap: int) -> Fetched:
        self._check_stopped()
        if self._session is None:
            self.session  # noqa: B018 - made before the URL check imports urllib3: the CA bundle loads meanwhile
        current = url
        budget = self.cfg.deadline  # seconds on the wire for this attempt, all redirect hops together
        for _hop in range(MAX_REDIRECTS + 1):
            self.check_url(current)
            deadline = _Deadline(budget, self.cfg.deadline)
            if self.cfg.deadline > 0 and budget <= 0:
                raise _Retryable(deadline.message)  # the redirects before used it all
            with self._gate(current):
                with self._count_lock:
                    self.requests_made += 1
                    self._active.add(deadline)
                try:
                    with deadline:
                        self._check_stopped()  # stop() may have come while this waited at the gate
                        got = self._exchange(url, current, headers, to_file, cap, deadline)
                except _Retryable:
                    self._check_stopped()  # cut by stop(): said so, neither retried nor announced as a retry
                    raise
                finally:
                    with self._count_lock:
                        self._active.discard(deadline)
                        if not self._active:
                            self._count_lock.notify_all()
                self._check_stopped()  # an exchange cut short by stop() is not retried
                budget = deadline.left
            if isinstance(got, Fetched):
                return got
            current = got
        raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects", url=url)

    def _exchange(
        self, url: str, current: str, headers: dict[str, str], to_file: Path | None, cap: int, deadline: _Deadline
    ) -> Fetched | str:
        """One request and its answer: the Fetched, or the URL a redirect points to."""
        try:
            resp = self._send(current, headers)
        except (requests.Timeout, requests.ConnectionError) as e:
            refused = certificate_problem(e)
            if refused is not None:  # asking again would get the same certificate
                other_name = "hostname" in refused.lower() or "not valid for" in refused.lower()
                raise FetchError(
                    f"{current}: its TLS certificate was refused ({refused})",
                    "the certificate is for another host name: check the URL (and a proxy, if one is set)"
                    if other_name
                    else "if this host (or the proxy) uses a private CA, set REQUESTS_CA_BUNDLE to a CA bundle "
                    "that includes it",
                    url=url,
                ) from None
            why = deadline.message if deadline.expired else f"connection failed ({connection_problem(e)})"
            raise _Retryable(why) from None
        except BlockedAddressError as e:  # raised by the pinned connection itself
            raise BlockedAddressError(f"refusing to fetch {current}: {e.message}", e.hint, url=url) from None
        try:
            if resp.is_redirect or resp.status_code in (301, 302, 303, 307, 308):
                location = resp.headers.get("Location")
                if not location:
                    raise FetchError(f"{current}: redirect without a Location", url=url)
                return urljoin(current, location)
            if resp.status_code == 304:
                return Fetched(url=current, status=304, headers=requests.structures.CaseInsensitiveDict(resp.headers))
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
            return self._read_body(resp, current, to_file, cap, deadline)
        finally:
            resp.close()

    def _send(self, url: str, headers: dict[str, str]) -> requests.Response:
        """One GET through the session's adapter (connection pools, proxies, TLS), streamed, no redirects
        followed: what ``Session.get`` does for us, without its per-request environment scan."""
        merged = requests.structures.CaseInsensitiveDict(self.session.headers)
        merged.update(headers)
        prep = requests.PreparedRequest()
        prep.prepare_method("GET")
        prep.prepare_url(url, None)
        prep.prepare_headers(merged)
        jar = self.session.cookies
        if jar:  # what a server set earlier in the run goes back to it, as the session would send it
            prep.prepare_cookies(jar)
        prep.prepare_body(None, None)
        prep.hooks = {"response": []}
        adapter = self.session.get_adapter(url)
        resp = adapter.send(
            prep,
            stream=True,
            timeout=(self.cfg.connect_timeout, self.cfg.read_timeout),
            verify=_ca_bundle(),
            proxies=self._proxies_for(url),
        )
        if "Set-Cookie" in resp.headers:
            requests.cookies.extract_cookies_to_jar(jar, prep, resp.raw)
        return resp

    def _proxies_for(self, url: str) -> dict[str, str]:
        """The proxies the environment names for ``url``'s host ({} when NO_PROXY bypasses it), as requests
        picks them (NO_PROXY's names and CIDR ranges; then scheme, then ``all``), looked up once per host."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc.lower())
        found = self._proxies.get(key)
        if found is None:
            found = self._proxies[key] = dict(requests.utils.get_environ_proxies(url, no_proxy=None))
        return found

    def _read_body(
        self, resp: requests.Response, url: str, to_file: Path | None, cap: int, deadline: _Deadline
    ) -> Fetched:
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
        head = tail = b""
        sink = open(to_file, "wb") if to_file is not None else None  # noqa: SIM115
        try:
            try:
                for chunk in resp.iter_content(chunk_size=64 * 1024):
                    if self._stopped.is_set():
                        self._check_stopped()
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
                    if len(head) < HEAD_BYTES:
                        head += chunk[: HEAD_BYTES - len(head)]
                    tail = (tail + chunk)[-TAIL_BYTES:] if len(chunk) < TAIL_BYTES else chunk[-TAIL_BYTES:]
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
                why = deadline.message if deadline.expired else f"body cut short ({type(e).__name__})"
                raise _Retryable(why) from None
            if deadline.expired:  # the watchdog ended the body early: what was read is not the whole of it
                raise _Retryable(deadline.message)
            encoded = resp.headers.get("Content-Encoding", "identity").lower() not in ("", "identity")
            if declared and declared.isdigit() and not encoded and size < int(declared):
                raise _Retryable(f"body cut short ({size} of {declared} bytes)")
        finally:
            if sink is not None:
                sink.close()
        return Fetched(
            url=url,
            status=resp.status_code,
            headers=requests.structures.CaseInsensitiveDict(resp.headers),
            content=b"".join(chunks),
            sha256=digest.hexdigest(),
            size=size,
            head=head,
            tail=tail,
        )
