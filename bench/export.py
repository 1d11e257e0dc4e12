"""Memory of a big export, measured (not a timed test):  python bench/export.py [--posts 100000] [--sizes 10000,20000]

Writes a Takeout ``feed.atom`` (with ``settings.csv`` beside it) entry by entry, never whole in memory:
``--posts`` posts of about 3 KB (the HTML of bench/run.py: headings, lists, code, a table, links and three
Blogger images each), two labels each plus one shared by 100 posts, a comment on every tenth post (as
``COMMENT`` entries of the same file), a draft every 50th. Images stay in the HTML but are not downloaded
(``images.download: false``, ``--offline``): the bench measures the streaming of posts, not downloads. Then,
each in its own process (peak RSS is the larger of the child's ``ru_maxrss`` and the sampled sum over it and
its conversion workers; times are wall times):

- ``migrator migrate feed.atom --out site``, the first migration;
- ``migrator migrate feed.atom --out fresh --dry-run --report plan.html``, a dry run of the same first
  migration (nothing on disk yet), its HTML report written as a reviewer would;
- the first command again: a no-op resync (every post read, none written).

``--sizes 10000,20000`` measures at each size first (smallest first) and prints the growth per post between
them; ``--keep`` keeps the files (printed). The target is under 200 MB at 100,000 posts for the real run and
the dry run, and a dry run no larger than the real run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "fixtures"), str(ROOT / "bench")]


import takeout as takeout_bench  # noqa: E402
import takeout_archive as ta  # noqa: E402
from run import TreeRss, installed_env  # noqa: E402

CDN = "https://blogger.googleusercontent.com/img/b/R29vZ2xl"
# bench/takeout.py's post, with a link to an older post of the blog
BODY = takeout_bench.BODY.replace(
    "with the odd list and picture.</p>",
    "with the odd list and picture.\n"
    'It links to <a href="https://benchblog.blogspot.com/2020/{m:02d}/bench-{j}.html">an older post</a>.</p>',
)

CONFIG = """timezone: Asia/Seoul
comments: true
images:
  download: false
"""


def _path(i: int) -> str:
    return f"/2020/{1 + i % 12:02d}/bench-{i}.html"


def write_export(folder: Path, posts: int) -> Path:
    """``folder/feed.atom`` and ``settings.csv``; the feed is written entry by entry."""
    blog = ta.TBlog("Bench Blog", "9999999999999999999", "Bench Blog")
    folder.mkdir(parents=True, exist_ok=True)
    settings = {"blog_name": "Bench Blog", "blog_subdomain": "benchblog", "blog_time_zone": "Asia/Seoul"}
    (folder / "settings.csv").write_text(ta.settings_csv(settings), encoding="utf-8")
    feed = folder / "feed.atom"
    with open(feed, "w", encoding="utf-8") as f:
        f.write(f"<?xml version='1.0' encoding='utf-8'?>\n<feed {ta.NS}>\n  <id>{blog.tag}</id>\n"
                f"  <title>{blog.title}</title>\n")  # fmt: skip
        for i in range(posts):
            day = f"2020-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z"
            pid = str(7_000_000_000_000_000_000 + i)
            draft = i % 50 == 49
            j = max(i - 7, 0)
            post = ta.TPost(pid, f"Benchmark post {i}", BODY.format(i=i, j=j, m=1 + j % 12, cdn=CDN), day,
                            filename=None if draft else _path(i), status="DRAFT" if draft else "LIVE",
                            labels=("bench", f"group {i % 10}", f"topic {i // 100}"))  # fmt: skip
            f.write(ta._entry_post(blog, post))
            if i % 10 == 0:
                comment = ta.TComment(str(8_000_000_000_000_000_000 + i), pid, "Reader",
                                      f"<p>Comment on post {i}, with a <b>word</b> or two.</p>", day)  # fmt: skip
                f.write(ta._entry_comment(blog, comment))
        f.write("</feed>\n")
    return feed


def run_cli(args: list[str]) -> tuple[float, int, int]:
    """(seconds, peak RSS in MiB, exit status) of one CLI run in its own process."""
    env = dict(installed_env(), PYTHONPATH=str(ROOT / "src"))
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "migrator", *args, "-q"], env=env, stdout=subprocess.DEVNULL)
    tree = TreeRss(proc.pid)  # the conversion workers' memory counts too
    _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, tree.stop(usage.ru_maxrss), os.waitstatus_to_exitcode(status)


def measure(tmp: Path, posts: int) -> dict[str, tuple[float, int]]:
    """{run: (seconds, MiB)} for the three runs at one size."""
    start = time.perf_counter()
    feed = write_export(tmp / f"export-{posts}", posts)
    print(f"{posts:,} posts: wrote {feed.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - start:.0f} s",
          flush=True)  # fmt: skip
    cfg = tmp / "bench.yaml"
    cfg.write_text(CONFIG)
    site, fresh = tmp / f"site-{posts}", tmp / f"fresh-{posts}"
    common = ["migrate", str(feed), "--config", str(cfg), "--offline"]
    out: dict[str, tuple[float, int]] = {}
    for name, extra, where in (
        ("first migration", [], site),
        ("dry run, --report plan.html", ["--dry-run", "--report", str(tmp / f"plan-{posts}.html")], fresh),
        ("no-op resync", [], site),
    ):
        seconds, rss, code = run_cli([*common, "--out", str(where), *extra])
        if code != 0:
            raise SystemExit(f"{name} at {posts} posts exited {code}")
        out[name] = (seconds, rss)
        print(f"  {name:30} {seconds:7.1f} s  {posts / seconds:5.0f} posts/s  peak RSS {rss} MiB", flush=True)
    drafts = posts // 50
    written = len(list((site / "_posts").iterdir())) + len(list((site / "_drafts").iterdir()))
    if written != posts or drafts and not (site / "_drafts").is_dir():
        raise SystemExit(f"the migration wrote {written} of {posts} posts")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, default=100_000)
    ap.add_argument("--sizes", default="", help="smaller sizes to measure first, comma-separated")
    ap.add_argument("--keep", action="store_true", help="keep the exports and sites (printed)")
    args = ap.parse_args()
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()} | {args.posts})
    tmp = Path(tempfile.mkdtemp(prefix="migrator-export-bench-"))
    results: dict[int, dict[str, tuple[float, int]]] = {}
    try:
        for n in sizes:
            results[n] = measure(tmp, n)
            if not args.keep:
                for name in (f"export-{n}", f"site-{n}", f"fresh-{n}"):
                    shutil.rmtree(tmp / name, ignore_errors=True)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print()
    runs = list(results[sizes[0]])
    print(f"{'posts':>8}  " + "  ".join(f"{r:>30}" for r in runs))
    for n in sizes:
        print(f"{n:>8,}  " + "  ".join(f"{f'{results[n][r][1]} MiB, {results[n][r][0]:.0f} s':>30}" for r in runs))
    if len(sizes) > 1:
        a, b = sizes[0], sizes[-1]
        growth = [(results[b][r][1] - results[a][r][1]) * 1024 / (b - a) for r in runs]
        print(f"{'KiB/post':>8}  " + "  ".join(f"{g:>30.2f}" for g in growth))
    return 0


if __name__ == "__main__":
    sys.exit(main())
