"""A Tistory blog against its politeness bound (not a timed test):  python bench/tistory.py [--posts 1000]

Tistory is read politely: one request to the blog's host every ``tistory.delay`` seconds at most (pages,
comment counts, comment pages, notices; images come from other hosts and are not held to it). So a run can
never be faster than (requests to the blog) x delay, and that is the figure that matters: measured here in
one run on a generated blog served locally (``--delay`` small, 10 ms by default, so the bench takes seconds;
the same requests at the default ``tistory.delay: 1.0`` give the real-world time), for

- the first migration (pages, each post's comment count, its comment pages, the notices),
- a no-op resync (the sitemap's lastmod says every post is unchanged; every post is older than
  ``tistory.recheck_days``, so no comment count is asked for: ``tistory.recheck_comments: recent``),
- the same no-op resync with ``recheck_comments: all``: one comment count per post and notice,
- the same first migration with ``comments: false``, to show what the comments cost,
- the backup of the same blog completed from it (``migrate backup.zip --origin``): the live reading is the
  same, the archive's files are copied instead of downloaded.

Then the same first migration and resync of a smaller blog at a delay where the politeness, not the local
work, sets the pace (``--check-posts 100 --check-delay 0.1``): how close a run comes to its bound when the
requests dominate, as they do at the default delay.

Every post has two images (on the image host) and every fifth post has comments, every twentieth more than
one page of them.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "fixtures"), str(ROOT / "bench")]

from run import png, print_rows  # noqa: E402
from server import FixtureServer  # noqa: E402
from tistory_site import TistoryBlog  # noqa: E402

from migrator.cli import main  # noqa: E402

BODY = """<p data-ke-size="size16">Post {i} of the benchmark blog: a paragraph with <b>bold</b> text and a
<a href="https://example.com/{i}">link</a>, long enough to look like a paragraph of a real post.</p>
<figure class="imageblock alignCenter" data-filename="photo {i}.png"><span data-url="@IMG@/dn/b/bts{i}/k{i}a/img.png">
<img src="@IMG@/dn/b/bts{i}/k{i}a/img.png" srcset="@IMG@/thumb/R1280x0/?fname=x" data-filename="photo {i}.png"></span>
<figcaption>caption {i}</figcaption></figure>
<pre data-ke-language="python"><code>print({i})</code></pre>
<p><img src="@IMG@/dn/b/bts{i}/k{i}b/img.png" data-filename="chart {i}.png"></p>
"""
IMAGE_PREFIXES = ("/dn/", "/dna/", "/thumb/", "/cfile/")


def make_blog(n: int, images: Path) -> TistoryBlog:
    blog = TistoryBlog()
    images.mkdir(parents=True, exist_ok=True)
    blog.posts, blog.comments = [], {}
    blog.comment_page_size = 10
    for i in range(1, n + 1):
        month, day = 1 + i % 12, 1 + i % 28
        blog.posts.append({
            "id": i, "skin": "portfolio", "title": f"벤치마크 글 {i}", "published": f"2020-{month:02d}-{day:02d}T10:00:00+09:00",
            "modified": f"2020-{month:02d}-{day:02d}T11:00:00+09:00", "category": f"분류{i % 5}/하위{i % 3}",
            "tags": ["bench", f"묶음 {i % 10}"], "html": BODY.format(i=i), "sitemap": True, "rss": i > n - 10,
        })
        for suffix in "ab":
            path = images / f"k{i}{suffix}.png"
            path.write_bytes(png(2 * i + (suffix == "b")))
            blog.images[f"k{i}{suffix}"] = path
        if i % 5 == 0:
            count = 25 if i % 20 == 0 else 3  # every twentieth post: three pages of ten
            blog.comments[str(i)] = [
                {"id": i * 100 + c, "content": f"댓글 {c}", "written": f"2020-{month:02d}-{day:02d} 12:{c % 60:02d}:00",
                 "isSecret": c == 2, "writer": {"name": f"독자 {c}", "homepage": ""}, "children": []}
                for c in range(count)
            ]
    for k, notice in enumerate(blog.notices, start=1):  # post and notice numbers are one sequence on Tistory
        notice["id"] = n + k
    return blog


def write_backup(blog: TistoryBlog, path: Path) -> Path:
    """The blog as its backup would be: each post's page, its images in img/ under their upload names."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for p in blog.posts:
            i = p["id"]
            body = (p["html"].replace(f"@IMG@/dn/b/bts{i}/k{i}a/img.png", f"./img/photo {i}.png")
                    .replace(f"@IMG@/dn/b/bts{i}/k{i}b/img.png", f"./img/chart {i}.png"))
            page = (f"<html><head><title>{p['title']}</title></head><body><h2 class='title-article'>{p['title']}</h2>"
                    f"<p class='category'>{p['category']}</p><p class='date'>{p['published'][:19].replace('T', ' ')}</p>"
                    f"<div class='article-view'><div class='contents_style'>{body}</div></div>"
                    f"<div class='tags'>{' '.join('#' + t for t in p['tags'])}</div></body></html>")
            z.writestr(f"bench-1-1/{i}/{i}.html", page)
            z.write(blog.images[f"k{i}a"], f"bench-1-1/{i}/img/photo {i}.png")
            z.write(blog.images[f"k{i}b"], f"bench-1-1/{i}/img/chart {i}.png")
    return path


