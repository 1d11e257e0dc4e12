"""Slugs, file names, dates and front matter: pure functions, one-line checks."""

from datetime import UTC, datetime, timedelta, timezone

import frontmatter
import pytest

from migrator.config import Config, FrontMatterConfig, load_config
from migrator.jekyll import (
    MAX_FILENAME_BYTES,
    URL_HINT,
    config_warnings,
    format_date,
    front_matter,
    local_date,
    post_path,
    render,
    sanitize_slug,
    truncate_utf8,
)
from migrator.models import Blog, Post

KST = timezone(timedelta(hours=9))
BLOG = Blog(platform="blogger", url="https://x.blogspot.com", timezone=None)


def make_post(**kw) -> Post:
    base = dict(
        id="1", kind="post", status="live", title="T", html="<p>x</p>",
        published=datetime(2023, 6, 1, 0, 30, tzinfo=KST), path="/2023/06/t.html", url="https://x.blogspot.com/2023/06/t.html",
    )
    base.update(kw)
    return Post(**base)


@pytest.mark.parametrize(
    ("raw", "slug"),
    [
        ("my-post", "my-post"),
        ("안녕하세요 세계", "안녕하세요-세계"),
        ("../../etc/passwd", "etcpasswd"),
        ("a/b\\c:d*e?f\"g<h>i|j", "abcdefghij"),
        ("   ", "fallback"),
        ("???", "fallback"),
        ("\x00nul\x01", "nul-"),  # NUL is a device name on Windows: never a file name
        ("CON", "CON-"),
        ("aux.notes", "aux.notes-"),
        ("com1", "com1-"),
        ("console", "console"),
        ("Cafe\u0301", "Café"),  # NFD in, NFC out
    ],
)
def test_sanitize_slug(raw, slug):
    assert sanitize_slug(raw, "fallback") == slug


def test_truncate_utf8_never_splits_a_character():
    assert truncate_utf8("한글", 4) == "한"
    assert truncate_utf8("abc", 10) == "abc"


def test_filename_fits_in_255_bytes():
    path = post_path(make_post(), "가" * 200, datetime(2023, 6, 1), "md")
    name = path.split("/")[-1]
    assert len(name.encode()) <= MAX_FILENAME_BYTES
    assert name.startswith("2023-06-01-가") and name.endswith(".md")


@pytest.mark.parametrize(
    ("kw", "n", "expected"),
    [
        ({}, 1, "_posts/2023-06-01-t.md"),
        ({}, 2, "_posts/2023-06-01-t-2.md"),
        ({"status": "draft", "path": None}, 1, "_drafts/t.md"),
        ({"kind": "page", "path": "/p/about.html"}, 1, "p/t.md"),
    ],
)
def test_post_path(kw, n, expected):
    assert post_path(make_post(**kw), "t", datetime(2023, 6, 1), "md", n) == expected


def test_dates_keep_the_offset_and_use_the_blog_timezone():
    dt = datetime(2023, 5, 31, 15, 30, tzinfo=UTC)
    assert format_date(dt) == "2023-05-31 15:30:00 +0000"
    assert format_date(local_date(dt, "Asia/Seoul")) == "2023-06-01 00:30:00 +0900"
    assert local_date(dt, None) == dt


def test_front_matter_order_and_preserved_url():
    post = make_post(tags=("a",), categories=("c",), updated=datetime(2023, 6, 2, tzinfo=KST))
    fm = front_matter(post, Config(), BLOG, image="/assets/img/t/x.png", excerpt="hi")
    assert list(fm) == [
        "title", "date", "last_modified_at", "categories", "tags", "excerpt", "image", "permalink", "source_url"
    ]
    assert fm["permalink"] == "/2023/06/t.html"
    assert fm["source_url"] == "https://x.blogspot.com/2023/06/t.html"


