"""One bad post never stops a run: invalid code points are replaced and reported, an unexpected error in one
post fails that post only (retried next run), and an error inside the source ends its listing, not the run."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from migrator import jekyll
from migrator.config import load_config
from migrator.http import HttpClient
from migrator.models import Blog, Comment, Post, scrub, scrub_text
from migrator.pipeline import migrate
from migrator.sources.base import BaseSource


class ListSource(BaseSource):
    """A source that yields prepared posts (and may break after some): the pipeline's view of any platform."""

    name = "list"

    def __init__(self, posts: list[Post], break_after: int | None = None) -> None:
        self.blog = Blog(platform="list", url="https://blog.example", title="Bad \ud800 blog", timezone="UTC")
        self.warnings: list[str] = []
        self._posts = posts
        self.break_after = break_after

    def posts(self, since=None, known=None):  # type: ignore[no-untyped-def]
        for i, p in enumerate(self._posts):
            if self.break_after is not None and i == self.break_after:
                raise KeyError("feed entry without 'id'")
            yield p

    def is_platform_image(self, url: str) -> bool:
        return False

    def asset_headers(self, url: str) -> dict[str, str]:
        return {}

    def internal_path(self, url: str) -> str | None:
        return None

    def asset_key(self, url: str) -> str:
        return url


def post(n: int, title: str, html: str = "<p>Body text.</p>", **kw) -> Post:
    return Post(
        id=str(n), kind="post", status="live", title=title, html=html,
        published=datetime(2024, 1, n, tzinfo=UTC), url=f"https://blog.example/2024/01/p{n}.html",
        path=f"/2024/01/p{n}.html", slug=f"p{n}", **kw,
    )


def run(tmp_path, source):
    cfg = load_config(None, {"out": str(tmp_path / "site"), "timezone": "UTC"})
    http = HttpClient(cfg.http)
    try:
        return migrate(source, cfg, tmp_path / "site", http)
    finally:
        http.close()


def test_scrub_replaces_lone_surrogates_everywhere_and_counts_them():
    assert scrub_text("a\ud800b\udfffc\uffff") == "a\ufffdb\ufffdc\ufffd"
    p = post(1, "x\ud800", html="<p>\ud801</p>", tags=("ok", "t\udc00"),
             comments=(Comment("c1", "au\ud800", datetime(2024, 1, 2, tzinfo=UTC), "hi"),))
    clean, n = scrub(p)
    assert n == 4 and clean.title == "x\ufffd" and clean.tags == ("ok", "t\ufffd")
    assert clean.comments[0].author == "au\ufffd" and clean.html == "<p>\ufffd</p>"
    assert scrub(clean) == (clean, 0) and scrub(clean)[0] is clean


def test_a_lone_surrogate_in_a_title_is_replaced_and_warned_about(tmp_path):
    report = run(tmp_path, ListSource([post(1, "Bad \ud800 title"), post(2, "Good")]))
    assert report.summary()["create"] == 2 and not report.stats.failures
    assert any("U+FFFD" in w for w in report.stats.warnings)
    site = tmp_path / "site"
    files = sorted(p.name for p in (site / "_posts").iterdir())
    assert files == ["2024-01-01-p1.md", "2024-01-02-p2.md"]
    assert "Bad \ufffd title" in (site / "_posts" / files[0]).read_text(encoding="utf-8")
    json.loads((site / ".migrator" / "manifest.json").read_text(encoding="utf-8"))  # still valid UTF-8 JSON


def test_an_unexpected_error_in_one_post_fails_only_that_post_and_it_is_retried(tmp_path, monkeypatch):
    real = jekyll.front_matter

    def broken(p, *a, **k):  # type: ignore[no-untyped-def]
        if p.title == "Boom":
            raise ZeroDivisionError("a bug")
        return real(p, *a, **k)

    monkeypatch.setattr(jekyll, "front_matter", broken)
    posts = [post(1, "Before"), post(2, "Boom"), post(3, "After")]
    report = run(tmp_path, ListSource(posts))
    assert report.summary()["create"] == 2 and report.summary()["failed"] == 1
    assert int(report.exit_status()) == 1
    assert any("ZeroDivisionError" in why for _, why in report.stats.failures)
    manifest = json.loads((tmp_path / "site" / ".migrator" / "manifest.json").read_text())
    assert manifest["posts"]["2"]["status"] == "failed"

    monkeypatch.setattr(jekyll, "front_matter", real)  # fixed: the next run writes it, the others stay
    again = run(tmp_path, ListSource(posts))
    assert again.summary()["create"] == 1 and again.summary()["unchanged"] == 2 and not again.stats.failures