def run(args: list[str]) -> float:
    start = time.perf_counter()
    code = main([*args, "-q"])
    if code not in (0, 1):
        raise SystemExit(f"migrator {' '.join(args)} failed ({code})")
    return time.perf_counter() - start


def counted(log: list[str]) -> dict[str, int]:
    blog = [p for p in log if not p.startswith(IMAGE_PREFIXES)]
    return {
        "blog": len(blog),
        "pages": sum(1 for p in blog if not p.startswith("/m/api/") and "/notice/" not in p),
        "counts": sum(1 for p in blog if p.endswith("/comment/count")),
        "comments": sum(1 for p in blog if "/comment" in p and not p.endswith("/count")),
        "notices": sum(1 for p in blog if "NOTICE" in p or "/notice/" in p),
        "images": len(log) - len(blog),
    }


def main_bench() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, default=1000)
    ap.add_argument("--delay", type=float, default=0.01, help="tistory.delay for the runs (seconds)")
    ap.add_argument("--jobs", type=int, default=4)
    ap.add_argument("--check-posts", type=int, default=100, help="the smaller blog (0: leave it out)")
    ap.add_argument("--check-delay", type=float, default=0.1)
    args = ap.parse_args()
    rows: list[tuple[str, str]] = []
    measure(args.posts, args.delay, args.jobs, rows, full=True)
    if args.check_posts:
        measure(args.check_posts, args.check_delay, args.jobs, rows, full=False)
    print_rows(rows)
    return 0


def measure(posts: int, delay: float, jobs: int, rows: list[tuple[str, str]], *, full: bool) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="migrator-tistory-bench-"))
    rows.append((f"{posts} posts, tistory.delay {delay} s, --jobs {jobs}", ""))
    try:
        blog = make_blog(posts, tmp / "images")
        for name, comments, recheck in (("bench.yaml", "true", "recent"), ("nocomments.yaml", "false", "recent"),
                                        ("recheck-all.yaml", "true", "all")):
            (tmp / name).write_text(
                f"allow_private_network: true\ncomments: {comments}\ntistory:\n  delay: {delay}\n"
                f"  max_missing_run: 5\n  recheck_comments: {recheck}\nhttp:\n  backoff: 0.1\n")
        with FixtureServer(blog, faults={}) as server:
            common = ["--config", str(tmp / "bench.yaml"), "--jobs", str(jobs)]
            runs = [
                ("first migration", ["migrate", server.url, "--out", str(tmp / "s"), "--platform", "tistory", *common]),
                ("no-op resync", ["migrate", server.url, "--out", str(tmp / "s"), "--platform", "tistory", *common]),
                ("no-op resync, recheck_comments: all",
                 ["migrate", server.url, "--out", str(tmp / "s"), "--platform", "tistory", "--config",
                  str(tmp / "recheck-all.yaml"), "--jobs", str(jobs)]),
                ("first migration, comments: false",
                 ["migrate", server.url, "--out", str(tmp / "n"), "--platform", "tistory", "--config",
                  str(tmp / "nocomments.yaml"), "--jobs", str(jobs)]),
                ("backup + --origin (the same blog)",
                 ["migrate", str(write_backup(blog, tmp / "bench-1-1.zip")), "--out", str(tmp / "b"), "--origin",
                  server.url, *common]),
            ][: 5 if full else 2]
            for label, argv in runs:
                server.log.clear()
                seconds = run(argv)
                c = counted(list(server.log))
                bound = c["blog"] * delay
                rows.append((f"  {label}", f"{seconds:6.1f} s  {c['blog']:5d} requests to the blog "
                             f"({c['pages']} pages, {c['counts']} comment counts, {c['comments']} comment pages, "
                             f"{c['notices']} notices), {c['images']} to the image host"))
                rows.append(("    against its bound (requests x delay)",
                             f"{seconds / bound:6.2f}x  ({bound:.1f} s); at tistory.delay 1.0: "
                             f"{c['blog'] / 60:.0f} min at least"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main_bench())
