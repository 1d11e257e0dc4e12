"""Speed and memory, measured (not a timed test):  python bench/run.py [--posts 1000] [--latency 0.03]

A local server that waits ``--latency`` seconds on every request serves a generated Blogger blog (posts of
about 3 KB with headings, lists, code, links and three images each). Measured in one run, as ratios:

- the full migration (--jobs 4) against the ideal, requests x latency / concurrency, and against --jobs 1;
- a no-op resync: its time as a fraction of the full run's, and its request count;
- conversion throughput on one core (HTML -> Markdown with front matter), in CPU time, against pandoc run
  once per post the way pelican-import uses it (when pandoc is installed); ``--conversion N`` runs only this;
- peak RSS of the whole CLI at --posts and at --big posts (images off for the big one: it measures the
  streaming of posts, not 30,000 downloads).
"""

from __future__ import annotations

import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "fixtures")]


def installed_env() -> dict[str, str]:
    """The environment of the measured runs: as an installed tool has it, its modules' bytecode cached
    (a PYTHONDONTWRITEBYTECODE=1 shell made every run compile migrator's modules again, ~0.2 s each)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


from server import FixtureBlog, FixtureServer  # noqa: E402

BODY = """<h2>Section {i}</h2>
<p>Post number {i} of the benchmark blog. It has <b>bold</b>, <i>italic</i> and a
<a href="https://example.com/{i}">link</a>, and enough words to look like a real paragraph of a real post,
which is what a blog mostly is: paragraphs of text, one after the other, with the odd list and picture.</p>
<div class="separator"><a href="@IMG@/img/b/R29vZ2xl/k{i}a/s1600/a.png"><img src="@IMG@/img/b/R29vZ2xl/k{i}a/s320/a.png"></a></div>
<ul><li>first point</li><li>second point<ul><li>nested</li></ul></li><li>third point</li></ul>
<p>Another paragraph, with <code>inline code</code> and a second image below it.</p>
<img src="@IMG@/img/b/R29vZ2xl/k{i}b/s640/b.png" alt="second">
<pre class="prettyprint lang-python">def f(x):
    return x * {i}
</pre>
<table><tr><th>key</th><th>value</th></tr><tr><td>i</td><td>{i}</td></tr></table>
<p>A last paragraph and a third image: <img src="@IMG@/img/a/k{i}c=s400" alt="third"></p>
"""


def png(seed: int) -> bytes:
    """A small valid PNG, different for every seed."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\0" + bytes([(seed * 7 + y * 3 + x) % 256 for x in range(16 * 3)]) for y in range(16))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0))
            + chunk(b"tEXt", f"seed\0{seed}".encode()) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def make_blog(n: int, images_dir: Path, with_images: bool = True) -> FixtureBlog:
    blog = FixtureBlog()
    blog.page_cap = 150  # Blogger's cap
    blog.next_links = "all"  # every page links the next the way Blogger does (www.blogger.com, by blog id)
    blog.comments = []
    blog.entries = []
    images_dir.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        day = 1 + i % 28
        blog.entries.append({
            "id": str(7_000_000_000_000_000_000 + i), "kind": "post", "status": "live",
            "title": f"Benchmark post {i}", "published": f"2020-{1 + i % 12:02d}-{day:02d}T10:00:00.000+09:00",
            "updated": f"2020-{1 + i % 12:02d}-{day:02d}T10:00:00.000+09:00",
            "path": f"/2020/{1 + i % 12:02d}/bench-{i}.html", "labels": ["bench", f"group {i % 10}"],
            "html": BODY.format(i=i) if with_images else BODY.format(i=i).replace("<img", "<span"),
        })
        if with_images:
            for suffix in "abc":
                path = images_dir / f"k{i}{suffix}.png"
                path.write_bytes(png(i * 3 + "abc".index(suffix)))
                blog.images[f"k{i}{suffix}"] = path
    return blog


CONFIG = """allow_private_network: true
timezone: Asia/Seoul
comments: false
blogger:
  extra_image_hosts: ["127.0.0.1"]
images:
  download: {download}
"""


def print_rows(rows: list[tuple[str, str]]) -> None:
    """The bench's table: each measurement, then its result, in one column."""
    width = max(len(a) for a, _ in rows)
    for a, b in rows:
        print(f"{a:{width}}  {b}")


class TreeRss:
    """The peak of the summed resident memory of a process and its descendants (the conversion's worker
    processes), sampled every 20 ms from /proc; with the process's own exact peak (``ru_maxrss``), the
    larger of the two is what a run needed."""

    def __init__(self, pid: int) -> None:
        import threading

        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE")
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _tree(self, pid: int) -> list[int]:
        out, todo = [], [pid]
        while todo:
            p = todo.pop()
            out.append(p)
            try:
                for task in os.listdir(f"/proc/{p}/task"):
                    with open(f"/proc/{p}/task/{task}/children") as f:
                        todo += [int(c) for c in f.read().split()]
            except OSError:
                continue
        return out

    def _watch(self) -> None:
        while not self._stop.wait(0.02):
            total = 0
            for p in self._tree(self.pid):
                try:
                    with open(f"/proc/{p}/statm") as f:
                        total += int(f.read().split()[1]) * self._page
                except (OSError, ValueError, IndexError):
                    continue
            self.peak = max(self.peak, total)

    def stop(self, own_maxrss_kib: int) -> int:
        """The run's peak in MiB: its own exact peak or its tree's sampled one, whichever is larger."""
        self._stop.set()
        self._thread.join()
        return max(own_maxrss_kib // 1024, self.peak // (1 << 20))


def run_cli(args: list[str]) -> tuple[float, int]:
    """(seconds, peak RSS in MiB) of one CLI run in its own process."""
    env = dict(installed_env(), PYTHONPATH=str(ROOT / "src"))
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "migrator", *args, "-q"], env=env)
    tree = TreeRss(proc.pid)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"migrator {' '.join(args)} failed")
    return seconds, tree.stop(usage.ru_maxrss)


