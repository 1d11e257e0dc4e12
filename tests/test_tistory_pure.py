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


# --- issue 10: correct on real blogs ----------------------------------------------------------------
# Pages from the fixture Tistory site (fixtures/tistory_site.py: the skins' shapes, our own text) and small
# snippets, parsed by the source with no network.

BLOG = "https://example.tistory.com"
IMG = "https://img.example"


class FakeHttp:
    """Answers GETs from a dict of URL -> HTML (404 otherwise) and records them."""

    def __init__(self, pages: dict[str, str] | None = None) -> None:
        self.pages = pages or {}
        self.requests: list[str] = []

    def set_host_delay(self, *args) -> None:
        pass

    def get(self, url: str, **kwargs):
        from migrator.errors import FetchError
        from migrator.http import Fetched

        self.requests.append(url)
        if url not in self.pages:
            raise FetchError(f"{url}: HTTP 404", url=url, status_code=404)
        return Fetched(url=url, status=200, headers={"Content-Type": "text/html; charset=utf-8"},
                       content=self.pages[url].encode())


def source(pages: dict[str, str] | None = None):
    from migrator.config import Config
    from migrator.sources.tistory import TistorySource

    return TistorySource(BLOG, Config(), FakeHttp(pages))


def fixture_page(post_id: int, *, mobile: bool = False):
    """The pure page parser on a fixture page (no source, no HTTP): ``mobile`` hands it the mobile page too."""
    from tistory_site import TistoryBlog

    from migrator.sources.tistory import parse_post_page

    blog = TistoryBlog()
    p = next(x for x in blog.posts if x["id"] == post_id)
    html = blog.page(p, BLOG, IMG)
    return parse_post_page(html, BLOG + blog.path_of(p), BLOG, mobile=blog.mobile(p, BLOG, IMG) if mobile else None)


def fixture_post(post_id: int):
    return fixture_page(post_id).post


def markdown(html: str) -> str:
    from migrator.convert import html_to_markdown

    return html_to_markdown(html)


@pytest.mark.parametrize(
    ("post_id", "title", "published", "categories", "tags", "images", "in_body", "not_in_body"),
    [
        # the 2011 skin as captured in 2025 (entryInfo/tiara JSON in the page)
        (1, "리눅스 서버 상태 확인 메모", "2011-06-27T13:04:10+09:00", ("IT", "DevOps"), ("linux", "서버", "메모"),
         [f"{IMG}/cfile/tistory/legacy?original"], ["**서버가 느려졌을 때** 먼저"],
         ["반응형", "adsbygoogle", "공감", "카테고리의 다른 글", "분류 전체보기"]),
        # the same skin served before 2020: no JSON, so tags and category come from inside div.category_list;
        # an AdSense table in the article, the old fold, a layout table, an old emoticon
        (8, "접어 둔 설정 파일 [2012]: 예전 에디터", "2012-03-04T10:20:30+09:00", ("IT", "Linux"), ("설정", "옛날 에디터"),
         [f"{IMG}/cfile/tistory/stack1?original", f"{IMG}/cfile/tistory/stack2?original"],
         ["<summary>더보기</summary>\n\n접힌 내용", f"![]({IMG}/cfile/tistory/stack1?original)\n\n![]", "| port | 8080 |"],
         ["접기", "google_ad_client", "show_ads", "반응형", "| ![", "| --- |\n| ![", "emoticon", "Linux |"]),
        # a blog's own 2016 skin: compact dates, no JSON, junk inside the tt_article div, a Textcube-style fold
        (9, "2013년 메모: 업로드 도구 (v2)", "2013-10-26T23:21:37+09:00", ("도구",), ("업로드", "메모 모음"),
         [f"{IMG}/cfile/tistory/note2013?original"], ["<summary>펼치기</summary>\n\n접어 둔 두 번째 문단"],
         ["카카오스토리", "신고", "카테고리의 다른 글", "adsbygoogle", "tt-sns", "toggleMoreLess"]),
        # the new editor in the Portfolio skin: the emoticons go, the link card keeps its host
        (3, '새 에디터로 쓴 글 [테스트]: "따옴표"', "2025-07-27T23:30:00+09:00", ("개발", "Tools"), ("에디터", "tistory"),
         None, ["리눅스 서버 상태 확인 메모 (localhost)", "<summary>더보기</summary>"], ["keditor", "tistory_admin"]),
        # hELLO: no entryInfo, tags in the footer
        (4, "[iOS] 성능 측정 (2/2)", "2023-01-27T23:37:34+09:00", ("iOS",), ("Dirty Flag", "더티 플래그"),
         ["https://img.example/dn/bBp1am/btrXoo/hello1/img.png"], ["hELLO 스킨으로 쓴 글입니다."], ["수정"]),
    ],
    ids=["2011-skin", "2011-skin-no-json", "2016-custom-skin", "new-editor", "hello"],
)
def test_fixture_pages_parse(post_id, title, published, categories, tags, images, in_body, not_in_body):
    from bs4 import BeautifulSoup

    post = fixture_post(post_id)
    assert post.error is None
    assert post.title == title
    assert post.published == datetime.fromisoformat(published)
    assert post.categories == categories
    assert post.tags == tags
    if images is not None:
        assert [i["src"] for i in BeautifulSoup(post.html, "lxml").find_all("img")] == images
    md = markdown(post.html)
    for text in in_body:
        assert text in md, text
    for text in not_in_body:
        assert text not in md and text not in post.html, text


