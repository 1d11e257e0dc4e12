"""Orchestration only: stream posts from a source, plan each one, fetch its images, convert, render, hand
the file to the sink, and checkpoint the manifest. Every decision is a pure function elsewhere."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import re
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from migrator import jekyll, workers
from migrator.assets import DRAFT_ASSETS, AssetStore, ImageRef, choose_images
from migrator.config import Config
from migrator.errors import MigratorError, OutputError, UsageError
from migrator.http import HttpClient
from migrator.manifest import Action, Manifest, SiteLock, keeps_reading, plan, resync_since
from migrator.models import AssetRecord, Blog, Known, KnownPost, Post, PostRecord, scrub
from migrator.report import Report, ReportItem
from migrator.runtime import long_lived
from migrator.sinks import DryRunSink, FileSink, check_dirs, sha256_text, unified_diff
from migrator.sources.base import Source
from migrator.workers import Rendered

if TYPE_CHECKING:
    from bs4 import BeautifulSoup

    from migrator.guard import Fallback  # (the loss guard and the sanitiser are loaded when a post is converted)
    from migrator.sanitize import Removed

log = logging.getLogger("migrator")
# the whole manifest rewritten (the journal folded in) at most this often, and at most 1/40 of the run: the
# journal already holds every record durably, a checkpoint only keeps it short (a 1,000-post run spent
# 4% of its main-process CPU re-serialising the manifest every 5 s)
CHECKPOINT_SECONDS = 30.0
# the group commit: the files and manifest records of the posts done in this long are made durable
# together (one sync, one journal fsync); a kill loses at most that much work, which the next run redoes
GROUP_SECONDS = 0.25
LOOKAHEAD = 16  # posts whose downloads run ahead of the one being converted
IN_FLIGHT = 8  # posts whose conversion may run in workers while the next ones are planned
IMAGE_EXTENSIONS = frozenset({"jpg", "jpeg", "png", "gif", "webp", "avif", "svg", "bmp", "heic", "heif", "tif", "tiff"})

Progress = Callable[[str], None]


def _url_path(url: str) -> str:
    """``urlsplit(url).path``, without urlsplit for the plain ``https://host/path`` the manifest holds (a
    no-op resync of 1,000 posts spent 25 ms splitting them)."""
    scheme, sep, rest = url.partition("://")
    if sep and scheme in ("http", "https") and not any(c in url for c in "?#;\\[ \t\r\n"):
        slash = rest.find("/")
        return rest[slash:] if slash >= 0 else ""
    return urlsplit(url).path


@dataclasses.dataclass(frozen=True, slots=True)
class Planned:
    """A post to be written, as :meth:`Migration.process` planned it before its conversion."""

    post: Post
    entry: PostRecord | None
    action: Action
    fingerprint: str
    path: str | None
    moved: bool
    slug: str
    records: dict[str, AssetRecord]


@dataclasses.dataclass(frozen=True, slots=True)
class Pending:
    """A planned post whose conversion runs in a worker (a Future of its workers.Rendered)."""

    planned: Planned
    future: Future


def render_key(cfg: Config) -> str:
    """sha256 of the settings that shape a rendered file: changing one re-renders posts not edited by hand."""
    shape = {
        "format": cfg.format,
        "urls": cfg.urls,
        "timezone": cfg.timezone,
        "baseurl": cfg.site.baseurl,
        "front_matter": dataclasses.asdict(cfg.front_matter),
        "images": dataclasses.asdict(cfg.images),
        "clean": dataclasses.asdict(cfg.clean),
        "embeds": dataclasses.asdict(cfg.embeds),
    }
    return hashlib.sha256(json.dumps(shape, sort_keys=True, default=str).encode()).hexdigest()


def _site_baseurl(cfg: Config, sink: FileSink) -> str:
    """site.baseurl from the config, else the one an existing _config.yml sets."""
    return jekyll.normalize_baseurl(cfg.site.baseurl) or jekyll.config_baseurl(sink.read(jekyll.CONFIG))


MAX_PREVIEWS = 300  # a dry run keeps the rendered text of this many new posts for the report: its memory
MAX_DIFF_CHARS = 200_000  # stays small for any blog size (one diff or preview at most this long)


def lead_image(thumbnail: str | None, records: dict[str, AssetRecord], amap: dict[str, str]) -> str | None:
    """The post's ``image:`` (pure): its thumbnail stored locally, else its first stored image (never an
    attachment: a .txt or .pdf is not a picture), else the thumbnail's remote URL, else none."""
    if thumbnail and thumbnail in amap:
        return amap[thumbnail]
    for url, rec in records.items():
        if url in amap and rec.path and rec.path.rsplit(".", 1)[-1].lower() in IMAGE_EXTENSIONS:
            return amap[url]
    return thumbnail or None


def cap_text(text: str | None, limit: int) -> str | None:
    """``text`` cut to ``limit`` characters, with a line that says so."""
    if text is None or len(text) <= limit:
        return text
    return text[:limit] + f"\n… ({len(text) - limit:,} more characters not shown)\n"


def _host(url: str | None) -> str:
    host = (urlsplit(url or "").hostname or "").lower()
    for prefix in ("www.", "m."):
        if host.startswith(prefix) and host.count(".") > 1:
            host = host[len(prefix) :]
    return host


def same_blog(recorded: dict[str, str], blog: Blog, origins: tuple[str, ...] = ()) -> bool:
    """Whether ``blog`` is the blog a site's manifest recorded (pure). The platform must agree; then the
    blog id when both know one, else the address (``www.``/``m.`` and the scheme aside), when both know one.
    An export that records neither is taken as the same blog."""
    if recorded.get("platform") and blog.platform and recorded["platform"] != blog.platform:
        return False
    if recorded.get("blog_id") and blog.blog_id:
        return recorded["blog_id"] == blog.blog_id
    old_hosts = {_host(recorded.get("url")), *(_host(u) for u in recorded.get("urls", "").split())} - {""}
    new_hosts = {_host(blog.url), *(_host(u) for u in origins)} - {""}
    if old_hosts and new_hosts:
        return bool(old_hosts & new_hosts)
    return True


