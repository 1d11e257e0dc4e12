"""One-line checks of the Tistory helpers: original image URLs, post paths, dates, markers."""

from datetime import datetime, timedelta, timezone

import pytest

from migrator.sources.tistory import (
    classify_path,
    is_chrome_image,
    kage_url,
    looks_like_tistory,
    original_image_url,
    parse_tistory_date,
)

KST = timezone(timedelta(hours=9))


@pytest.mark.parametrize(
    ("url", "original"),
    [
        ("https://img1.daumcdn.net/thumb/R1280x0/?scode=mtistory2&fname=https%3A%2F%2Fblog.kakaocdn.net%2Fdn%2Fa%2Fb%2Fc%2Fimg.png",
         "https://blog.kakaocdn.net/dn/a/b/c/img.png"),
        ("//img1.daumcdn.net/thumb/R1920x0/?fname=http%3A%2F%2Fcfile23.uf.tistory.com%2Fimage%2F216CF839",
         "http://cfile23.uf.tistory.com/original/216CF839"),
        ("https://img1.daumcdn.net/thumb/R800x0/?scode=mtistory2&fname=https%3A%2F%2Ft1.daumcdn.net%2Fcfile%2Ftistory%2F1731AC52",
         "https://t1.daumcdn.net/cfile/tistory/1731AC52?original"),
        ("https://t1.daumcdn.net/cfile/tistory/1731AC524E07FB5824", "https://t1.daumcdn.net/cfile/tistory/1731AC524E07FB5824?original"),
        ("https://t1.daumcdn.net/cfile/tistory/216CF839?original", "https://t1.daumcdn.net/cfile/tistory/216CF839?original"),
        ("http://cfile9.uf.tistory.com/image/2176203E53FC211D1199FD", "http://cfile9.uf.tistory.com/original/2176203E53FC211D1199FD"),
        ("https://blog.kakaocdn.net/dn/E2tbn/btsO75rDgmP/ZHZv/img.png", "https://blog.kakaocdn.net/dn/E2tbn/btsO75rDgmP/ZHZv/img.png"),
        ("https://blog.kakaocdn.net/dna/a/b/AAAA/img.png?credential=x&expires=1&signature=y%3D",
         "https://blog.kakaocdn.net/dna/a/b/AAAA/img.png?credential=x&expires=1&signature=y%3D"),
        # a thumbnail of a thumbnail
        ("https://img1.daumcdn.net/thumb/C450x300/?fname=https%3A%2F%2Fimg1.daumcdn.net%2Fthumb%2FR800x0%2F%3Ffname%3Dhttps%253A%252F%252Fblog.kakaocdn.net%252Fdn%252Fx%252Fimg.png",
         "https://blog.kakaocdn.net/dn/x/img.png"),
    ],
)
def test_original_image_url(url, original):
    assert original_image_url(url) == original


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/30", ("id", "30")),
        ("/30/", ("id", "30")),
        ("/entry/%EC%83%88-%EA%B8%80", ("entry", "새-글")),
        ("/m/30", None),
        ("/category/IT", None),
        ("/tag/linux", None),
        ("/guestbook", None),
        ("/", None),
    ],
)
def test_classify_path(path, key):
    assert classify_path(path) == key


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2011-06-27T13:04:10+09:00", datetime(2011, 6, 27, 13, 4, 10, tzinfo=KST)),
        ("20131026232137", datetime(2013, 10, 26, 23, 21, 37, tzinfo=KST)),
        ("20170710T21:30:38+09:00", datetime(2017, 7, 10, 21, 30, 38, tzinfo=KST)),
        ("Mon, 27 Jun 2011 13:04:10 +0900", datetime(2011, 6, 27, 13, 4, 10, tzinfo=KST)),
        ("not a date", None),
        (None, None),
    ],
)
def test_parse_tistory_date(value, expected):
    assert parse_tistory_date(value) == expected


def test_markers_and_chrome():
    assert looks_like_tistory('<script>window.T.config = {"BLOG":{}}</script>')
    assert not looks_like_tistory("<meta name='generator' content='blogger'>")
    assert is_chrome_image("https://t1.daumcdn.net/tistory_admin/static/images/no-image-v1.png")
    assert is_chrome_image("https://tistory1.daumcdn.net/tistory/7985193/attach/46acd51d")
    assert not is_chrome_image("https://blog.kakaocdn.net/dn/a/b/c/img.png")
    assert kage_url("kage@a/b/c/img.png") == "https://blog.kakaocdn.net/dn/a/b/c/img.png"


def test_signed_urls_have_a_stable_key():
    from migrator.sources.tistory import stable_image_key

    a = "https://blog.kakaocdn.net/dna/x/y/AAAA/img.png?credential=c1&expires=1753973999&allow_ip=&allow_referer=&signature=s1%3D"
    b = "https://blog.kakaocdn.net/dna/x/y/AAAA/img.png?credential=c2&expires=1756652399&allow_ip=&allow_referer=&signature=s2%3D"
    assert stable_image_key(a) == stable_image_key(b) == "https://blog.kakaocdn.net/dna/x/y/AAAA/img.png"
    f = "https://blog.kakaocdn.net/dna/x/y/AAAA/a.pdf?credential=c&expires=1&signature=s&attach=1&knm=a.pdf"
    assert stable_image_key(f) == "https://blog.kakaocdn.net/dna/x/y/AAAA/a.pdf?attach=1&knm=a.pdf"
    assert stable_image_key("https://blog.kakaocdn.net/dn/x/img.png") == "https://blog.kakaocdn.net/dn/x/img.png"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025. 11. 13. 17:09", datetime(2025, 11, 13, 17, 9, tzinfo=KST)),
        ("2023. 1. 27. 23:37", datetime(2023, 1, 27, 23, 37, tzinfo=KST)),
        ("written 2017.07.10 21:30", datetime(2017, 7, 10, 21, 30, tzinfo=KST)),
        ("2011. 6. 27.", datetime(2011, 6, 27, tzinfo=KST)),
        ("no date here", None),
    ],
)
def test_visible_dates(text, expected):
    from migrator.sources.tistory import parse_visible_date

    assert parse_visible_date(text) == expected


@pytest.mark.parametrize(
    ("html", "category"),
    [
        ('<nav class="gnb"><a href="/category/Menu">Menu</a></nav><div class="heading"><a class="category" '
         'href="/category/iOS/Swift">Swift</a></div>', "iOS/Swift"),
        ('<div class="heading"><a class="category" href="/category">카테고리 없음</a></div>', ""),
        ('<aside class="sidebar"><a href="/category/%EC%9E%A1%EB%8B%B4">잡담</a></aside>'
         '<strong class="tit_category"><a href="/category/%EA%B0%9C%EB%B0%9C">개발</a></strong>', "개발"),
        ('<ul class="tt_category"><li><a class="link_item" href="/category/IT">IT</a></li></ul>', ""),
    ],
)
def test_skin_category_is_read_near_the_article(html, category):
    from bs4 import BeautifulSoup

    from migrator.sources.tistory import skin_category

    assert skin_category(BeautifulSoup(html, "lxml")) == category
