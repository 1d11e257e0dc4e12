"""Stand-ins for the old blog and the new site, on 127.0.0.1, and headless Chromium to walk between them.

- :func:`render_blogger` renders a Blogger layout theme the way Blogger does for one page, for the subset
  of the theme language migrator's theme uses (``b:if`` on ``data:blog.canonicalUrl``, ``b:skin``,
  ``b:section``/``b:widget``, ``expr:dir``): anything else is an error, so the simulation cannot pass a
  theme Blogger would render differently.
- :class:`OldBlog` answers every path with that rendering (or with a Tistory page whose ``<head>`` holds the
  snippet); :class:`NewSite` serves a built ``_site`` as GitHub Pages does (``/a`` -> ``a.html``, ``/a/`` ->
  ``a/index.html``) and adds a script that reports where the browser landed.
- :func:`land` opens a list of old URLs in one Chromium run (one iframe each, on a harness page) and
  returns where each landed: the new URL, its HTTP status, its title, and whether its ``#anchor`` exists.
"""

from __future__ import annotations

import html
import json
import mimetypes
import re
import shutil
import subprocess
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from lxml import etree
from server import serve_in_background, stop_serving

B = "http://www.google.com/2005/gml/b"
EXPR = "http://www.google.com/2005/gml/expr"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
_VOID = {"meta", "link", "br", "img", "input", "hr"}


def parse_theme(text: str) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, strip_cdata=False)
    return etree.fromstring(text.encode("utf-8"), parser)


def _eval_cond(cond: str, canonical: str) -> bool:
    m = re.fullmatch(r'\s*data:blog\.canonicalUrl\s*==\s*"([^"]*)"\s*', cond)
    if not m:
        raise AssertionError(f"the simulated Blogger does not know the condition {cond!r}")
    return m.group(1) == canonical


def _render(el: etree._Element, canonical: str, out: list[str]) -> None:
    if not isinstance(el.tag, str):  # a comment or processing instruction: Blogger drops comments too
        if el.tail:
            out.append(html.escape(el.tail, quote=False))
        return
    q = etree.QName(el)
    if q.namespace == B:
        if q.localname == "if":
            if _eval_cond(el.get("cond", ""), canonical):
                _children(el, canonical, out)
        elif q.localname == "skin":
            out.append(f"<style>{el.text or ''}</style>")
        elif q.localname == "section":
            out.append(f'<div class="section" id="{html.escape(el.get("id", ""))}">')
            _children(el, canonical, out)
            out.append("</div>")
        elif q.localname == "widget":
            out.append(f'<div class="widget {html.escape(el.get("type", ""))}" id="{html.escape(el.get("id", ""))}"></div>')
        else:
            raise AssertionError(f"the simulated Blogger does not know <b:{q.localname}>")
    else:
        attrs = []
        for k, v in el.attrib.items():
            kq = etree.QName(k)
            if kq.namespace == B:
                continue
            if kq.namespace == EXPR:
                if v != "data:blog.languageDirection":
                    raise AssertionError(f"the simulated Blogger does not know expr {v!r}")
                attrs.append(f'{kq.localname}="ltr"')
                continue
            attrs.append(f'{kq.localname}="{html.escape(v, quote=True)}"')
        name = q.localname
        out.append(f"<{name}{''.join(' ' + a for a in attrs)}>")
        if name not in _VOID:
            if name in ("script", "style"):
                out.append(el.text or "")  # raw text (the CDATA's content), as Blogger writes it
                out.extend(etree.tostring(c, encoding="unicode") for c in el)
            else:
                if el.text:
                    out.append(html.escape(el.text, quote=False))
                _children(el, canonical, out)
            out.append(f"</{name}>")
    if el.tail:
        out.append(html.escape(el.tail, quote=False))


def _children(el: etree._Element, canonical: str, out: list[str]) -> None:
    for child in el:
        _render(child, canonical, out)


