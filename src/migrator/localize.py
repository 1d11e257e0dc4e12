"""``migrator localize``: repair a Jekyll site that was already migrated (by another tool, or by hand).

Such sites still hot-link their images to the old platform (jekyll-import leaves every Blogger image remote;
Tistory's signed ``/dna/`` URLs expire every month). This module finds every platform image a site shows --
in front matter (``image``, ``header.teaser``, ``feature_image``, ``image.path``...), Markdown images and the
links around them, ``<img src/srcset>``, ``<a href>`` around images, ``data-*`` copies and CSS ``url()`` in
inline styles -- fetches its original with the migration's own rules (the sources' helpers, through
:func:`platform_original`), stores it with :class:`~migrator.assets.AssetStore` like a migration would, and
rewrites the reference **in place**: an edit is a replacement of the URL's own characters in the file, so
front matter formatting (folded scalars, quotes, key order, comments) and the rest of the body stay byte for
byte. ``--clean`` also removes the editor leftovers (``data-ke-*`` attributes, ``&nbsp;`` spacer paragraphs,
the inline styles of Blogger's ``separator`` wrappers), each counted, and the loss guard's word counts must
be equal before and after, or the edit is not made.

The manifest (``.migrator/manifest.json``) records each file it changed as a ``kind: localized`` post record
(keyed ``localized:<path>``), and each image as a migration does, so a second run fetches nothing new, an
image that failed is retried, and a file edited since is a conflict, as in a resync. A file a migration of
migrator wrote keeps its own record (its ``output_sha256`` follows the edit, so a resync still sees it as
written by migrator).
"""

from __future__ import annotations

import bisect
import html
import os
import re
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from migrator import guard, jekyll
from migrator.assets import (
    IMAGE_EXTS,
    AssetStore,
    ImageRef,
    absolute_url,
    image_key,
    looks_like_image_url,
    name_stem,
    other_scheme,
    unique_path,
)
from migrator.config import Config, normalize_origin
from migrator.errors import FetchError, OutputError, UsageError
from migrator.http import HttpClient
from migrator.manifest import Manifest, SiteLock
from migrator.models import AssetRecord, PostRecord
from migrator.report import Report, ReportItem
from migrator.sinks import FileSink, check_dirs, sha256_text, unified_diff

KIND = "localized"  # the manifest's post-record kind for a file this command changed
RECORD_PREFIX = "localized:"  # ... and the prefix of its key (the file's path follows)
MAX_DIFF_CHARS = 200_000

# front matter keys that hold a post's image in the common themes (Minimal Mistakes, Chirpy, Alembic,
# jekyll-seo-tag, Jekyll Now...); a platform image under any other key is localized too, but with
# --all-hosts a URL on another host is localized only under these and the config's keys
FRONT_MATTER_KEYS = (
    "image",
    "image.path",
    "header.image",
    "header.teaser",
    "header.overlay_image",
    "header.og_image",
    "feature_image",
    "og_image",
    "thumbnail",
    "cover",
    "cover_image",
    "teaser",
    "gallery[].url",
    "gallery[].image_path",
)
MARKDOWN_EXTS = ("md", "markdown", "mkdown", "mkdn", "mkd", "mdown")
HTML_EXTS = ("html", "htm")
# what Jekyll leaves out of a site by default (besides names starting with . _ # ~)
JEKYLL_EXCLUDES = (
    ".sass-cache",
    ".jekyll-cache",
    "gemfiles",
    "Gemfile",
    "Gemfile.lock",
    "node_modules",
    "vendor/bundle",
    "vendor/cache",
    "vendor/gems",
    "vendor/ruby",
)
# the path prefixes of Tistory/Kakao image URLs, for a host named with --image-host (a mirror, a test
# server): such a host plays Tistory's CDN for these, and Blogger's for every other path
_TISTORY_PATHS = ("/dn/", "/dna/", "/thumb/", "/cfile/", "/image/", "/original/", "/attach/")
CLEANUPS = {
    "data-ke": "data-ke-* attributes",
    "spacer": "&nbsp; spacer paragraphs",
    "separator": "separator inline styles",
}


# --- the one adapter to the platforms' image rules ---------------------------------------------------------


@dataclass(frozen=True)
class PlatformImage:
    """What the platform rules say about one image URL."""

    platform: str  # "blogger", "tistory", or "remote" (another host, localized with --all-hosts)
    original: str  # the URL of the original-size file
    key: str  # its identity in the manifest's assets (a re-signed Tistory URL keeps its key)
    headers: Mapping[str, str] = field(default_factory=dict)  # what its download needs (Tistory: a Referer)

    @property
    def signed(self) -> bool:
        """A Tistory ``/dna/`` URL signed for a month (``expires=``, ``signature=``)."""
        return self.platform == "tistory" and "signature=" in urlsplit(self.original).query


class _NoHttp:
    """Stands in for the HTTP client where the rules are asked without one (pure use, tests)."""

    def set_host_delay(self, netloc: str, delay: float) -> None:
        pass


class PlatformRules:
    """The platforms' image rules, asked through the sources' own hooks (``is_platform_image``,
    ``original_image_url``, ``asset_key``, ``asset_headers``): localize knows no platform itself."""

    def __init__(self, cfg: Config, http: HttpClient | None = None, image_hosts: tuple[str, ...] = ()) -> None:
        from migrator.sources import blogger

        self.cfg = cfg
        self.http = http
        self.image_hosts = tuple(h.lower() for h in image_hosts) + tuple(cfg.blogger.extra_image_hosts)
        hosts = tuple(dict.fromkeys((*cfg.blogger.extra_image_hosts, *image_hosts)))
        self._blogger = blogger.BloggerSource(replace(cfg, blogger=replace(cfg.blogger, extra_image_hosts=hosts)))
        self._tistory: dict[str, Any] = {}

    def tistory(self, origin: str) -> Any:
        """The Tistory source for a blog (its asset key and headers), made without any request."""
        from migrator.sources.tistory import TistorySource

        src = self._tistory.get(origin)
        if src is None:
            src = self._tistory[origin] = TistorySource(origin, self.cfg, self.http or _NoHttp())  # type: ignore[arg-type]
        return src

    def original(self, url: str, blog: str | None = None) -> PlatformImage | None:
        return platform_original(url, self, blog)

    def image_name(self, url: str) -> str:
        """The file name an image URL stands for, as its platform names it (Blogger's ``=s0`` is not part)."""
        from migrator.assets import url_name

        return self._blogger.image_name(url) if self._blogger.is_platform_image(url) else url_name(url)


def platform_original(url: str, rules: PlatformRules, blog: str | None = None) -> PlatformImage | None:
    """The original-size URL, stable key and download headers of a platform image, or None when ``url`` is
    not on a Blogger or Tistory image host. ``blog`` is the post's blog (for Tistory's Referer).

    Today this asks the two platform modules directly; once the source registry of issue 15 lands, it is a
    loop over ``sources.SOURCES``, asking each source class for its image-host rules."""
    from migrator.sources import blogger, tistory
    from migrator.sources.blogger import host_matches

    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host or parts.scheme.lower() not in ("http", "https"):
        return None
    extra = host_matches(host, rules.image_hosts)
    probe = rules.tistory("https://www.tistory.com")
    if probe.is_platform_image(url) or (extra and parts.path.startswith(_TISTORY_PATHS)):
        original = tistory.original_image_url(url)
        headers = rules.tistory(blog).asset_headers(original) if blog else {}
        return PlatformImage("tistory", original, probe.asset_key(original), headers)
    if rules._blogger.is_platform_image(url):
        original = blogger.original_image_url(url)
        return PlatformImage("blogger", original, rules._blogger.asset_key(original), rules._blogger.asset_headers(url))
    return None


def expires_at(url: str) -> int | None:
    """The ``expires=`` of a signed URL (Unix time), or None."""
    value = parse_qs(urlsplit(url).query).get("expires", [""])[0]
    return int(value) if value.isdigit() else None


# --- text: where each URL is written ------------------------------------------------------------------------

