"""HTML -> Markdown (or cleaned HTML) for Jekyll. Pure: no I/O, no platform knowledge.

``prepare`` does the structural clean-up both formats share, in named passes (image relinking, the "more"
break, code blocks, lists, links around blocks, ``<br>`` placement, spacer paragraphs, ``<br>`` runs); the
:class:`JekyllConverter` hooks (markdownify's ``convert_<tag>``) do the rest; ``escape_liquid`` makes the
result safe for Liquid, prose and code alike. It reads HTML's own conventions only: each source turns its
platform's markup (caption tables, editors' code blocks) into plain HTML before the post reaches it.

The rule throughout: a converter may cost prettiness, never words. An element is only removed when it holds
no text and no media, and what kramdown would read as markup (a ``|`` in a URL, a ``: `` that starts a line)
is escaped.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping

from bs4 import BeautifulSoup, CData, Comment, Doctype, NavigableString, PageElement, Tag
from bs4.builder._lxml import LXMLTreeBuilder
from markdownify import ATX, MarkdownConverter

from migrator.liquid import escape_liquid as escape_liquid  # the generator's: Liquid prints the text as written

MORE_TOKEN = "MIGRATORMOREBREAK7F3A"
DD_TOKEN = "MIGRATORDEFINITION7F3A"
EXCERPT_SEPARATOR = "<!--more-->"
RAW_HTML_TAGS = ("iframe", "embed", "object", "video", "audio")
_BLOCKS_IN_CELLS = ("ul", "ol", "pre", "table", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "dl")
# elements that are content by themselves (a spacer paragraph holding one is no spacer)
_EMPTY_OK = frozenset(
    "img iframe embed object video audio source track hr svg canvas input picture math textarea select".split()
)


# a bare class that can only be a language (old highlighters: <pre class="python">, <code class="html">)
_BARE_LANGS = frozenset(
    "bash csharp cpp css delphi haskell html java javascript json kotlin lua perl php powershell python "
    "ruby rust scala shell sql swift typescript vbnet xml yaml".split()
)
_LANG_PREFIX = re.compile(r"^(?:lang|language|highlight-source|sourceCode)[-_:]([\w+#.-]+)$")


def _class_tokens(node: Tag) -> list[str]:
    cls = node.get("class") or []
    return (" ".join(cls) if isinstance(cls, list) else str(cls)).split()


def language_from_attributes(node: Tag) -> str | None:
    """``data-lang`` or ``data-language`` (None: neither is there)."""
    for attr in ("data-lang", "data-language"):
        if node.get(attr):
            return language_of(str(node.get(attr)))
    return None


def language_from_prefix(node: Tag) -> str | None:
    """A ``lang-x``/``language-x`` class (prettify, Prism, highlight.js, GitHub, pandoc's ``sourceCode``)."""
    for c in _class_tokens(node):
        m = _LANG_PREFIX.match(c)
        if m:
            return language_of(m.group(1))
    return None


def language_from_class(node: Tag) -> str | None:
    """A bare class that can only be a language (``<pre class="python">``)."""
    for c in _class_tokens(node):
        if language_of(c) in _BARE_LANGS:
            return language_of(c)
    return None


def code_language(el: Tag) -> str:
    """The language of a code block from HTML's own conventions, on the block and then its first
    ``<code>``: ``data-lang``/``data-language``, a ``lang-x``/``language-x`` class, or a bare class that
    names a language. (Editors' and highlighters' markers are turned into ``data-lang`` by the sources.)"""
    for node in [el, *_first_named(el, "code")]:
        for rule in (language_from_attributes, language_from_prefix, language_from_class):
            found = rule(node)
            if found is not None:
                return found
    return ""


def _first_named(el: Tag, name: str) -> list[Tag]:
    """``el.find_all(name, limit=1)`` as a walk (bs4's filter costs more than the walk)."""
    for node in el.descendants:
        if isinstance(node, Tag) and node.name == name:
            return [node]
    return []


def _named(el: Tag, names: frozenset[str] | set[str]) -> list[Tag]:
    """``el.find_all(names)`` as a walk: the tags under ``el`` named in ``names``, in document order."""
    return [node for node in el.descendants if isinstance(node, Tag) and node.name in names]


def tags_named(el: Tag, *names: str) -> list[Tag]:
    """``el.find_all([names...])``, as a walk: bs4's filter machinery was 8 times slower than the walk
    (165 against 19 µs on a benchmark post, several times a post)."""
    return _named(el, frozenset(names))


def all_tags(el: Tag) -> list[Tag]:
    """``el.find_all(True)`` as a walk: every tag under ``el``, in document order."""
    return [node for node in el.descendants if isinstance(node, Tag)]


def language_of(value: str) -> str:
    """A language name as a fence writes it: lower case, the usual aliases resolved (``js`` -> ``javascript``)."""
    value = value.strip().strip(";").lower()
    aliases = {
        "js": "javascript",
        "jscript": "javascript",
        "py": "python",
        "c++": "cpp",
        "c#": "csharp",
        "c-sharp": "csharp",
        "vb.net": "vbnet",
        "sh": "bash",
        "plain": "",
        "none": "",
        "undefined": "",
    }
    value = aliases.get(value, value)
    return re.sub(r"[^\w+#.-]", "", value)


_JS_URL = re.compile(r"^\s*(?:javascript|vbscript):", re.IGNORECASE)
# inline elements a <br> at their very start or end is moved out of (else markdownify's emphasis, link and code
# conversions strip it, and the words on both sides of it are glued together)
_INLINE = frozenset(
    "a abbr b big cite code del em font i ins kbd mark q s samp small span strike strong sub sup tt u".split()
)
# what cannot hold a code block (inline markup, a paragraph): a <pre> inside one is lifted out of it
_PRE_UNWRAPS = frozenset("b big code del em font i kbd p s samp small span strike strong sub sup tt u".split())
_BLANKABLE = frozenset({"p", "div", "span", "h1", "h2", "h3", "h4", "h5", "h6"})
_BLOCK_LEVEL = frozenset(
    "address article aside blockquote details dd div dl dt fieldset figcaption figure footer form h1 h2 h3 h4 h5 "
    "h6 header hr li main nav ol p pre section summary table tbody td tfoot th thead tr ul".split()
)
# what cannot sit inside a Markdown link: blocks and the embeds kept as raw HTML
_LINK_BREAKERS = _BLOCK_LEVEL | {"iframe", "embed", "object", "video", "audio", "script"}
# inside a link, these stay as they are (unlinked): lists, tables, code blocks and embeds have no link form
_LINK_KEEP = frozenset({"ul", "ol", "dl", "table", "pre", "hr"}) | {"iframe", "embed", "object", "video", "audio"}


def _blank_flags(tags: list[Tag]) -> dict[int, bool]:
    """For every tag, whether it holds no visible text and no media (computed bottom-up, in one pass).

    ``tags`` must be a complete traversal (every tag of the tree, in document order): a child that is missing
    from it would count as blank, and its parent with it."""
    content: dict[int, bool] = {}
    for el in reversed(tags):
        has = el.name in _EMPTY_OK or (el.name == "script" and bool(el.get("src")))
        if not has:
            for child in el.children:
                if isinstance(child, Tag):
                    if content.get(id(child)):
                        has = True
                        break
                elif not isinstance(child, Comment):
                    if str(child).replace("\xa0", "").replace("\u200b", "").strip():
                        has = True
                        break
        content[id(el)] = has
    return {k: not v for k, v in content.items()}


# elements that hold nothing in HTML; lxml's parser lets some (embed, source, track...) swallow what follows
_VOID = ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr")
_VOID_NAMES = frozenset(_VOID)
_PRE, _BR = frozenset({"pre"}), frozenset({"br"})


def _unswallow(body: Tag) -> None:
    """Move what a void element swallowed back after it (``<embed> text`` is not ``<embed>text</embed>``)."""
    for el in _named(body, _VOID_NAMES):
        if el.contents:
            for child in reversed(list(el.contents)):
                el.insert_after(child.extract())


class _Bail(Exception):
    """What the direct build cannot reproduce: bs4's own event path builds the soup instead."""


class _TreeBuilder(LXMLTreeBuilder):
    """bs4's lxml builder, with the same tree built another way: lxml parses the markup into its own tree
    (in C), and one walk of it makes the ``Tag``s and strings exactly as bs4's per-event path makes them
    (the same attributes, string classes, whitespace rule and links), without its Python callback, tag
    stack and filter work per node. What it cannot reproduce (processing instructions, namespaced names,
    anything but one ``<html>`` root) goes the usual way."""

    def feed(self, markup: object) -> None:
        soup = self.soup
        if (
            isinstance(markup, str)
            and soup is not None
            and not soup.contents
            and not _DOCTYPE.search(markup)
            and _direct_build_ok()
        ):
            try:
                _build_from_lxml(self, soup, markup)
                return
            except _Bail:
                soup.reset()  # nothing of the direct build stays
                self.initialize_soup(soup)
                self.reset()
        super().feed(markup)


_DOCTYPE = re.compile(r"<!doctype", re.IGNORECASE)  # bs4 keeps one anywhere; lxml's tree has none
# a document with every kind of node the direct build makes (multi-valued attributes, string classes, kept
# and collapsed whitespace, a comment, a void element, meta's charset)
_PROBE = (
    '<html><body><p class="a  b" id="x">t<b>u</b> <!--c--><br></p>\n<pre> x <i>y</i>\n</pre> <script>s</script>'
    '<style>p{}</style><template><b>t</b></template><ruby>r<rt><b>t</b></rt><rp>(</rp></ruby>'
    '<meta charset="utf-8"><a rel="nofollow x" href="/">l</a><table><tr><td headers="h">&amp;</td></tr></table>'
    "<textarea>  </textarea>\n</body></html>"
)
_DIRECT: list[bool] = []  # whether the direct build makes bs4's tree (this bs4's), checked once on _PROBE
_DIRECT_LOCK = threading.Lock()


def _direct_build_ok() -> bool:
    if not _DIRECT:
        with _DIRECT_LOCK:
            if not _DIRECT:
                _DIRECT.append(True)  # the probe's own parse takes the direct build
                try:
                    same = _tree_shape(BeautifulSoup(_PROBE, builder=_TreeBuilder())) == _tree_shape(
                        BeautifulSoup(_PROBE, "lxml")
                    )
                except Exception:  # noqa: BLE001 - any failure means: bs4's own path
                    same = False
                _DIRECT[0] = same
    return _DIRECT[0]


def _tree_shape(soup: BeautifulSoup) -> list:
    """Every node of ``soup`` with all its fields, the links between nodes as their positions."""
    nodes: list[object] = [soup]
    stack: list[object] = soup.contents[::-1]
    while stack:
        node = stack.pop()
        nodes.append(node)
        if isinstance(node, Tag):
            stack.extend(node.contents[::-1])
    where = {id(n): i for i, n in enumerate(nodes)}

    def value(v: object) -> object:
        if isinstance(v, (Tag, NavigableString)):
            return ("node", where.get(id(v), -1))
        if isinstance(v, list):
            return [value(x) for x in v]
        return v

    return [
        (type(n).__name__, str(n) if isinstance(n, NavigableString) else None,
         sorted((k, value(v)) for k, v in vars(n).items() if k != "builder"))
        for n in nodes
    ]  # fmt: skip
class _Build:
    """The state of one direct build: the last node made (bs4's ``_most_recent_element``), how many open
    tags keep whitespace, the open string-container tags."""

    def __init__(self, builder: LXMLTreeBuilder, soup: BeautifulSoup) -> None:
        self.builder = builder
        self.spaces = soup.ASCII_SPACES
        self.containers = builder.string_containers
        self.preserve = builder.preserve_whitespace_tags
        self.namespaces = builder.active_namespace_prefixes[-1]
        self.counter = soup.open_tag_counter
        self.last: object = soup._most_recent_element
        self.preserving = 0
        self.container_stack: list[Tag] = []
        self.empty: dict[str, bool] = {}
        self.names: dict[str, None] = {}  # bs4's open_tag_counter: every name seen, in order, at 0 once closed

    def string(self, text: str, parent: Tag, kind: type[NavigableString]) -> None:
        """``BeautifulSoup.endData`` and ``object_was_parsed`` for one string."""
        if not self.preserving and not text.strip(self.spaces):
            text = "\n" if "\n" in text else " "
        if kind is NavigableString and self.container_stack:
            kind = self.containers.get(self.container_stack[-1].name, kind)
        node = str.__new__(kind, text)  # NavigableString.__new__ without its setup(), done here once
        last, contents = self.last, parent.contents
        prev = contents[-1] if contents else None
        node.__dict__.update(
            hidden=False, parent=parent, previous_element=last, next_element=None, next_sibling=None,
            previous_sibling=prev,
        )  # fmt: skip
        self._attach(node, last, prev, contents)

    def _attach(self, node: PageElement, last: PageElement | None, prev: PageElement | None, contents: list) -> None:
        """Link ``node`` in after ``last`` (document order) and ``prev`` (its parent's last child), as bs4's
        ``object_was_parsed`` does."""
        if last is not None:
            last.next_element = node  # type: ignore[attr-defined]
        if prev is not None:
            prev.next_sibling = node
        contents.append(node)
        self.last = node

    def tag(self, el: object, parent: Tag) -> Tag:
        """``BeautifulSoup.handle_starttag`` (and ``Tag.__init__``) for one element."""
        name: str = el.tag  # type: ignore[attr-defined]
        builder = self.builder
        attrs = builder.attribute_dict_class()
        for k, v in el.attrib.items():  # type: ignore[attr-defined]
            if k[:1] == "{" or v == k:  # a bare ``disabled`` reads as "" in bs4's events, as "disabled" here
                raise _Bail
            attrs[k] = v
        if attrs:
            attrs = builder._replace_cdata_list_attribute_values(name, attrs)
        empty = self.empty.get(name)
        if empty is None:
            empty = self.empty[name] = builder.can_be_empty_element(name)
        containers = self.containers
        container = containers.get(name)
        tag = Tag.__new__(Tag)
        last, contents = self.last, parent.contents
        prev = contents[-1] if contents else None
        tag.__dict__ = {  # what Tag.__init__ sets, in its order, and setup()'s links
            "parser_class": BeautifulSoup, "name": name, "namespace": None, "_namespaces": self.namespaces,
            "prefix": None, "sourceline": None, "sourcepos": None,
            "attribute_value_list_class": builder.attribute_value_list_class, "attrs": attrs,
            "known_xml": builder.is_xml, "contents": [], "parent": parent, "previous_element": last,
            "next_element": None, "next_sibling": None, "previous_sibling": prev, "hidden": False,
            "can_be_empty_element": empty, "cdata_list_attributes": builder.cdata_list_attributes,
            "preserve_whitespace_tags": self.preserve,
            "interesting_string_types": Tag.MAIN_CONTENT_STRING_TYPES if container is None else {container},
        }  # fmt: skip
        if container is not None:
            self.container_stack.append(tag)
        if name == "meta":
            builder.set_up_substitutions(tag)
        self._attach(tag, last, prev, contents)
        self.names[name] = None
        if name in self.preserve:
            self.preserving += 1
        return tag

    def close(self, tag: Tag) -> None:
        if tag.name in self.preserve:
            self.preserving -= 1
        if self.container_stack and self.container_stack[-1] is tag:
            self.container_stack.pop()


def _build_from_lxml(builder: LXMLTreeBuilder, soup: BeautifulSoup, markup: str) -> None:
    """``soup``'s tree from ``markup`` as bs4's lxml builder makes it (see :class:`_TreeBuilder`)."""
    from lxml import etree

    parser = _plain_html_parser()
    try:
        root = etree.fromstring(markup, parser)
    except Exception as e:  # noqa: BLE001 - whatever lxml's tree mode rejects, bs4's path decides about
        raise _Bail from e
    if markup.count("<") > 1000 and any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log):
        raise _Bail  # lxml's tree stops at 2,048 levels; bs4's events go on
    if root is None or root.tag != "html" or root.getprevious() is not None or root.getnext() is not None:
        raise _Bail
    build = _Build(builder, soup)
    comment = etree.Comment
    # (element, its bs4 parent) to open, (text, parent) to add, or (None, tag) to close a tag
    stack: list[tuple[object, Tag]] = [(root, soup)]
    while stack:
        el, parent = stack.pop()
        if el is None:
            build.close(parent)
        elif isinstance(el, str):
            build.string(el, parent, NavigableString)
        elif el.tag is comment:  # type: ignore[attr-defined]
            build.string(el.text or "", parent, Comment)  # type: ignore[attr-defined]
            if el.tail:  # type: ignore[attr-defined]
                build.string(el.tail, parent, NavigableString)  # type: ignore[attr-defined]
        else:
            name = el.tag  # type: ignore[attr-defined]
            if not isinstance(name, str) or name[:1] == "{":
                raise _Bail  # a processing instruction, an entity, a namespaced name
            tag = build.tag(el, parent)
            tail = el.tail if el is not root else None  # type: ignore[attr-defined]
            if tail:
                stack.append((tail, parent))
            stack.append((None, tag))
            stack.extend([(child, tag) for child in reversed(el)])  # type: ignore[call-overload]
            if el.text:  # type: ignore[attr-defined]
                stack.append((el.text, tag))  # type: ignore[attr-defined]
    soup._most_recent_element = build.last
    for name in build.names:
        build.counter[name] += 0


