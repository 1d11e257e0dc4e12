"""A post's parse and conversion as functions of plain values, so that they can run in worker processes on
the machine's other cores while the main process reads the source, downloads, writes and records.

One interpreter was the bound of a big migration: the sanitiser, the parse and the conversion (with its
loss guard) held its one lock for most of each post, and the download threads waited for it. The main
process keeps everything that needs the source, the network or the site (which images a host serves, which
links are the blog's own, the image map, the front matter, the files); a worker gets the post's HTML and
the settings, and hands back what the in-process path would have computed, byte for byte:

- :func:`prepare`: the images the post shows (as :func:`~migrator.assets.image_candidates`, for the main
  process to choose among with the source), the links in it, what the sanitiser and ``clean.remove`` took;
- :func:`render`: the converted body, the guard's fallback, the excerpt, and the links it rewrote.

A worker keeps the parse :func:`prepare` made for the :func:`render` of the same post (a post's two jobs go to
the same worker; a few dozen recent parses are kept, up to :data:`KEPT_HTML` of HTML), so it parses each post
once, as the main process did; the main process, which waits for the downloads in between, no longer parses
it at all. The pool starts only once a run has converted :data:`START_AFTER` posts, or at once when the source announced
more posts than that (a small blog, or a resync of a few posts, is done before a process would have
started), with
``convert_workers`` processes (default: one per core but the main process's, at most
:data:`MAX_WORKERS`; none on one core). A worker that dies (its pool broken) makes the run convert in the
main process again; a post whose conversion asks for a link it was not given is converted there too.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from concurrent.futures import Future

    from bs4 import BeautifulSoup

    from migrator.assets import ImageCandidate
    from migrator.guard import Fallback
    from migrator.sanitize import Removed

log = logging.getLogger("migrator")
START_AFTER = 32  # posts converted in the main process before a pool is started (auto only)
MAX_WORKERS = 4
KEPT = 32  # parses a worker keeps for their render (more than the look-ahead and the posts in flight)
KEPT_HTML = 96 << 10  # at most this much HTML behind them (a parse is about a hundred times its text)
NO_DETECTORS = ("cchardet", "chardet", "charset_normalizer")  # not loaded in a worker (see serve)
_kept: dict[str, tuple[int, BeautifulSoup]] = {}  # in a worker: key -> (its HTML's length, the parse)


def broken_pool() -> type[Exception]:
    """The exception a dead worker gives (concurrent.futures' BrokenProcessPool), imported only when an
    ``except`` clause is matched (its module loads multiprocessing and subprocess: 15 ms of every run)."""
    from concurrent.futures.process import BrokenProcessPool

    return BrokenProcessPool


@dataclass(frozen=True, slots=True)
class Settings:
    """What the conversion of any post of a run depends on, besides the post itself."""

    embed_hosts: tuple[str, ...]
    clean_remove: tuple[str, ...]
    format: str  # "markdown" | "html"
    excerpt_length: int


@dataclass(frozen=True, slots=True)
class Prepared:
    """What the main process needs of a post before its downloads start."""

    candidates: list[ImageCandidate]
    hrefs: tuple[str, ...]  # the absolute address of every link in the post (for the source to tell its own)
    removed: Removed  # what the sanitiser took out
    rules: tuple[str, ...]  # the clean.remove rules that matched


@dataclass(frozen=True, slots=True)
class Rendered:
    body: str
    fallback: Fallback | None
    excerpt: str
    rewritten: tuple[str, ...]  # the links that went to the new site (their old addresses), in order
    unknown: tuple[str, ...]  # links asked for that were not among the given ones: convert in-process


def pool_size(configured: int | None, cpus: int | None) -> int:
    """Worker processes for a run: ``convert_workers`` when set (0: none), else one per core but the main
    process's, at most MAX_WORKERS (none on one core)."""
    if configured is not None:
        return max(0, configured)
    return max(0, min(MAX_WORKERS, (cpus or 1) - 1))


def should_start(configured: int | None, size: int, converted: int, expected: int | None = None) -> bool:
    """Whether to start the pool now: a set ``convert_workers`` at once; auto once START_AFTER posts were
    converted here, or at once when the source announced more than that (then the main process never
    converts, nor loads the converter)."""
    return size > 0 and (configured is not None or converted >= START_AFTER or (expected or 0) > START_AFTER)


def start_pool(size: int) -> Pool:
    """``size`` worker processes, each a fresh interpreter (a fork would copy the main process's threads in
    whatever state they are)."""
    return Pool(size)


class Pool:
    """Worker processes, each fed its jobs over its own pipe; a thread per worker reads the answers back
    into the Futures. (concurrent.futures' process pool wakes its manager thread through one more pipe on
    every submit: with the main interpreter busy, that write blocked the main thread for a tenth of a
    big migration.) A job goes to the worker with the fewest outstanding. A worker that dies fails its
    jobs with BrokenProcessPool. A worker is ``python -c`` reading pickled jobs on its stdin and writing
    the answers on its stdout (multiprocessing's spawn also started its resource tracker, a third process of
    12 MB, and put 4.5 MB of its modules in each worker)."""

    def __init__(self, size: int) -> None:
        import subprocess
        import sys
        import threading
        from pathlib import Path

        import migrator

        here = str(Path(migrator.__file__).resolve().parent.parent)  # where this migrator is imported from
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([here, *filter(None, [os.environ.get("PYTHONPATH")])]))
        self._lock = threading.Lock()
        self._next = 0
        self._affine: dict[str, _Worker] = {}  # affinity -> the worker its first job went to (until the next)
        self._workers: list[_Worker] = []
        for _ in range(size):
            proc = subprocess.Popen(
                [sys.executable, "-c", "from migrator.workers import serve; serve()"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, close_fds=True,
            )  # fmt: skip
            worker = _Worker(proc, _Channel(proc.stdout, proc.stdin), {}, threading.Lock())
            worker.reader = threading.Thread(target=self._read, args=(worker,), daemon=True, name="convert-reader")
            worker.reader.start()
            self._workers.append(worker)

    def submit(self, fn: Callable, *args: object, affinity: str | None = None) -> Future:
        """Run ``fn(*args)`` in a worker; jobs with the same ``affinity`` go to the same worker while it
        lives (a post's render, to the worker that kept its parse)."""
        from concurrent.futures import Future
        from concurrent.futures.process import BrokenProcessPool

        future: Future = Future()
        with self._lock:
            live = [w for w in self._workers if not w.dead]
            if not live:
                raise BrokenProcessPool("no conversion worker is left")
            worker = self._affine.pop(affinity, None) if affinity is not None else None
            if worker is None or worker.dead:
                worker = min(live, key=lambda w: len(w.jobs))
                if affinity is not None:
                    self._affine[affinity] = worker
            self._next += 1
            job = self._next
            worker.jobs[job] = future
        try:
            with worker.send_lock:
                worker.conn.send((job, fn, args))
        except (OSError, ValueError) as e:  # the worker is gone
            worker.jobs.pop(job, None)
            raise BrokenProcessPool(f"a conversion worker stopped ({e})") from None
        return future

    def _read(self, worker: _Worker) -> None:
        from concurrent.futures.process import BrokenProcessPool

        try:
            while True:
                job, ok, value = worker.conn.recv()
                future = worker.jobs.pop(job, None)
                if future is None:
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)
        except (EOFError, OSError):
            pass
        except Exception:  # noqa: BLE001 - an answer that could not be read: as a dead worker
            log.debug("a conversion worker's answer could not be read", exc_info=True)
        with self._lock:
            worker.dead = True
            orphans, worker.jobs = list(worker.jobs.values()), {}
        for future in orphans:
            if not future.done():
                future.set_exception(BrokenProcessPool("a conversion worker stopped"))

    def shutdown(self, wait: bool = True) -> None:
        for worker in self._workers:
            try:
                with worker.send_lock:
                    worker.conn.send(None)  # the worker's loop ends after the jobs before it
            except (OSError, ValueError):
                pass
        import subprocess

        for worker in self._workers:
            try:
                worker.proc.wait(timeout=30 if wait else 0.1)
            except subprocess.TimeoutExpired:
                worker.proc.terminate()
                worker.proc.wait(timeout=5)
            worker.conn.close()