def test_a_skin_no_selector_knows_asks_for_the_mobile_page_and_reads_it():
    first = fixture_page(6)
    assert first.needs_mobile and first.post.error and "no post body" in first.post.error and not first.post.skip
    second = fixture_page(6, mobile=True)
    assert not second.needs_mobile and second.post.error is None and second.post.title == "모바일에서만 읽히는 글"
    assert second.post.html.strip() and second.post.old_urls == ("/m/6",)


def test_a_protected_page_is_skipped_with_its_reason():
    page = fixture_page(5)
    assert page.post.skip and "password" in page.post.error and page.post.id == "5" and not page.needs_mobile


def test_the_reader_fetches_only_the_mobile_page_it_was_asked_for():
    from tistory_site import TistoryBlog

    blog = TistoryBlog()
    p = next(x for x in blog.posts if x["id"] == 6)
    src = source({f"{BLOG}/m/6": blog.mobile(p, BLOG, IMG)})
    post = src.parse_page(blog.page(p, BLOG, IMG), f"{BLOG}/6")
    assert post.error is None and src.http.requests == [f"{BLOG}/m/6"]
    src = source()
    assert fixture_post(1).error is None and src.parse_page(blog.page(blog.posts[0], BLOG, IMG), f"{BLOG}/1")
    assert src.http.requests == []  # a body the selectors find: no request at all


def test_tags_and_category_are_read_inside_a_category_list_wrapper():
    """The 2011 skin puts the whole article in div.category_list, the class of the menu's sub-list too."""
    from bs4 import BeautifulSoup

    from migrator.sources.tistory import skin_category, skin_tags

    html = (
        '<nav class="menu_navigation"><ul class="tt_category"><li><a class="link_tit" href="/category">전체</a>'
        '<ul class="category_list"><li><a class="link_item" href="/category/Menu">Menu</a></li></ul></li></ul></nav>'
        '<div class="category_list index_type_common"><ul class="list_horizontal"><li class="category_content_area">'
        '<div class="article_content"><div class="artcle_category_info"><a class="link_category" '
        'href="/category/IT/DevOps"><span class="category">IT/DevOps</span></a></div>'
        '<div class="article_view"><div class="contents_style"><p>본문 <a href="/category/Other">다른 분류</a></p>'
        '</div></div><div class="area_tag"><div class="tag_content"><a href="/tag/a" rel="tag">a</a>, '
        '<a href="/tag/b" rel="tag">b</a></div></div></div></li></ul></div>'
        '<aside class="sidebar"><a href="/tag/menu" rel="tag">menu</a><div class="box_tag">'
        '<a href="/tag/cloud" class="cloud3">cloud</a></div></aside>'
        '<div class="side_list"><a href="/tag/popular" rel="tag" class="cloud1">popular</a></div>'
    )
    soup = BeautifulSoup(html, "lxml")
    body = soup.select_one(".contents_style")
    assert skin_category(soup, near=body) == "IT/DevOps"
    assert skin_tags(soup, near=body) == ["a", "b"]


