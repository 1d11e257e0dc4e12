"""The site is the user's: nothing written or deleted outside --out (links too) or that the tool did not write,
one blog per site, one run at a time, clear errors for broken state, lost files restored, files as expected."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from server import FixtureServer

from conftest import EXAMPLE_CONFIG, ROOT
from migrator.config import Config
from migrator.jekyll import front_matter, post_path
from migrator.manifest import SiteLock
from migrator.models import Blog, Post
from migrator.pipeline import same_blog


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- 4. never outside --out, through links too -------------------------------------------------------------


@pytest.mark.parametrize("link", ["assets", ".migrator", ".migrator/tmp", "_posts", "assets/img"])
def test_a_folder_that_links_outside_the_site_is_refused(quiet_server, migrate, tmp_path, link):
    site, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.part").write_text("not ours")
    (site / link).parent.mkdir(parents=True, exist_ok=True)
    (site / link).symlink_to(elsewhere, target_is_directory=True)
    res, _ = migrate(quiet_server, out=site)
    assert res.code == 5, res
    assert "outside" in res.err and len(res.err.strip().splitlines()) == 1
    assert sorted(p.name for p in elsewhere.iterdir()) == ["keep.part"]  # nothing written, nothing deleted


@pytest.mark.parametrize("plain_file", [".migrator", "assets/img"])
def test_a_file_where_a_folder_belongs_is_a_clear_error(quiet_server, migrate, tmp_path, plain_file):
    site = tmp_path / "site"
    (site / plain_file).parent.mkdir(parents=True, exist_ok=True)
    (site / plain_file).write_text("mine")
    res, _ = migrate(quiet_server, out=site)
    assert res.code == 5 and "is a file" in res.err, res
    assert (site / plain_file).read_text() == "mine"


def page(path: str, kind: str = "page") -> Post:
    return Post(id="1", kind=kind, status="live", title="t", html="", path=path,
                published=datetime(2024, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("old_path", "slug", "expected"),
    [
        ("/index.html", "index", "page-index.md"),
        ("/feed.xml", "feed", "page-feed.md"),
        ("/404.html", "404", "page-404.md"),
        ("/assets/about.html", "about", "pages/assets/about.md"),
        ("/p/about.html", "about", "p/about.md"),
        ("/p/con.html", "con-", "p/con-.md"),
    ],
)
def test_a_page_never_takes_over_a_generated_file(old_path, slug, expected):
    assert post_path(page(old_path), slug, datetime(2024, 1, 1), "md") == expected


def test_an_old_url_that_is_the_new_sites_home_or_feed_is_not_claimed():
    for path in ("/index.html", "/feed.xml", "/assets/x.png", "/"):
        fm = front_matter(page(path), Config(), Blog("blogger", ""), image=None, excerpt=None)
        assert "permalink" not in fm, path
    fm = front_matter(page("/p/about.html"), Config(), Blog("blogger", ""), image=None, excerpt=None)
    assert fm["permalink"] == "/p/about.html"


def test_names_that_differ_only_in_case_stay_distinct(tmp_path):
    from test_one_bad_post import ListSource, post, run

    a, b = post(1, "A"), post(1, "B")
    b = Post(**{**b.__dict__, "id": "2", "slug": "P1"})  # same day, slug differs only in case
    report = run(tmp_path, ListSource([a, b]))
    names = sorted(p.name for p in (tmp_path / "site" / "_posts").iterdir())
    assert report.summary()["create"] == 2 and len({n.casefold() for n in names}) == 2, names


# --- 5. --prune deletes only what the tool wrote and nobody edited --------------------------------------------


def test_prune_removes_only_unedited_files_it_wrote(blog, migrate, tmp_path):
    with FixtureServer(blog, faults={}) as server:
        res, site = migrate(server)
        assert res.code == 0, res
        manifest_path = site / ".migrator/manifest.json"
        m = json.loads(manifest_path.read_text())
        def only_in(post_id):
            images = [m["assets"][u]["path"] for u in m["posts"][post_id]["assets"] if u in m["assets"]]
            elsewhere = {m["assets"][u]["path"] for k, p in m["posts"].items() if k != post_id
                         for u in p["assets"] if u in m["assets"]}
            return sorted({p for p in images if p not in elsewhere})

        gone_id = max(m["posts"], key=lambda k: len(only_in(k)))  # the post with the most images of its own
        gone = next(e for e in blog.entries if e["id"] == gone_id)
        rec, only_here = m["posts"][gone_id], only_in(gone_id)
        assert len(only_here) >= 2, only_here
        (site / only_here[0]).write_bytes(b"my edited image")
        # a stale record that names the user's own files must never delete them
        (site / "notes.md").write_text("my notes")
        for name in ("notes.md", "_config.yml"):
            m["assets"][f"https://stale.example/{name}"] = {
                "path": name, "sha256": sha(site / name), "bytes": 1, "content_type": "image/png",
                "etag": None, "last_modified": None, "status": "ok", "error": None}
        manifest_path.write_text(json.dumps(m))
        blog.entries.remove(gone)
        res, _ = migrate(server, "--prune")
    assert res.code == 0, res
    assert (site / "notes.md").read_text() == "my notes" and (site / "_config.yml").exists()
    assert (site / only_here[0]).read_bytes() == b"my edited image"  # edited: kept
    assert not (site / only_here[1]).exists() and not (site / rec["path"]).exists()
    assert f"removed {only_here[1]}" in res.out and f"removed {rec['path']}" in res.out
    assert "was edited here; kept" in res.out


# --- 6. one blog per site --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recorded", "blog", "same"),
    [
        ({"platform": "blogger", "url": "https://a.blogspot.com", "blog_id": "1"}, Blog("blogger", "https://x.com", "1"), True),
        ({"platform": "blogger", "url": "https://a.blogspot.com", "blog_id": "1"}, Blog("blogger", "https://a.blogspot.com", "2"), False),
        ({"platform": "blogger", "url": "https://a.blogspot.com", "blog_id": "1"}, Blog("tistory", "https://a.tistory.com"), False),
        ({"platform": "tistory", "url": "https://a.tistory.com", "blog_id": ""}, Blog("tistory", "https://b.tistory.com"), False),
        ({"platform": "tistory", "url": "https://a.tistory.com", "blog_id": ""}, Blog("tistory", "http://www.a.tistory.com"), True),
        ({"platform": "tistory", "url": "https://a.tistory.com", "blog_id": ""}, Blog("tistory", "https://m.a.tistory.com"), True),
        ({"platform": "blogger", "url": "", "blog_id": ""}, Blog("blogger", "https://a.blogspot.com"), True),
        ({"platform": "blogger", "url": "https://old.example", "urls": "https://a.blogspot.com"}, Blog("blogger", "https://a.blogspot.com"), True),
    ],
)
def test_same_blog(recorded, blog, same):
    assert same_blog(recorded, blog) is same


def test_another_blog_is_refused_before_anything_is_written(quiet_server, migrate, tmp_path):
    from test_one_bad_post import ListSource, post, run

    res, site = migrate(quiet_server)
    assert res.code == 0, res
    before = sorted(p.name for p in (site / "_posts").iterdir())
    other = ListSource([post(1, "Other")])
    other.blog = Blog(platform="tistory", url="https://other.tistory.com")
    from migrator.errors import UsageError

    with pytest.raises(UsageError, match="another blog"):
        run(tmp_path, other)
    assert sorted(p.name for p in (site / "_posts").iterdir()) == before


# --- 8. a lock ---------------------------------------------------------------------------------------------------


def test_a_second_run_on_the_same_site_says_who_holds_it(quiet_server, migrate, tmp_path):
    site = tmp_path / "site"
    lock = SiteLock(site)
    lock.acquire()
    try:
        res, _ = migrate(quiet_server, out=site)
    finally:
        lock.release()
    assert res.code == 5 and f"another migrator run (pid {os.getpid()})" in res.err, res
    assert not (site / "_posts").exists()
    res, _ = migrate(quiet_server, out=site)  # released: the next run goes ahead
    assert res.code == 0, res


# --- 9. clear errors instead of internal errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    "damage",
    [
        lambda m: m["posts"].update({"1000000000000000001": "a string"}),
        lambda m: next(iter(m["assets"].values())).update({"bytes": "abc"}),
        lambda m: m.update({"posts": ["not", "a", "mapping"]}),
        lambda m: next(iter(m["posts"].values())).update({"status": "weird"}),
    ],
)
def test_a_manifest_with_wrong_types_is_one_clear_line(quiet_server, migrate, damage):
    res, site = migrate(quiet_server)
    path = site / ".migrator/manifest.json"
    m = json.loads(path.read_text())
    damage(m)
    path.write_text(json.dumps(m))
    res, _ = migrate(quiet_server)
    assert res.code == 5, res
    assert "manifest.json" in res.err and "internal error" not in res.err
    assert len(res.err.strip().splitlines()) == 1


def test_a_journal_line_with_wrong_types_is_skipped(quiet_server, migrate):
    res, site = migrate(quiet_server)
    (site / ".migrator/journal.jsonl").write_text('{"post": "1", "rec": "x"}\n[1, 2]\n{"asset": 5}\n')
    res, _ = migrate(quiet_server)
    assert res.code == 0, res


def test_an_unwritable_report_is_exit_5_after_the_summary(quiet_server, migrate, tmp_path):
    (tmp_path / "afile").write_text("x")
    res, _ = migrate(quiet_server, "--report", tmp_path / "afile" / "report.json")
    assert res.code == 5, res
    assert "Migration summary" in res.out and "cannot write the report" in res.err


def test_a_missing_export_file_is_file_not_found(cli, tmp_path):
    res = cli("migrate", "feed.atom", "--out", tmp_path / "site")
    assert res.code == 2 and "file not found: feed.atom" in res.err, res
    res = cli("migrate", str(tmp_path / "takeout-001.zip"), "--out", tmp_path / "site")
    assert res.code == 2 and "file not found" in res.err, res


def test_sigterm_stops_like_ctrl_c(blog, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    with FixtureServer(blog, faults={}, latency=0.15) as server:
        site = tmp_path / "site"
        cmd = [sys.executable, "-m", "migrator", "migrate", server.url, "--config", str(EXAMPLE_CONFIG),
               "--out", str(site), "-q", "--jobs", "1"]
        proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while not (site / ".migrator").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        assert proc.poll() is None, "the run ended before it could be stopped"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    json.loads((site / ".migrator/manifest.json").read_text())
    assert not list(site.rglob("*.part"))


# --- 10. lost local files come back -----------------------------------------------------------------------------


def test_a_plain_resync_restores_deleted_posts_and_images(quiet_server, migrate):
    res, site = migrate(quiet_server)
    assert res.code == 0, res
    m = json.loads((site / ".migrator/manifest.json").read_text())
    post_file = site / m["posts"]["1000000000000000001"]["path"]
    image = next(site / a["path"] for a in m["assets"].values())
    want_post, want_image = post_file.read_bytes(), image.read_bytes()
    post_file.unlink()
    image.unlink()
    res, _ = migrate(quiet_server)
    assert res.code == 0, res
    assert post_file.read_bytes() == want_post and image.read_bytes() == want_image


# --- 11. files as a user expects them ----------------------------------------------------------------------------


def test_written_files_respect_the_umask(quiet_server, migrate):
    res, site = migrate(quiet_server)
    assert res.code == 0, res
    mask = os.umask(0)
    os.umask(mask)
    want = 0o666 & ~mask
    for rel in ("_config.yml", ".migrator/manifest.json", "_posts/2024-03-02-hello-world.md"):
        assert (site / rel).stat().st_mode & 0o777 == want, rel


def test_an_attachment_never_becomes_the_posts_image():
    from migrator.models import AssetRecord
    from migrator.pipeline import lead_image

    records = {
        "https://x/notes.txt": AssetRecord(url="https://x/notes.txt", path="assets/files/p/notes.txt"),
        "https://x/a.png": AssetRecord(url="https://x/a.png", path="assets/img/p/a.png"),
    }
    amap = {u: "/" + r.path for u, r in records.items()}
    assert lead_image(None, records, amap) == "/assets/img/p/a.png"
    assert lead_image(None, {"https://x/notes.txt": records["https://x/notes.txt"]}, amap) is None
    assert lead_image("https://x/a.png", records, amap) == "/assets/img/p/a.png"
    assert lead_image("https://yt/0.jpg", {}, {}) == "https://yt/0.jpg"  # a remote thumbnail stays remote


def test_embed_is_a_void_element():
    from migrator.convert import html_to_clean_html, html_to_markdown

    md = html_to_markdown('<p>a <embed src="https://www.youtube.com/v/x"> b</p><p>the rest of the post</p>')
    assert "</embed>" not in md and "the rest of the post" in md.split("<embed")[1].split(">", 1)[1]
    out = html_to_clean_html('<video><source src="a.mp4">fallback</video><p>rest</p>')
    assert "</source>" not in out and "fallback</video><p>rest</p>" in out
