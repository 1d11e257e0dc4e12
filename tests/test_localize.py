"""``migrator localize``: a site migrated by another tool gets its hot-linked platform images made local,
with byte-exact edits, a dry-run report, a manifest that makes a rerun a no-op, conflicts, retries, and
``--refresh-from`` for expired Tistory signatures. Everything is served on 127.0.0.1 (fixtures/localize_site.py)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
import yaml
from localize_site import RESIZED, CdnSite, local_hosts, real_hosts, write_site
from server import FixtureServer

from conftest import EXAMPLE_CONFIG, tree_snapshot
from migrator.config import Config
from migrator.guard import html_words, markdown_words
from migrator.localize import (
    PlatformRules,
    apply_edits,
    decode_with_map,
    platform_original,
    scan_text,
    site_files,
)

CFILE_POST = "_posts/2024-05-07-old-cfile.html"  # its cfileNN.uf.tistory.com rule needs the real host name
SEOUL = "_posts/2024-05-01-seoul-award.md"
EDITOR = "_posts/2024-05-02-new-editor.html"
EXPIRED = "_posts/2024-05-03-expired.md"
NO_REMOTE = "_posts/2024-05-04-no-remote.md"
FORMS = "_posts/2024-05-06-blogger-forms.md"
OTHER = "_posts/2024-05-08-other-host.md"
UNTOUCHED = (NO_REMOTE, OTHER, "README.md", "notes/todo.md", "_drafts/unfinished.md", "_config.yml")


@pytest.fixture
def cdn() -> CdnSite:
    site = CdnSite()
    site.pages["/15"] = ["jejusea", "halla"]  # the expired post's live page, with fresh signatures
    return site


@pytest.fixture
def cdn_server(cdn: CdnSite):
    with FixtureServer(cdn, faults={}) as s:
        yield s


@pytest.fixture
def site(tmp_path: Path, cdn_server: FixtureServer) -> Path:
    root = tmp_path / "site"
    write_site(root, local_hosts(cdn_server.img_url, cdn_server.url), skip=(CFILE_POST,))
    return root


@pytest.fixture
def localize(cli):
    """``migrator localize SITE`` with 127.0.0.1 playing every platform CDN."""

    def run(site: Path, *extra: str):
        return cli("localize", site, "--image-host", "127.0.0.1", "--allow-private-network", *extra)

    return run


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
            and ".migrator" not in p.relative_to(root).parts}


def stored_images(root: Path) -> dict[str, bytes]:
    return {k: v for k, v in files_of(root).items() if k.startswith("assets/img/") and not k.startswith("assets/img/local/")}


def _url_re(base: str) -> re.Pattern[str]:
    return re.compile(re.escape(base) + r"""(?:[^\s"'<>)&]|&(?!quot;))*""")


def only_urls_changed(old: str, new: str, base: str) -> bool:
    """``new`` is ``old`` with some URLs on ``base`` replaced by /assets/img/ paths, and nothing else."""
    local = re.compile(r"/assets/img/[\w./-]+")

    def norm(text: str) -> str:
        return local.sub("<URL>", _url_re(base).sub("<URL>", text))

    return norm(old) == norm(new)


# --- pure: the platform rules and the scanner ------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "platform", "original"),
    [
        ("https://blogger.googleusercontent.com/img/b/R29vZ2xl/AVvXsEk/s1600/a.png", "blogger",
         "https://blogger.googleusercontent.com/img/b/R29vZ2xl/AVvXsEk/s0/a.png"),
        ("https://blogger.googleusercontent.com/img/b/R29vZ2xl/AVvXsEk/w640-h480/a.png", "blogger",
         "https://blogger.googleusercontent.com/img/b/R29vZ2xl/AVvXsEk/s0/a.png"),
        ("https://blogger.googleusercontent.com/img/a/AVvXsEk=s1600", "blogger",
         "https://blogger.googleusercontent.com/img/a/AVvXsEk=s0"),
        ("http://1.bp.blogspot.com/-a1/b2/AAAAAAAAAAI/c3/s72-c/p.jpg", "blogger",
         "http://1.bp.blogspot.com/-a1/b2/AAAAAAAAAAI/c3/s0/p.jpg"),
        ("https://lh3.googleusercontent.com/AVvXsEk=w640-h480-rw", "blogger",
         "https://lh3.googleusercontent.com/AVvXsEk=s0"),
        ("https://img1.daumcdn.net/thumb/R1280x0/?scode=mtistory2&fname=https%3A%2F%2Fblog.kakaocdn.net%2Fdn%2Fa%2Fb%2Fc%2Fimg.png",
         "tistory", "https://blog.kakaocdn.net/dn/a/b/c/img.png"),
        ("https://t1.daumcdn.net/cfile/tistory/2A3B4C5D6E7F809112131415", "tistory",
         "https://t1.daumcdn.net/cfile/tistory/2A3B4C5D6E7F809112131415?original"),
        ("http://cfile23.uf.tistory.com/image/1F2E3D4C5B6A79880706", "tistory",
         "http://cfile23.uf.tistory.com/original/1F2E3D4C5B6A79880706"),
        ("https://blog.kakaocdn.net/dn/a/b/c/img.jpg", "tistory", "https://blog.kakaocdn.net/dn/a/b/c/img.jpg"),
        ("https://example.blogspot.com/2024/03/post.html", None, None),
        ("https://www.blogger.com/img/icon18_edit_allbkg.gif", None, None),
        ("https://example.com/photo.png", None, None),
    ],
)
def test_platform_original_uses_the_migration_rules(url, platform, original):
    rules = PlatformRules(Config())
    got = platform_original(url, rules)
    if platform is None:
        assert got is None
    else:
        assert (got.platform, got.original) == (platform, original)