@pytest.mark.parametrize(
    ("wrapper", "chrome"),
    [
        ('<div class="category_list">{}</div>', False),  # a wrapper's class name is not what the link is
        ('<div class="widget_article sidebar_like menu_area">{}</div>', False),
        ("<nav>{}</nav>", True),
        ("<aside>{}</aside>", True),
        ('<div role="navigation">{}</div>', True),
        ('<ul class="tt_category"><li>{}</li></ul>', True),
        ('<ul class="box"><li>{}</li><li><a href="/category/B">B</a></li></ul>', True),  # a list of categories
        ('<ul class="box"><li>{}</li><li><a href="/tag/x">x</a></li></ul>', False),
        ('<ul class="breadcrumb"><li>{}</li><li><a href="/category/A/B">B</a></li></ul>', False),  # one category
    ],
)
def test_chrome_is_decided_by_what_an_element_is(wrapper, chrome):
    from bs4 import BeautifulSoup

    from migrator.sources.tistory import _in_chrome

    soup = BeautifulSoup(wrapper.format('<a id="x" href="/category/A">A</a>'), "lxml")
    assert _in_chrome(soup.find(id="x")) is chrome


def cleaned(html: str) -> str:
    """A body snippet through the Tistory clean-up and the Markdown conversion."""
    from bs4 import BeautifulSoup

    from migrator.sources.tistory import clean_editor_html

    soup = BeautifulSoup(f"<div id='post'>{html}</div>", "lxml")
    body = soup.find(id="post")
    clean_editor_html(body, soup, BLOG)
    return markdown(body.decode_contents())


@pytest.mark.parametrize(
    ("html", "label"),
    [
        # server pages of the old editor: a button, the content, a "less" button
        ('<p><button type="button" class="btn_more">더보기</button></p><div class="moreless_content">'
         '<p>안쪽 글</p></div><p><button type="button" class="btn_less">접기</button></p>', "더보기"),
        ('<button class="btn_more">열기 ▼</button><div class="moreless_content"><p>안쪽 글</p>'
         '<button class="btn_less">접기</button></div>', "열기"),
        # Textcube-style: p.moreless_fold > span[onclick], the label also in toggleMoreLess' arguments
        ('<p id="more1_0" class="moreless_fold"><span onclick="toggleMoreLess(this, \'1_0\',\'펼치기\',\'접기\'); '
         'return false;">펼치기</span></p><div id="content1_0" class="moreless_content" style="display: none;">'
         '<p>안쪽 글</p></div>', "펼치기"),
        ('<p class="moreless_fold"><span onclick="toggleMoreLess(this, \'1_0\',\'소스 보기\',\'접기\');"></span></p>'
         '<div class="moreless_content"><p>안쪽 글</p><p class="moreless_bottom"><span>접기</span></p></div>', "소스 보기"),
        # backups: span.txt_fold + div.moreless_content, the content inside the span, a broken tt_moretext
        ('<span class="txt_fold">더보기</span><div class="moreless_content"><p>안쪽 글</p></div>', "더보기"),
        ('<span class="txt_fold" tt_moretext=" <b>보기</b> " tt_lesstext=" <b>닫기</b> " tt_id="1">'
         '<div class="moreless_content"><p>안쪽 글</p></div></span>', "보기"),
        ('<span class="txt_fold"> <b>보기</b> </span><div class="moreless_content">보기</b> " tt_lesstext=" '
         '<b>닫기</b> " tt_id="1"><p>안쪽 글</p></div>', "보기"),
        ('<span class="txt_fold"><span style=</span><div class="moreless_content"><b>펼쳐 보기</b> " tt_lesstext=" '
         '<b>닫기</b> " tt_id="2"&gt;<p>안쪽 글</p></div>', "펼쳐 보기"),
    ],
    ids=["btn_more+btn_less", "btn_less-inside", "moreless_fold", "moreless_fold-onclick-label", "txt_fold",
         "txt_fold-holding-content", "tt_moretext-broken", "tt_moretext-broken-escaped"],
)
def test_old_editor_folds_become_details(html, label):
    md = cleaned(f"<p>앞 글</p>{html}<p>뒤 글</p>")
    assert md == f'앞 글\n\n<details markdown="1">\n<summary>{label}</summary>\n\n안쪽 글\n\n</details>\n\n뒤 글\n'


