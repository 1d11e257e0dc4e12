"""Blogger from Google Takeout, as Google delivers it: ``takeout-<date>-001.zip`` (large ones split into
``-002``, ``-003``, ... parts), the parts given together or as a glob, or the unpacked ``Takeout/`` folder
(or a ``feed.atom`` inside one).

What a Takeout holds (the project's platform facts, §3b, from a real Takeout and simulot/bloggerout's
fixtures): ``Takeout/Blogger/Blogs/<Blog>/feed.atom`` and ``settings.csv``; the photos under
``Takeout/Blogger/Albums/<Album>/<image>``, each with an ``<image>.json`` sidecar (``filename``,
``sizeBytes``, ``creationTimestampMs``, ``uploadStatus``, ``hasOriginalBytes``); the comments in
``Takeout/Blogger/Comments/<Blog>/feed.atom``, whose folder name need not be the blog's (it is matched by the
blog id in the feed's ``<id>``); ``Takeout/Blogger/Profile/``. Album names need not match the blog's.

How it is read: a zip entry is only ever read as a stream (``ZipFile.open``), nothing is extracted. An
archive with an entry whose path leaves it (``..``, an absolute path) or that is a link, or a Blogger entry
that inflates more than :data:`MAX_RATIO` times (a zip bomb), is refused whole: Google writes none of these.

A Takeout is a Blogger export: :class:`TakeoutSource` is the export reader
(:class:`~migrator.sources.blogger.BloggerExportSource`) fed from the archive, plus what only the archive
has: the album photos (:meth:`TakeoutSource.local_asset`; the pipeline copies them instead of downloading),
the comments feed, and Posts shaped as the live feed gives them, so a site moves between the two without a
rewrite.
"""

from __future__ import annotations

import csv
import glob
import html as htmllib
import io
import json
import os
import re
import stat
import threading
import unicodedata
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING

from migrator.dates import parse_iso
from migrator.errors import NotABlogError, UsageError
from migrator.models import Comment, Known, LocalCopy, Post
from migrator.runtime import LazyModule
from migrator.sources.blogger import (
    ATOM,
    BLOGGER2018,
    BloggerExportSource,
    _column,
    _post_id,
    export_kind,
    image_name,
    original_image_url,
    stream_feed,
)

etree = LazyModule("lxml.etree")  # loaded when first used: not by the platform registry
zipfile = LazyModule("zipfile")

if TYPE_CHECKING:
    from migrator.config import Config

MAX_RATIO = 100  # a Blogger entry that inflates more than this many times its compressed size is a zip bomb
RATIO_FLOOR = 1 << 20  # ... judged only above 1 MiB (a small file may compress very well)
ORIGIN = "takeout"  # what an image copied from the archive records as its ``source``
SIDECAR_FIELDS = ("filename", "creationTimestampMs", "hasOriginalBytes")  # what a photo's .json sidecar tells

_PART = re.compile(r"^(?P<stem>.+)-(?P<n>\d{3})\.zip$", re.IGNORECASE)
_FEED = re.compile(r"^(?P<root>(?:[^/]+/)*?)Blogger/Blogs/(?P<blog>[^/]+)/feed\.atom$")
_DUPLICATE = re.compile(r"\(\d+\)(?=\.[^./]+$)")  # Takeout's name for a second file of the same name: x(1).jpg
_IMG_SRC = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


# --- the archive: zip parts or a folder, members read as streams -------------------------------------------


@dataclass(frozen=True, slots=True)  # one per file: 30,000 photos and their sidecars are 60,000 of them
class Member:
    """A file of the archive."""

    name: str  # its path inside the archive, "/"-separated ("Takeout/Blogger/Blogs/B/feed.atom")
    size: int  # uncompressed bytes
    part: int = -1  # the zip part that holds it (-1: a file of a folder)
    info: zipfile.ZipInfo | None = field(default=None, compare=False)  # its entry in that part


def _refusal(where: str, name: str, why: str) -> NotABlogError:
    return NotABlogError(
        f"refused {where}: the entry {name!r} {why}",
        "Google's Takeout archives hold no such entry; download the archive again from takeout.google.com",
    )


