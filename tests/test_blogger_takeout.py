"""Google Takeout as Google writes it (labels in the blog's tag scheme, settings.csv beside feed.atom, UTC
times), the blog's address when nothing records it, several --origin, Blogger's country domains, and comment
markup as plain text. Every input here is a small hand-written file shaped like a real export."""

from __future__ import annotations

import frontmatter
import pytest
import yaml
from server import legacy_xml, takeout_atom

from conftest import EXAMPLE_CONFIG
from migrator.cli import _config_from, build_parser
from migrator.config import Config, load_config
from migrator.errors import ConfigError
from migrator.models import Blog
from migrator.sources.blogger import BloggerFeedSource, comment_text, read_settings_csv, same_blog_host

BLOG_ID = "4242424242424242424"
TAG = f"tag:blogger.com,1999:blog-{BLOG_ID}"


def post(pid: str, title: str, filename: str, published: str, content: str = "<p>Text.</p>", cats: str = "") -> str:
    from xml.sax.saxutils import escape

    return f"""  <entry>
    <id>{TAG}.post-{pid}</id>
    <blogger:type>POST</blogger:type>
    <blogger:status>LIVE</blogger:status>
    <author><name>Me</name><blogger:type>BLOGGER</blogger:type></author>
    <title>{escape(title)}</title>
    <content type='html'>{escape(content)}</content>
    {cats}
    <blogger:created>{published}</blogger:created>
    <published>{published}</published>
    <updated>{published}</updated>
    <blogger:filename>{filename}</blogger:filename>
  </entry>
"""


def comment(cid: str, pid: str, content: str, published: str = "2024-03-20T12:00:00Z") -> str:
    from xml.sax.saxutils import escape

    return f"""  <entry>
    <id>{TAG}.post-{cid}</id>
    <blogger:type>COMMENT</blogger:type>
    <blogger:status>LIVE</blogger:status>
    <blogger:parent>{TAG}.post-{pid}</blogger:parent>
    <author><name>Reader</name></author>
    <content type='html'>{escape(content)}</content>
    <published>{published}</published>
    <updated>{published}</updated>
  </entry>
"""


def takeout(tmp_path, *entries: str, settings: str | None = None):
    folder = tmp_path / "Takeout/Blogger/Blogs/My Blog"
    folder.mkdir(parents=True)
    (folder / "feed.atom").write_text(
        "<?xml version='1.0' encoding='utf-8'?>\n"
        "<feed xmlns='http://www.w3.org/2005/Atom' xmlns:blogger='http://schemas.google.com/blogger/2018'>\n"
        f"  <id>{TAG}</id>\n  <title>My Blog</title>\n" + "".join(entries) + "</feed>\n",
        encoding="utf-8",
    )
    if settings is not None:
        (folder / "settings.csv").write_text(settings, encoding="utf-8")
    return folder / "feed.atom"


def run(cli, tmp_path, path, *extra):
    site = tmp_path / "site"
    return cli("migrate", path, "--out", site, *extra), site


def test_takeout_labels_in_the_blogs_tag_scheme_the_legacy_one_and_none(cli, tmp_path):
    cats = (
        f"<category scheme='{TAG}' term='tagged'/>"
        "<category scheme='http://www.blogger.com/atom/ns#' term='legacy'/>"
        "<category term='bare'/>"
        "<category term='http://schemas.google.com/blogger/2008/kind#post'/>"
        "<category scheme='http://schemas.google.com/g/2005#kind' term='http://schemas.google.com/blogger/2008/kind#post'/>"
        "<category scheme='http://example.com/other-scheme' term='not a label'/>"
    )
    path = takeout(tmp_path, post("1", "Labelled", "/2024/03/labelled.html", "2024-03-02T10:00:00Z", cats=cats))
    res, site = run(cli, tmp_path, path, "--origin", "https://x.blogspot.com")
    assert res.code == 0, res
    assert frontmatter.load(site / "_posts/2024-03-02-labelled.md")["tags"] == ["tagged", "legacy", "bare"]


SETTINGS = (
    # columns in an order of their own, extra ones, a multi-line quoted value (65 columns in a real one)
    "blog_publishing_mode,blog_jump_text,blog_time_zone,blog_custom_robots_txt,blog_name,blog_description,"
    "blog_locale,blog_subdomain,blog_read_access_mode,blog_post_feed_redirect_url,some_future_column\n"
    'HOSTED,Read more,America/Denver,"User-agent: *\nDisallow: /search",My Test Blog,About things,en_US,'
    "mytestblog,PUBLIC,https://feeds.example.com/x,whatever\n"
)


