"""The Source protocol and ``find_source``: which platform reads SOURCE.

A new platform is one module in this package that provides a class satisfying :class:`Source` and is
listed in ``SOURCES``; nothing downstream changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

from migrator.config import Config
from migrator.errors import FetchError, NotABlogError, SourceError, UsageError
from migrator.http import HttpClient
from migrator.models import Blog, Post


@runtime_checkable
class Source(Protocol):
    name: str  # platform name: "blogger", "tistory"
    blog: Blog
    warnings: list[str]

    def posts(
        self, since: datetime | None = None, known: dict[str, tuple[str, str | None]] | None = None
    ) -> Iterator[Post]:
        """Every post, page and draft. On a resync, ``since`` is the last complete sync and ``known`` maps
        each migrated post's old path to (post id, updated): a source may then skip what has not changed,
        and sets ``listed_ids`` to every id that still exists (so nothing skipped is taken as deleted)."""
        ...

    def is_platform_image(self, url: str) -> bool:
        """True when ``url`` is hosted by the platform's image CDN (``verify`` flags such leftovers)."""
        ...

    def asset_headers(self, url: str) -> dict[str, str]:
        """Extra request headers an asset download needs (a Referer for some CDNs)."""
        ...

    def internal_path(self, url: str) -> str | None:
        """The old path of a link to one of the blog's own posts or pages, else None."""
        ...

    def asset_key(self, url: str) -> str:
        """The stable identity of an image URL (drops signatures that change while the image does not)."""
        ...


def normalize_source_url(source: str) -> str | None:
    """``name.blogspot.com`` -> ``https://name.blogspot.com``; None when it is not a URL at all."""
    s = source.strip()
    if "://" not in s:
        if "/" in s.split("?")[0].rstrip("/") or "." not in s or " " in s:
            return None
        s = "https://" + s
    parts = urlsplit(s)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    path = parts.path.rstrip("/")
    return f"{parts.scheme}://{parts.netloc}{path}"


EXPORT_SUFFIXES = (".xml", ".atom", ".zip", ".json", ".csv", ".html", ".htm", ".tgz", ".gz")


def looks_like_a_file(source: str) -> bool:
    """A SOURCE that names a file rather than a blog (``feed.atom``, ``./blog.xml``, ``C:\\x.zip``)."""
    s = source.strip()
    if "://" in s:
        return False
    return s.lower().endswith(EXPORT_SUFFIXES) or s.startswith((".", "/", "~", "\\")) or "\\" in s


def find_source(source: str, cfg: Config, http: HttpClient, known_platform: str | None = None) -> Source:
    """Pick the platform module that reads SOURCE (a file path or a URL) and open it.

    ``known_platform`` is what an earlier run recorded for this same URL (a resync skips detection)."""
    from migrator.sources import blogger, tistory

    path = Path(source)
    if path.exists():
        if path.is_dir():
            raise UsageError(f"{source} is a directory", "pass the export file itself (feed.atom or blog-*.xml)")
        if cfg.platform == "tistory":
            raise UsageError("Tistory has no export file format that migrator reads; pass the blog's URL")
        return blogger.open_export(path, cfg)

    if looks_like_a_file(source):
        raise UsageError(f"file not found: {source}", "check the path of the export file")
    url = normalize_source_url(source)
    if url is None:
        raise UsageError(
            f"SOURCE {source!r} is neither an existing file nor a blog URL",
            "pass https://NAME.blogspot.com, a custom-domain URL, or a Blogger export file",
        )
    if cfg.platform == "blogger" or (cfg.platform == "auto" and known_platform == "blogger"):
        return blogger.BloggerFeedSource.open(url, cfg, http)
    if cfg.platform == "tistory" or (cfg.platform == "auto" and known_platform == "tistory"):
        return tistory.TistorySource.open(url, cfg, http)
    host = urlsplit(url).hostname or ""
    if blogger.BloggerFeedSource.matches_host(host):
        return blogger.BloggerFeedSource.open(url, cfg, http)
    if tistory.TistorySource.matches_host(host):
        return tistory.TistorySource.open(url, cfg, http)
    # A custom domain: look at the page itself.
    try:
        html = http.get(url + "/").text()
    except FetchError as e:
        if e.status_code is None:  # nothing answered at all
            raise SourceError(f"cannot reach {url}: {e.message}", e.hint or "check the URL and your network") from None
        html = ""  # it answered with an error page: still try the feeds below
    if blogger.looks_like_blogger(html):
        return blogger.BloggerFeedSource.open(url, cfg, http)
    if tistory.looks_like_tistory(html):
        return tistory.TistorySource.open(url, cfg, http)
    if blogger.BloggerFeedSource.probe_feed(url, http):
        return blogger.BloggerFeedSource.open(url, cfg, http)
    raise NotABlogError(
        f"{url} does not look like a Blogger or Tistory blog",
        "pass --platform blogger or --platform tistory if you are sure",
    )