_HTML_PARSER = threading.local()


def _plain_html_parser():  # type: ignore[no-untyped-def]
    """lxml's HTML parser (recovering, as bs4's builder has it; no Python element classes), one per thread:
    its error log is read after each parse."""
    parser = getattr(_HTML_PARSER, "parser", None)
    if parser is None:
        from lxml import etree

        parser = _HTML_PARSER.parser = etree.HTMLParser(recover=True, huge_tree=True)
    return parser


def parse(html: str) -> BeautifulSoup:
    """A post body as a soup (the one parse a post gets in a run); ``body`` is the post."""
    soup = BeautifulSoup(f"<html><body>{html}</body></html>", builder=_TreeBuilder())
    if "<embed" in html or "<source" in html or "<track" in html or "<param" in html:
        body = body_of(soup)
        if body is not None:
            _unswallow(body)
    return soup


def body_of(soup: Tag) -> Tag | None:
    """``soup.body`` (the first ``<body>`` in document order), as a walk that stops there: bs4's attribute
    lookup builds a filter for a ``find`` on every access."""
    for node in soup.descendants:
        if isinstance(node, Tag) and node.name == "body":
            return node
    return None


def _as_soup(html: str | BeautifulSoup) -> BeautifulSoup:
    return parse(html) if isinstance(html, str) else html