def check_entry(info: zipfile.ZipInfo, where: str) -> None:
    """Refuse an entry a Takeout never holds: a path that leaves the archive (``..``, absolute, a drive) or a
    link (pure: reads only the central directory's record)."""
    name = info.filename
    parts = name.replace("\\", "/").split("/")
    if "\x00" in name or name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        raise _refusal(where, name, "has an absolute path")
    if ".." in parts:
        raise _refusal(where, name, "has a path with '..' that leaves the archive")
    mode = info.external_attr >> 16
    if info.create_system == 3 and stat.S_ISLNK(mode):  # 3: made on Unix, where the mode is meaningful
        raise _refusal(where, name, "is a symbolic link")


_READABLE = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)


def check_ratio(info: zipfile.ZipInfo, where: str) -> None:
    """Refuse an entry that will be read and cannot be: encrypted, compressed in a way ``zipfile`` does not
    read (Deflate64, which Windows uses for big zips), or inflating more than MAX_RATIO times (its declared
    sizes; ``ZipFile`` never gives more bytes than the declared size)."""
    if info.flag_bits & 0x1:
        raise _refusal(where, info.filename, "is encrypted")
    if info.compress_type not in _READABLE:
        raise NotABlogError(
            f"cannot read {where}: the entry {info.filename!r} uses compression method {info.compress_type}, "
            "which Python's zipfile does not read",
            "use the zip as Google delivered it, or unpack it and pass the Takeout folder",
        )
    if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise _refusal(
            where,
            info.filename,
            f"inflates {info.file_size // max(info.compress_size, 1):,} times ({info.compress_size:,} -> "
            f"{info.file_size:,} bytes): a zip bomb",
        )


class Archive:
    """One Takeout: the parts of a split zip, or an unpacked folder. ``members`` by name."""

    def __init__(self, label: str) -> None:
        self.label = label  # for messages: the first part's name (and how many parts), or the folder
        self.members: dict[str, Member] = {}  # Blogger's files
        self.products: set[str] = set()  # the Takeout's product folders (Blogger, Google Photos, ...)
        self.warnings: list[str] = []

    def open(self, member: Member) -> IO[bytes]:
        raise NotImplementedError

    def where(self, member: Member) -> str:
        """``member`` named for a message."""
        return f"{self.label}: {member.name}"

    def read_text(self, member: Member, limit: int = 16 << 20) -> str:
        with self.open(member) as f:
            return f.read(limit).decode("utf-8-sig", errors="replace")


class ZipArchive(Archive):
    """The parts of one Takeout zip. Every entry of every part is checked (see :func:`check_entry`); the
    entries that are read (Blogger's) are also checked for their inflation ratio."""

    def __init__(self, paths: list[Path]) -> None:
        more = len(paths) - 1
        super().__init__(paths[0].name + (f" (+{more} more part{'s' if more > 1 else ''})" if more else ""))
        self.paths = paths
        self._zips: list[zipfile.ZipFile] = []
        self._lock = threading.Lock()
        for n, path in enumerate(paths):
            try:
                zf = zipfile.ZipFile(path)
            except (zipfile.BadZipFile, OSError) as e:
                self.close()
                raise NotABlogError(f"cannot read {path}: {e}", "is the download complete?") from None
            self._zips.append(zf)
            for info in zf.infolist():
                check_entry(info, path.name)
                if info.is_dir():
                    continue
                name = info.filename.replace("\\", "/")
                if name.startswith("Takeout/") and name.count("/") > 1:
                    self.products.add(name.split("/")[1])
                if "Blogger/" not in name:
                    continue  # another product's file: checked above, never read
                check_ratio(info, path.name)
                if name not in self.members:  # a Takeout never repeats a name; the first one counts
                    self.members[name] = Member(name, info.file_size, n, info)
            # entries are opened by their ZipInfo (kept in members): the zip's own index of every name is a
            # second table of them (5 MB for a Takeout of 30,000 photos and their sidecars)
            zf.NameToInfo = {}
            zf.filelist = []

    def open(self, member: Member) -> IO[bytes]:
        with self._lock:  # ZipFile reads are safe from several threads; opening is kept in turn
            return self._zips[member.part].open(member.info)

    def where(self, member: Member) -> str:
        return f"{self.paths[member.part].name}: {member.name}"

    def close(self) -> None:
        for zf in self._zips:
            zf.close()