def test_signed_tistory_urls_keep_one_key_and_get_the_blogs_referer():
    rules = PlatformRules(Config())
    a = "https://blog.kakaocdn.net/dna/x/y/k/img.png?credential=c&expires=1753973999&allow_ip=&allow_referer=&signature=s1"
    b = "https://blog.kakaocdn.net/dna/x/y/k/img.png?credential=c&expires=1756652399&allow_ip=&allow_referer=&signature=s2"
    first, second = platform_original(a, rules, "https://name.tistory.com"), platform_original(b, rules)
    assert first.key == second.key == "https://blog.kakaocdn.net/dna/x/y/k/img.png"
    assert first.signed and dict(first.headers) == {"Referer": "https://name.tistory.com/"}
    assert dict(second.headers) == {}  # no blog known: no made-up Referer
    hosted = PlatformRules(Config(), image_hosts=("127.0.0.1",))  # a test server plays both CDNs, by path
    assert platform_original("http://127.0.0.1:8/dn/a/b/k/img.png", hosted).platform == "tistory"
    assert platform_original("http://127.0.0.1:8/img/a/K=s400", hosted).original == "http://127.0.0.1:8/img/a/K=s0"


def test_decode_with_map_points_at_the_raw_characters():
    raw = "a?x=1&amp;y=%20&#38;z\\_w"
    value, starts, ends = decode_with_map(raw, backslash=True)
    assert value == "a?x=1&y=%20&z_w"
    i = value.index("&y")
    assert raw[starts[i] : ends[i]] == "&amp;"
    assert raw[starts[value.index("_")] : ends[value.index("_")]] == "\\_"


def test_scan_finds_every_kind_of_reference_and_nothing_in_code():
    text = """---
title: t
image: 'https://blogger.googleusercontent.com/img/b/R29vZ2xl/K1/s1600/a.png'   # quoted, with a comment
header:
  teaser: >-
    https://blogger.googleusercontent.com/img/b/R29vZ2xl/K2/s320/b.png
gallery:
  - url: https://1.bp.blogspot.com/-a/b/AAAAAAAAAAI/c/s1600/g.jpg
source_url: https://name.blogspot.com/2020/01/post.html
---

[![alt [with] brackets](https://1.bp.blogspot.com/-a/b/AAAAAAAAAAI/c/s320/x.jpg "t")](<https://1.bp.blogspot.com/-a/b/AAAAAAAAAAI/c/s1600/x.jpg>)
<a href="https://blogger.googleusercontent.com/img/b/R29vZ2xl/K3/s1600/y.png"><img src="https://blogger.googleusercontent.com/img/b/R29vZ2xl/K3/s320/y.png" srcset="https://blogger.googleusercontent.com/img/b/R29vZ2xl/K3/s320/y.png 1x,https://blogger.googleusercontent.com/img/b/R29vZ2xl/K3/s640/y.png 2x"></a>
<div style="background:url(&quot;https://blog.kakaocdn.net/dn/a/b/c/img.png&quot;)">x</div>
![ref][r1]

[r1]: https://blogger.googleusercontent.com/img/b/R29vZ2xl/K4/s1600/r.png

`![code](https://1.bp.blogspot.com/-a/b/AAAAAAAAAAI/c/s320/code.jpg)` and <https://1.bp.blogspot.com/-a/b/AAAAAAAAAAI/c/s320/auto.jpg>

```
<img src="https://1.bp.blogspot.com/-a/b/AAAAAAAAAAI/c/s320/fenced.jpg">
```

<!-- ![hidden](https://1.bp.blogspot.com/-a/b/AAAAAAAAAAI/c/s320/hidden.jpg) -->
"""
    scan = scan_text(text, markdown=True)
    got = [(f.where, text[f.start : f.end]) for f in scan.found]
    wheres = [w for w, _ in got]
    assert wheres == [
        "front matter image", "front matter header.teaser", "front matter gallery[].url", "front matter source_url",
        "Markdown image", "Markdown link", "<a href>", "<img src>", "<img srcset>", "<img srcset>",
        "style url()", "Markdown reference",
    ], got
    assert all(t.startswith("https://") and " " not in t for _, t in got)
    assert got[10][1] == "https://blog.kakaocdn.net/dn/a/b/c/img.png"
    assert not any(x in text[f.start : f.end] for f in scan.found for x in ("code.jpg", "auto.jpg", "fenced", "hidden"))
    link = next(f for f in scan.found if f.where == "Markdown link")
    assert link.inner == ("https://1.bp.blogspot.com/-a/b/AAAAAAAAAAI/c/s320/x.jpg",)
    assert next(f for f in scan.found if f.where == "<a href>").inner  # the <a> holds an <img>


