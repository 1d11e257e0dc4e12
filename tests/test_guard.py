"""The loss guard: a converter bug costs prettiness, never words. Bugs are fed to the converter on purpose."""

from __future__ import annotations

import json
from collections import Counter

import frontmatter
import pytest

from golden_cases import CASES, source_html
from migrator import convert, guard
from migrator.convert import JekyllConverter


def reparser(html: str):
    return lambda: convert.parse(html)


def test_words_are_case_folded_runs_of_letters_in_any_script():
    assert guard.words("Hello, hello WORLD 안녕 123") == Counter({"hello": 2, "world": 1, "안녕": 1, "123": 1})


def test_blocks_and_line_breaks_separate_words_inline_tags_do_not():
    soup = convert.parse("<p>one</p><p>two<br>three</p><b>fo</b>ur<script>var x</script><style>p{}</style>")
    assert guard.soup_words(soup.body) == guard.words("one two three four")
    assert guard.html_words("<div>a<p>b</p>c</div><!-- hidden --><noscript>n</noscript>") == guard.words("a b c")


def test_markdown_syntax_and_escapes_are_not_words():
    md = '## Title\n\n- **bold** \\*star\\* [link](https://example.com/x_y)\n\n```python\ncode_here()\n```\n'
    assert guard.markdown_words(md) == guard.words("Title bold star link code_here")


def test_unliquid_undoes_escape_liquid_exactly():
    for text in ["a {{ b }} c", "{% raw %} inside", "x {% endraw %} y {{ z }}", "plain"]:
        assert guard.unliquid(convert.escape_liquid(text)) == text


@pytest.mark.parametrize("case", CASES)
def test_no_golden_case_loses_a_word(case):
    """The guard agrees with the converter on every golden case: no false alarm, no loss."""
    html = source_html(case)
    assert guard.convert_markdown(reparser(html), {}, None, None).fallback is None
    assert guard.convert_html(reparser(html), {}, None, None).fallback is None


HTML = (
    "<p>First paragraph stays Markdown.</p>"
    "<p>The <strong>important</strong> words.</p>"
    "<ul><li>a list item</li></ul>"
)


def test_a_block_the_converter_breaks_is_written_as_html(monkeypatch):
    monkeypatch.setattr(JekyllConverter, "convert_strong", lambda self, el, text, parent_tags: "", raising=False)
    out = guard.convert_markdown(reparser(HTML), {}, None, None)
    assert out.fallback is not None and out.fallback.format == "html-blocks" and out.fallback.blocks == 1
    assert out.fallback.lost_words == 1 and "'important'" in out.fallback.reason
    assert "First paragraph stays Markdown." in out.body and "- a list item" in out.body  # the rest is Markdown
    assert '<div class="migrated-html">\n<p>The <strong>important</strong> words.</p>\n</div>' in out.body
    assert not guard.lost(guard.soup_words(convert.parse(HTML).body), guard.markdown_words(out.body))


def test_a_loss_no_single_block_explains_writes_the_whole_post_as_html():
    def truncating(soup, *args):  # loses the end of any long document, never of one short block
        return convert.html_to_markdown(soup, *args)[:40]

    out = guard.convert_markdown(reparser(HTML), {}, None, None, converter=truncating)
    assert out.fallback is not None and out.fallback.format == "html"
    assert out.body.startswith('<div class="migrated-html">\n<p>First paragraph')
    assert "<li>a list item</li>" in out.body


def test_html_mode_falls_back_to_the_source_html_when_cleaning_loses_words(monkeypatch):
    real = convert.html_to_clean_html
    monkeypatch.setattr(convert, "html_to_clean_html", lambda *a, **k: real(*a, **k).replace("important", ""))
    out = guard.convert_html(reparser(HTML), {"https://x/a.png": "/assets/img/a.png"}, None, None)
    assert out.fallback is not None and out.fallback.format == "raw-html"
    assert "<strong>important</strong>" in out.body


