"""Platform modules, and the one registry of them. Everything platform-specific lives in this package;
downstream sees ordinary HTML and records.

Adding a platform: write its module (a class satisfying :class:`~migrator.sources.base.Source`), add it to
``SOURCES`` below, and give it a fixtures folder and a test table. ``find_source`` tries the sources in this
order, cheapest recognition first (see :func:`find_source`).
"""

from __future__ import annotations

import glob
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from migrator.errors import FetchError, NotABlogError, SourceError, UsageError
from migrator.sources.base import BaseSource, OldUrls, RedirectFormat, Source, config_sections, opening_hint
from migrator.sources.blogger import BloggerSource
from migrator.sources.feed import FeedSource
from migrator.sources.tistory import TistorySource
from migrator.sources.tistory_backup import TistoryBackupSource

if TYPE_CHECKING:
    from datetime import datetime

    from migrator.config import Config
    from migrator.http import HttpClient

# the registry: one line per platform, in the order they are tried
SOURCES: tuple[type[BaseSource], ...] = (
    BloggerSource,
    TistorySource,
    FeedSource,
    TistoryBackupSource,
)

__all__ = [
    "SOURCES",
    "BaseSource",
    "OldUrls",
    "RedirectFormat",
    "Source",
    "by_name",
    "find_source",
    "names",
    "normalize_source_url",
    "page_url",
    "sections",
]


def names() -> tuple[str, ...]:
    """Every platform's name, in registry order (the ``--platform`` and ``platform:`` choices)."""
    return tuple(s.name for s in SOURCES)


def by_name(name: str | None) -> type[BaseSource] | None:
    """The platform a manifest recorded (``blogger``), or None for an unknown one."""
    return next((s for s in SOURCES if s.name == name), None)


def sections() -> dict[str, type]:
    """{config section name: its dataclass}, for every platform that has one."""
    return config_sections(SOURCES)


def normalize_source_url(source: str) -> str | None:
    """``name.blogspot.com`` -> ``https://name.blogspot.com``; None when it is not a URL at all."""
    from urllib.parse import urlsplit

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


def page_url(url: str) -> str:
    """The one page the core fetches to recognise a blog on its own domain (every platform reads it)."""
    return url + "/"


def _titles(among: Iterable[type[BaseSource]] = SOURCES) -> str:
    titles = [s.title for s in among]
    return titles[0] if len(titles) == 1 else ", ".join(titles[:-1]) + " or " + titles[-1]


def _chosen(cfg: Config, known_platform: str | None) -> type[BaseSource] | None:
    if cfg.platform != "auto":
        return by_name(cfg.platform)
    return by_name(known_platform)