class Migration:
    def __init__(
        self,
        source: Source,
        cfg: Config,
        out: Path,
        http: HttpClient,
        progress: Progress | None = None,
        manifest: Manifest | None = None,
    ) -> None:
        """``manifest``: the site's manifest, already read (the CLI reads it while the source's first
        request is on the wire); read here otherwise."""
        self.source = source
        source.blog, _ = scrub(source.blog)  # a title with a lone surrogate must not stop the report
        self.cfg = cfg
        self.out = out
        self.http = http
        http.set_cdn_domains(type(source).cdn_domains if hasattr(type(source), "cdn_domains") else ())
        self.progress = progress or (lambda title: None)
        self.dry_run = cfg.dry_run
        self.sink: FileSink = DryRunSink(out) if cfg.dry_run else FileSink(out, grouped=True)
        self._take_manifest(manifest if manifest is not None else Manifest.load(out, readonly=cfg.dry_run))
        self.report = Report(out=out, dry_run=cfg.dry_run, blog_title=source.blog.title, blog_url=source.blog.url)
        # a line per post is kept for the plan (a dry run) and the --report file; a real run without one only
        # counts the posts its manifest records as they are (see _add)
        self._keep_items = cfg.dry_run or bool(cfg.report)
        self.baseurl = _site_baseurl(cfg, self.sink)
        # post id -> its parse and images, parsed ahead here (soup, refs), in a worker (a Future of its
        # workers.Prepared), or back from a worker with its downloads started (None, refs)
        self._prepared: dict[str, tuple[BeautifulSoup | None, list[ImageRef]] | Future] = {}
        self._from_workers: dict[str, workers.Prepared] = {}  # what a worker found in a post, for its render
        # post id -> the original URLs of its links to the blog's posts (the new target is the source's
        # internal_path of each, again: not kept, nor a list per post, for 100,000 posts); a post's one link is
        # held as its string, not a tuple of one (48 bytes a post)
        self._links_by_post: dict[str, str | tuple[str, ...]] = {}
        self.ext = "html" if cfg.format == "html" else "md"
        self.render_key = render_key(cfg)
        self._source_error: str | None = None  # an unexpected error inside the source ended its listing
        self._sanitized: dict[str, Removed] = {}  # post id -> what the sanitiser removed from it
        self._readings: set[str] = set()  # the readings (Post.reading) this run saw: deletions are judged in them
        self._seen: set[str] = set()  # the ids of the posts this run read (each processed once, see _lookahead)
        self._pool: workers.Pool | None = None  # the conversion's worker processes (workers.py), once started
        self._pool_size = workers.pool_size(cfg.convert_workers, workers.cpus()) if not cfg.dry_run else 0
        self._converted = 0  # posts converted in this process
        self._fingerprints: dict[str, tuple[Post, str]] = {}  # the look-ahead's posts' fingerprints, until their turn
        self._needs_redirects = False  # a post has an old path that Jekyll's own URLs do not keep
        self._last_checkpoint = self._last_commit = 0.0
        self._checkpoint_cost = 0.0  # seconds the last checkpoint took

    # --- set-up ----------------------------------------------------------------------------------------
    def _check_same_blog(self) -> None:
        old = self.manifest.source
        if not old or not self.manifest.posts:
            return
        if not same_blog(old, self.source.blog, self.source.origins):
            raise UsageError(
                f"{self.out} holds a migration of another blog ({old.get('url') or old.get('blog_id')}, "
                f"{old.get('platform')})",
                "use a different --out directory",
            )

    def _check_dirs(self) -> None:
        cfg = self.cfg
        dirs = (".migrator/tmp", cfg.images.dir, cfg.images.files_dir, *jekyll.SITE_DIRS)
        dirs += tuple(f"{DRAFT_ASSETS}/{d}" for d in (cfg.images.dir, cfg.images.files_dir))
        check_dirs(self.out, dirs)

    def _clean_leftovers(self) -> None:
        """What a killed run leaves, all in ``.migrator/tmp``: image downloads (``.part``) and atomic writes cut
        short between their temp file and the rename (``.tmp``). Nothing elsewhere in the site is touched."""
        tmp = self.out / ".migrator" / "tmp"
        if tmp.is_dir():
            for part in [*tmp.glob("*.part"), *tmp.glob("*.tmp")]:
                part.unlink(missing_ok=True)

    # --- one post ----------------------------------------------------------------------------------------
    def _render(
        self, post: Post, soup: BeautifulSoup | None, records: dict[str, AssetRecord], done: Rendered | None = None
    ) -> tuple[str, Fallback | None, tuple[str, ...]]:
        """The Jekyll file for ``post`` from its parsed body (spent by the conversion; None: parsed again
        here), what the loss guard wrote instead of the plain conversion (None when nothing would have been
        lost), and the links that went to the new site. ``done``: the body as a worker converted it."""
        amap = self._asset_map(records)
        base = post.url or self.source.blog.url or None
        if done is not None:
            body, fallback, excerpt, links_used = done.body, done.fallback, done.excerpt, done.rewritten
        else:
            rewritten: list[str] = []

            def links(url: str) -> str | None:
                path = self.source.internal_path(url)
                if not path:
                    return None
                rewritten.append(url)
                return f"{self.baseurl}{path}"

            soup = soup if soup is not None else self._parse(post)
            body, fallback, excerpt = workers.convert_soup(
                soup, lambda: self._parse(post), amap, base, links, self.settings, post.summary
            )
            links_used = tuple(dict.fromkeys(rewritten))
            self._converted += 1
        image = lead_image(post.thumbnail, records, amap)
        fm = jekyll.front_matter(post, self.cfg, self.source.blog, image=image, excerpt=excerpt or None)
        return jekyll.render(fm, body), fallback, links_used

    def _asset_map(self, records: dict[str, AssetRecord]) -> dict[str, str]:
        return {url: f"{self.baseurl}/{rec.path}" for url, rec in records.items() if rec.status == "ok" and rec.path}

    def _render_in_worker(self, post: Post, records: dict[str, AssetRecord]) -> Future | None:
        """The conversion of a post a worker prepared, started there (a Future of its workers.Rendered);
        None when it is converted here (no pool, or it was parsed here)."""
        prepared = self._from_workers.pop(post.id, None)
        if prepared is None or self._pool is None:
            return None
        link_map = {}
        for url in prepared.hrefs:
            path = self.source.internal_path(url)
            link_map[url] = f"{self.baseurl}{path}" if path else None
        base = post.url or self.source.blog.url or None
        amap = self._asset_map(records)
        try:
            return self._pool.submit(
                workers.render, post.html, base, self.settings, amap, link_map, post.summary, post.id, affinity=post.id
            )
        except workers.broken_pool():
            self._stop_pool("a conversion worker stopped")
            return None

    def _worker_result(self, post: Post, future: Future, what: str) -> object | None:
        """A worker's answer for ``post``; None when the work must be done here instead (the pool is gone,
        or the worker failed: the error, if any, is then the real one)."""
        try:
            return future.result()
        except workers.broken_pool():
            self._stop_pool("a conversion worker stopped")
            return None
        except Exception:  # noqa: BLE001
            log.debug("the worker's %s of %s failed", what, post.id, exc_info=True)
            return None

    def _worker_rendered(self, post: Post, future: Future) -> Rendered | None:
        """A worker's conversion; None when it must be converted here (see _worker_result, or it asked for
        a link it was not given)."""
        done = self._worker_result(post, future, "conversion")
        return done if isinstance(done, Rendered) and not done.unknown else None

    def _stop_pool(self, why: str | None = None) -> None:
        """No more worker processes this run (the rest is converted here)."""
        if why:
            log.warning("%s: the rest of the run converts in the main process", why)
        pool, self._pool, self._pool_size = self._pool, None, 0
        if pool is not None:
            pool.shutdown()

    def _maybe_start_pool(self) -> None:
        if self._pool is not None or not self._pool_size:
            return
        # the posts announced that the site does not have yet (a resync converts the few that changed)
        expected = (self.source.expected_total or 0) - len(self.manifest.posts)
        if workers.should_start(
            self.cfg.convert_workers, self._pool_size, self._converted, expected
        ):
            try:
                self._pool = workers.start_pool(self._pool_size)
            except (OSError, ImportError) as e:  # no processes here (a sandbox): convert in this one
                log.debug("no conversion workers: %s", e)
                self._pool_size = 0

    def _fail(self, post: Post, entry: PostRecord | None, error: str) -> ReportItem:
        rec = PostRecord(
            source_url=post.url,
            title=post.title,
            updated=post.updated.isoformat() if post.updated else None,
            source_sha256="",  # never matches: retried next run
            path=entry.path if entry else None,
            output_sha256=entry.output_sha256 if entry else None,
            status="failed",
            assets=entry.assets if entry else (),
            error=error,
            kind=post.kind,
            reading=post.reading or None,
        )
        if not self.dry_run:
            self.manifest.record_post(post.id, rec)
        self.report.stats.failures.append((post.url or post.title or post.id, error))
        return ReportItem(post.id, post.url, post.title, rec.path, "failed", post.kind, error=error)

    def _skip(self, post: Post, entry: PostRecord | None) -> ReportItem:
        rec = PostRecord(
            source_url=post.url,
            title=post.title,
            updated=post.updated.isoformat() if post.updated else None,
            source_sha256="",
            path=entry.path if entry else None,
            output_sha256=entry.output_sha256 if entry else None,
            status="skipped",
            assets=entry.assets if entry else (),
            error=post.error,
            kind=post.kind,
            reading=post.reading or None,
        )
        if not self.dry_run:
            self.manifest.record_post(post.id, rec)
        self.report.stats.skips.append((post.url or post.title or post.id, post.error or "skipped"))
        return ReportItem(post.id, post.url, post.title, rec.path, "skipped", post.kind, error=post.error)

    def _cleaned(self, post: Post) -> tuple[BeautifulSoup, list[ImageRef]]:
        """The post parsed (its one parse) with clean.remove applied, and the images and files it needs."""
        cached = self._prepared.pop(post.id, None)
        if isinstance(cached, Future):
            cached = self._worker_prepared(post, cached)
        if cached is not None:
            return cached
        from migrator.assets import image_candidates

        soup = self._parse(post, count=True)
        return soup, self._refs(post, image_candidates(soup, post.url or self.source.blog.url or None))

    def _refs(self, post: Post, candidates: list) -> list[ImageRef]:
        """The images and files a post needs, from what its markup shows (assets.image_candidates)."""
        refs = choose_images(candidates, self.source.is_platform_image)
        if (
            post.thumbnail
            and post.thumbnail not in {r.url for r in refs}
            and self.source.is_platform_image(post.thumbnail)  # a YouTube thumbnail stays remote
        ):
            refs.append(ImageRef(post.thumbnail))
        if not self.cfg.images.download:
            refs = []
        return refs

    def _worker_prepared(self, post: Post, future: Future) -> tuple[None, list[ImageRef]] | None:
        """A post a worker parsed: its images (and what was removed from it, counted once); None when it
        must be parsed here (the pool is gone, or the worker failed: the error, if any, is then the real)."""
        prepared = self._worker_result(post, future, "parse")
        if not isinstance(prepared, workers.Prepared):
            return None
        self._count_removed(post, prepared.removed, prepared.rules)
        self._from_workers[post.id] = prepared
        return None, self._refs(post, prepared.candidates)

    def _parse(self, post: Post, *, count: bool = False) -> BeautifulSoup:
        """The post's body made safe (the allow-list sanitiser), parsed, with clean.remove applied. ``count``:
        record what was removed (once per post)."""
        soup, removed, rules = workers.parse(post.html, self.settings)
        if count:
            self._count_removed(post, removed, rules)
        return soup

    def _count_removed(self, post: Post, removed: Removed, rules: tuple[str, ...]) -> None:
        for rule in rules:
            self.report.stats.cleaned[rule] = self.report.stats.cleaned.get(rule, 0) + 1
        if removed.total():
            self._sanitized[post.id] = removed

    def _prefetch(self, post: Post, store: AssetStore) -> None:
        """Start the downloads of a post that will be written, while the posts before it are converted."""
        if self.dry_run or post.error:
            return
        entry = self.manifest.posts.get(post.id)
        if entry is not None and entry.status == "ok" and entry.source_sha256 == self._fingerprint(post):
            return  # most likely unchanged: nothing to fetch
        self._maybe_start_pool()
        if self._pool is not None:  # parsed in a worker: its downloads start once it is back (_start_ready)
            try:
                base = post.url or self.source.blog.url or None
                self._prepared[post.id] = self._pool.submit(
                    workers.prepare, post.html, base, self.settings, post.id, affinity=post.id
                )
                return
            except workers.broken_pool():
                self._stop_pool("a conversion worker stopped")
        prepared = self._cleaned(post)
        self._prepared[post.id] = prepared
        store.prefetch(prepared[1], post.published)

    def _start_ready(self, store: AssetStore, window: deque[Post]) -> None:
        """Start the downloads of the posts in ``window`` that a worker has parsed since the last look."""
        for post in window:
            cached = self._prepared.get(post.id)
            if isinstance(cached, Future) and cached.done():
                ready = self._worker_prepared(post, cached)
                if ready is None:
                    del self._prepared[post.id]  # parsed here when its turn comes
                    continue
                self._prepared[post.id] = ready
                store.prefetch(ready[1], post.published)

    def _guarded(self, posts):  # type: ignore[no-untyped-def]
        """The source's posts; an unexpected error inside the source ends the listing (the posts read so far
        are migrated, the run is incomplete, nothing is judged deleted) instead of the run."""
        it = iter(posts)
        while True:
            try:
                post = next(it)
            except StopIteration:
                return
            except MigratorError:
                raise
            except Exception as e:  # noqa: BLE001
                log.debug("the source failed", exc_info=True)
                self._source_error = f"{type(e).__name__}: {e}"
                return
            yield post

    def _lookahead(self, posts, store: AssetStore):  # type: ignore[no-untyped-def]
        """The source's posts, in order, with the downloads of the next LOOKAHEAD posts already running."""
        window: deque[Post] = deque()
        ids = self._seen  # the run's one set of the ids it saw (no second set of 100,000 in _run)
        for post in posts:
            post, bad = scrub(post)
            if post.id in ids:
                continue  # listed again: the run skips it
            if bad:
                self.report.stats.warnings.append(
                    f"{post.url or post.title or post.id}: {bad} invalid character(s) (lone surrogates) "
                    "replaced by U+FFFD"
                )
            if self.cfg.limit is not None and len(ids) >= self.cfg.limit:
                window.append(post)  # lets the caller see that the limit was reached
                break
            ids.add(post.id)
            try:
                self._prefetch(post, store)
            except Exception:  # noqa: BLE001 - the post fails (reported) when it is processed
                self._prepared.pop(post.id, None)
                log.debug("prefetch of %s failed", post.id, exc_info=True)
            window.append(post)
            if self._pool is not None:
                self._start_ready(store, window)
            if len(window) > LOOKAHEAD:
                yield window.popleft()
        while window:
            if self._pool is not None:
                self._start_ready(store, window)
            yield window.popleft()

    def _fingerprint(self, post: Post, *, last: bool = False) -> str:
        """``post.fingerprint()``, once per post (the look-ahead asks for it, then the post's turn: ``last``,
        after which it is not kept)."""
        known = self._fingerprints.pop(post.id, None) if last else self._fingerprints.get(post.id)
        if known is not None and known[0] is post:
            return known[1]
        fingerprint = post.fingerprint()
        if not last:
            self._fingerprints[post.id] = (post, fingerprint)
        return fingerprint

    def _asset_missing(self, url: str) -> bool:
        """The image failed last time, or its file is gone: the post is written again (and the image fetched)."""
        rec = self.manifest.assets.get(url)
        return rec is None or rec.status != "ok" or not rec.path or not self.sink.exists(rec.path)

    def process(self, post: Post, store: AssetStore) -> ReportItem | Pending:
        """What becomes of one post: its report line, or (its conversion running in a worker) a Pending
        that :meth:`complete` finishes."""
        entry = self.manifest.posts.get(post.id)
        if post.error and post.skip:
            return self._skip(post, entry)
        if post.error:
            return self._fail(post, entry, post.error)
        fingerprint = self._fingerprint(post, last=True)
        path = entry.path if entry and entry.path else None
        on_disk = self.sink.sha(path) if path else None
        retry = bool(entry and any(self._asset_missing(u) for u in entry.assets))
        moved = bool(path) and not jekyll.same_placement(post, path or "")  # a draft published, a post now a page
        if keeps_reading(entry, post.reading, post.updated, on_disk=on_disk is not None, retry=retry, moved=moved):
            return self._kept(post, entry, path)
        action = plan(fingerprint, entry, on_disk, force=self.cfg.force, retry=retry, render_key=self.render_key)
        if action == Action.UNCHANGED:
            self._note_comment_count(post, entry)
            return ReportItem(post.id, post.url, post.title, path, action.value, post.kind)
        if action == Action.CONFLICT and not self.dry_run:
            assert entry is not None
            rec = replace(entry, status="conflict")
            self.manifest.record_post(post.id, rec)
            return ReportItem(post.id, post.url, post.title, path, action.value, post.kind)

        slug = jekyll.sanitize_slug(post.slug or post.title, fallback=f"{post.kind}-{post.id}")
        soup, refs = self._cleaned(post)
        records = store.resolve(refs, slug, post.published, draft=post.status == "draft")
        for url, rec in records.items():
            if rec.status != "ok" and not self.dry_run:
                error = (rec.error or "failed").removeprefix(f"{url}: ")  # the line names the URL already
                self.report.stats.failures.append((url, f"image for {post.url or post.title}: {error}"))
        planned = Planned(post, entry, action, fingerprint, path, moved, slug, records)
        if soup is None:
            future = self._render_in_worker(post, records)
            if future is not None:
                return Pending(planned, future)
        return self._written(planned, *self._render(post, soup, records))

    def complete(self, pending: Pending) -> ReportItem:
        """A post whose conversion ran in a worker, written (converted here after all if the worker could not)."""
        planned = pending.planned
        done = self._worker_rendered(planned.post, pending.future)
        return self._written(planned, *self._render(planned.post, None, planned.records, done))

    def _written(
        self, planned: Planned, text: str, fallback: Fallback | None, links_used: tuple[str, ...]
    ) -> ReportItem:
        """The post's file written (where a new one goes decided now), recorded, and its report line."""
        post, action, fingerprint = planned.post, planned.action, planned.fingerprint
        path, moved, slug, records = planned.path, planned.moved, planned.slug, planned.records
        if links_used:
            self._links_by_post[post.id] = links_used[0] if len(links_used) == 1 else links_used
        out_sha = sha256_text(text)
        if action == Action.CONFLICT:  # a dry run shows the reviewer what --force would write
            diff = cap_text(unified_diff(self.sink.read(path) if path else None, text, path or ""), MAX_DIFF_CHARS)
            return ReportItem(post.id, post.url, post.title, path, action.value, post.kind, diff=diff)

        moved_from = path if moved else None
        if moved_from is not None:
            path = None  # written where its new kind and status live; the old file goes once the new one is there
        if path is None:
            date = jekyll.local_date(post.published, self.cfg.timezone or self.source.blog.timezone)

            def free(candidate: str) -> bool:
                if candidate.casefold() in self.used_folded:  # a clone on macOS or Windows keeps both
                    return False
                on = self.sink.sha(candidate)
                return on is None or on == out_sha  # a file a killed run left is ours to adopt

            path = jekyll.allocate_path(lambda n: jekyll.post_path(post, slug, date, self.ext, n), free)
        if fallback is not None:
            self.report.stats.fallbacks.append((path, post.url or post.title or post.id, fallback.to_json()))
        removed = self._sanitized.pop(post.id, None)
        if removed is not None:
            self.report.stats.sanitized.append((path, removed.describe()))
        if self.cfg.comments and post.comments:
            self._write_comments(post, path)
        old_text = self.sink.read(path) if action == Action.UPDATE else None
        if action == Action.UPDATE and old_text == text:
            action = Action.UNCHANGED  # the source's bytes moved (a re-signed image URL), the post did not
        elif self.sink.sha(path) != out_sha:  # never touch a file (or its mtime) whose bytes are already right
            self.sink.write(path, text)
        if moved_from is not None:
            self._remove_moved(moved_from)
        self.used_folded.add(_folded(path))
        rec = PostRecord(
            source_url=post.url,
            title=post.title,
            updated=post.updated.isoformat() if post.updated else None,
            source_sha256=fingerprint,
            path=path,
            output_sha256=out_sha,
            status="ok",
            assets=tuple(dict.fromkeys(r.url for r in records.values())),
            kind=post.kind,
            render_key=self.render_key,
            etag=post.etag,
            last_modified=post.last_modified,
            fallback=fallback.to_json() if fallback else None,
            reading=post.reading or None,
            comment_count=post.comment_count,
        )
        if not self.dry_run:
            self.manifest.record_post(post.id, rec)
        diff = cap_text(unified_diff(old_text, text, path), MAX_DIFF_CHARS) if self.dry_run else None
        preview = None
        if self.dry_run and action == Action.CREATE:
            if self.report.previews < MAX_PREVIEWS:
                preview = cap_text(text, MAX_DIFF_CHARS)
                self.report.previews += 1
            else:
                self.report.previews_omitted += 1
        return ReportItem(
            post.id,
            post.url,
            post.title,
            path,
            action.value,
            post.kind,
            diff=diff,
            preview=preview,
            fallback=rec.fallback,
            sanitized=removed.to_json() if removed else None,
        )

    def _write_comments(self, post: Post, path: str) -> None:
        """The post's comments as the generator keeps them (``_data/comments/<post file name>.yml``)."""
        rel, text = jekyll.comments_file(path, post.comments, self.cfg.timezone or self.source.blog.timezone)
        if self.sink.read(rel) != text:
            self.sink.write(rel, text)
            self.report.stats.comments += len(post.comments)  # written (or, in a dry run, to be written) this run

    def _kept(self, post: Post, entry: PostRecord | None, path: str | None) -> ReportItem:
        """The post as another reading of it wrote it stays (``manifest.keeps_reading``); its new comments
        are written all the same."""
        if self.cfg.comments and post.comments and path:
            self._write_comments(post, path)
        self._note_comment_count(post, entry)
        return ReportItem(post.id, post.url, post.title, path, Action.UNCHANGED.value, post.kind)

    def _note_comment_count(self, post: Post, entry: PostRecord | None) -> None:
        """An unchanged post whose comment count at the source moved (a secret comment: nothing to write) has
        the new count recorded, so the next resync does not read it again for that."""
        if entry is not None and post.comment_count is not None and entry.comment_count != post.comment_count:
            if not self.dry_run:
                self.manifest.record_post(post.id, replace(entry, comment_count=post.comment_count))

    def _remove_moved(self, old: str) -> None:
        """A post written at a new place (a draft now published): its old file and comments go. The old file
        is as it was written (an edited one made the post a conflict, kept, before it got here)."""
        for rel in (old, _comments_file(old)):
            if self.sink.exists(rel):
                self.sink.remove(rel)
        self.used_folded.discard(old.casefold())

    # --- deletions ----------------------------------------------------------------------------------------
    def _deletions(self, seen: set[str]) -> None:
        readings = self._readings or {""}
        kept: list[str] = []  # the files of deleted posts left in place (no --prune)
        for post_id in sorted(p for p in self.manifest.posts if p not in seen):  # not a set of every id again
            entry = self.manifest.posts[post_id]
            if entry.status == "deleted" or entry.kind == "localized":  # a file `localize` repaired, not a post
                continue
            if not self.source.lists_drafts and (entry.path or "").startswith("_drafts/"):
                continue  # a draft (from an export) is not in a public listing, whatever became of it
            if (entry.reading or "") not in readings:
                continue  # read from another input (a backup's private post): this listing cannot judge it
            item = ReportItem(post_id, entry.source_url, entry.title, entry.path, "deleted", entry.kind)
            self.report.items.append(item)
            if not self.cfg.prune:
                if entry.path:
                    kept.append(entry.path)
                continue
            if entry.path:
                on_disk = self.sink.sha(entry.path)
                if on_disk is not None and on_disk != entry.output_sha256 and not self.cfg.force:
                    self.report.stats.warnings.append(
                        f"{entry.path} was deleted at the source but edited here; kept (remove it by hand, "
                        "or add --force)"
                    )
                    continue
                if on_disk is not None:
                    self.sink.remove(entry.path)
                    self.report.stats.removed.append(entry.path)
            if not self.dry_run:
                self.manifest.record_post(post_id, replace(entry, status="deleted", path=None))
        if kept:
            more = f" and {len(kept) - 1} more" if len(kept) > 1 else ""
            self.report.stats.warnings.append(
                f"{len(kept)} post(s) deleted at the source are kept here ({kept[0]}{more}): run again with "
                "--prune to remove their files (and the images only they used)"
            )
        if self.cfg.prune and not self.dry_run:
            self._prune_assets()

    def _unresolved_links(self) -> None:
        """A link to a post of the blog that was not migrated (deleted, private, a draft) goes back to its
        old URL, and is listed: on the new site it would lead nowhere."""
        if not self._links_by_post:
            return  # no post written this run links to the blog (a no-op resync): no set of every old path
        valid: set[str] = set()
        for post_id, rec in self.manifest.posts.items():
            if rec.status in ("ok", "conflict") and rec.source_url:
                path = urlsplit(rec.source_url).path
                valid.add(path)
                valid.update(self.source.aliases(post_id, path))  # the post's other old paths
        for item in self.report.items:
            if item.action in ("create", "update", "unchanged") and item.source_url:
                valid.add(urlsplit(item.source_url).path)
        for post_id, held in self._links_by_post.items():
            olds = (held,) if isinstance(held, str) else held
            links = [(f"{self.baseurl}{p}", old) for old in olds if (p := self.source.internal_path(old))]
            bad = [(new, old) for new, old in links if new[len(self.baseurl) :].split("#")[0] not in valid]
            if not bad:
                continue
            rec = self.manifest.posts.get(post_id)
            path = rec.path if rec else next((i.path for i in self.report.items if i.post_id == post_id), None)
            for _new, old in bad:
                self.report.stats.unresolved_links.append((path or post_id, old))
            if self.dry_run or rec is None or rec.path is None or rec.status != "ok":
                continue
            text = self.sink.read(rec.path)
            if text is None:
                continue
            for new, old in bad:
                target = re.escape(new)
                text = re.sub(r"(\]\()" + target + r"(?=[\s)])", lambda m, o=old: m.group(1) + o, text)
                text = re.sub(r'(href=")' + target + '"', lambda m, o=old: m.group(1) + o + '"', text)
            self.sink.write(rec.path, text)
            self.manifest.record_post(post_id, replace(rec, output_sha256=sha256_text(text)))

    def _prune_assets(self) -> None:
        """Remove the images no remaining post uses: only files under the image folders whose bytes are
        still what was downloaded (an edited image is kept unless --force; a record naming any other file,
        ``_config.yml`` or a note of yours, never removes it)."""
        used = {u for p in self.manifest.posts.values() if p.status != "deleted" for u in p.assets}
        used_paths = {self.manifest.assets[u].path for u in used if u in self.manifest.assets}
        ours = tuple(d.strip("/") + "/" for d in (self.cfg.images.dir, self.cfg.images.files_dir))
        ours += tuple(f"{DRAFT_ASSETS}/{d}" for d in ours)
        for url in sorted(set(self.manifest.assets) - used):
            rec = self.manifest.drop_asset(url)
            if not rec.path or rec.path in used_paths:
                continue
            if not rec.path.startswith(ours) or ".." in rec.path.split("/"):
                self.report.stats.warnings.append(f"not pruned: {rec.path} is not in an image folder of the site")
                continue
            on_disk = self.sink.sha(rec.path)
            if on_disk is None:
                continue
            if on_disk != rec.sha256 and not self.cfg.force:
                self.report.stats.warnings.append(
                    f"{rec.path} is no longer used but was edited here; kept (remove it by hand, or add --force)"
                )
                continue
            self.sink.remove(rec.path)
            self.report.stats.removed.append(rec.path)

    def _lost_files(self) -> list[str]:
        """Files the manifest says were written that are no longer on disk (the next run restores them)."""
        posts = [p.path for p in self.manifest.posts.values() if p.status in ("ok", "conflict") and p.path]
        assets = [a.path for a in self.manifest.assets.values() if a.status == "ok" and a.path]
        return self.sink.missing([*posts, *assets])

    def _known(self) -> Known:
        """What the manifest recorded of every migrated post, by its old path (handed to the source on every
        run: a source whose listing cannot tell a deletion, such as a feed's window, keeps those posts)."""
        return {
            _url_path(p.source_url): KnownPost(post_id, p.updated, p.etag, p.last_modified, p.comment_count)
            for post_id, p in self.manifest.posts.items()
            if p.source_url and p.status == "ok"
        }

    def _since(self, by_records: datetime | None) -> datetime | None:
        """The last complete sync, for a cheap resync; None when every post must be read: a first run, a
        previous run that was limited or incomplete, --full, or anything that failed last time (retried).
        ``by_records``: what the manifest alone tells (:meth:`_since_by_records`)."""
        if by_records is not None and self._lost_files():
            return None  # a post or image file was deleted here: read every post, restore what is missing
        return by_records

    def _since_by_records(self) -> datetime | None:
        """:meth:`_since` as the manifest alone tells it (the files on disk not looked at)."""
        m = self.manifest
        since = resync_since(m.source, m.last_sync, platform=self.source.blog.platform, full=self.cfg.full)
        if since is None:
            return None
        if not self._records_clean():
            return None
        if any(p.render_key and p.render_key != self.render_key for p in m.posts.values()):
            return None  # rendered with other settings: every post is read (and re-rendered) again
        return since

    def _records_clean(self) -> bool:
        """No post failed or conflicts, every image is stored: nothing for the next run to retry by reading
        every post again (the header says so as ``clean``, for the CLI's guess before the records are read)."""
        m = self.manifest
        if any(p.status in ("failed", "conflict") for p in m.posts.values()):
            return False
        return all(a.status == "ok" for a in m.assets.values())

    @functools.cached_property
    def settings(self) -> workers.Settings:
        """What a conversion is given besides the post (made with the first post converted: the sanitiser's
        module, which names the default embed hosts, is not loaded by a run that converts nothing)."""
        from migrator.sanitize import DEFAULT_EMBED_HOSTS

        embed_hosts = (*DEFAULT_EMBED_HOSTS, *self.source.embed_hosts, *self.cfg.embeds.allow_hosts)
        cfg = self.cfg
        return workers.Settings(embed_hosts, tuple(cfg.clean.remove), cfg.format, cfg.front_matter.excerpt_length)

    # --- the run ------------------------------------------------------------------------------------------
    def _take_manifest(self, manifest: Manifest) -> None:
        self.manifest = manifest
        long_lived()  # the records live the whole run: not scanned by the collector again
        manifest.grouped = True  # records wait for _commit(), which comes after their files
        self.used_folded = {_folded(r.path) for r in manifest.posts.values() if r.path}  # names taken

    def run(self) -> Report:
        self._check_same_blog()
        self._check_dirs()
        if self.dry_run:
            return self._run()
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise OutputError(f"cannot create {self.out}: {e.strerror or e}") from None
        lock = SiteLock(self.out)
        lock.acquire()
        try:
            if self.manifest.changed_on_disk():  # another run wrote it after it was read, before this lock
                self._take_manifest(Manifest.load(self.out))
                self._check_same_blog()
            self._clean_leftovers()
            return self._run()
        finally:
            lock.release()

    def _run(self) -> Report:
        started = time.monotonic()
        likely = self._since_by_records()
        if likely is not None:
            self.source.prefetch(likely)  # its questions on the wire while the site's files are checked
        store = AssetStore(
            self.out,
            self.http,
            self.manifest.assets,
            images_dir=self.cfg.images.dir,
            files_dir=self.cfg.images.files_dir,
            jobs=self.cfg.jobs,
            dry_run=self.dry_run,
            headers_for=self.source.asset_headers,
            on_record=self.manifest.record_asset if not self.dry_run else (lambda r: None),
            key_for=self.source.asset_key,
            name_for=self.source.image_name,
            local_for=self.source.local_asset,  # an export's own copies (a Takeout's albums) before any download
            offline=self.cfg.offline,
        )
        seen = self._seen  # filled by _lookahead: at the end of the loop, the ids of the posts processed
        done = 0
        self._last_checkpoint = self._last_commit = time.monotonic()
        limited = False
        since, known = self._since(likely), self._known()
        # posts in order, each its report line or its conversion still running in a worker: a post is
        # finished (written, recorded, reported) only after every post before it, as in one process
        queue: deque[tuple[Post, ReportItem | Pending]] = deque()
        try:
            for post in self._lookahead(self._guarded(self.source.posts(since=since, known=known)), store):
                if self.cfg.limit is not None and done >= self.cfg.limit:
                    limited = True  # the post _lookahead let through past the limit
                    break
                done += 1
                self._readings.add(post.reading)
                self.progress(post.title or post.url or post.id)
                queue.append((post, self._guarded_post(post, lambda p=post: self.process(p, store))))
                self._finish(queue, wait=len(queue) > IN_FLIGHT)
            self._finish(queue, wait=True, every=True)
        except BaseException:
            self.http.stop()  # the downloads still running end now, not after their retries' back-off
            if not self.dry_run:  # stopped early: keep what was done (the journal has it too)
                try:
                    self.sink.commit()  # the files first: the manifest names them
                    self.manifest.save()
                except (OSError, OutputError) as e:  # the old manifest is intact, the journal holds the rest
                    log.warning("could not write the manifest: %s", e)
            raise
        finally:
            self._stop_pool()
            store.close()
            st = self.report.stats
            st.images_downloaded, st.images_reused, st.images_failed = (
                store.downloaded if not self.dry_run else store.would_download,
                store.reused,
                store.failed,
            )
            st.images_from_archive = store.copied
            if store.missing:
                st.warnings.append(
                    f"{store.missing} image(s) are not in the archive and were not downloaded (--offline); they "
                    "keep their remote URL and are listed above: run again without --offline to fetch them"
                )
        self.report.incomplete = bool(self.source.incomplete) or bool(self._source_error)
        if self._source_error:
            self.report.stats.failures.append(
                (
                    "reading the source",
                    f"stopped after {len(seen)} post(s): {self._source_error}; run the same command again "
                    "to retry (use -v for the details)",
                )
            )
        listed = self.source.listed_ids or set()
        for post_id in sorted(listed - seen):  # known, still there, and not changed: not even fetched
            entry = self.manifest.posts.get(post_id)
            if entry is not None and entry.status == "ok":
                self._add(ReportItem(post_id, entry.source_url, entry.title, entry.path, "unchanged", entry.kind))
        if not limited and not self.report.incomplete:
            self._deletions(seen | listed if listed else seen)  # no copy of 100,000 ids when nothing was listed
        self._unresolved_links()
        self._site_config(self._needs_redirects)
        self._archive_pages()
        self.report.stats.warnings.extend(self.source.warnings)
        blog = self.source.blog
        self.manifest.source = {"platform": blog.platform, "url": blog.url, "blog_id": blog.blog_id}
        origins = [u for u in self.source.origins if u and u != blog.url]
        if origins:
            self.manifest.source["urls"] = " ".join(origins)
        if not limited and not self.report.incomplete:
            self.manifest.source["complete"] = "yes"  # a later run may ask only for what changed since
        self.manifest.source["clean"] = "yes" if self._records_clean() else "no"
        requested = self.source.origin
        if requested:
            self.manifest.source["requested"] = requested
        if not self.dry_run:
            self.sink.commit()
            self.manifest.save(finished=True, as_of=self.source.as_of)
            self.manifest.close()
        self.report.requests = self.http.requests_made  # the run's client: recognising and opening the source too
        self.report.seconds = time.monotonic() - started
        return self.report

    def _guarded_post(self, post: Post, work: Callable[[], ReportItem | Pending]) -> ReportItem | Pending:
        """``work`` for one post; a post that fails is reported (and retried next run), the run goes on."""
        try:
            return work()
        except OutputError:
            raise
        except MigratorError as e:
            return self._fail(post, self.manifest.posts.get(post.id), e.message)
        except Exception as e:  # one bad post must not stop the blog
            log.debug("post %s failed", post.id, exc_info=True)
            return self._fail(post, self.manifest.posts.get(post.id), f"{type(e).__name__}: {e}")

    def _finish(self, queue: deque[tuple[Post, ReportItem | Pending]], *, wait: bool, every: bool = False) -> None:
        """Finish the posts at the head of ``queue`` that are ready (a worker's conversion done); ``wait``:
        the first one at least, waiting for it; ``every``: all of them."""
        while queue:
            post, item = queue[0]
            if isinstance(item, Pending):
                if not (wait or every or item.future.done()):
                    return
                item = self._guarded_post(post, functools.partial(self.complete, item))
            queue.popleft()
            self._done(post, item)
            wait = False

    def _done(self, post: Post, item: ReportItem) -> None:
        """A post's report line, then a group commit or a checkpoint when it is time."""
        self._add(item)
        if self.cfg.urls == "jekyll" and post.path:
            self._needs_redirects = True
        now = time.monotonic()
        if now - self._last_checkpoint > max(CHECKPOINT_SECONDS, 40 * self._checkpoint_cost):
            self.sink.commit()
            self.manifest.save()  # the whole manifest: on a big site, kept to 5% of the run
            self._last_checkpoint = self._last_commit = time.monotonic()
            self._checkpoint_cost = self._last_checkpoint - now
        elif now - self._last_commit > GROUP_SECONDS:
            self._commit()
            self._last_commit = time.monotonic()

    def _add(self, item: ReportItem) -> None:
        """The post's line in the report, or only its count when nothing needs it: a real run without
        --report keeps the lines of conflicts, failures, skips and deletions (the summary lists them), and of
        any post whose manifest record does not say what the line says (``_unresolved_links`` reads them)."""
        keep = self._keep_items or item.action not in ("create", "update", "unchanged")
        if not keep:
            rec = self.manifest.posts.get(item.post_id)
            keep = rec is None or (
                bool(item.source_url) and (rec.status not in ("ok", "conflict") or rec.source_url != item.source_url)
            )
        self.report.add(item, keep)

    def _commit(self) -> None:
        """The group commit: the files written since the last one made durable and put in place, then the
        manifest records that name them appended to the journal (one fsync)."""
        self.sink.commit()
        self.manifest.commit()

    def _site_config(self, needs_redirects: bool) -> None:
        setup = jekyll.site_setup(self.source.blog, self.cfg, self.sink.read, self.sink.exists, needs_redirects)
        for rel, text in setup.files.items():
            self.sink.write_if_absent(rel, text)
        if setup.new_site and self.dry_run:
            self.report.stats.notes.append(f"would create {jekyll.CONFIG}")
        found = setup.warnings
        if self.manifest.last_sync:  # said on the first run; a resync does not repeat it
            found = [w for w in found if w != jekyll.URL_HINT]
        self.report.stats.warnings.extend(found)
        if not (self.cfg.timezone or self.source.blog.timezone) and not self.manifest.last_sync:
            self.report.stats.warnings.append(
                "the blog's timezone is unknown; dates keep the source's UTC offset. Set timezone: in the "
                "config (e.g. Asia/Seoul) so Jekyll shows the same dates"
            )


    def _posts_changed(self) -> bool:
        """This run wrote, or found deleted, a post (so its tags and categories may be new or gone)."""
        counts = self.report.summary()
        return any(counts.get(action) for action in ("create", "update", "deleted"))

    def _archive_pages(self) -> None:
        """The pages at the old listing addresses (``/tag/<name>``, ``/category/<a>/<b>``, Blogger's
        ``/search/label/<name>``) that list the site's posts (``archives.py``); written once, never over a file."""
        from migrator import archives

        if not self.cfg.site.archive_pages:
            return
        if not self.cfg.full and not self._posts_changed() and self.sink.exists(archives.ARCHIVE_DIR):
            return  # no post was written or removed: the pages an earlier run wrote stand (one you removed stays so)
        pages = archives.site_pages(self.manifest.posts.values(), self.sink.read, self.source.old_urls, self.cfg)
        for rel, text in pages.items():
            if self.sink.write_if_absent(rel, text):
                self.report.stats.archives.append(rel)


def _folded(path: str) -> str:
    """``path.casefold()``, the same string object when that changes nothing (most paths: one string a post
    held, not two)."""
    folded = path.casefold()
    return path if folded == path else folded


def _comments_file(path: str) -> str:
    """Where a post's comments are saved: ``_data/comments/<its file name without the extension>.yml``."""
    return f"_data/comments/{path.rsplit('/', 1)[-1].rsplit('.', 1)[0]}.yml"


def migrate(source: Source, cfg: Config, out: Path, http: HttpClient, progress: Progress | None = None) -> Report:
    return Migration(source, cfg, out, http, progress).run()
