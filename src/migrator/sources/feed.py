"""Any blog's RSS 2.0 or Atom feed: a URL that answers with one, or a local ``.xml``/``.atom``/``.rss`` feed
file (a Blogger export is Blogger's: that source is asked first).

Each item is a post: its title, date (``pubDate``, ``published``, ``dc:date``), categories, link (the post's
address and old path) and body (``content:encoded`` or ``description``; Atom's ``content`` or ``summary``).
One document is read, no paging is followed: a feed holds the newest posts only, so a post that left it is
kept (``listed_ids``), never judged deleted. Old highlighters' code blocks become plain HTML
(:mod:`migrator.sources.markup`); there is no image CDN, no config section and no redirect format of its
own (the server formats for a domain you keep apply).
"""

from __future__ import annotations

import hashlib
import html as htmllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import unquote, urlsplit

from migrator.dates import parse_any
from migrator.errors import FetchError, NotABlogError, SourceError
from migrator.models import Blog, Known, Post
from migrator.runtime import LazyModule
from migrator.sources.base import BaseSource
from migrator.sources.markup import clean_html
from migrator.urls import origin_of, site_host

etree = LazyModule("lxml.etree")  # loaded when first used: not by the platform registry

if TYPE_CHECKING:
    from migrator.config import Config
    from migrator.http import HttpClient

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
DC = "{http://purl.org/dc/elements/1.1/}"
SUFFIXES = (".xml", ".atom", ".rss")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# --- the document -> records (pure) ---------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One item (RSS) or entry (Atom), as the feed writes it."""

    id: str
    title: str
    link: str | None
    published: str | None
    updated: str | None
    categories: tuple[str, ...]
    html: str
    author: str | None = None


@dataclass(frozen=True)
class Feed:
    title: str
    link: str  # the blog's address, as the feed gives it ("" when it does not)
    description: str
    items: tuple[Item, ...] = field(default_factory=tuple)