def test_layout_tables_become_images():
    img = '<td><p><span class="imageblock"><img src="https://t1.daumcdn.net/cfile/tistory/{}" filename="{}.png"/></span></p>{}</td>'
    layout = (
        '<table class="txc-table" width="400" cellspacing="0" border="0"><tbody>'
        f'<tr>{img.format("AAA", "a", "")}</tr><tr>{img.format("BBB", "b", "<p>설명</p>")}</tr></tbody></table>'
    )
    data = '<table class="txc-table"><tbody><tr><td>항목</td><td>값</td></tr><tr><td>a</td><td>1</td></tr></tbody></table>'
    text_column = '<table class="txc-table"><tbody><tr><td>주문번호</td></tr><tr><td>주문일자</td></tr></tbody></table>'
    md = cleaned(layout + data + text_column)
    assert md.startswith(
        "![](https://t1.daumcdn.net/cfile/tistory/AAA?original)\n\n![](https://t1.daumcdn.net/cfile/tistory/BBB?original)"
        "\n\n설명\n\n|  |  |\n| --- | --- |\n| 항목 | 값 |"  # a table without a header row gets an empty one
    )
    assert "| 주문번호 |" in md  # a one-column table of text is data: it stays a table


@pytest.mark.parametrize(
    "page",
    [
        # the 2011 skin: ads inside article_view around div.contents_style
        '<div class="article_view"><div data-tistory-react-app="NaverAd"></div><div class="revenue_unit_wrap">'
        '<div class="revenue_unit_info">반응형</div><ins class="adsbygoogle"></ins><script>(adsbygoogle = '
        'window.adsbygoogle || []).push({});</script></div><table><tr><td><script type="text/javascript"><!--\n'
        'google_ad_client = "pub-1"; google_ad_width = 468;\n//--></script><script src="//pagead2.googlesyndication'
        '.com/pagead/show_ads.js"></script></td></tr></table><div class="contents_style"><p>본문 글</p></div></div>',
        # a skin no selector knows the content of: the wrapper is the body, its AdSense table still goes
        '<div class="article_view"><table align="center"><tr><td><script type="text/javascript">google_ad_client = '
        '"pub-1";</script><script src="http://pagead2.googlesyndication.com/pagead/show_ads.js"></script></td></tr>'
        '</table><p>본문 글</p><p id="ddd"><ins class="adsbygoogle" data-ad-client="ca-pub-1"></ins></p></div>',
    ],
)
def test_ads_never_reach_the_body(page):
    post = source().parse_page(
        f'<html><head><meta property="og:title" content="글"/><meta property="article:published_time" '
        f'content="2012-01-01T00:00:00+09:00"/></head><body>{page}</body></html>', f"{BLOG}/5"
    )
    assert markdown(post.html) == "본문 글\n"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        # the new editor's emoticon: a sticker of Tistory's, no alt -> nothing
        ('<p>안녕</p><figure contenteditable="false" data-ke-type="emoticon" data-ke-align="alignCenter" '
         'data-emoticon-type="friends1" data-emoticon-name="010" data-emoticon-src="https://t1.daumcdn.net/keditor/'
         'emoticon/friends1/large/010.gif"><img src="https://t1.daumcdn.net/keditor/emoticon/friends1/large/010.gif" '
         'width="150" /></figure>', "안녕\n"),
        # with alt text, the words stay
        ('<p>좋아요<img src="https://t1.daumcdn.net/keditor/emoticon/niniz/large/023.gif" alt="최고"></p>', "좋아요 최고\n"),
        ('<p><img src="https://t1.daumcdn.net/tistory_admin/assets/emoticon/smile.png" alt="emoticon"> 끝.</p>', "끝.\n"),
        # the old (Daum) editor's emoticon
        ('<p>감사합니다<img src="http://i1.daumcdn.net/deco/contents/emoticon/things_16.gif?v=2" border="0" '
         'class="txc-emo"></p>', "감사합니다\n"),
        # a picture placed with the emoticon tool that is not Tistory's is an ordinary image
        ('<figure data-ke-type="emoticon" data-ke-align="alignCenter"><img src="https://image.example/cover.jpg" '
         'width="300" alt="책 표지"/></figure>', "![책 표지](https://image.example/cover.jpg)\n"),
    ],
)
def test_emoticons_go_but_their_words_stay(html, expected):
    assert cleaned(html) == expected


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<figure data-ke-type="opengraph" data-og-title="제목" data-og-description="설명" data-og-host="a.example" '
         'data-og-url="https://a.example/x"><a href="https://a.example/x"></a></figure>',
         "> **[제목](https://a.example/x)**\n>\n> 설명 (a.example)\n"),
        # no data-og-* attributes: the card's own paragraphs
        ('<figure data-ke-type="opengraph"><a href="https://b.example/y"><div class="og-text"><p class="og-title">'
         '제목</p><p class="og-desc">설명</p><p class="og-host">b.example</p></div></a></figure>',
         "> **[제목](https://b.example/y)**\n>\n> 설명 (b.example)\n"),
        # no description: the host alone; no host given: the URL's
        ('<figure data-ke-type="opengraph" data-og-title="제목" data-og-host="c.example" data-og-url="https://c.example/"></figure>',
         "> **[제목](https://c.example/)**\n>\n> c.example\n"),
        ('<figure data-ke-type="opengraph" data-og-title="제목" data-og-url="https://d.example/z"></figure>',
         "> **[제목](https://d.example/z)**\n>\n> d.example\n"),
    ],
)
def test_link_cards_keep_their_host(html, expected):
    assert cleaned(html) == expected


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("[Python] 날짜 다루기", "Python-날짜-다루기"),
        ("입력/출력 속도 비교 (v1.2)", "입력출력-속도-비교-v12"),
        ("캐시(LRU) 원리 & 구현 💡 정리", "캐시LRU-원리-구현-💡-정리"),
    ],
)
def test_entry_slug_of_a_title(title, slug):
    from migrator.sources.tistory import entry_slug, slug_key

    assert entry_slug(title) == slug
    assert slug_key(slug) == slug_key(title)