def find_source(
    source: str | list[str],
    cfg: Config,
    http: HttpClient,
    known_platform: str | None = None,
    *,
    resync_since: datetime | None = None,
) -> Source:
    """Pick the platform that reads SOURCE (a file path or a URL) and open it.

    A file: the platform chosen with ``--platform``, else the first whose ``reads_file`` accepts it. Several
    files, or a glob (``'takeout-*.zip'``), are one export in parts (``open_files``). A URL:
    the chosen platform (``--platform``, or ``known_platform``, what an earlier run recorded for this same
    URL), else the first whose ``matches_url`` accepts the URL, else the first whose ``matches_page`` accepts
    the page at ``<url>/`` (one request), else the first whose ``probe`` says yes (its declared requests).

    ``resync_since``: with ``known_platform``, when the manifest's header says a cheap resync since then is
    likely: that platform may ask its resync's questions while it opens (:meth:`Source.prefetch`)."""
    if not isinstance(source, str) or ("://" not in source and glob.has_magic(source) and not Path(source).exists()):
        return _open_parts(source, cfg, http)
    path = Path(source)
    if path.exists():
        return _open_file(source, path, cfg, http)
    if looks_like_a_file(source):
        raise UsageError(f"file not found: {source}", "check the path of the export file")
    url = normalize_source_url(source)
    if url is None:
        raise UsageError(
            f"SOURCE {source!r} is neither an existing file nor a blog URL",
            "pass a blog's address (" + ", ".join(s.example for s in SOURCES if "://" in s.example)
            + ") or an export file's path",
        )
    if cfg.offline:
        raise UsageError("--offline reads an export, and a blog URL needs the network", "drop --offline")
    chosen = _chosen(cfg, known_platform)
    if chosen is not None:
        if resync_since is not None and chosen.name == known_platform:
            return chosen.open_url(url, cfg, http, resync_since=resync_since)
        return chosen.open_url(url, cfg, http)
    for src in SOURCES:
        if src.matches_url(url):
            return src.open_url(url, cfg, http)
    # A custom domain: look at the page itself.
    try:
        html = http.get(page_url(url)).text()
    except FetchError as e:
        if e.status_code is None:  # nothing answered at all
            raise SourceError(f"cannot reach {url}: {e.message}", opening_hint(e)) from None
        html = ""  # it answered with an error page: still try the platforms' own requests below
    for src in SOURCES:
        if src.matches_page(html):
            return src.open_url(url, cfg, http)
    for src in SOURCES:
        if src.probe(url, http):
            return src.open_url(url, cfg, http)
    readers = [s for s in SOURCES if _reads_urls(s)]
    raise NotABlogError(
        f"{url} does not look like a {_titles(readers)} blog",
        "pass " + " or ".join(f"--platform {s.name}" for s in readers) + " if you are sure",
    )


def _reads_urls(src: type[BaseSource]) -> bool:
    """Whether a platform opens a blog's address at all (a backup file's reader does not)."""
    return getattr(src.open_url, "__func__", None) is not getattr(BaseSource.open_url, "__func__", None)


def _open_parts(sources: str | list[str], cfg: Config, http: HttpClient | None = None) -> Source:
    """Several files (or a glob's matches) that are one export: the parts of a split archive."""
    names = [sources] if isinstance(sources, str) else sources
    paths: list[Path] = []
    for name in names:
        matches = sorted(glob.glob(name)) if glob.has_magic(name) and not Path(name).exists() else [name]
        if not matches:
            raise UsageError(f"no file matches {name}", "check the path of the export's parts")
        paths += [Path(m) for m in matches]
    missing = next((p for p in paths if not p.is_file()), None)
    if missing is not None:
        raise UsageError(f"file not found: {missing}", "pass the parts of one export (or a glob of them)")
    paths = list(dict.fromkeys(paths))
    if len(paths) == 1:
        return _open_file(str(paths[0]), paths[0], cfg, http)
    chosen = by_name(cfg.platform) if cfg.platform != "auto" else None
    reader = chosen or next((src for src in SOURCES if src.file_hint and src.reads_file(paths[0])), None)
    if reader is None:
        return _open_file(str(paths[0]), paths[0], cfg, http)  # says why no platform reads it
    return reader.open_files(paths, cfg)


def _open_file(source: str, path: Path, cfg: Config, http: HttpClient | None = None) -> Source:
    readers = [src for src in SOURCES if src.file_hint]  # the platforms that read files at all
    if path.is_dir() and not any(src.reads_file(path) for src in readers):  # an unpacked archive may be read
        raise UsageError(f"{source} is a directory", "pass the export file itself (feed.atom or blog-*.xml)")
    chosen = by_name(cfg.platform) if cfg.platform != "auto" else None
    if chosen is not None:
        return chosen.open_file(path, cfg, http)
    for src in readers:
        if src.reads_file(path):
            return src.open_file(path, cfg, http)
    problems = list(dict.fromkeys(src.file_problem(path) for src in readers))
    unreadable = next((p for p in problems if p.startswith("cannot be read")), None)
    if unreadable:
        raise NotABlogError(f"cannot read {path}: {unreadable.split(': ', 1)[-1]}")
    raise NotABlogError(f"{path} " + ", and ".join(problems), "; or ".join(src.file_hint for src in readers))
