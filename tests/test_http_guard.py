"""The private-address guard under attack, and the total deadline per attempt (issue 11).

Offline by construction: every name is answered by a stub resolver (IP spellings by the system's own numeric
parser, which never asks DNS), and every socket the client opens is checked to go to 127.0.0.0/8 (a refused
fetch must open none). Servers listen on 127.0.0.x; the ones an attack aims at must receive nothing.
"""

from __future__ import annotations

import ipaddress
import shutil
import socket
import ssl
import subprocess
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import urllib3.util.connection
from server import serve_in_background, stop_serving

from migrator import http as mhttp
from migrator.config import HttpConfig, load_config
from migrator.errors import BlockedAddressError, FetchError
from migrator.http import HttpClient

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")


class Server:
    """A local server on ``host`` that logs every request and answers with ``answer(handler)``."""

    def __init__(self, host: str = "127.0.0.1", answer=None, tls: ssl.SSLContext | None = None) -> None:
        self.log: list[tuple[str, dict]] = []
        outer = self
        self.answer = answer or (lambda h: send(h, 200, b"ok"))

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                outer.log.append((self.path, dict(self.headers)))
                try:
                    outer.answer(self)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

        self.httpd = ThreadingHTTPServer((host, 0), H)
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.url = f"http://{host}:{self.port}"
        serve_in_background(self.httpd)

    def close(self) -> None:
        stop_serving(self.httpd)


def send(h, status=200, body=b"ok", headers=None):
    h.send_response(status)
    h.send_header("Content-Length", str(len(body)))
    for k, v in (headers or {}).items():
        h.send_header(k, v)
    h.end_headers()
    h.wfile.write(body)