class _Channel:
    """Pickled messages over a pair of pipes (a Connection's send/recv/close)."""

    def __init__(self, reader, writer) -> None:  # type: ignore[no-untyped-def]
        self.reader, self.writer = reader, writer

    def send(self, obj: object) -> None:
        import pickle

        pickle.dump(obj, self.writer, protocol=pickle.HIGHEST_PROTOCOL)
        self.writer.flush()

    def recv(self) -> object:
        import pickle

        return pickle.load(self.reader)

    def close(self) -> None:
        for f in (self.writer, self.reader):
            try:
                f.close()
            except OSError:
                pass


@dataclass(slots=True)
class _Worker:
    proc: object
    conn: object
    jobs: dict
    send_lock: object
    reader: object = None
    dead: bool = False


def serve() -> None:
    """A worker process (``python -c``): jobs come pickled on stdin, answers go pickled to stdout; anything
    else written to stdout goes to stderr, so it cannot break the channel."""
    import signal
    import sys

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle: it stops us
    # a worker parses text (str), never bytes: bs4's encoding detectors (charset_normalizer is 3 MB of a
    # worker's 35) would never run; marked absent before bs4 looks for them, bs4 works without them
    for detector in NO_DETECTORS:
        sys.modules.setdefault(detector, None)  # type: ignore[assignment]
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    _serve(_Channel(sys.stdin.buffer, out))


