"""The source contract: what a platform module declares, and what an opened source gives the pipeline.

A platform is one module in this package with one class that satisfies :class:`Source` (most inherit
:class:`BaseSource`, which gives every optional part a default), listed once in ``SOURCES``
(``sources/__init__.py``). Nothing outside ``sources/`` names a platform: the core asks the class.

What the class declares, read without opening anything:

- ``name`` (the ``--platform`` value, the manifest's ``platform``, the config section ``<name>:``), ``title``,
  ``example`` (an input that must route to it: the routing test checks; ``example_response`` is what it
  answers when it is recognised by an answer), ``settings`` (the dataclass of its config section, or None);
- how it recognises an input, cheapest first: ``matches_url`` (the URL alone), ``matches_page`` (the page
  the core fetched once, ``<url>/``), ``probe`` (requests of its own, which it lists in ``probes``), and
  ``reads_file`` (a local file; ``file_problem`` and ``file_hint`` say why not, and what to pass instead);
- what the rest of the tool needs to know of the platform: ``embed_hosts`` (iframes a post may keep),
  ``cdn_domains`` (an image left on one of them after a migration is a problem ``verify`` reports),
  ``old_urls`` (the URL shapes ``migrator redirects`` maps, and the listing addresses the new site answers
  with an archive page: ``OldUrls.archive_pages``), ``redirect_formats`` (what the old platform can be told,
  to send its readers on).

What an opened source gives: ``blog``, ``posts()`` (ordinary HTML: the platform's markup already turned into
plain HTML, image URLs already the originals), the facts the pipeline reads after the listing
(``incomplete``, ``listed_ids``, ``expected_total``, ``warnings``, ``origin``, ``origins``), and the per-URL
rules (``is_platform_image``, ``asset_key``, ``asset_headers``, ``internal_path``, ``aliases``, ``image_name``).

An export may also say (defaults in :class:`BaseSource`): ``open_files`` (several files that are one export,
the parts of a split archive), ``local_asset`` (an image or attachment it holds itself, such as a file in
a backup archive or a Takeout's album photo: copied instead of downloaded),
``as_of`` (its content is as of then: the next resync asks for changes since) and ``lists_drafts``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable
from urllib.parse import unquote, urlsplit

from migrator.models import Blog, Known, LocalCopy, Post

if TYPE_CHECKING:
    from migrator.config import Config
    from migrator.errors import FetchError
    from migrator.http import HttpClient
    from migrator.redirectmap import RedirectMap


# --- what a platform declares for `migrator redirects` -------------------------------------------------


def _no_post_paths(post_id: str, path: str) -> list[str]:
    return []


def _no_taxonomy(tags: tuple[str, ...], categories: tuple[str, ...]) -> Iterator[tuple[str, str, str]]:
    return iter(())


def _no_archive(month: str) -> list[tuple[str, str]]:
    return []


@dataclass(frozen=True)
class ArchivePage:
    """An old listing address (a tag's, a category's) that the new site answers with a page of the posts it
    lists, at that exact path (``migrator`` writes it: see ``archives.py``)."""

    path: str  # the old path, decoded: "/category/IT/DevOps", "/tag/Dirty Flag", "/search/label/News"
    key: str  # the front matter key the page lists by: "tags" | "categories"
    names: tuple[str, ...]  # a tag's or label's name; a category's path from the top ("IT", "DevOps")
    nested: bool = False  # names is a path from the top: the page lists the posts at it and below it
    aliases: tuple[str, ...] = ()  # more old paths of the same listing (mobile forms): they redirect to it


@dataclass(frozen=True)
class OldUrls:
    """A platform's URL shapes, beyond each post's own path, that ``migrator redirects`` maps."""

    # (post id, old path) -> more old paths of the same post (mobile forms, numeric ids)
    post_paths: Callable[[str, str], list[str]] = _no_post_paths
    # a post's (tags, categories) -> (old path, "tag" | "category", the name it lands on)
    taxonomy: Callable[[tuple[str, ...], tuple[str, ...]], Iterable[tuple[str, str, str]]] = _no_taxonomy
    # "2024-03" -> (old archive path, the anchor it lands on: "2024-03" or "2024") of that month and its year
    archive_paths: Callable[[str], list[tuple[str, str]]] = _no_archive
    feed_paths: tuple[str, ...] = ()  # the old feeds -> the new feed
    # (old path prefix, landing): what is left of a kind ("tags", "categories", "archive", "feed", "home")
    prefixes: tuple[tuple[str, str], ...] = ()
    # a post's (tags, categories) -> the archive pages its old listing addresses become; None: one flat page
    # per ``taxonomy`` path (see :func:`archive_pages`)
    archive_pages: Callable[[tuple[str, ...], tuple[str, ...]], Iterable[ArchivePage]] | None = None


def archive_pages(urls: OldUrls, tags: tuple[str, ...], categories: tuple[str, ...]) -> list[ArchivePage]:
    """The archive pages one post is listed on: what the platform declares, else one page per old
    ``taxonomy`` path, listing the posts that carry that name (Blogger's ``/search/label/<name>``)."""
    if urls.archive_pages is not None:
        return list(urls.archive_pages(tags, categories))
    return [
        ArchivePage(path, "tags" if kind == "tag" else "categories", (name,))
        for path, kind, name in urls.taxonomy(tags, categories)
    ]


@dataclass(frozen=True)
class RedirectFormat:
    """A file that makes the old platform itself send readers to the new site (a theme, a skin snippet)."""

    name: str  # the --format value: "blogger-theme"
    filename: str  # written into _migrator/redirects/
    render: Callable[[RedirectMap, str], str]  # (the map, the blog's title) -> the file's text
    hint: str  # one line: how to install it


# --- the contract -----------------------------------------------------------------------------------------


@runtime_checkable
class Source(Protocol):
    """A platform module's class (the class-level part) and an opened blog (the instance part)."""

    name: ClassVar[str]
    title: ClassVar[str]
    example: ClassVar[str]
    example_response: ClassVar[str | None]
    settings: ClassVar[type | None]
    probes: ClassVar[tuple[str, ...]]
    embed_hosts: ClassVar[tuple[str, ...]]
    cdn_domains: ClassVar[tuple[str, ...]]
    old_urls: ClassVar[OldUrls]
    redirect_formats: ClassVar[tuple[RedirectFormat, ...]]
    file_hint: ClassVar[str]

    blog: Blog
    warnings: list[str]
    incomplete: bool  # the listing stopped early: nothing may be judged deleted, the next run reads all
    listed_ids: set[str] | None  # after a resync listing: every id that still exists (unchanged ones too)
    expected_total: int | None  # how many posts the listing announced (for the progress bar)
    origin: str  # the address asked for ("" for a file): the next run from it skips recognition
    origins: tuple[str, ...]  # more addresses of the blog, recorded in the manifest
    as_of: datetime | None  # an export's content is as of then (None: now)
    lists_drafts: bool  # the listing includes drafts (a draft missing from it is deleted)

    @classmethod
    def matches_url(cls, url: str) -> bool: ...

    @classmethod
    def matches_page(cls, html: str) -> bool: ...

    @classmethod
    def probe(cls, url: str, http: HttpClient) -> bool: ...

    @classmethod
    def reads_file(cls, path: Path) -> bool: ...

    @classmethod
    def file_problem(cls, path: Path) -> str: ...

    @classmethod
    def open_url(cls, url: str, cfg: Config, http: HttpClient, *, resync_since: datetime | None = None) -> Source:
        """Open the blog at ``url`` (its first requests tell it is one, and its metadata). ``resync_since``:
        a resync since then is likely (the manifest's header says so): the source may ask that resync's first
        questions now, side by side with its own (:meth:`prefetch`), or ignore it."""
        ...

    @classmethod
    def open_file(cls, path: Path, cfg: Config, http: HttpClient | None = None) -> Source:
        """Open an export file (or folder); ``http`` is the run's client, for a file whose reading also asks
        the web (a backup completed from the live blog)."""
        ...

    @classmethod
    def open_files(cls, paths: list[Path], cfg: Config) -> Source: ...

    def posts(self, since: datetime | None = None, known: Known | None = None) -> Iterator[Post]:
        """Every post, page and draft. ``known`` maps each migrated post's old path to what the manifest
        recorded of it; on a cheap resync ``since`` is the last complete sync (None: read every post). A
        source may then skip what has not changed, and sets ``listed_ids`` to every id that still exists
        (so nothing skipped, or only out of its listing's reach, is taken as deleted)."""
        ...

    def prefetch(self, since: datetime) -> None:
        """A resync since ``since`` is likely: a source may start asking what :meth:`posts` will ask then
        (the pipeline does its own checks of the site meanwhile). If ``posts`` is then called otherwise (the
        site lost a file: every post is read), what was asked is not used: those few requests are spent."""
        ...

    def is_platform_image(self, url: str) -> bool:
        """``url`` is on the platform's image hosts (its thumbnail is downloaded; a link to it is an image)."""
        ...

    def asset_key(self, url: str) -> str:
        """The stable identity of an image URL (drops signatures that change while the image does not)."""
        ...

    def asset_headers(self, url: str) -> dict[str, str]:
        """Extra request headers an asset download needs (a Referer for some CDNs)."""
        ...

    def internal_path(self, url: str) -> str | None:
        """The old path of a link to one of the blog's own posts or pages, else None."""
        ...

    def aliases(self, post_id: str, path: str) -> list[str]:
        """More old paths that lead to the post ``post_id`` whose own path is ``path`` (links to them are
        links to it)."""
        ...

    def image_name(self, url: str) -> str:
        """The file name an image URL stands for (the last segment, without the platform's size tokens)."""
        ...

    def local_asset(self, url: str, near: datetime | None = None) -> tuple[LocalCopy, ...]:
        """Copies of the image the source holds itself, best first (see :class:`BaseSource`)."""
        ...


class BaseSource:
    """Defaults for every optional part of :class:`Source`: a platform overrides what it has."""

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    example: ClassVar[str] = ""
    # what ``example`` answers when the source is recognised by an answer (the routing test serves it)
    example_response: ClassVar[str | None] = None
    settings: ClassVar[type | None] = None
    probes: ClassVar[tuple[str, ...]] = ()  # the requests `probe` makes, as templates of "{url}"
    embed_hosts: ClassVar[tuple[str, ...]] = ()
    cdn_domains: ClassVar[tuple[str, ...]] = ()
    old_urls: ClassVar[OldUrls] = OldUrls()
    redirect_formats: ClassVar[tuple[RedirectFormat, ...]] = ()
    file_hint: ClassVar[str] = ""  # what to pass instead, when a file is not one this platform reads

    blog: Blog
    warnings: list[str]
    incomplete: bool = False
    listed_ids: set[str] | None = None
    expected_total: int | None = None
    origin: str = ""
    origins: tuple[str, ...] = ()
    as_of: datetime | None = None  # an export's content is as of this time (the next resync asks for changes since)
    # the listing includes drafts (an export's does; a public feed cannot see them): only then is a draft that
    # is missing from it deleted
    lists_drafts: bool = False

    # --- recognising an input (class-level: nothing is opened) --------------------------------------------
    @classmethod
    def matches_url(cls, url: str) -> bool:
        """The URL alone says it is this platform (its host)."""
        return False

    @classmethod
    def matches_page(cls, html: str) -> bool:
        """The page at ``<url>/`` (fetched once, for every platform) carries this platform's markers."""
        return False

    @classmethod
    def probe(cls, url: str, http: HttpClient) -> bool:
        """Requests of the platform's own (listed in ``probes``) say it is this platform."""
        return False

    @classmethod
    def reads_file(cls, path: Path) -> bool:
        """A local file this platform reads (an export, a feed file); it may read the file's first bytes."""
        return False

    @classmethod
    def file_problem(cls, path: Path) -> str:
        """Why ``reads_file`` said no, for the one-line error when no platform reads a file."""
        return f"not a {cls.title} file"

    @classmethod
    def open_url(cls, url: str, cfg: Config, http: HttpClient, *, resync_since: datetime | None = None) -> Source:
        from migrator.errors import UsageError

        raise UsageError(f"{cls.title} is read from an export file, not from a URL")

    @classmethod
    def open_file(cls, path: Path, cfg: Config, http: HttpClient | None = None) -> Source:
        from migrator.errors import UsageError

        raise UsageError(f"{cls.title} has no export file format that migrator reads; pass the blog's URL")

    @classmethod
    def open_files(cls, paths: list[Path], cfg: Config) -> Source:
        """Several files that make one export (the parts of a split archive); most exports are one file."""
        if len(paths) == 1:
            return cls.open_file(paths[0], cfg)
        from migrator.errors import UsageError

        raise UsageError(f"{cls.title} reads one export file, not {len(paths)}", "pass one file")

    # --- an opened source ---------------------------------------------------------------------------------
    def posts(self, since: datetime | None = None, known: Known | None = None) -> Iterator[Post]:
        raise NotImplementedError

    def prefetch(self, since: datetime) -> None:
        return None  # a source that asks nothing ahead

    def is_platform_image(self, url: str) -> bool:
        return False

    def asset_key(self, url: str) -> str:
        return url

    def asset_headers(self, url: str) -> dict[str, str]:
        return {}

    def internal_path(self, url: str) -> str | None:
        return None

    def aliases(self, post_id: str, path: str) -> list[str]:
        return [p for p in self.old_urls.post_paths(post_id, path) if p != path]

    def image_name(self, url: str) -> str:
        return unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])

    def local_asset(self, url: str, near: datetime | None = None) -> tuple[LocalCopy, ...]:
        """Copies of the image ``url`` the source holds itself (an archive's photos), best first; the asset
        store uses the first whose bytes are an image, else downloads it. ``near``: the date of the post that
        shows it (to choose among files of the same name)."""
        return ()


def config_sections(sources: Iterable[type[Any]]) -> dict[str, type]:
    """{section name: its dataclass} of the sources that have a config section."""
    return {s.name: s.settings for s in sources if s.settings is not None}


def opening_hint(error: FetchError) -> str:
    """The advice for a blog that could not be opened: the request's own (a private address, a CA bundle, a
    certificate), else to check the address and run again (nothing was written; a request's "it will be
    retried on the next run" is for an item of a run, not for the blog itself)."""
    from migrator.http import RETRIED_NEXT_RUN

    if error.hint and error.hint != RETRIED_NEXT_RUN:
        return error.hint
    return "check the URL and your network, then run the same command again (nothing was written)"
