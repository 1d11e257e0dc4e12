"""Blogger (Blogspot and custom domains): the public JSON feed, Google Takeout ``feed.atom`` and the legacy
"Back up content" XML, plus the original-size image URL helper.

Facts used here (see the project docs): feeds page with ``start-index``/``max-results`` and a ``rel=next``
link that points at ``www.blogger.com/feeds/<blogId>/...`` (so only its query is kept, asked of the
documented ``<origin>/feeds/<kind>/<projection>``), and the server's page cap has changed over time (500,
150, 100), so no page size is trusted; export entries are classified by kind category (legacy) or
``blogger:type``/``blogger:status`` (Takeout), never by id; Takeout labels use the blog's own tag URI as
their scheme, and ``settings.csv`` beside ``feed.atom`` records the address and timezone; image size tokens
(``/s320/``, ``=w640-h480``, ``s72-c``) become ``s0`` for the original.
"""

from __future__ import annotations

import csv
import html as htmllib
import itertools
import json
import logging
import re
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, ClassVar
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from migrator.dates import parse_iso, valid_timezone
from migrator.errors import BadBody, BlockedAddressError, ConfigError, FetchError, NotABlogError, SourceError
from migrator.models import Blog, Comment, Known, Post, Unreadable
from migrator.redirectmap import RedirectMap, redirect_script
from migrator.sources.base import BaseSource, OldUrls, RedirectFormat, opening_hint
from migrator.sources.markup import code_blocks as markup_code_blocks
from migrator.sources.markup import has_markers
from migrator.urls import encode_path, host_matches, normalize_origin

if TYPE_CHECKING:
    from bs4 import BeautifulSoup, Tag
    from lxml import etree

    from migrator.config import Config
    from migrator.http import Fetched, HttpClient

ATOM = "{http://www.w3.org/2005/Atom}"
BLOGGER2018 = "{http://schemas.google.com/blogger/2018}"
APP = "{http://purl.org/atom/app#}"
MEDIA = "{http://search.yahoo.com/mrss/}"
THR = "{http://purl.org/syndication/thread/1.0}"
KIND_SCHEME = "http://schemas.google.com/g/2005#kind"
LABEL_SCHEME = "http://www.blogger.com/atom/ns#"
KIND_TERM = "http://schemas.google.com/blogger/2008/kind#"

_SIZE = r"(?:[swh]\d+|w\d+-h\d+)(?:-[a-zA-Z0-9]+)*"
_SIZE_SEGMENT = re.compile(rf"^{_SIZE}$")
_SIZE_PARAM = re.compile(rf"=({_SIZE})$")
_ID = re.compile(r"\.(post|page)-(\d+)$")
_POST_PATH = re.compile(r"^/(?:\d{4}/\d{2}|p)/[^/]+\.html$")
_BLOG_TAG_SCHEME = re.compile(r"^tag:blogger\.com,1999:blog-\d+$")  # Takeout's label scheme: the blog's tag URI
# NAME.blogspot.com and its country domains (NAME.blogspot.com.br, .kr, .jp, .co.uk, .de, ...) are one blog
_BLOGSPOT_HOST = re.compile(
    r"^(?P<name>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\.blogspot\.(?:[a-z]{2,3}|[a-z]{2,3}\.[a-z]{2})$"
)
# absolute links to post-shaped paths in post HTML (to find a Takeout blog's own address)
_LINK_TO_POST = re.compile(
    r"""(?P<scheme>https?:)?//(?P<netloc>[A-Za-z0-9.-]+(?::\d+)?)(?P<path>/(?:\d{4}/\d{2}|p)/[^\s"'<>?#/]+\.html)"""
)

log = logging.getLogger("migrator")


# --- pure helpers ------------------------------------------------------------------------------------


def original_image_url(url: str) -> str:
    """The original-size form of a Blogger/Google image URL: the size token becomes ``s0``.

    >>> original_image_url("https://blogger.googleusercontent.com/img/b/R29vZ2xl/k/s320/a.png")
    'https://blogger.googleusercontent.com/img/b/R29vZ2xl/k/s0/a.png'
    """
    if url.startswith("//"):
        url = "https:" + url
    parts = urlsplit(url)
    path = parts.path
    m = _SIZE_PARAM.search(path)
    if m:
        path = path[: m.start()] + "=s0"
    else:
        segs = path.split("/")
        if len(segs) >= 4 and _SIZE_SEGMENT.match(segs[-2]):
            segs[-2] = "s0"
            path = "/".join(segs)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


def _host_regex(patterns: tuple[str, ...]) -> re.Pattern[str]:
    alts = []
    for p in patterns:
        alts.append(re.escape(p.lower()).replace(r"\*", r"[A-Za-z0-9-]*"))
    return re.compile(r"(?P<url>(?:https?:)?//(?:" + "|".join(alts) + r")(?::\d+)?/[^\s\"'<>()\\]+)", re.IGNORECASE)


# Blogger's image paths are distinctive whatever the host (a custom CDN, a mirror, a test server):
# /img/b/R29vZ2xl/<key>/<size>/<name>, /img/a/<key>=<size>, and the old /-<a>/<b>/AAAAAAAAAAI/<c>/<size>/<name>
_SHAPED_URL = re.compile(
    r"(?P<url>(?:https?:)?//[A-Za-z0-9.-]+(?::\d+)?"
    r"(?:/img/[ab]/[^\s\"'<>()\\]+|/-[\w-]+/[\w-]+/A{6,}[\w-]*/[\w-]+/[^\s\"'<>()\\]+))"
)


def rewrite_image_urls(html: str, patterns: tuple[str, ...]) -> str:
    """Rewrite every Blogger image URL in ``html`` (src, srcset, href, style) to its original size: URLs on
    the image hosts, and URLs with Blogger's image path shapes on any host."""
    rx = _host_regex(patterns)
    html = rx.sub(lambda m: original_image_url(m.group("url")), html)
    return _SHAPED_URL.sub(lambda m: original_image_url(m.group("url")), html)


def image_name(url: str) -> str:
    """The file name an image URL stands for: its last path segment without Google's size suffix
    (``…/img/a/<key>=s0`` -> ``<key>``)."""
    return unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]).split("=", 1)[0]


# --- Blogger's markup -> ordinary HTML --------------------------------------------------------------------

_MEDIA = ("img", "iframe", "embed", "object", "video", "audio")


def caption_tables(soup: BeautifulSoup, body: Tag) -> None:
    """Blogger caption tables (``table.tr-caption-container``) -> ``<figure>``: everything in the table's
    cells (every image, link and word) in order, the ``td.tr-caption`` cells as its ``<figcaption>``, and
    cells after the caption after the figure."""
    for table in [t for t in body.find_all("table") if "tr-caption-container" in (t.get("class") or [])]:
        if table.parent is None or table.find(list(_MEDIA)) is None:
            continue  # gone with an outer one, or no picture: an ordinary table
        fig, caption, after = soup.new_tag("figure"), soup.new_tag("figcaption"), soup.new_tag("div")
        for cell in [c for c in table.find_all(["td", "th"]) if c.find_parent("table") is table]:
            if "tr-caption" in (cell.get("class") or []):
                target = caption
            else:
                target = after if caption.contents else fig
            if target.contents and cell.get_text(strip=True):
                target.append(soup.new_tag("br"))
            for child in list(cell.contents):
                target.append(child.extract())
        if caption.contents:
            fig.append(caption)
        table.replace_with(fig)
        if after.contents:
            fig.insert_after(after)


def clean_html(html: str) -> str:
    """A post body as ordinary HTML: caption tables become figures, and code blocks say their language the
    way HTML does (:mod:`migrator.sources.markup`). A body with none of that is returned as it is."""
    if "tr-caption-container" not in html and not has_markers(html):
        return html
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(f"<html><body>{html}</body></html>", "lxml")
    body = soup.body
    if body is None:
        return html
    caption_tables(soup, body)
    markup_code_blocks(body)
    return body.decode_contents()