def _serve(conn) -> None:  # type: ignore[no-untyped-def]
    """Run each job sent, send back (job, True, result) or (job, False, exception)."""
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError, ValueError):  # the main process is gone (or its end was cut)
            return
        if msg is None:
            return
        job, fn, args = msg
        try:
            answer = (job, True, fn(*args))
        except Exception as e:  # noqa: BLE001 - the main process converts it again, and sees the real error
            answer = (job, False, e)
        try:
            conn.send(answer)
        except Exception as e:  # noqa: BLE001 - an answer that cannot be pickled
            conn.send((job, False, RuntimeError(f"{type(e).__name__}: {e}")))


def parse(html: str, settings: Settings) -> tuple[BeautifulSoup, Removed, tuple[str, ...]]:
    """The post's body made safe (the allow-list sanitiser), parsed, with clean.remove applied; what the
    sanitiser removed and the rules that matched."""
    from migrator import convert, sanitize

    clean, removed = sanitize.clean(html, settings.embed_hosts)
    soup = convert.parse(clean)
    sanitize.restore_scripts(soup)
    rules = convert.apply_clean_rules(soup, settings.clean_remove)
    return soup, removed, tuple(rules)


def link_targets(soup: BeautifulSoup, base: str | None) -> tuple[str, ...]:
    """The absolute address of every link of the post, once each, in document order."""
    from migrator.convert import tags_named
    from migrator.urls import absolute_url

    found = (absolute_url(a.get("href") or "", base) for a in tags_named(soup, "a") if a.get("href") is not None)
    return tuple(dict.fromkeys(u for u in found if u))


def prepare(html: str, base: str | None, settings: Settings, key: str | None = None) -> Prepared:
    """What the main process needs of a post before its downloads; ``key``: keep the parse for the
    :func:`render` of the same key (in this process)."""
    from migrator.assets import image_candidates

    soup, removed, rules = parse(html, settings)
    found = Prepared(image_candidates(soup, base), link_targets(soup, base), removed, rules)  # only read
    if key is not None:
        _keep(key, len(html), soup)
    return found


def _keep(key: str, size: int, soup: BeautifulSoup) -> None:
    _kept.pop(key, None)
    _kept[key] = (size, soup)
    total = sum(n for n, _ in _kept.values())
    while _kept and (len(_kept) > KEPT or total > KEPT_HTML):
        total -= _kept.pop(next(iter(_kept)))[0]  # the oldest first


def convert_soup(
    soup: BeautifulSoup,
    reparse: Callable[[], BeautifulSoup],
    asset_map: dict[str, str],
    base: str | None,
    links: Callable[[str], str | None] | None,
    settings: Settings,
    summary: str | None,
) -> tuple[str, Fallback | None, str]:
    """(body, the guard's fallback, excerpt) of a parsed post; ``soup`` is spent, ``reparse`` gives it
    again (the guard's safer forms start from the post as it was)."""
    from migrator import convert, guard

    first = [soup]

    def again() -> BeautifulSoup:
        return first.pop() if first else reparse()

    if settings.format == "html":
        converted = guard.convert_html(again, asset_map, base, links)
    else:
        converted = guard.convert_markdown(again, asset_map, base, links)
    excerpt = convert.plain_excerpt(soup, settings.excerpt_length, summary, prepared=True)
    return converted.body, converted.fallback, excerpt


def render(
    html: str,
    base: str | None,
    settings: Settings,
    asset_map: dict[str, str],
    link_map: dict[str, str | None],
    summary: str | None,
    key: str | None = None,
) -> Rendered:
    """The post converted, its links to the blog's own posts going where ``link_map`` says (every link
    :func:`prepare` found is a key; None: not one of the blog's); from the parse :func:`prepare` kept for
    ``key`` when this process still has it."""
    rewritten: list[str] = []
    unknown: list[str] = []

    def links(url: str) -> str | None:
        if url not in link_map:
            unknown.append(url)
            return None
        target = link_map[url]
        if target is not None:
            rewritten.append(url)
        return target

    kept = _kept.pop(key, None) if key is not None else None
    soup = kept[1] if kept is not None and kept[0] == len(html) else parse(html, settings)[0]
    body, fallback, excerpt = convert_soup(
        soup, lambda: parse(html, settings)[0], asset_map, base, links, settings, summary
    )
    soup.decompose()  # its cycles undone: freed now, not at the next full collection
    return Rendered(body, fallback, excerpt, tuple(dict.fromkeys(rewritten)), tuple(unknown))


def cpus() -> int | None:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count()