def numeric(host: str, port: int) -> list[str]:
    """The system resolver's reading of an IP spelling (decimal, octal, hex, short forms); never DNS."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    return list(dict.fromkeys(i[4][0] for i in infos))


class Resolver:
    """Names from a table (a list of answers is handed out one per call), IP spellings as the system reads them."""

    def __init__(self, names: dict | None = None) -> None:
        self.names = dict(names or {})
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        if host in self.names:
            answer = self.names[host]
            if answer and isinstance(answer[0], list):
                return answer.pop(0) if len(answer) > 1 else answer[0]
            return answer
        try:
            return numeric(host, port)
        except socket.gaierror:
            raise socket.gaierror(socket.EAI_NONAME, f"no such test name {host}") from None


@pytest.fixture(autouse=True)
def sockets(monkeypatch):
    """Every connection the client opens (pinned or through a proxy): recorded, and only ever to 127/8."""
    opened: list[tuple[str, int]] = []
    real = urllib3.util.connection.create_connection

    def spy(address, *args, **kwargs):
        host = address[0].strip("[]")
        assert ipaddress.ip_address(host) in LOOPBACK, f"the client tried to connect to {address}"
        opened.append(address)
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", spy)
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    return opened


@pytest.fixture
def servers():
    made: list[Server] = []

    def make(*args, **kwargs) -> Server:
        made.append(Server(*args, **kwargs))
        return made[-1]

    yield make
    for s in made:
        s.close()


def client(**kw) -> HttpClient:
    cfg = kw.pop("cfg", HttpConfig(retries=1))
    kw.setdefault("resolve", Resolver())
    return HttpClient(cfg, **kw)


# --- item 1: one URL parser for the check and the request ---------------------------------------------------


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("http://Example.COM/a", ("http", "example.com", 80)),
        ("http://example.com./a", ("http", "example.com.", 80)),
        ("https://bücher.example/", ("https", "xn--bcher-kva.example", 443)),
        ("http://[::1]:8080/", ("http", "::1", 8080)),
        ("http://example.com/odd\\path.png?q=a@b", ("http", "example.com", 80)),  # a backslash or @ past the host
    ],
)
def test_ordinary_urls_name_one_host(url, target):
    assert HttpClient.target(url) == target


def test_backslash_and_userinfo_urls_are_refused_on_the_source_and_through_a_redirect(servers, sockets):
    victim = servers("127.0.0.3")  # what the connection would reach: urllib3 reads the host as 127.0.0.3
    attack = f"http://127.0.0.3:{victim.port}\\@8.8.8.8/ok.png"  # urlsplit reads the host as 8.8.8.8
    c = client()
    with pytest.raises(FetchError, match="backslash in the host part"):
        c.get(attack)
    with pytest.raises(FetchError, match=r"user name \(user@host\)"):
        c.get(f"http://8.8.8.8@127.0.0.3:{victim.port}/ok.png")
    with pytest.raises(FetchError, match="URL parsers disagree on its host"):
        c.get(f"http://%31%32%37.0.0.3:{victim.port}/ok.png")  # urllib3 decodes the host to 127.0.0.3

    page = servers("127.0.0.1", answer=lambda h: send(h, 302, b"", {"Location": attack}))
    c = client(allow_hosts=("127.0.0.1",))  # the blog itself is allowed; where it redirects is still checked
    with pytest.raises(FetchError, match="backslash in the host part"):
        c.get(page.url + "/img")
    assert len(page.log) == 1
    assert victim.log == [] and all(addr[0] != "127.0.0.3" for addr in sockets)


def test_the_connection_checks_the_host_it_really_uses_even_past_a_broken_pre_check(servers, sockets):
    victim = servers("127.0.0.3")
    c = client()
    c.check_url = lambda url: None  # as if the pre-check had read the host as 8.8.8.8, like urlsplit does
    with pytest.raises(BlockedAddressError, match="127.0.0.3 resolves to the non-public address 127.0.0.3"):
        c.get(f"http://127.0.0.3:{victim.port}\\@8.8.8.8/ok.png")
    assert victim.log == [] and sockets == []


def test_dns_rebinding_the_connection_goes_to_the_address_that_was_checked(servers, sockets, monkeypatch):
    public, private = servers("127.0.0.4"), servers("127.0.0.5")
    # pretend 127.0.0.4 is a public address; the attacker's DNS answers it first, then 127.0.0.5
    monkeypatch.setattr(mhttp, "is_public_address", lambda ip: ip == "127.0.0.4")
    resolver = Resolver({"rebind.test": [["127.0.0.4"], ["127.0.0.5"]]})
    c = client(resolve=resolver)
    assert c.get(f"http://rebind.test:{public.port}/a").content == b"ok"
    assert resolver.calls == ["rebind.test"]  # resolved once: the check and the connection share the answer
    assert public.log[0][1]["Host"] == f"rebind.test:{public.port}"  # the name still goes in the Host header
    assert sockets == [("127.0.0.4", public.port)] and private.log == []

    # when the answer is not shared (it expired), the connection resolves again and checks what it got
    monkeypatch.setattr(mhttp, "DNS_CACHE_SECONDS", 0.0)
    resolver = Resolver({"rebind.test": [["127.0.0.4"], ["127.0.0.5"]]})
    c = client(resolve=resolver)
    with pytest.raises(BlockedAddressError, match="non-public address 127.0.0.5"):
        c.get(f"http://rebind.test:{private.port}/b")
    assert resolver.calls == ["rebind.test", "rebind.test"] and private.log == []
    assert ("127.0.0.5", private.port) not in sockets


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl makes the test certificate")
def test_https_to_a_pinned_address_keeps_the_name_for_sni_and_the_certificate(servers, sockets, tmp_path, monkeypatch):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-keyout", str(key),
         "-out", str(cert), "-subj", "/CN=pinned.test", "-addext", "subjectAltName=DNS:pinned.test"],
        check=True, capture_output=True,
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    sni: list[str | None] = []
    ctx.sni_callback = lambda sock, name, _ctx: sni.append(name)
    srv = servers("127.0.0.1", answer=lambda h: send(h, 200, b"over tls"), tls=ctx)
    c = client(allow_hosts=("pinned.test",), resolve=Resolver({"pinned.test": ["127.0.0.1"]}))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))  # trust the certificate for pinned.test only
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    assert c.get(f"https://pinned.test:{srv.port}/x").content == b"over tls"
    assert sni == ["pinned.test"] and srv.log[0][1]["Host"] == f"pinned.test:{srv.port}"
    assert sockets == [("127.0.0.1", srv.port)]


def _ca_and_cert(tmp_path, names: list[str], tag: str):
    """A CA of its own and a server certificate it signed for ``names``: (ca.pem, cert.pem, key.pem)."""
    run = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True)  # noqa: E731
    ca_key, ca, key, csr, cert, ext = (tmp_path / f"{tag}-{n}" for n in ("ca.key", "ca.pem", "key.pem", "csr",
                                                                           "cert.pem", "ext.cnf"))
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-keyout", str(ca_key), "-out", str(ca),
        "-subj", f"/CN=test CA {tag}")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={names[0]}")
    ext.write_text("subjectAltName=" + ",".join(f"IP:{n}" if n[0].isdigit() else f"DNS:{n}" for n in names) + "\n")
    run("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial", "-out", str(cert),
        "-days", "1", "-extfile", str(ext))
    return ca, cert, key


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl makes the test certificates")
def test_https_connections_share_one_tls_context_and_still_check_every_certificate(servers, sockets, tmp_path,
                                                                                     monkeypatch):
    """urllib3 makes a TLS context for every new connection and loads the CA bundle into it (certifi's ~150
    roots: 15-25 ms of CPU each time). The client's connections share one context per bundle, loaded once,
    and a certificate for another name, or from a CA not in the bundle, is still refused."""
    ca, cert, key = _ca_and_cert(tmp_path, ["a.test", "b.test"], "good")
    _, other_cert, other_key = _ca_and_cert(tmp_path, ["a.test"], "stranger")  # right name, CA not trusted
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(ca.read_bytes())

    def tls(c, k):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(c, k)
        return ctx

    closing = lambda h: send(h, 200, b"over tls", {"Connection": "close"})  # noqa: E731 - a new connection each time
    good = [servers("127.0.0.1", answer=closing, tls=tls(cert, key)) for _ in range(2)]
    stranger = servers("127.0.0.1", answer=closing, tls=tls(other_cert, other_key))
    loads: list[str] = []
    threads: list[str] = []  # the first request's bundle loads in a thread, while requests is imported
    real_load = ssl.SSLContext.load_verify_locations

    def counted(self, cafile=None, capath=None, cadata=None):  # type: ignore[no-untyped-def]
        import threading

        loads.append(str(cafile or capath))
        threads.append(threading.current_thread().name)
        return real_load(self, cafile, capath, cadata)

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counted)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    c = client(cfg=HttpConfig(retries=3), allow_hosts=("a.test", "b.test", "c.test"),
               resolve=Resolver({n: ["127.0.0.1"] for n in ("a.test", "b.test", "c.test")}))
    for srv in good:
        for host in ("a.test", "b.test"):
            for n in range(2):
                assert c.get(f"https://{host}:{srv.port}/{n}").content == b"over tls"
    assert sum(len(s.log) for s in good) == 8  # 8 connections (each answer closed its own), 4 pools
    assert loads == [str(bundle)] and threads == ["tls-bundle"]
    with pytest.raises(FetchError, match="TLS certificate was refused .*unable to get local issuer") as e:
        c.get(f"https://a.test:{stranger.port}/x")  # the right name, signed by a CA the bundle lacks
    assert "REQUESTS_CA_BUNDLE" in e.value.hint
    with pytest.raises(FetchError, match="TLS certificate was refused .*(?i:hostname|not valid)") as e:
        c.get(f"https://c.test:{good[0].port}/x")  # a trusted certificate, for other names
    assert "another host name" in e.value.hint
    assert loads == [str(bundle)]
    assert sockets.count(("127.0.0.1", stranger.port)) == 1  # refused once, not asked again (retries=3)
    assert stranger.log == []


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl makes the test certificates")
def test_an_https_proxys_own_certificate_is_checked_against_the_runs_bundle(servers, sockets, tmp_path, monkeypatch):
    """TLS to an https:// proxy, then CONNECT and TLS to the target: both certificates are checked against
    REQUESTS_CA_BUNDLE (the shared context), not against the system's store; a proxy whose certificate the
    bundle does not vouch for is refused."""
    import threading

    ca, cert, key = _ca_and_cert(tmp_path, ["a.test", "127.0.0.1"], "private")
    _, other_cert, other_key = _ca_and_cert(tmp_path, ["127.0.0.1"], "stranger")

    def tls(c, k):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(c, k)
        return ctx

    target = servers("127.0.0.1", answer=lambda h: send(h, 200, b"through"), tls=tls(cert, key))
    connects: list[bytes] = []

    def proxy(ctx: ssl.SSLContext) -> socket.socket:
        lsock = socket.socket()
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(5)

        def pipe(a, b):  # type: ignore[no-untyped-def]
            try:
                while data := a.recv(65536):
                    b.sendall(data)
            except OSError:
                pass
            finally:
                for s in (a, b):
                    s.close()

        def loop() -> None:
            while True:
                try:
                    raw, _ = lsock.accept()
                except OSError:
                    return
                try:
                    c = ctx.wrap_socket(raw, server_side=True)
                    head = b""
                    while b"\r\n\r\n" not in head:
                        head += c.recv(4096)
                except (OSError, ssl.SSLError):
                    raw.close()
                    continue
                connects.append(head.split(b"\r\n")[0])
                up = socket.create_connection(("127.0.0.1", target.port))
                c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                threading.Thread(target=pipe, args=(c, up), daemon=True).start()
                threading.Thread(target=pipe, args=(up, c), daemon=True).start()

        threading.Thread(target=loop, daemon=True).start()
        return lsock

    good, bad = proxy(tls(cert, key)), proxy(tls(other_cert, other_key))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.setenv("HTTPS_PROXY", f"https://127.0.0.1:{good.getsockname()[1]}")
    resolve = Resolver({"a.test": ["127.0.0.1"]})
    c = client(allow_hosts=("a.test",), resolve=resolve)
    assert c.get(f"https://a.test:{target.port}/x").content == b"through"
    assert [line.rsplit(b" ", 1)[0] for line in connects] == [f"CONNECT a.test:{target.port}".encode()]
    monkeypatch.setenv("HTTPS_PROXY", f"https://127.0.0.1:{bad.getsockname()[1]}")
    with pytest.raises(FetchError):
        client(allow_hosts=("a.test",), resolve=resolve).get(f"https://a.test:{target.port}/y")
    assert len(connects) == 1 and [p for p, _ in target.log] == ["/x"]
    good.close()
    bad.close()


def test_the_default_bundle_is_requests_own_and_an_unreadable_one_is_a_clear_error(servers, sockets, tmp_path,
                                                                                  monkeypatch):
    """The bundle for ``verify=True`` is the one requests would load (named without importing requests); a
    REQUESTS_CA_BUNDLE that is not a bundle is one clear error, not a connection failure asked three times."""
    import requests.certs

    from migrator.http import TlsContexts

    assert TlsContexts.where(True) == requests.certs.where()
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(junk))
    srv = servers("127.0.0.1")
    c = client(cfg=HttpConfig(retries=3), allow_hosts=("a.test",), resolve=Resolver({"a.test": ["127.0.0.1"]}))
    with pytest.raises(FetchError, match=f"cannot load the CA bundle {junk}") as e:
        c.get(f"https://a.test:{srv.port}/x")
    assert "REQUESTS_CA_BUNDLE" in e.value.hint
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "nowhere.pem"))
    with pytest.raises(FetchError, match="cannot load the CA bundle .*nowhere.pem: no such file"):
        client(allow_hosts=("a.test",), resolve=Resolver({"a.test": ["127.0.0.1"]})).get(f"https://a.test:{srv.port}/x")
    assert sockets == [] and srv.log == []


@pytest.mark.parametrize("spelling", ["2130706433", "0x7f.1", "017700000001", "127.1", "0x7f000001", "0"])
def test_numeric_ipv4_spellings_are_seen_by_the_guard_as_the_resolver_reads_them(spelling, servers, sockets):
    srv = servers("127.0.0.1")
    url = f"http://{spelling}:{srv.port}/x"
    with pytest.raises(BlockedAddressError, match=r"non-public address (127\.0\.0\.1|0\.0\.0\.0)"):
        client().get(url)
    assert srv.log == [] and sockets == []
    if spelling != "0":  # allowed, the fetch lands on the very address the guard judged
        assert client(allow_private=True).get(url).content == b"ok"
        assert sockets == [("127.0.0.1", srv.port)]


@pytest.mark.parametrize(
    ("ip", "public"),
    [
        ("100.64.0.1", False), ("100.127.255.254", False), ("0.0.0.0", False), ("192.0.2.1", False),
        ("198.18.0.1", False), ("::ffff:169.254.169.254", False), ("::ffff:0:7f00:1", False),
        ("::127.0.0.1", False), ("64:ff9b::7f00:1", False), ("64:ff9b::a9fe:a9fe", False),
        ("64:ff9b:1::1", False), ("2002:7f00:1::", False), ("2002:a00:1::1", False), ("ff0e::1", False),
        ("2001::1", False), ("2001:db8::1", False), ("fd00:ec2::254", False),
        ("64:ff9b::808:808", True), ("2002:808:808::1", True), ("::ffff:8.8.8.8", True), ("1.1.1.1", True),
    ],
)
def test_public_means_is_global_also_inside_ipv6_transition_forms(ip, public):
    assert mhttp.is_public_address(ip) is public


def test_cloud_metadata_is_refused_even_with_allow_private_network(servers, sockets):
    resolver = Resolver({
        "metadata.test": ["169.254.169.254"], "aws6.test": ["fd00:ec2::254"],
        "mapped.test": ["::ffff:169.254.169.254"], "metadata.google.internal": ["169.254.169.254"],
        "metadata.google.internal.": ["169.254.169.254"],
    })
    c = client(allow_private=True, resolve=resolver)
    for url in ["http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/latest/", "http://metadata.test/",
                "http://aws6.test/", "http://mapped.test/", "http://metadata.google.internal/computeMetadata/v1/",
                "http://METADATA.google.internal./computeMetadata/v1/"]:
        with pytest.raises(BlockedAddressError, match="cloud metadata") as e:
            c.get(url)
        assert "allow_private_hosts" in str(e.value)
    assert not [h for h in resolver.calls if h.startswith("metadata.google")]  # refused by name, unresolved

    page = servers("127.0.0.1", answer=lambda h: send(h, 302, b"", {"Location": "http://metadata.test/iam/"}))
    with pytest.raises(BlockedAddressError, match="169.254.169.254"):
        c.get(page.url + "/img")
    assert len(page.log) == 1 and sockets == [("127.0.0.1", page.port)]

    # only a host named in allow_private_hosts may reach it (checked here without connecting)
    c = client(allow_hosts=("metadata.google.internal",), resolve=resolver)
    c.check_url("http://metadata.google.internal/computeMetadata/v1/")
    assert c._pinned_addresses("metadata.google.internal", 80) == ["169.254.169.254"]


def test_through_a_proxy_the_target_is_checked_by_name_and_not_pinned(servers, sockets, monkeypatch):
    proxy = servers("127.0.0.1", answer=lambda h: send(h, 200, b"via proxy"))
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    c = client(resolve=Resolver({"blog.test": ["8.8.8.8"], "lan.test": ["10.0.0.5"]}))
    assert c.get("http://blog.test/feed").content == b"via proxy"
    assert proxy.log[-1][0] == "http://blog.test/feed" and sockets == [("127.0.0.1", proxy.port)]
    with pytest.raises(BlockedAddressError, match="lan.test resolves to the non-public address 10.0.0.5"):
        c.get("http://lan.test/admin")
    assert len(proxy.log) == 1


# --- item 2: a total deadline per attempt --------------------------------------------------------------------


def drip_body(h):
    h.send_response(200)
    h.send_header("Content-Length", "30")
    h.end_headers()
    h.wfile.flush()
    for _ in range(30):  # a byte every 0.1 s: each read is quick, the whole takes 3 s
        h.wfile.write(b"x")
        h.wfile.flush()
        time.sleep(0.1)


def drip_headers(h):
    h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Slow: ")
    for _ in range(30):
        h.wfile.write(b"z")
        h.wfile.flush()
        time.sleep(0.1)
    h.wfile.write(b"\r\n\r\nok")


@pytest.mark.parametrize("answer", [drip_body, drip_headers], ids=["body", "headers"])
def test_a_server_dripping_bytes_is_cut_at_the_deadline_and_retried(answer, servers):
    srv = servers("127.0.0.1", answer=answer)
    waits: list[float] = []
    cfg = HttpConfig(deadline=1.0, read_timeout=5, retries=2, backoff=0.01)
    c = HttpClient(cfg, allow_private=True, sleep=waits.append)
    start = time.monotonic()
    with pytest.raises(FetchError, match=r"no complete answer within the 1-second deadline .*gave up after 2 attempts"):
        c.get(srv.url + "/slow")
    elapsed = time.monotonic() - start
    assert len(srv.log) == 2 and len(waits) == 1  # retried once, as a timeout is
    assert 1.9 < elapsed < 4.0  # two attempts of ~1 s each, not 2 x 3 s of dripping


def test_one_watchdog_thread_serves_every_exchange_and_a_fast_one_is_not_cut(servers):
    """The deadline costs no thread per request (it did: a thread started per exchange, more CPU than the
    request's own Python); exchanges that finish in time are never expired, a slow one after them still is."""
    import threading

    def ok(h):
        h.send_response(200)
        h.send_header("Content-Length", "2")
        h.end_headers()
        h.wfile.write(b"ok")

    srv = servers("127.0.0.1", answer=ok)
    c = HttpClient(HttpConfig(deadline=1.0, retries=1), allow_private=True)
    before = threading.active_count()
    for n in range(50):
        assert c.get(f"{srv.url}/{n}").text() == "ok"
    assert sum(t.name == "http-deadline" for t in threading.enumerate()) == 1
    assert threading.active_count() <= before + 1
    slow = servers("127.0.0.1", answer=drip_body)
    with pytest.raises(FetchError, match="1-second deadline"):
        c.get(slow.url + "/slow")


def test_a_streamed_body_keeps_its_first_4k_and_last_1k(servers, tmp_path):
    """What the image checks read (the type from the head, completeness from the tail), kept while the body
    streams to its file, so the file is not opened again."""
    import random as _random

    body = _random.Random(5).randbytes(200_000)

    def big(h):
        h.send_response(200)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        for i in range(0, len(body), 7_000):  # odd-sized writes: chunks of every size reach the client
            h.wfile.write(body[i : i + 7_000])

    srv = servers("127.0.0.1", answer=big)
    got = HttpClient(HttpConfig(retries=1), allow_private=True).get(srv.url + "/big", to_file=tmp_path / "f")
    assert got.head == body[:4096] and got.tail == body[-1024:] and (tmp_path / "f").read_bytes() == body


def test_the_deadline_is_a_setting(tmp_path):
    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text("http:\n  deadline: 7.5\n")
    assert load_config(cfg_file).http.deadline == 7.5
    assert HttpConfig().deadline == 120.0


def test_a_refused_connection_says_so(servers, sockets):
    """What the system said, not the name of requests' exception class ("connection failed (ConnectionError)")."""
    srv = servers("127.0.0.1")
    port = srv.port
    srv.close()
    with pytest.raises(FetchError, match=r"connection failed \(connection refused\) \(gave up after 2 attempts\)"):
        client(cfg=HttpConfig(retries=2), allow_private=True).get(f"http://127.0.0.1:{port}/x")
    with pytest.raises(FetchError, match=r"\(gave up after 1 attempt\)"):
        client(cfg=HttpConfig(retries=1), allow_private=True).get(f"http://127.0.0.1:{port}/x")