def looks_like_blogger(html: str) -> bool:
    """Recognise a Blogger page on any domain (custom domains included) from its markup."""
    markers = (
        "content='blogger' name='generator'",
        'content="blogger" name="generator"',
        'name="generator" content="blogger"',
        "name='generator' content='blogger'",
        "www.blogger.com/feeds/",
        "_WidgetManager._Init",
        "blogger.com/static/",
    )
    low = html.lower()
    return any(m.lower() in low for m in markers)


def same_blog_host(host: str) -> str:
    """The host a link's host stands for: ``NAME.blogspot.<country domain>`` is ``NAME.blogspot.com``, and
    ``www.`` is dropped (a custom domain answers with and without it).

    >>> same_blog_host("Name.blogspot.com.br")
    'name.blogspot.com'
    """
    h = host.lower().rstrip(".")
    m = _BLOGSPOT_HOST.match(h)
    if m:
        return m.group("name") + ".blogspot.com"
    return h[4:] if h.startswith("www.") else h


def is_label(scheme: str | None, term: str | None) -> bool:
    """A category that is a post label: the legacy scheme, Takeout's ``tag:blogger.com,1999:blog-<id>``
    scheme, or no scheme at all; never a kind category."""
    if not term or not term.strip():
        return False
    if not scheme:
        return not term.startswith(KIND_TERM)
    return scheme == LABEL_SCHEME or _BLOG_TAG_SCHEME.match(scheme) is not None


def strip_mobile_param(url: str) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in parts.query.split("&") if q and not q.startswith("m="))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def slug_from_path(path: str) -> str:
    """``/2023/06/my-post.html`` -> ``my-post``; ``/p/about.html`` -> ``about``."""
    base = unquote(path.rstrip("/").rsplit("/", 1)[-1])
    return base[:-5] if base.endswith(".html") else base


parse_date = parse_iso  # feed and export dates are ISO 8601


def _known_ids_by_kind(known: Known) -> dict[str, set[str]]:
    """The ids a resync knows, by kind: pages live under ``/p/`` (Blogger's URL shape), posts elsewhere."""
    out: dict[str, set[str]] = {"post": set(), "page": set()}
    for path, rec in known.items():
        out["page" if str(path).startswith("/p/") else "post"].add(str(rec.id))
    return out


def _unreadable(pid: str, kind: str, title: str, error: Exception) -> Post:
    """A post whose entry could not be read: failed, with the reason, so the run reports and retries it."""
    return Post(
        id=pid,
        kind="page" if kind == "page" else "post",
        status="live",
        title=title,
        html="",
        published=datetime(1970, 1, 1, tzinfo=UTC),
        unreadable=Unreadable(f"cannot read this entry ({type(error).__name__}: {error})"),
    )


def feed_page(content: bytes) -> dict:
    """A feed page's JSON (``{"feed": {...}}``); BadBody when it is not that."""
    try:
        data = json.loads(content.decode("utf-8", errors="replace"))
    except ValueError as e:
        raise BadBody(f"not valid JSON ({e.msg} at byte {e.pos})") from None
    if not isinstance(data, dict) or not isinstance(data.get("feed"), dict):
        raise BadBody("JSON without a 'feed' object")
    return data


def _post_id(raw_id: str) -> tuple[str | None, str | None]:
    m = _ID.search(raw_id or "")
    return (m.group(1), m.group(2)) if m else (None, None)


# --- the platform: its config section, what it declares, how it is recognised -----------------------------

# the hosts whose image URLs carry Blogger's size tokens (blogger.extra_image_hosts adds more)
IMAGE_HOSTS = (
    "blogger.googleusercontent.com",
    "*.bp.blogspot.com",
    "bp.blogspot.com",
    "lh*.googleusercontent.com",
)


@dataclass(frozen=True)
class BloggerConfig:
    """The ``blogger:`` section of the config."""

    max_results: int = 100  # page size asked of the feed (the server may cap it lower; we follow rel=next)
    pages: bool = True  # migrate static pages (/p/...)
    drafts: bool = True  # migrate drafts from exports (to _drafts/)
    labels_as: str = "tags"  # Blogger labels become "tags" or "categories"
    extra_image_hosts: tuple[str, ...] = ()  # more hosts whose URLs carry Blogger size tokens
    resync_margin: int = 3600  # seconds subtracted from the last sync for updated-min (clock skew, slow saves)

    def validate(self) -> None:
        if self.labels_as not in ("tags", "categories"):
            raise ConfigError(f"blogger.labels_as must be tags or categories, not {self.labels_as!r}")


def _taxonomy(tags: tuple[str, ...], categories: tuple[str, ...]) -> Iterator[tuple[str, str, str]]:
    # a Blogger label becomes a tag (or a category with blogger.labels_as): either way /search/label/<name>
    for t in tags:
        yield f"/search/label/{t}", "tag", t
    for c in categories:
        yield f"/search/label/{c}", "category", c


def _archive(month: str) -> list[tuple[str, str]]:
    y, m = month.split("-")
    return [(f"/{y}/{m}", month), (f"/{y}", y), (f"/{y}_{m}_01_archive.html", month)]


OLD_URLS = OldUrls(
    taxonomy=_taxonomy,
    archive_paths=_archive,
    feed_paths=("/feeds/posts/default", "/feeds/posts/summary", "/rss.xml", "/atom.xml"),
    prefixes=(("/feeds/", "feed"), ("/search/label/", "tags"), ("/search", "home")),
)


def _attr(value: str) -> str:
    return htmllib.escape(value, quote=True).replace("'", "&#39;")


_SAFE_URL = re.compile(r"^https?://[A-Za-z0-9._~:/?#\[\]@!$&()*+,;=%-]+$")
_HTML_OPEN = (
    "<html b:version='2' class='v2' expr:dir='data:blog.languageDirection' xmlns='http://www.w3.org/1999/xhtml' "
    "xmlns:b='http://www.google.com/2005/gml/b' xmlns:data='http://www.google.com/2005/gml/data' "
    "xmlns:expr='http://www.google.com/2005/gml/expr'>"
)


def blogger_theme(rmap: RedirectMap, title: str = "") -> str:
    """A Blogger layout theme (Theme -> Edit HTML -> replace everything) that sends every page to its new
    address. Server side, for crawlers and readers without JavaScript: each migrated post and page gets its
    ``<link rel=canonical>`` and ``<meta http-equiv=refresh>`` from a ``b:if`` on ``data:blog.canonicalUrl``;
    then the script maps every path (posts, pages, labels, archives, feeds; the rest to the new home)."""
    cases = []
    for origin in rmap.old_origins:
        for r in rmap.redirects:
            if r.kind not in ("post", "page"):
                continue
            old = origin + encode_path(r.old)
            if not _SAFE_URL.match(old) or not _SAFE_URL.match(r.new) or '"' in old:
                continue  # Blogger's own URLs are plain ASCII; anything else is left to the script
            cond = _attr(f'data:blog.canonicalUrl == "{old}"')
            cases.append(
                f"<b:if cond='{cond}'>\n"
                f"<link href='{_attr(r.new)}' rel='canonical'/>\n"
                f"<meta content='{_attr('0; url=' + r.new)}' http-equiv='refresh'/>\n"
                "</b:if>"
            )
    script = redirect_script(rmap)
    moved = _attr(f"This blog has moved to {rmap.home}")
    name = _attr(title or "This blog")
    return f"""<?xml version="1.0" encoding="UTF-8" ?>
<!DOCTYPE html>
{_HTML_OPEN}
<!-- Written by migrator: this theme sends every page of the blog to its new address.
     Install: Blogger -> Theme -> (the arrow next to Customize) -> Edit HTML, select everything, paste this file, Save.
     Undo: Theme -> Backup -> restore the backup you downloaded first (or pick any theme again). -->
<head>
<meta charset='UTF-8'/>
<meta content='width=device-width, initial-scale=1' name='viewport'/>
<title>{name}: {moved}</title>
{chr(10).join(cases)}
<script type='text/javascript'>//<![CDATA[
{script}
//]]></script>
<b:skin><![CDATA[
body {{ font: 18px/1.5 system-ui, sans-serif; max-width: 36em; margin: 4em auto; padding: 0 1em; }}
]]></b:skin>
</head>
<body>
<p>{moved}: <a href='{_attr(rmap.home)}'>{_attr(rmap.home)}</a></p>
<b:section class='main' id='main' maxwidgets='1' showaddelement='no'>
<b:widget id='Blog1' locked='true' title='Blog Posts' type='Blog' version='1'/>
</b:section>
</body>
</html>
"""