def test_entry_links_to_posts_known_by_id():
    from urllib.parse import quote

    from migrator.sources.tistory import PageMeta

    later = '<html><head><meta property="article:txid" content="7_42"/></head><body></body></html>'
    src = source({f"{BLOG}/entry/{quote('나중-글')}": later})
    meta = PageMeta("1", f"{BLOG}/1", "[Python] 날짜 다루기", None, None, None, None, "", ())
    src._remember(meta)
    src._remember(PageMeta("3", f"{BLOG}/entry/my-slug", "Slug 글", None, None, None, None, "", ()))
    # known by its title's slug, in any URL form: no request
    assert src.internal_path(f"{BLOG}/entry/Python-%EB%82%A0%EC%A7%9C-%EB%8B%A4%EB%A3%A8%EA%B8%B0") == "/1"
    assert src.internal_path(f"{BLOG}/m/entry/python-날짜-다루기#top") == "/1#top"
    # a post that lives at its /entry/ path stays there
    assert src.internal_path(f"{BLOG}/entry/my-slug") == "/entry/my-slug"
    assert src.http.requests == []
    # not met yet: the linked page tells its id, read once
    assert src.internal_path(f"{BLOG}/entry/나중-글") == "/42"
    assert src.internal_path(f"{BLOG}/entry/%EB%82%98%EC%A4%91-%EA%B8%80") == "/42"
    assert len(src.http.requests) == 1
    # a page that is gone: the link is left as written (the pipeline lists it as not migrated)
    assert src.internal_path(f"{BLOG}/entry/지운-글") == "/entry/지운-글"
    assert src.internal_path(f"{BLOG}/entry/지운-글") == "/entry/지운-글"
    assert len(src.http.requests) == 2
    assert src.internal_path("https://other.example/entry/x") is None