def _alive(el: Tag) -> bool:
    return el.parent is not None  # a removed tag, or one inside a removed tag, has none


def _tags(body: Tag) -> list[Tag]:
    """Every tag under ``body``, in document order."""
    return [node for node in body.descendants if isinstance(node, Tag)]


def _holds(el: Tag, names: frozenset[str]) -> bool:
    """Whether a tag named in ``names`` is inside ``el`` (a walk that stops at the first; bs4's ``find`` with
    a list of names builds a filter per call, which costs more than the walk)."""
    return any(isinstance(d, Tag) and d.name in names for d in el.descendants)


def _content_sibling(el: Tag, step: int) -> Tag | NavigableString | None:
    """The nearest sibling before (``step`` -1) or after (+1) ``el`` that is not whitespace or a comment."""
    node = el.previous_sibling if step < 0 else el.next_sibling
    while node is not None:
        if isinstance(node, Tag) or (not isinstance(node, Comment) and str(node).strip()):
            return node
        node = node.previous_sibling if step < 0 else node.next_sibling
    return None


def _is_inline_content(node: Tag | NavigableString | None) -> bool:
    if node is None:
        return False
    if isinstance(node, Tag):
        return node.name not in _BLOCK_LEVEL and node.name != "br"
    return True


def _collect(body: Tag) -> tuple[list[Tag], list[NavigableString]]:
    """One traversal: the tags, in document order. Comments go, except ``<!--more-->``, the excerpt break
    (returned too, as the tokens that replace it)."""
    tags: list[Tag] = []
    comments: list[Comment] = []
    for node in body.descendants:
        if isinstance(node, Tag):
            tags.append(node)
        elif isinstance(node, Comment):
            comments.append(node)
    breaks = []
    for c in comments:
        if c.strip().lower() == "more":
            token = NavigableString(MORE_TOKEN)
            c.replace_with(token)
            breaks.append(token)
        else:
            c.extract()
    return tags, breaks


# the excerpt break cannot sit inside these (it would cut a table, a list, a heading or a link in two)
_MORE_OUT = frozenset("a dl figure h1 h2 h3 h4 h5 h6 ol pre table ul".split())


def _more_breaks_out(breaks: list[NavigableString]) -> None:
    """An excerpt break inside a table, list, heading or link moves to just after it."""
    for token in breaks:
        outer = None
        for anc in token.parents:
            if anc.name in _MORE_OUT:
                outer = anc
        if outer is not None and outer.parent is not None:
            outer.insert_after(token.extract())


def _relink_img(el: Tag, local: Callable[[str | None], str | None]) -> None:
    from migrator.urls import srcset_urls

    new = local(el.get("src"))
    if new:
        el["src"] = new
    if el.get("srcset"):
        mapped = {local(u) or u for u in srcset_urls(el["srcset"])}
        if len(mapped) == 1 and (new in mapped or not new):
            if not new:
                el["src"] = mapped.pop()
            del el["srcset"]
        else:
            el["srcset"] = ", ".join(
                (local(c.split()[0]) or c.split()[0]) + ("" if len(c.split()) < 2 else " " + c.split()[1])
                for c in re.split(r",\s+", el["srcset"])
                if c.strip()
            )
    for lazy in ("data-src", "data-original", "data-lazy-src"):
        if el.get(lazy) and not el.get("src"):
            el["src"] = local(el[lazy]) or el[lazy]


def _relink_a(
    el: Tag, local: Callable[[str | None], str | None], links: Callable[[str], str | None] | None, base: str | None
) -> None:
    """Links to the full-size image go to the local copy; links to the blog's own posts to the new site."""
    from migrator.urls import absolute_url

    if el.get("data-migrator-attachment"):
        del el["data-migrator-attachment"]
    new = local(el.get("href"))
    if new:
        el["href"] = new
    elif links is not None and el.get("href"):
        absolute = absolute_url(el["href"], base)
        target = links(absolute) if absolute else None
        if target:
            el["href"] = target