def test_settings_csv_gives_the_address_timezone_and_name(cli, tmp_path):
    path = takeout(
        tmp_path,
        # 03:30 UTC on the 15th is 21:30 on the 14th in Denver: the file is dated the 14th, not a day late
        post("1", "Late night", "/2024/03/late-night.html", "2024-03-15T03:30:00Z"),
        post("2", "Links back", "/2024/04/links-back.html", "2024-04-01T18:00:00Z",
             content='<p><a href="http://mytestblog.blogspot.com.br/2024/03/late-night.html?m=1">that night</a></p>'),
        settings=SETTINGS,
    )
    res, site = run(cli, tmp_path, path)
    assert res.code == 0, res
    assert "--origin" not in res.out and "timezone" not in res.out  # nothing to ask the user
    doc = frontmatter.load(site / "_posts/2024-03-14-late-night.md")
    assert doc["source_url"] == "https://mytestblog.blogspot.com/2024/03/late-night.html"
    assert str(doc["date"]) == "2024-03-14 21:30:00 -0600"
    config = yaml.safe_load((site / "_config.yml").read_text())
    assert config["timezone"] == "America/Denver" and config["title"] == "My Test Blog"
    # a link on a country domain, over http, with ?m=1: the same blog
    assert "[that night](/2024/03/late-night.html)" in (site / "_posts/2024-04-01-links-back.md").read_text()


def test_settings_csv_custom_domain_and_missing_columns(tmp_path):
    (tmp_path / "a.csv").write_text("blog_custom_domain,blog_subdomain\nwww.my-domain.test,mine\n")
    (tmp_path / "b.csv").write_text("\ufeffBlog Time Zone\nAsia/Seoul\n")  # a BOM, another spelling, one column
    (tmp_path / "c.csv").write_text("blog_name\n")  # no value row
    from migrator.sources.blogger import settings_origins

    assert settings_origins(read_settings_csv(tmp_path / "a.csv")) == [
        "https://www.my-domain.test", "https://mine.blogspot.com"]
    assert read_settings_csv(tmp_path / "b.csv") == {"blogtimezone": "Asia/Seoul"}
    assert read_settings_csv(tmp_path / "c.csv") == {} == read_settings_csv(tmp_path / "missing.csv")
    assert settings_origins({"blogpostfeedredirecturl": "https://feeds.example.com/x"}) == []


def test_without_settings_the_origin_comes_from_the_posts_own_links(cli, tmp_path):
    own = "https://inferred-blog.blogspot.com"
    path = takeout(
        tmp_path,
        post("1", "First", "/2024/01/first.html", "2024-01-05T10:00:00Z",
             content=f'<p><a href="{own}/2024/02/second.html">next</a> and '
                     '<a href="https://other.example/2024/03/blog-post.html">a generic path elsewhere</a></p>'),
        post("2", "Second", "/2024/02/second.html", "2024-02-05T10:00:00Z",
             content=f'<p><a href="{own}/2024/01/first.html#c1">back</a></p>'),
        post("3", "Generic", "/2024/03/blog-post.html", "2024-03-05T10:00:00Z"),
    )
    res, site = run(cli, tmp_path, path)
    assert res.code == 0, res
    assert f"took {own} from the posts' own links" in res.out
    first = frontmatter.load(site / "_posts/2024-01-05-first.md")
    assert first["source_url"] == f"{own}/2024/01/first.html"
    assert "[next](/2024/02/second.html)" in first.content
    assert "https://other.example/2024/03/blog-post.html" in first.content  # one generic path proves nothing


def test_origin_may_be_given_more_than_once(cli, tmp_path):
    path = takeout(
        tmp_path,
        post("1", "Old links", "/2024/01/old-links.html", "2024-01-05T10:00:00Z",
             content='<p><a href="http://old-name.blogspot.com/2024/03/blog-post.html">old</a> '
                     '<a href="https://www.new-domain.test/2024/03/blog-post.html">new</a></p>'),
        post("2", "Korean title", "/2024/03/blog-post.html", "2024-03-05T10:00:00Z"),
    )
    res, site = run(cli, tmp_path, path, "--origin", "https://www.new-domain.test", "--origin", "old-name.blogspot.com")
    assert res.code == 0, res
    doc = frontmatter.load(site / "_posts/2024-01-05-old-links.md")
    assert doc["source_url"] == "https://www.new-domain.test/2024/01/old-links.html"  # the first is canonical
    assert "[old](/2024/03/blog-post.html)" in doc.content and "[new](/2024/03/blog-post.html)" in doc.content