class FolderArchive(Archive):
    """An unpacked Takeout (the folder that holds ``Blogger/``). Links are refused as in a zip."""

    def __init__(self, root: Path) -> None:
        super().__init__(str(root))
        self.root = root
        self.products = {p.name for p in root.iterdir() if p.is_dir()}
        base = root / "Blogger"
        for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
            for name in [*dirnames, *filenames]:
                full = Path(dirpath) / name
                if full.is_symlink():
                    raise _refusal(str(root), str(full.relative_to(root)), "is a symbolic link")
            for name in filenames:
                full = Path(dirpath) / name
                rel = full.relative_to(root).as_posix()
                self.members[rel] = Member(rel, full.stat().st_size)

    def open(self, member: Member) -> IO[bytes]:
        return open(self.root / member.name, "rb")  # noqa: SIM115 - the caller closes it

    def where(self, member: Member) -> str:
        return str(self.root / member.name)

    def close(self) -> None:
        pass


# --- recognising a Takeout, and its parts -------------------------------------------------------------------


def _folder_root(path: Path) -> Path | None:
    """The folder that holds ``Blogger/Blogs`` for a Takeout folder given as itself, its parent or its
    ``Blogger`` folder; None otherwise."""
    for root in (path, path / "Takeout", path.parent if path.name == "Blogger" else None):
        if root is not None and (root / "Blogger" / "Blogs").is_dir():
            return root
    return None


def _tree_feed(path: Path) -> tuple[Path, str] | None:
    """(the Takeout folder, the blog's folder name) for a ``feed.atom`` inside an unpacked Takeout
    (``.../Blogger/Blogs/<Blog>/feed.atom``)."""
    if path.name != "feed.atom" or len(path.parts) < 4:
        return None
    blogs = path.parent.parent
    if blogs.name != "Blogs" or blogs.parent.name != "Blogger" or export_kind(path)[0] != "takeout":
        return None
    return blogs.parent.parent, path.parent.name


