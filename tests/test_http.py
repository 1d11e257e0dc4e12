"""The HTTP layer against a real local server: retries, Retry-After, truncated bodies, timeouts, caps,
redirects, the private-address guard, conditional GET and proxies."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from server import serve_in_background, stop_serving

from migrator.config import HttpConfig
from migrator.errors import BadBody, BlockedAddressError, FetchError, ResponseTooLargeError
from migrator.http import HttpClient, backoff_delay, is_public_address, parse_retry_after


class Scripted:
    """A local server whose answers per path are scripted as a list of callables (one per request)."""

    def __init__(self) -> None:
        self.routes: dict[str, list] = {}
        self.log: list[tuple[str, dict]] = []
        outer = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                outer.log.append((self.path, dict(self.headers)))
                script = outer.routes.get(self.path.split("?")[0]) or outer.routes.get("*") or []
                step = script.pop(0) if len(script) > 1 else (script[0] if script else None)
                if step is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                step(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        serve_in_background(self.httpd)

    def close(self):
        stop_serving(self.httpd)


def reply(status=200, body=b"ok", headers=None, declared=None, delay=0.0):
    def step(h):
        if delay:
            time.sleep(delay)
        h.send_response(status)
        h.send_header("Content-Length", str(len(body) if declared is None else declared))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)
        if declared is not None and declared > len(body):
            h.wfile.flush()
            h.close_connection = True

    return step


def chunked(body: bytes):
    def step(h):
        h.send_response(200)
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        for i in range(0, len(body), 1000):
            part = body[i : i + 1000]
            h.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
        h.wfile.write(b"0\r\n\r\n")

    return step


@pytest.fixture
def srv():
    s = Scripted()
    yield s
    s.close()


@pytest.fixture
def waits():
    return []


@pytest.fixture
def client(waits):
    cfg = HttpConfig(retries=4, backoff=0.01, backoff_max=30, read_timeout=0.5, connect_timeout=1)
    c = HttpClient(cfg, allow_private=True, sleep=waits.append)
    yield c
    c.close()


def test_429_honours_retry_after_seconds(srv, client, waits):
    srv.routes["/x"] = [reply(429, b"slow down", {"Retry-After": "7"}), reply(200, b"done")]
    assert client.get(srv.url + "/x").content == b"done"
    assert waits == [7.0] and len(srv.log) == 2


def test_429_retry_after_as_a_date_and_capped(srv, waits):
    c = HttpClient(HttpConfig(retries=3, backoff_max=5), allow_private=True, sleep=waits.append)
    srv.routes["/x"] = [reply(429, b"", {"Retry-After": formatdate(time.time() + 3600, usegmt=True)}), reply()]
    assert c.get(srv.url + "/x").status == 200
    assert waits == [5.0]  # an hour is capped at backoff_max


def test_500_twice_then_success_with_growing_backoff(srv, client, waits):
    srv.routes["/x"] = [reply(500), reply(503), reply(200, b"third time")]
    assert client.get(srv.url + "/x").content == b"third time"
    assert len(srv.log) == 3 and len(waits) == 2
    assert 0.01 <= waits[0] <= 0.02 <= waits[1] <= 0.03  # base * 2**(n-1) plus up to one base of jitter


def test_gives_up_after_the_configured_attempts(srv, client):
    srv.routes["/x"] = [reply(502)]
    with pytest.raises(FetchError, match="gave up after 4 attempts") as e:
        client.get(srv.url + "/x")
    assert e.value.status_code == 502 and len(srv.log) == 4


def test_404_is_final_and_not_retried(srv, client):
    with pytest.raises(FetchError, match="HTTP 404") as e:
        client.get(srv.url + "/missing")
    assert e.value.status_code == 404 and len(srv.log) == 1


def test_a_body_the_caller_rejects_is_fetched_again_under_the_same_policy(srv, client, waits):
    """One retry policy: a body that arrived whole but is unusable (``check`` raises BadBody) is retried with
    the same backoff as a 5xx, ``check_attempts`` times in all, then the BadBody reaches the caller."""
    srv.routes["/feed"] = [reply(200, b"{cut"), reply(500), reply(200, b'{"ok": 1}')]

    def check(got):
        if not got.content.endswith(b"}"):
            raise BadBody("not JSON")

    assert client.get(srv.url + "/feed", check=check).content == b'{"ok": 1}'
    assert len(srv.log) == 3 and len(waits) == 2  # a bad body and a 500 wait alike
    srv.routes["/bad"] = [reply(200, b"{cut")]
    with pytest.raises(BadBody, match="not JSON"):
        client.get(srv.url + "/bad", check=check, check_attempts=2)
    assert [path for path, _ in srv.log].count("/bad") == 2


def test_truncated_body_is_retried(srv, client, tmp_path):
    srv.routes["/img"] = [reply(200, b"x" * 50, declared=100), reply(200, b"y" * 100)]
    got = client.get(srv.url + "/img", to_file=tmp_path / "a.part")
    assert got.size == 100 and (tmp_path / "a.part").read_bytes() == b"y" * 100
    assert len(srv.log) == 2


def test_read_timeout_is_retried(srv, client):
    srv.routes["/slow"] = [reply(200, b"late", delay=1.5), reply(200, b"fast")]
    assert client.get(srv.url + "/slow").content == b"fast"


def test_size_cap_declared_and_streamed(srv, waits):
    c = HttpClient(HttpConfig(max_bytes=1000), allow_private=True, sleep=waits.append)
    srv.routes["/big"] = [reply(200, b"z" * 5000)]
    with pytest.raises(ResponseTooLargeError, match="over the 1,000-byte cap"):
        c.get(srv.url + "/big")
    srv.routes["/chunked"] = [chunked(b"z" * 5000)]
    with pytest.raises(ResponseTooLargeError):
        c.get(srv.url + "/chunked")
    assert waits == []  # never retried


def test_redirects_are_followed_and_loops_stopped(srv, client):
    srv.routes["/a"] = [reply(301, b"", {"Location": "/b"})]
    srv.routes["/b"] = [reply(200, b"at b")]
    got = client.get(srv.url + "/a")
    assert got.content == b"at b" and got.url.endswith("/b")
    srv.routes["/loop"] = [reply(302, b"", {"Location": "/loop"})]
    with pytest.raises(FetchError, match="more than 10 redirects"):
        client.get(srv.url + "/loop")


def test_user_agent_and_conditional_get(srv, client):
    srv.routes["/c"] = [reply(304, b"", {"ETag": '"v1"'})]
    got = client.get(srv.url + "/c", etag='"v1"', last_modified="Mon, 01 Apr 2024 00:00:00 GMT")
    assert got.status == 304
    _, headers = srv.log[-1]
    assert headers["User-Agent"].startswith("migrator/")
    assert headers["If-None-Match"] == '"v1"' and headers["If-Modified-Since"].startswith("Mon")


@pytest.mark.parametrize(
    ("ip", "public"),
    [
        ("8.8.8.8", True), ("127.0.0.1", False), ("10.1.2.3", False), ("192.168.0.1", False),
        ("172.16.5.5", False), ("169.254.169.254", False), ("224.0.0.1", False), ("0.0.0.0", False),
        ("::1", False), ("fe80::1", False), ("::ffff:127.0.0.1", False), ("2606:4700::1111", True),
        ("100.64.0.1", False), ("ff0e::1", False), ("64:ff9b::7f00:1", False), ("2002:7f00:1::", False),
    ],
)
def test_public_address_classification(ip, public):
    assert is_public_address(ip) is public


def test_private_addresses_are_refused_without_any_request(srv):
    c = HttpClient(HttpConfig(), allow_private=False)
    with pytest.raises(BlockedAddressError, match="non-public address 127.0.0.1"):
        c.get(srv.url + "/x")
    assert srv.log == []


def test_a_redirect_to_cloud_metadata_is_refused(srv):
    def resolve(host, port):
        return {"127.0.0.1": ["127.0.0.1"], "metadata.test": ["169.254.169.254"]}[host]

    # the test server is an allowed private host; where it redirects is still checked
    c = HttpClient(HttpConfig(), allow_private=False, allow_hosts=("127.0.0.1",), resolve=resolve)
    srv.routes["/img"] = [reply(302, b"", {"Location": "http://metadata.test/latest/meta-data/"})]
    with pytest.raises(BlockedAddressError, match="169.254.169.254"):
        c.get(srv.url + "/img")
    assert len(srv.log) == 1


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://x/y", "gopher://x"])
def test_only_http_is_fetched(url):
    with pytest.raises(FetchError, match="only http and https"):
        HttpClient(HttpConfig(), allow_private=True).get(url)


def test_proxy_environment_is_honoured(srv, monkeypatch):
    srv.routes["*"] = [reply(200, b"via proxy")]
    monkeypatch.setenv("HTTP_PROXY", srv.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    def resolve(host, port):  # no DNS in tests: the proxy resolves the name, the check is told it cannot
        raise OSError(f"no DNS for {host} in tests")

    c = HttpClient(HttpConfig(retries=1), allow_private=True, resolve=resolve)
    assert c.get("http://blog.example.invalid/feed").content == b"via proxy"
    assert srv.log[-1][0] == "http://blog.example.invalid/feed"  # absolute-form: it went through the proxy


def test_a_cookie_a_server_sets_goes_back_to_it_and_the_headers_merge_without_duplicates(srv):
    """Requests go to the session's adapter directly: the session's cookie jar and default headers still
    apply (a cookie set by one answer is sent with the next request; a caller's header replaces the
    session's one of the same name, whatever its case)."""
    srv.routes["/set"] = [reply(200, b"ok", {"Set-Cookie": "visit=1; Path=/"})]
    srv.routes["/next"] = [reply(200, b"ok")]
    c = HttpClient(HttpConfig(retries=1), allow_private=True)
    c.get(srv.url + "/set")
    c.get(srv.url + "/next", headers={"user-agent": "caller/1"})
    path, headers = srv.log[-1]
    assert path == "/next" and headers.get("Cookie") == "visit=1"
    assert [v for k, v in headers.items() if k.lower() == "user-agent"] == ["caller/1"]


def test_no_proxy_is_honoured_per_host_and_the_environment_read_once_per_host(srv, monkeypatch):
    """NO_PROXY (a name, or a CIDR range as requests reads it) sends a host direct; other hosts go through
    the proxy. The proxies of a host are looked up once, not on every request."""
    proxy = srv.url
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.setenv("NO_PROXY", "127.0.0.0/8,direct.test")
    monkeypatch.delenv("no_proxy", raising=False)
    srv.routes["*"] = [reply(200, b"answer")] * 4
    calls = []
    real = requests.utils.get_environ_proxies
    monkeypatch.setattr(requests.utils, "get_environ_proxies", lambda *a, **k: calls.append(a[0]) or real(*a, **k))

    def resolve(host, port):
        if host == "127.0.0.1":
            return ["127.0.0.1"]
        raise OSError(f"no DNS for {host} in tests")

    c = HttpClient(HttpConfig(retries=1), allow_private=True, resolve=resolve)
    c.get(srv.url + "/one")
    c.get(srv.url + "/two")
    assert [r[0] for r in srv.log[-2:]] == ["/one", "/two"]  # origin-form: straight to the server
    c.get("http://via.example.invalid/feed")
    assert srv.log[-1][0] == "http://via.example.invalid/feed"  # absolute-form: through the proxy
    assert len(calls) == 2  # one lookup for 127.0.0.1:port, one for via.example.invalid


def test_retry_after_and_backoff_helpers():
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(formatdate(1000.0 + 30, usegmt=True), now=1000.0) == pytest.approx(30, abs=1)
    assert backoff_delay(1, 1.0, 60, rand=lambda: 0.0) == 1.0
    assert backoff_delay(4, 1.0, 60, rand=lambda: 0.5) == 8.5
    assert backoff_delay(20, 1.0, 60, rand=lambda: 0.0) == 60


def test_per_host_politeness_delay(srv, waits):
    c = HttpClient(HttpConfig(), allow_private=True, sleep=waits.append)
    c.set_host_delay(srv.url.split("//")[1], 1.0)
    srv.routes["/p"] = [reply(200, b"x")]
    for _ in range(3):
        c.get(srv.url + "/p")
    # one start a second: with a sleep that returns at once, the 2nd waits ~1 s and the 3rd ~2 s from now
    assert len(waits) == 2 and 0.9 < waits[0] <= 1.0 and 1.9 < waits[1] <= 2.0


def test_a_request_waiting_for_a_hosts_slot_leaves_when_the_run_stops():
    """http.per_host slots: one held by a request that takes its time; another waiting for it leaves at once
    when the run stops (it waited for the slot's holder, whatever that was waiting for)."""
    import threading
    import time

    from migrator.http import _HostGate

    stopped = threading.Event()
    gate = _HostGate(1, 0.0, stopped=stopped)
    gate.__enter__()  # the slot, held
    failed: list[BaseException] = []

    def waiter() -> None:
        try:
            with gate:
                pass
        except FetchError as e:
            failed.append(e)

    t = threading.Thread(target=waiter)
    t.start()
    time.sleep(0.1)
    assert t.is_alive()  # waiting for the slot
    stopped.set()
    t.join(timeout=2)
    assert not t.is_alive() and failed and "stopping" in str(failed[0])
    gate.__exit__(None, None, None)
    with gate:  # the slot is whole again
        pass


EXIT_SCRIPTS = {
    # the bundle's load started from a daemon thread (as a resync's questions asked ahead start it), the
    # process ending at once: the load is waited for, not cut by exit's OPENSSL_cleanup (a segfault)
    "load": """
import sys, threading
from migrator.http import TlsContexts
tls = TlsContexts()
def start():
    tls.preload(sys.argv[1])
    next(iter(tls._made.values())).add_done_callback(lambda f: print("loaded", f.exception() is None, flush=True))
starter = threading.Thread(target=start, daemon=True)
starter.start()
starter.join()
""",
    # a request on the wire in a daemon thread when the process ends: it is stopped and waited for (the
    # handler registered first runs last, after migrator.http's)
    "drain": """
import atexit, sys, threading, time
atexit.register(lambda: print("on the wire at exit:", len(client._active), flush=True))
from migrator.config import HttpConfig
from migrator.errors import FetchError
from migrator.http import HttpClient
client = HttpClient(HttpConfig(retries=1, read_timeout=30, deadline=60), allow_private=True)
def ask():
    try:
        client.get(sys.argv[1])
    except FetchError:
        pass  # (no print: one from this thread raced the exit's own lines)
threading.Thread(target=ask, daemon=True).start()
end = time.monotonic() + 10
while not client._active and time.monotonic() < end:
    time.sleep(0.01)
time.sleep(0.2)  # its answer begun, the rest held back
print("exiting", flush=True)
""",
}


@pytest.mark.parametrize("case", sorted(EXIT_SCRIPTS))
def test_the_process_ends_only_once_no_thread_is_inside_openssl(case, srv, tmp_path):
    import certifi

    def held(h):  # headers and a part of the body, then nothing for 20 s
        h.send_response(200)
        h.send_header("Content-Length", "100000")
        h.end_headers()
        h.wfile.write(b"x" * 1000)
        h.wfile.flush()
        time.sleep(20)

    srv.routes["/held"] = [held]
    bundle = tmp_path / "bundle.pem"  # ten times certifi's roots: a parse that takes a while
    bundle.write_text(open(certifi.where(), encoding="ascii").read() * 10, encoding="ascii")
    arg = str(bundle) if case == "load" else srv.url + "/held"
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", EXIT_SCRIPTS[case], arg], capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    took = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    if case == "load":
        assert proc.stdout == "loaded True\n"
    else:
        assert proc.stdout == "exiting\non the wire at exit: 0\n", proc.stdout
        assert took < 10  # stopped, not waited out (20 s)


def test_closing_the_client_cuts_what_a_pool_still_has_on_the_wire(srv):
    """A run that ends early (``--limit``) drops its pages' generator with pages still being fetched on a
    pool's threads; the process's exit joins those threads: it waited for their answers (8 s here) and
    their retries. The CLI closes the run's client, which stops it: they end at once."""
    srv.routes["/fast"] = [reply(200, b"ok")]
    srv.routes["/slow"] = [reply(200, b"late", delay=8)]
    script = """
import sys, time
from migrator.config import HttpConfig
from migrator.http import HttpClient
from migrator.sources.tistory import _ordered_map
client = HttpClient(HttpConfig(), allow_private=True)
pages = _ordered_map(lambda u: client.get(u).status, [sys.argv[1] + "/fast", sys.argv[1] + "/slow"], 2)
print(next(pages), flush=True)
end = time.monotonic() + 10
while not client._active and time.monotonic() < end:  # the slow page being asked
    time.sleep(0.01)
print(len(client._active), flush=True)
pages.close()  # as the pipeline's break at --limit drops it
client.close()
"""
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", script, srv.url], capture_output=True, text=True, timeout=60)
    took = time.monotonic() - started
    assert proc.returncode == 0 and proc.stdout == "200\n1\n", proc.stderr  # the slow page on the wire at close
    assert took < 4, f"the exit waited {took:.1f} s for a page nobody reads"


def test_a_connection_that_completes_after_the_stop_sends_nothing(srv, monkeypatch):
    """stop() shuts the sockets of the exchanges on the wire; one still connecting has none yet. When its
    connect completes, the socket is closed at once: no request is sent, and no TLS handshake starts (a
    stopped run's exit raced that handshake inside OpenSSL)."""
    from urllib3.util import connection as u3_connection

    real = u3_connection.create_connection
    connecting = threading.Event()

    def slow_connect(*a, **k):
        connecting.set()
        time.sleep(0.5)
        return real(*a, **k)

    monkeypatch.setattr(u3_connection, "create_connection", slow_connect)
    srv.routes["/x"] = [reply(200, b"ok")]
    c = HttpClient(HttpConfig(retries=3), allow_private=True)
    failed: list[BaseException] = []

    def ask() -> None:
        try:
            c.get(srv.url + "/x")
        except FetchError as e:
            failed.append(e)

    t = threading.Thread(target=ask)
    t.start()
    assert connecting.wait(5)
    c.stop()
    t.join(timeout=5)
    assert not t.is_alive() and failed and "stopping" in failed[0].message, failed
    time.sleep(0.2)
    assert srv.log == []  # nothing was sent on the connection that completed after the stop
    with pytest.raises(FetchError, match="stopping"):
        c.get(srv.url + "/x")


def test_a_stopped_client_starts_no_session_and_exit_ignores_a_second_ctrl_c():
    """A client stopped before its first request makes no session, so no CA bundle load starts after the
    process's exit has joined its threads; the exit's wait is not cut by another Ctrl-C."""
    script = """
import signal, threading
from migrator.errors import FetchError
from migrator.http import HttpClient, _drain_at_exit
c = HttpClient(allow_private=True)
c.stop()
try:
    c.session
except FetchError as e:
    print("no session:", e.message)
print("threads:", sorted(t.name for t in threading.enumerate()))
_drain_at_exit()
print("sigint ignored:", signal.getsignal(signal.SIGINT) is signal.SIG_IGN)
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "no session: the run is stopping", "threads: ['MainThread']", "sigint ignored: True"
    ], proc.stdout


def test_an_exchange_cut_by_the_stop_is_not_announced_as_a_retry(srv):
    srv.routes["/held"] = [reply(200, b"late", delay=3)]
    c = HttpClient(HttpConfig(retries=3, read_timeout=10), allow_private=True)
    told: list[tuple] = []
    c.on_retry = lambda *a: told.append(a)
    failed: list[FetchError] = []
    t = threading.Thread(target=lambda: failed.extend(_raised(lambda: c.get(srv.url + "/held"))))
    t.start()
    end = time.monotonic() + 5
    while not c._active and time.monotonic() < end:
        time.sleep(0.01)
    c.stop()
    t.join(timeout=5)
    assert failed and failed[0].message == "the run is stopping" and told == [], (failed, told)


def _raised(fn) -> list[FetchError]:
    try:
        fn()
    except FetchError as e:
        return [e]
    return []
