"""Archive pages (archives.py): Tistory's /tag/<name> and /category/<a>/<b> and Blogger's /search/label/<name>
answered by pages at those exact paths, plain Liquid (no plugin), built by the real jekyll and the old URLs
looked up in the built site (the mobile forms redirect)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest
from tistory_backup import write_backup

from conftest import EXAMPLE_CONFIG, TISTORY_CONFIG
from migrator.archives import collect, page_file, permalink, render_page, site_pages
from migrator.models import PostRecord
from migrator.sources.base import ArchivePage, OldUrls
from migrator.sources.blogger import OLD_URLS as BLOGGER_URLS
from migrator.sources.tistory import OLD_URLS as TISTORY_URLS


def test_permalinks_keep_every_name_jekyll_would_read_otherwise():
    assert permalink("/tag/Dirty Flag") == "/tag/Dirty Flag"
    assert permalink("/tag/C:title") == "/tag/C%3Atitle"  # ':title' would be a Jekyll placeholder
    assert permalink("/tag/a?b#c%") == "/tag/a%3Fb%23c%25"
    assert permalink("/category/여행/🌏") == "/category/여행/🌏"


def test_tistory_declares_each_category_level_and_the_mobile_forms():
    pages = collect(TISTORY_URLS, [(("a b",), ("IT", "DevOps")), ((), ("IT", "Linux")), (("a b",), ())])
    assert [(p.path, p.key, p.names, p.nested, p.aliases) for p in pages] == [
        ("/category/IT", "categories", ("IT",), True, ("/m/category/IT",)),
        ("/category/IT/DevOps", "categories", ("IT", "DevOps"), True, ("/m/category/IT/DevOps",)),
        ("/category/IT/Linux", "categories", ("IT", "Linux"), True, ("/m/category/IT/Linux",)),
        ("/tag/a b", "tags", ("a b",), False, ("/m/tag/a b",)),
    ]
    # Blogger's labels: one flat page per /search/label/<name> (derived from its taxonomy)
    assert [(p.path, p.key) for p in collect(BLOGGER_URLS, [(("news",), ())])] == [("/search/label/news", "tags")]
    assert collect(OldUrls(), [(("x",), ())]) == []  # a platform without listing addresses: none
    assert collect(TISTORY_URLS, [(("..",), ()), (("",), ())]) == []  # never a page at /tag or above it


def test_the_page_and_its_file():
    text = render_page(ArchivePage("/tag/a:b", "tags", ("a:b",), aliases=("/m/tag/a:b",)))
    assert text.startswith("---\ntitle: '#a:b'\npermalink: /tag/a%3Ab\nredirect_from:\n- /m/tag/a%3Ab\n")
    assert "site.tags[name]" in text and "{{ post.title | escape }}" in text
    assert page_file(ArchivePage("/category/IT/Dev Ops", "categories", ("IT", "Dev Ops"), True)) == "archives/category/IT/Dev-Ops.html"


def test_pages_are_written_once_and_never_over_a_file(tmp_path):
    files: dict[str, str] = {
        "_posts/2024-01-01-a.md": "---\ntitle: a\ntags: [x, 'a?b', ab]\ncategories: [IT]\n---\nbody\n",
        "_posts/2024-01-02-b.md": "---\ntitle: b\ntags: [hidden]\npublished: false\n---\nbody\n",
        "_drafts/c.md": "---\ntitle: c\ntags: [draft-only]\n---\n",
    }
    recs = [PostRecord(None, t, None, "", p, None, "ok") for t, p in (("a", "_posts/2024-01-01-a.md"),
                                                                          ("b", "_posts/2024-01-02-b.md"),
                                                                          ("c", "_drafts/c.md"))]
    first = site_pages(recs, files.get, TISTORY_URLS)
    assert sorted(first) == ["archives/category/IT.html", "archives/tag/ab-2.html", "archives/tag/ab.html",
                             "archives/tag/x.html"]  # 'a?b' and 'ab' make one name: numbered; no draft's tag
    files.update(first)
    assert site_pages(recs, files.get, TISTORY_URLS) == {}  # already there: nothing to write
    files["archives/tag/x.html"] = "my own page"  # yours, at that name: the page takes the next one
    assert list(site_pages(recs, files.get, TISTORY_URLS)) == ["archives/tag/x-2.html"]


def _jekyll():
    from test_site_build import JEKYLL, jekyll_build

    if JEKYLL is None:
        pytest.skip("jekyll is not installed")
    return jekyll_build


def _listed(page: Path) -> list[str]:
    html = page.read_text()
    block = re.search(r'<ul class="archive-list">(.*?)</ul>', html, re.S)
    assert block, page
    return re.findall(r'<a href="[^"]+">([^<]+)</a>', block.group(1))


def _redirects_to(page: Path, target: str) -> bool:
    html = page.read_text()
    return f'url={target}"' in html or f'url={quote(target, safe="/%")}"' in html or f'href="{target}"' in html


def test_the_old_tistory_addresses_answer_in_the_built_site(cli, tserver, tmp_path):
    """A backup merged with the live blog, built: every old /category/, /tag/, /m/, /entry/, /<id> and
    /notice/ address of a published post is a page (or a redirect to one) at that path."""
    build = _jekyll()
    site = tmp_path / "site"
    cfg = tmp_path / "c.yaml"
    cfg.write_text(TISTORY_CONFIG.read_text().replace("platform: tistory\n", ""))
    res = cli("migrate", write_backup(tmp_path / "b.zip"), "--out", site, "--config", cfg, "--origin", tserver.url)
    assert res.code == 1, res  # one image no one has
    assert "archive page(s) at the old tag and category addresses" in res.out
    build(site)
    built = site / "_site"
    # a parent category lists its children's posts; a child only its own; a tag with a space
    assert sorted(_listed(built / "category/IT.html")) == ["리눅스 서버 상태 확인 메모", "접어 둔 설정 파일 [2012]: 예전 에디터"]
    assert _listed(built / "category/IT/DevOps.html") == ["리눅스 서버 상태 확인 메모"]
    assert _listed(built / "tag/Dirty Flag.html") == ["[iOS] 성능 측정 (2/2)"]
    assert _listed(built / "tag/메모 모음.html") == ["2013년 메모: 업로드 도구 (v2)"]
    assert _redirects_to(built / "m/tag/Dirty Flag.html", "/tag/Dirty%20Flag") or _redirects_to(
        built / "m/tag/Dirty Flag.html", "/tag/Dirty Flag")
    assert (built / "m/category/IT/DevOps.html").exists()
    # a private post's tag and category have no page (its draft is not built)
    assert not (built / "tag/비공개.html").exists() and not (built / "category/일기.html").exists()
    # the posts' own old addresses
    slug = "새-에디터로-쓴-글"
    for path in (f"entry/{slug}.html", f"m/entry/{slug}.html", "3.html", "m/3.html", "1.html", "m/1.html",
                 "notice/10.html", "m/notice/10.html", "notice/12.html", "7.html"):
        assert (built / path).exists(), path
    assert "나만 보는 글" not in (built / "tag/메모 모음.html").read_text()
    # and migrator's own check of the built site: every internal link, image and redirect resolves
    res = cli("verify", site, "--build", "--built", built)
    assert "internal links, images and redirects" in res.out and "all resolve" in res.out, res.out


def test_blogger_labels_answer_at_search_label(quiet_server, cli, tmp_path):
    build = _jekyll()
    site = tmp_path / "site"
    res = cli("migrate", quiet_server.url, "--out", site, "--config", EXAMPLE_CONFIG)
    assert res.code == 0, res
    build(site)
    built = site / "_site/search/label"
    assert sorted(_listed(built / "Jekyll.html")) == ["Code, and text that looks like {{ Liquid }}", "Hello, world"]
    assert len(_listed(built / "일상.html")) == 2 and not (built / "wip.html").exists()  # the draft's label: none
    assert (built / "edge cases.html").exists()


def test_names_jekyll_would_misread_build_at_their_paths(tmp_path):
    build = _jekyll()
    site = tmp_path / "site"
    (site / "_posts").mkdir(parents=True)
    (site / "_config.yml").write_text("title: t\nplugins: [jekyll-redirect-from]\n")
    tags = ["C:title", "q?x", "50%", "a#b", "여행🌏", "{{ x }}"]
    (site / "_posts/2024-01-01-a.md").write_text(
        "---\ntitle: A\ncategories: [IT, 'Dev:Ops']\ntags: " + repr(tags).replace("'", '"') + "\n---\nhi\n")
    rec = PostRecord(None, "A", None, "", "_posts/2024-01-01-a.md", None, "ok")
    for rel, text in site_pages([rec], lambda p: (site / p).read_text() if (site / p).exists() else None,
                                TISTORY_URLS).items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(text)
    build(site)
    for t in tags:
        assert _listed(site / f"_site/tag/{t}.html") == ["A"], t
    assert _listed(site / "_site/category/IT/Dev:Ops.html") == ["A"]


def test_a_run_that_changes_no_post_leaves_the_archive_pages_as_they_are(quiet_server, blog, cli, tmp_path):
    """A no-op resync reads no post file for the archive pages (it read every one); a page you removed stays
    removed until a run writes a post again, or --full; a removed archives/ folder comes back."""
    site = tmp_path / "site"
    assert cli("migrate", quiet_server.url, "--out", site, "--config", EXAMPLE_CONFIG).code == 0
    pages = sorted(p.relative_to(site) for p in (site / "archives").rglob("*.html"))
    assert pages
    gone = site / pages[0]
    gone.unlink()
    res = cli("migrate", quiet_server.url, "--out", site, "--config", EXAMPLE_CONFIG)
    assert res.code == 0 and not gone.exists(), res
    res = cli("migrate", quiet_server.url, "--out", site, "--config", EXAMPLE_CONFIG, "--full")
    assert res.code == 0 and gone.exists(), res
    import shutil

    shutil.rmtree(site / "archives")
    res = cli("migrate", quiet_server.url, "--out", site, "--config", EXAMPLE_CONFIG)
    assert res.code == 0 and sorted(p.relative_to(site) for p in (site / "archives").rglob("*.html")) == pages
