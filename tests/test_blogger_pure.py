"""One-line checks of the Blogger helpers: size tokens, hosts, slugs, URL normalisation."""

import pytest

from migrator.sources.blogger import IMAGE_HOSTS as DEFAULT_BLOGGER_IMAGE_HOSTS
from migrator.sources.blogger import (
    BloggerFeedSource,
    host_matches,
    looks_like_blogger,
    original_image_url,
    rewrite_image_urls,
    slug_from_path,
    strip_mobile_param,
)

G = "https://blogger.googleusercontent.com"


@pytest.mark.parametrize(
    ("url", "original"),
    [
        (f"{G}/img/b/R29vZ2xl/AVvXsEg/s320/photo.png", f"{G}/img/b/R29vZ2xl/AVvXsEg/s0/photo.png"),
        (f"{G}/img/b/R29vZ2xl/AVvXsEg/s1600/photo.png", f"{G}/img/b/R29vZ2xl/AVvXsEg/s0/photo.png"),
        (f"{G}/img/b/R29vZ2xl/AVvXsEg/w640-h480/photo.png", f"{G}/img/b/R29vZ2xl/AVvXsEg/s0/photo.png"),
        (f"{G}/img/b/R29vZ2xl/AVvXsEg/s72-c/photo.png", f"{G}/img/b/R29vZ2xl/AVvXsEg/s0/photo.png"),
        (f"{G}/img/b/R29vZ2xl/K/w640-h480-p-k-no-nu/p.jpg", f"{G}/img/b/R29vZ2xl/K/s0/p.jpg"),
        (f"{G}/img/b/R29vZ2xl/K/s1600-rw/p.jpg", f"{G}/img/b/R29vZ2xl/K/s0/p.jpg"),
        (f"{G}/img/a/AVvXsEh=s1600", f"{G}/img/a/AVvXsEh=s0"),
        (f"{G}/img/a/AVvXsEh=w640-h480", f"{G}/img/a/AVvXsEh=s0"),
        (f"{G}/img/a/AVvXsEh=w640-h480-rw", f"{G}/img/a/AVvXsEh=s0"),
        ("https://lh3.googleusercontent.com/abcDEF=s72-c", "https://lh3.googleusercontent.com/abcDEF=s0"),
        ("https://1.bp.blogspot.com/-a/b/AAAAAAAAAAI/c/s1600-h/x.jpg", "https://1.bp.blogspot.com/-a/b/AAAAAAAAAAI/c/s0/x.jpg"),
        ("//3.bp.blogspot.com/-a/b/AAAAAAAAAAI/c/s72-c/x.jpg", "https://3.bp.blogspot.com/-a/b/AAAAAAAAAAI/c/s0/x.jpg"),
        (f"{G}/img/b/R29vZ2xl/K/s0/already.png", f"{G}/img/b/R29vZ2xl/K/s0/already.png"),
        (f"{G}/img/b/R29vZ2xl/K/no-size.png", f"{G}/img/b/R29vZ2xl/K/no-size.png"),
    ],
)
def test_original_image_url(url, original):
    assert original_image_url(url) == original


def test_rewrite_touches_only_image_hosts():
    html = (
        '<a href="https://1.bp.blogspot.com/-a/b/AAAA/c/s1600/x.jpg"><img src="https://1.bp.blogspot.com/-a/b/AAAA/c/s320/x.jpg"'
        ' srcset="https://1.bp.blogspot.com/-a/b/AAAA/c/s320/x.jpg 1x, https://1.bp.blogspot.com/-a/b/AAAA/c/s640/x.jpg 2x"></a>'
        '<a href="https://name.blogspot.com/2020/01/s320/post.html">a post</a>'
    )
    out = rewrite_image_urls(html, DEFAULT_BLOGGER_IMAGE_HOSTS)
    assert out.count("/s0/x.jpg") == 4
    assert "/s320/x.jpg" not in out and "/s640/" not in out
    assert "https://name.blogspot.com/2020/01/s320/post.html" in out


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("blogger.googleusercontent.com", True),
        ("1.bp.blogspot.com", True),
        ("bp.blogspot.com", True),
        ("lh5.googleusercontent.com", True),
        ("myblog.blogspot.com", False),
        ("evil.com", False),
    ],
)
def test_image_hosts(host, expected):
    assert host_matches(host, DEFAULT_BLOGGER_IMAGE_HOSTS) is expected


@pytest.mark.parametrize(
    ("path", "slug"),
    [
        ("/2023/06/my-post.html", "my-post"),
        ("/2024/03/blog-post_15.html", "blog-post_15"),
        ("/p/about.html", "about"),
        ("/2024/03/%ED%95%9C%EA%B8%80.html", "한글"),
    ],
)
def test_slug_from_path(path, slug):
    assert slug_from_path(path) == slug


def test_strip_mobile_param():
    assert strip_mobile_param("https://x.blogspot.com/2020/01/a.html?m=1") == "https://x.blogspot.com/2020/01/a.html"
    assert strip_mobile_param("https://x.com/a.html?m=0&q=2#c1") == "https://x.com/a.html?q=2"


@pytest.mark.parametrize(
    ("host", "expected"),
    [("name.blogspot.com", True), ("name.blogspot.kr", True), ("name.blogspot.co.uk", True), ("blog.example.com", False)],
)
def test_blogspot_hosts(host, expected):
    assert BloggerFeedSource.matches_host(host) is expected


def test_looks_like_blogger():
    assert looks_like_blogger("<meta content='blogger' name='generator'/>")
    assert looks_like_blogger("<link href='https://www.blogger.com/feeds/123/posts/default'>")
    assert not looks_like_blogger("<html><meta name='generator' content='WordPress'></html>")


def test_internal_path_recognises_the_blogs_own_posts():
    from migrator.config import Config
    from migrator.models import Blog

    src = BloggerFeedSource("https://blog.example.com", Config(), http=None)
    src.blog = Blog("blogger", "https://name.blogspot.com")
    assert src.internal_path("http://name.blogspot.com/2020/01/a.html?m=1#c5") == "/2020/01/a.html#c5"
    assert src.internal_path("https://blog.example.com/p/about.html") == "/p/about.html"
    assert src.internal_path("https://name.blogspot.com/search/label/x") is None
    assert src.internal_path("https://other.blogspot.com/2020/01/a.html") is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8080/img/b/R29vZ2xl/KEY/s320/a.png", "http://127.0.0.1:8080/img/b/R29vZ2xl/KEY/s0/a.png"),
        ("https://cdn.example.com/img/a/KEY=w640-h480", "https://cdn.example.com/img/a/KEY=s0"),
        ("http://mirror.test/-abc/XYZ/AAAAAAAAAAI/def/s1600-h/a.jpg", "http://mirror.test/-abc/XYZ/AAAAAAAAAAI/def/s0/a.jpg"),
        ("https://example.com/photos/s320/a.png", "https://example.com/photos/s320/a.png"),  # not Blogger's shape
    ],
)
def test_blogger_image_shapes_are_recognised_on_any_host(url, expected):
    assert rewrite_image_urls(f'<img src="{url}">', DEFAULT_BLOGGER_IMAGE_HOSTS) == f'<img src="{expected}">'