def is_takeout(path: Path) -> bool:
    """A Takeout zip (a part of one), an unpacked Takeout folder, or a ``feed.atom`` inside one."""
    if path.is_dir():
        return _folder_root(path) is not None
    if path.name == "feed.atom":
        return _tree_feed(path) is not None
    if _PART.match(path.name) and path.name.lower().startswith("takeout"):
        return True  # named as Google names them: one that is not a whole zip is said so (a download cut short)
    if not zipfile.is_zipfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as zf:
            return any(n.startswith(("Takeout/", "Blogger/")) for n in zf.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def sibling_parts(path: Path) -> list[Path]:
    """Every part of the split archive ``path`` belongs to, in order (``takeout-X-001.zip``, ``-002``...):
    Google names them so, and a browser saves them side by side."""
    m = _PART.match(path.name)
    if not m:
        return [path]
    pattern = glob.escape(str(path.parent / m.group("stem"))) + "-[0-9][0-9][0-9].[zZ][iI][pP]"
    found = sorted(Path(p) for p in glob.glob(pattern))
    return found or [path]


def _numbering_gaps(paths: list[Path]) -> list[str]:
    numbers = sorted(int(m.group("n")) for p in paths if (m := _PART.match(p.name)))
    if not numbers:
        return []
    return [f"{n:03d}" for n in range(1, numbers[-1] + 1) if n not in numbers]


# --- the blogs, albums and comments of an archive -------------------------------------------------------


@dataclass(frozen=True)
class BlogFiles:
    name: str  # the blog's folder name (what --blog takes)
    feed: Member
    settings: Member | None


@dataclass(eq=False, slots=True)  # one object per file: hashed by identity
class Photo:
    """An album file, and what its sidecar says (read when it is first a candidate)."""

    member: Member
    sidecar: Member | None
    meta: dict | None = None  # only the sidecar's fields this module reads (see SIDECAR_FIELDS)


@dataclass
class Layout:
    root: str  # "Takeout/" (or "" for an archive whose entries start at Blogger/)
    blogs: dict[str, BlogFiles] = field(default_factory=dict)
    comments: list[tuple[str, Member]] = field(default_factory=list)  # (folder name, its feed.atom)
    photos: dict[str, list[Photo]] = field(default_factory=dict)  # photo_key(name) -> the files of that name
    photo_count: int = 0


def photo_key(name: str) -> str:
    """What two file names of one photo have in common: NFC, case folded."""
    return unicodedata.normalize("NFC", name).casefold()


def layout(archive: Archive) -> Layout:
    """Find the blogs, comments feeds and album photos of a Takeout (names only: nothing is read)."""
    found = Layout(root="")
    for name in archive.members:
        m = _FEED.match(name)
        if m:
            found.root = m.group("root")
            break
    prefix = found.root + "Blogger/"
    for name, member in archive.members.items():
        if not name.startswith(prefix):
            continue
        parts = name[len(prefix) :].split("/")
        if len(parts) == 3 and parts[0] == "Blogs" and parts[2] == "feed.atom":
            settings = archive.members.get(f"{prefix}Blogs/{parts[1]}/settings.csv")
            found.blogs[parts[1]] = BlogFiles(parts[1], member, settings)
        elif len(parts) == 3 and parts[0] == "Comments" and parts[2] == "feed.atom":
            found.comments.append((parts[1], member))
        elif len(parts) == 3 and parts[0] == "Albums" and not parts[2].lower().endswith(".json"):
            sidecar = archive.members.get(name + ".json") or archive.members.get(name + ".supplemental-metadata.json")
            photo = Photo(member, sidecar)
            found.photo_count += 1
            keys = {photo_key(parts[2]), photo_key(_DUPLICATE.sub("", parts[2]))}
            for key in keys:
                found.photos.setdefault(key, []).append(photo)
    return found


def feed_id(archive: Archive, member: Member) -> str:
    """The ``<id>`` of a feed (``tag:blogger.com,1999:blog-<id>``), read from its first elements only."""
    try:
        with archive.open(member) as f:
            for _event, el in etree.iterparse(f, events=("end",), recover=True, resolve_entities=False):
                if el.tag == ATOM + "id":
                    return (el.text or "").strip()
                if el.tag == ATOM + "entry":
                    break
    except (etree.XMLSyntaxError, OSError, zipfile.BadZipFile, EOFError, zlib.error):
        pass
    return ""


def blog_id_of(tag: str) -> str:
    return tag.rsplit("blog-", 1)[-1].split(".")[0] if "blog-" in tag else ""


def recorded_site(cfg: Config) -> dict[str, str]:
    """What the site in ``--out`` recorded of its blog last time (``source`` of its manifest), or {}."""
    if not cfg.out:
        return {}
    path = Path(cfg.out) / ".migrator" / "manifest.json"
    source = None
    try:  # "source" comes right after "version": a big site's whole manifest is not parsed for it
        with open(path, "rb") as f:
            head = f.read(64 << 10).decode("utf-8", errors="replace")
        at = head.find(_SOURCE_KEY)
        if at >= 0:
            source = json.JSONDecoder().raw_decode(head, at + len(_SOURCE_KEY))[0]
        else:
            data = json.loads(path.read_text(encoding="utf-8"))
            source = data.get("source") if isinstance(data, dict) else None
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in source.items()} if isinstance(source, dict) else {}


_SOURCE_KEY = '\n  "source": '  # as Manifest.save writes it (indent=2, sorted keys)


def _choose_blog(found: Layout, archive: Archive, cfg: Config, preselected: str | None) -> BlogFiles:
    """The blog to migrate: the one asked for (``--blog``, or the folder of a ``feed.atom`` given), the only
    one, or the one the site in ``--out`` was migrated from; otherwise a usage error that lists them."""
    names = sorted(found.blogs)
    wanted = preselected or cfg.blog
    if wanted:
        by_name = found.blogs.get(wanted) or next(
            (b for n, b in found.blogs.items() if photo_key(n) == photo_key(wanted)), None
        )
        if by_name is None:
            raise UsageError(
                f"{archive.label} holds no blog named {wanted!r}; it holds: {_listing(names)}",
                "pass --blog with one of these names",
            )
        return by_name
    if len(names) == 1:
        return found.blogs[names[0]]
    site = recorded_site(cfg)
    if site.get("platform") == "blogger" and site.get("blog_id"):
        for name in names:
            if blog_id_of(feed_id(archive, found.blogs[name].feed)) == site["blog_id"]:
                return found.blogs[name]
    raise UsageError(
        f"{archive.label} holds {len(names)} blogs: {_listing(names)}",
        f"pass --blog NAME to say which one to migrate, e.g. --blog {_quote(names[0])}",
    )


def _listing(names: list[str]) -> str:
    return ", ".join(_quote(n) for n in names)


def _quote(name: str) -> str:
    return f'"{name}"' if re.search(r"[\s'\"$`\\]", name) else name


