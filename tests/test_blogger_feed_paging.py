"""Paging Blogger's feeds the way Blogger pages them: rel=next links point at www.blogger.com by blog id
(unreachable from the tests), so only their query is asked of the blog's own origin; loops and pages that
repeat themselves end the paging. Counted in requests against the local fixture server."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from server import FixtureBlog, FixtureServer, comments_json, feed_json

from conftest import EXAMPLE_CONFIG
from migrator.config import Config, load_config
from migrator.errors import ExitStatus
from migrator.http import HttpClient
from migrator.sources.blogger import BloggerFeedSource


@pytest.fixture
def hosts_asked(monkeypatch):
    """Every host the HTTP client was asked to fetch from (redirect hops included)."""
    asked: list[str] = []
    real = HttpClient.check_url

    def check(self, url):
        asked.append(urlsplit(url).hostname or "")
        return real(self, url)

    monkeypatch.setattr(HttpClient, "check_url", check)
    return asked


def starts(server, prefix="/feeds/posts/default"):
    return [int(parse_qs(urlsplit(p).query).get("start-index", ["1"])[0]) for p in server.requests_to(prefix)]


def live_posts(blog):
    return len(blog.live("post"))


# --- the fixture world follows the facts ---------------------------------------------------------------


def _leaves(obj, path=""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaves(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _leaves(v, f"{path}[{i}]")
    else:
        yield path, obj


def test_fixture_feed_has_the_real_shape_and_next_links_on_www_blogger_com():
    blog = FixtureBlog()
    blog.page_cap = 150
    blog.entries = [dict(blog.entries[0], id=str(1000 + i), path=f"/2024/01/p{i}.html") for i in range(200)]
    data = feed_json(blog, "post", {"alt": "json"}, "http://localhost:1", "http://127.0.0.1:1")
    feed = data["feed"]
    assert all(isinstance(v, str) for _, v in _leaves(data)), [p for p, v in _leaves(data) if not isinstance(v, str)]
    assert {k for k in feed if k.startswith("openSearch$")} == {
        "openSearch$totalResults", "openSearch$startIndex", "openSearch$itemsPerPage"}
    assert feed["openSearch$itemsPerPage"]["$t"] == "25"  # the default page size
    rels = {link["rel"]: link["href"] for link in feed["link"]}
    assert {"self", "alternate", "next", "hub", "http://schemas.google.com/g/2005#feed"} <= set(rels)
    assert rels["next"] == f"https://www.blogger.com/feeds/{blog.blog_id}/posts/default?alt=json&start-index=26&max-results=25"
    entry = feed["entry"][0]
    assert {"media$thumbnail", "thr$total", "link", "author", "category"} <= set(entry)
    assert {link["rel"] for link in entry["link"]} == {"replies", "edit", "self", "alternate"}
    capped = feed_json(blog, "post", {"max-results": "500"}, "http://localhost:1", "http://127.0.0.1:1")["feed"]
    assert len(capped["entry"]) == 150 and capped["openSearch$itemsPerPage"]["$t"] == "150"
    comments = comments_json(FixtureBlog(), "http://localhost:1", None, {})
    assert all(isinstance(v, str) for _, v in _leaves(comments)) and comments["feed"]["entry"]


def test_the_blog_id_path_on_the_blog_host_is_not_served(quiet_server, blog):
    import requests

    got = requests.get(f"{quiet_server.url}/feeds/{blog.blog_id}/posts/default?alt=json&start-index=4", timeout=5)
    assert got.status_code == 404  # documented nowhere: a client that builds it finds nothing


# --- following rel=next --------------------------------------------------------------------------------


def test_next_links_on_www_blogger_com_are_asked_of_the_origin(quiet_server, blog, migrate, hosts_asked):
    blog.next_links = "all"  # every page has its rel=next, on www.blogger.com by blog id
    res, site = migrate(quiet_server)
    assert res.code == 0, res
    assert "stopped reading" not in res.out and "announced" not in res.out
    assert len(list((site / "_posts").iterdir())) == live_posts(blog)
    assert "www.blogger.com" not in hosts_asked
    assert starts(quiet_server) == [1, 4, 7, 10]  # ceil(12 / 3) pages, each asked once
    for path in quiet_server.requests_to("/feeds/posts/default?"):
        query = parse_qs(urlsplit(path).query)
        assert query["alt"] == ["json"]
        if query.get("start-index") != ["1"]:
            assert query["max-results"] == ["3"]  # the link's own paging parameters
    assert not quiet_server.requests_to(f"/feeds/{blog.blog_id}/")


@pytest.mark.parametrize(
    ("kind", "projection", "href", "expected"),
    [
        ("posts", "default", "https://www.blogger.com/feeds/42/posts/default?alt=json&start-index=16&max-results=15",
         "https://blog.example.com/feeds/posts/default?alt=json&start-index=16&max-results=15"),
        ("pages", "default", "https://www.blogger.com/feeds/42/pages/default?alt=json&start-index=26&max-results=25",
         "https://blog.example.com/feeds/pages/default?alt=json&start-index=26&max-results=25"),
        ("posts", "summary", "https://www.blogger.com/feeds/42/posts/summary?start-index=101&max-results=100&alt=json",
         "https://blog.example.com/feeds/posts/summary?alt=json&start-index=101&max-results=100"),
        ("posts", "default",
         "https://www.blogger.com/feeds/42/posts/default?alt=json&orderby=updated&updated-min=2024-01-01T00%3A00%3A00%2B09%3A00"
         "&start-index=4&max-results=3",
         "https://blog.example.com/feeds/posts/default?alt=json&orderby=updated&updated-min=2024-01-01T00%3A00%3A00%2B09%3A00"
         "&start-index=4&max-results=3"),
        ("comments", "default", "https://www.blogger.com/feeds/42/comments/default?alt=json&start-index=26&max-results=25",
         "https://blog.example.com/feeds/comments/default?alt=json&start-index=26&max-results=25"),
        ("77/comments", "default", "https://www.blogger.com/feeds/42/77/comments/default?alt=json&start-index=3&max-results=2",
         "https://blog.example.com/feeds/77/comments/default?alt=json&start-index=3&max-results=2"),
    ],
)
def test_a_next_link_keeps_its_query_on_the_documented_path(kind, projection, href, expected):
    src = BloggerFeedSource("https://blog.example.com", Config(), http=None)
    url, start, problem = src._next_url(kind, projection, href, 1)
    assert (url, problem) == (expected, "")
    assert start == int(parse_qs(urlsplit(href).query)["start-index"][0])
    assert src._next_url(kind, projection, href, start)[0] is None  # it must advance


def test_a_next_link_that_loops_is_ignored_and_start_index_stepped(quiet_server, blog, migrate):
    blog.next_links, blog.quirk = "all", "next-loops"  # every rel=next points back at start-index=1
    res, site = migrate(quiet_server)
    assert res.code == 0, res
    assert len(list((site / "_posts").iterdir())) == live_posts(blog)
    assert starts(quiet_server) == [1, 4, 7, 10]  # no page asked twice
    assert res.out.count("ignored a rel=next link of the posts feed that does not advance") == 1


def test_a_page_of_only_repeated_entries_ends_the_paging(quiet_server, blog, migrate):
    blog.next_links, blog.quirk = "all", "ignores-start-index"  # every page is the first, rel=next advances
    res, site = migrate(quiet_server)
    assert res.code == ExitStatus.PARTIAL, res  # it says so and the run is not complete
    assert starts(quiet_server) == [1, 4]  # the second page added nothing: stop there
    assert "repeated only entries already read" in res.out and "announced 12 entries but gave 3" in res.out
    manifest = json.loads((site / ".migrator/manifest.json").read_text())
    assert len(manifest["posts"]) == 3 + len(blog.live("page")) and manifest["source"].get("complete") is None


def test_comments_feeds_are_paged_by_their_next_links(quiet_server, blog, migrate):
    blog.page_cap = 1  # one comment (and one post) a page
    res, site = migrate(quiet_server)
    assert res.code == 0, res
    assert len(quiet_server.requests_to("/feeds/comments/default")) == len(blog.comments) == 3
    assert len(list((site / "_data/comments").iterdir())) == 2
    # a resync reads a post's comments from its own feed, page by page
    cfg = load_config(EXAMPLE_CONFIG)
    http = HttpClient(cfg.http, allow_private=True)
    src = BloggerFeedSource(quiet_server.url, cfg, http)
    post = next(p for p in src.posts() if p.id == "1000000000000000001")
    quiet_server.log.clear()
    with_comments = src._with_post_comments(post)
    assert [c.id for c in with_comments.comments] == ["5000000000000000001", "5000000000000000002"]
    assert len(quiet_server.requests_to("/feeds/1000000000000000001/comments/default")) == 2


def test_a_lone_surrogate_in_the_feed_json_does_not_crash_the_reader(blog):
    blog.entries[0]["title"] = "broken \ud800 title"
    blog.page_cap = 150
    with FixtureServer(blog, faults={}) as server:
        raw = json.dumps(feed_json(blog, "post", {}, server.url, server.img_url))
        assert "\\ud800" in raw  # the escape as the real feed sends it
        cfg = load_config(EXAMPLE_CONFIG)
        src = BloggerFeedSource.open(server.url, cfg, HttpClient(cfg.http, allow_private=True))
        posts = list(src.posts())
    assert len(posts) == live_posts(blog) + len(blog.live("page"))
    assert any(p.title.startswith("broken ") for p in posts)