def test_indented_html_inside_an_open_div_is_html_not_code():
    text = '<div class="separator">\n\n    <img src="https://blogger.googleusercontent.com/img/b/R29vZ2xl/K/s320/a.png">\n</div>\n\n    ![code](https://blogger.googleusercontent.com/img/b/R29vZ2xl/K/s320/b.png)\n'
    assert [text[f.start : f.end].rsplit("/", 1)[-1] for f in scan_text(text, markdown=True).found] == ["a.png"]


def test_clean_removes_each_leftover_and_no_word():
    text = (
        '<h2 data-ke-size="size26">제목</h2>\n'
        '<p data-ke-size="size16">&nbsp;</p>\n'
        '<p data-ke-size="size16">본문 &nbsp;입니다.</p>\n'
        '<div class="separator" style="clear: both; text-align: center;"><a href="x"><img src="/a.png"></a></div>\n'
        "<p>&nbsp;</p><p>남는 문단</p>\n"
        "```\n<p data-ke-size=\"size16\">&nbsp;</p>\n```\n"
        "\n&nbsp;\n\n끝.\n"
    )
    scan = scan_text(text, markdown=True, clean=True)
    new, done = apply_edits(text, scan.cleanups)
    kinds = sorted(e.kind for e in done)
    assert kinds == ["data-ke", "data-ke", "separator", "spacer", "spacer", "spacer"], kinds
    assert new == (
        "<h2>제목</h2>\n"
        "<p>본문 &nbsp;입니다.</p>\n"
        '<div class="separator"><a href="x"><img src="/a.png"></a></div>\n'
        "<p>남는 문단</p>\n"
        "```\n<p data-ke-size=\"size16\">&nbsp;</p>\n```\n"
        "\n\n끝.\n"
    )
    assert markdown_words(new) == markdown_words(text)
    html_text = text.split("```")[0]
    cleaned, _ = apply_edits(html_text, scan_text(html_text, markdown=False, clean=True).cleanups)
    assert html_words(cleaned) == html_words(html_text)


def test_site_files_reads_what_jekyll_reads(site: Path):
    files = {f.rel: f.kind for f in site_files(site)}
    assert files == {
        SEOUL: "post", EDITOR: "post", EXPIRED: "post", NO_REMOTE: "post", FORMS: "post", OTHER: "post",
        "_recipes/kimchi.md": "document", "about.md": "page",
    }  # no README.md (no front matter), notes/ (excluded), _layouts, _drafts (without --include-drafts)
    assert "_drafts/unfinished.md" in {f.rel for f in site_files(site, include_drafts=True)}


# --- the command, end to end -----------------------------------------------------------------------------