def _sanitize_and_relink(
    tags: list[Tag],
    local: Callable[[str | None], str | None],
    links: Callable[[str], str | None] | None,
    base: str | None,
    breaks: list[NavigableString],
) -> None:
    """Nothing in a post may run code on the new site (inline scripts, event handlers, ``javascript:`` links);
    ``<a name="more">`` is the excerpt break (added to ``breaks``); images and links are relinked."""
    for el in tags:
        if not _alive(el):
            continue
        name = el.name
        if name in ("style", "noscript", "template") or (name == "script" and not el.get("src")):
            el.decompose()
            continue
        if name == "a" and el.get("name") == "more":  # the break, then what the anchor held (words, more breaks)
            token = NavigableString(MORE_TOKEN)
            el.insert_before(token)
            el.unwrap()
            breaks.append(token)
            continue
        attrs = el.attrs
        if attrs:  # (most tags have none)
            for attr in [a for a in attrs if a[:2].lower() == "on"]:
                del el[attr]
            for attr in ("href", "src", "action", "formaction"):
                value = attrs.get(attr)
                if isinstance(value, str) and _JS_URL.match(value):
                    del el[attr]
        if name == "img":
            _relink_img(el, local)
        elif name == "a":
            _relink_a(el, local, links, base)


# inline markup that is the same in Markdown, so <i>a</i><em>b</em> is one emphasis ("*a**b*" is not)
_SAME_MARKUP = {"b": "b", "strong": "b", "i": "i", "em": "i", "s": "s", "del": "s", "strike": "s", "u": "u",
                "sup": "sup", "sub": "sub", "code": "code"}


def _merge_adjacent_inline(tags: list[Tag]) -> None:
    """``<b>a</b><b>b</b>`` (editors split emphasis at every style change) is one ``<b>ab</b>``."""
    for el in tags:
        kind = _SAME_MARKUP.get(el.name)
        if kind is None or el.parent is None:
            continue
        nxt = el.next_sibling
        while isinstance(nxt, Tag) and _SAME_MARKUP.get(nxt.name) == kind:
            for child in list(nxt.contents):
                el.append(child.extract())
            nxt.decompose()
            nxt = el.next_sibling


def _code_blocks(tags: list[Tag]) -> None:
    """One ``<pre>`` per code block: a ``<pre>`` inside another is unwrapped (its language kept), and inline
    markup and paragraphs around a ``<pre>`` (``<p><code><pre>``) are lifted off it."""
    for pre in [t for t in tags if t.name == "pre" and _alive(t)]:
        outer = next((a for a in pre.parents if a.name == "pre"), None)
        if outer is not None:
            lang = code_language(pre)
            if lang and not code_language(outer):
                outer["data-lang"] = lang
            pre.unwrap()
            continue
        for anc in [a for a in pre.parents if a.name in _PRE_UNWRAPS]:
            anc.unwrap()


def _nested_lists(soup: BeautifulSoup, tags: list[Tag]) -> None:
    """What sits directly in a ``<ul>``/``<ol>`` but not in an ``<li>`` (a nested list, as both editors write
    it, or stray text) joins the item before it; with no item before it, it gets its own."""
    for lst in [t for t in tags if t.name in ("ul", "ol") and _alive(t)]:
        for child in list(lst.children):
            if isinstance(child, Tag) and child.name == "li":
                continue
            if isinstance(child, Comment) or (isinstance(child, NavigableString) and not str(child).strip()):
                continue
            prev = _content_sibling(child, -1)
            if isinstance(prev, Tag) and prev.name == "li":
                if _is_inline_content(child) and prev.get_text(strip=True):
                    prev.append(soup.new_tag("br"))
                prev.append(child.extract())
            else:
                li = soup.new_tag("li")
                child.replace_with(li)
                li.append(child)


def _link_clone(soup: BeautifulSoup, a: Tag, nodes: list[Tag | NavigableString]) -> Tag:
    clone = soup.new_tag("a", attrs=dict(a.attrs))
    for n in nodes:
        clone.append(n.extract())
    return clone


def _split_link(soup: BeautifulSoup, a: Tag) -> list[Tag]:
    """Move the link ``a`` inside the blocks it holds, then drop it; returns the new links that still hold
    blocks (a link around a ``<div>`` around a ``<p>``)."""
    again: list[Tag] = []
    run: list[Tag | NavigableString] = []
    for child in [*a.children, None]:
        breaks = isinstance(child, Tag) and (child.name in _LINK_BREAKERS or _holds(child, _LINK_BREAKERS))
        if child is not None and not breaks:
            run.append(child)
            continue
        if any(isinstance(n, Tag) or str(n).strip() for n in run):  # the inline run before it, linked
            clone = _link_clone(soup, a, run)
            if child is not None:
                child.insert_before(clone)
            else:
                a.append(clone)
        run = []
        if isinstance(child, Tag) and child.name not in _LINK_KEEP and child.name != "script":
            inner = _link_clone(soup, a, list(child.contents))
            child.append(inner)
            if _holds(inner, _LINK_BREAKERS):
                again.append(inner)
    a.unwrap()
    return again


def _blocks_in_links(soup: BeautifulSoup, tags: list[Tag]) -> None:
    """A link around blocks (``<a><h3>title</h3><p>text</p></a>``) has no Markdown form: the link goes inside
    each block instead (lists, tables, code and embeds in it stay as they are, unlinked)."""
    todo = [t for t in tags if t.name == "a" and t.get("href") and _alive(t) and _holds(t, _LINK_BREAKERS)]
    while todo:
        a = todo.pop()
        if _alive(a):
            todo.extend(_split_link(soup, a))


def _inside_pre(body: Tag) -> set[int]:
    ids: set[int] = set()
    for pre in _named(body, _PRE):
        ids.update(id(d) for d in pre.descendants)
    return ids


def _hoist_breaks(body: Tag, in_pre: set[int]) -> None:
    """A ``<br>`` that starts or ends bold/italic/link/code text belongs before/after it (else the break is
    lost in the emphasis, and the words on both sides of it run together). Trailing ones are moved last
    first, so ``<b>x<br><br></b>`` loses neither."""
    brs = [br for br in _named(body, _BR) if id(br) not in in_pre]
    for br in reversed(brs):
        while br.parent is not None and br.parent.name in _INLINE and _content_sibling(br, 1) is None:
            br.parent.insert_after(br.extract())
    for br in brs:
        while br.parent is not None and br.parent.name in _INLINE and _content_sibling(br, -1) is None:
            br.parent.insert_before(br.extract())


def _drop_blanks(soup: BeautifulSoup, body: Tag, in_pre: set[int]) -> None:
    """Spacer paragraphs, divs and spans (``&nbsp;``, ``<br>`` only) and empty headings carry nothing: they go.
    Never one that holds text, an image, an embed or a script with ``src``; and a removed one never glues
    the words around it together (a blank span becomes a space, a blank block between text a line break)."""
    live = _tags(body)  # a fresh traversal: the passes before made new tags (figures, list items, links)
    blank = _blank_flags(live)
    for el in live:
        if el.name not in _BLANKABLE or not blank.get(id(el)) or id(el) in in_pre or not _alive(el):
            continue
        if el.name == "span":
            if _holds(el, _BR):
                el.unwrap()
            elif any(ch.isspace() for ch in el.get_text()):
                el.replace_with(NavigableString(" "))
            else:
                el.decompose()
        elif _is_inline_content(_content_sibling(el, -1)) and _is_inline_content(_content_sibling(el, 1)):
            br = soup.new_tag("br")
            if _holds(el, _BR) or el.get_text().strip(" \t\r\n"):
                br["data-run"] = "1"  # it showed as an empty line: a paragraph break
            el.replace_with(br)
        else:
            el.decompose()


def _break_runs(body: Tag, in_pre: set[int]) -> None:
    """``<br><br>`` runs are paragraph breaks: the first is marked, the rest go."""
    for br in _named(body, _BR):
        if br.parent is None or br.get("data-run") or id(br) in in_pre:
            continue
        run = [br]
        nxt = br.next_sibling
        while nxt is not None:
            if isinstance(nxt, NavigableString) and not str(nxt).strip(" \t\r\n"):
                nxt = nxt.next_sibling
                continue
            if isinstance(nxt, Tag) and nxt.name == "br":
                run.append(nxt)
                nxt = nxt.next_sibling
                continue
            break
        if len(run) > 1:
            br["data-run"] = "1"
            for extra in run[1:]:
                extra.decompose()