def test_jekyll_urls_use_redirect_from():
    fm = front_matter(make_post(), load_config(None, {"urls": "jekyll"}), BLOG, image=None, excerpt=None)
    assert "permalink" not in fm and fm["redirect_from"] == ["/2023/06/t.html"]


def test_front_matter_keys_are_renamed_and_nested():
    cfg = Config(front_matter=FrontMatterConfig(layout="post", keys={"image": "header.teaser", "excerpt": None}))
    fm = front_matter(make_post(), cfg, BLOG, image="/a.png", excerpt="dropped")
    assert fm["layout"] == "post" and fm["header"] == {"teaser": "/a.png"} and "excerpt" not in fm


HOSTILE_TITLES = [
    "../../etc/passwd",
    "a/b/c",
    "nul\x00and\x07bell",
    "x" * 500,
    "!!!???",
    "key: value",
    "# not a comment",
    "'single' and \"double\"",
    "- list item",
    "{flow: map}",
    "&anchor *alias !tag %directive",
    "",
    "yes",
    "null",
    "2023-06-01",
    "multi\nline",
    "{{ liquid }} {% tag %}",
]


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_any_title_survives_the_yaml_round_trip(title):
    fm = front_matter(make_post(title=title), Config(), BLOG, image=None, excerpt=None)
    doc = frontmatter.loads(render(fm, "body"))
    assert doc["title"] == fm["title"]
    assert isinstance(doc["title"], str)
    assert doc.content == "body"


def test_config_warnings_for_an_existing_config():
    assert config_warnings("title: x\n", needs_redirects=True) == [
        "_config.yml: set excerpt_separator: <!--more--> so post excerpts stop at the old jump break",
        "_config.yml: add jekyll-redirect-from to plugins, or the old URLs (redirect_from) will 404",
        URL_HINT,
    ]
    good = "excerpt_separator: <!--more-->\nplugins: [jekyll-redirect-from]\nurl: https://me.github.io\n"
    assert config_warnings(good, True) == []


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        ("minima", {"image": "/a.png", "excerpt": "hi"}),
        ("minimal-mistakes", {"image": "/a.png", "excerpt": "hi", "header": {"teaser": "/a.png", "overlay_image": "/a.png"}}),
        ("chirpy", {"image": {"path": "/a.png"}, "excerpt": "hi", "description": "hi"}),
        ("alembic", {"image": "/a.png", "excerpt": "hi", "feature_image": "/a.png", "feature_text": "hi"}),
    ],
)
def test_theme_presets(preset, expected):
    cfg = Config(front_matter=FrontMatterConfig(preset=preset))
    fm = front_matter(make_post(), cfg, BLOG, image="/a.png", excerpt="hi")
    assert {k: v for k, v in fm.items() if k in ("image", "excerpt", "header", "description", "feature_image",
                                                  "feature_text")} == expected


def test_preset_fields_can_still_be_overridden_key_by_key():
    cfg = Config(front_matter=FrontMatterConfig(preset="chirpy", keys={"image": "cover"}))
    fm = front_matter(make_post(), cfg, BLOG, image="/a.png", excerpt="hi")
    assert fm["cover"] == "/a.png" and "image" not in fm and fm["description"] == "hi"


def test_unknown_preset_is_a_config_error():
    from migrator.errors import ConfigError

    with pytest.raises(ConfigError, match="front_matter.preset must be one of"):
        load_config(None, {"front_matter.preset": "jekyll-now"})


@pytest.mark.parametrize(
    ("text", "base"),
    [("baseurl: /repo\n", "/repo"), ("baseurl: repo/\n", "/repo"), ("baseurl: ''\n", ""), ("title: x\n", ""),
     ("[not: yaml", ""), (None, "")],
)
def test_config_baseurl(text, base):
    from migrator.jekyll import config_baseurl

    assert config_baseurl(text) == base


