"""The conversion in worker processes (workers.py): the same site, byte for byte, as in the main process;
a worker that dies, or a link it was not told about, converts in the main process instead."""

from __future__ import annotations

import json
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from conftest import EXAMPLE_CONFIG, TISTORY_CONFIG
from migrator import workers


@pytest.mark.parametrize(
    ("configured", "cpus", "size"),
    [(None, 1, 0), (None, 2, 1), (None, 8, 4), (None, None, 0), (0, 8, 0), (3, 1, 3), (-1, 4, 0)],
)
def test_pool_size(configured, cpus, size):
    assert workers.pool_size(configured, cpus) == size


@pytest.mark.parametrize(
    ("configured", "size", "converted", "expected", "start"),
    [(None, 1, 0, None, False), (None, 1, workers.START_AFTER, None, True), (1, 1, 0, None, True),
     (None, 0, 10**6, 10**6, False), (None, 1, 0, workers.START_AFTER + 1, True), (None, 1, 0, 5, False),
     (None, 1, 0, -400, False)],  # fmt: skip
)
def test_should_start(configured, size, converted, expected, start):
    assert workers.should_start(configured, size, converted, expected) is start


def _config(tmp_path: Path, base: Path, extra: str) -> Path:
    p = tmp_path / f"config-{abs(hash(extra))}.yaml"
    p.write_text(base.read_text() + "\n" + extra + "\n")
    return p


def _files(site: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(site)): p.read_bytes()
        for p in sorted(site.rglob("*"))
        if p.is_file() and ".migrator" not in p.relative_to(site).parts
    }


def _records(site: Path) -> dict:
    data = json.loads((site / ".migrator" / "manifest.json").read_text())
    data.pop("last_sync")
    return data


def _compare(cli, url: str, tmp_path: Path, base: Path, workers_extra: str, between=lambda: None):
    here = tmp_path / "here"
    there = tmp_path / "there"
    a = cli("migrate", url, "--out", here, "--config", _config(tmp_path, base, "convert_workers: 0"), "--report",
            tmp_path / "here.json")  # fmt: skip
    between()
    b = cli("migrate", url, "--out", there, "--config", _config(tmp_path, base, workers_extra), "--report",
            tmp_path / "there.json")  # fmt: skip
    assert a.code == b.code == 0, (a, b)
    assert _files(here) == _files(there)
    assert _records(here) == _records(there)
    ra, rb = (json.loads((tmp_path / f"{n}.json").read_text()) for n in ("here", "there"))
    for key in ("posts", "fallbacks", "sanitized", "cleaned", "links"):
        if key in ra:
            assert ra[key] == rb[key], key
    return b


def _no_conversion_here(monkeypatch):
    """After the first run: a conversion in this process fails its post (a spawned worker has its own)."""

    def refuse(*args, **kwargs):  # noqa: ANN002, ANN003
        raise AssertionError("converted in the main process")

    return lambda: monkeypatch.setattr(workers, "convert_soup", refuse)


def test_a_worker_process_writes_the_same_blogger_site(quiet_server, cli, tmp_path, monkeypatch):
    _compare(cli, quiet_server.url, tmp_path, EXAMPLE_CONFIG, "convert_workers: 1", _no_conversion_here(monkeypatch))


def test_a_worker_process_writes_the_same_tistory_site(tserver, cli, tmp_path, monkeypatch):
    _compare(cli, tserver.url, tmp_path, TISTORY_CONFIG, "convert_workers: 1", _no_conversion_here(monkeypatch))


class InlinePool:
    """An executor that runs each call at once in this process (the worker's code path, without one)."""

    def __init__(self, broken_after: int | None = None, drop_links: bool = False) -> None:
        self.calls = 0
        self.broken_after = broken_after
        self.drop_links = drop_links

    def submit(self, fn, *args, affinity=None):  # noqa: ANN001, ANN002
        self.calls += 1
        f: Future = Future()
        if self.broken_after is not None and self.calls > self.broken_after:
            f.set_exception(BrokenProcessPool("a worker died"))
            return f
        if self.drop_links and fn is workers.render:
            args = (*args[:4], {}, *args[5:])  # as if the worker was told of no link
        try:
            f.set_result(fn(*args))
        except Exception as e:  # noqa: BLE001
            f.set_exception(e)
        return f

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        pass


@pytest.mark.parametrize("pool", ["inline", "broken-at-once", "broken-later", "no-links"])
def test_the_worker_path_and_its_fallbacks_write_the_same_site(quiet_server, cli, tmp_path, monkeypatch, pool):
    made: list[InlinePool] = []

    def start(size: int) -> InlinePool:
        p = {"inline": InlinePool(), "broken-at-once": InlinePool(broken_after=0),
             "broken-later": InlinePool(broken_after=7), "no-links": InlinePool(drop_links=True)}[pool]  # fmt: skip
        made.append(p)
        return p

    monkeypatch.setattr(workers, "start_pool", start)
    _compare(cli, quiet_server.url, tmp_path, EXAMPLE_CONFIG, "convert_workers: 1")
    assert made and made[0].calls > 0