_ENTITY = re.compile(r"&(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[A-Za-z][A-Za-z0-9]*;?)")
_MD_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def decode_with_map(raw: str, *, backslash: bool = False) -> tuple[str, list[int], list[int]]:
    """``raw`` with HTML character references (and, for Markdown, backslash escapes) decoded, and for each
    decoded character the start and end of the raw text it came from: a URL found in the decoded value is
    replaced in the raw text exactly."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(raw)
    while i < n:
        c = raw[i]
        if c == "&":
            m = _ENTITY.match(raw, i)
            if m:
                decoded = html.unescape(m.group(0))
                if decoded != m.group(0):
                    for ch in decoded:
                        out.append(ch)
                        starts.append(i)
                        ends.append(m.end())
                    i = m.end()
                    continue
        elif backslash and c == "\\" and i + 1 < n and raw[i + 1] in _MD_PUNCT:
            out.append(raw[i + 1])
            starts.append(i)
            ends.append(i + 2)
            i += 2
            continue
        out.append(c)
        starts.append(i)
        ends.append(i + 1)
        i += 1
    return "".join(out), starts, ends


class Ranges:
    """Sorted, merged character ranges (code, comments) with a fast ``pos in ranges``."""

    def __init__(self, spans: Iterable[tuple[int, int]] = ()) -> None:
        merged: list[list[int]] = []
        for a, b in sorted(spans):
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        self.starts = [a for a, _ in merged]
        self.ends = [b for _, b in merged]

    def __contains__(self, pos: object) -> bool:
        assert isinstance(pos, int)
        i = bisect.bisect_right(self.starts, pos) - 1
        return i >= 0 and pos < self.ends[i]


@dataclass(frozen=True)
class Found:
    """One remote URL a file shows an image with (or links an image to), and where its text is."""

    start: int  # the URL's characters in the file
    end: int
    url: str  # absolute, decoded
    where: str  # "<img src>", "Markdown image", "front matter header.teaser"...
    role: str  # "image" (shown), "link" (an href or link target), "front" (a front matter value)
    key: str = ""  # front matter: the dotted key
    hint: str | None = None  # the platform's file name (data-filename)
    inner: tuple[str, ...] = ()  # links: the images inside them


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    text: str
    kind: str  # "url", or a cleanup: "data-ke", "spacer", "separator"


@dataclass
class Scan:
    """What one file holds: its front matter (parsed), the remote URLs in it, the clean-ups it allows."""

    text: str
    markdown: bool
    body_start: int = 0
    fm_span: tuple[int, int] | None = None  # the front matter's YAML text
    fm: dict = field(default_factory=dict)
    found: list[Found] = field(default_factory=list)
    cleanups: list[Edit] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    anchors: list[tuple[int, int, list[int]]] = field(default_factory=list)  # <a>: (inside from, to, its finds)


_FM_OPEN = re.compile(r"\A\ufeff?---[ \t]*\r?\n")
_FM_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*(?:\r?\n|\r?\Z)", re.M)


def split_front_matter(text: str) -> tuple[tuple[int, int], int] | None:
    """((start, end) of the YAML text, start of the body), as Jekyll reads front matter; None without."""
    m = _FM_OPEN.match(text)
    if not m:
        return None
    close = _FM_CLOSE.search(text, m.end())
    if not close:
        return None
    return (m.end(), close.start()), close.end()


def _yaml_scalars(node: Any, path: str, seen: set[int]) -> Iterable[tuple[str, Any]]:
    """Every scalar node under ``node`` with its dotted key (``header.teaser``; ``gallery[].url``)."""
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            name = str(k.value) if isinstance(k, yaml.ScalarNode) else "?"
            yield from _yaml_scalars(v, f"{path}.{name}" if path else name, seen)
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            yield from _yaml_scalars(v, path + "[]", seen)
    elif isinstance(node, yaml.ScalarNode):
        yield path, node


def front_matter_scalars(fm_text: str) -> list[tuple[str, Any]] | None:
    """The scalars of a front matter, in order, with their source positions; None if it is not YAML."""
    try:
        root = yaml.compose(fm_text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    return list(_yaml_scalars(root, "", set())) if root is not None else []


_STR_TAG = "tag:yaml.org,2002:str"


def _scan_front_matter(scan: Scan) -> None:
    assert scan.fm_span is not None
    a, b = scan.fm_span
    fm_text = scan.text[a:b]
    scalars = front_matter_scalars(fm_text)
    if scalars is None:
        scan.warnings.append("the front matter is not valid YAML; only the body was read")
        return
    try:
        data = jekyll.load_yaml(fm_text)
    except yaml.YAMLError:
        data = None
    scan.fm = data if isinstance(data, dict) else {}
    for path, node in scalars:
        if node.tag != _STR_TAG:
            continue
        value = str(node.value).strip()
        if not value or any(c.isspace() for c in value) or not value.startswith(("http://", "https://", "//")):
            continue
        url = absolute_url(value, None)
        if not url:
            continue
        raw = fm_text[node.start_mark.index : node.end_mark.index]
        at = raw.find(value)
        if at < 0:
            scan.warnings.append(f"front matter {path}: the URL is written with escapes; left as it is")
            continue
        start = a + node.start_mark.index + at
        scan.found.append(Found(start, start + len(value), url, f"front matter {path}", "front", key=path))


# --- the body: code, comments, HTML tags, Markdown links ----------------------------------------------------

_LIQUID_CODE = re.compile(r"\{%-?\s*highlight\b.*?%\}.*?\{%-?\s*endhighlight\s*-?%\}", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_ATTRS = r"(?:\s+[^\s\"'>/=]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+))?)*"
_TAG = re.compile(
    r"<!--.*?-->"
    r"|<(?P<raw>script|style|textarea|xmp)\b" + _ATTRS + r"\s*/?>.*?</(?P=raw)\s*>"
    r"|<(?P<close>/)?(?P<name>[A-Za-z][\w:-]*)(?P<attrs>" + _ATTRS + r")\s*/?>",
    re.S | re.I,
)
_ATTR = re.compile(r"""(\s+)([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
_CSS_URL = re.compile(r"""url\(\s*(?P<q>["']?)(?P<u>[^"')]*?)(?P=q)\s*\)""", re.I)
_CONTAINERS = re.compile(
    r"<(/?)(div|table|figure|section|article|aside|blockquote|center|details|ul|ol|dl|form|fieldset|pre)\b[^>]*?(/?)>",
    re.I,
)
_BLANK = re.compile(r"\n[ \t]*\r?\n")
_NBSP = r"(?:&nbsp;|&#160;|&#[xX]0*[aA]0;|\u00a0)"
_SPACER = re.compile(r"<p\b" + _ATTRS + r"\s*>(?:\s|" + _NBSP + r")*</p\s*>", re.I)
_NBSP_RE = re.compile(_NBSP)
_MD_SPACER_LINE = re.compile(r"^[ \t]*" + _NBSP + r"(?:[ \t]|" + _NBSP + r")*\r?\n?", re.M)
# image-bearing attributes, by element; any data-* attribute whose value is one URL is read too
_IMAGE_ATTRS = {
    "img": ("src", "srcset"),
    "image": ("href", "xlink:href"),
    "source": ("srcset",),
    "video": ("poster",),
    "input": ("src",),
}
_BACKGROUND_TAGS = frozenset({"body", "table", "td", "th", "tr"})


def _html_containers(text: str, stack: list[bool]) -> None:
    """Follow the block containers an HTML fragment opens and closes: ``stack`` holds, per open one, whether
    its content is raw HTML to kramdown (true unless it says ``markdown="1"``)."""
    for m in _CONTAINERS.finditer(text):
        if m.group(3):
            continue
        if m.group(1):
            if stack:
                stack.pop()
        else:
            stack.append(re.search(r"""\bmarkdown\s*=\s*["']?(?:1|block|span)""", m.group(0)) is None)


def markdown_code(body: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(code, raw HTML) character ranges of a Markdown body. Code: fenced and indented blocks and inline code
    spans, shown as text. Raw HTML: HTML blocks and what an open block element holds, where kramdown (unlike
    CommonMark) reads no Markdown (``<div>![x](u)</div>`` shows that text); their tags are still tags."""
    from markdown_it import MarkdownIt

    line_starts = [0] + [m.end() for m in re.finditer(r"\n", body)]

    def offset(line: int) -> int:
        return line_starts[line] if line < len(line_starts) else len(body)

    code: list[tuple[int, int]] = []
    raw: list[tuple[int, int]] = []
    stack: list[bool] = []
    for tok in MarkdownIt("commonmark").parse(body):
        if tok.map is None:
            continue
        span = (offset(tok.map[0]), offset(tok.map[1]))
        inside = any(stack)
        if tok.type == "html_block":
            raw.append(span)
            _html_containers(tok.content, stack)
        elif inside:  # inside an open <div>: HTML to kramdown, indented or not
            raw.append(span)
            if tok.type in ("code_block", "fence"):
                _html_containers(tok.content, stack)
        elif tok.type in ("fence", "code_block"):
            code.append(span)
    code += _code_spans(body, Ranges(code))
    return code, raw


def _code_spans(body: str, blocks: Ranges) -> list[tuple[int, int]]:
    """Inline code spans: a run of backticks up to the next run of the same length in the same paragraph."""
    runs = [m for m in re.finditer(r"`+", body) if m.start() not in blocks]
    blanks = [m.start() for m in _BLANK.finditer(body)]
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(runs):
        r = runs[i]
        if r.start() > 0 and body[r.start() - 1] == "\\":
            i += 1
            continue
        nb = bisect.bisect_right(blanks, r.end())
        limit = blanks[nb] if nb < len(blanks) else len(body)
        j = i + 1
        while j < len(runs) and runs[j].start() < limit and len(runs[j].group()) != len(r.group()):
            j += 1
        if j < len(runs) and runs[j].start() < limit:
            out.append((r.start(), runs[j].end()))
            i = j + 1
        else:
            i += 1
    return out


def _srcset_spans(value: str) -> list[tuple[int, int]]:
    """(start, end) of each candidate URL in a decoded ``srcset`` value, read as the HTML standard does: a
    URL up to whitespace (a trailing comma ends the candidate), then descriptors up to a comma."""
    spans = []
    i, n = 0, len(value)
    while i < n:
        while i < n and (value[i].isspace() or value[i] == ","):
            i += 1
        start = i
        while i < n and not value[i].isspace():
            i += 1
        url_end = i
        while url_end > start and value[url_end - 1] == ",":
            url_end -= 1
        if url_end > start:
            spans.append((start, url_end))
        if url_end < i:  # the URL ended with a comma: no descriptors
            continue
        depth = 0
        while i < n:
            c = value[i]
            i += 1
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
            elif c == "," and depth <= 0:
                break
    return spans


def _url_spans(name: str, value: str) -> list[tuple[int, int]]:
    """Where the URLs are in a decoded attribute value: one URL, srcset candidates, or CSS url()s."""
    if name == "style":
        return [(m.start("u"), m.end("u")) for m in _CSS_URL.finditer(value) if m.group("u").strip()]
    if name.endswith("srcset"):
        return _srcset_spans(value)
    stripped = value.strip()
    if not stripped or any(c.isspace() for c in stripped):
        return []
    at = value.find(stripped)
    return [(at, at + len(stripped))]


def _attr_role(tag: str, name: str) -> tuple[str, str] | None:
    """(role, label) of an attribute that may hold an image URL, or None."""
    if name in _IMAGE_ATTRS.get(tag, ()):
        return "image", f"<{tag} {name}>"
    if name == "href" and tag in ("a", "area"):
        return "link", f"<{tag} href>"
    if name == "style":
        return "image", "style url()"
    if name == "background" and tag in _BACKGROUND_TAGS:
        return "image", f"<{tag} background>"
    if name.startswith("data-") and not name.startswith("data-ke-"):
        return "data", f"<{tag} {name}>"
    return None


@dataclass
class _TagState:
    figure_hints: list[str | None] = field(default_factory=list)
    open_a: tuple[int, list[int]] | None = None  # (end of the <a> tag, indexes of its href finds)
    anchors: list[tuple[int, int, list[int]]] = field(default_factory=list)


def _scan_tags(scan: Scan, lo: int, hi: int, skip: Ranges, clean: bool) -> None:
    """Every HTML tag of the body: image URLs in its attributes, the links around images, and (``clean``)
    the editor leftovers it carries."""
    text = scan.text
    st = _TagState()
    for m in _TAG.finditer(text, lo, hi):
        if m.start() in skip or m.group("name") is None:
            continue
        tag = m.group("name").lower()
        if m.group("close"):
            if tag == "figure" and st.figure_hints:
                st.figure_hints.pop()
            elif tag == "a" and st.open_a is not None:
                st.anchors.append((st.open_a[0], m.start(), st.open_a[1]))
                st.open_a = None
            continue
        attrs = _tag_attrs(m)
        if tag == "figure" and not m.group(0).endswith("/>"):
            st.figure_hints.append(_attr_value(attrs, "data-filename"))
        hint = _attr_value(attrs, "data-filename") or _attr_value(attrs, "filename")
        if hint is None and st.figure_hints:
            hint = st.figure_hints[-1]
        if tag == "a":
            st.open_a = (m.end(), [])
        for a in attrs:
            _attr_finds(scan, st, tag, a, hint)
            if clean and a.name.startswith("data-ke-"):
                scan.cleanups.append(Edit(a.start, a.end, "", "data-ke"))
        if clean and "separator" in (_attr_value(attrs, "class") or "").split():
            # Blogger's <div class="separator" style="clear: both; text-align: center;">: the style goes
            scan.cleanups += [Edit(a.start, a.end, "", "separator") for a in attrs if a.name == "style"]
    if st.open_a is not None:
        st.anchors.append((st.open_a[0], hi, st.open_a[1]))
    scan.anchors = st.anchors


@dataclass(frozen=True)
class _Attr:
    name: str  # lower case
    start: int  # the whitespace before it
    end: int  # after its value (and closing quote)
    vstart: int  # its raw value's first character
    raw: str | None  # the raw value (None: no value)


def _tag_attrs(m: re.Match[str]) -> list[_Attr]:
    out = []
    base = m.start("attrs")
    for a in _ATTR.finditer(m.group("attrs")):
        g = next((g for g in (3, 4, 5) if a.group(g) is not None), None)
        vstart = base + (a.start(g) if g else a.end(2))
        out.append(_Attr(a.group(2).lower(), base + a.start(1), base + a.end(), vstart, a.group(g) if g else None))
    return out


def _attr_value(attrs: list[_Attr], name: str) -> str | None:
    for a in attrs:
        if a.name == name and a.raw:
            return html.unescape(a.raw).strip() or None
    return None


def _attr_finds(scan: Scan, st: _TagState, tag: str, attr: _Attr, hint: str | None) -> None:
    role = _attr_role(tag, attr.name)
    if role is None or not attr.raw:
        return
    kind, label = role
    vstart = attr.vstart
    value, starts, ends = decode_with_map(attr.raw)
    for a, b in _url_spans(attr.name, value):
        url = absolute_url(value[a:b], None)
        if not url:
            continue
        found = Found(vstart + starts[a], vstart + ends[b - 1], url, label, kind, hint=hint)
        if kind == "link" and st.open_a is not None:
            st.open_a[1].append(len(scan.found))
        scan.found.append(found)


def _link_inner(scan: Scan, anchors: list[tuple[int, int, list[int]]]) -> None:
    """Each link gets the images shown inside it (the migration's rule for the ``<a href>`` around an image)."""
    images = sorted((f.start, f.url) for f in scan.found if f.role == "image")
    starts = [s for s, _ in images]
    for open_end, close_start, idxs in anchors:
        lo = bisect.bisect_left(starts, open_end)
        hi = bisect.bisect_left(starts, close_start)
        inner = tuple(u for _, u in images[lo:hi])
        if inner:
            for i in idxs:
                scan.found[i] = replace(scan.found[i], inner=inner)


@dataclass(frozen=True)
class _MdLink:
    image: bool
    text: tuple[int, int]  # the link text (alt text) between the brackets
    dest: tuple[int, int] | None  # an inline destination's characters
    label: str | None = None  # a reference link's label


_BRACKET_STOPS = re.compile(r"\\.|[\[\]]|\n[ \t]*\r?\n", re.S)


def bracket_pairs(text: str, lo: int, hi: int) -> dict[int, int]:
    """Each ``[`` of ``text[lo:hi]`` -> the ``]`` that closes it (nesting and backslash escapes counted; a
    blank line ends a paragraph, and with it every bracket left open). One pass, however the brackets are."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for m in _BRACKET_STOPS.finditer(text, lo, hi):
        c = m.group()
        if c == "[":
            stack.append(m.start())
        elif c == "]":
            if stack:
                pairs[stack.pop()] = m.start()
        elif c[0] == "\n":
            stack.clear()
    return pairs


def _skip_space(text: str, j: int, hi: int, newlines: int = 1) -> int:
    while j < hi and text[j] in " \t":
        j += 1
    if newlines and j < hi and text[j] in "\r\n":
        j += 2 if text.startswith("\r\n", j) else 1
        while j < hi and text[j] in " \t":
            j += 1
    return j


def _md_dest(text: str, k: int, hi: int) -> tuple[int, int] | None:
    """The destination of an inline link whose ``(`` is just before ``k``: (start, end), or None when what
    follows is not a destination and an optional title closed by ``)``."""
    j = _skip_space(text, k, hi)
    if j >= hi:
        return None
    if text[j] == "<":
        e = text.find(">", j + 1, hi)
        if e < 0 or "\n" in text[j + 1 : e]:
            return None
        ds, de, j = j + 1, e, e + 1
    else:
        ds, depth = j, 0
        while j < hi:
            c = text[j]
            if c == "\\" and j + 1 < hi:
                j += 2
                continue
            if c.isspace() or (c == ")" and depth == 0):
                break
            depth += 1 if c == "(" else -1 if c == ")" else 0
            j += 1
        de = j
    j = _skip_space(text, j, hi)
    if j < hi and text[j] in "\"'(":
        closer = ")" if text[j] == "(" else text[j]
        e = text.find(closer, j + 1, hi)
        if e < 0:
            return None
        j = _skip_space(text, e + 1, hi)
    if j < hi and text[j] == ")" and de > ds:
        return ds, de
    return None


_BRACKET = re.compile(r"!?\[")
_REF_DEF = re.compile(r"^[ ]{0,3}\[([^\]\n]+)\]:[ \t]*(?:\r?\n[ \t]*)?(<[^>\n]*>|[^\s<>]+)", re.M)


def _label(text: str) -> str:
    return " ".join(text.split()).casefold()


def _md_links(text: str, lo: int, hi: int, skip: Ranges) -> list[_MdLink]:
    out: list[_MdLink] = []
    pairs = bracket_pairs(text, lo, hi)
    for m in _BRACKET.finditer(text, lo, hi):
        i = m.start()
        if i in skip or (i > 0 and text[i - 1] == "\\"):
            continue
        image = text[i] == "!"
        open_ = m.end() - 1
        close = pairs.get(open_)
        if close is None:
            continue
        after = close + 1
        inner = (open_ + 1, close)
        if after < hi and text[after] == "(":
            dest = _md_dest(text, after + 1, hi)
            if dest:
                out.append(_MdLink(image, inner, dest))
        elif after < hi and text[after] == "[":
            end = text.find("]", after + 1, min(hi, after + 1000))
            if end > 0:
                out.append(_MdLink(image, inner, None, _label(text[after + 1 : end] or text[open_ + 1 : close])))
        elif image:
            out.append(_MdLink(image, inner, None, _label(text[open_ + 1 : close])))
    return out


def _add_md_url(scan: Scan, a: int, b: int, where: str, role: str, inner: tuple[str, ...] = ()) -> None:
    raw = scan.text[a:b]
    value, starts, ends = decode_with_map(raw, backslash=True)
    stripped = value.strip()
    url = absolute_url(stripped, None) if stripped else None
    if not url:
        return
    s = value.find(stripped)
    e = s + len(stripped)
    scan.found.append(Found(a + starts[s], a + ends[e - 1], url, where, role, inner=inner))


def _scan_markdown(scan: Scan, lo: int, hi: int, skip: Ranges) -> None:
    """Markdown images, the links around them, and the reference definitions they use."""
    links = _md_links(scan.text, lo, hi, skip)
    shown = [lk.text[0] for lk in links if lk.image]
    for lk in links:
        if lk.image and lk.dest:
            _add_md_url(scan, *lk.dest, "Markdown image", "image")
    images = [f for f in scan.found if f.role == "image"]
    image_labels: set[str] = {lk.label for lk in links if lk.image and lk.label}
    link_labels: dict[str, tuple[str, ...]] = {}
    for lk in links:
        if lk.image:
            continue
        inside = tuple(f.url for f in images if lk.text[0] <= f.start < lk.text[1])
        if lk.dest:
            _add_md_url(scan, *lk.dest, "Markdown link", "link", inside)
        elif lk.label:
            if inside or any(lk.text[0] <= s < lk.text[1] for s in shown):
                link_labels[lk.label] = inside
    for m in _REF_DEF.finditer(scan.text, lo, hi):
        if m.start() in skip:
            continue
        label = _label(m.group(1))
        a, b = m.span(2)
        if scan.text[a] == "<":
            a, b = a + 1, b - 1
        if label in image_labels:
            _add_md_url(scan, a, b, "Markdown reference", "image")
        else:
            _add_md_url(scan, a, b, "Markdown reference", "link", link_labels.get(label, ()))


def _spacers(scan: Scan, lo: int, hi: int, skip: Ranges, md_skip: Ranges) -> None:
    """``<p>&nbsp;</p>`` (and, in Markdown, a paragraph of only ``&nbsp;``): a line that holds only one goes
    with its line break."""
    text = scan.text
    for m in _SPACER.finditer(text, lo, hi):
        if m.start() in skip or not _NBSP_RE.search(m.group(0)):
            continue
        scan.cleanups.append(Edit(*_whole_line(text, m.start(), m.end()), "", "spacer"))
    if not scan.markdown:
        return
    for m in _MD_SPACER_LINE.finditer(text, lo, hi):
        if m.start() in md_skip:
            continue
        before = text[:m.start()]
        after = text[m.end():]
        blank_before = m.start() == lo or before.endswith(("\n\n", "\n\r\n")) or not before[lo:].strip()
        blank_after = not after.strip() or re.match(r"[ \t]*\r?\n", after) is not None
        if blank_before and blank_after:
            scan.cleanups.append(Edit(m.start(), m.end(), "", "spacer"))


def _whole_line(text: str, a: int, b: int) -> tuple[int, int]:
    """(a, b) widened to its whole line (and line break) when nothing else is on that line."""
    ls = text.rfind("\n", 0, a) + 1
    le = text.find("\n", b)
    le = len(text) if le < 0 else le
    if text[ls:a].strip(" \t") == "" and text[b:le].strip(" \t\r") == "":
        return ls, min(len(text), le + 1)
    return a, b


def scan_text(text: str, *, markdown: bool, clean: bool = False) -> Scan:
    """Everything :func:`localize` needs to know about one file's text (pure)."""
    scan = Scan(text=text, markdown=markdown)
    split = split_front_matter(text)
    if split is not None:
        scan.fm_span, scan.body_start = split
        _scan_front_matter(scan)
    lo, hi = scan.body_start, len(text)
    body = text[lo:]
    skip_spans = [(lo + a, lo + b) for a, b in (m.span() for m in _LIQUID_CODE.finditer(body))]
    raw: list[tuple[int, int]] = []
    if markdown:
        md_code, md_raw = markdown_code(body)
        skip_spans += [(lo + a, lo + b) for a, b in md_code]
        raw = [(lo + a, lo + b) for a, b in md_raw]
    code = Ranges(skip_spans)
    comments = [(lo + m.start(), lo + m.end()) for m in _COMMENT.finditer(body) if lo + m.start() not in code]
    html_skip = Ranges(skip_spans + comments)
    skip = Ranges(skip_spans + comments + raw)  # no Markdown is read in code, comments or raw HTML
    _scan_tags(scan, lo, hi, code, clean)
    if markdown:
        _scan_markdown(scan, lo, hi, skip)
    _link_inner(scan, scan.anchors)
    if clean:
        _spacers(scan, lo, hi, html_skip, skip)
    scan.found.sort(key=lambda f: f.start)
    return scan


def apply_edits(text: str, edits: Iterable[Edit]) -> tuple[str, list[Edit]]:
    """``text`` with each edit's characters replaced (an edit overlapping one before it is dropped), and the
    edits made."""
    out: list[str] = []
    done: list[Edit] = []
    at = 0
    for e in sorted(edits, key=lambda e: (e.start, -e.end)):
        if e.start < at:
            continue
        out.append(text[at : e.start])
        out.append(e.text)
        at = e.end
        done.append(e)
    out.append(text[at:])
    return "".join(out), done


def body_words(text: str, body_start: int, markdown: bool) -> Counter[str]:
    """The visible words of a file's body, as the loss guard reads them."""
    body = text[body_start:]
    return guard.markdown_words(body) if markdown else guard.html_words(body)


def front_matter_intact(old: str, new: str, fm_span: tuple[int, int], delta: int, changed: dict[int, str]) -> bool:
    """True when the new front matter parses to the old one with only the edited values changed:
    ``changed`` maps the index of an edited scalar to its expected new value."""
    a, b = fm_span
    before = front_matter_scalars(old[a:b])
    after = front_matter_scalars(new[a : b + delta])
    if before is None or after is None or len(before) != len(after):
        return False
    for i, ((p0, n0), (p1, n1)) in enumerate(zip(before, after, strict=True)):
        if p0 != p1 or n0.tag != n1.tag or n1.value != changed.get(i, n0.value):
            return False
    return True


# --- the site: which files Jekyll reads ---------------------------------------------------------------------


@dataclass(frozen=True)
class SiteFile:
    rel: str  # posix path inside the site
    kind: str  # post | draft | page | document (a collection's)

    @property
    def markdown(self) -> bool:
        return self.rel.rsplit(".", 1)[-1].lower() in MARKDOWN_EXTS

    @property
    def slug(self) -> str:
        """The folder its images go to, as a migration names it (the post's slug)."""
        p = PurePosixPath(self.rel)
        stem = p.stem
        if self.kind in ("post", "draft"):
            stem = re.sub(r"^\d{4}-\d{1,2}-\d{1,2}-", "", stem)
        if stem.lower() == "index" and p.parent.name:
            stem = p.parent.name
        return jekyll.sanitize_slug(stem, fallback="page")


def read_site_config(site: Path) -> dict:
    for name in ("_config.yml", "_config.yaml"):
        try:
            data = jekyll.load_yaml((site / name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        return data if isinstance(data, dict) else {}
    return {}


def _excluded(rel: str, patterns: tuple[str, ...]) -> bool:
    import fnmatch

    for p in patterns:
        p = str(p).strip("/")
        if p and (rel == p or rel.startswith(p + "/") or fnmatch.fnmatchcase(rel, p)):
            return True
    return False


def _collections(config: dict) -> tuple[str, tuple[str, ...]]:
    cdir = str(config.get("collections_dir") or "").strip("/")
    raw = config.get("collections") or {}
    names = tuple(str(k) for k in (raw if isinstance(raw, dict | list) else ()) if str(k) != "posts")
    return cdir, names


def site_files(site: Path, *, include_drafts: bool = False, config: dict | None = None) -> list[SiteFile]:
    """Every post, (draft), page and collection document Jekyll would read, Markdown or HTML, in path order.
    Pages count only with front matter (without it Jekyll copies the file as it is)."""
    config = read_site_config(site) if config is None else config
    cdir, collections = _collections(config)
    exclude = tuple(str(x) for x in (config.get("exclude") or ()) if isinstance(x, str)) + JEKYLL_EXCLUDES
    dest = str(config.get("destination") or "_site").strip("/")
    md_exts = tuple(str(config.get("markdown_ext") or ",".join(MARKDOWN_EXTS)).split(","))
    exts = {*(e.strip().lower() for e in md_exts), *HTML_EXTS}
    special = {f"{cdir}/_{c}".strip("/") for c in collections}
    out: list[SiteFile] = []
    for dirpath, dirnames, filenames in os.walk(site):
        rel_dir = Path(dirpath).relative_to(site).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir
        keep = []
        for d in sorted(dirnames):
            rel = f"{rel_dir}/{d}" if rel_dir else d
            if (Path(dirpath) / d).is_symlink() or rel == dest or _excluded(rel, exclude):
                continue
            if d == "_posts" or (d == "_drafts" and include_drafts) or rel in special:
                keep.append(d)
            elif not d.startswith((".", "_", "#", "~")):
                keep.append(d)
        dirnames[:] = keep
        parts = rel_dir.split("/") if rel_dir else []
        kind = "post" if "_posts" in parts else "draft" if "_drafts" in parts else None
        if kind is None and any(rel_dir == s or rel_dir.startswith(s + "/") for s in special):
            kind = "document"
        for f in sorted(filenames):
            rel = f"{rel_dir}/{f}" if rel_dir else f
            path = Path(dirpath) / f
            if "." not in f or f.rsplit(".", 1)[1].lower() not in exts or path.is_symlink():
                continue
            if _excluded(rel, exclude) or (kind is None and f.startswith((".", "_", "#", "~"))):
                continue
            if kind is None and not _has_front_matter(path):
                continue
            out.append(SiteFile(rel, kind or "page"))
    return sorted(out, key=lambda s: s.rel)


def _has_front_matter(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError:
        return False
    return head.lstrip(b"\xef\xbb\xbf").startswith(b"---")


# --- the run ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalizeOptions:
    dry_run: bool = False
    clean: bool = False  # remove the editor leftovers too
    include_drafts: bool = False
    all_hosts: bool = False  # localize every remote image, not only the platforms'
    force: bool = False  # edit a file changed by hand since the last run (a conflict otherwise)
    refresh_from: str | None = None  # the Tistory blog whose live pages give current signed URLs
    image_hosts: tuple[str, ...] = ()  # more hosts that play the platforms' CDNs (a mirror, a test server)
    keys: tuple[str, ...] = ()  # more front matter keys that hold an image


@dataclass(frozen=True)
class Wanted:
    """A reference that will be made local: what it is, and the asset (key) it becomes."""

    found: Found
    image: PlatformImage
    key: str


@dataclass
class Failure:
    file: str
    url: str
    reason: str
    expired: bool = False


@dataclass
class LocalizeReport(Report):
    files: int = 0
    images_local: set[str] = field(default_factory=set)  # keys already local before the run
    images_localized: set[str] = field(default_factory=set)
    images_to_fetch: set[str] = field(default_factory=set)  # a dry run's
    images_failed: dict[str, str] = field(default_factory=dict)  # key -> reason
    cleanups: Counter = field(default_factory=Counter)
    failures_by_file: list[Failure] = field(default_factory=list)
    refresh_from: str | None = None

    @property
    def expired(self) -> int:
        return len({f.url for f in self.failures_by_file if f.expired})

    def exit_status(self):  # type: ignore[no-untyped-def]
        from migrator.errors import ExitStatus

        return ExitStatus.PARTIAL if self.images_failed or self.summary().get("failed") else ExitStatus.OK

    def to_json(self, posts: bool = True) -> dict:
        data = super().to_json(posts)
        data["images"] = {
            "localized": len(self.images_localized),
            "already_local": len(self.images_local),
            "to_fetch": len(self.images_to_fetch),
            "failed": len(self.images_failed),
        }
        data["localize"] = {
            "files_scanned": self.files,
            "cleaned": {CLEANUPS[k]: n for k, n in sorted(self.cleanups.items())},
            "failures": [{"file": f.file, "url": f.url, "reason": f.reason} for f in self.failures_by_file],
        }
        return data


def _now() -> float:
    return time.time()


def failure_reason(error: str | None, url: str, now: float | None = None) -> tuple[str, bool]:
    """(a short reason for the summary, whether it is an expired signature)."""
    exp = expires_at(url)
    error = error or "failed"
    if exp is not None and "signature=" in url and exp < (now if now is not None else _now()):
        when = datetime.fromtimestamp(exp, UTC).strftime("%Y-%m-%d")
        return f"expired signature (the signed URL expired on {when})", True
    if "refusing to fetch" in error:
        why = error.split(": ", 1)[-1] if ": " in error else error
        if "pass --allow-private-network" not in why and "metadata" not in why:
            why += "; pass --allow-private-network if this is really wanted"
        return f"refused address ({why})", False
    m = re.search(r"HTTP (\d{3})(?: ([^(]*))?", error)
    if m:
        return f"HTTP {m.group(1)}{' ' + m.group(2).strip() if m.group(2) and m.group(2).strip() else ''}", False
    return error, False


class Localizer:
    def __init__(self, site: Path, cfg: Config, opts: LocalizeOptions, http: HttpClient) -> None:
        self.site = site
        self.cfg = cfg
        self.opts = opts
        self.http = http
        self.dry_run = opts.dry_run
        self.sink = FileSink(site)
        self.manifest = Manifest.load(site, readonly=opts.dry_run)
        self.rules = PlatformRules(cfg, http, opts.image_hosts)
        self.refresh = normalize_origin(opts.refresh_from) if opts.refresh_from else None
        if self.refresh and cfg.tistory.delay > 0:
            http.set_host_delay(urlsplit(self.refresh).netloc, cfg.tistory.delay)
        self.site_config = read_site_config(site)
        self.baseurl = jekyll.normalize_baseurl(cfg.site.baseurl or self.site_config.get("baseurl"))
        self.keys = set(FRONT_MATTER_KEYS) | set(opts.keys) | self._config_keys()
        self.report = LocalizeReport(out=site, dry_run=opts.dry_run, blog_title=f"localize {site.name or site}")
        self.report.refresh_from = self.refresh
        self._key_of: dict[str, str] = {}  # fetch URL -> asset key
        self._fetch_of: dict[str, tuple[int, str]] = {}  # asset key -> (rank, the best URL to fetch it from)
        self._headers: dict[str, dict[str, str]] = {}
        self._hint_of: dict[str, str] = {}  # asset key -> the platform's file name for it (data-filename)
        self._twins: dict[str, str] = {}  # an asset key without its scheme -> the key used (http = https)
        self._pages: dict[str, str | None] = {}  # live page -> its HTML (refresh)
        self._fresh: dict[str, str | None] = {}  # asset key -> a current signed URL
        self._predicted: dict[str, str] = {}  # a dry run: asset key -> the path it would get
        self._tried: dict[str, AssetRecord] = {}  # asset key -> its record, for what this run fetched
        self._failed_in: set[tuple[str, str]] = set()  # (file, URL) failures listed
        own = urlsplit(str(self.site_config.get("url") or "")).hostname
        self._own_host = own.lower() if own else None  # --all-hosts never fetches the site's own images
        self._claimed: set[str] = {r.path.casefold() for r in self.manifest.posts.values() if r.path}
        self._claimed |= {r.path.casefold() for r in self.manifest.assets.values() if r.path}
        self._by_path: dict[str, tuple[str, PostRecord]] = {}
        for pid, rec in sorted(self.manifest.posts.items(), key=lambda kv: kv[1].kind == KIND):
            if rec.path and rec.path not in self._by_path and rec.status != "deleted":
                self._by_path[rec.path] = (pid, rec)
        self._dirty = False

    def _config_keys(self) -> set[str]:
        """The front matter keys the config writes images to (``front_matter.keys``, the preset's)."""
        fm = self.cfg.front_matter
        keys = {v for k, v in fm.keys.items() if v and k == "image"}
        renames, copies = jekyll.PRESETS.get(fm.preset or "", ({}, {}))
        keys |= {v for k, v in renames.items() if k == "image"}
        keys |= {t for t, k in copies.items() if k == "image"}
        return keys

    # --- which references are made local ------------------------------------------------------------------
    def _blog(self, scan: Scan) -> str | None:
        """The blog a file came from (a Referer for its Tistory images): --refresh-from, else its source_url,
        else the first front matter URL on a Tistory blog (``original_url:``, ``tistory_url:``...)."""
        from migrator.sources.tistory import TistorySource

        if self.refresh:
            return self.refresh
        src = scan.fm.get("source_url")
        urls = [src] if isinstance(src, str) and src.startswith(("http://", "https://")) else []
        urls += [f.url for f in scan.found if f.role == "front" and TistorySource.matches_host(_host(f.url))]
        if not urls:
            return None
        parts = urlsplit(urls[0])
        return f"{parts.scheme}://{parts.netloc}"

    def _image_for(self, f: Found, blog: str | None) -> PlatformImage | None:
        image = self.rules.original(f.url, blog)
        remote = None
        if self.opts.all_hosts and (urlsplit(f.url).hostname or "").lower() != self._own_host:
            remote = PlatformImage("remote", f.url, f.url)
        if f.role == "image":
            return image or remote
        if f.role == "data":
            return image or (remote if looks_like_image_url(f.url) else None)
        if f.role == "front":
            return image or (remote if f.key in self.keys else None)
        # a link: to a platform image (Blogger's hosts hold nothing else), or around an image
        inner = {image_key(u) for u in f.inner}
        if image is not None and (inner or image.platform == "blogger" or looks_like_image_url(image.original)):
            return image
        if remote is not None and inner and (image_key(f.url) in inner or looks_like_image_url(f.url)):
            return remote
        return None

    def select(self, scan: Scan) -> list[Wanted]:
        blog = self._blog(scan)
        out = []
        for f in scan.found:
            image = self._image_for(f, blog)
            if image is not None:
                key = self._asset_key(image, scan)
                if f.hint and key not in self._hint_of:
                    self._hint_of[key] = f.hint
                out.append(Wanted(f, image, key))
        return out

    def _asset_key(self, image: PlatformImage, scan: Scan) -> str:
        """The manifest key of an image, remembering the best URL to fetch it from: one image may be written
        as a signed URL, a resizing proxy's unsigned original and a link (a signed URL still valid wins,
        then a current one from the live page, then any other but an unsigned ``/dna/``)."""
        key = self._twins.setdefault(image_key(image.key), image.key)
        if self._local(key) is None and self._local(other_scheme(key)) is not None:
            key = other_scheme(key)
        fetch = image.original
        exp = expires_at(fetch)
        if image.signed and exp is not None and exp < _now() and self.refresh:
            fetch = self._fresh_url(image, scan) or fetch
        rank = _rank(fetch)
        if key not in self._fetch_of or rank > self._fetch_of[key][0]:
            self._fetch_of[key] = (rank, fetch)
        self._key_of[fetch] = key
        self._headers.setdefault(fetch, dict(image.headers))
        return key

    def fetch_url(self, key: str) -> str:
        return self._fetch_of[key][1]

    def _local(self, key: str) -> AssetRecord | None:
        rec = self.manifest.assets.get(key)
        if rec and rec.status == "ok" and rec.path and (self.site / rec.path).is_file():
            return rec
        return None

    # --- a current signed URL from the post's live page (--refresh-from) -----------------------------------
    def live_pages(self, scan: Scan) -> list[str]:
        """Where the post may be on the blog --refresh-from names, most likely first: the path of its
        ``source_url``; any front matter URL or link of the body on that blog (``original_url: …``, "migrated
        from [the original](https://NAME.tistory.com/189)"); then its ``permalink`` and ``redirect_from``,
        which keep the old path on some sites."""
        assert self.refresh
        host = urlsplit(self.refresh).netloc.lower()
        fm = scan.fm
        urls: list[str] = []
        src = fm.get("source_url")
        if isinstance(src, str) and src.startswith(("http://", "https://")):
            urls.append(urlsplit(src.strip()).path)
        on_blog = [f.url for f in scan.found if f.role in ("front", "link") and urlsplit(f.url).netloc.lower() == host]
        urls += [urlsplit(u).path for u in on_blog]
        for value in (fm.get("permalink"), *_as_list(fm.get("redirect_from"))):
            if isinstance(value, str) and value.strip():
                urls.append(value.strip())
        pages = [self.refresh + p for p in urls if p.startswith("/") and p != "/" and ":" not in p]
        return list(dict.fromkeys(pages))[:3]

    def _page(self, page: str) -> str | None:
        if page not in self._pages:
            try:
                self._pages[page] = self.http.get(page).text()
            except FetchError as e:
                self._pages[page] = None
                if e.status_code not in (404, 410):
                    self.report.stats.warnings.append(f"--refresh-from: cannot read {page}: {e.message}")
        return self._pages[page]

    def _fresh_url(self, image: PlatformImage, scan: Scan) -> str | None:
        """A current signed URL of the same image, from the first of the post's live pages that shows it."""
        if image.key in self._fresh:
            return self._fresh[image.key]
        fresh = None
        for page in self.live_pages(scan):
            for m in re.finditer(r"""(?:https?:)?//[^\s"'<>()\\]+""", self._page(page) or ""):
                cand = self.rules.original(absolute_url(html.unescape(m.group(0)), None) or "", self.refresh)
                if cand is not None and cand.key == image.key and cand.original != image.original:
                    fresh = cand.original
                    break
            if fresh:
                break
        self._fresh[image.key] = fresh
        return fresh

    # --- one file -------------------------------------------------------------------------------------------
    def _read(self, sf: SiteFile) -> tuple[bytes, str] | None:
        try:
            data = (self.site / sf.rel).read_bytes()
        except OSError as e:
            self.report.stats.warnings.append(f"{sf.rel}: cannot read it ({e.strerror or e})")
            return None
        try:
            return data, data.decode("utf-8")
        except UnicodeDecodeError:
            self.report.stats.warnings.append(f"{sf.rel} is not UTF-8 text (nor can Jekyll read it); left as it is")
            return None

    def _examine(self, sf: SiteFile) -> tuple[Scan, list[Wanted], str] | None:
        """The file's scan, what would be made local in it, and its action (before any download)."""
        got = self._read(sf)
        if got is None:
            return None
        data, text = got
        scan = scan_text(text, markdown=sf.markdown, clean=self.opts.clean)
        wanted = self.select(scan)
        if not wanted and not scan.cleanups:
            return scan, wanted, "unchanged"
        entry = self._by_path.get(sf.rel)
        sha = sha256_text(text)
        edited = entry is not None and entry[1].output_sha256 is not None and entry[1].output_sha256 != sha
        if edited and not self.opts.force:
            return scan, wanted, "conflict"
        return scan, wanted, "update"

    def _predict(self, key: str, fetch: str, hint: str | None, slug: str) -> str:
        """Where a dry run says an image would be stored (the real extension comes from its bytes)."""
        if key not in self._predicted:
            stem = name_stem(fetch, hint)
            last = urlsplit(fetch).path.rsplit(".", 1)
            ext = last[1].lower() if len(last) == 2 and last[1].lower() in IMAGE_EXTS else "jpg"
            ext = "jpg" if ext == "jpeg" else ext

            def taken(candidate: str) -> bool:
                return candidate.casefold() in self._claimed or (self.site / candidate).exists()

            path = unique_path(f"{self.cfg.images.dir.strip('/')}/{slug}", stem, ext, taken)
            self._claimed.add(path.casefold())
            self._predicted[key] = path
        return self._predicted[key]

    def _resolve(self, wanted: list[Wanted], slug: str, store: AssetStore | None) -> dict[str, AssetRecord]:
        """asset key -> record of every image of the file fetched in this run (now, or for a file before it);
        an image that failed is not asked for twice in one run. Nothing is fetched in a dry run."""
        todo: dict[str, str | None] = {}  # fetch URL -> file name hint
        for w in wanted:
            if self._local(w.key) is None and w.key not in self._tried:
                todo[self.fetch_url(w.key)] = self._hint_of.get(w.key)
        if store is not None and todo:
            for url, rec in store.resolve([ImageRef(u, h) for u, h in todo.items()], slug).items():
                self._tried[self._key_of[url]] = rec
        return {w.key: self._tried[w.key] for w in wanted if w.key in self._tried}

    def _status(self, w: Wanted, rec: AssetRecord | None, slug: str) -> tuple[str, str | None, str | None]:
        """(status, path, failure reason) of one image: localized now, local already, to fetch (a dry run), or
        failed."""
        if rec is not None:
            if rec.status == "ok" and rec.path:
                return "localized", rec.path, None
            return "failed", None, failure_reason(rec.error, self.fetch_url(w.key))[0]
        local = self._local(w.key)
        if local is not None:
            return "local", local.path, None
        if self.dry_run:
            return "fetch", self._predict(w.key, self.fetch_url(w.key), self._hint_of.get(w.key), slug), None
        return "failed", None, "not downloaded"

    def _url_edits(
        self, sf: SiteFile, wanted: list[Wanted], records: dict[str, AssetRecord]
    ) -> tuple[list[Edit], list[dict], list[str]]:
        """The replacement of each URL made local, the file's image list for the report, the keys it uses."""
        edits: list[Edit] = []
        listed: dict[tuple[str, str], dict] = {}
        rep = self.report
        for w in wanted:
            key, fetch = w.key, self.fetch_url(w.key)
            status, path, reason = self._status(w, records.get(key), sf.slug)
            if path is not None:
                prefix = "" if w.found.role == "front" else self.baseurl
                edits.append(Edit(w.found.start, w.found.end, f"{prefix}/{path}", "url"))
                {"local": rep.images_local, "fetch": rep.images_to_fetch}.get(status, rep.images_localized).add(key)
            elif reason is not None and (sf.rel, key) not in self._failed_in:
                self._failed_in.add((sf.rel, key))
                rep.images_failed[key] = reason
                rep.failures_by_file.append(Failure(sf.rel, fetch, reason, reason.startswith("expired")))
            entry = {"url": w.found.url, "where": w.found.where, "status": status, "path": path}
            if fetch != w.found.url:
                entry["original"] = fetch
            if reason:
                entry["reason"] = reason
            if status == "fetch":
                entry["note"] = "predicted path: the extension comes from the file's bytes"
            listed.setdefault((w.found.url, status), entry)
        return edits, list(listed.values()), list(dict.fromkeys(w.key for w in wanted))

    def _guarded(self, sf: SiteFile, scan: Scan, url_edits: list[Edit]) -> tuple[str, list[Edit], str | None]:
        """The new text; the edits made; why some were not made. Clean-ups that would cost a visible word are
        dropped, then each URL edit that would (the URL was text, not a link)."""
        text = scan.text
        before = body_words(text, scan.body_start, scan.markdown)

        def ok(edits: list[Edit]) -> tuple[bool, str, list[Edit]]:
            new, done = apply_edits(text, edits)
            body_at = scan.body_start + sum(len(e.text) - (e.end - e.start) for e in done if e.end <= scan.body_start)
            if guard.lost(before, body_words(new, body_at, scan.markdown)):
                return False, new, done
            if scan.fm_span and any(e.start < scan.fm_span[1] for e in done) and not self._fm_ok(scan, new, done):
                return False, new, done
            return True, new, done

        good, new, done = ok(url_edits + scan.cleanups)
        if good:
            return new, done, None
        note = None
        if scan.cleanups:
            note = "the clean-up would cost words, so it was not made"
        kept: list[Edit] = []
        for e in sorted(url_edits, key=lambda e: e.start):
            if ok([*kept, e])[0]:
                kept.append(e)
            else:
                shown = text[e.start : e.end]
                note = (note + "; " if note else "") + f"{shown} is shown as text, not as an image: left as it is"
        good, new, done = ok(kept)
        return (new, done, note) if good else (text, [], "no edit could be made without losing words")

    def _fm_ok(self, scan: Scan, new: str, done: list[Edit]) -> bool:
        assert scan.fm_span is not None
        a, b = scan.fm_span
        fm_edits = [e for e in done if e.start < b]
        delta = sum(len(e.text) - (e.end - e.start) for e in fm_edits)
        scalars = front_matter_scalars(scan.text[a:b]) or []
        changed: dict[int, str] = {}
        for e in fm_edits:
            for i, (_p, node) in enumerate(scalars):
                s, t = a + node.start_mark.index, a + node.end_mark.index
                if s <= e.start < t:
                    old = str(node.value)
                    raw_url = scan.text[e.start : e.end]
                    changed[i] = changed.get(i, old).replace(raw_url, e.text, 1)
        return front_matter_intact(scan.text, new, scan.fm_span, delta, changed)

    def process(self, sf: SiteFile, store: AssetStore | None) -> ReportItem:
        examined = self._examine(sf)
        if examined is None:
            return ReportItem(sf.rel, None, "", sf.rel, "failed", sf.kind, error="cannot be read as UTF-8 text")
        scan, wanted, action = examined
        title = str(scan.fm.get("title") or "")
        source_url = scan.fm.get("source_url") if isinstance(scan.fm.get("source_url"), str) else None
        for w in scan.warnings:
            self.report.stats.warnings.append(f"{sf.rel}: {w}")
        item = ReportItem(sf.rel, source_url, title, sf.rel, action, sf.kind)
        if action == "unchanged":
            self._settle(sf, scan)
            return item
        if action == "conflict":
            item.images = [{"url": w.found.url, "where": w.found.where, "status": "kept"} for w in wanted]
            self._record_conflict(sf)
            return item
        records = self._resolve(wanted, sf.slug, store)
        url_edits, images, keys = self._url_edits(sf, wanted, records)
        new, done, note = self._guarded(sf, scan, url_edits)
        failed = [i for i in images if i["status"] == "failed"]
        item.images = images
        item.error = "; ".join(x for x in (note, *(f"{i['url']}: {i['reason']}" for i in failed)) if x) or None
        if new == scan.text:
            item.action = "failed" if failed or note else "unchanged"
        else:
            for e in done:
                if e.kind != "url":
                    self.report.cleanups[e.kind] += 1
            item.diff = _cap(unified_diff(scan.text, new, sf.rel))
        if not self.dry_run:
            if new != scan.text:
                self._write(sf, new)
            self._record(sf, scan, new, keys, title, source_url, item.error if failed else None)
        return item

    def _write(self, sf: SiteFile, new: str) -> None:
        path = self.site / sf.rel
        try:
            mode = path.stat().st_mode & 0o7777
        except OSError:
            mode = None
        self.sink.write(sf.rel, new)
        if mode is not None:
            try:
                os.chmod(path, mode)
            except OSError:
                pass

    def _record(
        self, sf: SiteFile, scan: Scan, new: str, keys: list[str], title: str, source_url: str | None, error: str | None
    ) -> None:
        out_sha = sha256_text(new)
        entry = self._by_path.get(sf.rel)
        if entry is not None and entry[1].kind != KIND:  # a file migrator migrated: its record follows the edit
            pid, rec = entry
            rec = replace(rec, output_sha256=out_sha, assets=tuple(dict.fromkeys((*rec.assets, *keys))))
        else:
            pid = RECORD_PREFIX + sf.rel
            rec = PostRecord(
                source_url=source_url,
                title=title,
                updated=None,
                source_sha256=sha256_text(scan.text),
                path=sf.rel,
                output_sha256=out_sha,
                status="failed" if error else "ok",
                assets=tuple(keys),
                error=error,
                kind=KIND,
            )
        if self.manifest.posts.get(pid) != rec:
            self.manifest.record_post(pid, rec)
            self._by_path[sf.rel] = (pid, rec)
            self._dirty = True

    def _record_conflict(self, sf: SiteFile) -> None:
        entry = self._by_path.get(sf.rel)
        if self.dry_run or entry is None or entry[1].kind != KIND or entry[1].status == "conflict":
            return
        rec = replace(entry[1], status="conflict", error="edited here since migrator localized it")
        self.manifest.record_post(entry[0], rec)
        self._by_path[sf.rel] = (entry[0], rec)
        self._dirty = True

    def _settle(self, sf: SiteFile, scan: Scan) -> None:
        """A localized file that failed or was in conflict, and now has nothing left to do: it is done (its
        current bytes, with your edits, are what the record says)."""
        entry = self._by_path.get(sf.rel)
        if self.dry_run or entry is None or entry[1].kind != KIND or entry[1].status == "ok":
            return
        rec = replace(entry[1], status="ok", error=None, output_sha256=sha256_text(scan.text))
        self.manifest.record_post(entry[0], rec)
        self._by_path[sf.rel] = (entry[0], rec)
        self._dirty = True

    # --- the whole site -------------------------------------------------------------------------------------
    def _survey(self, files: list[SiteFile]) -> tuple[list[ImageRef], bool]:
        """Before any download: the images to fetch (in document order), and whether anything is to be done."""
        refs: dict[str, ImageRef] = {}
        work = False
        for sf in files:
            examined = self._examine(sf)
            if examined is None:
                continue
            _scan, wanted, action = examined
            if action == "update":
                work = True
                for w in wanted:
                    if self._local(w.key) is None and w.key not in refs:
                        refs[w.key] = ImageRef(self.fetch_url(w.key), self._hint_of.get(w.key))
            else:
                entry = self._by_path.get(sf.rel)
                rec = entry[1] if entry else None
                # a localized file to mark as a conflict, or one that failed and has nothing left to do
                wanted_status = "conflict" if action == "conflict" else "ok"
                work = work or bool(rec and rec.kind == KIND and rec.status != wanted_status)
        return list(refs.values()), work

    def run(self) -> LocalizeReport:
        started = time.monotonic()
        requests_before = self.http.requests_made
        if not self.site.is_dir():
            raise UsageError(f"{self.site} is not a directory", "pass the folder of a Jekyll site")
        files = site_files(self.site, include_drafts=self.opts.include_drafts, config=self.site_config)
        self.report.files = len(files)
        refs, work = self._survey(files)
        if self.dry_run or not work:
            for sf in files:
                self.report.items.append(self.process(sf, None))
        else:
            self._run_writing(files, refs)
        self.report.requests = self.http.requests_made - requests_before
        self.report.seconds = time.monotonic() - started
        st = self.report.stats
        st.images_downloaded = len(self.report.images_localized)
        st.images_reused = len(self.report.images_local)
        st.images_failed = len(self.report.images_failed)
        return self.report

    def _run_writing(self, files: list[SiteFile], refs: list[ImageRef]) -> None:
        check_dirs(self.site, (".migrator/tmp", self.cfg.images.dir))
        lock = SiteLock(self.site)
        lock.acquire()
        tmp = self.site / ".migrator" / "tmp"
        for part in [*tmp.glob("*.part"), *tmp.glob("*.tmp")] if tmp.is_dir() else []:
            part.unlink(missing_ok=True)
        store = AssetStore(
            self.site,
            self.http,
            self.manifest.assets,
            images_dir=self.cfg.images.dir,
            files_dir=self.cfg.images.files_dir,
            jobs=self.cfg.jobs,
            headers_for=lambda u: self._headers.get(u, {}),
            on_record=self._on_asset,
            key_for=lambda u: self._key_of.get(u, u),
            name_for=self.rules.image_name,
        )
        try:
            store.prefetch(refs)
            for sf in files:
                self.report.items.append(self.process(sf, store))
        except BaseException:
            self.http.stop()  # the downloads still running end now, not after their retries' back-off
            raise
        finally:
            store.close()
            try:
                if self._dirty:
                    self.manifest.save()
                self.manifest.close()
            finally:
                lock.release()

    def _on_asset(self, rec: AssetRecord) -> None:
        self.manifest.record_asset(rec)
        self._dirty = True


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _rank(url: str) -> int:
    """How likely a URL is to give the image: a signed URL still valid 3, an ordinary one 2, a signed URL that
    expired 1, an unsigned ``/dna/`` (which needs a signature) 0."""
    parts = urlsplit(url)
    if "signature=" in parts.query:
        exp = expires_at(url)
        return 3 if exp is None or exp >= _now() else 1
    return 0 if "/dna/" in parts.path else 2


def _as_list(value: object) -> list:
    if isinstance(value, list):
        return value
    return [value] if value is not None else []


def _cap(text: str | None) -> str | None:
    if text is None or len(text) <= MAX_DIFF_CHARS:
        return text
    return text[:MAX_DIFF_CHARS] + "\n... (diff cut short)\n"


def localize(site: Path, cfg: Config, opts: LocalizeOptions, http: HttpClient) -> LocalizeReport:
    """Make every platform image ``site`` hot-links local (and, with ``opts.clean``, remove editor leftovers)."""
    if opts.refresh_from:
        normalize_origin(opts.refresh_from)  # a bad address is a usage error before anything is read
    try:
        return Localizer(site, cfg, opts, http).run()
    except OSError as e:
        raise OutputError(f"cannot work on {site}: {e.strerror or e}", "check the permissions") from e


# --- the summary ----------------------------------------------------------------------------------------------


def print_summary(report: LocalizeReport, console: Any, limit: int = 50) -> None:
    from rich.table import Table

    s = report.summary()
    changed = [i for i in report.items if i.action in ("update", "conflict", "failed")]
    if report.dry_run and changed:
        plan = Table(title="Plan", show_header=True, header_style="bold")
        for col in ("action", "file", "images"):
            plan.add_column(col)
        for item in changed[:limit]:
            n = Counter(st for st, _ in {(i["status"], i.get("path") or i["url"]) for i in item.images or []})
            what = ", ".join(f"{k} {v}" for k, v in sorted(n.items())) or "-"
            plan.add_row(item.action, item.path or "-", what)
        console.print(plan)
        if len(changed) > limit:
            console.print(f"... and {len(changed) - limit} more: write them all with --report plan.html")
    title = "Dry run: nothing was written" if report.dry_run else "Localize summary"
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("what")
    table.add_column("count", justify="right")
    verb = "to change" if report.dry_run else "changed"
    rows = [
        ("files scanned", report.files, None),
        (f"files {verb}", s.get("update", 0), None),
        ("files unchanged", s.get("unchanged", 0), None),
        ("files in conflict (kept)", s.get("conflict", 0), "yellow"),
        ("files failed", s.get("failed", 0), "red"),
        ("images to fetch" if report.dry_run else "images localized",
         len(report.images_to_fetch if report.dry_run else report.images_localized), None),
        ("images already local", len(report.images_local), None),
        ("images failed", len(report.images_failed), "red"),
    ]
    rows += [(f"{label} removed", report.cleanups.get(k, 0), None) for k, label in CLEANUPS.items()
             if report.cleanups.get(k)]
    rows.append(("HTTP requests", report.requests, None))
    for label, n, style in rows:
        table.add_row(label, str(n), style=style if n else None)
    console.print(table)
    for f in report.failures_by_file[:limit]:
        console.print(f"[red]failed[/red] {f.url} in {f.file}: {f.reason}", highlight=False)
    if len(report.failures_by_file) > limit:
        console.print(f"... and {len(report.failures_by_file) - limit} more (see the report)")
    for w in report.stats.warnings:
        console.print(f"[yellow]warning[/yellow] {w}", highlight=False)
    for item in report.items:
        if item.action == "conflict":
            console.print(
                f"[yellow]conflict[/yellow] {item.path}: edited here since the last run; kept your version "
                "(rerun with --force to localize it anyway)",
                highlight=False,
            )
    if report.expired:
        if report.refresh_from:
            hint = (f"{report.expired} signed Tistory image URL(s) expired and {report.refresh_from} did not give "
                    "a current one: the post's live page may be gone; the Tistory backup has the files")
        else:
            hint = (f"{report.expired} signed Tistory image URL(s) expired (they are re-signed every month): the "
                    "post's live page or the Tistory backup gives a fresh URL; run again with --refresh-from "
                    "https://NAME.tistory.com to read each post's page (its source_url or permalink) for a current one")
        console.print(f"[yellow]hint[/yellow] {hint}", highlight=False)
    if report.dry_run:
        console.print("Next: run the same command without --dry-run to apply this plan.")
    elif s.get("update") or report.images_failed:
        if s.get("update"):
            console.print(f"Site updated in [bold]{report.out}[/bold].", highlight=False)
        if report.images_failed:
            console.print("Failed images are recorded and retried when you run the same command again.")
    else:
        console.print("Nothing to change: every image this site shows is local already.")