def prepare(
    html: str | BeautifulSoup,
    asset_map: Mapping[str, str] | None = None,
    base: str | None = None,
    links: Callable[[str], str | None] | None = None,
) -> BeautifulSoup:
    """Do the clean-up both output formats share, on ``html`` (a string, or a soup from ``parse``, which is
    changed in place). Returns the soup; its ``body`` is the post.

    One traversal collects the tags; the passes below work on that list (a removed tag has no parent), in an
    order that matters: structure first (the excerpt break, split emphasis, code, lists, links),
    then breaks, then blank elements (on a fresh traversal, so nothing a pass made is mistaken for blank),
    then ``<br>`` runs."""
    from migrator.urls import absolute_url, other_scheme

    soup = _as_soup(html)
    body = body_of(soup)
    assert body is not None
    amap = asset_map or {}

    def local(url: str | None) -> str | None:
        if not url:
            return None
        absolute = absolute_url(url, base)
        if not absolute:
            return None
        return amap.get(absolute) or amap.get(other_scheme(absolute))  # http and https: one image

    tags, breaks = _collect(body)
    _sanitize_and_relink(tags, local, links, base, breaks)
    _more_breaks_out(breaks)
    _merge_adjacent_inline(tags)
    _code_blocks(tags)
    _nested_lists(soup, tags)
    _blocks_in_links(soup, tags)
    in_pre = _inside_pre(body)
    _hoist_breaks(body, in_pre)
    _drop_blanks(soup, body, in_pre)
    _break_runs(body, in_pre)
    return soup


def _spaced(text: str) -> str:
    """Whitespace at either end of inline text becomes one space: markdownify keeps a leading or trailing
    space outside the markup but drops a line break there, which glues the words around it together."""
    core = text.strip()
    if not core:
        return text
    head = " " if text[0].isspace() else ""
    tail = " " if text[-1].isspace() else ""
    return head + core + tail


def _no_glue(fn: Callable[..., str]) -> Callable[..., str]:
    def implementation(self: MarkdownConverter, el: Tag, text: str, parent_tags: set[str]) -> str:
        return fn(self, el, _spaced(text), parent_tags)

    return implementation


def _url(url: str) -> str:
    """A URL as a Markdown link target: spaces and pipes encoded (a ``|`` would make the line a table), and
    angle brackets around it when it holds what ends a plain target."""
    url = url.replace(" ", "%20").replace("|", "%7C")
    if re.search(r"[\s()<>]", url):
        url = "<" + url.replace("<", "%3C").replace(">", "%3E") + ">"
    return url


def _title(title: str) -> str:
    return ' "' + title.replace('"', r"\"").replace("|", "&#124;") + '"' if title else ""


_ESC_BACKSLASH = re.compile(r"\\(?=[\\`*_{}\[\]()#+\-.!:|\"'$<>=~])")
_ESC_ENTITY = re.compile(r"&(?=#?\w+;)")
_ESC_TAG = re.compile(r"<(?=[A-Za-z/!?])")
_ESC_TILDE = re.compile(r"~(?=~)")
_ESC_LINE_MARK = re.compile(r"^(\s*)([#+=-])(?=\s|$)")
_ESC_QUOTE = re.compile(r"^(\s*)>")
_ESC_LIST_NUMBER = re.compile(r"^(\s*\d+)([.)])(?=\s|$)")
_OPTIONS: list[dict] = []  # JekyllConverter's options, read once

# markdownify's whitespace rules (should_remove_whitespace_inside/outside, its regexes), by tag name
_MD_HEADING = re.compile(r"h(\d+)")
_MD_WS_BLOCKS = frozenset(
    "p blockquote article div section ol ul li dl dt dd table thead tbody tfoot tr td th".split()
)
_WS_INSIDE: dict[str, bool] = {}
_CHILD_TAGS: dict[str, tuple[str, ...]] = {}
_NEWLINE_WS = re.compile(r"[\t \r\n]*[\r\n][\t \r\n]*")
_RUN_WS = re.compile(r"[\t ]+")


def _ws_inside(el: object) -> bool:
    """markdownify's ``should_remove_whitespace_inside``, cached by tag name."""
    if not el:
        return False
    name = el.name  # type: ignore[attr-defined]
    if not name:
        return False
    found = _WS_INSIDE.get(name)
    if found is None:
        found = _WS_INSIDE[name] = _MD_HEADING.match(name) is not None or name in _MD_WS_BLOCKS
    return found


def _ws_outside(el: object) -> bool:
    """markdownify's ``should_remove_whitespace_outside``."""
    return _ws_inside(el) or bool(el and el.name == "pre")  # type: ignore[attr-defined]


def _child_tags(name: str) -> tuple[str, ...]:
    """The pseudo-tags markdownify adds to its children's ``parent_tags``."""
    extra: tuple[str, ...] = ()
    if _MD_HEADING.match(name) is not None or name in ("td", "th"):
        extra += ("_inline",)
    if name in ("pre", "code", "kbd", "samp"):
        extra += ("_noformat",)
    return extra


def _ignorable(el: object, inside: bool) -> bool:
    """markdownify's ``_can_ignore``: whitespace next to a block's edges, comments, doctypes."""
    if isinstance(el, Tag):
        return False
    if isinstance(el, (Comment, Doctype)):
        return True
    if isinstance(el, NavigableString):
        if el.strip() != "":
            return False
        if inside and (not el.previous_sibling or not el.next_sibling):
            return True
        return _ws_outside(el.previous_sibling) or _ws_outside(el.next_sibling)
    if el is None:
        return True
    raise ValueError(f"Unexpected element type: {type(el)}")


def _join_collapsing(child_strings: list[str]) -> str:
    """markdownify's join of its children's conversions: where one ends in newlines and the next starts with
    some, the larger count (at most two) is kept."""
    parts: list[str] = []
    pending = ""  # the previous child's trailing newlines
    for child in child_strings:
        if child[0] != "\n" and child[-1] != "\n":
            parts.append(pending)
            parts.append(child)
            pending = ""
            continue
        rest = child.lstrip("\n")
        lead = len(child) - len(rest)
        content = rest.rstrip("\n")
        if pending and lead:
            parts.append("\n" * min(2, max(len(pending), lead)))
        else:
            parts.append(pending)
            parts.append(child[:lead])
        parts.append(content)
        pending = rest[len(content) :]
    parts.append(pending)
    return "".join(parts)


