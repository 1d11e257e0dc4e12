"""No Tistory host can make a run go on forever: a host that answers every id, one that answers every id with
a different post, a sitemap of a million URLs, and Ctrl-C while pages are being fetched."""

from __future__ import annotations

import re
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from server import serve_in_background, stop_serving

from migrator.config import load_config
from migrator.http import HttpClient
from migrator.sources.tistory import Budget, TistorySource


def page(n: int) -> str:
    return (
        f"<html><head><meta property='og:type' content='article'><meta property='og:title' content='Post {n}'>"
        "<meta property='article:published_time' content='2020-01-01T10:00:00+09:00'>"
        "<link rel='alternate' type='application/rss+xml' href='/rss'>"
        f"<script>window.T.entryInfo = {{\"entryId\":{n},\"categoryLabel\":\"\"}};</script></head><body>"
        f"<div class='tt_article_useless_p_margin contents_style'><p>Body of post {n}.</p></div></body></html>"
    )


class Host:
    """A Tistory-like host: no sitemap, an RSS whose newest post is ``top``, and ``answer(n)`` for /<n>."""

    def __init__(self, top: int, answer, sitemap: bytes | None = None) -> None:  # type: ignore[no-untyped-def]
        self.requests: list[str] = []
        host = self

        class H(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                host.requests.append(self.path)
                if self.path == "/sitemap.xml" and sitemap is not None:
                    return self._send(200, sitemap, "application/xml")
                if self.path == "/rss":
                    rss = (f"<rss version='2.0'><channel><title>t</title><generator>TISTORY</generator><item>"
                           f"<title>Post {top}</title><link>{host.url}/{top}</link>"
                           "<pubDate>Wed, 01 Jan 2020 10:00:00 +0900</pubDate><description>d</description>"
                           "</item></channel></rss>")
                    return self._send(200, rss.encode(), "application/rss+xml")
                m = re.fullmatch(r"/(\d+)", self.path)
                body = answer(int(m.group(1))) if m else None
                if body is None:
                    return self._send(404, b"no", "text/html")
                return self._send(200, body.encode(), "text/html; charset=utf-8")

            def _send(self, code, body, ctype):  # type: ignore[no-untyped-def]
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        serve_in_background(self.httpd)

    def close(self) -> None:
        stop_serving(self.httpd)


def source(url: str, **tistory) -> tuple[TistorySource, HttpClient]:
    overrides = {"allow_private_network": True, "platform": "tistory", "tistory.delay": 0,
                 **{f"tistory.{k}": v for k, v in tistory.items()}}
    cfg = load_config(None, overrides)
    http = HttpClient(cfg.http, allow_private=True)
    return TistorySource.open(url, cfg, http), http


def test_a_host_that_answers_every_id_with_one_page_stops_after_the_missing_run():
    host = Host(100_000, lambda n: page(100_000))  # the same post, whatever the id
    try:
        src, http = source(host.url, max_missing_run=10)
        posts = list(src.posts())
        http.close()
    finally:
        host.close()
    assert [p.id for p in posts] == ["100000"]
    assert len([r for r in host.requests if re.fullmatch(r"/\d+", r)]) <= 12, len(host.requests)


def test_a_host_with_endless_distinct_ids_stops_at_the_enumeration_cap_and_says_so():
    host = Host(100_000, page)  # every id is a different post
    try:
        src, http = source(host.url, max_enumerate=30)
        posts = list(src.posts())
        http.close()
    finally:
        host.close()
    assert 25 <= len(posts) <= 32 and src.incomplete
    assert any("stopped enumerating post ids" in w and "tistory.max_enumerate" in w for w in src.warnings)


def test_budget_by_time():
    b = Budget(0, 0.05)
    assert not b.spent()
    time.sleep(0.08)
    assert b.spent() and "s spent" in b.why()


STREAM_CHECK = """
import resource, sys
from migrator.config import load_config
from migrator.http import HttpClient
from migrator.sources.tistory import TistorySource
n = int(sys.argv[1])
head = "<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
posts = "".join(f"<url><loc>https://x.tistory.com/{i}</loc><lastmod>2020-01-01</lastmod></url>" for i in (1, 2, 3))
rest = "".join(f"<url><loc>https://x.tistory.com/m/category/c{i}</loc></url>" for i in range(n - 3))
raw = (head + posts + rest + "</urlset>").encode()
del posts, rest
cfg = load_config(None, {"platform": "tistory"})
src = TistorySource("https://x.tistory.com", cfg, HttpClient(cfg.http))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out = []
count = src._read_sitemap(raw, [], out, set())
grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(count, len(out), grew)
"""


def test_a_big_sitemap_is_streamed_not_held_as_a_tree():
    import subprocess
    import sys

    n = 300_000  # the old reader held such a sitemap as a tree: about 210 MB (707 MB for a million URLs)
    proc = subprocess.run([sys.executable, "-c", STREAM_CHECK, str(n)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    count, kept, grew_kib = map(int, proc.stdout.split())
    assert count == n and kept == 3
    assert grew_kib < 40_000, grew_kib  # peak RSS grows by less than 40 MB while it is read
