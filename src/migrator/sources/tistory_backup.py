"""Tistory's official backup (관리 → 블로그 → 데이터 관리 → 백업): a zip, or the folder it unpacks to.

What the backup is, as the converters that read real ones agree (no raw backup was available: every selector
is a setting, ``tistory_backup:``): one top folder ``<blog>-1-1/``, then a folder per post id holding
``<id>-<title>.html`` or ``<id>.html`` and the post's files in ``img/``, ``file/`` and ``file/img/``, referenced
as ``./img/<name>`` (``img.png``, ``img_1.png``...). A post page has its title (``h2.title-article``, and
``<title>``), ``p.category`` (``Parent/Child``), ``p.date`` (``YYYY-MM-DD HH:MM:SS``, Korean time), the body
in ``div.article-view > div.contents_style`` (ads inside), ``div.tags`` (``#a #b``; a tag may hold spaces),
file blocks, the old editor's folds (also broken into text), ``<ttml>`` image tags. Notices, pages and
templates (서식) are numbered folders too. Not in it: comments, visibility (private, protected), the
``/entry/<slug>`` address, and which folders are notices, pages or templates.

So, with ``--origin`` the live blog is read as well (:class:`~migrator.sources.tistory.TistorySource`, its
politeness and resync included) and merged by post id: a post it shows publicly is published at its live
address with its live categories, tags, modification time and comments; one it does not show (not listed,
private, protected) is written as a draft (``published: false``) and listed; its notices become pages at
``/notice/<id>``; posts the backup lacks come from the live blog. Without ``--origin`` every post is a draft
unless ``--publish-all``. The text and files always come from the archive: its files are copied from it
(:meth:`TistoryBackupSource.local_asset`), never downloaded; a file it lacks is taken from the live page when
one there has its name, else listed.

The archive is read in place: no member is extracted by its own name, and names with ``..``, absolute
names, links and members outside the post's folder are refused.
"""

from __future__ import annotations

import logging
import os
import posixpath
import re
import stat
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, ClassVar
from urllib.parse import quote, unquote, urlsplit

from migrator.errors import FetchError, NotABlogError, UsageError
from migrator.models import Blog, Known, LocalCopy, Post, Unreadable
from migrator.runtime import LazyModule
from migrator.sources import tistory
from migrator.sources.base import BaseSource, OldUrls
from migrator.sources.tistory_api import parse_comment_date

zipfile = LazyModule("zipfile")  # loaded when first used: not by the platform registry

if TYPE_CHECKING:  # bs4 is imported where it is used: a run that never reads a Tistory page never loads it
    from bs4 import BeautifulSoup, Tag

    from migrator.config import Config
    from migrator.http import HttpClient

log = logging.getLogger("migrator")
READING = "backup"  # Post.reading of what comes from the archive
HOST = "tistory-backup.invalid"  # the (never resolvable) host of the archive's own files in a post's HTML
_ENTRY_FILE = re.compile(r"(?:^|/)(\d+)/(\d+)(?:-[^/]*)?\.html?$", re.IGNORECASE)
_ATTRS = ("src", "data-src", "href", "data-url", "data-phocus", "poster")
_IMAGE_EXT = re.compile(r"\.(?:png|jpe?g|gif|webp|bmp|heic|heif|avif|tiff?|svg|dat)$", re.IGNORECASE)


@dataclass(frozen=True)
class TistoryBackupConfig:
    """The ``tistory_backup:`` section of the config (its selectors are the converters' reading of real
    backups; change them if yours differ)."""

    title_selectors: tuple[str, ...] = ("h2.title-article", ".title-article", "title")
    date_selectors: tuple[str, ...] = ("p.date", ".date")
    category_selectors: tuple[str, ...] = ("p.category", ".category")
    tags_selectors: tuple[str, ...] = ("div.tags", ".tags")
    body_selectors: tuple[str, ...] = (
        "div.article-view > div.contents_style",
        "div.contents_style",
        "div.article-view",
    )
    notices: tuple[str, ...] = ()  # ids of the backup's notices (pages at /notice/<id>); the live blog tells too
    pages: tuple[str, ...] = ()  # ids of the backup's pages (written as pages at /<id>)
    templates: tuple[str, ...] = ()  # ids of the backup's templates (서식): skipped and listed
    live: bool = True  # with --origin, read the live blog too (visibility, addresses, comments, notices)
    max_html_bytes: int = 20 * 1024 * 1024  # a post's HTML file larger than this is refused