class JekyllConverter(MarkdownConverter):
    """markdownify with the hooks a blog migration needs."""

    class Options(MarkdownConverter.DefaultOptions):
        heading_style = ATX
        bullets = "-"
        escape_asterisks = True
        escape_underscores = True
        table_infer_header = True
        sub_symbol = "<sub>"
        sup_symbol = "<sup>"
        strip_document = "strip"
        keep_inline_images_in = ["td", "th", "a"]

    def __init__(self, **options: object) -> None:
        if options:
            super().__init__(**options)
            return
        if not _OPTIONS:  # markdownify reads the options off the classes with dir() on every instance
            super().__init__()
            _OPTIONS.append(dict(self.options))
        self.options = dict(_OPTIONS[0])
        self.convert_fn_cache = {}  # per instance: tests patch convert_<tag> methods on the class

    def escape(self, text: str, parent_tags: set[str]) -> str:  # type: ignore[override]
        """Each rule runs only when its character is there (the same output, a fraction of the regex calls)."""
        if not text:
            return text
        if "\\" in text:
            text = _ESC_BACKSLASH.sub(r"\\\\", text)
        text = super().escape(text, parent_tags)
        if "&" in text:
            text = _ESC_ENTITY.sub("&amp;", text)
        if "<" in text:
            text = _ESC_TAG.sub("&lt;", text)
        text = text.replace("`", r"\`").replace("[", r"\[").replace("]", r"\]").replace("|", r"\|")
        if "$$" in text or "{" in text:
            text = text.replace("$$", r"\$\$").replace("{:", r"\{:").replace("{#", r"\{#")  # {#id} ends a heading
        if "~~" in text:
            text = _ESC_TILDE.sub(r"\~", text)  # ~~ is strikethrough (and ~~~ a code fence) in kramdown's GFM
        lead = text.lstrip()[:1]
        if lead and (lead in "#+=->" or lead.isdigit()):  # what the three rules below can match at all
            text = _ESC_LINE_MARK.sub(r"\1\\\2", text)
            text = _ESC_QUOTE.sub(r"\1\\>", text)  # kramdown: ">>" quotes too
            text = _ESC_LIST_NUMBER.sub(r"\1\\\2", text)
        return text

    def process_element(self, node, parent_tags=None):  # type: ignore[no-untyped-def]
        if isinstance(node, NavigableString):
            return self.process_text(node, parent_tags=parent_tags)
        return self.process_tag(node, parent_tags=parent_tags)

    def process_tag(self, node, parent_tags=None):  # type: ignore[no-untyped-def]
        """markdownify's, with its per-tag costs taken out and the same output: whether a tag is in a ``<pre>``
        comes down with ``parent_tags`` instead of a ``find_parent`` per tag, the whitespace rules are looked
        up per tag name, and newlines at child boundaries are split without a regex. (The recursion keeps
        markdownify's frames per level, so a too-deep post fails at the same depth and is flattened alike.)"""
        if parent_tags is None:
            parent_tags = set()
        name = node.name
        inside = _ws_inside(node)
        children_to_convert = [el for el in node.contents if type(el) is Tag or not _ignorable(el, inside)]
        parent_tags_for_children = set(parent_tags)
        parent_tags_for_children.add(name)
        extra = _CHILD_TAGS.get(name)
        if extra is None:
            extra = _CHILD_TAGS[name] = _child_tags(name)
        if extra:
            parent_tags_for_children.update(extra)
        child_strings = [
            self.process_element(el, parent_tags=parent_tags_for_children) for el in children_to_convert
        ]
        child_strings = [s for s in child_strings if s]
        if name == "pre" or "pre" in parent_tags:  # inside <pre> blocks, newlines are not collapsed
            text = "".join(child_strings)
        else:
            text = _join_collapsing(child_strings)
        convert_fn = self.get_conv_fn_cached(name)
        if convert_fn is not None:
            text = convert_fn(node, text, parent_tags=parent_tags)
        return text

    def process_text(self, el, parent_tags=None):  # type: ignore[no-untyped-def]
        if parent_tags is None:
            parent_tags = set()
        if self.options["wrap"]:
            return super().process_text(el, parent_tags=parent_tags)
        text = str(el) or ""
        if "pre" not in parent_tags:
            if "\n" in text or "\r" in text:
                text = _NEWLINE_WS.sub("\n", text)
            if "\t" in text or "  " in text:
                text = _RUN_WS.sub(" ", text)
        if "_noformat" not in parent_tags:
            text = self.escape(text, parent_tags)
        prev, nxt = el.previous_sibling, el.next_sibling
        parent_inside = _ws_inside(el.parent)
        if _ws_outside(prev) or (parent_inside and not prev):
            text = text.lstrip(" \t\r\n")
        if _ws_outside(nxt) or (parent_inside and not nxt):
            text = text.rstrip()
        return text

    convert_b = _no_glue(MarkdownConverter.convert_b)
    convert_strong = _no_glue(MarkdownConverter.convert_strong)
    convert_em = _no_glue(MarkdownConverter.convert_em)
    convert_i = _no_glue(MarkdownConverter.convert_i)
    convert_del = _no_glue(MarkdownConverter.convert_del)
    convert_s = _no_glue(MarkdownConverter.convert_s)
    convert_sub = _no_glue(MarkdownConverter.convert_sub)
    convert_sup = _no_glue(MarkdownConverter.convert_sup)
    convert_code = _no_glue(MarkdownConverter.convert_code)
    convert_kbd = _no_glue(MarkdownConverter.convert_kbd)
    convert_samp = _no_glue(MarkdownConverter.convert_samp)

    def convert_br(self, el, text, parent_tags):  # type: ignore[no-untyped-def]
        if "pre" in parent_tags or "_noformat" in parent_tags:
            return "\n"
        if "_inline" in parent_tags and el.find_parent(["td", "th"]) is not None:
            return "<br>"
        if el.get("data-run") and "_inline" not in parent_tags:
            return "\n\n"
        return super().convert_br(el, text, parent_tags)

    def convert_hN(self, n, el, text, parent_tags):  # type: ignore[no-untyped-def]
        if not text.strip():
            return ""  # an empty heading is nothing, not a bare "##"
        return super().convert_hN(n, el, text, parent_tags)

    def convert_pre(self, el, text, parent_tags):  # type: ignore[no-untyped-def]
        if not text.strip("\n"):
            return ""
        lang = code_language(el)
        text = text.strip("\n")
        longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
        fence = "`" * max(3, longest + 1)
        return f"\n\n{fence}{lang}\n{text}\n{fence}\n\n"

    def convert_ul(self, el, text, parent_tags):  # type: ignore[no-untyped-def]
        out = super().convert_ul(el, text, parent_tags)
        if "li" in parent_tags and _is_inline_content(_content_sibling(el, 1)):
            out += "\n\n"  # text after a nested list is the item's next paragraph, not the last sub-item's
        return out

    def convert_ol(self, el, text, parent_tags):  # type: ignore[no-untyped-def]
        out = self.convert_ul(el, text, parent_tags)
        start = str(el.get("start") or "1").strip()
        if start.isdigit() and int(start) != 1 and "li" not in parent_tags:
            return out.rstrip("\n") + f'\n{{: start="{int(start)}"}}\n\n'  # kramdown ignores the first number
        return out

    def convert_dd(self, el, text, parent_tags):  # type: ignore[no-untyped-def]
        out = super().convert_dd(el, text, parent_tags)
        # the definition marker is written after the line-start colons of the text are escaped
        return DD_TOKEN + out[1:] if out.startswith(":") else out

    # blocks markdownify does not know: written as the paragraphs they are (else their words run into the
    # text around them)
    convert_center = MarkdownConverter.convert_div
    convert_address = MarkdownConverter.convert_div
    convert_header = MarkdownConverter.convert_div
    convert_footer = MarkdownConverter.convert_div
    convert_main = MarkdownConverter.convert_div
    convert_nav = MarkdownConverter.convert_div
    convert_aside = MarkdownConverter.convert_div
    convert_hgroup = MarkdownConverter.convert_div
    convert_fieldset = MarkdownConverter.convert_div
    convert_legend = MarkdownConverter.convert_div
    convert_form = MarkdownConverter.convert_div
    convert_marquee = MarkdownConverter.convert_div
    convert_menu = MarkdownConverter.convert_list
    convert_dir = MarkdownConverter.convert_list

    def convert_option(self, el, text, parent_tags):  # type: ignore[no-untyped-def]
        return f"{text.strip()} "

    def convert_rt(self, el, text, parent_tags):  # type: ignore[no-untyped-def]
        """A ruby annotation in parentheses after its base (unless the author gave ``<rp>`` ones)."""
        if text.strip() and el.parent is not None and el.parent.find("rp") is None:
            return f"({text.strip()})"
        return text

    def convert_details(self, el, text, parent_tags):  # type: ignore[no-untyped-def]
        summary = el.find("summary")
        label = summary.get_text(" ", strip=True) if summary is not None else "Details"
        label = label.replace("<", "&lt;")
        return f'\n\n<details markdown="1">\n<summary>{label}</summary>\n\n{text.strip()}\n\n</details>\n\n'

    def convert_summary(self, el, text, parent_tags):  # type: ignore[no-untyped-def]
        return ""

    def convert_figcaption(self, el, text, parent_tags):  # type: ignore[no-untyped-def]
        text = text.strip()
        return f"\n\n*{text}*\n\n" if text else ""

    def convert_figure(self, el, text, parent_tags):  # type: ignore[no-untyped-def]
        return f"\n\n{text.strip()}\n\n"

    def _raw(self, el: Tag) -> str:
        return f"\n\n{el}\n\n"

    def convert_iframe(self, el, text, parent_tags):  # type: ignore[no-untyped-def]
        return self._raw(el)

    convert_embed = convert_iframe
    convert_object = convert_iframe
    convert_audio = convert_iframe

    def convert_video(self, el, text, parent_tags):  # type: ignore[no-untyped-def]
        return self._raw(el)

    def convert_script(self, el, text, parent_tags):  # type: ignore[no-untyped-def]
        return self._raw(el) if el.get("src") else ""

    def convert_table(self, el, text, parent_tags):  # type: ignore[no-untyped-def]
        """GFM when the table has one: a header row (``<thead>``, or a first row of ``<th>``) or none (an
        empty header row is written, which kramdown and GFM read), and no header cells elsewhere, merged rows
        or blocks and embeds in cells. Otherwise the table stays HTML, cleaned."""
        shape, width = _table_layout(el)
        if shape == "html":
            return self._raw(_clean_table(el))
        lines = [line for line in text.strip("\n").split("\n") if line.strip()]
        body = [line for line in lines if line.startswith("|")]
        caption = "\n".join(line for line in lines if not line.startswith("|"))
        if not body:
            return f"\n\n{caption}\n\n" if caption else ""
        sep = "| " + " | ".join(["---"] * width) + " |"
        if shape == "header":
            table = [body[0], sep, *body[1:]]
        else:
            table = ["| " + " | ".join([""] * width) + " |", sep, *body]
        out = "\n".join(table)
        return f"\n\n{caption}\n\n{out}\n\n" if caption else f"\n\n{out}\n\n"

    def convert_tr(self, el, text, parent_tags):  # type: ignore[no-untyped-def]
        return "|" + text + "\n" if _cells(el) else ""

    def convert_caption(self, el, text, parent_tags):  # type: ignore[no-untyped-def]
        return "\n" + " ".join(text.split()) + "\n"

    def convert_a(self, el, text, parent_tags):  # type: ignore[no-untyped-def]
        href = el.get("href") or ""
        if href:
            el["href"] = _url(href)
        if el.get("title"):
            el["title"] = str(el["title"]).replace("|", "&#124;")
        if not text.strip() and not _first_named(el, "img"):
            return text
        text = _spaced(text)
        if not _is_inline_content(_content_sibling(el, -1)):  # no space kept at the start of a line
            text = text.lstrip()
        if not _is_inline_content(_content_sibling(el, 1)):
            text = text.rstrip()
        return super().convert_a(el, text, parent_tags)

    def convert_img(self, el, text, parent_tags):  # type: ignore[no-untyped-def]
        src = el.get("src") or ""
        alt = " ".join((el.get("alt") or "").split())
        if not src:  # no picture to show: its words still are
            return self.escape(alt, parent_tags) if alt else ""
        alt = alt.replace("[", r"\[").replace("]", r"\]").replace("|", r"\|")
        return f"![{alt}]({_url(src)}{_title(el.get('title') or '')})"


