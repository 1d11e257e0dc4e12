"""Blogger export files: Google Takeout feed.atom and the legacy "Back up content" XML."""

from __future__ import annotations

import json

import frontmatter
import pytest
from server import legacy_xml, takeout_atom

from migrator.errors import ExitStatus


@pytest.fixture
def exports(quiet_server, blog, tmp_path):
    d = tmp_path / "exports"
    d.mkdir()
    (d / "feed.atom").write_text(takeout_atom(blog, "https://example.blogspot.com", quiet_server.img_url))
    (d / "blog-11-25-2026.xml").write_text(legacy_xml(blog, "https://example.blogspot.com", quiet_server.img_url))
    return d


def run_export(cli, tmp_path, path, *extra):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("allow_private_network: true\nblogger:\n  extra_image_hosts: ['127.0.0.1']\n")
    site = tmp_path / ("site-" + path.stem)
    return cli("migrate", path, "--out", site, "--config", cfg, *extra), site


@pytest.mark.parametrize("name", ["feed.atom", "blog-11-25-2026.xml"])
def test_export_migrates_posts_pages_and_drafts(cli, tmp_path, exports, blog, name):
    extra = ["--origin", "https://example.blogspot.com"] if name == "feed.atom" else []
    res, site = run_export(cli, tmp_path, exports / name, *extra)
    assert res.code == 0, res
    manifest = json.loads((site / ".migrator/manifest.json").read_text())
    expected = {e["id"] for e in blog.entries}  # live posts, pages and the draft; no comment, no trashed post
    assert set(manifest["posts"]) == expected
    drafts = list((site / "_drafts").iterdir())
    assert [d.name for d in drafts] == ["An-unfinished-draft.md"]
    draft = frontmatter.load(drafts[0])
    assert "permalink" not in draft and draft["title"] == "An unfinished draft"
    hello = frontmatter.load(site / "_posts/2024-03-02-hello-world.md")
    assert hello["source_url"] == "https://example.blogspot.com/2024/03/hello-world.html"
    assert hello["permalink"] == "/2024/03/hello-world.html"
    assert str(hello["date"]) == "2024-03-02 09:15:00 +0900"
    assert hello["tags"] == ["news", "Jekyll"]  # Takeout: scheme tag:blogger.com,1999:blog-<id>; legacy: atom/ns#
    assert frontmatter.load(site / "p/about.md")["permalink"] == "/p/about.html"
    assert all(a["status"] == "ok" for a in manifest["assets"].values())
    # the legacy export records BLOG_TIME_ZONE; Takeout's times are UTC and this one has no settings.csv beside it
    assert ("Asia/Seoul" in (site / "_config.yml").read_text()) == (name != "feed.atom")


def test_takeout_without_origin_warns_and_keeps_paths(cli, tmp_path, quiet_server, blog):
    for e in blog.entries:  # no post links to another post of the blog: nothing tells its address
        e["html"] = e["html"].replace("@BLOG@/2024/03/blog-post.html", "https://elsewhere.example/")
    path = tmp_path / "feed.atom"
    path.write_text(takeout_atom(blog, "https://example.blogspot.com", quiet_server.img_url))
    res, site = run_export(cli, tmp_path, path)
    assert res.code == 0, res
    assert "--origin" in res.out
    assert frontmatter.load(site / "_posts/2024-03-02-hello-world.md")["source_url"] == "/2024/03/hello-world.html"


def test_takeout_dates_in_utc_are_shown_in_the_blog_timezone(cli, tmp_path, quiet_server, blog):
    for e in blog.entries:
        if e["id"] == "1000000000000000003":
            e["published"] = "2024-03-14T15:30:00Z"  # 00:30 on the 15th in Seoul
    path = tmp_path / "feed.atom"
    path.write_text(takeout_atom(blog, "https://example.blogspot.com", quiet_server.img_url))
    res, site = run_export(cli, tmp_path, path, "--timezone", "Asia/Seoul")
    assert res.code == 0, res
    doc = frontmatter.load(site / "_posts/2024-03-15-blog-post_15.md")
    assert str(doc["date"]) == "2024-03-15 00:30:00 +0900"


def test_export_without_posts_is_an_error_that_says_what_it_found(cli, tmp_path):
    path = tmp_path / "theme-only.xml"
    path.write_text(
        "<?xml version='1.0' encoding='UTF-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
        "<id>tag:blogger.com,1999:blog-1.archive</id>"
        "<entry><id>tag:blogger.com,1999:blog-1.layout</id><category scheme='http://schemas.google.com/g/2005#kind' "
        "term='http://schemas.google.com/blogger/2008/kind#template'/><content type='text'>x</content></entry>"
        "<entry><id>tag:blogger.com,1999:blog-1.page-5</id><category scheme='http://schemas.google.com/g/2005#kind' "
        "term='http://schemas.google.com/blogger/2008/kind#page'/><title>About</title><content type='html'>x</content></entry>"
        "</feed>"
    )
    res, site = run_export(cli, tmp_path, path)
    assert res.code == ExitStatus.NOT_A_BLOG
    assert "holds no posts (found: 1 page (LIVE), 1 template)" in res.err
    assert not site.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("just text", "not a Blogger export"),
        ("<feed xmlns='http://www.w3.org/2005/Atom'><entry>", "not a Blogger export"),
        ("<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>Other</title></feed>", "not a Blogger export"),
    ],
)
def test_bad_export_files(cli, tmp_path, content, message):
    path = tmp_path / "bad.xml"
    path.write_text(content)
    res, _ = run_export(cli, tmp_path, path)
    assert res.code == ExitStatus.NOT_A_BLOG, res
    assert message in res.err


def test_slug_collisions_are_numbered(cli, tmp_path, quiet_server, blog):
    draft = next(e for e in blog.entries if e["status"] == "draft")
    blog.entries.append({**draft, "id": "3000000000000000002", "title": "An unfinished draft?"})
    path = tmp_path / "feed.atom"
    path.write_text(takeout_atom(blog, "https://example.blogspot.com", quiet_server.img_url))
    res, site = run_export(cli, tmp_path, path)
    assert res.code == 0, res
    assert sorted(p.name for p in (site / "_drafts").iterdir()) == ["An-unfinished-draft-2.md", "An-unfinished-draft.md"]
    # a rerun keeps each post at its own path
    res, _ = run_export(cli, tmp_path, path)
    assert res.code == 0 and sorted(p.name for p in (site / "_drafts").iterdir()) == [
        "An-unfinished-draft-2.md", "An-unfinished-draft.md"]


@pytest.mark.parametrize("name", ["feed.atom", "blog-11-25-2026.xml"])
@pytest.mark.parametrize("overrides", [{}, {"blogger.drafts": False}, {"blogger.pages": False}], ids=str)
def test_an_export_announces_how_many_posts_it_yields(exports, name, overrides):
    """The scan's count (the progress bar's total; above workers.START_AFTER the conversion workers start at
    once, and the main process never loads the converter) is what posts() then yields, drafts and pages
    as configured, trashed entries and comments left out."""
    from migrator.config import load_config
    from migrator.sources.blogger import open_export

    src = open_export(exports / name, load_config(None, overrides))
    assert src.expected_total == len(list(src.posts())) > 0
