"""The migrated fixture site is built with the real `jekyll build`: "the site builds" is a test."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import Counter
from html import unescape
from pathlib import Path

import frontmatter
import pytest

from golden_cases import CASES, GOLDEN, source_html
from migrator.convert import html_to_clean_html, html_to_markdown
from migrator.jekyll import render

JEKYLL = shutil.which("jekyll")
if JEKYLL is None:
    if os.environ.get("CI"):
        raise RuntimeError("jekyll is not installed; .ci/run must install Debian's jekyll package")
    pytestmark = pytest.mark.skip(reason="jekyll is not installed (apt-get install jekyll)")

BLOGGER_HOSTS = re.compile(r"https?://[^\s\"'<>]*(?:bp\.blogspot\.com|googleusercontent\.com)", re.I)


def jekyll_build(site: Path) -> str:
    proc = subprocess.run(
        [JEKYLL, "build", "--source", str(site), "--destination", str(site / "_site")],
        capture_output=True, text=True, timeout=600,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "Liquid Exception" not in out and "Liquid Warning" not in out, out
    return out


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_migrated_fixture_site_builds(quiet_server, blog, migrate, fmt):
    res, site = migrate(quiet_server, "--format", fmt)
    assert res.code == 0, res
    jekyll_build(site)
    built = site / "_site"
    for e in blog.entries:
        if e["status"] != "live":
            continue
        page = built / e["path"].lstrip("/")
        assert page.exists(), f"{e['path']} was not built"
        text = page.read_text()
        assert unescape(e["title"]) in unescape(text), (e["kind"], e["title"])
    for page in built.rglob("*.html"):
        text = page.read_text()
        assert quiet_server.img_url not in text, page
        assert not BLOGGER_HOSTS.search(text), page
        for ref in re.findall(r'(?:src|href)="(/assets/[^"]+)"', text):
            assert (built / unescape(ref).lstrip("/")).exists(), (page, ref)
    code = (built / "2024/04/code-and-liquid.html").read_text()
    assert "{{ page.title }}" in unescape(code) and "{% endraw %}" in unescape(code)
    assert 'tpl = "{% if user %}Hi{% endif %}"' in unescape(re.sub(r"<[^>]+>", "", code))


def test_liquid_golden_renders_literally(tmp_path):
    """Every Liquid-looking line of the golden case prints exactly as written, in both formats."""
    src = (Path(__file__).parent / "golden" / "liquid.html").read_text()
    site = tmp_path / "s"
    (site / "_posts").mkdir(parents=True)
    (site / "_config.yml").write_text("title: t\nexcerpt_separator: <!--more-->\n")
    (site / "_posts/2024-01-01-md.md").write_text(render({"title": "md"}, html_to_markdown(src)))
    (site / "_posts/2024-01-02-html.html").write_text(render({"title": "html"}, html_to_clean_html(src)))
    jekyll_build(site)
    for name in ("2024/01/01/md.html", "2024/01/02/html.html"):
        text = unescape(re.sub(r"<[^>]+>", "", (site / "_site" / name).read_text()))
        for expected in [
            "Prose with {{ page.title }} and {% if x %}y{% endif %}.",
            "Even {% raw %} and {% endraw %} and {%- endraw -%} in prose.",
            "{{ inline }}",
            '{{ "code" }}',
            "{% for i in list %}{{ i }}{% endfor %}",
            "text {% endraw %} in code",
            "unclosed {{ here",
        ]:
            assert expected in text, (name, expected, text)


def test_front_matter_of_hostile_titles_builds(tmp_path):
    from test_jekyll_pure import HOSTILE_TITLES

    site = tmp_path / "s"
    (site / "_posts").mkdir(parents=True)
    (site / "_config.yml").write_text("title: t\n")
    for i, title in enumerate(HOSTILE_TITLES):
        from datetime import datetime, timedelta, timezone

        from migrator.config import Config
        from migrator.jekyll import front_matter
        from migrator.models import Blog, Post

        post = Post(id=str(i), kind="post", status="live", title=title, html="",
                    published=datetime(2024, 1, 1, tzinfo=timezone(timedelta(hours=9))))
        fm = front_matter(post, Config(), Blog("blogger", ""), image=None, excerpt=None)
        (site / f"_posts/2024-01-01-t{i}.md").write_text(render(fm, "body"))
        assert frontmatter.loads(render(fm, "body"))["title"] == fm["title"]
    jekyll_build(site)
    assert len(list((site / "_site").rglob("t*.html"))) == len(HOSTILE_TITLES)


def test_the_readme_comments_include_works(quiet_server, migrate):
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    snippet = readme.split("```liquid\n", 1)[1].split("```", 1)[0]
    res, site = migrate(quiet_server)
    assert res.code == 0, res
    data = site / "_data/comments/2024-03-02-hello-world.yml"
    hostile = (
        "- id: 'x\" onmouseover=\"alert(1)'\n"
        "  author: <img src=x onerror=alert(1)>\n"
        "  date: 2024-03-04 10:00:00 +0900\n"
        "  text: <script>alert(2)</script>\n"
        "  parent: '\"><script>alert(3)</script>'\n"
    )
    data.write_text(data.read_text() + hostile)
    (site / "_includes").mkdir(exist_ok=True)
    (site / "_includes/comments.html").write_text(snippet)
    (site / "_layouts").mkdir(exist_ok=True)
    (site / "_layouts/post.html").write_text("---\nlayout: default\n---\n{{ content }}\n{% include comments.html %}\n")
    jekyll_build(site)
    page = (site / "_site/2024/03/hello-world.html").read_text()
    assert "3 comments" in page and "A Reader" in page and 'href="#c5000000000000000001"' in page
    assert "<img src=x" not in page and "<script>alert" not in page and 'onmouseover="' not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # shown as the text it is
    assert "Thanks for {{ this }}." in unescape(page)  # a comment's text is never run as Liquid


# --- every golden case through the real kramdown (jekyll build) ------------------------------------------


_BREAKS_WORDS = (
    "address article aside blockquote br caption center dd details div dl dt figcaption figure footer h1 h2 h3 "
    "h4 h5 h6 header hr li main nav ol option p pre rt section summary table td th tr ul"
).split()


def _words(html: str) -> Counter:
    """The words a reader sees: text runs together across inline tags and apart across blocks and breaks."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "lxml")
    for el in soup.find_all(["script", "style", "noscript", "template"]):
        el.decompose()
    for el in soup.find_all(_BREAKS_WORDS):
        el.insert_before(" ")
        el.insert_after(" ")
    return Counter(re.findall(r"\w+", soup.get_text("")))