def test_dry_run_writes_nothing_and_reports_each_file(site: Path, localize, cdn_server, tmp_path):
    before = tree_snapshot(site)
    for ext in ("json", "md", "html"):
        res = localize(site, "--clean", "--dry-run", "--report", tmp_path / f"plan.{ext}")
        assert res.code == 0, res
    assert tree_snapshot(site) == before and not (site / ".migrator").exists()
    assert cdn_server.log == []  # no image is downloaded in a dry run
    assert "Dry run: nothing was written" in res.out and "images to fetch" in res.out
    plan = json.loads((tmp_path / "plan.json").read_text())
    by_path = {p["path"]: p for p in plan["posts"]}
    seoul = by_path[SEOUL]
    assert seoul["action"] == "update"
    assert "+image: '/assets/img/seoul-award/blogspot.png'" in seoul["diff"]
    assert '-<p data-ke-size="size16">&nbsp;</p>' in seoul["diff"]
    fetch = [i for i in seoul["images"] if i["status"] == "fetch"]
    assert {i["original"].rsplit("/", 2)[-2] for i in fetch} == {"s0"}  # every Blogger size becomes s0
    assert by_path[NO_REMOTE]["action"] == "unchanged" and by_path[NO_REMOTE]["diff"] is None
    assert plan["images"]["to_fetch"] == 17 and plan["localize"]["cleaned"]["data-ke-* attributes"] == 16
    md = (tmp_path / "plan.md").read_text()
    assert f"## update: {SEOUL}" in md and "```diff" in md and "- image fetch:" in md
    page = (tmp_path / "plan.html").read_text()
    assert "<pre class='diff'>" in page and "class='img fetch'" in page and "Content-Security-Policy" in page


def test_localize_byte_exact_rerun_retry_conflict_and_refresh(site: Path, localize, cdn: CdnSite, cdn_server):
    before = files_of(site)
    mtimes = {rel: (site / rel).stat().st_mtime_ns for rel in UNTOUCHED}
    res = localize(site)
    assert res.code == 1, res  # a 404 and two expired signatures
    assert "images localized" in res.out and "HTTP 404" in res.out
    assert "expired signature (the signed URL expired on 2025-07-31)" in res.out
    assert "--refresh-from https://NAME.tistory.com" in res.out
    after = files_of(site)

    # untouched: no remote image, a host that is not a platform's, no front matter, excluded, a draft
    for rel in UNTOUCHED:
        assert after[rel] == before[rel] and (site / rel).stat().st_mtime_ns == mtimes[rel], rel
    # every changed file differs only in the URLs: front matter formatting, comments and the body stay
    base = cdn_server.img_url
    changed = [rel for rel in before if after[rel] != before[rel]]
    assert sorted(changed) == sorted([SEOUL, EDITOR, FORMS, "_recipes/kimchi.md", "about.md"])
    for rel in changed:
        assert only_urls_changed(before[rel].decode(), after[rel].decode(), base), rel
    seoul = after[SEOUL].decode()
    assert seoul == before[SEOUL].decode().replace(
        f"'{base}/img/b/R29vZ2xl/AVvXsEgSeoulAward/s1600/blogspot.png'", "'/assets/img/seoul-award/blogspot.png'"
    ).replace(
        f'"{base}/img/b/R29vZ2xl/AVvXsEgSeoulAward/s320/blogspot.png"', '"/assets/img/seoul-award/blogspot.png"'
    ).replace(
        f"{base}/img/b/R29vZ2xl/AVvXsEgSeoulHero/w1200-h400/hero.jpg  # the banner",
        "/assets/img/seoul-award/hero.png  # the banner",
    ).replace(
        f'src="{base}/img/b/R29vZ2xl/AVvXsEgSeoulAward/s1600/blogspot.png"', 'src="/assets/img/seoul-award/blogspot.png"'
    ).replace(f"{base}/-Xy1aBc/Wq2dEf/AAAAAAAAAAI/Ab3gHi/s1600/ceremony.jpg", "/assets/img/seoul-award/ceremony.png"
    ).replace(f"{base}/-Xy1aBc/Wq2dEf/AAAAAAAAAAI/Ab3gHi/s320/ceremony.jpg", "/assets/img/seoul-award/ceremony.png")
    fm_old = yaml.safe_load(before[SEOUL].decode().split("---\n")[1])
    fm_new = yaml.safe_load(seoul.split("---\n")[1])
    assert fm_new["excerpt"] == fm_old["excerpt"] and fm_new["header"]["overlay_filter"] == 0.5
    assert fm_new["header"]["teaser"] == fm_new["image"] == "/assets/img/seoul-award/blogspot.png"

    # every image is the original: no resized copy was stored, each one once
    images = stored_images(site)
    assert RESIZED not in images.values()
    assert images["assets/img/seoul-award/blogspot.png"] == cdn.original("AVvXsEgSeoulAward")
    assert images["assets/img/new-editor/cafe.png"] == cdn.original("cafe")  # data-filename names it
    assert images["assets/img/new-editor/latte-art.png"] == cdn.original("latte")  # signed, with a Referer
    assert images["assets/img/blogger-forms/harbour.png"] == cdn.original("Hc3gHi")
    assert len(set(images.values())) == len(images)
    assert all(r for r in cdn.referers)
    editor = after[EDITOR].decode()
    assert 'srcset="/assets/img/new-editor/cafe.png"' in editor and "/thumb/" not in editor
    assert f'curl -O "{base}/dn/cA1xYz/btsCafe01/cafe/img.png"' in editor  # text inside <code> stays text

    # the manifest: localized records, each image once
    manifest = json.loads((site / ".migrator" / "manifest.json").read_text())
    rec = manifest["posts"][f"localized:{SEOUL}"]
    assert rec["kind"] == "localized" and rec["status"] == "ok" and rec["path"] == SEOUL
    assert rec["output_sha256"] == hashlib.sha256(after[SEOUL]).hexdigest()
    assert manifest["posts"][f"localized:{FORMS}"]["status"] == "failed"
    failed = {u: a["error"] for u, a in manifest["assets"].items() if a["status"] == "failed"}
    assert len(failed) == 3

    # a rerun: nothing new is fetched, nothing is written; only the failed images are asked again
    n = len(cdn_server.log)
    mtimes = {rel: (site / rel).stat().st_mtime_ns for rel in after}
    res = localize(site)
    assert res.code == 1, res
    assert files_of(site) == after
    assert all((site / rel).stat().st_mtime_ns == mtimes[rel] for rel in after)
    assert len(cdn_server.log[n:]) == 3 and all("gone404" in p or "/dna/" in p for p in cdn_server.log[n:])

    # the 404 is back: only that image is fetched, and only its URL changes
    cdn.missing.clear()
    n = len(cdn_server.log)
    res = localize(site)
    forms = files_of(site)[FORMS]
    assert only_urls_changed(after[FORMS].decode(), forms.decode(), base)
    assert "/assets/img/blogger-forms/gone.png" in forms.decode()
    assert [p for p in cdn_server.log[n:] if "gone404" in p] == ["/img/b/R29vZ2xl/gone404/s0/gone.png"]

    # edited by hand since: a conflict, kept; --force localizes it anyway
    expired = site / EXPIRED
    edited = expired.read_bytes() + "\n덧붙인 문장.\n".encode()
    expired.write_bytes(edited)
    res = localize(site, "--refresh-from", cdn_server.url)
    assert "conflict" in res.out and expired.read_bytes() == edited, res
    res = localize(site, "--refresh-from", cdn_server.url, "--force")
    new = expired.read_text()
    assert "/assets/img/expired/" in new and "expires=" not in new and new.endswith("덧붙인 문장.\n")
    assert only_urls_changed(edited.decode(), new, base)
    assert "/15" in cdn_server.log  # the live page gave fresh signatures
    assert res.code == 0, res

    # and now: nothing at all
    n = len(cdn_server.log)
    res = localize(site)
    assert res.code == 0 and cdn_server.log[n:] == [] and "Nothing to change" in res.out, res