_NOT_IN_GFM_CELLS = frozenset(_BLOCKS_IN_CELLS) | set(RAW_HTML_TAGS) | {"script"}


def _cells(tr: Tag) -> list[Tag]:
    return [c for c in tr.children if isinstance(c, Tag) and c.name in ("td", "th")]


def _table_layout(el: Tag) -> tuple[str, int]:
    """How a table is written, and its width in columns: "header" (GFM, its first row the header), "plain"
    (no header row: GFM under an empty one), or "html" (what GFM cannot say: merged rows, blocks or embeds
    in cells, header cells outside the first row, a header and nothing else). One walk of the table."""
    rows: list[Tag] = []
    for node in el.descendants:
        if not isinstance(node, Tag):
            continue
        if node.name in _NOT_IN_GFM_CELLS:
            return "html", 0
        if node.name in ("td", "th") and (node.get("rowspan") or "1") not in ("1", ""):
            return "html", 0
        if node.name == "tr" and _cells(node):
            rows.append(node)
    if not rows:
        return "html", 0
    first = _cells(rows[0])
    header = (rows[0].parent is not None and rows[0].parent.name == "thead") or all(c.name == "th" for c in first)
    if any(c.name == "th" for tr in rows[1 if header else 0 :] for c in _cells(tr)):
        return "html", 0  # row headers: GFM has none
    if header and len(rows) == 1:
        return "html", 0  # a header alone is no GFM table
    width = 0
    for tr in rows:
        spans = [str(c.get("colspan") or "1") for c in _cells(tr)]
        width = max(width, sum(max(1, min(1000, int(n))) if n.isdigit() else 1 for n in spans))
    return ("header" if header else "plain"), width


def _clean_table(el: Tag) -> Tag:
    for node in [el, *all_tags(el)]:
        for attr in list(node.attrs):
            if attr not in ("colspan", "rowspan", "href", "src", "alt", "title", "scope"):
                del node[attr]
    return el


_FENCE = re.compile(r"^(?:\s*>)*\s*(`{3,}|~{3,})")
_LINE_COLON = re.compile(r"^((?:\s*>)*\s*):(?=[ \t])")  # kramdown: a definition (after any line of text)
_LINE_RULE = re.compile(r"^((?:\s*>)*\s*)(=+|-+)[ \t]*$")  # after a line of text: a setext heading
_RAW_BLOCK = re.compile(r"^\s*</?(?:table|iframe|embed|object|video|audio|script|details|summary)\b")  # _raw()
# what every rule of _escape_line_starts needs first, after any quote markers and spaces
_MAYBE_MARKUP = re.compile(r"[\s>]*[:^=\-`~<]")
_LINE_EOB = re.compile(r"^((?:\s*>)*\s*)\^(\s*)$")  # kramdown's end-of-block marker (the caret is dropped)


def _escape_line_starts(text: str) -> str:
    """What a line of text may only start with when it is markup: ``: `` (a kramdown definition list),
    ``===``/``---`` under a line (a setext heading), a lone ``^`` (kramdown's end of block). Text that
    starts a line that way (after a ``<br>``, say) is escaped; code blocks and raw HTML are left alone."""
    out: list[str] = []
    fence = ""
    html = False
    prev = ""
    for line in text.split("\n"):
        if not fence and _MAYBE_MARKUP.match(line) is None:  # none of the rules below can match this line
            if not line.strip():
                html = False
            out.append(line)
            prev = line
            continue
        m = _FENCE.match(line)
        if fence:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = ""
        elif m:
            fence = m.group(1)
        elif not line.strip():
            html = False
        elif html or (not prev.strip() and _RAW_BLOCK.match(line)):
            html = True
        else:
            line = _LINE_COLON.sub(r"\1\\:", line)
            line = _LINE_EOB.sub(r"\1&#94;\2", line)
            if prev.strip() and not prev.lstrip().startswith("|"):
                line = _LINE_RULE.sub(lambda r: r.group(1) + "".join("\\" + c for c in r.group(2)), line)
        out.append(line)
        prev = line
    return "\n".join(out)


