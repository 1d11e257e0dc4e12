"""The RSS/Atom feed source: its parser as a table (fixture feed -> the fields of each post), how it is
recognised (a URL that answers with a feed, a local feed file; a Blogger export stays Blogger's), and a
migration from a local server and from a file."""

from __future__ import annotations

import json
from datetime import datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import frontmatter
import pytest
from server import serve_in_background, stop_serving

from migrator.config import load_config
from migrator.sources import find_source
from migrator.sources.feed import FeedSource, item_post, parse_feed

FEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "feed"
HOST = "https://blog.example.com"


def feed(name: str, host: str = HOST) -> bytes:
    return (FEEDS / name).read_text(encoding="utf-8").replace("@HOST@", host).encode("utf-8")


CASES = [
    # (feed, item, id, title, published, categories, path, slug, in body, not in body)
    ("rss.xml", 0, "feed-post-1", "Hello from a feed", "2024-03-02T09:15:00+09:00", ("Notes", "Python"),
     "/2024/03/hello-from-a-feed.html", "hello-from-a-feed",
     ["<b>whole post</b>", f'src="{HOST}/images/sunset.jpg"', 'data-lang="python"'], ["A short summary"]),
    ("rss.xml", 1, f"{HOST}/notes/second-note/", "Second note", "2024-03-10T20:00:00+00:00", ("Notes",),
     "/notes/second-note/", "second-note", ["Only a description here", "links to the first post"], ["&lt;p&gt;"]),
    ("atom.xml", 0, "tag:blog.example.com,2024:1", "An escaped HTML entry", "2024-04-01T08:30:00+02:00",
     ("Web", "notes"), "/posts/escaped-html", "escaped-html", ["<em>content</em> is escaped HTML"], ["&lt;"]),
    ("atom.xml", 1, "tag:blog.example.com,2024:2", "An XHTML entry", "2024-04-03T12:00:00+00:00", (),
     "/posts/xhtml-entry.html", "xhtml-entry", ["<strong>XHTML</strong>", f'src="{HOST}/images/logo.png"'],
     ["Ignored", "xmlns"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "index", "post_id", "title", "published", "categories", "path", "slug", "in_body", "not_in_body"),
    CASES,
    ids=[f"{c[0]}-{c[1]}" for c in CASES],
)
def test_each_item_is_a_post(name, index, post_id, title, published, categories, path, slug, in_body, not_in_body):
    parsed = parse_feed(feed(name))
    assert parsed is not None
    post = item_post(parsed.items[index])
    assert (post.id, post.title, post.categories, post.path, post.slug) == (post_id, title, categories, path, slug)
    assert post.published == datetime.fromisoformat(published) and post.url == HOST + path
    assert post.kind == "post" and post.status == "live" and post.error is None
    for text in in_body:
        assert text in post.html, (text, post.html)
    for text in not_in_body:
        assert text not in post.html, text


def test_the_feed_says_the_blog():
    rss, atom = parse_feed(feed("rss.xml")), parse_feed(feed("atom.xml"))
    assert (rss.title, rss.link, len(rss.items)) == ("A Feed-Only Blog", f"{HOST}/", 2)
    assert (atom.title, atom.link, atom.description) == ("An Atom Blog", f"{HOST}/", "Entries read from an Atom feed.")
    src = FeedSource(rss, load_config(None))
    assert src.blog.url == HOST and src.blog.platform == "feed" and src.expected_total == 2
    assert src.internal_path(f"{HOST}/2024/03/hello-from-a-feed.html#c1") == "/2024/03/hello-from-a-feed.html#c1"
    assert src.internal_path("https://elsewhere.example/2024/03/hello-from-a-feed.html") is None
    assert src.internal_path(f"{HOST}/about.html") is None  # not an item of the feed


@pytest.mark.parametrize("data", [b"just text", b"<html><body>a page</body></html>", b"<rss><nochannel/></rss>",
                                  b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><entry>"])
def test_what_is_not_a_feed(data):
    assert parse_feed(data) is None


def test_a_post_that_left_the_feed_is_kept_not_deleted():
    from migrator.models import KnownPost

    src = FeedSource(parse_feed(feed("rss.xml")), load_config(None))
    known = {"/2023/01/old.html": KnownPost("old-post"), "/2024/03/hello-from-a-feed.html": KnownPost("feed-post-1")}
    assert [p.id for p in src.posts(None, known)] == ["feed-post-1", f"{HOST}/notes/second-note/"]
    assert src.listed_ids == {"old-post", "feed-post-1"}


class Http:
    """Answers the feed at one URL (404 elsewhere), recording the requests."""

    def __init__(self, pages: dict[str, bytes]) -> None:
        self.pages, self.asked = pages, []

    def get(self, url: str, **kw):
        from migrator.errors import FetchError
        from migrator.http import Fetched

        self.asked.append(url)
        if url not in self.pages:
            raise FetchError(f"{url}: HTTP 404", url=url, status_code=404)
        return Fetched(url=url, status=200, headers={}, content=self.pages[url])


def test_a_feed_url_is_recognised_after_the_other_platforms_declared_requests():
    url = f"{HOST}/feed.xml"
    http = Http({url: feed("rss.xml")})
    src = find_source(url, load_config(None), http)
    assert isinstance(src, FeedSource) and src.origin == url
    assert http.asked == [f"{url}/", f"{url}/feeds/posts/default?alt=json&max-results=1", url, url]  # the last: opening


def test_a_page_that_is_a_feed_is_recognised_from_the_page():
    http = Http({f"{HOST}/feed/": feed("atom.xml")})  # WordPress's /feed/
    assert isinstance(find_source(f"{HOST}/feed", load_config(None), http), FeedSource)
    assert http.asked[0] == f"{HOST}/feed/" and len(http.asked) == 3  # the page, then opening: as given, as the page


def test_feed_files_route_here_and_blogger_exports_stay_blogger(tmp_path):
    from server import FixtureBlog, takeout_atom

    from migrator.sources.blogger import BloggerSource

    for name in ("rss.xml", "atom.xml"):
        path = tmp_path / name
        path.write_bytes(feed(name))
        assert isinstance(find_source(str(path), load_config(None), Http({})), FeedSource)
    takeout = tmp_path / "feed.atom"
    takeout.write_text(takeout_atom(FixtureBlog(), "https://example.blogspot.com", "https://img.example"))
    assert isinstance(find_source(str(takeout), load_config(None), Http({})), BloggerSource)
    empty = tmp_path / "empty.atom"
    empty.write_text("<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>t</title></feed>")
    from migrator.errors import NotABlogError

    with pytest.raises(NotABlogError, match="not a Blogger export, and is not an RSS or Atom feed with items"):
        find_source(str(empty), load_config(None), Http({}))


@pytest.fixture
def feed_host(tmp_path):
    """fixtures/feed served on 127.0.0.1, its feeds naming that address."""
    root = tmp_path / "www"
    root.mkdir()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(root)))
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    (root / "images").mkdir()
    for image in (FEEDS / "images").iterdir():
        (root / "images" / image.name).write_bytes(image.read_bytes())
    for name in ("rss.xml", "atom.xml"):
        (root / name).write_bytes(feed(name, url))
    serve_in_background(httpd)
    yield url, root
    stop_serving(httpd)


def test_a_feed_url_migrates_into_a_site(feed_host, cli, tmp_path):
    url, _ = feed_host
    site = tmp_path / "site"
    res = cli("migrate", f"{url}/rss.xml", "--out", site, "--allow-private-network", "--timezone", "Asia/Seoul")
    assert res.code == 0, res
    posts = sorted(p.name for p in (site / "_posts").iterdir())
    assert posts == ["2024-03-02-hello-from-a-feed.md", "2024-03-11-second-note.md"]
    first = frontmatter.load(site / "_posts" / posts[0])
    assert first["title"] == "Hello from a feed" and first["categories"] == ["Notes", "Python"]
    assert first["permalink"] == "/2024/03/hello-from-a-feed.html" and first["source_url"].endswith(posts[0][11:-3] + ".html")
    assert "```python\nprint(\"hi\")\n```" in first.content
    assert "![A sunset](/assets/img/hello-from-a-feed/sunset.jpg)" in first.content
    second = frontmatter.load(site / "_posts" / posts[1])
    assert "[links to the first post](/2024/03/hello-from-a-feed.html)" in second.content  # an internal link
    manifest = json.loads((site / ".migrator/manifest.json").read_text())
    assert manifest["source"]["platform"] == "feed" and manifest["source"]["requested"] == f"{url}/rss.xml"
    assert {a["status"] for a in manifest["assets"].values()} == {"ok"} and len(manifest["assets"]) == 2
    assert cli("verify", site).code == 0
    again = cli("migrate", f"{url}/rss.xml", "--out", site, "--allow-private-network", "--timezone", "Asia/Seoul")
    assert again.code == 0 and "posts unchanged             │     2" in again.out


def test_a_feed_file_migrates_into_a_site(feed_host, cli, tmp_path):
    url, root = feed_host
    site = tmp_path / "site"
    res = cli("migrate", root / "atom.xml", "--out", site, "--allow-private-network")
    assert res.code == 0, res
    names = sorted(p.name for p in (site / "_posts").iterdir())
    assert names == ["2024-04-01-escaped-html.md", "2024-04-03-xhtml-entry.md"]
    doc = frontmatter.load(site / "_posts" / names[1])
    assert doc["title"] == "An XHTML entry" and "**XHTML** entry." in doc.content
    assert doc["permalink"] == "/posts/xhtml-entry.html"