def test_a_file_with_one_remote_image_changes_in_that_url_only(tmp_path: Path, localize, cdn, cdn_server):
    site = tmp_path / "crlf"
    (site / "_posts").mkdir(parents=True)
    url = f"{cdn_server.img_url}/img/a/AVvXsEgOneOnly=s1600"
    text = (
        "\ufeff---\r\n"
        "title:   'Spaces, CRLF and a BOM'   # kept\r\n"
        "excerpt: >\r\n  folded\r\n  text\r\n"
        "---\r\n\r\n"
        f"Some text.\r\n\r\n![one]({url})\r\n\r\nThe end, no newline"
    )
    (site / "_posts" / "2024-01-01-one.md").write_bytes(text.encode("utf-8"))
    res = localize(site)
    assert res.code == 0, res
    got = (site / "_posts" / "2024-01-01-one.md").read_bytes()
    assert got == text.replace(url, "/assets/img/one/AVvXsEgOneOnly.png").encode("utf-8")
    assert (site / "assets/img/one/AVvXsEgOneOnly.png").read_bytes() == cdn.original("AVvXsEgOneOnly")


def test_the_platforms_real_host_names_every_form(tmp_path: Path, cli, cdn, cdn_server, monkeypatch):
    """The CDNs' own host names (resolved to the fixture server): host rules such as cfileNN's /image/ ->
    /original/ and lh3's =s0 are exercised as on a real site, without --image-host."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    real = socket.getaddrinfo
    names = {"blogger.googleusercontent.com", "1.bp.blogspot.com", "lh3.googleusercontent.com", "blog.kakaocdn.net",
             "img1.daumcdn.net", "t1.daumcdn.net", "cfile23.uf.tistory.com", "localhost"}

    def fake(host, port, *args, **kwargs):
        if host in names:
            return real("127.0.0.1", port, *args, **kwargs)
        if re.fullmatch(r"[\d.]+|[\d:a-f]+", str(host)):
            return real(host, port, *args, **kwargs)  # an address: the connection to the one resolved above
        raise socket.gaierror(f"{host}: not resolved in tests")

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    site = tmp_path / "site"
    hosts = real_hosts(cdn_server.port, cdn_server.url)
    cdn.kakao = hosts["KAKAO"]
    write_site(site, hosts)
    before = files_of(site)
    config = tmp_path / "fast.yaml"
    config.write_text("http:\n  backoff: 0.05\n  retries: 2\n", encoding="utf-8")
    res = cli("localize", site, "--allow-private-network", "--refresh-from", cdn_server.url, "--config", config)
    assert res.code == 1, res  # only the 404
    after = files_of(site)
    images = stored_images(site)
    assert RESIZED not in images.values()
    assert images["assets/img/old-cfile/실행화면.gif"].startswith(b"GIF89a")  # ?original; the type from the bytes
    assert images["assets/img/old-cfile/1F2E3D4C5B6A79880706.gif"].startswith(b"GIF89a")  # /image/ -> /original/
    assert images["assets/img/blogger-forms/AVvXsEgPhotoKey.png"] == cdn.original("AVvXsEgPhotoKey")  # lh3 =s0
    for rel, data in before.items():
        if data != after[rel]:
            for host in hosts.values():
                data = data.replace(host.encode(), b"http://h")
            assert only_urls_changed(data.decode(), re.sub("|".join(map(re.escape, hosts.values())), "http://h",
                                                           after[rel].decode()), "http://h"), rel
    remote = re.compile(r"(?:googleusercontent|bp\.blogspot|daumcdn|kakaocdn|uf\.tistory)\.\w+:\d+/(?!.*code)")
    for rel in (SEOUL, EDITOR, EXPIRED, CFILE_POST, "about.md", "_recipes/kimchi.md"):
        body = after[rel].decode()
        left = [m.group(0) for m in remote.finditer(body) if "curl -O" not in body[max(0, m.start() - 40) : m.start()]]
        assert not left, (rel, left)


def test_all_hosts_and_refused_addresses(site: Path, localize, cli, cdn, cdn_server):
    res = cli("localize", site, "--image-host", "127.0.0.1")  # no --allow-private-network
    assert res.code == 1 and "refused address" in res.out and "--allow-private-network" in res.out, res
    assert cdn_server.log == []
    res = localize(site, "--all-hosts")
    other = (site / OTHER).read_text()
    assert "/assets/img/other-host/elsewhere.png" in other and cdn_server.url not in other
    assert (site / "assets/img/other-host/elsewhere.png").read_bytes().startswith(b"\x89PNG")
    assert "https://fixture.tistory.com/3" in (site / EDITOR).read_text()  # a link to a page is not an image


def test_include_drafts_and_config_keys(site: Path, localize, tmp_path: Path, cdn_server):
    (site / "_posts" / "2024-05-09-cover.md").write_text(
        f"---\ntitle: c\ncover_photo: {cdn_server.url}/other/cover.png\n---\n\nx\n", encoding="utf-8"
    )
    config = tmp_path / "cfg.yaml"
    config.write_text("front_matter:\n  keys:\n    image: cover_photo\n", encoding="utf-8")
    res = localize(site, "--include-drafts", "--all-hosts", "--config", config)
    assert "/assets/img/unfinished/draft.png" in (site / "_drafts/unfinished.md").read_text(), res
    assert "cover_photo: /assets/img/cover/cover.png" in (site / "_posts/2024-05-09-cover.md").read_text()


def test_a_site_migrator_migrated_has_nothing_to_do(quiet_server, migrate, cli):
    res, site = migrate(quiet_server, "--format", "html")
    assert res.code == 0, res
    before = tree_snapshot(site)
    manifest = (site / ".migrator" / "manifest.json").read_bytes()
    n = len(quiet_server.log)
    res = cli("localize", site, "--clean", "--config", EXAMPLE_CONFIG)
    assert res.code == 0 and "Nothing to change" in res.out, res
    assert tree_snapshot(site) == before and (site / ".migrator" / "manifest.json").read_bytes() == manifest
    assert quiet_server.log[n:] == []


def test_a_migrated_post_whose_image_failed_keeps_its_record(quiet_server, migrate, cli):
    """An image the migration could not fetch is localized later; the migration's record follows the edit, so
    a resync still sees the file as migrator wrote it (not edited by hand)."""
    quiet_server.faults["/img/b/R29vZ2xl/sunset/s0/sunset.jpg"] = [(404, {})] * 10
    res, site = migrate(quiet_server)
    assert res.code == 1, res
    quiet_server.faults.clear()
    res = cli("localize", site, "--config", EXAMPLE_CONFIG)
    assert res.code == 0 and "images localized" in res.out, res
    manifest = json.loads((site / ".migrator" / "manifest.json").read_text())
    assert not [k for k in manifest["posts"] if k.startswith("localized:")]
    for rec in manifest["posts"].values():
        if rec["path"] and (site / rec["path"]).exists():
            assert rec["output_sha256"] == hashlib.sha256((site / rec["path"]).read_bytes()).hexdigest()
    before = tree_snapshot(site)
    res, _ = migrate(quiet_server)
    assert res.code == 0 and re.search(r"posts in conflict \(kept\)\s*│\s*0\s*│", res.out), res
    assert re.search(r"images downloaded\s*│\s*0\s*│", res.out), res
    assert {k: v for k, v in tree_snapshot(site).items() if k.startswith("_posts/")} == {
        k: v for k, v in before.items() if k.startswith("_posts/")
    }


def test_resync_with_prune_keeps_the_localized_files(site: Path, localize, quiet_server, migrate):
    localize(site)
    localized = {k: v for k, v in files_of(site).items() if k.startswith("_posts/")}
    res, _ = migrate(quiet_server, "--prune", out=site)
    assert res.code == 0, res
    assert re.search(r"posts deleted at the source\s*│\s*0\s*│", res.out), res.out
    now = files_of(site)
    assert all(now.get(k) == v for k, v in localized.items())
    manifest = json.loads((site / ".migrator" / "manifest.json").read_text())
    assert all(r["status"] != "deleted" for k, r in manifest["posts"].items() if k.startswith("localized:"))


JEKYLL = shutil.which("jekyll")


def _visible_text(built: Path) -> dict[str, str]:
    from lxml import html as lxml_html

    out = {}
    for page in sorted(built.rglob("*.html")):
        doc = lxml_html.fromstring(page.read_bytes())
        for el in doc.xpath("//script|//style"):
            el.drop_tree()
        out[page.relative_to(built).as_posix()] = " ".join(doc.text_content().replace("\xa0", " ").split())
    return out


def _build(site: Path, dest: Path) -> None:
    proc = subprocess.run([JEKYLL, "build", "--source", str(site), "--destination", str(dest)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Liquid Exception" not in proc.stdout + proc.stderr


@pytest.mark.skipif(JEKYLL is None, reason="jekyll is not installed (apt-get install jekyll)")
def test_jekyll_builds_the_same_text_before_and_after(site: Path, localize, cdn_server, tmp_path: Path):
    _build(site, tmp_path / "before")
    res = localize(site, "--clean", "--refresh-from", cdn_server.url)
    assert res.code == 1 and "data-ke-* attributes removed" in res.out, res  # the 404 stays
    _build(site, tmp_path / "after")
    before, after = _visible_text(tmp_path / "before"), _visible_text(tmp_path / "after")
    assert before.keys() == after.keys() and len(before) >= 8
    assert before == after
    built = (tmp_path / "after" / "2024/05/seoul-award.html").read_text()
    assert "/assets/img/seoul-award/blogspot.png" in built and cdn_server.img_url not in built
    for ref in re.findall(r'(?:src|href)="(/assets/[^"]+)"', built):
        assert (tmp_path / "after" / ref.lstrip("/")).is_file(), ref


def test_redirects_treat_a_localized_post_as_a_post(site: Path, localize, cli):
    """A localized file's old address (its source_url) leads to where Jekyll publishes it, not to its path."""
    localize(site)
    res = cli("redirects", site, "--to", "https://news.example.org", "--format", "netlify")
    assert res.code == 0, res
    rules = (site / "_migrator/redirects/_redirects").read_text()
    assert "/12  https://news.example.org/2024/05/new-editor.html  301" in rules
    assert "_posts" not in rules