# --- opening ------------------------------------------------------------------------------------------------


def _expand(paths: list[Path]) -> tuple[Archive, str | None]:
    """The archive the paths make, and the blog folder a ``feed.atom`` given names."""
    first = paths[0]
    if first.is_dir() or first.name == "feed.atom":
        if len(paths) > 1:
            raise UsageError("pass one Takeout folder (or its zip parts), not several", None)
        tree = _tree_feed(first) if first.name == "feed.atom" else None
        root = tree[0] if tree else _folder_root(first)
        assert root is not None
        return FolderArchive(root), tree[1] if tree else None
    parts = sibling_parts(first) if len(paths) == 1 else sorted(dict.fromkeys(paths))
    archive = ZipArchive(parts)
    gaps = _numbering_gaps(parts)
    if gaps:
        archive.warnings.append(
            f"part(s) {', '.join(gaps)} of {parts[0].name.rsplit('-', 1)[0]} are missing: what they hold "
            "(posts, photos) is not migrated; put every part in one folder and run again"
        )
    if len(parts) > 1:
        archive.warnings.append(f"read {len(parts)} parts: {', '.join(p.name for p in parts)}")
    return archive, None


def open_takeout(paths: list[Path], cfg: Config) -> TakeoutSource:
    """Open a Takeout (its zip parts, a glob's matches, its folder, or a feed.atom inside it) and pick the blog."""
    archive, preselected = _expand(paths)
    found = layout(archive)
    if not found.blogs:
        products = sorted(archive.products - {"Blogger"})
        archive.close()
        raise NotABlogError(
            f"{archive.label} holds no Blogger blog" + (f" (it holds: {', '.join(products)})" if products else ""),
            "at takeout.google.com, select Blogger (or pass every part of a split archive)",
        )
    chosen = _choose_blog(found, archive, cfg, preselected)
    cfg = _with_recorded_origin(cfg, archive, chosen)
    src = TakeoutSource(archive, found, chosen, cfg)
    src.scan()
    return src


def _with_recorded_origin(cfg: Config, archive: Archive, blog: BlogFiles) -> Config:
    """A resync of a site migrated from this same blog keeps the address the site recorded (the live
    feed's own, say: a Takeout's settings.csv may name another of the blog's addresses), unless --origin
    says otherwise; the Takeout's addresses stay the blog's for links."""
    if cfg.origins:
        return cfg
    site = recorded_site(cfg)
    if site.get("platform") != "blogger" or not site.get("url") or not site.get("blog_id"):
        return cfg
    if blog_id_of(feed_id(archive, blog.feed)) != site["blog_id"]:
        return cfg
    return replace(cfg, origins=tuple(dict.fromkeys([site["url"], *site.get("urls", "").split()])))


# --- the source ---------------------------------------------------------------------------------------------

