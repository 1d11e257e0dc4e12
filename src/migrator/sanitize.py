"""The allow-list sanitiser every post body goes through before it is converted: nothing in a post may run
code on the new site or in the reviewer's report. Pure.

It is nh3 (the Rust ``ammonia`` sanitiser) with:

- an allow-list of tags (text, lists, tables, figures, code, media, folds) and of attributes per tag; what
  renders nothing and may run code is dropped with its content (``script`` without an allowed ``src``,
  ``style``, ``template``, ``noscript``, ``svg``, ``math``'s scripts), any other tag is unwrapped (its text
  stays);
- an allow-list of URL schemes for every attribute that holds a URL (``http``, ``https``, ``mailto``,
  ``tel`` and relative URLs; ``data:`` only for an ``<img>`` of a raster image type), read the way a browser
  reads them (tabs, newlines and control characters inside a scheme do not hide ``javascript:``);
- an allow-list of embed hosts for ``iframe``/``embed``/``object``/``script src`` (YouTube, Vimeo, gist, video
  and map players…; the platform adds its own, the config ``embeds.allow_hosts`` adds more); an embed from any other
  host loses its address and is reported, so the user can allow the host and run again.

What it removed is counted per post (:class:`Removed`) for the summary and the report.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from migrator.urls import on_domains

# hosts whose players and widgets a post may embed (any sub-domain of these too)
DEFAULT_EMBED_HOSTS: tuple[str, ...] = (
    "youtube.com",
    "youtube-nocookie.com",
    "youtu.be",
    "player.vimeo.com",
    "gist.github.com",
    "w.soundcloud.com",
    "open.spotify.com",
    "dailymotion.com",
    "platform.twitter.com",
    "instagram.com",
    "codepen.io",
    "slideshare.net",
    "docs.google.com",
    "drive.google.com",
    "www.google.com",  # maps/embed, calendar, forms
    "maps.google.com",
    "tv.naver.com",
    "tv.kakao.com",
    "play-tv.kakao.com",
    "facebook.com",
    "ted.com",
    "archive.org",
)

_TAGS = frozenset(
    """a abbr acronym address article aside audio b bdi bdo big blockquote br button caption center cite code col
    colgroup dd del details dfn div dl dt em embed fieldset figcaption figure font footer h1 h2 h3 h4 h5 h6 header
    hgroup hr i iframe img ins kbd label legend li main mark nav object ol optgroup option p param picture pre q
    rp rt ruby s samp section select small source span strike strong sub summary sup table tbody td textarea tfoot
    th thead time tr track tt u ul var video wbr""".split()
)
# dropped together with everything inside them: they render no text of the post, or run code
_DROP_WITH_CONTENT = frozenset({"script", "style", "template", "noscript", "svg", "head", "title", "xmp"})
_GENERIC_ATTRS = frozenset({"class", "id", "title", "lang", "dir", "style", "align", "width", "height", "name", "role"})
_ATTRS: dict[str, set[str]] = {
    "a": {"href", "target", "rel", "hreflang", "type"},
    "img": {"src", "srcset", "sizes", "alt", "loading", "border", "hspace", "vspace", "usemap"},
    "iframe": {"src", "allowfullscreen", "frameborder", "allow", "scrolling", "loading", "referrerpolicy"},
    "embed": {"src", "type"},
    "object": {"data", "type"},
    "param": {"value"},
    "video": {"src", "poster", "controls", "preload", "loop", "muted", "playsinline"},
    "audio": {"src", "controls", "preload", "loop", "muted"},
    "source": {"src", "srcset", "type", "media", "sizes"},
    "track": {"src", "kind", "srclang", "label", "default"},
    "td": {"colspan", "rowspan", "headers", "valign", "bgcolor", "nowrap"},
    "th": {"colspan", "rowspan", "headers", "scope", "valign", "bgcolor", "nowrap"},
    "col": {"span"},
    "colgroup": {"span"},
    "table": {"border", "cellpadding", "cellspacing", "summary", "bgcolor"},
    "tr": {"valign", "bgcolor"},
    "ol": {"start", "type", "reversed"},
    "ul": {"type"},
    "li": {"value", "type"},
    "time": {"datetime"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
    "details": {"open"},
    "font": {"color", "face", "size"},
    "textarea": {"rows", "cols", "readonly"},
    "option": {"value", "selected"},
    "abbr": set(),
}
_URL_ATTRS = frozenset({"href", "src", "data", "poster", "cite", "srcset", "background", "action", "formaction"})
_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_EMBEDS = {"iframe": "src", "embed": "src", "object": "data"}
_RASTER_DATA = re.compile(r"^data:image/(?:png|jpe?g|gif|webp|avif|bmp)[;,]", re.IGNORECASE)
# what a browser ignores inside a URL before it reads the scheme: ASCII whitespace and C0 controls
_URL_NOISE = re.compile(r"[\x00-\x20\x7f]")
_SCRIPT_SRC = re.compile(
    r"<script\b(?P<attrs>[^>]*?)\bsrc\s*=\s*(?P<q>[\"']?)(?P<src>[^\"'\s>]+)(?P=q)[^>]*>\s*</script\s*>", re.IGNORECASE
)
SCRIPT_MARKER = "data-migrator-script"
_START_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9:-]*)")
_EVENT_ATTR = re.compile(r"<[a-zA-Z][^>]*?\son[a-z]+\s*=", re.IGNORECASE)


@dataclass
class Removed:
    """What the sanitiser took out of one post."""

    elements: Counter[str] = field(default_factory=Counter)  # tag name -> how many
    urls: list[str] = field(default_factory=list)  # unsafe URLs (javascript:, data:text/html...)
    embeds: list[str] = field(default_factory=list)  # embeds from hosts that are not allowed
    event_handlers: int = 0

    def total(self) -> int:
        return sum(self.elements.values()) + len(self.urls) + len(self.embeds) + self.event_handlers

    def describe(self) -> str:
        parts = [f"{n}× <{t}>" for t, n in self.elements.most_common()]
        if self.event_handlers:
            parts.append(f"{self.event_handlers} event handler(s)")
        if self.urls:
            parts.append(f"{len(self.urls)} unsafe URL(s)")
        if self.embeds:
            hosts = sorted({urlsplit(u).hostname or (u.split(":", 1)[0] + ":") for u in self.embeds})
            parts.append(f"{len(self.embeds)} embed(s) from {', '.join(hosts)} (allow with embeds.allow_hosts)")
        return ", ".join(parts)

    def to_json(self) -> dict:
        return {
            "elements": dict(self.elements),
            "event_handlers": self.event_handlers,
            "urls": list(self.urls),
            "embeds": list(self.embeds),
        }


def host_allowed(url: str, hosts: tuple[str, ...]) -> bool:
    """``url`` is https/http (or protocol-relative) on one of ``hosts`` or a sub-domain of one."""
    return on_domains(url, hosts)


def keeps_attribute(tag: str, attr: str) -> bool:
    """Whether the allow-list keeps ``attr`` on ``tag`` (whatever its value)."""
    if tag == "script":
        return attr == "src"  # a script is kept only as an embed from an allowed host (see ``clean``)
    return attr in _GENERIC_ATTRS or attr in _ATTRS.get(tag, ()) or attr.startswith("data-")


def safe_url(value: str, *, image: bool = False) -> bool:
    """A URL a post may keep: relative, or http(s)/mailto/tel; ``data:`` only for a raster image. Read as a
    browser reads it: ``java&#9;script:`` (a tab), leading spaces or controls do not hide the scheme."""
    squeezed = _URL_NOISE.sub("", value)
    m = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*):", squeezed)
    if m is None:
        return not squeezed.startswith("\\")  # relative (but not the \\host form some browsers read as //)
    scheme = m.group(1).lower()
    if scheme == "data":
        return image and bool(_RASTER_DATA.match(squeezed))
    return scheme in _SCHEMES