def test_refresh_finds_the_live_page_from_a_link_in_the_body(tmp_path: Path, localize, cdn: CdnSite, cdn_server):
    """Migrated posts often keep their old address only as a line in the body ("migrated from ...")."""
    from localize_site import EXPIRED as GONE
    from localize_site import signed_url

    site = tmp_path / "site"
    (site / "_posts").mkdir(parents=True)
    stale = signed_url(cdn_server.img_url, "bodylink", GONE)
    text = (
        '---\ntitle: "[언리얼5] 보간"\ncategories:\n  - "Tistory"\n---\n\n'
        f"*이 글은 [Tistory 원본]({cdn_server.url}/20)에서 마이그레이션되었습니다.*\n\n![]({stale})\n"
    )
    post = site / "_posts" / "2024-09-24-interp.md"
    post.write_text(text, encoding="utf-8")
    cdn.pages["/20"] = ["bodylink"]
    res = localize(site)
    assert res.code == 1 and "--refresh-from" in res.out and post.read_text() == text, res
    res = localize(site, "--refresh-from", cdn_server.url)
    assert res.code == 0, res
    assert post.read_text() == text.replace(stale, "/assets/img/interp/img.png")
    assert (site / "assets/img/interp/img.png").read_bytes() == cdn.original("bodylink")


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("<div>\n\n![x](https://1.bp.blogspot.com/-a/b/AAAAAAAAAAI/c/s320/a.png)\n\n</div>\n", []),  # raw to kramdown
        ("<p>![x](https://1.bp.blogspot.com/-a/b/AAAAAAAAAAI/c/s320/a.png)</p>\n", []),
        ("a <span>![x](https://1.bp.blogspot.com/-a/b/AAAAAAAAAAI/c/s320/a.png)</span>\n", ["a.png"]),  # span HTML
        ('<div markdown="1">\n\n![x](https://1.bp.blogspot.com/-a/b/AAAAAAAAAAI/c/s320/a.png)\n\n</div>\n', ["a.png"]),
        ("<pre>![x](https://1.bp.blogspot.com/-a/b/AAAAAAAAAAI/c/s320/a.png)\n<img src='https://1.bp.blogspot.com/-a/b/AAAAAAAAAAI/c/s320/b.png'></pre>\n",
         ["b.png"]),  # a tag is a tag, Markdown in a block element is text
    ],
)
def test_markdown_inside_block_html_is_text_as_kramdown_reads_it(text, found):
    assert [f.url.rsplit("/", 1)[-1] for f in scan_text(text, markdown=True).found] == found