_TRAILING_WS = re.compile(r"[ \t]+\n")
_BREAK_ENDS_BLOCK = re.compile(r"  \n(?=\n|$)")
_BLANK_RUN = re.compile(r"\n{3,}")


def _finish(text: str) -> str:
    """(Each substitution only runs when what it replaces is there.)"""
    if MORE_TOKEN in text:
        text = text.replace(MORE_TOKEN, f"\n\n{EXCERPT_SEPARATOR}\n\n")
    if " \n" in text or "\t\n" in text:
        text = _TRAILING_WS.sub(lambda m: "  \n" if m.group(0).startswith("  ") else "\n", text)
    if "  \n" in text:
        text = _BREAK_ENDS_BLOCK.sub("\n", text)  # a hard break that ends a block is noise
    if "\n\n\n" in text:
        text = _BLANK_RUN.sub("\n\n", text)
    text = _escape_line_starts(text).replace(DD_TOKEN, ":")
    return text.strip() + "\n"


MAX_DEPTH = 200


def _flatten_deep(body: Tag) -> None:
    """Unwrap elements nested deeper than MAX_DEPTH (malformed or hostile HTML): the text stays."""

    def depth(el: Tag) -> int:
        n = 0
        while el.parent is not None:
            n += 1
            el = el.parent
        return n

    for el in all_tags(body):
        if el.parent is not None and depth(el) > MAX_DEPTH and el.name not in ("pre", "code", "table"):
            el.unwrap()


def html_to_markdown(
    html: str | BeautifulSoup,
    asset_map: Mapping[str, str] | None = None,
    base: str | None = None,
    links: Callable[[str], str | None] | None = None,
) -> str:
    """Convert one post body to Markdown with local image paths and internal links, Liquid-safe."""
    soup = prepare(html, asset_map, base, links)
    body = body_of(soup)
    if body is None:
        return "\n"
    try:
        md = JekyllConverter().convert_soup(body)
    except RecursionError:
        _flatten_deep(body)
        md = JekyllConverter().convert_soup(body)
    return escape_liquid(_finish(md))


def html_to_clean_html(
    html: str | BeautifulSoup,
    asset_map: Mapping[str, str] | None = None,
    base: str | None = None,
    links: Callable[[str], str | None] | None = None,
) -> str:
    """Keep the post as HTML, cleaned the same way, Liquid-safe: the old skin's inline styles, classes and
    data-* attributes go (the new theme styles the post), and attributes the sanitiser would not keep;
    alignment, sizes of embeds and images stay."""
    from migrator.sanitize import keeps_attribute

    soup = prepare(html, asset_map, base, links)
    body = body_of(soup)
    for br in body.find_all("br", attrs={"data-run": True}) if body else []:
        del br["data-run"]
        br.insert_after(soup.new_tag("br"))
    for pre in body.find_all("pre") if body else []:
        lang = code_language(pre)
        pre.attrs = {"class": f"language-{lang}"} if lang else {}
    for el in body.find_all(True) if body else []:
        embed = el.name in RAW_HTML_TAGS or el.name == "script"
        for attr in list(el.attrs):
            if attr == "style":
                align = re.search(r"text-align:\s*(left|right|center|justify)", str(el[attr]), re.I)
                if align and not embed:
                    el[attr] = f"text-align: {align.group(1).lower()};"
                elif not embed:
                    del el[attr]
            elif attr == "class" and not embed and el.name != "pre":
                del el[attr]
            elif attr.startswith("data-") and not embed and attr != "data-lang":
                del el[attr]
            elif attr in ("border", "dir") and el.name != "bdo":
                del el[attr]
            elif not keeps_attribute(el.name, attr):  # what no HTML page uses (an editor's own markers)
                del el[attr]
    out = body.decode_contents() if body is not None else ""
    out = out.replace(MORE_TOKEN, f"\n{EXCERPT_SEPARATOR}\n")
    return escape_liquid(out.strip() + "\n")


_BLOCK_TAGS = (
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "blockquote",
    "tr",
    "td",
    "th",
    "figure",
    "section",
    "article",
    "dd",
    "dt",
    "ul",
    "ol",
    "table",
    "br",
    "hr",
)


_BLOCK_FOR_TEXT = (
    "p",
    "li",
    "div",
    "blockquote",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "figure",
    "section",
    "aside",
    "table",
    "dl",
    "pre",
)


_TEXT_BLOCKS = frozenset(_BLOCK_TAGS)
_TEXT_DROP = frozenset(["pre", "script", "figcaption", "iframe", "table"])
_TEXT_DROP_HEADINGS = _TEXT_DROP | {"h1", "h2", "h3", "h4", "h5", "h6"}


def _visible_text(body: Tag, drop: frozenset[str]) -> str:
    """``body.get_text("")`` with the elements in ``drop`` left out and a space on each side of every block:
    one walk, the tree unchanged. Only the string types ``get_text`` reads (not comments, nor the text of
    scripts, styles, templates and ruby annotations, which the parser typed apart)."""
    parts: list[str] = []
    stack: list[object] = list(reversed(body.contents))
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is NavigableString or kind is CData or kind is str:  # str: the space after a block
            parts.append(node)  # type: ignore[arg-type]
        elif kind is Tag or isinstance(node, Tag):
            name = node.name  # type: ignore[attr-defined]
            if name in drop:
                continue
            if name in _TEXT_BLOCKS:
                parts.append(" ")
                stack.append(" ")
            stack.extend(reversed(node.contents))  # type: ignore[attr-defined]
    return "".join(parts)


def apply_clean_rules(soup: BeautifulSoup, rules: tuple[str, ...]) -> list[str]:
    """Drop what ``clean.remove`` names from a parsed post, in place: CSS selectors, or ``text:<regex>`` for the
    smallest block whose text matches. Returns the rules that removed something."""
    body = body_of(soup)
    if body is None or not rules:
        return []
    touched = []
    for rule in rules:
        hit = False
        if rule.startswith("text:"):
            rx = re.compile(rule[5:])
            for text in list(body.find_all(string=True)):
                if text.parent is None or not rx.search(str(text)):
                    continue
                block = text.find_parent(_BLOCK_FOR_TEXT)
                if block is not None and block is not body:
                    block.decompose()
                else:
                    text.extract()
                hit = True
        else:
            for el in body.select(rule):
                el.decompose()
                hit = True
        if hit:
            touched.append(rule)
    return touched


def plain_text(
    html: str | BeautifulSoup, *, stop_at_more: bool = True, skip_headings: bool = True, prepared: bool = False
) -> str:
    """The visible text of a post body, blocks separated by spaces (for excerpts and comparisons).
    ``prepared``: ``html`` is a soup that ``prepare`` (and a conversion) already went through; it is spent."""
    soup = html if prepared and not isinstance(html, str) else prepare(html)
    body = body_of(soup)
    if body is None:
        return ""
    text = _visible_text(body, _TEXT_DROP_HEADINGS if skip_headings else _TEXT_DROP)
    if stop_at_more and MORE_TOKEN in text:
        text = text.split(MORE_TOKEN, 1)[0]
    return " ".join(text.replace(MORE_TOKEN, " ").split())


def plain_excerpt(html: str | BeautifulSoup, length: int, summary: str | None = None, *, prepared: bool = False) -> str:
    """Plain text for the ``excerpt`` field: the platform's description, else the post's opening text."""
    if length <= 0:
        return ""
    if summary and summary.strip():
        text = " ".join(BeautifulSoup(summary, "lxml").get_text(" ").split())
    else:
        text = plain_text(html, prepared=prepared)
    if len(text) <= length:
        return text
    cut = text[: length - 1]
    if " " in cut[length // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:") + "…"