@pytest.fixture(scope="module")
def golden_site(tmp_path_factory) -> Path:
    """Each golden case's Markdown (2024-01-01) and HTML (2024-01-02) as posts, built once by `jekyll build`."""
    site = tmp_path_factory.mktemp("golden") / "s"
    (site / "_posts").mkdir(parents=True)
    (site / "_config.yml").write_text("title: t\nexcerpt_separator: <!--more-->\n")
    for case in CASES:
        md = (GOLDEN / f"{case}.md").read_text(encoding="utf-8")
        html = (GOLDEN / f"{case}.out.html").read_text(encoding="utf-8")
        (site / f"_posts/2024-01-01-{case}.md").write_text(render({"title": case}, md), encoding="utf-8")
        (site / f"_posts/2024-01-02-{case}.html").write_text(render({"title": case}, html), encoding="utf-8")
    jekyll_build(site)
    return site / "_site"


def _built(site: Path, case: str, fmt: str = "md") -> str:
    day = "01" if fmt == "md" else "02"
    return (site / f"2024/01/{day}/{case}.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["md", "html"])
@pytest.mark.parametrize("case", CASES)
def test_golden_case_keeps_every_word_through_kramdown(golden_site, case, fmt):
    """Every word of the source HTML is in the page kramdown built (as often as in the source): a converter
    bug may cost prettiness, never words."""
    page = _words(_built(golden_site, case, fmt))
    missing = {w: n - page[w] for w, n in _words(source_html(case)).items() if page[w] < n}
    assert not missing, missing


def _soup(html: str):
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "lxml")


def test_kramdown_builds_tables_without_a_header_row_as_tables(golden_site):
    page = _soup(_built(golden_site, "table-no-header"))
    assert len(page.find_all("table")) == 6
    assert "|" not in page.get_text() and "---" not in page.get_text()
    cells = [td.get_text() for td in page.find_all("td")]
    assert "alone" in cells and "first" in cells and "wide cell" in cells  # body cells, not headers
    assert [th.get_text() for th in page.find_all("th") if th.get_text().strip()] == [
        "Height", "Width", "Key", "Value", "only", "header"]