def test_an_edit_that_would_change_visible_text_is_not_made(tmp_path: Path):
    """The loss guard backs the scanner: a URL that is visible text keeps its characters."""
    from migrator.http import HttpClient
    from migrator.localize import Edit, Found, LocalizeOptions, Localizer, SiteFile

    url = "https://1.bp.blogspot.com/-a/b/AAAAAAAAAAI/c/s320/a.png"
    text = f'<p>See {url} here</p>\n<p><img src="{url}"></p>\n'
    scan = scan_text(text, markdown=False)
    shown = text.index(url)
    scan.found.insert(0, Found(shown, shown + len(url), url, "a misread", "image"))  # as if the scanner erred
    edits = [Edit(f.start, f.end, "/assets/img/p/a.png", "url") for f in scan.found]
    loc = Localizer(tmp_path, Config(), LocalizeOptions(), HttpClient())
    new, done, note = loc._guarded(SiteFile("_posts/2024-01-01-p.html", "post"), scan, edits)
    assert new == text.replace(f'src="{url}"', 'src="/assets/img/p/a.png"')
    assert len(done) == 1 and "shown as text" in note


def test_baseurl_in_the_body_not_in_front_matter_and_bad_yaml_leaves_front_matter_alone(
    tmp_path: Path, localize, cdn: CdnSite, cdn_server
):
    site = tmp_path / "site"
    (site / "_posts").mkdir(parents=True)
    (site / "_config.yml").write_text("baseurl: /blog\n", encoding="utf-8")
    url = f"{cdn_server.img_url}/img/b/R29vZ2xl/AVvXsEgBase/s1600/base.png"
    good = site / "_posts" / "2024-01-01-base.md"
    good.write_text(f"---\nimage: {url}\n---\n\n![b]({url})\n", encoding="utf-8")
    bad = site / "_posts" / "2024-01-02-bad.md"
    bad_text = f"---\ntitle: [unclosed\nimage: {url}\n---\n\n![b]({url})\n"
    bad.write_text(bad_text, encoding="utf-8")
    res = localize(site)
    assert res.code == 0, res
    # themes pass front matter paths through relative_url, which adds the baseurl itself
    assert good.read_text() == "---\nimage: /assets/img/base/base.png\n---\n\n![b](/blog/assets/img/base/base.png)\n"
    assert bad.read_text() == bad_text.replace(f"![b]({url})", "![b](/blog/assets/img/base/base.png)")
    assert "not valid YAML" in res.out
