"""A Takeout archive, migrated offline (not a timed test):  python bench/takeout.py [--posts 10000] [--images 30000]

Writes a Takeout the way Google does (fixtures/takeout_archive.py): one blog whose feed.atom holds
``--posts`` posts of about 3 KB (headings, lists, code, links, three Blogger images each) and some comments,
and ``--images`` album photos with their .json sidecars (every image a post shows, plus photos no post uses),
split into two zip parts. Then, each in its own process:

- ``migrator migrate <part 1> --offline``: wall time, posts per second and peak RSS (the targets: at least
  200 posts/s and under 200 MB);
- the same command again (a resync that finds nothing changed).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "fixtures"), str(ROOT / "bench")]


import run as run_bench  # noqa: E402
import takeout_archive as ta  # noqa: E402
from run import installed_env, print_rows  # noqa: E402

CDN = "https://blogger.googleusercontent.com/img/b/R29vZ2xl"
BODY = run_bench.BODY  # bench/run.py's post, its images at Blogger's newer addresses with real file names
for _old, _new in (("@IMG@/img/b/R29vZ2xl/k{i}a/s1600/a.png", "{cdn}/AVvXsE{i}a/s1600/photo-{i}-a.jpg"),
                   ("@IMG@/img/b/R29vZ2xl/k{i}a/s320/a.png", "{cdn}/AVvXsE{i}a/s320/photo-{i}-a.jpg"),
                   ("@IMG@/img/b/R29vZ2xl/k{i}b/s640/b.png", "{cdn}/AVvXsE{i}b/s640/photo-{i}-b.png"),
                   ("@IMG@/img/a/k{i}c=s400", "{cdn}/AVvXsE{i}c/w400-h300/photo-{i}-c.jpg")):
    BODY = BODY.replace(_old, _new)


def write_takeout(folder: Path, posts: int, images: int) -> list[Path]:
    """The archive's two parts, written entry by entry (the generator keeps little in memory)."""
    blog = ta.TBlog("Bench Blog", "9999999999999999999", "Bench Blog",
                    settings={"blog_name": "Bench Blog", "blog_subdomain": "benchblog", "blog_time_zone": "Asia/Seoul"})  # fmt: skip
    for i in range(posts):
        day = f"2020-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00Z"
        blog.posts.append(ta.TPost(str(7_000_000_000_000_000_000 + i), f"Benchmark post {i}", BODY.format(i=i, cdn=CDN),
                                   day, filename=f"/2020/{1 + i % 12:02d}/bench-{i}.html",
                                   labels=("bench", f"group {i % 10}")))  # fmt: skip
        if i % 10 == 0:
            blog.comments.append(ta.TComment(str(8_000_000_000_000_000_000 + i), blog.posts[-1].id, "Reader",
                                             f"Comment on post {i}", day))  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"takeout-20261201T000000Z-00{n}.zip" for n in (1, 2)]
    first, second = (zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) for p in paths)
    base = "Takeout/Blogger"
    first.writestr(f"{base}/Blogs/Bench Blog/feed.atom", ta.feed_atom(blog))
    first.writestr(f"{base}/Blogs/Bench Blog/settings.csv", ta.settings_csv(blog.settings or {}))
    first.writestr(f"{base}/Comments/Bench Blog/feed.atom", ta.comments_atom(blog))
    for n in range(images):
        i, k = divmod(n, 3)
        ext = "png" if k == 1 else "jpg"
        name = f"photo-{i}-{'abc'[k]}.{ext}" if i < posts else f"unused-{n}.{ext}"
        # a few KB each (incompressible, as photos are): the bench measures the copying, not only the names
        data = ta.png(n, size=24) if ext == "png" else ta.jpeg(n)[:-2] + os.urandom(2048) + b"\xff\xd9"
        photo = ta.TPhoto("Bench Blog", name, data, created=blog.posts[min(i, posts - 1)].published)
        zf = first if n < images // 2 else second
        zf.writestr(f"{base}/Albums/Bench Blog/{name}", data)
        zf.writestr(f"{base}/Albums/Bench Blog/{name}.json", ta.sidecar(photo))
    first.close()
    second.close()
    return paths


def run_cli(args: list[str]) -> tuple[float, int, int]:
    """(seconds, peak RSS in MiB, exit status) of one CLI run in its own process."""
    env = dict(installed_env(), PYTHONPATH=str(ROOT / "src"))
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "migrator", *args, "-q"], env=env)
    tree = run_bench.TreeRss(proc.pid)  # the worker processes' memory counts too
    _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, tree.stop(usage.ru_maxrss), os.waitstatus_to_exitcode(status)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, default=10_000)
    ap.add_argument("--images", type=int, default=30_000)
    ap.add_argument("--keep", action="store_true", help="keep the archive and the site (printed)")
    ap.add_argument("--convert-workers", type=int, default=None, metavar="N",
                    help="the run's convert_workers (default: the tool's own choice; 0: the main process only)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="migrator-takeout-bench-"))
    try:
        start = time.perf_counter()
        parts = write_takeout(tmp / "dl", args.posts, args.images)
        size = sum(p.stat().st_size for p in parts) / 1e6
        print(f"wrote {len(parts)} parts ({size:.0f} MB) in {time.perf_counter() - start:.0f} s", flush=True)
        site = tmp / "site"
        common = ["migrate", str(parts[0]), "--out", str(site), "--offline"]
        if args.convert_workers is not None:
            (tmp / "bench.yaml").write_text(f"convert_workers: {args.convert_workers}\n")
            common += ["--config", str(tmp / "bench.yaml")]
        seconds, rss, code = run_cli(common)
        written = len(list((site / "_posts").iterdir()))
        copied = sum(1 for _ in (site / "assets" / "img").rglob("*.*"))
        if code != 0 or written != args.posts:
            raise SystemExit(f"the migration exited {code} and wrote {written} of {args.posts} posts")
        again, rss_again, code = run_cli(common)
        rows = [
            (f"offline migration, {args.posts:,} posts, {args.images:,} album images ({copied:,} used)",
             f"{seconds:.1f} s, {args.posts / seconds:.0f} posts/s"),
            ("peak RSS", f"{rss} MiB"),
            ("the same command again (nothing changed)", f"{again:.1f} s, peak RSS {rss_again} MiB"),
        ]
        print_rows(rows)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
