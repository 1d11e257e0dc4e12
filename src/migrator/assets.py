"""Images: find them in a post (pure), name them (pure), download each distinct one once (to a ``.part``
file, then ``os.replace``), and give the pipeline a URL -> local path map."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from migrator.errors import BadBody, FetchError, OutputError
from migrator.models import AssetRecord, LocalCopy
from migrator.names import safe_stem, unique_path
from migrator.runtime import LazyModule
from migrator.urls import absolute_url, srcset_urls
from migrator.urls import other_scheme as other_scheme  # re-exported: part of this module's helpers

hashlib = LazyModule("hashlib")  # on the first digest (see models.py)

if TYPE_CHECKING:  # the http client is imported where it is used: a conversion worker finds images only
    from bs4 import BeautifulSoup

    from migrator.http import Fetched, HttpClient

# a draft's images and files go under this folder (Jekyll publishes no folder that starts with "_"): what a
# private post holds is not on the built site, under a name that holds its title, or in its sitemap
DRAFT_ASSETS = "_draft-assets"
IMAGE_EXTS = frozenset({"png", "jpg", "jpeg", "gif", "webp", "bmp", "svg", "avif", "heic", "ico", "tif", "tiff"})
IMAGE_TYPES = {"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp", "bmp": "image/bmp",
               "avif": "image/avif", "heic": "image/heic", "tif": "image/tiff", "ico": "image/x-icon",
               "svg": "image/svg+xml"}  # fmt: skip
OFFLINE_MISSING = "not in the archive, and --offline downloads nothing (run again without --offline to fetch it)"
GENERIC_STEMS = frozenset({"img", "image", "images", "photo", "picture", "file", ""})


@dataclass(frozen=True)
class ImageRef:
    url: str  # absolute URL, as it will be looked up in the asset map
    name_hint: str | None = None  # a file name the platform gave (data-filename), if any
    kind: str = "image"  # "image", or "file" for an attachment (any type, kept under its own name)


# --- pure helpers ------------------------------------------------------------------------------------


def image_key(url: str) -> str:
    """What makes two image URLs the same image: everything but the scheme (a post may link the full size
    over http and show it over https), with the host in lower case."""
    parts = urlsplit(url)
    return parts._replace(scheme="", netloc=parts.netloc.lower()).geturl()


def looks_like_image_url(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return "." in path.rsplit("/", 1)[-1] and path.rsplit(".", 1)[-1] in IMAGE_EXTS


def find_images(
    html: str | BeautifulSoup,
    base: str | None,
    is_image_host: Callable[[str], bool] = lambda u: False,
) -> list[ImageRef]:
    """Every image a post shows or links to, in document order, without duplicates (``html`` may be a
    soup already parsed; it is only read)."""
    return choose_images(image_candidates(html, base), is_image_host)


# (absolute URL, name hint, kind, whether it is an image only when its host serves images)
ImageCandidate = tuple[str, str | None, str, bool]


def image_candidates(html: str | BeautifulSoup, base: str | None) -> list[ImageCandidate]:
    """What :func:`find_images` reads of a post's markup, in document order: plain values, so that a worker
    process can parse the post while the source (``is_image_host``) stays in the main one."""
    from bs4 import BeautifulSoup

    from migrator.convert import tags_named

    soup = BeautifulSoup(html, "lxml") if isinstance(html, str) else html
    found: list[ImageCandidate] = []

    def add(raw: str | None, hint: str | None = None, kind: str = "image", conditional: bool = False) -> None:
        url = absolute_url(raw or "", base)
        if url:
            found.append((url, hint, kind, conditional))

    for el in tags_named(soup, "img", "a", "source"):
        if el.name == "img":
            hint = el.get("data-filename") or el.get("filename")
            add(el.get("src"), hint)
            for u in srcset_urls(el.get("srcset") or ""):
                add(u, hint)
        elif el.name == "source" and el.find_parent("picture") is not None:
            for u in srcset_urls(el.get("srcset") or ""):
                add(u)
        elif el.name == "a":
            href = absolute_url(el.get("href") or "", base)
            if not href:
                continue
            if el.get("data-migrator-attachment"):
                add(href, str(el["data-migrator-attachment"]), "file")
                continue
            inner = {image_key(u) for u in (absolute_url(i.get("src") or "", base) for i in tags_named(el, "img")) if u}
            if inner:
                add(href, conditional=not (image_key(href) in inner or looks_like_image_url(href)))
    return found


def choose_images(candidates: list[ImageCandidate], is_image_host: Callable[[str], bool]) -> list[ImageRef]:
    """The images among :func:`image_candidates`' (a link around an image is one when it names an image,
    the same one, or a host that serves images), one per image: under http and https it is one ref, https
    kept."""
    seen: dict[str, ImageRef] = {}
    for url, hint, kind, conditional in candidates:
        if conditional and not is_image_host(url):
            continue
        key = image_key(url)
        had = seen.get(key)
        if had is None:
            seen[key] = ImageRef(url, hint, kind)
        elif url.lower().startswith("https:") and not had.url.lower().startswith("https:"):
            seen[key] = ImageRef(url, had.name_hint or hint, had.kind)
    return list(seen.values())


def sniff_extension(head: bytes) -> str | None:
    """The file extension the bytes say, or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:2] == b"BM":
        return "bmp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"avif", b"avis"):
        return "avif"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1"):
        return "heic"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tif"
    if head[:4] == b"\x00\x00\x01\x00":
        return "ico"
    text = head[:512].lstrip().lower()
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in head[:2048].lower()):
        return "svg"
    return None


