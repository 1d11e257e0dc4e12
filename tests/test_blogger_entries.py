"""The Blogger readers as tables (yt-dlp's ``_TESTS`` are the model): one fixture entry, as the public feed,
Google Takeout's ``feed.atom`` and the legacy export give it, in; the fields every reader must agree on
out. Pure: the readers parse what they are handed, with no request."""

from __future__ import annotations

from datetime import datetime

import pytest
from bs4 import BeautifulSoup
from server import FixtureBlog, _entry_json, legacy_xml, takeout_atom

from migrator.config import Config
from migrator.sources.blogger import BloggerExportSource, BloggerFeedSource

BLOG = "https://example.blogspot.com"
IMG = "https://blogger.googleusercontent.com"
SIGN = f"{IMG}/img/b/R29vZ2xl/hangul-sign/s0/%ED%95%9C%EA%B8%80.jpg"

CASES = [
    # (id, kind, title, published, tags, images, in body, not in body)
    ("1000000000000000001", "post", "Hello, world", "2024-03-02T09:15:00+09:00", ("news", "Jekyll"),
     [f"{IMG}/img/b/R29vZ2xl/sunset/s0/sunset.jpg"], ["<b>first post</b>", "<a name='more'>"], ["/s320/", "/s1600/"]),
    # a caption table is a figure when the reader hands the post on
    ("1000000000000000003", "post", "한글 간판 사진", None, ("일상",), [SIGN],
     ["<figure>", "<figcaption>한글 간판 (Hangul sign)</figcaption>"], ["tr-caption-container", "w400-h400"]),
    # an old highlighter's block says its language as HTML does
    ("1000000000000000004", "post", "Code, and text that looks like {{ Liquid }}", None, ("code", "Jekyll"), [],
     ['data-lang="javascript"', "{% raw %}"], []),
    ("2000000000000000001", "page", "About", None, (), None, [], []),
]  # fmt: skip


@pytest.fixture(scope="module")
def readers(tmp_path_factory):
    """{reader: {post id: Post}}: the feed's entries parsed one by one, each export file read whole."""
    blog = FixtureBlog()
    feed = BloggerFeedSource(BLOG, Config(), http=None)
    out = {"feed": {e["id"]: feed.read_entry(_entry_json(e, blog, BLOG, IMG, e["kind"], False), e["kind"])
                    for e in blog.entries if e["status"] == "live"}}  # fmt: skip
    folder = tmp_path_factory.mktemp("exports")
    for fmt, text in (("takeout", takeout_atom(blog, BLOG, IMG)), ("legacy", legacy_xml(blog, BLOG, IMG))):
        path = folder / f"{fmt}.xml"
        path.write_text(text, encoding="utf-8")
        src = BloggerExportSource(path, Config(origins=(BLOG,)), fmt)
        src.scan()
        out[fmt] = {p.id: p for p in src.posts()}
    return out, blog


@pytest.mark.parametrize("fmt", ["feed", "takeout", "legacy"])
@pytest.mark.parametrize(("post_id", "kind", "title", "published", "tags", "images", "in_body", "not_in_body"), CASES,
                         ids=[c[0] for c in CASES])
def test_every_reader_gives_the_same_post(readers, fmt, post_id, kind, title, published, tags, images, in_body,
                                          not_in_body):
    got, blog = readers
    post = got[fmt][post_id]
    entry = next(e for e in blog.entries if e["id"] == post_id)
    assert post.error is None and post.kind == kind and post.title == title and post.tags == tags
    assert post.published == datetime.fromisoformat(published or entry["published"])
    assert post.path == entry["path"] and post.url == BLOG + entry["path"]
    if images is not None:
        assert [i["src"] for i in BeautifulSoup(post.html, "lxml").find_all("img")] == images
    for text in in_body:
        assert text in post.html, (text, post.html)
    for text in not_in_body:
        assert text not in post.html, text


def test_a_body_without_blogger_markup_is_handed_on_byte_for_byte():
    """The clean-up parses only a body that holds what it turns into HTML (a caption table, an old
    highlighter's block): any other post keeps its exact bytes, and its fingerprint with them."""
    from migrator.sources.blogger import clean_html

    html = '<div dir="ltr" trbidi="on"><p>Plain <b>words</b>&nbsp;<a href="x" imageanchor="1">link</a></p></div>'
    assert clean_html(html) is html
    assert "<figure>" in clean_html('<table class="tr-caption-container"><tr><td><img src="a.png"></td></tr></table>')
