"""Conversion fidelity, measured on the bundled fixture blogs (not a timed test):

    python bench/fidelity.py

Migrates the Blogger and Tistory fixture blogs in both formats, builds each site with `jekyll build`, and
compares, post by post, the visible text of the source (the post body as the platform serves it, skin
junk removed) with the visible text of the built page: token recall and precision, and the counts of
images, links, headings, list items, table cells and code blocks. Prints a table per construct and the
worst posts.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "fixtures")]

from server import FixtureBlog, FixtureServer, fill  # noqa: E402
from tistory_site import TistoryBlog  # noqa: E402

from migrator.cli import main  # noqa: E402
from migrator.sources.tistory import JUNK_SELECTORS  # noqa: E402

CONSTRUCTS = {
    "images": "img",
    "links": "a[href]",
    "headings": "h1, h2, h3, h4, h5, h6",
    "list items": "li",
    "table cells": "td, th",
    "code blocks": "pre",
}
WORD = re.compile(r"\w+", re.UNICODE)


def visible(el) -> str:
    for junk in el.select("script, style, noscript"):
        junk.decompose()
    return el.get_text(" ")


def tokens(text: str) -> Counter:
    return Counter(w.lower() for w in WORD.findall(text))


def _empty_head(cell) -> bool:
    head = cell.find_parent("thead")
    return head is not None and not head.get_text(strip=True)


def counts(el) -> dict[str, int]:
    out = {}
    for name, sel in CONSTRUCTS.items():
        found = el.select(sel)
        if name == "table cells":  # Blogger's caption tables are layout, not data
            found = [c for c in found if not c.find_parent("table", class_="tr-caption-container")]
            # nor is the empty header row that GFM needs above a table that has none
            found = [c for c in found if c.get_text(strip=True) or not _empty_head(c)]
        if name == "links":  # a link around an image, and Tistory's fold button, are not prose links
            found = [a for a in found if not a.find("img") and "btn-toggle-moreless" not in (a.get("class") or [])]
        out[name] = len(found)
    return out


def source_bodies_blogger(blog: FixtureBlog, server: FixtureServer) -> dict[str, BeautifulSoup]:
    return {
        e["id"]: BeautifulSoup(fill(e["html"], server.url, server.img_url), "lxml")
        for e in blog.entries
        if e["status"] == "live"
    }


def source_bodies_tistory(blog: TistoryBlog, server: FixtureServer) -> dict[str, BeautifulSoup]:
    import requests

    out = {}
    for p in blog.posts:
        if p.get("protected"):
            continue
        path = f"/m/{p['id']}" if p["skin"] == "weird" else blog.path_of(p)  # as the migrator reads it
        soup = BeautifulSoup(requests.get(server.url + path, timeout=10).text, "lxml")
        body = soup.select_one(".tt_article_useless_p_margin, .blogview_content, .contents_style")
        for sel in JUNK_SELECTORS:
            for el in body.select(sel):
                el.decompose()
        out[str(p["id"])] = body
    return out


def rendered_body(site: Path, permalink: str):
    from urllib.parse import unquote

    rel = unquote(permalink).strip("/")
    page = site / "_site" / (rel if rel.endswith(".html") else rel + ".html")
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml")
    return soup.select_one(".post-content") or soup.body


def measure(name: str, blog, config: Path, fmt: str, sources) -> list[dict]:
    tmp = Path(tempfile.mkdtemp(prefix="fidelity-"))
    site = tmp / "site"
    with FixtureServer(blog, faults={}) as server:
        code = main(["migrate", server.url, "--out", str(site), "--config", str(config), "--format", fmt, "-q"])
        assert code == 0, f"{name}: migrate exited {code}"
        bodies = sources(blog, server)
    proc = subprocess.run(["jekyll", "build", "--source", str(site), "--destination", str(site / "_site")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    manifest = json.loads((site / ".migrator/manifest.json").read_text())
    rows = []
    for post_id, src in bodies.items():
        rec = manifest["posts"][post_id]
        import frontmatter

        permalink = frontmatter.load(site / rec["path"])["permalink"]
        out = rendered_body(site, permalink)
        s, r = tokens(visible(src)), tokens(visible(out))
        common = sum((s & r).values())
        rows.append({
            "blog": name, "format": fmt, "post": rec["title"][:40], "path": rec["path"],
            "recall": common / max(1, sum(s.values())), "precision": common / max(1, sum(r.values())),
            "missing": sorted((s - r).elements())[:8], "extra": sorted((r - s).elements())[:8],
            "source": counts(src), "rendered": counts(out),
        })
    shutil.rmtree(tmp, ignore_errors=True)
    return rows


def main_() -> int:
    if shutil.which("jekyll") is None:
        print("jekyll is not installed (apt-get install jekyll)")
        return 2
    rows = []
    for fmt in ("markdown", "html"):
        rows += measure("blogger", FixtureBlog(), ROOT / "fixtures/example-config.yaml", fmt, source_bodies_blogger)
        rows += measure("tistory", TistoryBlog(), ROOT / "fixtures/tistory-config.yaml", fmt, source_bodies_tistory)
    print(f"{'blog':8} {'format':8} {'posts':>5} {'min recall':>10} {'mean recall':>11} {'mean precision':>14}")
    for (blog, fmt) in sorted({(r["blog"], r["format"]) for r in rows}):
        sel = [r for r in rows if r["blog"] == blog and r["format"] == fmt]
        print(f"{blog:8} {fmt:8} {len(sel):5} {min(r['recall'] for r in sel):10.2%} "
              f"{sum(r['recall'] for r in sel) / len(sel):11.2%} {sum(r['precision'] for r in sel) / len(sel):14.2%}")
    print()
    print(f"{'construct':12} {'source':>7} {'rendered':>9} {'posts differing':>16}")
    for name in CONSTRUCTS:
        src = sum(r["source"][name] for r in rows)
        out = sum(r["rendered"][name] for r in rows)
        diff = [r for r in rows if r["source"][name] != r["rendered"][name]]
        print(f"{name:12} {src:7} {out:9} {len(diff):16}")
        for r in diff:
            print(f"    {r['blog']}/{r['format']} {r['path']}: {r['source'][name]} -> {r['rendered'][name]}")
    print()
    print("worst posts by recall:")
    for r in sorted(rows, key=lambda r: (r["recall"], r["precision"]))[:6]:
        print(f"  {r['recall']:7.2%} {r['precision']:7.2%} {r['blog']}/{r['format']} {r['path']}"
              f"  missing={r['missing']} extra={r['extra']}")
    return 0


if __name__ == "__main__":
    sys.exit(main_())