def looks_complete(ext: str | None, head: bytes, tail: bytes, size: int) -> bool:
    """Whether an image's bytes end the way its format ends (a body cut short, with no Content-Length to
    tell, fails this): PNG's IEND chunk, JPEG's EOI marker, GIF's trailer, WebP's RIFF length."""
    if ext == "png":
        return b"IEND" in tail[-64:]
    if ext == "jpg":
        return b"\xff\xd9" in tail[-1024:]
    if ext == "gif":
        return b"\x3b" in tail[-16:]
    if ext == "webp":
        return len(head) >= 8 and int.from_bytes(head[4:8], "little") + 8 <= size
    return True


def is_html_bytes(head: bytes) -> bool:
    text = head[:512].lstrip().lower()
    return text.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or b"<html" in text[:200]


def url_name(url: str) -> str:
    """The file name a URL ends with (its last path segment, decoded)."""
    return unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])


def name_stem(url: str, hint: str | None, name_for: Callable[[str], str] = url_name) -> str:
    """The stem an image file is named after: the platform's file name, else the URL's (``name_for``: the
    source's reading of it, which knows its image URLs' size tokens)."""
    base = hint or name_for(url)
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = safe_stem(stem)
    return stem if stem.lower() not in GENERIC_STEMS else (stem or "image")


def extension_for(head: bytes, content_type: str | None, url: str, name_hint: str | None = None) -> str:
    if name_hint and "." in name_hint:  # an attachment keeps the extension its author gave it
        ext = safe_stem(name_hint.rsplit(".", 1)[-1].lower(), 10)
        if ext:
            return ext
    ext = sniff_extension(head)
    if ext:
        return ext
    ct = (content_type or "").split(";")[0].strip().lower()
    by_type = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}
    if ct in by_type:
        return by_type[ct]
    last = urlsplit(url).path.rsplit("/", 1)[-1]
    if "." in last:
        guess = safe_stem(last.rsplit(".", 1)[-1].lower(), 8)
        if guess:
            return guess
    return "bin"


def is_draft_asset(path: str) -> bool:
    """``path`` (site-relative) is a draft's file, under :data:`DRAFT_ASSETS`."""
    return path.startswith(DRAFT_ASSETS + "/")


def file_sha256(path: Path) -> str | None:
    try:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()
    except OSError:
        return None


