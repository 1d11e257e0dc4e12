"""`migrator redirects`: the map (pure), each format, and old URLs followed in headless Chromium to the new site."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import requests

from migrator.redirects import (
    RedirectMap,
    SitePost,
    build_map,
    jekyll_post_url,
    jekyll_slugify,
    netlify_redirects,
    new_base,
    nginx_map,
    normalize_path,
    redirect_script,
)
from migrator.sources.blogger import blogger_theme
from migrator.sources.tistory import tistory_snippet
from redirect_harness import CHROMIUM, NewSite, OldBlog, land, parse_theme, render_blogger

ROOT = Path(__file__).resolve().parent.parent
JEKYLL = shutil.which("jekyll")
NGINX = shutil.which("nginx") or next((str(p) for p in [ROOT / ".venv/nginx/usr/sbin/nginx"] if p.exists()), None)
need_browser = pytest.mark.skipif(
    (CHROMIUM is None or JEKYLL is None) and not os.environ.get("CI"), reason="chromium and jekyll are needed"
)

HOSTILE = '"q"&<b>]]></script><!--\u2028[##_x_##]'


def post(pid: str, path: str, title: str = "t", **kw) -> SitePost:
    return SitePost(pid, kw.pop("kind", "post"), title, "https://old.example.com" + quote(path), quote(path), (path,), **kw)


# --- pure ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, norm",
    [
        ("/2024/03/a.html?m=1", "/2024/03/a.html"),
        ("/2024/03/a.html?m=1#c5", "/2024/03/a.html"),
        ("/entry/%EC%83%88-%EA%B8%80", "/entry/새-글"),
        ("/entry/\u1109\u1162", "/entry/새"),  # NFD Hangul -> NFC
        ("//2024//03/", "/2024/03"),
        ("/search/label/edge%20cases", "/search/label/edge cases"),
        ("/%ff", "/%ff"),  # not UTF-8: kept as it came
        ("", "/"),
    ],
)
def test_normalize_path(raw, norm):
    assert normalize_path(raw) == norm


@pytest.mark.parametrize(
    "name, slug", [("Jekyll", "jekyll"), ("edge cases", "edge-cases"), ("일상", "일상"), ("C++ / Rust!", "c-rust")]
)
def test_slugify_is_jekylls(name, slug):
    assert jekyll_slugify(name) == slug


def test_jekyll_post_urls():
    from datetime import datetime

    d = datetime(2024, 3, 2, 9, 15)
    assert jekyll_post_url("/:year/:month/:title.html", d, "blog-post_15", ()) == "/2024/03/blog-post_15.html"
    assert jekyll_post_url("pretty", d, "hello", ["IT", "Dev Ops"]) == "/it/dev%20ops/2024/03/02/hello/"
    assert jekyll_post_url(None, d, "새-글", ()) == "/2024/03/02/%EC%83%88-%EA%B8%80.html"
    assert jekyll_post_url("/:i_month/:short_year/:slug", d, "A_b", ()) == "/3/24/a-b"


def test_new_base_uses_the_sites_baseurl_only_when_to_has_no_path():
    assert new_base("https://me.github.io/", "/repo") == "https://me.github.io/repo"
    assert new_base("https://me.github.io/blog", "/repo") == "https://me.github.io/blog"
    with pytest.raises(Exception, match="not an http"):
        new_base("me.github.io")


def test_blogger_map_covers_posts_pages_labels_archives_feeds():
    posts = [
        post("1", "/2024/03/hello.html", "Hello", tags=("news", "edge cases"), month="2024-03"),
        SitePost("2", "page", "About", "https://old.example.com/p/about.html", "/p/about.html", ("/p/about.html",)),
    ]
    m = build_map("blogger", ["https://old.example.com"], posts, "https://new.example.com")
    assert m.lookup("/2024/03/hello.html?m=1") == "https://new.example.com/2024/03/hello.html"
    assert m.lookup("/p/about.html") == "https://new.example.com/p/about.html"
    assert m.lookup("/search/label/edge%20cases?max-results=20") == "https://new.example.com/tags/#edge-cases"
    assert m.lookup("/search/label/unknown") == "https://new.example.com/tags/"
    assert m.lookup("/2024/03/") == "https://new.example.com/archive/#2024-03"
    assert m.lookup("/2024/") == "https://new.example.com/archive/#2024"
    assert m.lookup("/2024_03_01_archive.html") == "https://new.example.com/archive/#2024-03"
    assert m.lookup("/feeds/posts/default?alt=rss") == "https://new.example.com/feed.xml"
    assert m.lookup("/feeds/1234/comments/default") == "https://new.example.com/feed.xml"
    assert m.lookup("/nothing/here.html") == "https://new.example.com/"
    assert m.landing == ("archive", "tags")


def test_tistory_map_covers_ids_slugs_mobile_categories_tags():
    p = SitePost("3", "post", "새 글", "https://x.tistory.com/entry/%EC%83%88-%EA%B8%80", "/entry/%EC%83%88-%EA%B8%80",
                 ("/entry/%EC%83%88-%EA%B8%80", "/m/3"), tags=("에디터",), categories=("개발", "Tools"), month="2025-07")
    m = build_map("tistory", ["https://x.tistory.com"], [p], "https://new.example.com")
    new = "https://new.example.com/entry/%EC%83%88-%EA%B8%80"
    for old in ("/3", "/m/3", "/entry/새-글", "/m/entry/%EC%83%88-%EA%B8%80", "/3?category=12"):
        assert m.lookup(old) == new, old
    assert m.lookup("/category/개발/Tools") == "https://new.example.com/categories/#tools"
    assert m.lookup("/category/%EA%B0%9C%EB%B0%9C") == "https://new.example.com/categories/#개발"
    assert m.lookup("/m/category/개발") == "https://new.example.com/categories/#개발"
    assert m.lookup("/tag/에디터") == "https://new.example.com/tags/#에디터"
    assert m.lookup("/tag/nope") == "https://new.example.com/tags/"
    assert m.lookup("/rss") == "https://new.example.com/feed.xml"
    assert m.lookup("/archive/202507") == "https://new.example.com/archive/#2025-07"
    assert m.lookup("/guestbook") == "https://new.example.com/"


def test_an_archive_page_at_the_old_address_takes_its_labels_and_tags():
    from migrator.redirects import ArchiveLink

    p = post("1", "/2024/03/hello.html", "Hello", tags=("news", "edge cases"), month="2024-03")
    pages = [ArchiveLink("/search/label/news", ("/search/label/news",), "tag", "#news")]
    m = build_map("blogger", ["https://old.example.com"], [p], "https://new.example.com", pages=pages)
    assert m.lookup("/search/label/news?max-results=20") == "https://new.example.com/search/label/news"
    assert m.lookup("/search/label/edge%20cases") == "https://new.example.com/tags/#edge-cases"  # no page: anchor
    # a page never takes a post's own path
    clash = [ArchiveLink("/tag/x", ("/2024/03/hello.html",), "tag")]
    m = build_map("blogger", ["https://old.example.com"], [p], "https://new.example.com", pages=clash)
    assert m.lookup("/2024/03/hello.html") == "https://new.example.com/2024/03/hello.html"


def test_read_archive_pages_takes_only_archive_pages(tmp_path):
    from migrator.redirects import read_archive_pages

    (tmp_path / "archives/tag").mkdir(parents=True)
    (tmp_path / "archives/tag/x.html").write_text(
        "---\ntitle: '#x y'\npermalink: /tag/x%20y\nredirect_from:\n- /m/tag/x%20y\narchive:\n  key: tags\n---\nbody\n"
    )
    (tmp_path / "archives/other.html").write_text("---\npermalink: /other\n---\n")  # not an archive page
    (tmp_path / "archives/bad.html").write_bytes(b"\xff\xfe")
    [link] = read_archive_pages(tmp_path)
    assert link.new_path == "/tag/x%20y" and link.old_paths == ("/tag/x%20y", "/m/tag/x%20y") and link.kind == "tag"
    assert read_archive_pages(tmp_path / "none") == []


def test_a_files_own_path_wins_over_another_posts_alias():
    # post 5's old address is /entry/5; post "5" (numeric id) would alias /5, never /entry/5
    a = post("5", "/entry/five", "five")
    b = post("9", "/5", "the post at /5")
    m = build_map("tistory", ["https://old.example.com"], [a, b], "https://n.example")
    assert m.lookup("/5") == "https://n.example/5"
    assert m.lookup("/entry/five") == "https://n.example/entry/five"


def _hostile_map() -> RedirectMap:
    p = post("1", f"/entry/{HOSTILE}", HOSTILE, tags=(HOSTILE,), month="2024-01")
    return build_map("tistory", ["https://old.example.com"], [p], "https://new.example.com")


def test_the_script_is_safe_for_hostile_paths_and_titles():
    script = redirect_script(_hostile_map())
    for bad in ("</script", "<!--", "]]>", "\u2028", "[##_"):
        assert bad not in script, bad
    data = re.search(r"new Map\((.*?)\), P =", script).group(1)
    pairs = json.loads(data)
    assert [f"/entry/{HOSTILE}", "https://new.example.com" + quote(f"/entry/{HOSTILE}")] in pairs


def test_blogger_theme_is_valid_xml_and_a_blogger_layout():
    theme = blogger_theme(_hostile_map(), title=HOSTILE)
    root = parse_theme(theme)  # lxml: well-formed XML, hostile title and paths escaped
    b = "{http://www.google.com/2005/gml/b}"
    assert root.get(f"{b}version") == "2"
    assert len(root.findall(f".//{b}skin")) == 1  # Blogger wants exactly one skin
    assert root.findall(f".//{b}section") and root.find(f".//{b}section/{b}widget").get("type") == "Blog"
    assert root.find("{http://www.w3.org/1999/xhtml}head/{http://www.w3.org/1999/xhtml}title").text.startswith(HOSTILE)
    rendered = render_blogger(theme, "https://old.example.com/entry/" + quote(HOSTILE))
    assert rendered.count("<script") == 1 and rendered.count("</script>") == 1


def test_blogger_theme_server_side_canonical_and_refresh():
    m = build_map("blogger", ["https://old.example.com"], [post("1", "/2024/03/a.html")], "https://n.example")
    page = render_blogger(blogger_theme(m), "https://old.example.com/2024/03/a.html")
    assert '<link href="https://n.example/2024/03/a.html" rel="canonical">' in page
    assert '<meta content="0; url=https://n.example/2024/03/a.html" http-equiv="refresh">' in page
    other = render_blogger(blogger_theme(m), "https://old.example.com/2024/03/b.html")
    assert '" rel="canonical">' not in other and "location.replace" in other  # the script decides the rest


def test_netlify_redirects_first_match_wins():
    m = _fixture_like_map()
    text = netlify_redirects(m)
    rules = [line.split() for line in text.splitlines() if line and not line.startswith("#")]
    assert all(len(r) == 3 and r[0].startswith("/") and r[1].startswith("https://") and r[2] == "301" for r in rules)
    assert rules[-1] == ["/*", "https://new.example.com/", "301"]
    assert len({r[0] for r in rules}) == len(rules)

    def match(path: str) -> str:  # Netlify's matching: first rule, "*" a splat at the end; the query ignored
        path = urlsplit(path).path
        for src, dest, _ in rules:
            if src == path or (src.endswith("*") and path.startswith(src[:-1])):
                return dest
        raise AssertionError(path)

    assert match("/2024/03/hello.html?m=1") == "https://new.example.com/2024/03/hello.html"
    assert match("/entry/%EC%83%88") == "https://new.example.com/entry/%EC%83%88"
    assert match("/search/label/news") == "https://new.example.com/tags/#news"
    assert match("/search/label/other") == "https://new.example.com/tags/"
    assert match("/feeds/posts/default") == "https://new.example.com/feed.xml"
    assert match("/whatever") == "https://new.example.com/"


def test_same_domain_redirects_skip_identities():
    m = build_map("blogger", ["https://blog.example.com"], [post("1", "/2024/03/a.html")], "https://blog.example.com")
    text = netlify_redirects(m)
    sources = [line.split()[0] for line in text.splitlines() if line and not line.startswith("#")]
    assert "/2024/03/a.html" not in sources and "/*" not in sources  # the new site serves those paths itself


def _fixture_like_map() -> RedirectMap:
    return build_map(
        "blogger",
        ["https://old.example.com"],
        [post("1", "/2024/03/hello.html", tags=("news",), month="2024-03"), post("2", "/entry/새", "k")],
        "https://new.example.com",
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(NGINX is None and not os.environ.get("CI"), reason="nginx is not available (make jekyll fetches it)")
def test_nginx_map_passes_nginx_t_and_redirects(tmp_path):
    assert NGINX, "CI must have nginx (make jekyll extracts Debian's nginx into .venv/nginx)"
    m = build_map(
        "tistory",
        ["https://old.example.com"],
        [post("1", "/2024/03/hello.html", tags=("news",), month="2024-03"), post("2", "/entry/새 글", "k"),
         post("3", f"/entry/{HOSTILE}", HOSTILE), post("4", "/~tilde$var", "t")],
        "https://new.example.com",
    )  # fmt: skip
    port = _free_port()
    conf = nginx_map(m).replace("listen 80;", f"listen 127.0.0.1:{port};")
    (tmp_path / "redirects.conf").write_text(conf)
    for d in ("logs", "tmp"):
        (tmp_path / d).mkdir()
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"daemon off; pid {tmp_path}/nginx.pid; error_log {tmp_path}/logs/error.log;\n"
        "events { worker_connections 64; }\n"
        f"http {{ access_log off; client_body_temp_path {tmp_path}/tmp; proxy_temp_path {tmp_path}/tmp;\n"
        f"fastcgi_temp_path {tmp_path}/tmp; uwsgi_temp_path {tmp_path}/tmp; scgi_temp_path {tmp_path}/tmp;\n"
        f"include {tmp_path}/redirects.conf; }}\n"
    )
    test = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(main)], capture_output=True, text=True)
    assert test.returncode == 0, test.stderr
    proc = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(main)], stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        cases = {
            "/2024/03/hello.html?m=1": "https://new.example.com/2024/03/hello.html",
            "/entry/%EC%83%88%20%EA%B8%80": "https://new.example.com/entry/%EC%83%88%20%EA%B8%80",
            "/entry/" + quote(HOSTILE): "https://new.example.com" + quote(f"/entry/{HOSTILE}"),
            "/~tilde$var": "https://new.example.com/~tilde%24var",
            "/search/label/news": "https://new.example.com/",  # tistory map: Blogger's label path is unknown
            "/tag/news": "https://new.example.com/tags/#news",
            "/tag/other": "https://new.example.com/tags/",
            "/rss": "https://new.example.com/feed.xml",
            "/nothing": "https://new.example.com/",
        }
        for path, want in cases.items():
            r = requests.get(f"http://127.0.0.1:{port}{path}", headers={"Host": "old.example.com"},
                             allow_redirects=False, timeout=5)  # fmt: skip
            assert r.status_code == 301, (path, r.status_code)
            assert r.headers["Location"] == want, path
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# --- in a real browser: old URL -> new page -----------------------------------------------------------------


def _build(site: Path) -> Path:
    proc = subprocess.run([JEKYLL, "build", "--source", str(site), "--destination", str(site / "_site")],
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return site / "_site"


@need_browser
def test_blogger_theme_sends_every_old_url_home_in_chromium(quiet_server, blog, migrate, cli, tmp_path):
    res, site = migrate(quiet_server)
    assert res.code == 0, res
    origin = json.loads((site / ".migrator/manifest.json").read_text())["source"]["url"]
    with NewSite(site / "_site") as new:
        res = cli("redirects", site, "--to", new.url)
        assert res.code == 0, res
        assert "12 post" in res.out and "2 page" in res.out
        _build(site)
        theme = (site / "_migrator/redirects/blogger-theme.xml").read_text()
        parse_theme(theme)
        with OldBlog(lambda path: render_blogger(theme, origin + urlsplit(path).path)) as old:
            expected = {}
            for e in blog.entries:
                if e["status"] != "live":
                    continue
                expected[old.url + e["path"]] = (new.url + e["path"], e["title"])
                expected[old.url + e["path"] + "?m=1"] = (new.url + e["path"], e["title"])
            labels = sorted({label for e in blog.entries if e["status"] == "live" for label in e.get("labels", [])})
            for label in labels:  # each label has its archive page at the old address: the redirect lands there
                expected[old.url + "/search/label/" + quote(label)] = (new.url + "/search/label/" + quote(label), "#" + label)
            assert labels and (site / "archives").is_dir()
            expected[old.url + "/2024/03/"] = (new.url + "/archive/#2024-03", "Archive")
            expected[old.url + "/2012/"] = (new.url + "/archive/#2012", "Archive")
            expected[old.url + "/2024_07_01_archive.html"] = (new.url + "/archive/#2024-07", "Archive")
            expected[old.url + "/feeds/posts/default?alt=rss"] = (new.url + "/feed.xml", None)
            expected[old.url + "/no/such/post.html"] = (new.url + "/", "Example Blog")
            expected[old.url + "/search?q=x"] = (new.url + "/", "Example Blog")
            page_urls = [u for u, (want, _) in expected.items() if not want.endswith(".xml")]
            landed = land(old, page_urls, tmp_path / "profile")
    _check_landings(expected, landed, page_urls, new)
    # a feed has no page to report from: the theme's map sends it to the new feed (Blogger serves feeds itself:
    # the README says to set Settings -> Site feed -> Post feed redirect URL)
    assert f'["/feeds/posts/default","{new.url}/feed.xml"]' in theme
    for path in ("/2024/03/hello-world.html", "/p/about.html"):  # server-side: canonical + refresh without JS
        page = render_blogger(theme, origin + path)
        assert f'<link href="{new.url}{path}" rel="canonical">' in page
        assert f'content="0; url={new.url}{path}" http-equiv="refresh"' in page


def _check_landings(expected, landed, page_urls, new):
    missing = [u for u in page_urls if u not in landed]
    assert not missing, f"no landing reported for {missing}"
    for url in page_urls:
        want, title = expected[url]
        got = landed[url]
        assert got["href"] == want, (url, got)
        assert got["status"] == 200, (url, got)
        if "#" in want:
            assert got["anchor"] == "true", (url, got)  # the tag, category or month is on the page
        if title:
            assert title[:10] in got["title"], (url, got)  # jekyll-seo-tag curls the quotes of the rest


@need_browser
def test_tistory_snippet_sends_every_old_url_home_in_chromium(tserver, tblog, cli, tmp_path):
    from conftest import TISTORY_CONFIG

    site = tmp_path / "site"
    res = cli("migrate", tserver.url, "--out", site, "--config", TISTORY_CONFIG)
    assert res.code == 0, res
    _add_hostile_post(site)
    with NewSite(site / "_site") as new:
        res = cli("redirects", site, "--to", new.url, "--format", "tistory-skin")
        assert res.code == 0, res
        _build(site)
        snippet = (site / "_migrator/redirects/tistory-head.html").read_text()
        skin = ('<!DOCTYPE html><html lang="ko"><head>' + snippet + '<link rel="canonical" href="{canon}">'
                "<title>old blog</title></head><body>old skin</body></html>")  # fmt: skip
        with OldBlog(lambda path: skin.replace("{canon}", "https://old.example" + path)) as old:
            slug = "/entry/" + quote("새-에디터로-쓴-글")
            expected = {
                old.url + "/1": (new.url + "/1", "리눅스 서버 상태"),
                old.url + "/m/1": (new.url + "/1", "리눅스 서버 상태"),
                old.url + "/4?category=3": (new.url + "/4", "성능 측정"),
                old.url + "/3": (new.url + slug, "새 에디터로 쓴 글"),
                old.url + slug: (new.url + slug, "새 에디터로 쓴 글"),
                old.url + "/m" + slug: (new.url + slug, "새 에디터로 쓴 글"),
                old.url + "/entry/" + quote(HOSTILE): (new.url + "/entry/" + quote(HOSTILE, safe=""), None),
                # categories and tags have their archive pages at the old addresses: the redirect lands there
                old.url + "/category/" + quote("개발/Tools"): (new.url + "/category/" + quote("개발/Tools"), "개발/Tools"),
                old.url + "/category/" + quote("잡담"): (new.url + "/category/" + quote("잡담"), "잡담"),
                old.url + "/tag/" + quote("더티 플래그"): (new.url + "/tag/" + quote("더티 플래그"), "#더티 플래그"),
                old.url + "/tag/linux": (new.url + "/tag/linux", "#linux"),
                old.url + "/archive/202405": (new.url + "/archive/#2024-05", "Archive"),
                old.url + "/archive/202305": (new.url + "/archive/", "Archive"),  # a month without posts
                old.url + "/guestbook": (new.url + "/", None),
            }
            urls = list(expected)
            landed = land(old, urls, tmp_path / "profile")
    _check_landings(expected, landed, urls, new)


def _add_hostile_post(site: Path) -> None:
    """A post whose old path and title are hostile (quotes, </script>, ]]>, a Tistory substitution)."""
    m = json.loads((site / ".migrator/manifest.json").read_text())
    rel = "_posts/2024-01-01-hostile.md"
    m["posts"]["99"] = {**m["posts"]["1"], "path": rel, "title": HOSTILE,
                        "source_url": m["source"]["url"] + "/entry/" + quote(HOSTILE)}  # fmt: skip
    (site / ".migrator/manifest.json").write_text(json.dumps(m))
    import yaml

    fm = {"title": HOSTILE, "date": "2024-01-01 10:00:00 +0900", "permalink": "/entry/" + quote(HOSTILE, safe="")}
    (site / rel).write_text("---\n" + yaml.safe_dump(fm, allow_unicode=True) + "---\n\nhostile\n")


def test_tistory_snippet_is_plain_html_for_the_skin_head():
    text = tistory_snippet(_hostile_map())
    assert text.count("<script>") == 1 and text.count("</script>") == 1 and "[##_" not in text.split("-->", 1)[1]


@need_browser
def test_screenshots_of_the_new_site_and_a_redirect_landing(quiet_server, migrate, cli, tmp_path):
    """The README's pictures, taken here: the built site's home page, and an old post URL opened through the
    Blogger theme, landed on the new site. `UPDATE_DOCS=1 pytest -k screenshots` writes them to docs/."""
    from redirect_harness import chromium_flags

    res, site = migrate(quiet_server)
    origin = json.loads((site / ".migrator/manifest.json").read_text())["source"]["url"]
    with NewSite(site / "_site") as new:
        assert cli("redirects", site, "--to", new.url).code == 0
        assert cli("publish", site, "--github-pages").code == 0  # the comments include, as the README's steps
        _build(site)
        theme = (site / "_migrator/redirects/blogger-theme.xml").read_text()
        with OldBlog(lambda path: render_blogger(theme, origin + urlsplit(path).path)) as old:
            shots = {"after-migration-home.png": new.url + "/",
                     "redirect-landing.png": old.url + "/2024/03/hello-world.html?m=1"}  # fmt: skip
            for name, url in shots.items():
                out = tmp_path / name
                subprocess.run([CHROMIUM, *chromium_flags(tmp_path / "profile"), "--hide-scrollbars",
                                "--virtual-time-budget=10000", "--window-size=900,640", f"--screenshot={out}", url],
                               capture_output=True, timeout=120)  # fmt: skip
                assert out.exists() and out.stat().st_size > 5_000, name
                if os.environ.get("UPDATE_DOCS"):
                    (ROOT / "docs").mkdir(exist_ok=True)
                    shutil.copyfile(out, ROOT / "docs" / name)
        assert "/2024/03/hello-world.html" in new.paths  # the landing was the new post, not the old page