GOLDEN = sorted((Path(__file__).parent / "golden").glob("*.html"))


@pytest.mark.parametrize("case", GOLDEN, ids=[c.stem for c in GOLDEN])
def test_render_in_a_worker_is_the_main_process_conversion_for_every_golden_case(case):
    """workers.prepare + workers.render (plain values in and out) against the in-process conversion of the
    same parse, on every golden case (fallbacks included), with links to the blog's own posts relinked."""
    settings = workers.Settings(("www.youtube.com",), (), "markdown", 160)
    base = "https://example.blogspot.com/2020/01/post.html"
    html = case.read_text(encoding="utf-8")
    prepared = workers.prepare(html, base, settings, key="k")  # its parse kept for the render of "k"
    assert "k" in workers._kept
    link_map = {u: f"/new{u.split('blogspot.com', 1)[1]}" if "blogspot.com/20" in u else None for u in prepared.hrefs}
    got = workers.render(html, base, settings, {}, link_map, None, "k")
    assert "k" not in workers._kept
    again = workers.render(html, base, settings, {}, link_map, None)  # parsed again: the same
    assert (again.body, again.fallback, again.excerpt) == (got.body, got.fallback, got.excerpt)
    asked: list[str] = []

    def links(url: str) -> str | None:
        asked.append(url)
        return link_map.get(url)

    soup = workers.parse(html, settings)[0]
    body, fallback, excerpt = workers.convert_soup(
        soup, lambda: workers.parse(html, settings)[0], {}, base, links, settings, None
    )
    assert (got.body, got.fallback, got.excerpt) == (body, fallback, excerpt)
    assert got.unknown == ()
    assert set(asked) <= set(prepared.hrefs)


def test_the_pool_answers_errors_and_a_dead_worker_fails_its_jobs():
    """Real worker processes: a result, an exception (its own type), and a worker that dies: its job fails
    with BrokenProcessPool, the pool then sends to the worker that is left, and to none once all are gone."""
    import os

    pool = workers.start_pool(2)
    try:
        assert pool.submit(sorted, [3, 1, 2]).result(timeout=60) == [1, 2, 3]
        with pytest.raises(ValueError, match="invalid literal"):
            pool.submit(int, "x").result(timeout=60)
        dying = pool.submit(os._exit, 3)
        with pytest.raises(BrokenProcessPool):
            dying.result(timeout=60)
        assert pool.submit(len, "four").result(timeout=60) == 4  # the other worker
        with pytest.raises(BrokenProcessPool):
            pool.submit(os._exit, 4).result(timeout=60)
        with pytest.raises(BrokenProcessPool):
            pool.submit(len, "none left")
    finally:
        pool.shutdown()


def test_a_worker_converts_without_the_main_process_heavy_modules():
    """A worker loads what a conversion needs and no more: no encoding detector (it parses text, not bytes),
    no OpenSSL digests, no HTTP stack; its conversion is the main process's all the same."""
    settings = workers.Settings((), (), "markdown", 160)
    html = "<p>Caf\u00e9 <b>cr\u00e8me</b> \u2014 \ud55c\uad6d\uc5b4 <img src='https://img.example/a.png'></p>"
    pool = workers.start_pool(1)
    try:
        prepared = pool.submit(workers.prepare, html, None, settings, "k", affinity="k").result(timeout=60)
        rendered = pool.submit(workers.render, html, None, settings, {}, {}, None, "k", affinity="k").result(timeout=60)
        heavy = ("charset_normalizer", "chardet", "_hashlib", "requests", "urllib3")
        probe = f"[m for m in {heavy!r} if m in __import__('sys').modules and __import__('sys').modules[m]]"
        assert pool.submit(eval, probe).result(timeout=60) == []
    finally:
        pool.shutdown()
    assert prepared.candidates and "Caf\u00e9 **cr\u00e8me** \u2014 \ud55c\uad6d\uc5b4" in rendered.body
    assert rendered == workers.render(html, None, settings, {}, {}, None)


def test_a_worker_keeps_a_bounded_number_of_parses(monkeypatch):
    monkeypatch.setattr(workers, "_kept", {})
    settings = workers.Settings((), (), "markdown", 0)
    for i in range(workers.KEPT + 5):
        workers.prepare(f"<p>post {i}</p>", None, settings, key=str(i))
    assert len(workers._kept) == workers.KEPT and "0" not in workers._kept and str(workers.KEPT + 4) in workers._kept
    big = "<p>" + "word " * (workers.KEPT_HTML // 5) + "</p>"
    workers.prepare(big, None, settings, key="big")
    assert sum(n for n, _ in workers._kept.values()) <= workers.KEPT_HTML
    assert workers.render(big, None, settings, {}, {}, None, "big").body.count("word") == workers.KEPT_HTML // 5