def test_scaffolded_config_never_names_the_old_blog_as_the_site_url():
    import yaml as _yaml

    from migrator.config import load_config as _load
    from migrator.jekyll import URL_HINT, config_warnings, scaffold_config
    from migrator.models import Blog as _Blog

    blog = _Blog(platform="blogger", url="https://old.blogspot.com", title="Old")
    data = _yaml.safe_load(scaffold_config(blog, _load(None)))
    assert "url" not in data
    data = _yaml.safe_load(scaffold_config(blog, _load(None, {"site.url": "https://me.github.io/"})))
    assert data["url"] == "https://me.github.io"
    olds = ("https://old.blogspot.com",)
    assert any("old blog's address" in w for w in config_warnings("url: http://old.blogspot.com\n", False, olds))
    assert URL_HINT in config_warnings("title: x\n", False, olds)
    assert not any("url" in w for w in config_warnings("url: https://me.github.io\n", False, olds))


YAML_TEXTS = [
    "", "# only a comment\n", "title: Hello\n", "a: 1\nb: 1.5\nc: true\nd: null\ne: ~\n", "date: 2024-03-02 10:00:00 +09:00\n",
    "d: 2024-03-02\n", "t: '2024-03-02'\n", "k: 0o17\nh: 0x1f\n", "yes: no\non: off\n", "x: .inf\ny: .nan\n",
    "list:\n  - a\n  - b\n", "m: {a: 1, b: [1, 2]}\n", "a: &x [1, 2]\nb: *x\n", "s: |\n  line\n  two\n",
    "s: >-\n  folded\n  text\n", "u: \"\\u00e9\\U0001F600\"\n", "k: 한글 제목\n", "p: \"a: b\"\n", "e: ''\n",
    "title: \"It's\"\nurl: /x\n", "---\na: 1\n", "plugins:\n  - jekyll-feed\n  - jekyll-seo-tag\nbaseurl: /blog\n",
    "- 1\n- two\n", "plain scalar", "key: value # comment\n", "? complex\n: value\n",
]


@pytest.mark.parametrize("text", YAML_TEXTS)
def test_load_yaml_reads_what_safe_load_reads(text):
    """libyaml's parser where PyYAML has it, the same values as yaml.safe_load (NaN compared as NaN)."""
    import math

    import yaml

    from migrator.jekyll import load_yaml

    want = yaml.safe_load(text)
    got = load_yaml(text)
    if isinstance(want, dict) and any(isinstance(v, float) and math.isnan(v) for v in want.values()):
        assert {k: str(v) for k, v in got.items()} == {k: str(v) for k, v in want.items()}
    else:
        assert got == want and type(got) is type(want)


@pytest.mark.parametrize("text", ["a: [1, 2\n", "a: b: c\n", "- a\nb: c\n", "a: 1\n---\nb: 2\n", "\tx: 1\n"])
def test_load_yaml_fails_as_safe_load_fails(text):
    import yaml

    from migrator.jekyll import load_yaml

    with pytest.raises(yaml.YAMLError) as want:
        yaml.safe_load(text)
    with pytest.raises(yaml.YAMLError) as got:
        load_yaml(text)
    assert str(got.value) == str(want.value)  # the pure parser's message, line and column


def test_load_yaml_uses_libyaml_where_pyyaml_has_it(monkeypatch):
    import yaml

    from migrator import jekyll

    if not getattr(yaml, "__with_libyaml__", False):
        pytest.skip("PyYAML without libyaml here")
    calls = []
    real = yaml.load
    monkeypatch.setattr(yaml, "load", lambda text, Loader: calls.append(Loader) or real(text, Loader=Loader))
    assert jekyll.load_yaml("a: 1\n") == {"a": 1} and calls == [yaml.CSafeLoader]
    # a little more lenient than PyYAML's parser, as libyaml is for Jekyll itself (Ruby's Psych is libyaml)
    assert jekyll.load_yaml("a:\tb\n") == {"a": "b"}