THEME = RedirectFormat(
    name="blogger-theme",
    filename="blogger-theme.xml",
    render=blogger_theme,
    hint="Blogger: Theme -> Backup (download the old theme first), then Edit HTML: replace all with "
    "blogger-theme.xml, Save. Settings -> Site feed -> Post feed redirect URL: the new feed.xml.",
)


def matches_host(host: str) -> bool:
    """``NAME.blogspot.com`` and its country domains."""
    return re.search(r"(^|\.)blogspot\.[a-z]{2,3}(\.[a-z]{2})?$", host.lower()) is not None


def probe_feed(url: str, http: HttpClient) -> bool:
    """The blog's own documented feed answers as Blogger's (a custom domain whose page says nothing)."""
    try:
        got = http.get(f"{url}/feeds/posts/default?alt=json&max-results=1")
        data = json.loads(got.content)
    except (FetchError, ValueError):
        return False
    feed = data.get("feed") if isinstance(data, dict) else None
    return isinstance(feed, dict) and (
        _t(feed, "generator") == "Blogger" or _t(feed, "id").startswith("tag:blogger.com,")
    )


class BloggerSource(BaseSource):
    """Blogger: read from the blog's public JSON feed (:class:`BloggerFeedSource`) or an export file
    (:class:`BloggerExportSource`). What the two share: the platform's declarations and its per-URL rules."""

    name: ClassVar[str] = "blogger"
    title: ClassVar[str] = "Blogger"
    example: ClassVar[str] = "https://example.blogspot.com"
    settings: ClassVar[type] = BloggerConfig
    probes: ClassVar[tuple[str, ...]] = ("{url}/feeds/posts/default?alt=json&max-results=1",)
    embed_hosts: ClassVar[tuple[str, ...]] = ("blogger.com",)  # Blogger's own video player (www.blogger.com/video.g)
    cdn_domains: ClassVar[tuple[str, ...]] = ("bp.blogspot.com", "googleusercontent.com")
    old_urls: ClassVar[OldUrls] = OLD_URLS
    redirect_formats: ClassVar[tuple[RedirectFormat, ...]] = (THEME,)
    file_hint: ClassVar[str] = "pass Takeout's feed.atom or the blog-MM-DD-YYYY.xml from Settings > Back up content"

    @classmethod
    def matches_url(cls, url: str) -> bool:
        return matches_host(urlsplit(url).hostname or "")

    @classmethod
    def matches_page(cls, html: str) -> bool:
        return looks_like_blogger(html)

    @classmethod
    def probe(cls, url: str, http: HttpClient) -> bool:
        return probe_feed(url, http)

    @classmethod
    def reads_file(cls, path: Path) -> bool:
        from migrator.sources import takeout  # the whole Takeout archive: an input format of its own module

        return takeout.is_takeout(path) or export_kind(path)[0] is not None

    @classmethod
    def file_problem(cls, path: Path) -> str:
        return export_kind(path)[1]

    @classmethod
    def open_url(
        cls, url: str, cfg: Config, http: HttpClient, *, resync_since: datetime | None = None
    ) -> BloggerSource:
        return BloggerFeedSource.open(url, cfg, http, resync_since=resync_since)

    @classmethod
    def open_file(cls, path: Path, cfg: Config, http: HttpClient | None = None) -> BloggerSource:
        return cls.open_files([path], cfg)

    @classmethod
    def open_files(cls, paths: list[Path], cfg: Config) -> BloggerSource:
        from migrator.sources import takeout

        if takeout.is_takeout(paths[0]):
            return takeout.open_takeout(paths, cfg)
        return open_export(paths[0], cfg) if len(paths) == 1 else super().open_files(paths, cfg)  # type: ignore[return-value]

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.image_hosts: tuple[str, ...] = IMAGE_HOSTS + tuple(cfg.blogger.extra_image_hosts)
        self.warnings: list[str] = []
        self.incomplete = False  # True when listing stopped early (deletions cannot be judged then)
        self.extra_origins: list[str] = []  # more addresses of the blog (a Takeout's settings, its own links)
        self._host_cache: tuple[tuple[str, ...], set[str]] | None = None

    def _hosts(self) -> set[str]:
        key = tuple(self.blog_origins())
        if self._host_cache is None or self._host_cache[0] != key:
            self._host_cache = (key, self.blog_hosts())
        return self._host_cache[1]

    def is_platform_image(self, url: str) -> bool:
        host = urlsplit(url if "//" in url else "https://" + url).hostname or ""
        return host_matches(host, self.image_hosts) or _SHAPED_URL.fullmatch(url) is not None

    def image_name(self, url: str) -> str:
        return image_name(url)

    def blog_origins(self) -> list[str]:
        """Every address of this blog: the canonical one first, then the one asked for, then the others."""
        found = [self.blog.url, self.origin, *self.cfg.origins, *self.extra_origins]
        return list(dict.fromkeys(u for u in found if u))

    def blog_hosts(self) -> set[str]:
        """The blog's hosts, as :func:`same_blog_host` writes them (http and https are the same blog)."""
        hosts = set()
        for u in self.blog_origins():
            h = urlsplit(u).hostname
            if h:
                hosts.add(same_blog_host(h))
        return hosts

    def internal_path(self, url: str) -> str | None:
        """The site path of a link to one of this blog's own posts or pages (http or https, any of its
        addresses and Blogspot country domains, ``?m=1`` or not)."""
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https", "") or not parts.hostname:
            return None
        if same_blog_host(parts.hostname) not in self._hosts():
            return None
        if not _POST_PATH.match(parts.path):
            return None
        return parts.path + (f"#{parts.fragment}" if parts.fragment else "")

    def _labels(self, labels: list[str]) -> dict[str, tuple[str, ...]]:
        uniq = tuple(dict.fromkeys(label.strip() for label in labels if label and label.strip()))
        if self.cfg.blogger.labels_as == "categories":
            return {"categories": uniq, "tags": ()}
        return {"tags": uniq, "categories": ()}

    def _make_post(
        self,
        *,
        post_id: str,
        kind: str,
        draft: bool,
        title: str,
        html: str,
        published: datetime | None,
        updated: datetime | None,
        url: str | None,
        labels: list[str],
        thumbnail: str | None,
        author: str | None,
        summary: str | None = None,
        error: str | None = None,
    ) -> Post:
        path = urlsplit(url).path if url else None
        slug = slug_from_path(path) if path else ""
        pub = published or updated or datetime.fromtimestamp(0).astimezone()
        return Post(
            id=post_id,
            kind="page" if kind == "page" else "post",
            status="draft" if draft else "live",
            title=title,
            html=clean_html(rewrite_image_urls(html, self.image_hosts)),
            published=pub,
            updated=updated,
            url=url,
            path=path,
            slug=slug,
            summary=summary,
            thumbnail=original_image_url(thumbnail) if thumbnail else None,
            author=author,
            unreadable=Unreadable(error) if error else None,
            **self._labels(labels),
        )


# --- the public JSON feed ----------------------------------------------------------------------------


