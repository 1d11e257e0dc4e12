"""The golden conversion cases, shared by the test and by the regeneration script."""

from pathlib import Path

from bs4 import BeautifulSoup

from migrator.convert import html_to_clean_html, html_to_markdown
from migrator.sources.blogger import clean_html as blogger_clean_html
from migrator.sources.tistory import clean_editor_html

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.stem for p in GOLDEN.glob("*.html") if not p.name.endswith(".out.html"))


def source_html(case: str) -> str:
    """The case's HTML as the pipeline's converter sees it, after its source's clean-up, as in a real run:
    cases named tistory-* go through the Tistory source's editor clean-up, the others through the Blogger
    source's (caption tables, old highlighters' code blocks; it leaves other HTML as it is)."""
    html = (GOLDEN / f"{case}.html").read_text(encoding="utf-8")
    if not case.startswith("tistory-"):
        return blogger_clean_html(html)
    soup = BeautifulSoup(f"<div id='post'>{html}</div>", "lxml")
    body = soup.find(id="post")
    clean_editor_html(body, soup, "https://example.tistory.com")
    return body.decode_contents()


def outputs(case: str) -> dict[str, str]:
    """{golden file name: expected content} for one case."""
    html = source_html(case)
    return {f"{case}.md": html_to_markdown(html), f"{case}.out.html": html_to_clean_html(html)}
