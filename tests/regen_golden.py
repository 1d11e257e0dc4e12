"""Regenerate the golden conversion files, on purpose only:  python tests/regen_golden.py

Then read the diff (git diff tests/golden) before committing: the goldens are the spec."""

from pathlib import Path

from migrator.convert import html_to_clean_html, html_to_markdown

GOLDEN = Path(__file__).parent / "golden"

for case in sorted(GOLDEN.glob("*.html")):
    if case.name.endswith(".out.html"):
        continue
    html = case.read_text(encoding="utf-8")
    case.with_suffix(".md").write_text(html_to_markdown(html), encoding="utf-8")
    case.with_suffix(".out.html").write_text(html_to_clean_html(html), encoding="utf-8")
    print("wrote", case.stem)
