"""Regenerate the golden conversion files, on purpose only:  python tests/regen_golden.py

Then read the diff (git diff tests/golden) before committing: the goldens are the spec."""

from pathlib import Path

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

for case in sorted(GOLDEN.glob("*.html")):
    if case.name.endswith(".out.html"):
        continue
    html = source_html(case.stem, case.read_text(encoding="utf-8"))
    case.with_suffix(".md").write_text(html_to_markdown(html), encoding="utf-8")
    case.with_suffix(".out.html").write_text(html_to_clean_html(html), encoding="utf-8")
    print("wrote", case.stem)