def _srcset_safe(value: str) -> bool:
    return all(safe_url(c.strip().split()[0], image=True) for c in value.split(",") if c.strip())


class _Call(threading.local):
    """What one ``clean`` call's attribute filter reports to (per thread: the cleaner is built once)."""

    removed: Removed | None = None
    embed_hosts: tuple[str, ...] = DEFAULT_EMBED_HOSTS
    interrupted: list[BaseException] | None = None
    cleaner: object | None = None


_CALL = _Call()


def _filter(tag: str, attr: str, value: str) -> str | None:
    removed, embed_hosts = _CALL.removed, _CALL.embed_hosts
    assert removed is not None
    if attr == SCRIPT_MARKER:
        return value
    if tag in _EMBEDS and attr == _EMBEDS[tag]:
        if not host_allowed(value, embed_hosts):
            removed.embeds.append(value)
            return None
        return value
    if attr == "srcset":
        if _srcset_safe(value):
            return value
        removed.urls.append(value[:200])
        return None
    if attr in _URL_ATTRS and not safe_url(value, image=(tag in ("img", "source") and attr == "src")):
        removed.urls.append(value[:200])
        return None
    return value


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    # nh3 swallows what a callback raises (it prints "Exception ignored" and drops the attribute): a
    # Ctrl-C here would be lost and a half-cleaned post written, so it is kept and raised afterwards
    try:
        return _filter(tag, attr, value)
    except BaseException as e:  # noqa: BLE001
        if _CALL.interrupted is not None:
            _CALL.interrupted.append(e)
        return None