def test_origins_in_the_config_file_and_on_the_command_line(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("origin: https://one.blogspot.com/\n")  # the old single-string key still works
    assert load_config(p).origins == ("https://one.blogspot.com",)
    p.write_text("origins: [https://a.example, b.blogspot.com]\n")
    assert load_config(p).origins == ("https://a.example", "https://b.blogspot.com")
    p.write_text("origins: not a url at all\n")
    with pytest.raises(ConfigError, match="not a blog address"):
        load_config(p)
    args = build_parser().parse_args(["migrate", "feed.atom", "--config", str(EXAMPLE_CONFIG),
                                      "--origin", "https://new.example", "--origin", "https://old.example"])
    assert _config_from(args).origins == ("https://new.example", "https://old.example")


def test_every_origin_is_internal_for_a_feed_source_too():
    src = BloggerFeedSource("https://www.new-domain.test", Config(origins=("https://old.blogspot.com",)), http=None)
    src.blog = Blog("blogger", "https://www.new-domain.test")
    assert src.internal_path("https://old.blogspot.jp/2020/01/a.html") == "/2020/01/a.html"
    assert src.internal_path("http://new-domain.test/p/about.html") == "/p/about.html"


@pytest.mark.parametrize(
    ("host", "same"),
    [
        ("name.blogspot.com", "name.blogspot.com"),
        ("name.blogspot.com.br", "name.blogspot.com"),
        ("NAME.blogspot.kr", "name.blogspot.com"),
        ("name.blogspot.jp", "name.blogspot.com"),
        ("name.blogspot.co.uk", "name.blogspot.com"),
        ("name.blogspot.de", "name.blogspot.com"),
        ("name.blogspot.in", "name.blogspot.com"),
        ("www.example.com", "example.com"),
        ("1.bp.blogspot.com", "1.bp.blogspot.com"),  # an image host, not a blog
    ],
)
def test_blogspot_country_domains_are_the_same_blog(host, same):
    assert same_blog_host(host) == same


def test_internal_path_across_country_domains_and_schemes():
    src = BloggerFeedSource("https://name.blogspot.com", Config(), http=None)
    for url in ("http://name.blogspot.com.br/2020/01/a.html", "https://name.blogspot.co.uk/2020/01/a.html?m=1",
                "//name.blogspot.fr/2020/01/a.html"):
        assert src.internal_path(url) == "/2020/01/a.html", url
    assert src.internal_path("https://other.blogspot.com.br/2020/01/a.html") is None
    assert src.internal_path("ftp://name.blogspot.com/2020/01/a.html") is None


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("one<BR>two<Br/>three<br />four", "one\ntwo\nthree\nfour"),
        ("<p>First paragraph.</p><p>Second one.</p>", "First paragraph.\n\nSecond one."),
        ("Hi<br><br><br><br>there", "Hi\n\nthere"),
        ('see <a href="https://example.com/page" rel="nofollow">this page</a>.', "see this page (https://example.com/page)."),
        ('<a href="https://example.com/page">https://example.com/page</a>', "https://example.com/page"),
        ('<a href="http://www.example.com/">example.com</a>', "example.com"),
        ('<a href="https://example.com/a/very/long/path/indeed">https://example.com/a/very/...</a>',
         "https://example.com/a/very/..."),
        ('<a href="https://example.com/x"></a>', "https://example.com/x"),
        ('<a href="javascript:alert(1)">click</a> <a href="#c123">up</a>', "click up"),
        ("a &amp; b &lt;3", "a & b <3"),
    ],
)
def test_comment_text(html, text):
    assert comment_text(html) == text


HTML = 'Line one<BR>Line two<p>A paragraph with <a href="https://example.com/ref">a link</a>.</p>'
TEXT = "Line one\nLine two\n\nA paragraph with a link (https://example.com/ref)."


@pytest.mark.parametrize("kind", ["feed", "takeout", "legacy"])
def test_comment_markup_in_every_source(cli, quiet_server, blog, tmp_path, kind):
    blog.comments[0]["html"] = HTML
    if kind == "feed":
        res = cli("migrate", quiet_server.url, "--out", tmp_path / "s", "--config", EXAMPLE_CONFIG)
    else:
        path = tmp_path / ("feed.atom" if kind == "takeout" else "blog.xml")
        writer = takeout_atom if kind == "takeout" else legacy_xml
        path.write_text(writer(blog, "https://example.blogspot.com", quiet_server.img_url))
        res = cli("migrate", path, "--out", tmp_path / "s", "--config", EXAMPLE_CONFIG)
    assert res.code == 0, res
    comments = yaml.safe_load((tmp_path / "s/_data/comments/2024-03-02-hello-world.yml").read_text())
    assert comments[0]["text"] == TEXT


def test_takeout_comment_entries_keep_breaks_and_links(cli, tmp_path):
    path = takeout(
        tmp_path,
        post("1", "Commented", "/2024/03/commented.html", "2024-03-02T10:00:00Z"),
        comment("9", "1", 'Thanks!<BR>More at <a href="https://example.org/more">my blog</a>'),
        settings="blog_subdomain,blog_time_zone\nmine,UTC\n",
    )
    res, site = run(cli, tmp_path, path)
    assert res.code == 0, res
    comments = yaml.safe_load((site / "_data/comments/2024-03-02-commented.yml").read_text())
    assert comments[0]["text"] == "Thanks!\nMore at my blog (https://example.org/more)"