# --- the archive, zip or folder -----------------------------------------------------------------------


def _nfc(name: str) -> str:
    return unicodedata.normalize("NFC", name)


def safe_member(name: str) -> str | None:
    """A member's name as a relative POSIX path, or None when it is not one to read: absolute (``/x``,
    ``C:\\x``), with a ``..`` segment, or empty."""
    name = name.replace("\\", "/")
    if not name or name.startswith("/") or re.match(r"^[A-Za-z]:", name) or "\x00" in name:
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return _nfc("/".join(parts))


def _zip_name(info: zipfile.ZipInfo) -> str:
    """The member's name as written: UTF-8 when the zip says so, else the bytes read as UTF-8 or as CP949
    (Korean Windows), else as zipfile read them (CP437)."""
    if info.flag_bits & 0x800:
        return info.filename
    raw = info.filename.encode("cp437", errors="replace")
    for codec in ("utf-8", "cp949"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return info.filename


class Archive:
    """The backup's files by their (NFC, relative) names; ``refused`` lists the members that were not read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.refused: list[str] = []
        self._members: dict[str, object] = {}
        self._zip: zipfile.ZipFile | None = None
        self._folders: dict[str, list[str]] | None = None
        if path.is_dir():
            self._scan_dir()
        else:
            self._scan_zip()

    def _scan_zip(self) -> None:
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (OSError, zipfile.BadZipFile) as e:
            raise NotABlogError(f"cannot read {self.path} as a zip: {e}") from None
        for info in self._zip.infolist():
            if info.is_dir():
                continue
            shown = _zip_name(info)
            name = safe_member(shown)
            mode = info.external_attr >> 16
            if name is None or stat.S_ISLNK(mode):
                self.refused.append(shown)
                continue
            self._members.setdefault(name, info)

    def _scan_dir(self) -> None:
        root = self.path.resolve()
        for folder, dirs, files in os.walk(self.path, followlinks=False):
            here = Path(folder)
            for d in list(dirs):
                if (here / d).is_symlink():
                    self.refused.append(str((here / d).relative_to(self.path)))
                    dirs.remove(d)
            for f in files:
                p = here / f
                rel = p.relative_to(self.path).as_posix()
                if p.is_symlink() or root not in p.resolve().parents:
                    self.refused.append(rel)
                    continue
                name = safe_member(rel)
                if name is not None:
                    self._members.setdefault(name, p)

    def names(self) -> list[str]:
        return sorted(self._members)

    def in_folder(self, folder: str) -> list[str]:
        """The members under ``folder/`` (at any depth), by name."""
        if self._folders is None:
            self._folders = {}
            for name in self.names():
                parts = name.split("/")
                for i in range(1, len(parts)):
                    self._folders.setdefault("/".join(parts[:i]), []).append(name)
        return self._folders.get(folder, [])

    def __contains__(self, name: str) -> bool:
        return _nfc(name) in self._members

    def open(self, name: str) -> IO[bytes]:
        member = self._members[_nfc(name)]
        if isinstance(member, Path):
            return open(member, "rb")
        assert self._zip is not None and isinstance(member, zipfile.ZipInfo)
        return self._zip.open(member)

    def size(self, name: str) -> int:
        member = self._members[_nfc(name)]
        if isinstance(member, Path):
            return member.stat().st_size
        assert isinstance(member, zipfile.ZipInfo)
        return member.file_size

    def read(self, name: str, cap: int) -> bytes:
        with self.open(name) as f:
            data = f.read(cap + 1)
        if len(data) > cap:
            raise ValueError(f"{name} is larger than {cap:,} bytes")
        return data

    def version(self, name: str) -> str:
        """What changes when the member's bytes do: the zip's CRC and size, a file's size and mtime."""
        member = self._members[_nfc(name)]
        if isinstance(member, Path):
            st = member.stat()
            return f"{st.st_size:x}-{int(st.st_mtime):x}"
        assert isinstance(member, zipfile.ZipInfo)
        return f"{member.CRC:08x}"


def find_entries(names: list[str]) -> dict[str, str]:
    """{post id: the HTML file of its folder} for every ``<id>/<id>.html`` or ``<id>/<id>-<title>.html``;
    the first (in name order) when a folder has both forms or an id appears twice."""
    out: dict[str, str] = {}
    for name in names:
        m = _ENTRY_FILE.search(name)
        if m and m.group(1) == m.group(2):
            out.setdefault(m.group(1), name)
    return out


def looks_like_backup(path: Path) -> tuple[bool, str]:
    """(True, "") for a Tistory backup (a zip, or a folder, holding ``<id>/<id>[-title].html`` post folders),
    else (False, why not)."""
    try:
        if path.is_dir():
            for n, p in enumerate(path.rglob("*.htm*")):
                if _ENTRY_FILE.search(p.relative_to(path).as_posix()):
                    rel = p.relative_to(path).as_posix()
                    m = _ENTRY_FILE.search(rel)
                    if m and m.group(1) == m.group(2):
                        return True, ""
                if n > 100_000:
                    break
            return False, "is not a Tistory backup (no <id>/<id>.html post folders)"
        if not zipfile.is_zipfile(path):
            return False, "is not a Tistory backup (not a zip)"
        with zipfile.ZipFile(path) as z:
            if find_entries([_zip_name(i) for i in z.infolist()[:200_000]]):
                return True, ""
    except (OSError, zipfile.BadZipFile) as e:
        return False, f"cannot be read: {e}"
    return False, "is not a Tistory backup (no <id>/<id>.html post folders)"


# --- one post's HTML ----------------------------------------------------------------------------------


@dataclass
class BackupPost:
    """What one post folder says."""

    id: str
    title: str
    published: datetime | None
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    html: str  # the body, cleaned: ordinary HTML, the archive's files as https://tistory-backup.invalid/ URLs
    missing: list[str] = field(default_factory=list)  # files the body references that the archive lacks
    unused: int = 0  # files of the folder no reference uses


def _first(soup: BeautifulSoup, selectors: tuple[str, ...]) -> Tag | None:
    for sel in selectors:
        found = soup.select_one(sel)
        if found is not None:
            return found
    return None


def split_tags(el: Tag | None) -> tuple[str, ...]:
    """``div.tags``: ``#a #b c`` -> ("a", "b c") (a tag may hold spaces: split on ``#``); links without ``#``
    are tags each; else comma-separated."""
    if el is None:
        return ()
    text = el.get_text(" ", strip=True)
    if "#" in text:
        parts = text.split("#")[1:]
    else:
        parts = [a.get_text(" ", strip=True) for a in el.find_all("a")] or text.split(",")
    return tuple(dict.fromkeys(" ".join(p.split()) for p in parts if p.strip()))


def split_category(text: str) -> tuple[str, ...]:
    """``Parent/Child`` -> ("Parent", "Child"); Tistory's "no category" labels give ()."""
    cats = tuple(c.strip() for c in text.split("/") if c.strip())
    return () if not cats or cats[0] in tistory.NO_CATEGORY else cats


def local_url(post_id: str, rel: str, version: str) -> str:
    """The URL a post's HTML gives one of its archive files (``img/a b.png`` -> ``https://tistory-backup.invalid
    /123/img/a%20b.png?v=…``): fetchable by nobody, copied from the archive by the source."""
    return f"https://{HOST}/{post_id}/{quote(rel)}?v={version}"


def _relative(value: str) -> str | None:
    """A reference to a file beside the post (``./img/x.png``, ``img/x.png``, ``file/a.pdf``), as a relative
    path; None for an address elsewhere."""
    v = value.strip()
    if not v or v.startswith(("#", "/", "data:", "javascript:", "mailto:")) or "://" in v or v.startswith("//"):
        return None
    return unquote(v.split("?", 1)[0].split("#", 1)[0])


def _ttml(body: Tag, soup: BeautifulSoup) -> None:
    """Old ``<ttml …/>`` image tags: an ``<img>`` of the attribute that names an image (its other
    attributes, such as ``alt``, kept); a tag that names none is unwrapped (its text kept)."""
    for el in body.find_all("ttml"):
        url = next((str(el[a]) for a in ("src", "data-src", "imgsrc", "url", "href", "filename") if el.get(a)), None)
        if url is None:
            url = next((str(v) for v in el.attrs.values() if isinstance(v, str) and _IMAGE_EXT.search(v)), None)
        if url is None:
            el.unwrap()
            continue
        img = soup.new_tag("img", src=url)
        for a in ("alt", "width", "height", "filename"):
            if el.get(a):
                img[a] = el[a]
        el.replace_with(img)


class BodyFiles:
    """Rewrites a post body's references to its archive files (``./img/…``) into :func:`local_url` URLs."""

    def __init__(self, archive: Archive, folder: str, post_id: str, live_images: dict[str, str]) -> None:
        self.archive, self.folder, self.post_id = archive, folder, post_id
        self.live_images = live_images  # file name -> its URL on the live page (for files the archive lacks)
        self.used: set[str] = set()
        self.missing: list[str] = []

    def member(self, rel: str) -> str | None:
        """The archive member of ``rel`` in the post's folder (None when it lacks it or ``rel`` leaves it)."""
        joined = posixpath.normpath(posixpath.join(self.folder, rel))
        if not joined.startswith(self.folder + "/") or ".." in joined.split("/"):
            return None
        return joined if joined in self.archive else None

    def url(self, rel: str) -> str | None:
        """The URL for ``rel``: its archive file; else the live page's file of that name; else a
        :func:`local_url` that fails (listed) when the image is fetched; None for a path leaving the folder."""
        name = self.member(rel)
        if name is not None:
            self.used.add(name)
            return local_url(self.post_id, name[len(self.folder) + 1 :], self.archive.version(name))
        joined = posixpath.normpath(posixpath.join(self.folder, rel))
        if not joined.startswith(self.folder + "/"):
            return None
        live = self.live_images.get(_nfc(posixpath.basename(rel)))
        if live:
            return live
        self.missing.append(rel)
        return local_url(self.post_id, joined[len(self.folder) + 1 :], "missing")

    def rewrite(self, body: Tag) -> None:
        for el in body.find_all(True):
            for attr in _ATTRS:
                value = el.get(attr)
                rel = _relative(str(value)) if isinstance(value, str) else None
                if rel is None:
                    continue
                url = self.url(rel)
                if url is None:
                    del el[attr]  # a reference out of the post's folder is not followed
                    continue
                el[attr] = url
                if el.name == "img" and HOST not in url and not el.get("data-filename"):
                    el["data-filename"] = posixpath.basename(rel)  # the live page's copy keeps the archive's name
            if el.name == "img" and el.get("srcset"):
                del el["srcset"]  # resized copies on the CDN: the archive has the file
        self._prefer_local(body)
        self._remote_by_name(body)

    def _prefer_local(self, body: Tag) -> None:
        """A figure's ``span[data-url]`` that names the CDN while its image is the archive's: the archive's."""
        for span in body.select("[data-url]"):
            img = span.find("img")
            src = str(img.get("src") or "") if img is not None else ""
            if HOST in src and HOST not in str(span.get("data-url")):
                span["data-url"] = src

    def _remote_by_name(self, body: Tag) -> None:
        """An image still on the CDN (``cfile`` answers 403 now, signed URLs expire) whose file name
        (``data-filename``, ``filename``) is a file of the folder no reference used: that file."""
        from bs4 import Tag
        by_name: dict[str, str] = {}
        for name in self.archive.in_folder(self.folder):
            if name not in self.used:
                by_name.setdefault(_nfc(posixpath.basename(name)), name)
        for img in body.find_all("img"):
            src = str(img.get("src") or "")
            hint = img.get("data-filename") or img.get("filename")
            if HOST in src or not hint or "://" not in src:
                continue
            name = by_name.pop(_nfc(str(hint)), None)
            if name is not None:
                self.used.add(name)
                img["src"] = local_url(self.post_id, name[len(self.folder) + 1 :], self.archive.version(name))
                parent = img.parent
                if isinstance(parent, Tag) and parent.get("data-url"):
                    parent["data-url"] = img["src"]

    def unused(self, html_name: str) -> int:
        """Files of the folder (beside its HTML) that no reference used."""
        return sum(1 for n in self.archive.in_folder(self.folder) if n != html_name and n not in self.used)


_LEAKED_FOLD = re.compile(r'"\s*tt_lesstext=\s*"(?:(?!tt_id=).){0,400}?tt_id="\d+"\s*(?:>|&gt;)', re.DOTALL)


def read_post(
    archive: Archive,
    post_id: str,
    html_name: str,
    bcfg: TistoryBackupConfig,
    base: str,
    live_images: dict[str, str] | None = None,
) -> BackupPost:
    """One post folder: its page read with the ``tistory_backup`` selectors, the body's archive files
    relinked, its editor markup cleaned as the live blog's is (``tistory.clean_editor_html``: ads, folds,
    broken folds, file blocks, code blocks, images at their original URLs)."""
    from bs4 import BeautifulSoup
    raw = archive.read(html_name, bcfg.max_html_bytes)
    soup = BeautifulSoup(raw, "lxml")
    title_el = _first(soup, bcfg.title_selectors)
    title = " ".join(title_el.get_text(" ", strip=True).split()) if title_el is not None else ""
    if not title:
        stem = posixpath.basename(html_name).rsplit(".", 1)[0]
        title = stem.split("-", 1)[1].replace("-", " ") if "-" in stem else post_id
    date_el = _first(soup, bcfg.date_selectors)
    published = parse_comment_date(date_el.get_text(" ", strip=True)) if date_el is not None else None
    cat_el = _first(soup, bcfg.category_selectors)
    categories = split_category(cat_el.get_text(" ", strip=True)) if cat_el is not None else ()
    tags = split_tags(_first(soup, bcfg.tags_selectors))
    body = _first(soup, bcfg.body_selectors)
    if body is None:  # no known container: the whole page without its own header
        body = soup.body or soup
        for sel in (*bcfg.title_selectors, *bcfg.date_selectors, *bcfg.category_selectors, *bcfg.tags_selectors):
            for el in body.select(sel):
                el.decompose()
    _ttml(body, soup)
    files = BodyFiles(archive, posixpath.dirname(html_name), post_id, live_images or {})
    files.rewrite(body)
    tistory.clean_editor_html(body, soup, base)
    html = _LEAKED_FOLD.sub("", body.decode_contents())  # a broken fold's attribute text outside its content
    return BackupPost(post_id, title, published, categories, tags, html, files.missing, files.unused(html_name))


# --- what the live blog says of each post ---------------------------------------------------------------


@dataclass(frozen=True)
class Live:
    """A backup post's counterpart on the live blog."""

    post: Post | None  # as read (None: known from the last run only, unchanged since)
    public: bool
    reason: str = ""  # why it is not public: protected, could not be read
    images: dict[str, str] = field(default_factory=dict)  # file name -> URL of the live page's images


def live_images(html: str) -> dict[str, str]:
    """{file name: URL} of a live page's images (its ``data-filename``, else the URL's last segment)."""
    from bs4 import BeautifulSoup
    out: dict[str, str] = {}
    for img in BeautifulSoup(html or "", "lxml").find_all("img"):
        src = str(img.get("src") or "")
        name = img.get("data-filename") or img.get("filename") or posixpath.basename(urlsplit(src).path)
        if src.startswith(("http://", "https://")) and name:
            out.setdefault(_nfc(str(name)), src)
    return out


# --- the source ---------------------------------------------------------------------------------------


class TistoryBackupSource(BaseSource):
    """A Tistory backup (zip or folder), completed from the live blog with ``--origin``."""

    name: ClassVar[str] = "tistory_backup"
    title: ClassVar[str] = "Tistory backup"
    example: ClassVar[str] = "example-1-1.zip"
    settings: ClassVar[type] = TistoryBackupConfig
    embed_hosts: ClassVar[tuple[str, ...]] = tistory.TistorySource.embed_hosts
    cdn_domains: ClassVar[tuple[str, ...]] = tistory.TistorySource.cdn_domains
    old_urls: ClassVar[OldUrls] = tistory.OLD_URLS
    lists_drafts = True  # every post folder is in the backup, private ones too: a draft a newer backup lacks is gone
    file_hint: ClassVar[str] = "pass the Tistory backup (.zip from 관리 > 데이터 관리 > 백업, or its unpacked folder)"

    @classmethod
    def reads_file(cls, path: Path) -> bool:
        return looks_like_backup(path)[0]

    @classmethod
    def file_problem(cls, path: Path) -> str:
        return looks_like_backup(path)[1]

    @classmethod
    def open_file(cls, path: Path, cfg: Config, http: HttpClient | None = None) -> TistoryBackupSource:
        src = cls(path, cfg, http)
        src.scan()
        src.connect()
        return src

    def __init__(self, path: Path, cfg: Config, http: HttpClient | None) -> None:
        self.path = path
        self.cfg = cfg
        self.bcfg: TistoryBackupConfig = cfg.tistory_backup
        self.http = http
        self.warnings: list[str] = []
        self.archive: Archive | None = None
        self.entries: dict[str, str] = {}
        self.live: tistory.TistorySource | None = None
        self.origins = tuple(cfg.origins)
        origin = cfg.origins[0] if cfg.origins else ""
        self.blog = Blog(platform="tistory", url=origin, timezone=cfg.timezone or "Asia/Seoul", locale="ko")
        self._drafts: list[str] = []  # "<title> [id]: why" of each post written as a draft
        self._failed_live: set[str] = set()  # ids whose live page failed: the live reading's failure is yielded

    # --- opening ------------------------------------------------------------------------------------
    def scan(self) -> None:
        """The archive's post folders (cheap: names only)."""
        self.archive = Archive(self.path)
        self.entries = find_entries(self.archive.names())
        if not self.entries:
            raise NotABlogError(
                f"{self.path} holds no Tistory post folders (<id>/<id>.html)", self.file_hint.replace("pass", "use")
            )
        self.expected_total = len(self.entries)
        if self.archive.refused:
            shown = ", ".join(repr(n) for n in self.archive.refused[:5])
            self.warnings.append(
                f"{len(self.archive.refused)} member(s) of the backup were refused (absolute names, '..', "
                f"links): {shown}"
            )
        top = {n.split("/", 1)[0] for n in self.entries.values() if "/" in n}
        name = next(iter(top)).rsplit("-1-1", 1)[0] if len(top) == 1 and next(iter(top)).endswith("-1-1") else ""
        self.blog = replace(self.blog, title=name)

    def connect(self) -> None:
        """With an address (``--origin``) and ``tistory_backup.live``, open the live blog."""
        if not self.cfg.origins or not self.bcfg.live:
            how = "pass --origin https://NAME.tistory.com to read the live blog" if not self.cfg.origins else ""
            if not self.cfg.publish_all:
                self.warnings.append(
                    "the backup does not say which posts are public: every post is written as a draft "
                    f"(published: false){'; ' + how if how else ''}, or pass --publish-all"
                )
            return
        if self.http is None:
            raise UsageError("reading the live blog needs the run's HTTP client", "run it through `migrator migrate`")
        self.live = tistory.TistorySource.open(self.cfg.origins[0], self.cfg, self.http)
        self.blog = replace(self.live.blog, title=self.live.blog.title or self.blog.title)

    # --- per-URL rules --------------------------------------------------------------------------------
    def local_asset(self, url: str, near: datetime | None = None) -> tuple[LocalCopy, ...]:
        """The archive's own file for one of its ``./img/...``/``./file/...`` URLs (copied, never downloaded:
        its host does not exist); raises ``FetchError`` for one the archive lacks."""
        parts = urlsplit(url)
        if (parts.hostname or "") != HOST or self.archive is None:
            return ()
        post_id, _, rel = unquote(parts.path).lstrip("/").partition("/")
        folder = posixpath.dirname(self.entries.get(post_id, ""))
        name = _nfc(f"{folder}/{rel}") if folder else ""
        if not name or safe_member(name) != name or name not in self.archive:
            raise FetchError(
                f"{post_id}/{rel} is referenced by post {post_id} but is not in the backup", status_code=404
            )
        archive = self.archive
        return (LocalCopy(name=name, size=archive.size(name), open=lambda: archive.open(name), origin=READING,
                          only=True),)  # fmt: skip

    def is_platform_image(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return (
            host == HOST
            or host.endswith(("daumcdn.net", "kakaocdn.net"))
            or re.match(r"^cfile\d+\.uf\.", host) is not None
        )

    def asset_key(self, url: str) -> str:
        return tistory.stable_image_key(url)

    def asset_headers(self, url: str) -> dict[str, str]:
        return self.live.asset_headers(url) if self.live is not None else {}

    def internal_path(self, url: str) -> str | None:
        if self.live is not None:
            return self.live.internal_path(url)
        hosts = {(urlsplit(o).hostname or "").lower() for o in self.cfg.origins}
        parts = urlsplit(url)
        if not hosts or (parts.hostname or "").lower() not in hosts:
            return None
        path = re.sub(r"^/m(?=/)", "", parts.path)
        return path if tistory.classify_path(path) else None

    def aliases(self, post_id: str, path: str) -> list[str]:
        return [p for p in tistory.post_aliases(post_id, path) if p != path]

    # --- the posts ------------------------------------------------------------------------------------
    def posts(self, since: datetime | None = None, known: Known | None = None) -> Iterator[Post]:
        """The live blog's posts the backup lacks (as read there), then every post folder, merged with what
        the live blog says of it; on a resync, a post the live blog shows unchanged is not read again."""
        lives: dict[str, Live] = {}
        if self.live is not None:
            yield from self._read_live(since, known, lives)
        self.listed_ids = set(self.live.listed_ids or ()) if self.live is not None and since is not None else None
        for post_id in sorted(self.entries, key=lambda x: int(x)):
            if post_id in self._failed_live:
                continue
            live = lives.get(post_id)
            if live is not None and live.post is None and self.listed_ids is not None:
                self.listed_ids.add(post_id)  # shown unchanged by the live blog: nothing new to merge
                continue
            post = self._entry(post_id, live)
            if post is not None:
                yield post
        self._finish()

    def _read_live(self, since: datetime | None, known: Known | None, lives: dict[str, Live]) -> Iterator[Post]:
        assert self.live is not None
        for post in self.live.posts(since, known):
            if post.id not in self.entries or (post.error and not post.skip):
                # newer than the backup (or a notice it lacks): the live blog's reading; a page that could not
                # be read fails as it is (its file, if any, stays; retried next run), never turned into a draft
                if post.error:
                    self._failed_live.add(post.id)
                yield post
                continue
            if post.error:
                reason = "protected by a password" if post.skip and "password" in post.error else post.error
                lives[post.id] = Live(post, False, reason)
            else:  # what the merge takes of it (not its text: memory stays small for any blog)
                lives[post.id] = Live(replace(post, html=""), True, images=live_images(post.html))
        self.warnings.extend(self.live.warnings)
        self.incomplete = self.live.incomplete
        for post_id in self.live.listed_ids or ():
            if post_id in self.entries and post_id not in lives:
                lives[post_id] = Live(None, True)

    def _kind(self, post_id: str, live: Live | None) -> str:
        b = self.bcfg
        if post_id in b.templates:
            return "template"
        if post_id in b.notices or (live is not None and live.post is not None and live.post.kind == "page"):
            return "notice"
        return "page" if post_id in b.pages else "post"

    def _entry(self, post_id: str, live: Live | None) -> Post | None:
        assert self.archive is not None
        kind = self._kind(post_id, live)
        base = self.live.origin if self.live is not None else (self.blog.url or f"https://{HOST}")
        try:
            got = read_post(
                self.archive, post_id, self.entries[post_id], self.bcfg, base, live.images if live else None
            )
        except Exception as e:  # noqa: BLE001 - one folder the reader cannot read fails alone
            log.debug("cannot read backup post %s", post_id, exc_info=True)
            return self._failed(post_id, f"cannot read {self.entries[post_id]} ({type(e).__name__}: {e})")
        published = got.published
        if published is None:
            published = datetime(1970, 1, 1, tzinfo=tistory.KST)
            self.warnings.append(f"backup post {post_id} ({got.title}): no date found; dated 1970-01-01")
        if got.unused:
            log.debug("backup post %s: %d file(s) no reference uses", post_id, got.unused)
        post = Post(
            id=post_id,
            kind="post",
            status="draft",
            title=got.title,
            html=got.html,
            published=published,
            slug=got.title,
            categories=got.categories,
            tags=got.tags,
            reading=READING,
        )
        if kind == "template":
            return replace(post, unreadable=Unreadable("a template (서식), not a post: not migrated", skipped=True))
        if kind in ("notice", "page"):
            return self._as_page(post, kind, live)
        return self._placed(post, live)

    def _failed(self, post_id: str, error: str) -> Post:
        return Post(
            id=post_id,
            kind="post",
            status="draft",
            title="",
            html="",
            published=datetime(1970, 1, 1, tzinfo=tistory.KST),
            unreadable=Unreadable(error),
            reading=READING,
        )

    def _as_page(self, post: Post, kind: str, live: Live | None) -> Post:
        lp = live.post if live is not None else None
        path = lp.path if lp is not None and lp.path else (f"/notice/{post.id}" if kind == "notice" else f"/{post.id}")
        origin = self.live.origin if self.live is not None else self.blog.url
        return replace(
            post,
            kind="page",
            status="live",
            path=path,
            url=(origin + path) if origin else None,
            slug=f"notice-{post.id}" if kind == "notice" else post.id,
            old_urls=(f"/m{path}",),
            title=lp.title if lp is not None and lp.title else post.title,
            comments=lp.comments if lp is not None else (),
            comment_count=lp.comment_count if lp is not None else None,
        )

    def _placed(self, post: Post, live: Live | None) -> Post:
        """Published at its live address (with the live blog's metadata), or a draft (listed) when the live
        blog does not show it; without the live blog, a draft unless ``publish_all``."""
        if self.live is None:
            if not self.cfg.publish_all:
                return post
            path = f"/{post.id}"
            origin = self.blog.url
            return replace(
                post,
                status="live",
                path=path,
                url=(origin + path) if origin else None,
                old_urls=tuple(tistory.post_aliases(post.id, path)),
            )
        if live is None or not live.public or live.post is None:
            why = live.reason if live is not None else "not on the live blog (private, deleted, or a template)"
            self._drafts.append(f"{post.title} [{post.id}]: {why}")
            return post
        lp = live.post
        return replace(
            post,
            status="live",
            title=lp.title or post.title,
            updated=lp.updated,
            url=lp.url,
            path=lp.path,
            slug=lp.slug or post.slug,
            categories=lp.categories or post.categories,
            tags=lp.tags or post.tags,
            old_urls=lp.old_urls,
            etag=lp.etag,
            last_modified=lp.last_modified,
            comments=lp.comments,
            comment_count=lp.comment_count,
        )

    def _finish(self) -> None:
        if self._drafts:
            shown = self._drafts[:50]
            more = f"; and {len(self._drafts) - 50} more" if len(self._drafts) > 50 else ""
            self.warnings.append(
                f"{len(self._drafts)} post(s) of the backup are not public on the live blog: written as drafts "
                f"(_drafts/, published: false): " + "; ".join(shown) + more
            )
            self._drafts = []