def _cleaner():  # type: ignore[no-untyped-def]
    """nh3's cleaner with the allow-lists, built once per thread (building it costs more than a post's clean)."""
    import nh3

    if _CALL.cleaner is None:
        attributes = {t: set(a) for t, a in _ATTRS.items()}
        attributes["div"] = {SCRIPT_MARKER}
        attributes["*"] = set(_GENERIC_ATTRS)
        options = dict(
            tags=set(_TAGS),
            clean_content_tags=set(_DROP_WITH_CONTENT),
            attributes=attributes,
            generic_attribute_prefixes={"data-"},
            url_schemes=set(_SCHEMES) | {"data"},
            attribute_filter=_attribute_filter,
            link_rel=None,
            strip_comments=False,
        )
        if hasattr(nh3, "Cleaner"):
            _CALL.cleaner = nh3.Cleaner(**options)
        else:  # an nh3 before its Cleaner (0.2.18): the same options on every call
            _CALL.cleaner = _PerCall(nh3.clean, options)
    return _CALL.cleaner


class _PerCall:
    def __init__(self, fn, options: dict) -> None:  # type: ignore[no-untyped-def]
        self.fn, self.options = fn, options

    def clean(self, html: str) -> str:
        return self.fn(html, **self.options)


def clean(html: str, embed_hosts: tuple[str, ...] = DEFAULT_EMBED_HOSTS) -> tuple[str, Removed]:
    """``html`` with only allowed tags, attributes, URLs and embeds, and what was removed."""
    removed = Removed()
    removed.event_handlers = len(_EVENT_ATTR.findall(html))

    def keep_script(m: re.Match[str]) -> str:  # a script is an embed: kept (as a marker) only from an allowed host
        src = m.group("src")
        if host_allowed(src, embed_hosts):
            return f'<div {SCRIPT_MARKER}="{_attr(src)}"></div>'
        removed.embeds.append(src)
        return ""

    marked = _SCRIPT_SRC.sub(keep_script, html) if "<" in html else html
    before = Counter(map(str.lower, _START_TAG.findall(marked)))

    interrupted: list[BaseException] = []
    cleaner = _cleaner()
    outer = (_CALL.removed, _CALL.embed_hosts, _CALL.interrupted)
    _CALL.removed, _CALL.embed_hosts, _CALL.interrupted = removed, embed_hosts, interrupted
    try:
        out = cleaner.clean(marked)
    finally:
        _CALL.removed, _CALL.embed_hosts, _CALL.interrupted = outer
    if interrupted:
        raise interrupted[0]
    after = Counter(map(str.lower, _START_TAG.findall(out)))
    if before != after:  # something went: count it on the parsed trees (a regex also sees text in attributes)
        gone = _element_counts(marked) - _element_counts(out)
        gone.pop("div", None)
        removed.elements.update(gone)
    return out, removed


_FULL_HTML = re.compile(r"^\s*<(?:html|!doctype)", re.IGNORECASE)  # lxml.html's test
_PARSER = threading.local()


def _nons(tag: object) -> object:
    return tag.split("}", 1)[1] if isinstance(tag, str) and tag[:1] == "{" else tag


def fragment_body(html: str):  # type: ignore[no-untyped-def]
    """The ``<body>`` element of an HTML fragment, parsed as ``lxml.html.fragment_fromstring(html,
    create_parent=...)`` parses it (its children are the fragment's; the same errors), with lxml's plain
    parser: no Python class lookup per element."""
    from lxml import etree

    parser = getattr(_PARSER, "parser", None)
    if parser is None:
        parser = _PARSER.parser = etree.HTMLParser()  # lxml.html's options; one per thread
    if not _FULL_HTML.match(html):
        html = f"<html><body>{html}</body></html>"
    doc = etree.fromstring(html, parser)
    if doc is None:
        raise etree.ParserError("Document is empty")
    bodies = [e for e in doc if _nons(e.tag) == "body"]
    if _nons(doc.tag) != "html" or len(bodies) != 1:
        raise AssertionError(f"too many bodies: {bodies!r} in {html!r}")
    return bodies[0]


def _element_counts(html: str) -> Counter[str]:
    from lxml import etree

    try:
        body = fragment_body(html)
    except (etree.ParserError, ValueError):
        return Counter()
    return Counter(el.tag.lower() for el in body.iterdescendants() if isinstance(el.tag, str))


def restore_scripts(soup) -> None:  # type: ignore[no-untyped-def]
    """Turn the markers ``clean`` left for allowed ``<script src>`` embeds back into the scripts."""
    from bs4 import Tag

    marked = [el for el in soup.descendants if isinstance(el, Tag) and el.attrs.get(SCRIPT_MARKER) is not None]
    for el in marked:  # a walk: bs4's find_all(attrs=...) builds a filter that costs more
        script = soup.new_tag("script", src=el[SCRIPT_MARKER])
        el.replace_with(script)


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