# --- the store -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Absent:
    """A file the source says it holds and does not (a backup that lacks it): nothing to copy or download."""

    message: str
    only: bool = True


class AssetStore:
    """Downloads images into ``out`` and remembers them in the manifest's asset table.

    Downloads run on a bounded pool; names are given afterwards in document order, so the output does not
    depend on timing. A dry run downloads nothing and answers from the manifest alone.
    """

    def __init__(
        self,
        out: Path,
        http: HttpClient,
        assets: dict[str, AssetRecord],
        *,
        images_dir: str = "assets/img",
        files_dir: str = "assets/files",
        jobs: int = 4,
        dry_run: bool = False,
        headers_for: Callable[[str], dict[str, str]] = lambda u: {},
        on_record: Callable[[AssetRecord], None] = lambda r: None,
        key_for: Callable[[str], str] = lambda u: u,
        name_for: Callable[[str], str] = url_name,
        local_for: Callable[[str, datetime | None], Sequence[LocalCopy]] = lambda u, near: (),
        offline: bool = False,
    ) -> None:
        self.out = out
        self.http = http
        self.assets = assets
        self.images_dir = images_dir.strip("/")
        self.files_dir = files_dir.strip("/")
        self.dry_run = dry_run
        self.headers_for = headers_for
        self.on_record = on_record
        self.key_for = key_for  # the stable identity of a URL (signed URLs change monthly, the image does not)
        self.name_for = name_for  # the file name an image URL stands for (the source knows its size tokens)
        self.local_for = local_for  # copies of an image the source holds itself (an archive's photos)
        self.offline = offline  # nothing is downloaded: what the source does not hold is missing
        self.tmp = out / ".migrator" / "tmp"
        self.pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="asset")
        self._by_sha: dict[str, str] = {}  # sha256 -> the file holding those bytes (a published one first)
        for r in sorted(assets.values(), key=lambda r: is_draft_asset(r.path or "")):
            if r.status == "ok" and r.sha256 and r.path:
                self._by_sha.setdefault(r.sha256, r.path)
        self._claimed: set[str] = {r.path for r in assets.values() if r.path}
        self._claimed_folded: set[str] = {p.casefold() for p in self._claimed}
        self._inflight: dict[str, Future] = {}
        self._known: set[tuple[str, str]] = set()  # image folders found inside the site (sinks.inside)
        self._made: set[str] = set()  # image folders made (or found) by this run
        self._heads: dict[Path, bytes] = {}  # a copied .part file's first bytes, read once for its name
        self.downloaded = 0
        self.would_download = 0  # a dry run: what a real run would fetch
        self._would: set[str] = set()  # (the images it counted, by key: one an image, as a real run fetches)
        self.copied = 0  # from the source's own copies (local_for), not downloaded
        self.reused = 0
        self.failed = 0
        self.missing = 0  # offline, and not held by the source

    def close(self) -> None:
        """Every download ended (those not started are cancelled), and every ``.part`` file left in the
        tool's own ``.migrator/tmp`` removed: a prefetch for a post that was not processed after all, or,
        when the run is stopped, the downloads of the post it stopped in."""
        for fut in self._inflight.values():  # prefetched for posts that were not processed after all
            fut.cancel()
        self.pool.shutdown(wait=True, cancel_futures=True)
        self._inflight.clear()
        if not self.dry_run:
            try:
                for part in self.tmp.glob("*.part"):
                    part.unlink(missing_ok=True)
            except OSError:
                pass  # the next run sweeps what is left (Migration._clean_leftovers)

    def prefetch(self, refs: Iterable[ImageRef], near: datetime | None = None) -> None:
        """Start downloading what ``resolve`` will need for a later post (``near``: that post's date)."""
        if self.dry_run:
            return
        self.tmp.mkdir(parents=True, exist_ok=True)
        for ref in refs:
            if ref.url in self._inflight or self._usable(self.assets.get(self.key_for(ref.url))):
                continue
            if self.offline or self._local(ref, near):
                continue  # nothing to download: the copy is made in resolve, in this thread (see _inline)
            self._inflight[ref.url] = self.pool.submit(self._fetch, ref, near)

    def _usable(self, rec: AssetRecord | None) -> bool:
        return bool(rec and rec.status == "ok" and rec.path and (self.out / rec.path).is_file())

    def _local(self, ref: ImageRef, near: datetime | None) -> Sequence[LocalCopy | Absent]:
        """The source's own copies of an image or attachment (an archive's photos, a backup's files)."""
        try:
            return self.local_for(ref.url, near)
        except FetchError as e:
            return (Absent(e.message),)

    def _inline(self, ref: ImageRef, near: datetime | None, copies: Sequence[LocalCopy | Absent]) -> Future:
        """``_fetch`` done here and now: a local copy is a few file reads, and on the pool it would only
        contend for the interpreter with the conversion (measured: slower than copying in turn)."""
        fut: Future = Future()
        fut.set_result(self._fetch(ref, near, copies))
        return fut

    def _fetch(
        self, ref: ImageRef, near: datetime | None, copies: Sequence[LocalCopy | Absent] | None = None
    ) -> tuple[Fetched | None, Path, str | None, str | None]:
        """(what was got, its ``.part`` file, an error, where it came from when it was not downloaded): the
        first of the source's own copies whose bytes are an image, else a download (none when offline)."""
        if copies is None:
            copies = self._local(ref, near)
        error = None
        for copy in copies:
            if isinstance(copy, Absent):  # the source's own URL, but it holds no such file (a backup lacks it)
                return None, self._part(ref), copy.message, None
            got, part, error = self._copy(copy, ref)
            if got is not None and error is None:
                return got, part, None, copy.origin
        if error is not None and any(copy.only for copy in copies):
            return None, self._part(ref), error, None  # no other copy of it anywhere: nothing to download
        if self.offline:
            return None, self._part(ref), OFFLINE_MISSING, None
        return (*self._download(ref), None)

    def _part(self, ref: ImageRef) -> Path:
        return self.tmp / (hashlib.sha1(ref.url.encode("utf-8")).hexdigest() + ".part")

    def _copy(self, copy: LocalCopy, ref: ImageRef) -> tuple[Fetched | None, Path, str | None]:
        """Stream one of the source's copies to the ``.part`` file; it counts only if its bytes are a whole
        image (as a download is checked), within the size cap; an attachment (a file ref) is checked as a
        downloaded one is."""
        from migrator.http import Fetched

        part = self._part(ref)
        digest, size, cap = hashlib.sha256(), 0, self.http.cfg.max_bytes
        try:
            with copy.open() as src, open(part, "wb") as dst:
                head = tail = b""
                while chunk := src.read(1 << 20):
                    size += len(chunk)
                    if size > cap:
                        raise ValueError(f"larger than http.max_bytes ({cap:,} bytes)")
                    head = head or chunk[:4096]
                    digest.update(chunk)
                    dst.write(chunk)
                    tail = (tail + chunk[-1024:])[-1024:]
        except OSError as e:
            part.unlink(missing_ok=True)
            if e.errno == errno.ENOSPC:
                raise OutputError("the disk is full", "free some space, then run the same command again") from e
            return None, part, f"cannot read {copy.name}: {e.strerror or e}"
        except Exception as e:  # noqa: BLE001 - a damaged copy (bad CRC, cut short): the image is downloaded instead
            part.unlink(missing_ok=True)
            return None, part, f"cannot read {copy.name}: {e}"
        if ref.kind == "file":
            got = Fetched(url=copy.name, status=200, headers={}, sha256=digest.hexdigest(), size=size)
            error = self._check(got, part, ref)
            if error is not None:
                part.unlink(missing_ok=True)
                return None, part, f"{copy.name}: {error}"
            return got, part, None
        ext = sniff_extension(head) if size else None
        if ext is None or not looks_complete(ext, head, tail, size):
            part.unlink(missing_ok=True)
            return None, part, f"{copy.name} is not a whole image"
        if len(self._heads) > 4096:
            self._heads.clear()  # copies never placed (a run cut short): the head is read again if need be
        self._heads[part] = head
        got = Fetched(url=copy.name, status=200, headers={"Content-Type": IMAGE_TYPES.get(ext, "image/" + ext)},
                      sha256=digest.hexdigest(), size=size)  # fmt: skip
        return got, part, None

    def _download(self, ref: ImageRef) -> tuple[Fetched | None, Path, str | None]:
        """Fetch one asset to its ``.part`` file and check it; a body that ends too soon is fetched again (the
        HTTP client's retry policy)."""
        part = self._part(ref)
        found: list[str | None] = []

        def check(got: Fetched) -> None:
            error = self._check(got, part, ref)
            if error is not None and "incomplete" in error:
                raise BadBody(error)
            found.append(error)

        try:
            got = self.http.get(ref.url, headers=self.headers_for(ref.url), to_file=part, check=check)
        except BadBody as e:
            part.unlink(missing_ok=True)
            return None, part, e.message
        except FetchError as e:
            part.unlink(missing_ok=True)
            return None, part, e.message
        except OSError as e:
            part.unlink(missing_ok=True)
            if e.errno == errno.ENOSPC:
                raise OutputError("the disk is full", "free some space, then run the same command again") from e
            return None, part, f"cannot write the download: {e.strerror or e}"
        return got, part, found[-1] if found else None

    def resolve(
        self, refs: Iterable[ImageRef], slug: str, near: datetime | None = None, *, draft: bool = False
    ) -> dict[str, AssetRecord]:
        """Make every ref local (copy or download what is missing; ``near``: the post's date); returns url ->
        record (ok or failed). A draft's files go under :data:`DRAFT_ASSETS`; a published post never uses a
        file there (it gets its own copy)."""
        refs = list(refs)
        result: dict[str, AssetRecord] = {}
        todo: list[tuple[ImageRef, Future]] = []
        if not self.dry_run:
            self.tmp.mkdir(parents=True, exist_ok=True)
        for ref in refs:
            rec = self.assets.get(self.key_for(ref.url))
            if self._usable(rec) and (draft or not is_draft_asset(rec.path or "")):  # type: ignore[union-attr]
                result[ref.url] = rec  # type: ignore[assignment]
                self.reused += 1
            elif self.dry_run:
                result[ref.url] = AssetRecord(url=ref.url, status="failed", error="not downloaded (dry run)")
                key = self.key_for(ref.url)
                if key in self._would:  # a real run downloads it once, then finds it local for the next post
                    self.reused += 1
                else:
                    self._would.add(key)
                    self.would_download += 1
            else:
                fut = self._inflight.pop(ref.url, None)
                if fut is None:
                    copies = self._local(ref, near)
                    inline = copies or self.offline
                    fut = self._inline(ref, near, copies) if inline else self.pool.submit(self._fetch, ref, near)
                todo.append((ref, fut))
        for ref, fut in todo:  # document order: names never depend on timing
            got, part, error, origin = fut.result()
            directory = f"{self.files_dir if ref.kind == 'file' else self.images_dir}/{slug}"
            if draft:
                directory = f"{DRAFT_ASSETS}/{directory}"
            if got is None or error:
                part.unlink(missing_ok=True)
                rec = AssetRecord(url=self.key_for(ref.url), status="failed", error=error)
                self.failed += 1
                self.missing += error == OFFLINE_MISSING
            else:
                rec = self._place(got, part, ref, directory, origin, draft)
                self._drop_draft_copy(self.assets.get(rec.url), rec)
                if origin:
                    self.copied += 1
                else:
                    self.downloaded += 1
            self.assets[rec.url] = rec
            self.on_record(rec)
            result[ref.url] = rec
        return result

    def _drop_draft_copy(self, old: AssetRecord | None, new: AssetRecord) -> None:
        """A draft's file whose post is now published (``new`` is its published copy): the draft's copy goes,
        unless another record still uses it or it was edited here."""
        if self.dry_run or old is None or not old.path or old.path == new.path or not is_draft_asset(old.path):
            return
        if any(r.path == old.path for r in self.assets.values() if r is not old):
            return
        from migrator.sinks import inside

        target = inside(self.out, old.path)
        if target.is_file() and file_sha256(target) == old.sha256:
            target.unlink()

    @staticmethod
    def _check(got: Fetched, part: Path, ref: ImageRef) -> str | None:
        if got.size == 0:
            return "the server sent an empty file"
        streamed = bool(got.head)  # the client kept the body's ends while it streamed: no need to read them back
        if not streamed:
            with open(part, "rb") as f:
                head = f.read(4096)
        else:
            head = got.head
        if ref.kind == "file" and (ref.name_hint or "").lower().endswith((".html", ".htm")):
            return None
        ext = sniff_extension(head)
        if ext is not None:
            if streamed:
                tail = got.tail
            else:
                with open(part, "rb") as f:
                    f.seek(max(0, got.size - 1024))
                    tail = f.read()
            if not looks_complete(ext, head, tail, got.size):
                return f"the {ext} file is incomplete ({got.size:,} bytes, cut short); it will be fetched again"
        if ext is None:
            if is_html_bytes(head) or (got.content_type or "").startswith("text/html"):
                return f"the server sent a web page (HTTP {got.status}, {got.content_type}), not an image"
        return None

    def _place(
        self, got: Fetched, part: Path, ref: ImageRef, directory: str, origin: str | None = None, draft: bool = False
    ) -> AssetRecord:
        sha = got.sha256 or file_sha256(part) or ""
        head = self._heads.pop(part, None)
        existing = self._by_sha.get(sha)
        if existing and is_draft_asset(existing) and not draft:
            existing = None  # the bytes a draft holds, now for a published post: a published copy of its own
        if existing and (self.out / existing).is_file():
            part.unlink(missing_ok=True)  # the same bytes under another URL: one file
            path = existing
        elif existing:  # the file was deleted here: it comes back under its old name
            from migrator.sinks import inside

            target = inside(self.out, existing, self._known)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(part, target)
            path = existing
        else:
            if head is None:
                with open(part, "rb") as f:
                    head = f.read(4096)
            ext = extension_for(head, got.content_type, ref.url, ref.name_hint if ref.kind == "file" else None)
            stem = name_stem(ref.url, ref.name_hint, self.name_for)

            def taken(candidate: str) -> bool:
                if candidate.casefold() in self._claimed_folded:  # names that differ only in case collide
                    return True
                target = self.out / candidate
                # a file left by a killed run with the same bytes is ours to adopt
                return target.exists() and file_sha256(target) != sha

            path = unique_path(directory, stem, ext, taken)
            from migrator.sinks import inside

            target = inside(self.out, path, self._known)  # never through a link to outside the site
            if directory not in self._made:
                target.parent.mkdir(parents=True, exist_ok=True)
                inside(self.out, path, self._known)  # the folders just made are checked too
                if len(self._made) > 4096:
                    self._made.clear()
                self._made.add(directory)
            try:
                os.replace(part, target)
            except FileNotFoundError:  # the folder went since (removed by hand): made again
                target.parent.mkdir(parents=True, exist_ok=True)
                inside(self.out, path)
                os.replace(part, target)
            self._claimed.add(path)
            self._claimed_folded.add(path.casefold())
            if not (draft and sha in self._by_sha):
                self._by_sha[sha] = path
        return AssetRecord(
            url=self.key_for(ref.url),
            path=path,
            sha256=sha,
            bytes=got.size,
            content_type=got.content_type,
            etag=got.etag,
            last_modified=got.last_modified,
            status="ok",
            source=origin,
        )