def _same_target(text: str, href: str) -> bool:
    """True when a link's text already says where it goes (``example.com/a`` for ``https://example.com/a``,
    or Blogger's shortened ``https://example.com/very/lo...``)."""

    def norm(u: str) -> str:
        u = re.sub(r"^(?:https?:)?//|^mailto:", "", u.strip(), flags=re.IGNORECASE).rstrip("/").lower()
        return u[4:] if u.startswith("www.") else u

    t, h = norm(text), norm(href)
    if t == h:
        return True
    for ellipsis in ("...", "\u2026"):
        if t.endswith(ellipsis) and len(t) > len(ellipsis) + 3 and h.startswith(t[: -len(ellipsis)]):
            return True
    return False


def comment_text(html: str) -> str:
    """A comment's HTML as plain text: ``<br>`` (any case) and paragraph ends become line breaks, and a
    link keeps its target, as ``text (URL)`` (just the URL when the text is the URL)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "lxml")
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for a in soup.find_all("a"):
        href = str(a.get("href") or "").strip()
        text = a.get_text()
        safe = href and not href.startswith("#") and not re.match(r"(?i)\s*(javascript|vbscript|data):", href)
        if not safe or (text.strip() and _same_target(text, href)):
            a.replace_with(text)
        elif not text.strip():
            a.replace_with(href)
        else:
            a.replace_with(f"{text} ({href})")
    for block in soup.find_all(["p", "div", "blockquote", "li", "pre", "h1", "h2", "h3", "h4", "h5", "h6"]):
        block.insert_before("\n\n")
        block.insert_after("\n\n")
    lines = [line.strip() for line in soup.get_text().splitlines()]
    text = "\n".join(lines).strip()
    return re.sub(r"\n{3,}", "\n\n", text)


def _comment_from_json(entry: dict) -> tuple[str | None, Comment | None]:
    """(post id, comment) from a comments-feed entry."""
    _, cid = _post_id(_t(entry, "id"))
    reply = entry.get("thr$in-reply-to") or {}
    _, post_id = _post_id(str(reply.get("ref", ""))) if isinstance(reply, dict) else (None, None)
    if not cid or not post_id:
        return None, None
    parent = None
    for link in entry.get("link") or []:
        if isinstance(link, dict) and link.get("rel") == "related" and link.get("href"):
            parent = str(link["href"]).rstrip("/").rsplit("/", 1)[-1] or None
    authors = entry.get("author") or [{}]
    published = parse_date(_t(entry, "published")) or datetime.fromtimestamp(0).astimezone()
    html = _t(entry, "content") or _t(entry, "summary")
    author = _t(authors[0], "name") if isinstance(authors, list) and authors else ""
    return post_id, Comment(id=cid, author=author, published=published, text=comment_text(html), parent=parent)


class _ListingFailed(Exception):
    pass


def _t(obj: object, key: str, default: str = "") -> str:
    if isinstance(obj, dict):
        v = obj.get(key)
        if isinstance(v, dict):
            t = v.get("$t")
            return str(t) if t is not None else default
        if isinstance(v, str):
            return v
    return default


class BloggerFeedSource(BloggerSource):
    """Reads ``/feeds/posts/default?alt=json`` and ``/feeds/pages/default?alt=json``, page after page."""

    matches_host = staticmethod(matches_host)
    probe_feed = staticmethod(probe_feed)

    @classmethod
    def open(
        cls, url: str, cfg: Config, http: HttpClient, *, resync_since: datetime | None = None
    ) -> BloggerFeedSource:
        """The blog's first summary page read (its metadata); with ``resync_since``, that resync's questions
        asked side by side with it, the first page first (it takes the first of the blog's ``per_host``
        slots): a no-op resync's wait is then one round trip, not two, when they fit in ``per_host``."""
        src = cls(url, cfg, http)
        try:
            if resync_since is not None:
                src._opening = src._feed_url("posts", 1, "summary")  # the posts' total comes with that page
                src._ask_ahead([src._opening, *src._resync_questions(resync_since)])
            src._load_first_page()
        except BaseException:
            src._cancel_ahead()  # not a blog, or interrupted: what was not yet asked is not asked
            raise
        finally:
            src._opening = ""
        return src

    def __init__(self, url: str, cfg: Config, http: HttpClient) -> None:
        super().__init__(cfg)
        parts = urlsplit(url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.http = http
        self._first: tuple[str, dict] | None = None
        self._opening = ""  # the first page's URL while it is being read
        self.listed_ids: set[str] | None = None  # after a resync listing: every id that still exists
        self.expected_total: int | None = None  # posts the feed announced (for the progress bar)
        self._totals: dict[str, int] = {}
        self._ahead: dict[str, Future] = {}  # feed pages asked for side by side, before they are read
        self.blog = Blog(platform="blogger", url=self.origin)

    def _feed_url(self, kind: str, start: int, projection: str = "default", extra: dict | None = None) -> str:
        """A page of one of the documented feeds, on the blog's own origin: ``kind`` is ``posts``, ``pages``,
        ``comments`` or ``<postId>/comments``."""
        params = {"alt": "json", **(extra or {}), "start-index": start, "max-results": self.cfg.blogger.max_results}
        return f"{self.origin}/feeds/{kind}/{projection}?{urlencode(params)}"

    def _next_url(self, kind: str, projection: str, href: str, current: int) -> tuple[str | None, int, str]:
        """(url, start-index, problem) for a rel=next link. Blogger's links point at
        ``https://www.blogger.com/feeds/<blogId>/posts/default?alt=json&start-index=N&max-results=M``; only the
        query (every parameter: paging, orderby, updated-min...) is kept, on the documented
        ``<origin>/feeds/<kind>/<projection>`` path, which also works for custom domains."""
        query = [(k, v) for k, v in parse_qsl(urlsplit(href).query, keep_blank_values=True) if k != "alt"]
        try:
            start = int(dict(query).get("start-index", "1"))  # none: the first page
        except ValueError:
            return None, 0, "has a start-index that is not a number"
        if start <= current:
            return None, 0, f"does not advance (start-index {start} after {current})"
        return f"{self.origin}/feeds/{kind}/{projection}?{urlencode([('alt', 'json'), *query])}", start, ""

    def _ask_ahead(self, urls: list[str]) -> None:
        """Ask for feed pages side by side, in their order (at most ``per_host`` at once, as every request to
        the blog): :meth:`_get_json` then takes each answer, or its error, when the page is read. A resync's
        few requests are independent of each other; one after the other they were most of a no-op's wait.
        The threads are daemons: a run that stops (Ctrl-C, a blog that is not one) does not wait at exit for
        requests nobody will read."""
        import queue

        urls = [u for u in dict.fromkeys(urls) if u not in self._ahead and not (self._first and self._first[0] == u)]
        if len(urls) < 2:
            return
        jobs: queue.SimpleQueue[tuple[str, Future]] = queue.SimpleQueue()
        for url in urls:
            self._ahead[url] = future = Future()
            jobs.put((url, future))

        def work() -> None:
            while True:
                try:
                    url, future = jobs.get_nowait()
                except queue.Empty:
                    return
                if not future.set_running_or_notify_cancel():
                    continue  # cancelled before its turn
                try:
                    future.set_result(self._fetch_json(url))
                except BaseException as e:  # noqa: BLE001 - handed to the reader of that page
                    future.set_exception(e)

        for n in range(min(len(urls), max(1, self.http.cfg.per_host))):
            threading.Thread(target=work, name=f"feed-{n}", daemon=True).start()

    def _cancel_ahead(self) -> None:
        for future in self._ahead.values():
            future.cancel()  # those not yet started; a request on the wire ends with its own timeout

    def _get_json(self, url: str) -> dict:
        """A feed page as JSON; a body that parses badly is fetched once more (it may have been cut short)."""
        ahead = self._ahead.pop(url, None)
        if ahead is not None:
            return ahead.result()
        return self._fetch_json(url)

    def _fetch_json(self, url: str) -> dict:
        parsed: list[dict] = []

        def check(got: Fetched) -> None:
            parsed[:] = [feed_page(got.content)]

        try:
            self.http.get(url, check=check, check_attempts=2)
        except BadBody as e:
            raise NotABlogError(f"{url}: the feed answered {e.message}", "is this really a Blogger blog?") from None
        return parsed[0]

    def _load_first_page(self) -> None:
        """The blog's metadata, from the first page of the (light) summary feed; that page is also the first
        of a resync's listing. The full feed is the fallback, and the one whose errors are reported."""
        url, data = self._feed_url("posts", 1, "summary"), None
        try:
            try:
                data = self._get_json(url)
            except NotABlogError:
                url = self._feed_url("posts", 1)
            except FetchError as e:
                if e.status_code is None or isinstance(e, BlockedAddressError):
                    raise  # unreachable or refused: the full feed would fare no better
                url = self._feed_url("posts", 1)
            data = data if data is not None else self._get_json(url)
        except FetchError as e:
            if e.status_code in (401, 403):
                raise SourceError(
                    f"{self.origin} refused its feed (HTTP {e.status_code})",
                    "a private blog cannot be read from its feed: use a Takeout export file",
                ) from None
            if e.status_code == 404:
                raise NotABlogError(
                    f"{self.origin} has no Blogger feed (HTTP 404)", "check the URL or pass --platform"
                ) from None
            raise SourceError(
                f"cannot read the blog's feed: {e.message}", opening_hint(e)
            ) from None
        feed = data["feed"]
        blog_id = _t(feed, "id").rsplit("blog-", 1)[-1]
        canonical = ""
        for link in feed.get("link") or []:
            if isinstance(link, dict) and link.get("rel") == "alternate" and link.get("href"):
                canonical = str(link["href"]).rstrip("/")
        self.blog = Blog(
            platform="blogger",
            url=canonical or self.origin,
            blog_id=blog_id,
            title=_t(feed, "title"),
            description=_t(feed, "subtitle"),
            timezone=self.cfg.timezone,
        )
        self._first = (url, data)
        try:
            self.expected_total = int(_t(feed, "openSearch$totalResults", "0")) or None
        except ValueError:
            self.expected_total = None

    def _page_data(self, url: str, kind: str, projection: str, optional: bool, started: bool) -> dict | None:
        """One feed page; None when reading should stop here (the reason is in the warnings)."""
        if self._first and self._first[0] == url:
            return self._first[1]
        try:
            return self._get_json(url)
        except (FetchError, NotABlogError) as e:
            if projection == "summary" or optional:
                raise _ListingFailed(str(e)) from None
            if kind == "pages" and not started and getattr(e, "status_code", None) == 404:
                return None  # a blog without pages
            self.warnings.append(f"stopped reading the {kind} feed at {url}: {e.message}")
            self.incomplete = True
            return None

    def _pages(
        self, kind: str, projection: str = "default", extra: dict | None = None, optional: bool = False
    ) -> Iterator[dict]:
        """Every entry of one feed, following rel=next (its query, on the origin), else stepping start-index,
        until totalResults. A page that adds no new entry, or a next link that does not advance, ends it."""
        url: str | None = self._feed_url(kind, 1, projection, extra)
        asked = 1  # the start-index of the page asked for
        seen_urls: set[str] = set()
        seen_ids: set[str] = set()
        total = None
        stuck = False
        while url and url not in seen_urls:
            seen_urls.add(url)
            data = self._page_data(url, kind, projection, optional, bool(seen_ids))
            if data is None:
                return
            feed = data["feed"]
            entries = [e for e in feed.get("entry") or [] if isinstance(e, dict)]
            try:
                total = int(_t(feed, "openSearch$totalResults", "0"))
            except ValueError:
                total = None
            if projection == "default" and not extra and total is not None and kind in ("posts", "pages"):
                self._totals[kind] = total
                self.expected_total = sum(self._totals.values())
            fresh = 0
            for entry in entries:
                if _t(entry, "id") in seen_ids:
                    continue
                seen_ids.add(_t(entry, "id"))
                fresh += 1
                yield entry
            if not entries:
                break
            if not fresh:
                self.warnings.append(
                    f"the {kind} feed page at {url} repeated only entries already read; stopped paging there"
                )
                stuck = True
                break
            url, asked = self._advance(kind, projection, extra, feed, asked, len(entries), total)
        if total is not None and len(seen_ids) < total:
            self.warnings.append(
                f"the {kind} feed announced {total} entries but gave {len(seen_ids)}; "
                "an export file (Takeout) is complete"
            )
            if stuck and not optional and kind in ("posts", "pages"):
                self.incomplete = True

    def _advance(
        self, kind: str, projection: str, extra: dict | None, feed: dict, asked: int, count: int, total: int | None
    ) -> tuple[str | None, int]:
        """The next page to ask for, and its start-index: the rel=next link's query when it advances, else
        the next start-index while totalResults says there is more, else (None, 0)."""
        next_href = None
        for link in feed.get("link") or []:
            if isinstance(link, dict) and link.get("rel") == "next" and link.get("href"):
                next_href = str(link["href"])
        if next_href:
            url, start, problem = self._next_url(kind, projection, next_href, asked)
            if url:
                return url, start
            warning = f"ignored a rel=next link of the {kind} feed that {problem.split(' (')[0]}"
            if warning not in self.warnings:
                self.warnings.append(warning)
        if total is not None and asked - 1 + count < total:
            return self._feed_url(kind, asked + count, projection, extra), asked + count
        return None, 0

    def _entry_to_post(self, entry: dict, kind: str) -> Post | None:
        """The entry as a Post; an entry this reader cannot make sense of is a failed post (reported,
        retried next run), never the end of the listing."""
        try:
            return self.read_entry(entry, kind)
        except Exception as e:  # noqa: BLE001
            _, pid = _post_id(str(_t(entry, "id")))
            if not pid:
                raise
            log.debug("cannot read feed entry %s", pid, exc_info=True)
            return _unreadable(pid, kind, str(_t(entry, "title")), e)

    def read_entry(self, entry: dict, kind: str) -> Post | None:
        """One feed entry -> a Post (the page parser: pure, no I/O); None for an entry without a post id."""
        _, pid = _post_id(_t(entry, "id"))
        if not pid:
            self.warnings.append(f"skipped a feed entry without a post id ({_t(entry, 'id')!r})")
            return None
        url = None
        for link in entry.get("link") or []:
            if isinstance(link, dict) and link.get("rel") == "alternate" and link.get("href"):
                url = strip_mobile_param(str(link["href"]))
        labels = [
            str(c.get("term", ""))
            for c in entry.get("category") or []
            if isinstance(c, dict) and is_label(c.get("scheme"), str(c.get("term", "")))
        ]
        content = entry.get("content")
        error = None
        if isinstance(content, dict):
            html = _t(entry, "content")
        else:
            html = _t(entry, "summary")
            error = (
                "the feed gives only a summary of this post (the blog's feed setting is not Full); "
                "migrate from a Takeout export file, or set Settings > Site feed to Full"
            )
        thumb = entry.get("media$thumbnail")
        authors = entry.get("author") or [{}]
        return self._make_post(
            post_id=pid,
            kind=kind,
            draft=False,
            title=_t(entry, "title"),
            html=html,
            published=parse_date(_t(entry, "published")),
            updated=parse_date(_t(entry, "updated")),
            url=url,
            labels=labels,
            thumbnail=thumb.get("url") if isinstance(thumb, dict) else None,
            author=_t(authors[0], "name") or None if isinstance(authors, list) and authors else None,
            error=error,
        )

    def _comments(self, extra: dict | None = None) -> dict[str, list[Comment]]:
        """Every comment of the blog (one paged feed), grouped by post id, oldest first."""
        by_post: dict[str, list[Comment]] = {}
        try:
            for entry in self._pages("comments", "default", extra, optional=True):
                post_id, comment = _comment_from_json(entry)
                if post_id and comment:
                    by_post.setdefault(post_id, []).append(comment)
        except _ListingFailed as e:
            self.warnings.append(f"comments were not saved: the comments feed could not be read ({e})")
        for comments in by_post.values():
            comments.sort(key=lambda c: (c.published, c.id))
        return by_post

    def _with_comments(self, post: Post, comments: dict[str, list[Comment]]) -> Post:
        found = comments.get(post.id)
        return replace(post, comments=tuple(found)) if found else post

    def _still_there(self, kind: str, known: set[str], changed: set[str]) -> set[str] | None:
        """Every id of one feed that still exists, in as few requests as the numbers allow: when the feed's
        ``openSearch$totalResults`` equals what was known plus what is new since (the ``updated-min``
        answer), nothing was deleted and no listing is needed (one request, or none: the posts feed's first
        summary page was read when the source was opened). Only when the numbers do not add up (a deletion,
        or a deletion and an addition in one interval) is every id listed. None: no listing could be had."""
        total = self._feed_total(kind)
        if total is not None and total == len(known | changed):
            return known | changed
        try:
            return self._listing_ids(kind)
        except _ListingFailed:
            return None

    def _total_url(self, kind: str) -> str:
        """The page that tells one feed's total: the first summary page when the source was opened with it
        (already read), else a one-entry page (only its total is read)."""
        first_url = self._feed_url(kind, 1, "summary")
        if first_url == self._opening or (self._first and self._first[0] == first_url):
            return first_url
        return f"{self.origin}/feeds/{kind}/summary?{urlencode({'alt': 'json', 'start-index': 1, 'max-results': 1})}"

    def _feed_total(self, kind: str) -> int | None:
        url = self._total_url(kind)
        try:
            data = self._first[1] if self._first and self._first[0] == url else self._get_json(url)
            return int(_t(data["feed"], "openSearch$totalResults", ""))
        except (FetchError, NotABlogError, ValueError, KeyError, TypeError):
            return None

    def _listing_ids(self, kind: str) -> set[str]:
        """Every id of one feed from its summary projection: the first page says how many there are, the
        other pages are then fetched side by side (stepping start-index; rel=next is not needed)."""
        first_url = self._feed_url(kind, 1, "summary")
        try:
            data = self._first[1] if self._first and self._first[0] == first_url else self._get_json(first_url)
        except (FetchError, NotABlogError) as e:
            raise _ListingFailed(str(e)) from None
        feed = data["feed"]
        entries = [e for e in feed.get("entry") or [] if isinstance(e, dict)]
        try:
            total = int(_t(feed, "openSearch$totalResults", "0"))
        except ValueError:
            total = 0
        ids = {pid for e in entries if (pid := _post_id(_t(e, "id"))[1])}
        if not entries or len(entries) >= total:
            return ids
        starts = list(range(1 + len(entries), total + 1, len(entries)))

        def page(start: int) -> list[dict]:
            got = self._get_json(self._feed_url(kind, start, "summary"))
            return [e for e in got["feed"].get("entry") or [] if isinstance(e, dict)]

        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(max_workers=max(1, self.http.cfg.per_host))
        try:
            for chunk in pool.map(page, starts):
                ids |= {pid for e in chunk if (pid := _post_id(_t(e, "id"))[1])}
        except (FetchError, NotABlogError) as e:
            raise _ListingFailed(str(e)) from None
        finally:  # stopped (Ctrl-C): pages not yet asked are not asked, those on the wire are not waited for
            # here (the run's stop, or its client's close, cuts them: exit joins the pool's threads)
            pool.shutdown(wait=False, cancel_futures=True)
        if len(ids) < total:
            raise _ListingFailed(f"the summary feed listed {len(ids)} of {total} entries")
        return ids

    def _with_post_comments(self, post: Post) -> Post:
        """A post with its comments from its own comments feed (a resync reads only a few posts)."""
        if not self.cfg.comments:
            return post
        comments: list[Comment] = []
        try:
            for entry in self._pages(f"{post.id}/comments", "default", optional=True):
                _, comment = _comment_from_json(entry)
                if comment:
                    comments.append(comment)
        except _ListingFailed:
            return post
        comments.sort(key=lambda c: (c.published, c.id))
        return replace(post, comments=tuple(comments)) if comments else post

    def _single_post(self, post_id: str) -> Post | None:
        try:
            data = self.http.get(f"{self.origin}/feeds/posts/default/{post_id}?alt=json")
            entry = json.loads(data.content.decode("utf-8", errors="replace")).get("entry")
        except (FetchError, ValueError, AttributeError):
            return None
        return self._entry_to_post(entry, "post") if isinstance(entry, dict) else None

    def _feeds(self) -> list[tuple[str, str]]:
        """(feed, kind of its entries) of every feed a run reads: the posts, and the pages unless turned off."""
        return [("posts", "post")] + ([("pages", "page")] if self.cfg.blogger.pages else [])

    def _changes(self, since: datetime) -> dict[str, str]:
        """The query of a resync's "what changed": by update time, since ``since`` minus a safety margin."""
        updated_min = (since - timedelta(seconds=self.cfg.blogger.resync_margin)).isoformat(timespec="seconds")
        return {"orderby": "updated", "updated-min": updated_min}

    def _resync_questions(self, since: datetime) -> list[str]:
        """What a resync asks first, side by side: what changed in each feed, each feed's total, the new
        comments."""
        feeds = [feed_kind for feed_kind, _ in self._feeds()]
        changes = self._changes(since)
        return (
            [self._feed_url(feed_kind, 1, "default", changes) for feed_kind in feeds]
            + [self._total_url(feed_kind) for feed_kind in feeds]
            + ([self._feed_url("comments", 1, "default", changes)] if self.cfg.comments else [])
        )

    def prefetch(self, since: datetime) -> None:
        """A resync's first questions asked now (the pipeline checks the site's files meanwhile)."""
        self._ask_ahead(self._resync_questions(since))

    def posts(self, since: datetime | None = None, known: dict | None = None) -> Iterator[Post]:
        """Every post and page; with ``since`` (a resync), only those updated since then (minus a safety
        margin), while a cheap listing of the summary feed tells which ones still exist (``listed_ids``)."""
        feeds = self._feeds()
        if since is None:
            self.listed_ids = None
            comments = self._comments() if self.cfg.comments else {}
            for feed_kind, kind in feeds:
                for entry in self._pages(feed_kind):
                    post = self._entry_to_post(entry, kind)
                    if post is not None:
                        yield self._with_comments(post, comments)
            return
        listed: set[str] = set()
        yielded: set[str] = set()
        known_ids = _known_ids_by_kind(known or {})
        changes = self._changes(since)
        self._ask_ahead(self._resync_questions(since))  # unless prefetch() asked them already
        for feed_kind, kind in feeds:
            changed: list[Post] = []
            for entry in self._pages(feed_kind, "default", changes):
                post = self._entry_to_post(entry, kind)
                if post is not None:
                    changed.append(post)
            ids = self._still_there(feed_kind, known_ids[kind], {p.id for p in changed})
            if ids is None:  # no cheap listing here: read the whole feed (the planner skips what is unchanged)
                for entry in self._pages(feed_kind):
                    post = self._entry_to_post(entry, kind)
                    if post is not None:
                        yield post
                continue
            listed |= ids
            for post in changed:
                yielded.add(post.id)
                yield self._with_post_comments(post)
        if self.cfg.comments:  # a new comment on an old post: that post is read again, with its comments
            fresh = self._comments(changes)
            for post_id in sorted(set(fresh) - yielded):
                post = self._single_post(post_id)
                if post is not None:
                    yield self._with_post_comments(post)
        self.listed_ids = listed


# --- export files ------------------------------------------------------------------------------------


def export_kind(path: Path) -> tuple[str | None, str]:
    """('takeout' | 'legacy', "") for a Blogger export file, else (None, why it is not one)."""
    try:
        with open(path, "rb") as f:
            head = f.read(64 * 1024)
    except OSError as e:
        return None, f"cannot be read: {e.strerror or e}"
    text = head.decode("utf-8", errors="replace")
    if "<feed" not in text:
        return None, "is not a Blogger export (no Atom <feed>)"
    if "schemas.google.com/blogger/2018" in text:
        return "takeout", ""
    if KIND_SCHEME in text or ".archive</id>" in text or "blogger.com" in text:
        return "legacy", ""
    return None, "is an Atom feed but not a Blogger export"


def sniff_export(path: Path) -> str:
    """'takeout' | 'legacy'; raises NotABlogError for anything else."""
    kind, problem = export_kind(path)
    if kind is None:
        if problem.startswith("cannot be read"):
            raise NotABlogError(f"cannot read {path}: {problem.split(': ', 1)[-1]}")
        hint = "pass Takeout's feed.atom or the blog-MM-DD-YYYY.xml from Settings > Back up content"
        raise NotABlogError(f"{path} {problem}", hint if "no Atom" in problem else None)
    return kind


def _column(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def read_settings_csv(path: Path) -> dict[str, str]:
    """Takeout's ``settings.csv`` (a header row, then one row of values) as {column: value}, with column names
    lowercased and stripped of ``_``/spaces (``blog_time_zone`` -> ``blogtimezone``); {} when absent or
    unreadable. Column order, extra and missing columns do not matter."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            rows = list(itertools.islice(csv.reader(f), 2))
    except (OSError, UnicodeDecodeError, csv.Error):
        return {}
    if len(rows) < 2:
        return {}
    return {_column(h): v.strip() for h, v in zip(rows[0], rows[1], strict=False) if _column(h)}


def _setting(settings: dict[str, str], *names: str) -> str:
    for name in names:
        for key in (f"blog{name}", name):
            if settings.get(key):
                return settings[key]
    return ""


_NOT_AN_ADDRESS = ("feed", "redirect", "robots", "image", "icon", "analytics", "subdomain", "profile", "ads")


def settings_origins(settings: dict[str, str]) -> list[str]:
    """The blog's addresses that ``settings.csv`` records: a custom domain (any column that looks like one,
    if there is such a column) first, since Blogger redirects to it, then ``https://<blog_subdomain>.blogspot.com``."""
    found: list[str] = []
    for key, value in settings.items():
        if not value or any(word in key for word in _NOT_AN_ADDRESS):
            continue
        if "domain" in key or key in ("blogurl", "url", "bloghostname", "hostname", "blogaddress", "address"):
            try:
                origin = normalize_origin(value)
            except ConfigError:
                continue
            if "." in (urlsplit(origin).hostname or ""):
                found.append(origin)
    sub = _setting(settings, "subdomain")
    if re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?", sub):
        found.append(f"https://{sub.lower()}.blogspot.com")
    return list(dict.fromkeys(found))


def open_export(path: Path, cfg: Config) -> BloggerExportSource:
    src = BloggerExportSource(path, cfg, sniff_export(path))
    src.scan()
    return src


GONE = ("SOFT_TRASHED", "DELETED", "TRASHED")  # statuses of an export's entries that are not migrated
UNPUBLISHED = ("DRAFT", "SCHEDULED")  # migrated as drafts (blogger.drafts)


def migrated(typ: str, status: str, *, pages: bool, drafts: bool) -> bool:
    """Whether an export's entry of this type and status is migrated: posts, pages (``blogger.pages``) and
    drafts (``blogger.drafts``), never what was trashed or deleted."""
    if typ != "post" and (typ != "page" or not pages):
        return False
    return status not in GONE and (drafts or status not in UNPUBLISHED)


def listed_count(counts: Counter[str], *, pages: bool, drafts: bool) -> int:
    """How many entries :meth:`BloggerExportSource.posts` yields, from the scan's counts by ``"type (STATUS)"``:
    the progress bar's total, and what tells the run to start its conversion workers at once."""
    total = 0
    for key, n in counts.items():
        typ, _, status = key.partition(" (")
        if migrated(typ, status.rstrip(")"), pages=pages, drafts=drafts):
            total += n
    return total


def stream_feed(source: str | IO[bytes]) -> Iterator[tuple[str, etree._Element]]:
    """An Atom export streamed: ('feed', element) for the feed's own children, ('entry', element) for each
    entry, which is cleared (and its finished siblings dropped) once the caller moves on, so memory stays
    flat for any size."""
    from lxml import etree  # here: a feed read over the web never loads lxml (17 ms of every run)

    context = etree.iterparse(source, events=("end",), recover=True, huge_tree=True, resolve_entities=False)
    for _event, el in context:
        parent = el.getparent()
        if el.tag == ATOM + "entry":
            yield "entry", el
            el.clear()
            while el.getprevious() is not None and parent is not None:
                del parent[0]
        elif parent is not None and parent.getparent() is None and parent.tag == ATOM + "feed":
            yield "feed", el


class BloggerExportSource(BloggerSource):
    """Reads a Takeout ``feed.atom`` or a legacy "Back up content" ``.xml`` with a streaming parser."""

    lists_drafts = True

    def __init__(self, path: Path, cfg: Config, fmt: str) -> None:
        super().__init__(cfg)
        self.path = path
        self.format = fmt
        self.settings: dict[str, str] = {}  # the legacy export's BLOG_* settings entries
        self.csv_settings: dict[str, str] = {}  # Takeout's settings.csv beside feed.atom (see read_settings_csv)
        self.counts: Counter[str] = Counter()
        self.comments: dict[str, list[Comment]] = {}
        self.blog = Blog(platform="blogger", url=cfg.origins[0] if cfg.origins else "")
        self._filenames: set[str] = set()  # the paths of the export's own posts and pages
        self._links: Counter[tuple[str, str, str]] = Counter()  # (scheme, netloc, path) of absolute links to such paths

    def _iter(self) -> Iterator[tuple[str, etree._Element]]:
        """('feed', element) for feed-level children, ('entry', element) for entries."""
        from lxml import etree

        try:
            yield from stream_feed(str(self.path))
        except etree.XMLSyntaxError as e:
            raise NotABlogError(f"{self.path} is not well-formed XML: {e}") from None

    def _classify(self, el: etree._Element) -> tuple[str, str]:
        """(type, status): type in post/page/comment/settings/template/other."""
        if self.format == "takeout":
            typ = (el.findtext(BLOGGER2018 + "type") or "other").strip().lower()
            status = (el.findtext(BLOGGER2018 + "status") or "LIVE").strip().upper()
            return typ, status
        typ = "other"
        for cat in el.findall(ATOM + "category"):
            if cat.get("scheme") == KIND_SCHEME:
                typ = (cat.get("term") or "").rsplit("#", 1)[-1] or "other"
        draft = (el.findtext(f"{APP}control/{APP}draft") or "").strip().lower() == "yes"
        return typ, "DRAFT" if draft else "LIVE"

    def _add_comment(self, el: etree._Element) -> None:
        _, cid = _post_id(el.findtext(ATOM + "id") or "")
        parent = None
        if self.format == "takeout":
            raw_post = (el.findtext(BLOGGER2018 + "parent") or "").strip()
            post_id = _post_id(raw_post)[1] or (raw_post if raw_post.isdigit() else None)
            raw_parent = (el.findtext(BLOGGER2018 + "inReplyTo") or "").strip()
            parent = _post_id(raw_parent)[1] or raw_parent or None
        else:
            reply = el.find(THR + "in-reply-to")
            post_id = _post_id(reply.get("ref") or "")[1] if reply is not None else None
            for link in el.findall(ATOM + "link"):
                if link.get("rel") == "related" and link.get("href"):
                    parent = link.get("href", "").rstrip("/").rsplit("/", 1)[-1] or None
        if not cid or not post_id:
            return
        published = parse_date(el.findtext(ATOM + "published")) or datetime.fromtimestamp(0).astimezone()
        comment = Comment(
            id=cid,
            author=el.findtext(f"{ATOM}author/{ATOM}name") or "",
            published=published,
            text=comment_text(el.findtext(ATOM + "content") or ""),
            parent=parent,
        )
        self.comments.setdefault(post_id, []).append(comment)

    def scan(self) -> None:
        """A cheap first pass: blog metadata, settings, and counts by type and status."""
        feed_id = title = alternate = ""
        for what, el in self._iter():
            if what == "feed":
                if el.tag == ATOM + "id":
                    feed_id = el.text or ""
                elif el.tag == ATOM + "title":
                    title = el.text or ""
                elif el.tag == ATOM + "link" and el.get("rel") == "alternate":
                    alternate = el.get("href") or ""
                continue
            typ, status = self._classify(el)
            self.counts[f"{typ} ({status})" if typ in ("post", "page") else typ] += 1
            if typ in ("post", "page"):
                self._note_links(el)
            if typ == "comment" and status == "LIVE" and self.cfg.comments:
                self._add_comment(el)
            if typ == "settings":
                key = (el.findtext(ATOM + "id") or "").rsplit(".settings.", 1)[-1]
                self.settings[key] = el.findtext(ATOM + "content") or ""
        posts = sum(n for k, n in self.counts.items() if k.startswith("post ("))
        self.expected_total = listed_count(self.counts, pages=self.cfg.blogger.pages, drafts=self.cfg.blogger.drafts)
        if posts == 0:
            found = ", ".join(f"{n} {k}" for k, n in sorted(self.counts.items())) or "no entries at all"
            raise NotABlogError(
                f"{self.path} holds no posts (found: {found})",
                "export the blog again from Blogger or Takeout; a theme-only file has no posts",
            )
        if self.format == "takeout":
            self.csv_settings = self._read_settings()
        csv_ = self.csv_settings
        recorded = list(self.cfg.origins) + settings_origins(csv_)
        if alternate:
            recorded.append(normalize_origin(alternate) if _is_url(alternate) else alternate.rstrip("/"))
        inferred = self._inferred_origins()
        self._links, self._filenames = Counter(), set()  # only the origins needed them: 100,000 posts' links
        origins = list(dict.fromkeys(recorded + inferred))
        if not recorded and inferred:
            self.warnings.append(
                f"the export does not record the blog's address; took {inferred[0]} from the posts' own links "
                "(pass --origin to set it)"
            )
        elif not origins:
            self.warnings.append(
                "the export does not record the blog's address; pass --origin https://NAME.blogspot.com "
                "so source_url and internal links are absolute"
            )
        self.extra_origins = origins[1:]
        tz = (
            self.cfg.timezone
            or valid_timezone(_setting(csv_, "timezone"))
            or self.settings.get("BLOG_TIME_ZONE")
            or None
        )
        self.blog = Blog(
            platform="blogger",
            url=origins[0] if origins else "",
            blog_id=feed_id.rsplit("blog-", 1)[-1].split(".")[0],
            title=_setting(csv_, "name") or self.settings.get("BLOG_NAME") or title,
            description=_setting(csv_, "description") or self.settings.get("BLOG_DESCRIPTION", ""),
            timezone=valid_timezone(tz),
            locale=_setting(csv_, "locale") or self.settings.get("BLOG_LOCALE", ""),
        )

    def _read_settings(self) -> dict[str, str]:
        """Takeout's settings.csv, beside feed.atom (an archive reads it from the archive)."""
        return read_settings_csv(self.path.parent / "settings.csv")

    def _note_links(self, el: etree._Element) -> None:
        """Remember a post's own path, and the hosts of its absolute links to post-shaped paths: the blog's
        address is the host whose links lead to the export's own posts (see :meth:`_inferred_origins`)."""
        filename = (el.findtext(BLOGGER2018 + "filename") or "").strip()
        if filename:
            self._filenames.add(filename)
        for link in el.findall(ATOM + "link"):
            if link.get("rel") == "alternate" and link.get("href"):
                self._filenames.add(urlsplit(link.get("href") or "").path)
        for m in _LINK_TO_POST.finditer(el.findtext(ATOM + "content") or ""):
            self._links[((m.group("scheme") or "https:")[:-1].lower(), m.group("netloc").lower(), m.group("path"))] += 1

    def _inferred_origins(self) -> list[str]:
        """Origins whose links (in the posts' HTML) lead to the export's own paths, the most linked first;
        https when a host is linked both ways. A host counts with two distinct own paths, or one that is not
        Blogger's generic ``blog-post_NN.html`` (which many blogs share)."""
        paths: dict[str, set[str]] = {}
        links: Counter[str] = Counter()
        https: set[str] = set()
        for (scheme, netloc, path), n in self._links.items():
            if unquote(path) in self._filenames or path in self._filenames:
                paths.setdefault(netloc, set()).add(path)
                links[netloc] += n
                if scheme == "https":
                    https.add(netloc)
        good = [
            h for h, p in paths.items() if len(p) > 1 or not re.search(r"/blog-post(?:_\d+)?\.html$", next(iter(p)))
        ]
        good.sort(key=lambda h: (-len(paths[h]), -links[h], h))
        return [f"{'https' if h in https else 'http'}://{h}" for h in good]

    def posts(self, since: datetime | None = None, known: dict | None = None) -> Iterator[Post]:
        """Every entry of the file (an export is read whole: it is local and has no cheaper listing), once: each
        post takes its comments with it (a second listing would have none)."""
        for what, el in self._iter():
            if what != "entry":
                continue
            typ, status = self._classify(el)
            if not migrated(typ, status, pages=self.cfg.blogger.pages, drafts=self.cfg.blogger.drafts):
                continue
            draft = status in UNPUBLISHED
            try:
                post = self._entry(el, typ, draft)
            except Exception as e:  # noqa: BLE001 - one entry fails alone, the rest of the file is read
                _, pid = _post_id(el.findtext(ATOM + "id") or "")
                if not pid:
                    raise
                log.debug("cannot read export entry %s", pid, exc_info=True)
                post = _unreadable(pid, typ, el.findtext(ATOM + "title") or "", e)
            if post is not None:  # a post's comments go with it, and are not held for the rest of the file
                found = sorted(self.comments.pop(post.id, ()), key=lambda c: (c.published, c.id))
                yield replace(post, comments=tuple(found)) if found else post

    def _entry(self, el: etree._Element, typ: str, draft: bool) -> Post | None:
        _, pid = _post_id(el.findtext(ATOM + "id") or "")
        if not pid:
            self.warnings.append(f"skipped an export entry without an id ({el.findtext(ATOM + 'id')!r})")
            return None
        url = None
        if self.format == "takeout":
            filename = (el.findtext(BLOGGER2018 + "filename") or "").strip()
            if filename and not draft:
                url = (self.blog.url + filename) if self.blog.url else filename
        else:
            for link in el.findall(ATOM + "link"):
                if link.get("rel") == "alternate" and link.get("href") and not draft:
                    url = strip_mobile_param(link.get("href") or "")
        labels = [
            c.get("term") or "" for c in el.findall(ATOM + "category") if is_label(c.get("scheme"), c.get("term"))
        ]
        thumb = el.find(MEDIA + "thumbnail")
        author = el.findtext(f"{ATOM}author/{ATOM}name")
        return self._make_post(
            post_id=pid,
            kind=typ,
            draft=draft,
            title=el.findtext(ATOM + "title") or "",
            html=el.findtext(ATOM + "content") or "",
            published=parse_date(el.findtext(ATOM + "published")),
            updated=parse_date(el.findtext(ATOM + "updated")),
            url=url,
            labels=labels,
            thumbnail=thumb.get("url") if thumb is not None else None,
            author=author,
            summary=(el.findtext(BLOGGER2018 + "metaDescription") or None) if self.format == "takeout" else None,
        )


def _is_url(value: str) -> bool:
    try:
        normalize_origin(value)
    except ConfigError:
        return False
    return "://" in value
