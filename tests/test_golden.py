"""Golden conversion files: tests/golden/<case>.html -> <case>.md (Markdown) and <case>.out.html (HTML mode).

Regenerate on purpose with `python tests/regen_golden.py`, then review the diff."""

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from migrator.convert import html_to_clean_html, html_to_markdown
from migrator.sources.tistory import clean_editor_html


def source_html(case: str, html: str) -> str:
    """Cases named tistory-* go through the Tistory source's editor clean-up first, as in a real run."""
    if not case.startswith("tistory-"):
        return html
    soup = BeautifulSoup(f"<div id='post'>{html}</div>", "lxml")
    body = soup.find(id="post")
    clean_editor_html(body, soup, "https://example.tistory.com")
    return body.decode_contents()

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.stem for p in GOLDEN.glob("*.html") if not p.name.endswith(".out.html"))


def test_there_are_golden_cases():
    assert len(CASES) >= 10


@pytest.mark.parametrize("case", CASES)
def test_markdown_golden(case):
    html = source_html(case, (GOLDEN / f"{case}.html").read_text(encoding="utf-8"))
    assert html_to_markdown(html) == (GOLDEN / f"{case}.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES)
def test_html_golden(case):
    html = source_html(case, (GOLDEN / f"{case}.html").read_text(encoding="utf-8"))
    assert html_to_clean_html(html) == (GOLDEN / f"{case}.out.html").read_text(encoding="utf-8")