def render_blogger(theme: str, canonical: str) -> str:
    """The HTML Blogger serves for the page whose canonical URL is ``canonical``."""
    out = ["<!DOCTYPE html>\n"]
    _render(parse_theme(theme), canonical, out)
    return "".join(out)


class _Server:
    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self):
        self.thread = serve_in_background(self.httpd)
        return self

    def __exit__(self, *exc: object) -> None:
        stop_serving(self.httpd)


def _send(h: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str = "text/html; charset=utf-8") -> None:
    h.send_response(status)
    h.send_header("Content-Type", ctype)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


HARNESS = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><ol id="out"></ol><script>
var urls = %s;
window.addEventListener("message", function (e) {
  var d = e.data; if (!d || d.name === undefined) return;
  var li = document.createElement("li");
  li.setAttribute("data-i", d.name); li.setAttribute("data-href", d.href);
  li.setAttribute("data-status", d.status); li.setAttribute("data-anchor", d.anchor);
  li.textContent = d.title; document.getElementById("out").appendChild(li);
});
urls.forEach(function (u, i) {
  var f = document.createElement("iframe"); f.name = "i" + i; f.src = u; document.body.appendChild(f);
});
</script></body></html>"""


class OldBlog(_Server):
    """Serves ``page(path_with_query)`` for every path, and the harness page at ``/__harness__``."""

    def __init__(self, page) -> None:  # type: ignore[no-untyped-def]
        self.page = page
        self.harness_urls: list[str] = []
        outer = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/__harness__":
                    body = HARNESS % json.dumps(outer.harness_urls)
                else:
                    body = outer.page(self.path)
                _send(self, 200, body.encode("utf-8"))

        super().__init__(H)


PROBE = (
    "<script>(function(){var h=location.hash.slice(1);try{h=decodeURIComponent(h)}catch(e){}"
    "parent.postMessage({name:window.name,href:location.href,status:%d,title:document.title,"
    "anchor:h?!!document.getElementById(h):null},'*')})();</script>"
)


class NewSite(_Server):
    """A built site, served like GitHub Pages; each HTML page reports where the browser landed."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.paths: list[str] = []
        outer = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                path = unquote(urlsplit(self.path).path)
                outer.paths.append(path)
                file = outer.resolve(path)
                status = 200 if file else 404
                data = file.read_bytes() if file else b"<html><head><title>404</title></head><body>404</body></html>"
                ctype = "text/html; charset=utf-8"
                if file and not file.name.endswith(".html"):
                    ctype = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
                if ctype.startswith("text/html"):
                    data = data.replace(b"</body>", (PROBE % status).encode() + b"</body>", 1)
                _send(self, status, data, ctype)

        super().__init__(H)

    def resolve(self, path: str) -> Path | None:
        rel = path.lstrip("/")
        if ".." in rel.split("/"):
            return None
        base = self.root / rel
        for cand in (base, base / "index.html", base.with_name(base.name + ".html") if rel else base):
            if cand.is_file():
                return cand
        return None


def chromium_flags(profile: Path) -> list[str]:
    return ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", f"--user-data-dir={profile}"]  # fmt: skip


def land(old: OldBlog, urls: list[str], profile: Path, budget_ms: int = 30000) -> dict[str, dict]:
    """Open every URL in ``urls`` (on ``old``) in one headless Chromium run: where did each land?"""
    assert CHROMIUM, "chromium is not installed"
    old.harness_urls = urls
    proc = subprocess.run(
        [CHROMIUM, *chromium_flags(profile), f"--virtual-time-budget={budget_ms}", "--dump-dom",
         old.url + "/__harness__"],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    results: dict[str, dict] = {}
    for m in re.finditer(r"<li ([^>]*)>(.*?)</li>", proc.stdout):
        attrs = dict(re.findall(r'(data-[a-z]+)="([^"]*)"', m.group(1)))
        i = int(attrs["data-i"][1:])
        results[urls[i]] = {
            "href": html.unescape(attrs["data-href"]),
            "status": int(attrs["data-status"]),
            "anchor": attrs["data-anchor"],
            "title": html.unescape(m.group(2)),
        }
    return results
