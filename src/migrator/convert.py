"""HTML -> Markdown (or cleaned HTML) for Jekyll. Pure: no I/O, no platform knowledge.

``prepare`` does the structural clean-up both formats share (image relinking, the "more" break, caption
tables, spacer paragraphs, ``<br>`` runs); the :class:`JekyllConverter` hooks (markdownify's
``convert_<tag>``) do the rest; ``escape_liquid`` makes the result safe for Liquid, prose and code alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from markdownify import ATX, MarkdownConverter

MORE_TOKEN = "MIGRATORMOREBREAK7F3A"
EXCERPT_SEPARATOR = "<!--more-->"
RAW_HTML_TAGS = ("iframe", "embed", "object", "video", "audio")
_BLOCKS_IN_CELLS = ("ul", "ol", "pre", "table", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "dl")
_EMPTY_OK = ("img", "iframe", "embed", "object", "video", "audio", "hr", "svg", "canvas", "input", "picture")


def _brace_escape(line: str) -> str:
    return re.sub(r"\{(?=[{%])", '{{ "{" }}', line)


def escape_liquid(text: str) -> str:
    """Make ``{{`` and ``{%`` print literally under Liquid (Jekyll 3.10 and 4.x), in prose and code alike.

    A line that holds Liquid-looking text is wrapped in ``{% raw %}...{% endraw %}`` (readable, and a line
    is never split by the excerpt separator). A line that itself mentions ``endraw`` cannot be wrapped, so
    each ``{`` that starts a delimiter there becomes the expression ``{{ "{" }}``, which prints one brace.
    """
    out = []
    for line in text.split("\n"):
        if "{{" in line or "{%" in line:
            line = _brace_escape(line) if "endraw" in line else "{% raw %}" + line + "{% endraw %}"
        out.append(line)
    return "\n".join(out)


def code_language(el: Tag) -> str:
    """The language of a code block from the usual markers: ``prettyprint lang-x``, ``brush: x``,
    ``language-x``, ``data-ke-language``, ``data-lang``."""
    for node in [el, *el.find_all("code", limit=1)]:
        for attr in ("data-ke-language", "data-lang", "data-language"):
            if node.get(attr):
                return _lang(str(node.get(attr)))
        cls = node.get("class") or []
        cls_text = " ".join(cls) if isinstance(cls, list) else str(cls)
        m = re.search(r"brush:\s*([\w+#.-]+)", cls_text)
        if m:
            return _lang(m.group(1))
        for c in cls_text.split():
            m = re.match(r"^(?:lang|language|highlight-source|sourceCode)[-_:]([\w+#.-]+)$", c)
            if m:
                return _lang(m.group(1))
    return ""


def _lang(value: str) -> str:
    value = value.strip().strip(";").lower()
    aliases = {
        "js": "javascript",
        "py": "python",
        "c++": "cpp",
        "c#": "csharp",
        "sh": "bash",
        "none": "",
        "undefined": "",
    }
    value = aliases.get(value, value)
    return re.sub(r"[^\w+#.-]", "", value)


_JS_URL = re.compile(r"^\s*(?:javascript|vbscript):", re.IGNORECASE)
_INLINE = frozenset({"b", "strong", "i", "em", "u", "span", "font"})
_BLANKABLE = frozenset({"p", "div", "span"})


def _blank_flags(tags: list[Tag]) -> dict[int, bool]:
    """For every tag, whether it holds no visible text and no media (computed bottom-up, in one pass)."""
    content: dict[int, bool] = {}
    for el in reversed(tags):
        has = el.name in _EMPTY_OK
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


def parse(html: str) -> BeautifulSoup:
    """A post body as a soup (the one parse a post gets in a run); ``body`` is the post."""
    return BeautifulSoup(f"<html><body>{html}</body></html>", "lxml")


def _as_soup(html: str | BeautifulSoup) -> BeautifulSoup:
    return parse(html) if isinstance(html, str) else html


def prepare(
    html: str | BeautifulSoup,
    asset_map: Mapping[str, str] | None = None,
    base: str | None = None,
    links: Callable[[str], str | None] | None = None,
) -> BeautifulSoup:
    """Do the clean-up both output formats share, on ``html`` (a string, or a soup from ``parse``, which is
    changed in place). Returns the soup; its ``body`` is the post.

    One traversal collects the tags; each step below works on that list (a removed tag has no parent)."""
    from migrator.assets import absolute_url, srcset_urls  # pure helpers

    soup = _as_soup(html)
    body = soup.body
    assert body is not None
    amap = asset_map or {}

    def local(url: str | None) -> str | None:
        if not url:
            return None
        absolute = absolute_url(url, base)
        return amap.get(absolute) if absolute else None

    tags: list[Tag] = []
    comments: list[Comment] = []
    for node in body.descendants:
        if isinstance(node, Tag):
            tags.append(node)
        elif isinstance(node, Comment):
            comments.append(node)
    for c in comments:
        if c.strip().lower() == "more":
            c.replace_with(NavigableString(MORE_TOKEN))
        else:
            c.extract()

    def alive(el: Tag) -> bool:
        return el.parent is not None

    for el in tags:
        if not alive(el):
            continue
        name = el.name
        if name in ("style", "noscript", "template") or (name == "script" and not el.get("src")):
            el.decompose()
            continue
        if name == "a" and el.get("name") == "more":
            el.replace_with(NavigableString(MORE_TOKEN))
            continue
        # nothing in a post may run code on the new site: no javascript: links, no event handlers
        for attr in [a for a in el.attrs if a[:2].lower() == "on"]:
            del el[attr]
        for attr in ("href", "src", "action", "formaction"):
            value = el.get(attr)
            if isinstance(value, str) and _JS_URL.match(value):
                del el[attr]
        if name == "img":  # relink images (src, srcset)
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
        elif name == "a":  # links to the full-size image, and to the blog's own posts
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

    # Blogger caption tables -> <figure> with <figcaption>
    for table in [
        t for t in tags if t.name == "table" and alive(t) and "tr-caption-container" in (t.get("class") or [])
    ]:
        img = table.find("img")
        if img is None:
            continue
        cap = table.find(class_="tr-caption")
        fig = soup.new_tag("figure")
        parent_a = img.find_parent("a")
        media = parent_a if parent_a is not None and parent_a in table.descendants else img
        fig.append(media.extract())
        if cap is not None and cap.get_text(strip=True):
            fc = soup.new_tag("figcaption")
            for child in list(cap.contents):
                fc.append(child.extract())
            fig.append(fc)
        table.replace_with(fig)

    in_pre: set[int] = set()
    for pre in (t for t in tags if t.name == "pre" and alive(t)):
        in_pre.update(id(d) for d in pre.descendants)
    brs = [t for t in tags if t.name == "br" and alive(t)]

    # a <br> that ends bold/italic text belongs after it (else the break is lost in the emphasis)
    for br in brs:
        parent = br.parent
        while parent is not None and parent.name in _INLINE and br is parent.contents[-1]:
            parent.insert_after(br.extract())
            parent = br.parent

    # <br><br> runs are paragraph breaks
    for br in brs:
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

    # spacer paragraphs (&nbsp;, <br> only) carry nothing
    live = [t for t in tags if alive(t)]
    blank = _blank_flags(live)
    for el in live:
        if el.name in _BLANKABLE and el.parent is not None and blank.get(id(el)) and id(el) not in in_pre:
            el.decompose()
    return soup


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

    def escape(self, text: str, parent_tags: set[str]) -> str:  # type: ignore[override]
        if not text:
            return text
        text = re.sub(r"\\(?=[\\`*_{}\[\]()#+\-.!:|\"'$<>=~])", r"\\\\", text)
        text = super().escape(text, parent_tags)
        text = re.sub(r"&(?=#?\w+;)", "&amp;", text)
        text = re.sub(r"<(?=[A-Za-z/!?])", "&lt;", text)
        text = text.replace("`", r"\`").replace("[", r"\[").replace("]", r"\]").replace("|", r"\|")
        text = text.replace("$$", r"\$\$").replace("{:", r"\{:")
        text = re.sub(r"^(\s*)([#>+=-])(?=\s|$)", r"\1\\\2", text)
        text = re.sub(r"^(\s*\d+)([.)])(?=\s|$)", r"\1\\\2", text)
        return text

    def convert_br(self, el, text, parent_tags):  # type: ignore[no-untyped-def]
        if "pre" in parent_tags or "_noformat" in parent_tags:
            return "\n"
        if "_inline" in parent_tags and el.find_parent(["td", "th"]) is not None:
            return "<br>"
        if el.get("data-run") and "_inline" not in parent_tags:
            return "\n\n"
        return super().convert_br(el, text, parent_tags)

    def convert_pre(self, el, text, parent_tags):  # type: ignore[no-untyped-def]
        if not text.strip("\n"):
            return ""
        lang = code_language(el)
        text = text.strip("\n")
        longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
        fence = "`" * max(3, longest + 1)
        return f"\n\n{fence}{lang}\n{text}\n{fence}\n\n"

    def convert_ol(self, el, text, parent_tags):  # type: ignore[no-untyped-def]
        out = super().convert_ol(el, text, parent_tags)
        start = str(el.get("start") or "1").strip()
        if start.isdigit() and int(start) != 1 and "li" not in parent_tags:
            return out.rstrip("\n") + f'\n{{: start="{int(start)}"}}\n\n'  # kramdown ignores the first number
        return out

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
        complex_table = el.find(_BLOCKS_IN_CELLS) is not None or any(
            (c.get("rowspan") or "1") not in ("1", "") for c in el.find_all(["td", "th"])
        )
        if complex_table:
            return self._raw(_clean_table(el))
        return super().convert_table(el, text, parent_tags)

    def convert_a(self, el, text, parent_tags):  # type: ignore[no-untyped-def]
        href = el.get("href") or ""
        if href and re.search(r"[\s()<>]", href):
            el["href"] = "<" + href.replace(" ", "%20").replace("<", "%3C").replace(">", "%3E") + ">"
        if not text.strip() and not el.find("img"):
            return text
        return super().convert_a(el, text, parent_tags)

    def convert_img(self, el, text, parent_tags):  # type: ignore[no-untyped-def]
        src = el.get("src") or ""
        if not src:
            return ""
        alt = (el.get("alt") or "").replace("[", r"\[").replace("]", r"\]")
        alt = " ".join(alt.split())
        if re.search(r"[\s()<>]", src):
            src = "<" + src.replace(" ", "%20").replace("<", "%3C").replace(">", "%3E") + ">"
        title = el.get("title") or ""
        title_part = ' "' + title.replace('"', r"\"") + '"' if title else ""
        return f"![{alt}]({src}{title_part})"


def _clean_table(el: Tag) -> Tag:
    for node in [el, *el.find_all(True)]:
        for attr in list(node.attrs):
            if attr not in ("colspan", "rowspan", "href", "src", "alt", "title", "scope"):
                del node[attr]
    return el


def _finish(text: str) -> str:
    text = text.replace(MORE_TOKEN, f"\n\n{EXCERPT_SEPARATOR}\n\n")
    text = re.sub(r"[ \t]+\n", lambda m: "  \n" if m.group(0).startswith("  ") else "\n", text)
    text = re.sub(r"  \n(?=\n|$)", "\n", text)  # a hard break that ends a block is noise
    text = re.sub(r"\n{3,}", "\n\n", text)
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

    for el in list(body.find_all(True)):
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
    body = soup.body
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
    data-* attributes go (the new theme styles the post); alignment, sizes of embeds and images stay."""
    soup = prepare(html, asset_map, base, links)
    body = soup.body
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
            elif attr in ("imageanchor", "border", "trbidi", "dir") and el.name != "bdo":
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


def apply_clean_rules(soup: BeautifulSoup, rules: tuple[str, ...]) -> list[str]:
    """Drop what ``clean.remove`` names from a parsed post, in place: CSS selectors, or ``text:<regex>`` for the
    smallest block whose text matches. Returns the rules that removed something."""
    body = soup.body
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
    body = soup.body
    if body is None:
        return ""
    drop = ["pre", "script", "figcaption", "iframe", "table"] + (
        ["h1", "h2", "h3", "h4", "h5", "h6"] if skip_headings else []
    )
    for el in body.find_all(drop):
        el.decompose()
    for el in body.find_all(_BLOCK_TAGS):
        el.insert_after(NavigableString(" "))
        el.insert_before(NavigableString(" "))
    text = body.get_text("")
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
