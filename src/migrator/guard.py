"""The loss guard: no post loses a word without it being said.

After a post is converted, the visible words of its source body (after the documented removals: the
platform's chrome, which the source already dropped, and the ``clean.remove`` rules) are compared with the
visible words of what will be written. Markdown is rendered (CommonMark + tables, raw HTML passed through)
before its words are read, so Markdown syntax and escapes do not count as words. If any word is missing:

1. the top-level blocks whose own conversion loses words are written as cleaned HTML inside the Markdown
   (a converter bug then costs the prettiness of one block, not the post);
2. if words are still missing, the whole post is written as cleaned HTML;
3. in ``--format html``, if cleaning itself loses words, the post is written as the source's HTML with only
   the safety clean-up (no attribute stripping).

Every fallback is reported: the summary, the report and the manifest's ``fallback`` say which format was
written, why, and how many words the conversion would have lost. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bs4 import BeautifulSoup, Tag

_WORD = re.compile(r"\w+")
# elements whose text is not read by a visitor (code that runs, templates) or not part of the page
_INVISIBLE = frozenset({"script", "style", "noscript", "template", "head", "title"})
# elements that separate words: text on either side of them never joins into one word
_BREAKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "div", "dl", "dt",
        "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
        "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
        "ul", "img", "iframe", "video", "audio", "object", "embed", "center", "label", "option", "select", "rt", "rp",
    }
)  # fmt: skip
RAW_TOKEN = "MIGRATORRAWBLOCK"


@dataclass(frozen=True)
class Fallback:
    """What the guard wrote instead of the plain conversion, and why (the manifest's ``fallback``)."""

    format: str  # "html" (the whole post), "html-blocks" (some blocks), "raw-html" (html mode, uncleaned)
    reason: str
    lost_words: int
    blocks: int = 0  # blocks written as HTML ("html-blocks")

    def to_json(self) -> dict:
        out: dict = {"format": self.format, "reason": self.reason, "lost_words": self.lost_words}
        if self.blocks:
            out["blocks"] = self.blocks
        return out


def words(text: str) -> Counter[str]:
    """The words of plain text: runs of letters and digits (any script), case-folded."""
    return Counter(map(str.casefold, _WORD.findall(text)))


def soup_words(node: BeautifulSoup | Tag) -> Counter[str]:
    """The visible words of a parsed body (bs4), blocks and line breaks separating words. Iterative: a
    hostile, thousands-deep body is read like any other."""
    from bs4 import Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

    not_text = (Comment, Declaration, Doctype, ProcessingInstruction)
    parts: list[str] = []
    stack: list[object] = node.contents[::-1]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str or kind is NavigableString:  # str: a separator pushed after a block's children
            parts.append(item)  # type: ignore[arg-type]
        elif isinstance(item, Tag):
            if item.name in _INVISIBLE:
                continue
            brk = item.name in _BREAKS
            if brk:
                parts.append(" ")
                stack.append(" ")
            stack.extend(item.contents[::-1])
        elif isinstance(item, str) and not isinstance(item, NavigableString):
            parts.append(item)
        elif isinstance(item, NavigableString) and not isinstance(item, not_text):
            parts.append(str(item))
    return words("".join(parts))


def html_words(html: str) -> Counter[str]:
    """The visible words of an HTML fragment."""
    from lxml import etree

    from migrator.sanitize import fragment_body

    if not html.strip():
        return Counter()
    try:
        body = fragment_body(html)  # as lxml.html.fragment_fromstring(html, create_parent="div") parses it
    except (etree.ParserError, ValueError):
        return words(re.sub(r"<[^>]*>", " ", html))
    # the fragment's parent (a block) first: its text, then its children, then the space that ends it
    lead = body.text if body.text and body.text.strip() else ""
    parts: list[str] = [" " + lead]
    stack: list[object] = [" "]  # elements to read, and the text to add once a block's children are read
    stack.extend(body[::-1])
    while stack:
        el = stack.pop()
        if type(el) is str:
            parts.append(el)  # type: ignore[arg-type]
            continue
        tag = el.tag  # type: ignore[attr-defined]  (each read of an lxml property makes a new object)
        tail = el.tail  # type: ignore[attr-defined]
        if type(tag) is not str or tag in _INVISIBLE:  # a comment or a script: only its tail is read
            if tail:
                parts.append(tail)
            continue
        brk = " " if tag in _BREAKS else ""
        text = el.text  # type: ignore[attr-defined]
        parts.append(brk + text if text else brk)
        stack.append(brk + tail if tail else brk)
        if len(el):  # type: ignore[arg-type]
            stack.extend(el[::-1])  # type: ignore[index]
    return words("".join(parts))


def unliquid(text: str) -> str:
    """The text as a visitor of the built site reads it (the generator's Liquid escaping undone)."""
    from migrator.liquid import unescape_liquid

    return unescape_liquid(text)


def markdown_to_html(md: str) -> str:
    """Markdown as a renderer shows it: GitHub's cmark (CommonMark + tables + strikethrough, raw HTML kept,
    C speed: the guard runs on every post)."""
    import cmarkgfm
    from cmarkgfm import _cmark, cmark
    from cmarkgfm.cmark import Options

    text, options, frees = unliquid(md), Options.CMARK_OPT_UNSAFE, _cmark_frees()
    if frees is None:
        return cmarkgfm.markdown_to_html_with_extensions(text, options=options, extensions=["table", "strikethrough"])
    node_free, c_free = frees
    address = lambda ptr: int(_cmark.ffi.cast("uintptr_t", ptr))  # noqa: E731
    cmark.core_extensions_ensure_registered()
    parser = cmark.parser_new(options)
    try:
        for name in ("table", "strikethrough"):
            cmark.parser_attach_syntax_extension(parser, cmark.find_syntax_extension(name))
        cmark.parser_feed(parser, text)
        root = cmark.parser_finish(parser)  # the document is the caller's to free
        try:
            raw = _cmark.lib.cmark_render_html(root, options, cmark.parser_get_syntax_extensions(parser))
            try:
                return _cmark.ffi.string(raw).decode("utf-8")
            finally:
                c_free(address(raw))  # ...and so is the rendered text
        finally:
            node_free(address(root))
    finally:
        cmark.parser_free(parser)


_FREES: list = []


def _cmark_frees() -> tuple[Callable[[int], None], Callable[[int], None]] | None:
    """cmark-gfm's ``cmark_node_free`` and the C library's ``free``, which cmarkgfm's own wrapper never calls
    (theacodes/cmarkgfm#53): every post's document tree and rendered HTML stayed allocated, about 25 KB a
    post, 250 MB over a 10,000-post blog. None (and the leaking wrapper is used) if they cannot be found."""
    if not _FREES:
        import ctypes

        try:
            from cmarkgfm import _cmark

            node_free = ctypes.CDLL(_cmark.__file__).cmark_node_free
            c_free = ctypes.CDLL(None).free
        except (OSError, AttributeError, ImportError):
            _FREES.append(None)
        else:
            for fn in (node_free, c_free):
                fn.argtypes, fn.restype = [ctypes.c_void_p], None
            _FREES.append((node_free, c_free))
    return _FREES[0]


def markdown_words(md: str) -> Counter[str]:
    return html_words(markdown_to_html(md))


def lost(source: Counter[str], output: Counter[str]) -> Counter[str]:
    """The source's words the output lacks (with multiplicity); empty when nothing is lost."""
    return source - output


def describe(missing: Counter[str], limit: int = 5) -> str:
    sample = ", ".join(repr(w) for w, _ in missing.most_common(limit))
    n = sum(missing.values())
    return f"the conversion would drop {n} word{'s' if n != 1 else ''} ({sample})"


# --- the guarded conversion ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Converted:
    body: str
    fallback: Fallback | None = None


Reparse = Callable[[], "BeautifulSoup"]


def convert_markdown(
    reparse: Reparse,
    asset_map: Mapping[str, str],
    base: str | None,
    links: Callable[[str], str | None] | None,
    *,
    converter: Callable[..., str] | None = None,
) -> Converted:
    """Markdown for a post, guarded. ``reparse()`` gives a fresh cleaned soup of the post each time it is
    called (a conversion spends its soup); the first call's soup is the one normally converted."""
    from migrator import convert

    to_md = converter or convert.html_to_markdown
    soup = reparse()
    body = convert.body_of(soup)
    src = soup_words(body) if body is not None else Counter()
    md = to_md(soup, asset_map, base, links)
    missing = lost(src, markdown_words(md))
    if not missing:
        return Converted(md)
    reason = describe(missing)
    n_lost = sum(missing.values())

    blocks = _convert_with_html_blocks(reparse, asset_map, base, links, to_md)
    if blocks is not None:
        md2, count = blocks
        if not lost(src, markdown_words(md2)):
            return Converted(md2, Fallback("html-blocks", reason, n_lost, count))

    html = convert.html_to_clean_html(reparse(), asset_map, base, links)
    if not lost(src, html_words(unliquid(html))):
        return Converted(wrap_html(html), Fallback("html", reason, n_lost))
    raw = raw_html(reparse(), asset_map, base, links)
    return Converted(wrap_html(raw), Fallback("raw-html", reason, n_lost))


def convert_html(
    reparse: Reparse,
    asset_map: Mapping[str, str],
    base: str | None,
    links: Callable[[str], str | None] | None,
) -> Converted:
    """Cleaned HTML for a post, guarded: if cleaning loses words, the source HTML with only the safety
    clean-up is written instead."""
    from migrator import convert

    soup = reparse()
    body = convert.body_of(soup)
    src = soup_words(body) if body is not None else Counter()
    html = convert.html_to_clean_html(soup, asset_map, base, links)
    missing = lost(src, html_words(unliquid(html)))
    if not missing:
        return Converted(html)
    return Converted(
        raw_html(reparse(), asset_map, base, links), Fallback("raw-html", describe(missing), sum(missing.values()))
    )


def wrap_html(html: str) -> str:
    """HTML inside a Markdown file: one block element, so kramdown passes it through untouched."""
    return f'<div class="migrated-html">\n{html.strip()}\n</div>\n'


def raw_html(
    soup: BeautifulSoup, asset_map: Mapping[str, str], base: str | None, links: Callable[[str], str | None] | None
) -> str:
    """The post's HTML with only what safety needs: images relinked, scripts and handlers gone, no blank
    removal, no attribute stripping. Liquid-safe."""
    from migrator import convert

    body = convert.body_of(soup)
    if body is None:
        return "\n"
    from bs4 import Comment

    for el in body.find_all(["script", "style", "noscript", "template"]):
        if el.name != "script" or not el.get("src"):
            el.decompose()
    for c in body.find_all(string=lambda s: isinstance(s, Comment)):
        c.extract()
    for el in body.find_all(True):
        for attr in [a for a in el.attrs if a[:2].lower() == "on"]:
            del el[attr]
        for attr in ("href", "src", "action", "formaction"):
            value = el.get(attr)
            if isinstance(value, str) and re.match(r"^\s*(?:javascript|vbscript):", value, re.I):
                del el[attr]
        if el.name == "img":
            new = _local(el.get("src"), asset_map, base)
            if new:
                el["src"] = new
                if el.get("srcset"):
                    del el["srcset"]
        elif el.name == "a" and el.get("href"):
            new = _local(el.get("href"), asset_map, base)
            if new:
                el["href"] = new
            elif links is not None:
                from migrator.urls import absolute_url

                absolute = absolute_url(el["href"], base)
                target = links(absolute) if absolute else None
                if target:
                    el["href"] = target
    from migrator.liquid import escape_liquid

    return escape_liquid(body.decode_contents().strip() + "\n")


def _local(url: str | None, asset_map: Mapping[str, str], base: str | None) -> str | None:
    if not url:
        return None
    from migrator.urls import absolute_url

    absolute = absolute_url(url, base)
    return asset_map.get(absolute) if absolute else None


def _convert_with_html_blocks(
    reparse: Reparse,
    asset_map: Mapping[str, str],
    base: str | None,
    links: Callable[[str], str | None] | None,
    to_md: Callable[..., str],
) -> tuple[str, int] | None:
    """Markdown where each top-level block whose own conversion loses words is cleaned HTML instead.
    None when no single block is to blame (the loss comes from how blocks combine)."""
    from bs4 import NavigableString, Tag

    from migrator import convert

    soup = reparse()
    body = convert.body_of(soup)
    if body is None:
        return None
    bad: list[Tag] = []
    for child in list(body.children):
        if not isinstance(child, Tag) or child.name in _INVISIBLE:
            continue
        want = soup_words(child)
        if not want:
            continue
        alone = to_md(convert.parse(str(child)), asset_map, base, links)
        if lost(want, markdown_words(alone)):
            bad.append(child)
    if not bad:
        return None
    raws: list[str] = []
    for i, el in enumerate(bad):
        html = convert.html_to_clean_html(convert.parse(str(el)), asset_map, base, links)
        raws.append(wrap_html(html).rstrip("\n"))
        holder = soup.new_tag("p")
        holder.append(NavigableString(f"{RAW_TOKEN}{i}X"))
        el.replace_with(holder)
    md = to_md(soup, asset_map, base, links)
    for i, raw in enumerate(raws):
        token = f"{RAW_TOKEN}{i}X"
        if token not in md:
            return None
        md = md.replace(token, "\n" + raw + "\n", 1)
    return re.sub(r"\n{3,}", "\n\n", md), len(bad)