def _text(el: etree._Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


def _atom_content(el: etree._Element | None) -> str:
    """An Atom text construct as HTML: ``html`` (escaped markup), ``xhtml`` (a div of markup) or ``text``."""
    if el is None:
        return ""
    kind = (el.get("type") or "text").lower()
    if kind == "xhtml":
        inner = next(iter(el), None)
        holder = inner if inner is not None else el
        parts = [htmllib.escape(holder.text or "")] + [
            etree.tostring(child, encoding="unicode", method="html") for child in holder
        ]
        return "".join(parts).replace(' xmlns="http://www.w3.org/1999/xhtml"', "")
    if kind in ("html", "text/html"):
        return el.text or ""
    return "<p>" + htmllib.escape(el.text or "") + "</p>" if (el.text or "").strip() else ""


def _stable_id(*parts: str | None) -> str:
    return hashlib.sha256("\n".join(p or "" for p in parts).encode("utf-8")).hexdigest()[:16]


def _rss_item(el: etree._Element) -> Item:
    link = _text(el.find("link")) or None
    guid = _text(el.find("guid"))
    title = _text(el.find("title"))
    published = _text(el.find("pubDate")) or _text(el.find(DC + "date")) or None
    body = el.findtext(CONTENT + "encoded") or el.findtext("description") or ""
    return Item(
        id=guid or link or _stable_id(title, published),
        title=title,
        link=link,
        published=published,
        updated=None,
        categories=tuple(dict.fromkeys(t for c in el.findall("category") if (t := _text(c)))),
        html=body,
        author=_text(el.find(DC + "creator")) or _text(el.find("author")) or None,
    )


def _atom_link(el: etree._Element) -> str | None:
    for link in el.findall(ATOM + "link"):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link.get("href")
    return None


def _atom_entry(el: etree._Element) -> Item:
    link = _atom_link(el)
    title = _text(el.find(ATOM + "title"))
    published = _text(el.find(ATOM + "published")) or None
    updated = _text(el.find(ATOM + "updated")) or None
    content = el.find(ATOM + "content")
    body = _atom_content(content) if content is not None else _atom_content(el.find(ATOM + "summary"))
    terms = (c.get("label") or c.get("term") or "" for c in el.findall(ATOM + "category"))
    return Item(
        id=_text(el.find(ATOM + "id")) or link or _stable_id(title, published or updated),
        title=title,
        link=link,
        published=published or updated,
        updated=updated if published else None,
        categories=tuple(dict.fromkeys(t.strip() for t in terms if t.strip())),
        html=body,
        author=_text(el.find(f"{ATOM}author/{ATOM}name")) or None,
    )


def parse_feed(data: bytes) -> Feed | None:
    """An RSS 2.0 or Atom document -> a Feed; None for anything else (not XML, another root). No I/O."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        root = etree.fromstring(data.lstrip(), parser=parser)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root.tag == "rss":
        channel = root.find("channel")
        if channel is None:
            return None
        return Feed(
            title=_text(channel.find("title")),
            link=_text(channel.find("link")),
            description=_text(channel.find("description")),
            items=tuple(_rss_item(el) for el in channel.findall("item")),
        )
    if root.tag == ATOM + "feed":
        return Feed(
            title=_text(root.find(ATOM + "title")),
            link=_atom_link(root) or "",
            description=_text(root.find(ATOM + "subtitle")),
            items=tuple(_atom_entry(el) for el in root.findall(ATOM + "entry")),
        )
    return None


def _slug(path: str, title: str) -> str:
    """``/2024/03/my-post.html`` -> ``my-post``; ``/my-post/`` -> ``my-post``; else the title."""
    for segment in reversed([s for s in path.split("/") if s]):
        stem = unquote(segment).rsplit(".", 1)[0] if "." in segment else unquote(segment)
        if stem and stem not in ("index", "feed"):
            return stem
    return title


def item_post(item: Item) -> Post:
    """One item as a Post (pure): the link is the post's address and old path, categories stay categories."""
    path = urlsplit(item.link).path if item.link else None
    return Post(
        id=item.id,
        kind="post",
        status="live",
        title=item.title,
        html=clean_html(item.html),
        published=parse_any(item.published) or EPOCH,
        updated=parse_any(item.updated),
        url=item.link,
        path=path or None,
        slug=_slug(path or "", item.title),
        categories=item.categories,
        author=item.author,
    )


# --- the source ----------------------------------------------------------------------------------------

EXAMPLE = (
    "<?xml version='1.0'?><rss version='2.0'><channel><title>A blog</title><link>https://blog.example.com/</link>"
    "<item><title>Hello</title><link>https://blog.example.com/2024/03/hello.html</link>"
    "<pubDate>Sat, 02 Mar 2024 09:15:00 +0900</pubDate><description>&lt;p&gt;Hi&lt;/p&gt;</description></item>"
    "</channel></rss>"
)


def _is_feed(data: bytes | str) -> bool:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    head = raw[:2048].lower()
    return (b"<rss" in head or b"<feed" in head) and bool((feed := parse_feed(raw)) and feed.items)


class FeedSource(BaseSource):
    """A plain RSS 2.0 or Atom feed of any blog."""

    name: ClassVar[str] = "feed"
    title: ClassVar[str] = "RSS/Atom feed"
    example: ClassVar[str] = "https://blog.example.com/feed.xml"
    example_response: ClassVar[str | None] = EXAMPLE
    probes: ClassVar[tuple[str, ...]] = ("{url}",)  # the URL as given: a feed's address has a path
    file_hint: ClassVar[str] = "pass an RSS or Atom feed file (.xml, .atom, .rss)"

    @classmethod
    def matches_page(cls, html: str) -> bool:
        return _is_feed(html)

    @classmethod
    def probe(cls, url: str, http: HttpClient) -> bool:
        try:
            return _is_feed(http.get(url).content)
        except FetchError:
            return False

    @classmethod
    def reads_file(cls, path: Path) -> bool:
        if path.suffix.lower() not in SUFFIXES:
            return False
        try:
            return _is_feed(path.read_bytes())
        except OSError:
            return False

    @classmethod
    def file_problem(cls, path: Path) -> str:
        return "is not an RSS or Atom feed with items"

    @classmethod
    def open_url(cls, url: str, cfg: Config, http: HttpClient, *, resync_since: datetime | None = None) -> FeedSource:
        # resync_since is not used: a feed is one document, read whole by every run
        for candidate in (url, url + "/"):  # as given, else the page that answered as a feed
            try:
                feed = parse_feed(http.get(candidate).content)
            except FetchError as e:
                if e.status_code is None:
                    raise SourceError(f"cannot read the feed: {e.message}", e.hint or "check the URL") from None
                continue
            if feed is not None:
                return cls(feed, cfg, origin=url)
        raise NotABlogError(f"{url} is not an RSS or Atom feed", "pass the feed's own address")

    @classmethod
    def open_file(cls, path: Path, cfg: Config, http: HttpClient | None = None) -> FeedSource:
        try:
            feed = parse_feed(path.read_bytes())
        except OSError as e:
            raise NotABlogError(f"cannot read {path}: {e.strerror or e}") from None
        if feed is None:
            raise NotABlogError(f"{path} is not an RSS or Atom feed")
        return cls(feed, cfg)

    def __init__(self, feed: Feed, cfg: Config, origin: str = "") -> None:
        self.feed = feed
        self.cfg = cfg
        self.origin = origin
        self.warnings: list[str] = []
        links = [i.link for i in feed.items if i.link]
        home = feed.link or (links[0] if links else "") or origin
        self.blog = Blog(
            platform=self.name,
            url=cfg.origins[0] if cfg.origins else (origin_of(home) if "://" in home else ""),
            title=feed.title,
            description=feed.description,
            timezone=cfg.timezone,
        )
        hosts = [self.blog.url, *cfg.origins, *links]
        self._hosts = {h for h in (site_host(u) for u in hosts) if h}
        self._paths = {urlsplit(u).path for u in links}
        self.expected_total = len(feed.items)

    def posts(self, since: datetime | None = None, known: Known | None = None) -> Iterator[Post]:
        """Every item of the feed; what the manifest knows beyond it stays listed (a feed is a window)."""
        self.listed_ids = {k.id for k in (known or {}).values()}
        for item in self.feed.items:
            post = item_post(item)
            if post.published is EPOCH:
                self.warnings.append(f"{post.url or post.title}: no date in the feed; dated 1970-01-01")
            yield post

    def internal_path(self, url: str) -> str | None:
        """A link to another item of the feed goes to the new site."""
        parts = urlsplit(url)
        if site_host(url) not in self._hosts or parts.path not in self._paths:
            return None
        return parts.path + (f"#{parts.fragment}" if parts.fragment else "")
