"""The migrated fixture site is built with the real `jekyll build`: "the site builds" is a test."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import frontmatter
import pytest

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
        assert unescape(e["title"]) in unescape(text) or e["kind"] == "page"
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
    (site / "_includes").mkdir()
    (site / "_includes/comments.html").write_text(snippet)
    (site / "_layouts").mkdir()
    (site / "_layouts/post.html").write_text("---\nlayout: default\n---\n{{ content }}\n{% include comments.html %}\n")
    jekyll_build(site)
    page = (site / "_site/2024/03/hello-world.html").read_text()
    assert "3 comments" in page and "A Reader" in page and 'href="#c5000000000000000001"' in page
    assert "<img src=x" not in page and "<script>alert" not in page and 'onmouseover="' not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # shown as the text it is
    assert "Thanks for {{ this }}." in unescape(page)  # a comment's text is never run as Liquid
