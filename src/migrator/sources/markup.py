"""What blog editors and highlighter scripts leave in a post, which every source turns into plain HTML
before it hands the post on (the converter reads only HTML's own conventions: ``data-lang``,
``class="language-x"``).

Code blocks: SyntaxHighlighter (``class="brush: x"``, 1.x's ``<pre name="code" class="x">``, its
``x:nogutter`` options and ``<textarea name="code">``) and the Kakao editor's ``data-ke-language`` become a
``<pre data-lang="x">``. The language is read as the converter always read it, so a post converts the same.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bs4 import Tag

# SyntaxHighlighter 1.x: <pre name="code" class="python"> or class="csharp:nogutter:nocontrols"
_SH1_OPTION = re.compile(r"^([\w+#.-]+)((?::(?:nogutter|nocontrols|collapse|showcolumns|firstline\[\d+\]))+)$", re.I)
_BRUSH = re.compile(r"brush:\s*([\w+#.-]+)")
# what in a post's HTML says it may hold such a code block (the HTML is parsed only then)
MARKERS = ('name="code"', "name='code'", "name=code", "brush:", "data-ke-language", ":nogutter", ":nocontrols",
           ":collapse", ":showcolumns", ":firstline")  # fmt: skip


def has_markers(html: str) -> bool:
    return any(m in html for m in MARKERS)


def _classes(node: Tag) -> list[str]:
    cls = node.get("class") or []
    return (" ".join(cls) if isinstance(cls, list) else str(cls)).split()


def _highlighter(node: Tag) -> bool:
    """``node`` carries a marker the converter does not read (it is this module's to translate)."""
    tokens = _classes(node)
    return bool(
        node.get("data-ke-language")
        or _BRUSH.search(" ".join(tokens))
        or any(_SH1_OPTION.match(c) for c in tokens)
        or (node.get("name") == "code" and tokens)
    )


def highlighter_language(el: Tag) -> str:
    """A code block's language from the editors' and highlighters' markers and HTML's own, in the order
    they were always read: per node (the block, then its first ``<code>``), ``data-ke-language``, the
    attributes HTML uses, ``brush: x``, ``lang-x``-style classes, SyntaxHighlighter 1.x's ``x:nogutter`` and
    ``name="code" class="x"``, then a class that can only be a language."""
    from migrator.convert import language_from_attributes, language_from_class, language_from_prefix, language_of

    for node in [el, *el.find_all("code", limit=1)]:
        if node.get("data-ke-language"):
            return language_of(str(node.get("data-ke-language")))
        tokens = _classes(node)
        m = _BRUSH.search(" ".join(tokens))
        found = language_from_attributes(node)
        found = found if found is not None else (language_of(m.group(1)) if m else language_from_prefix(node))
        if found is not None:
            return found
        for c in tokens:
            m = _SH1_OPTION.match(c)
            if m:
                return language_of(m.group(1))
        if node.get("name") == "code" and tokens:  # SyntaxHighlighter 1.x: the class is the language
            return language_of(tokens[0].split(":", 1)[0])
        found = language_from_class(node)
        if found is not None:
            return found
    return ""


def code_blocks(body: Tag) -> None:
    """SyntaxHighlighter 1.x's ``<textarea name="code">`` is a ``<pre>``; a block whose language only an
    editor's or a highlighter's marker says gets it as ``data-lang`` ("plain" when the marker says none)."""
    for el in body.find_all("textarea", attrs={"name": "code"}):
        el.name = "pre"
    for pre in body.find_all("pre"):
        if not any(_highlighter(n) for n in [pre, *pre.find_all("code", limit=1)]):
            continue
        pre["data-lang"] = highlighter_language(pre) or "plain"


def clean_html(html: str) -> str:
    """A post body with its code blocks made plain HTML (:func:`code_blocks`); a body without the markers is
    returned as it is, unparsed (its bytes, and the post's fingerprint, stay the same)."""
    if not has_markers(html):
        return html
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(f"<html><body>{html}</body></html>", "lxml")
    if soup.body is None:
        return html
    code_blocks(soup.body)
    return soup.body.decode_contents()