def test_kramdown_keeps_caption_tables_and_gists_inside_divs(golden_site):
    page = _soup(_built(golden_site, "caption-table-in-div"))
    assert [img["src"] for img in page.find_all("img")] == [
        "https://h/s320/harbour.jpg", "https://h/left.png", "https://h/right.png"]
    text = page.get_text(" ")
    for words in ("The harbour at dawn", "Two pictures, one caption", "A note under the caption", "Middle."):
        assert words in " ".join(text.split()), words
    assert page.find("script", src="https://gist.github.com/someone/0123abcd.js") is not None
    assert page.find("iframe", src="https://www.youtube.com/embed/xyz") is not None


def test_kramdown_reads_pipes_in_urls_as_urls(golden_site):
    page = _soup(_built(golden_site, "pipe-in-urls"))
    assert len(page.find_all("table")) == 1  # the real one; no line became a table
    imgs = page.find_all("img")
    assert imgs[0]["src"].endswith("markers=color:red%7C37.5,127.0%7C37.6,127.1")
    assert imgs[0]["alt"] == "Map | Seoul" and imgs[1]["alt"] == "p|q"
    assert [a["href"] for a in page.find_all("a")] == [
        "https://maps.example.com/?q=a%7Cb", "https://x.example/?q=a%7Cb", "https://maps.example.com/?m=1%7C2"]


def test_kramdown_builds_one_code_block_per_syntaxhighlighter_block(golden_site):
    html = _built(golden_site, "syntaxhighlighter")
    page = _soup(html)
    assert len(page.find_all("pre")) == 6
    assert "```" not in html
    for lang in ("python", "javascript", "csharp", "sql", "xml", "ruby"):
        assert page.select_one(f".language-{lang} pre") is not None, lang
    assert "var x = a < b;" in page.get_text()


def test_kramdown_nests_lists_written_directly_inside_lists(golden_site):
    page = _soup(_built(golden_site, "list-in-list"))
    fruit = next(li for li in page.find_all("li") if li.contents[0].strip() == "Fruit")
    assert [li.get_text(strip=True) for li in fruit.find("ul").find_all("li")] == ["Apple", "Pear"]
    leek = next(li for li in page.find_all("li") if li.contents[0].strip() == "Leek")
    assert leek.find_parent("li").contents[0].strip() == "Vegetables" and leek.find("ul") is not None
    assert "stray words" in page.get_text()


def test_kramdown_keeps_old_editor_lines_apart_and_reads_no_definition_list(golden_site):
    page = _soup(_built(golden_site, "tistory-old-editor-text"))
    text = " ".join(page.get_text(" ").split())
    assert page.find("dl") is None
    assert not [h for h in page.find_all(["h1", "h2", "h3", "h4", "h5", "h6"])]  # the empty ones are gone
    assert "##" not in text
    words = set(re.findall(r"\w+", text))
    for glued in ("titleText", "lineruns", "lineand", "Beforeafter", "onetwo", "oneLine"):
        assert glued not in words, glued
    assert ": a colon that starts a line" in text and ": a paragraph that starts with a colon" in text


def test_kramdown_reads_line_start_text_as_text(golden_site):
    page = _soup(_built(golden_site, "no-word-loss"))
    assert not page.find_all(["h1", "h2", "pre", "del"])  # no setext heading, no ~~~ fence, no strikethrough
    assert len(page.find_all("dl")) == 1  # the real one
    text = page.get_text(" ")
    for words in ("=====", "-----", "^", "Wavy~~ words~~ here", "~~~~~~~~", "a picture that never loaded"):
        assert words in text, words
    assert page.select_one("h3 a[href='https://example.com/card']") is not None
    assert page.find("blockquote") is None  # ">>" is text
    sub = next(li for li in page.find_all("li") if li.get_text(strip=True) == "sub-item")
    assert "the item goes on" not in sub.get_text() and "the item goes on" in sub.find_parent("li").get_text()
    assert [e.get_text() for e in page.find_all(["em", "strong"])] == ["splitemphasis", "splitbold"]