def test_an_error_inside_the_source_ends_the_listing_not_the_run(tmp_path):
    posts = [post(1, "One"), post(2, "Two"), post(3, "Three")]
    first = run(tmp_path, ListSource(posts))
    assert first.summary()["create"] == 3
    broken = run(tmp_path, ListSource(posts, break_after=1))
    assert broken.incomplete and int(broken.exit_status()) == 1
    assert broken.summary()["deleted"] == 0  # posts the listing never reached are not taken as deleted
    assert any("KeyError" in why and "run the same command again" in why for _, why in broken.stats.failures)
    assert (tmp_path / "site" / "_posts" / "2024-01-03-p3.md").exists()


def test_a_dry_run_of_a_big_blog_keeps_its_plan_small(tmp_path, monkeypatch):
    from migrator import pipeline
    from migrator.report import render_html

    monkeypatch.setattr(pipeline, "MAX_PREVIEWS", 5)
    posts = [post(1 + i % 28, f"Post {i}", html="<p>" + "word " * 50 + "</p>") for i in range(40)]
    posts = [Post(**{**p.__dict__, "id": str(i), "slug": f"s{i}"}) for i, p in enumerate(posts)]
    cfg = load_config(None, {"out": str(tmp_path / "site"), "timezone": "UTC", "dry_run": True})
    http = HttpClient(cfg.http)
    try:
        report = migrate(ListSource(posts), cfg, tmp_path / "site", http)
    finally:
        http.close()
    assert report.summary()["create"] == 40 and not (tmp_path / "site").exists()
    assert sum(1 for i in report.items if i.preview) == 5 and report.previews_omitted == 35
    assert "35 more new post(s) are listed without a preview" in render_html(report)
    assert pipeline.cap_text("x" * 10, 4) == "xxxx\n… (6 more characters not shown)\n"


def test_a_feed_entry_the_reader_cannot_make_sense_of_fails_alone():
    from migrator.sources.blogger import BloggerFeedSource

    cfg = load_config(None)
    http = HttpClient(cfg.http)
    source = BloggerFeedSource("https://x.blogspot.com", cfg, http)
    entry = {"id": {"$t": "tag:blogger.com,1999:blog-1.post-2"}, "title": {"$t": "T"},
             "published": {"$t": "2024-01-01T00:00:00Z"}, "category": 5, "content": {"$t": "<p>x</p>"}}
    post = source._entry_to_post(entry, "post")
    http.close()
    assert post is not None and post.id == "2" and not post.skip
    assert post.error and "cannot read this entry (TypeError" in post.error


def test_a_tistory_page_the_parser_cannot_read_fails_alone(monkeypatch, tserver, cli, tmp_path):
    from conftest import TISTORY_CONFIG
    from migrator.sources import tistory

    real = tistory.TistorySource.parse_page

    def broken(self, html, url):  # type: ignore[no-untyped-def]
        post = real(self, html, url)
        if post is not None and post.id == "3":  # a bug the parser has on this one page, however it is reached
            raise IndexError("a parser bug")
        return post

    monkeypatch.setattr(tistory.TistorySource, "parse_page", broken)
    res = cli("migrate", tserver.url, "--out", tmp_path / "site", "--config", TISTORY_CONFIG)
    assert res.code == 1, res
    manifest = json.loads((tmp_path / "site/.migrator/manifest.json").read_text())
    assert manifest["posts"]["3"]["status"] == "failed" and "IndexError" in manifest["posts"]["3"]["error"]
    assert sum(1 for p in manifest["posts"].values() if p["status"] == "ok") >= 4


def test_a_post_listed_twice_is_processed_once_and_the_limit_counts_posts(tmp_path):
    """The run's one set of seen ids (filled as posts enter the look-ahead): a post the source lists again is
    skipped, and ``limit`` counts distinct posts."""
    listing = [post(n, f"Post {n}") for n in (1, 2, 1, 3, 2, 4)]
    report = run(tmp_path / "all", ListSource(listing))
    assert report.summary()["create"] == 4 and not report.incomplete
    assert len(list((tmp_path / "all/site/_posts").iterdir())) == 4
    cfg = load_config(None, {"out": str(tmp_path / "lim"), "timezone": "UTC", "limit": 3})
    http = HttpClient(cfg.http)
    try:
        limited = migrate(ListSource(listing), cfg, tmp_path / "lim", http)
    finally:
        http.close()
    assert limited.summary()["create"] == 3
    assert sorted(p.name for p in (tmp_path / "lim/_posts").iterdir()) == [
        f"2024-01-0{n}-p{n}.md" for n in (1, 2, 3)
    ]
    manifest = json.loads((tmp_path / "lim/.migrator/manifest.json").read_text())
    assert sorted(manifest["posts"]) == ["1", "2", "3"] and "complete" not in manifest["source"]
