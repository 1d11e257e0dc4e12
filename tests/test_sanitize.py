"""The allow-list sanitiser: no script from a post runs in the built site or in the reviewer's report. Every
vector beacons to a local server if it ever runs; headless Chromium opens the built pages and the report."""

from __future__ import annotations

import os
import shutil
import subprocess
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from server import serve_in_background, stop_serving

from migrator import sanitize
from migrator.config import load_config
from migrator.http import HttpClient
from migrator.pipeline import migrate
from migrator.report import render_html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def vectors(b: str) -> list[str]:
    """Script vectors, each beaconing to ``b/<n>`` if it runs (``b`` is a local server)."""
    run = "new Image().src='" + b + "/{n}'"
    return [
        f"<script>{run.format(n=1)}</script>",
        f'<img src="x" onerror="{run.format(n=2)}">',
        f'<iframe srcdoc="<script>{run.format(n=3)}</script>"></iframe>',
        f'<a href="java&#9;script:{run.format(n=4)}">tab link</a>',
        f'<object data="javascript:{run.format(n=5)}"></object>',
        f'<iframe src="data:text/html,<script>{run.format(n=6)}</script>"></iframe>',
        f'<meta http-equiv="refresh" content="0;url={b}/7">',
        f'<base href="{b}/8/"><img src="relative.png">',
        f"<svg><script>{run.format(n=9)}</script></svg><svg onload=\"{run.format(n=10)}\"></svg>",
        f'<embed src="data:image/svg+xml,<svg onload=&quot;{run.format(n=11)}&quot;>">',
        f'<iframe src="{b}/12"></iframe>',
        f'<script src="{b}/13.js"></script>',
        f'<details open ontoggle="{run.format(n=14)}"><summary>s</summary>d</details>',
        f'<video><source onerror="{run.format(n=15)}"></video>',
        f'<noscript><p title="</noscript><img src=x onerror={run.format(n=16)}>"></p></noscript>',
        f'<math><mtext><table><mglyph><style><img src=x onerror="{run.format(n=17)}"></style></mglyph></table></mtext></math>',
        f'<a href=" JaVaScRiPt:{run.format(n=18)}">spaced link</a>',
        f'<form action="{b}/19"><button formaction="javascript:{run.format(n=20)}">go</button></form>',
    ]


@pytest.mark.parametrize(
    ("url", "image", "ok"),
    [
        ("https://example.com/a", False, True),
        ("/relative/path", False, True),
        ("#frag", False, True),
        ("mailto:a@b.c", False, True),
        ("javascript:alert(1)", False, False),
        ("java\tscript:alert(1)", False, False),
        (" \x01JAVASCRIPT:alert(1)", False, False),
        ("vbscript:x", False, False),
        ("data:text/html,<script>", False, False),
        ("data:image/png;base64,AAAA", True, True),
        ("data:image/png;base64,AAAA", False, False),
        ("data:image/svg+xml,<svg onload=x>", True, False),
        ("\\\\evil.example/x", False, False),
    ],
)
def test_safe_url(url, image, ok):
    assert sanitize.safe_url(url, image=image) is ok


def test_allowed_embeds_stay_and_others_lose_their_address():
    html = (
        '<iframe src="https://www.youtube.com/embed/abc" allowfullscreen></iframe>'
        '<iframe src="https://evil.example/x"></iframe>'
        '<script src="https://gist.github.com/u/1.js"></script><script src="https://evil.example/x.js"></script>'
    )
    out, removed = sanitize.clean(html, sanitize.DEFAULT_EMBED_HOSTS)
    assert 'src="https://www.youtube.com/embed/abc"' in out and "evil.example" not in out
    assert f'{sanitize.SCRIPT_MARKER}="https://gist.github.com/u/1.js"' in out
    assert removed.embeds == ["https://evil.example/x.js", "https://evil.example/x"]
    assert "evil.example" in removed.describe() and "embeds.allow_hosts" in removed.describe()
    out, removed = sanitize.clean(html, (*sanitize.DEFAULT_EMBED_HOSTS, "evil.example"))
    assert "https://evil.example/x" in out and not removed.embeds  # the user allowed it