class TakeoutSource(BloggerExportSource):
    """A blog of a Takeout archive: its feed.atom and settings.csv (read as the export reader reads them),
    the comments feed, and the album photos, offered to the pipeline before any download."""

    lists_drafts = True

    def __init__(self, archive: Archive, found: Layout, blog: BlogFiles, cfg: Config) -> None:
        super().__init__(Path(archive.where(blog.feed)), cfg, "takeout")  # the feed, named for messages
        self.archive = archive
        self.found = found
        self.files = blog
        self.warnings.extend(archive.warnings)
        self._scanning = False
        self._latest: dict[str, datetime | None] = {}  # post id -> the latest `updated` among its entries
        self._duplicates = 0
        self._yielded: set[str] = set()
        self._dropped: dict[str, str | None] = {}  # comment id -> its parent, for comments not kept
        self._newest: datetime | None = None
        self._photo_lock = threading.Lock()

    # --- reading the feeds ------------------------------------------------------------------------------------
    def _iter(self) -> Iterator[tuple[str, etree._Element]]:
        """The feed's elements, as the export reader expects them, streamed from the archive."""
        yield from self._stream(self.files.feed)

    def _stream(self, member: Member) -> Iterator[tuple[str, etree._Element]]:
        try:
            with self.archive.open(member) as f:
                for kind, el in stream_feed(f):
                    if kind == "entry" and self._scanning:
                        self._observe(el)
                    yield kind, el
        except etree.XMLSyntaxError as e:
            raise NotABlogError(f"{self.archive.where(member)} is not well-formed XML: {e}") from None
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as e:
            raise NotABlogError(f"cannot read {self.archive.where(member)}: {e}", "is the download complete?") from None

    def _read_settings(self) -> dict[str, str]:
        if self.files.settings is None:
            return {}
        try:
            text = self.archive.read_text(self.files.settings)
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as e:
            self.warnings.append(f"settings.csv could not be read ({e}): the blog's address and zone are unknown")
            return {}
        rows = list(csv.reader(io.StringIO(text, newline="")))[:2]
        if len(rows) < 2:
            return {}
        return {_column(h): v.strip() for h, v in zip(rows[0], rows[1], strict=False) if _column(h)}

    def _observe(self, el: etree._Element) -> None:
        """During the first pass: the newest time in the export, each post id's latest version, and the
        parents of the comments that are not kept (their replies move up to a kept one)."""
        updated = parse_iso(el.findtext(ATOM + "updated"))
        if updated is not None and updated.tzinfo is not None and (self._newest is None or updated > self._newest):
            self._newest = updated
        typ, status = self._classify(el)
        _, eid = _post_id(el.findtext(ATOM + "id") or "")
        if not eid:
            return
        if typ in ("post", "page"):
            if eid in self._latest:
                self._duplicates += 1
                old = self._latest[eid]
                if updated is not None and (old is None or updated > old):
                    self._latest[eid] = updated
            else:
                self._latest[eid] = updated
        elif typ == "comment" and not self._keeps(el, status):
            self._dropped[eid] = _reply_to(el)

    @staticmethod
    def _keeps(el: etree._Element, status: str) -> bool:
        """A comment that is published: LIVE and not trashed (spam, deleted, ghosted ones are not)."""
        return status == "LIVE" and not (el.findtext(BLOGGER2018 + "trashed") or "").strip()

    def _add_comment(self, el: etree._Element) -> None:
        if self._keeps(el, self._classify(el)[1]):
            super()._add_comment(el)

    def scan(self) -> None:
        self._scanning = True
        try:
            super().scan()
        finally:
            self._scanning = False
        if self.cfg.comments:
            self._read_comments_feeds()
        self._thread_comments()
        if self._duplicates:
            what = "entries of feed.atom repeat" if self._duplicates > 1 else "entry of feed.atom repeats"
            self.warnings.append(f"{self._duplicates} {what} a post id; the latest (by updated) of each is kept")
        self.expected_total = max(0, (self.expected_total or 0) - self._duplicates)  # the export's scan counted them
        self.as_of = self._newest

    def _read_comments_feeds(self) -> None:
        """``Comments/<Blog>/feed.atom``: the one whose feed id is this blog's (its folder may be named after
        an older title), else the one named like the blog's folder."""
        mine = [m for name, m in self.found.comments if blog_id_of(feed_id(self.archive, m)) == self.blog.blog_id]
        if not mine:
            mine = [m for name, m in self.found.comments if photo_key(name) == photo_key(self.files.name)]
        for member in mine:
            self._scanning = True
            try:
                for what, el in self._stream(member):
                    if what != "entry":
                        continue
                    typ, status = self._classify(el)
                    if (typ == "comment" or el.find(BLOGGER2018 + "parent") is not None) and self._keeps(el, status):
                        super()._add_comment(el)
            finally:
                self._scanning = False

    def _thread_comments(self) -> None:
        """One copy of each comment (feed.atom and the comments feed may both hold it), oldest first; a reply
        to a comment that is not kept replies to the nearest kept one above it (else to the post)."""
        for post_id, comments in self.comments.items():
            by_id: dict[str, Comment] = {}
            for c in comments:
                by_id.setdefault(c.id, c)
            kept: list[Comment] = []
            for c in by_id.values():
                parent = c.parent
                hops = 0
                while parent and parent not in by_id and hops < 100:
                    parent = self._dropped.get(parent)
                    hops += 1
                kept.append(c if parent == c.parent else replace(c, parent=parent if parent in by_id else None))
            self.comments[post_id] = sorted(kept, key=lambda c: (c.published, c.id))

    def posts(self, since: datetime | None = None, known: Known | None = None) -> Iterator[Post]:
        """Every post of the export; on a resync, a post the site holds a newer version of (it was synced
        from the live blog after this Takeout was made) is left as it is, and listed as still there."""
        recorded = {k.id: parse_iso(k.updated) for k in (known or {}).values() if k.updated}
        older: set[str] = set()
        for post in super().posts(since, known):
            mine, theirs = recorded.get(post.id), post.updated
            if mine is not None and theirs is not None and None not in (mine.tzinfo, theirs.tzinfo) and theirs < mine:
                older.add(post.id)
                continue
            yield post
        self.listed_ids = older or None
        if older:
            self.warnings.append(
                f"{len(older)} post(s) of this Takeout are older than the site's copy (synced after the Takeout "
                "was made): kept the site's"
            )

    # --- posts shaped as the live feed gives them ---------------------------------------------------------------
    def _entry(self, el: etree._Element, typ: str, draft: bool) -> Post | None:
        _, pid = _post_id(el.findtext(ATOM + "id") or "")
        if pid and pid in self._latest:
            latest = self._latest[pid]
            updated = parse_iso(el.findtext(ATOM + "updated"))
            if pid in self._yielded or (latest is not None and updated is not None and updated < latest):
                return None  # an older copy of a post id that appears again
        post = super()._entry(el, typ, draft)
        if post is None:
            return None
        self._yielded.add(post.id)
        if post.thumbnail is None:  # the live feed's media$thumbnail: the post's first Blogger image
            srcs = (htmllib.unescape(u) for u in _IMG_SRC.findall(post.html))
            absolute = (u for u in srcs if u.startswith(("https://", "http://", "//")))
            first = next((u for u in absolute if self.is_platform_image(u)), None)
            post = replace(post, thumbnail=original_image_url(first)) if first else post
        return post

    # --- the photos -----------------------------------------------------------------------------------------------
    def local_asset(self, url: str, near: datetime | None = None) -> tuple[LocalCopy, ...]:
        """The album files that may be the image ``url`` (a Blogger image): those with its file name (the
        URL's last segment without Blogger's size token, ``=s1600``), the one whose sidecar time is nearest
        the post's date first. A sidecar that says the archive lacks the original (``hasOriginalBytes: NO``)
        rules its file out. The pipeline copies the first whose bytes are an image."""
        if not self.found.photos or not self.is_platform_image(url):
            return ()
        name = image_name(url)
        if "." not in name:
            return ()  # /img/a/<key>=s0: a key, not a file name
        wanted = {photo_key(name), photo_key(name.replace("+", " "))}
        photos = list(dict.fromkeys(p for key in wanted for p in self.found.photos.get(key, ())))
        if not photos:
            return ()
        scored = []
        for photo in photos:
            meta = self._meta(photo)
            if str(meta.get("hasOriginalBytes", "")).upper() == "NO":
                continue
            exact = str(meta.get("filename") or PurePosixPath(photo.member.name).name) == name
            scored.append((not exact, _distance(meta, near), photo.member.name, photo))
        scored.sort(key=lambda t: t[:3])
        return tuple(self._copy(p) for *_, p in scored)

    def _meta(self, photo: Photo) -> dict:
        with self._photo_lock:
            if photo.meta is None:
                photo.meta = {}
                if photo.sidecar is not None:
                    try:
                        data = json.loads(self.archive.read_text(photo.sidecar, 1 << 20))
                    except (ValueError, OSError, zipfile.BadZipFile, EOFError, zlib.error):
                        data = {}
                    if isinstance(data, dict):
                        photo.meta = {k: str(data[k]) for k in SIDECAR_FIELDS if data.get(k) is not None}
            return photo.meta

    def _copy(self, photo: Photo) -> LocalCopy:
        member = photo.member
        return LocalCopy(
            name=self.archive.where(member),
            size=member.size,
            open=lambda: self.archive.open(member),
            origin=ORIGIN,
        )


def _reply_to(el: etree._Element) -> str | None:
    raw = (el.findtext(BLOGGER2018 + "inReplyTo") or "").strip()
    return _post_id(raw)[1] or raw or None


def _distance(meta: dict, near: datetime | None) -> float:
    """Seconds between a photo's sidecar time and the post's date (an unknown time sorts last)."""
    try:
        ms = int(str(meta.get("creationTimestampMs", "")))
    except ValueError:
        return float("inf")
    if near is None or near.tzinfo is None:
        return 0.0
    return abs(datetime.fromtimestamp(ms / 1000, UTC).timestamp() - near.timestamp())