def conversion_throughput(n: int) -> tuple[float, float | None]:
    """Posts per second on one core, in CPU time (time.process_time; for pandoc, its processes' user+system
    time): ours (sanitiser, one parse, Markdown with the loss guard, excerpt, front matter), and pandoc once
    per post."""
    from datetime import datetime, timedelta, timezone

    from migrator import guard, sanitize
    from migrator.config import Config
    from migrator.convert import parse, plain_excerpt
    from migrator.jekyll import front_matter, render
    from migrator.models import Blog, Post

    bodies = [BODY.format(i=i).replace("@IMG@", "https://img.example") for i in range(n)]
    cfg, blog = Config(), Blog("blogger", "https://x.blogspot.com")
    start = time.process_time()
    for i, html in enumerate(bodies):
        post = Post(id=str(i), kind="post", status="live", title=f"Post {i}", html=html,
                    published=datetime(2020, 1, 1, tzinfo=timezone(timedelta(hours=9))), path=f"/2020/01/p{i}.html")
        clean, _ = sanitize.clean(html)  # as in a run: the sanitiser, one parse, the guarded conversion
        soup = parse(clean)
        sanitize.restore_scripts(soup)
        body = guard.convert_markdown(lambda soup=soup: soup, {}, None, None).body
        excerpt = plain_excerpt(soup, 200, prepared=True)
        render(front_matter(post, cfg, blog, image=None, excerpt=excerpt), body)
    ours = n / (time.process_time() - start)
    if shutil.which("pandoc") is None:
        return ours, None
    import resource

    def children_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    sample = bodies[: min(n, 100)]
    start = children_cpu()
    for html in sample:
        subprocess.run(["pandoc", "-f", "html", "-t", "gfm"], input=html, capture_output=True, text=True, check=True)
    return ours, len(sample) / (children_cpu() - start)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, default=1000)
    ap.add_argument("--big", type=int, default=10000)
    ap.add_argument("--latency", type=float, default=0.03)
    ap.add_argument("--jobs", type=int, default=4)
    ap.add_argument("--conversion", type=int, metavar="N", help="only the conversion throughput, on N posts")
    args = ap.parse_args()
    if args.conversion:
        ours, pandoc = conversion_throughput(args.conversion)
        print(f"conversion, one core (HTML -> Markdown + front matter)  {ours:.0f} posts/s")
        if pandoc:
            print(f"  pandoc -f html -t gfm, once per post                 {pandoc:.0f} posts/s"
                  f" (ours is {ours / pandoc:.1f}x faster)")
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="migrator-bench-"))
    cfg = tmp / "bench.yaml"
    cfg.write_text(CONFIG.format(download="true"))
    rows: list[tuple[str, str]] = []
    try:
        blog = make_blog(args.posts, tmp / "images")
        with FixtureServer(blog, faults={}, latency=args.latency) as server:
            common = ["migrate", server.url, "--config", str(cfg), "--platform", "blogger"]
            t_full, rss_full = run_cli([*common, "--out", str(tmp / "s4"), "--jobs", str(args.jobs)])
            requests = len(server.log)
            written = len(list((tmp / "s4" / "_posts").iterdir()))
            if written != args.posts:  # paging stopped early: the figures would measure less than the blog
                raise SystemExit(f"the full migration wrote {written} of {args.posts} posts")
            server.log.clear()
            t_noop, _ = run_cli([*common, "--out", str(tmp / "s4"), "--jobs", str(args.jobs)])
            noop_requests = len(server.log)
            server.log.clear()
            t_one, _ = run_cli([*common, "--out", str(tmp / "s1"), "--jobs", "1"])
        ideal = requests * args.latency / args.jobs
        rows += [
            (f"full migration, {args.posts} posts, {3 * args.posts} images, {args.latency * 1000:.0f} ms a request",
             f"{t_full:.1f} s, {requests} requests"),
            ("  against the ideal (requests x latency / jobs)", f"{t_full / ideal:.2f}x ({ideal:.1f} s ideal)"),
            ("  --jobs 1 against --jobs 4", f"{t_one / t_full:.2f}x slower ({t_one:.1f} s)"),
            ("no-op resync against the full run", f"{t_noop / t_full:.1%} of the time, {noop_requests} requests"),
            (f"peak RSS, {args.posts} posts (with images)", f"{rss_full} MiB"),
        ]
        ours, pandoc = conversion_throughput(min(args.posts, 1000))
        rows.append(("conversion, one core (HTML -> Markdown + front matter)", f"{ours:.0f} posts/s"))
        if pandoc:
            rows.append(("  pandoc -f html -t gfm, once per post", f"{pandoc:.0f} posts/s (ours is {ours / pandoc:.1f}x faster)"))
        big_cfg = tmp / "big.yaml"
        big_cfg.write_text(CONFIG.format(download="false"))
        big = make_blog(args.big, tmp / "none", with_images=False)
        with FixtureServer(big, faults={}) as server:
            t_big, rss_big = run_cli(["migrate", server.url, "--config", str(big_cfg), "--platform", "blogger",
                                      "--out", str(tmp / "big")])
        rows.append((f"peak RSS, {args.big} posts (images off)", f"{rss_big} MiB ({t_big:.0f} s)"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print_rows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