def test_text_and_the_markup_the_converter_needs_survive():
    html = (
        '<p>Intro <a name="more"></a><!-- more --></p><table class="tr-caption-container"><tr><td>'
        '<a href="https://x/s1600/a.png" imageanchor="1"><img src="https://x/s320/a.png" data-original-width="1"></a>'
        '</td></tr><tr><td class="tr-caption">Cap</td></tr></table><pre name="code" class="python">x = 1</pre>'
        '<div data-migrator-attachment="1"><a href="/file.pdf">file</a></div><form>form words</form>'
    )
    out, removed = sanitize.clean(html)
    for kept in ('<a name="more">', "<!-- more -->", 'class="tr-caption-container"', 'class="tr-caption"',
                 'data-original-width="1"', '<pre name="code" class="python">', "data-migrator-attachment",
                 "form words", 'href="https://x/s1600/a.png"'):
        assert kept in out, kept
    assert removed.elements == {"form": 1}


class Beacon:
    def __init__(self) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class H(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/pwned"
        serve_in_background(self.httpd)

    def close(self) -> None:
        stop_serving(self.httpd)


def chromium_dom(path, tmp_path) -> str:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--virtual-time-budget=4000",
             f"--user-data-dir={tmp_path / 'profile'}"]
    return subprocess.run([CHROMIUM, *flags, "--dump-dom", path.as_uri()], capture_output=True, text=True,
                          timeout=120).stdout


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="chromium is not installed")
@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_no_vector_runs_in_the_built_site_or_the_report(tmp_path, fmt):
    from test_one_bad_post import ListSource, post
    from test_site_build import JEKYLL, jekyll_build

    assert CHROMIUM and JEKYLL, "CI must install Debian's chromium and jekyll"
    beacon = Beacon()
    try:
        body = "<p>Words before.</p>" + "".join(f"<div>{v}</div>" for v in vectors(beacon.url)) + "<p>Words after.</p>"
        source = ListSource([post(1, "Hostile", html=body)])
        site = tmp_path / "site"
        overrides = {"out": str(site), "timezone": "UTC", "format": fmt, "images.download": False}
        cfg = load_config(None, overrides)
        http = HttpClient(cfg.http)
        try:
            report = migrate(source, cfg, site, http)
            dry = migrate(ListSource([post(2, "Hostile too", html=body)]), load_config(None, {**overrides, "dry_run": True}),
                          site, http)
        finally:
            http.close()
        assert report.stats.sanitized and "script" in report.stats.sanitized[0][1]
        jekyll_build(site)
        page = next((site / "_site").rglob("p1.html"))
        dom = chromium_dom(page, tmp_path)
        assert "Words before." in dom and "Words after." in dom and "tab link" in dom
        (tmp_path / "report.html").write_text(render_html(dry), encoding="utf-8")
        report_dom = chromium_dom(tmp_path / "report.html", tmp_path)
        assert "Words after." in report_dom  # the preview is there, and inert
    finally:
        beacon.close()
    assert beacon.hits == [], beacon.hits


def test_an_interrupt_inside_the_sanitiser_is_not_swallowed(monkeypatch):
    calls = []
    real = sanitize.safe_url

    def interrupting(value, *, image=False):  # type: ignore[no-untyped-def]
        calls.append(value)
        raise KeyboardInterrupt

    monkeypatch.setattr(sanitize, "safe_url", interrupting)
    with pytest.raises(KeyboardInterrupt):
        sanitize.clean('<p><a href="https://example.com/">link</a></p>')
    assert calls
    monkeypatch.setattr(sanitize, "safe_url", real)
    assert 'href="https://example.com/"' in sanitize.clean('<p><a href="https://example.com/">link</a></p>')[0]