def test_the_safe_form_is_still_safe():
    html = '<p onclick="evil()">Text <a href="javascript:alert(1)">link</a></p><script>evil()</script><img src="a.png">'
    raw = guard.raw_html(convert.parse(html), {"https://blog.example/a.png": "/assets/img/a.png"}, "https://blog.example/", None)
    assert "onclick" not in raw and "javascript:" not in raw and "<script>" not in raw
    assert 'src="/assets/img/a.png"' in raw and "Text" in raw and "link" in raw


def test_end_to_end_a_converter_bug_is_reported_and_loses_nothing(quiet_server, blog, migrate, monkeypatch, tmp_path):
    """A converter that drops every <strong>: the run says which posts were kept as HTML (summary, JSON report,
    manifest), and every word of the source is in the built site."""
    monkeypatch.setattr(JekyllConverter, "convert_strong", lambda self, el, text, parent_tags: "", raising=False)
    monkeypatch.setattr(JekyllConverter, "convert_b", lambda self, el, text, parent_tags: "", raising=False)
    report = tmp_path / "report.json"
    res, site = migrate(quiet_server, "--report", report)
    assert res.code == 0, res
    manifest = json.loads((site / ".migrator" / "manifest.json").read_text())
    fell_back = {k: v for k, v in manifest["posts"].items() if v["fallback"]}
    assert fell_back, "the fixture blog has bold text: some post must have needed the guard"
    assert all(v["fallback"]["lost_words"] > 0 and v["fallback"]["format"] in ("html", "html-blocks")
               for v in fell_back.values())
    assert "kept as HTML" in res.out
    listed = json.loads(report.read_text())["fallbacks"]
    assert {f["file"] for f in listed} == {v["path"] for v in fell_back.values()}
    for rec in fell_back.values():
        body = frontmatter.load(site / rec["path"]).content
        assert 'class="migrated-html"' in body
    for rec in manifest["posts"].values():
        assert rec["fallback"] is None or rec["path"] in {f["file"] for f in listed}


def test_without_a_bug_nothing_falls_back(quiet_server, migrate):
    res, site = migrate(quiet_server)
    assert res.code == 0, res
    manifest = json.loads((site / ".migrator" / "manifest.json").read_text())
    assert all(v["fallback"] is None for v in manifest["posts"].values())
    assert "kept as HTML" not in res.out


def test_fallback_posts_keep_every_word_through_a_real_jekyll_build(quiet_server, blog, migrate, monkeypatch):
    from test_site_build import JEKYLL, jekyll_build

    if JEKYLL is None:
        pytest.skip("jekyll is not installed")
    monkeypatch.setattr(JekyllConverter, "convert_strong", lambda self, el, text, parent_tags: "", raising=False)
    monkeypatch.setattr(JekyllConverter, "convert_b", lambda self, el, text, parent_tags: "", raising=False)
    res, site = migrate(quiet_server)
    assert res.code == 0, res
    jekyll_build(site)
    manifest = json.loads((site / ".migrator" / "manifest.json").read_text())
    by_id = {e["id"]: e for e in blog.entries}
    checked = 0
    for post_id, rec in manifest["posts"].items():
        if not rec["fallback"]:
            continue
        e = by_id[post_id]
        built = (site / "_site" / e["path"].lstrip("/")).read_text(encoding="utf-8")
        missing = guard.lost(guard.soup_words(convert.parse(e["html"]).body), guard.html_words(built))
        assert not missing, (e["path"], missing)
        checked += 1
    assert checked


def test_comments_and_scripts_hide_only_themselves():
    assert guard.html_words("<div>a<!-- c -->b<script>x</script>c<p>d</p>e</div>") == guard.words("abc d e")
    assert guard.soup_words(convert.parse("<div>a<!-- c -->b<script>x</script>c<p>d</p>e</div>").body) == (
        guard.words("abc d e")
    )


def test_thousands_deep_html_is_read_without_recursion():
    deep = "<div>" * 3000 + "deep words" + "</div>" * 3000
    assert guard.convert_markdown(reparser(deep), {}, None, None).body
