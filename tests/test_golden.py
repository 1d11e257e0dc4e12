"""Golden conversion files: tests/golden/<case>.html -> <case>.md (Markdown) and <case>.out.html (HTML mode).

Regenerate on purpose with `python tests/regen_golden.py`, then review the diff."""

from pathlib import Path

import pytest

from migrator.convert import html_to_clean_html, html_to_markdown

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.stem for p in GOLDEN.glob("*.html") if not p.name.endswith(".out.html"))


def test_there_are_golden_cases():
    assert len(CASES) >= 10


@pytest.mark.parametrize("case", CASES)
def test_markdown_golden(case):
    html = (GOLDEN / f"{case}.html").read_text(encoding="utf-8")
    assert html_to_markdown(html) == (GOLDEN / f"{case}.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES)
def test_html_golden(case):
    html = (GOLDEN / f"{case}.html").read_text(encoding="utf-8")
    assert html_to_clean_html(html) == (GOLDEN / f"{case}.out.html").read_text(encoding="utf-8")
