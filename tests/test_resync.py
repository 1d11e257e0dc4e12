"""Resync semantics against the local fixture servers, counting requests and files touched."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from conftest import EXAMPLE_CONFIG, ROOT, TISTORY_CONFIG, tree_snapshot


def manifest(site):
    return json.loads((site / ".migrator/manifest.json").read_text())


def changed_files(before, after):
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def entry(blog, pid):
    return next(e for e in blog.entries if e["id"] == pid)


HELLO = "1000000000000000001"
NOTE = "1000000000000000011"


def test_noop_resync_is_cheap_and_writes_nothing(quiet_server, migrate):
    res, site = migrate(quiet_server)
    assert res.code == 0
    first_requests = len(quiet_server.log)
    before = tree_snapshot(site)
    quiet_server.log.clear()
    res, _ = migrate(quiet_server)
    assert res.code == 0, res
    assert tree_snapshot(site) == before  # no file written, no mtime touched
    # the first summary page (its total), one "updated since" query per feed, the pages' total, the comments'
    # "updated since": five requests, whatever the blog's size (no listing: the totals add up)
    assert len(quiet_server.log) <= 5 < first_requests, quiet_server.log
    assert any("updated-min=" in p and "orderby=updated" in p for p in quiet_server.log)
    assert not quiet_server.requests_to("/img/")
    assert "posts unchanged" in res.out and "14" in res.out


def test_upstream_edit_rewrites_exactly_that_post(quiet_server, blog, migrate):
    res, site = migrate(quiet_server)
    before = tree_snapshot(site)
    e = entry(blog, HELLO)
    e["html"] = e["html"].replace("The end.", "The end, edited upstream.")
    e["updated"] = "2099-01-01T00:00:00.000+09:00"  # "updated" is after the last sync
    res, _ = migrate(quiet_server)
    assert res.code == 0, res
    assert changed_files(before, tree_snapshot(site)) == ["_posts/2024-03-02-hello-world.md"]
    assert "edited upstream" in (site / "_posts/2024-03-02-hello-world.md").read_text()


def test_addition_and_deletion_with_and_without_prune(quiet_server, blog, migrate):
    res, site = migrate(quiet_server)
    new = dict(entry(blog, NOTE), id="1000000000000000099", title="Brand new", path="/2099/01/brand-new.html",
               published="2099-01-01T00:00:00.000+09:00", updated="2099-01-01T00:00:00.000+09:00")
    blog.entries.append(new)
    removed = entry(blog, "1000000000000000009")  # the flaky-image post: its two images are its own
    blog.entries.remove(removed)
    res, _ = migrate(quiet_server)
    assert res.code == 0, res
    m = manifest(site)
    assert m["posts"]["1000000000000000099"]["status"] == "ok"
    assert (site / "_posts/2099-01-01-brand-new.md").exists()
    # deleted at the source: reported, kept without --prune
    assert m["posts"]["1000000000000000009"]["status"] == "ok"
    assert (site / "_posts/2024-06-15-flaky-image-host.md").exists()
    assert "posts deleted" in res.out
    images = [m["assets"][u]["path"] for u in m["posts"]["1000000000000000009"]["assets"]]
    res, _ = migrate(quiet_server, "--prune")
    assert res.code == 0, res
    m = manifest(site)
    assert m["posts"]["1000000000000000009"]["status"] == "deleted"
    assert not (site / "_posts/2024-06-15-flaky-image-host.md").exists()
    assert images and not any((site / p).exists() for p in images)  # its own images went too
    assert (site / "assets/img/every-image-form/sunset.jpg").exists()  # shared images stay


def test_hand_edits_are_kept_then_forced(quiet_server, blog, migrate, cli):
    res, site = migrate(quiet_server)
    post = site / "_posts/2024-03-02-hello-world.md"
    post.write_text(post.read_text().replace("The end.", "The end. (my own note)"))
    (site / "_config.yml").write_text((site / "_config.yml").read_text() + "\nmy_setting: 1\n")
    (site / "about-me.md").write_text("---\ntitle: mine\n---\nmine\n")
    res, _ = migrate(quiet_server)  # the source did not change: the edit is simply kept
    assert res.code == 0 and "(my own note)" in post.read_text()
    e = entry(blog, HELLO)
    e["html"] = e["html"].replace("The end.", "The end, edited upstream.")
    e["updated"] = "2099-01-01T00:00:00.000+09:00"
    res, _ = migrate(quiet_server)
    assert res.code == 0, res
    assert "conflict" in res.out and "--force" in res.out
    assert "(my own note)" in post.read_text()
    assert manifest(site)["posts"][HELLO]["status"] == "conflict"
    status = cli("status", site)  # says how a conflict ends (running again does not retry it)
    assert "--force" in status.out and "retry the failed items" not in status.out, status.out
    res, _ = migrate(quiet_server, "--force")
    assert res.code == 0, res
    assert "edited upstream" in post.read_text() and "(my own note)" not in post.read_text()
    assert "my_setting: 1" in (site / "_config.yml").read_text() and (site / "about-me.md").exists()


def test_dry_run_predicts_the_real_run_and_writes_nothing(quiet_server, blog, migrate, tmp_path):
    report = tmp_path / "plan.json"
    res, site = migrate(quiet_server, "--dry-run", "--report", report)
    assert res.code == 0 and not site.exists()
    assert json.loads(report.read_text())["summary"]["create"] == 14
    from test_takeout_archive import summary_row

    images = [summary_row(res.out, "images to download"), summary_row(res.out, "images already local")]
    res, _ = migrate(quiet_server)
    # the same counts as the run: an image two posts show is downloaded once, then found local
    assert images == [summary_row(res.out, "images downloaded"), summary_row(res.out, "images already local")], res
    e = entry(blog, HELLO)
    e["html"] = e["html"].replace("The end.", "The end, edited upstream.")
    e["updated"] = "2099-01-01T00:00:00.000+09:00"
    blog.entries.append(dict(entry(blog, NOTE), id="1000000000000000098", path="/2099/02/another.html",
                             updated="2099-02-01T00:00:00.000+09:00", published="2099-02-01T00:00:00.000+09:00"))
    snapshot = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    res, _ = migrate(quiet_server, "--dry-run", "--report", report)
    assert res.code == 0, res
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == snapshot  # manifest included
    plan = json.loads(report.read_text())
    assert plan["summary"]["update"] == 1 and plan["summary"]["create"] == 1
    update = next(p for p in plan["posts"] if p["action"] == "update")
    assert "+After the jump break" not in update["diff"] and "edited upstream" in update["diff"]
    predicted = {p["path"]: p["action"] for p in plan["posts"] if p["action"] != "unchanged"}
    res, _ = migrate(quiet_server, "--report", tmp_path / "real.json")
    real = json.loads((tmp_path / "real.json").read_text())
    assert {p["path"]: p["action"] for p in real["posts"] if p["action"] != "unchanged"} == predicted


def test_tistory_noop_resync_uses_sitemap_lastmod(cli, tserver, tmp_path):
    site = tmp_path / "site"
    args = ("migrate", tserver.url, "--out", site, "--config", TISTORY_CONFIG)
    assert cli(*args).code == 0
    before = tree_snapshot(site)
    tserver.log.clear()
    res = cli(*args)
    assert res.code == 0, res
    assert tree_snapshot(site) == before
    api = [p for p in tserver.log if p.startswith(("/m/api/", "/m/notice/"))]
    pages = [p for p in tserver.log if p not in ("/rss", "/sitemap.xml") and p not in api]
    # only the post the sitemap does not list (RSS only) and the protected one are asked for again, and the
    # first with a conditional GET that the server answers 304
    assert sorted(pages) == ["/5", "/7"], tserver.log
    assert ("/7", 304) in tserver.answers
    # comments: every post and notice is older than tistory.recheck_days, so no count is asked for (and the
    # run says so); the notice list, and each notice with a conditional GET (304)
    assert not [p for p in api if "/comment" in p], api
    assert "comments not rechecked on 9 post(s) older than 30 days" in res.out
    assert [p for p in api if "NOTICE" in p] == ["/m/api/entry/0/NOTICE?page=0&size=10"]
    assert {("/m/notice/10", 304), ("/m/notice/12", 304)} <= set(tserver.answers)


# --- kill and resume -------------------------------------------------------------------------------------


def site_files(site):
    return {str(p.relative_to(site)): p.read_bytes() for p in site.rglob("*")
            if p.is_file() and ".migrator" not in p.relative_to(site).parts}


@pytest.mark.parametrize("delays", [(0.4, 0.9, 1.6)])
def test_sigkill_at_several_points_then_resume_gives_the_same_site(blog, tmp_path, delays):
    from server import FixtureServer

    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    with FixtureServer(blog, faults={}, latency=0.05) as server:
        cmd = [sys.executable, "-m", "migrator", "migrate", server.url, "--config", str(EXAMPLE_CONFIG), "-q",
               "--jobs", "2"]
        clean = tmp_path / "clean"
        subprocess.run([*cmd, "--out", str(clean)], env=env, check=True, timeout=300)
        killed = tmp_path / "killed"
        kills = 0
        for delay in delays:
            proc = subprocess.Popen([*cmd, "--out", str(killed)], env=env)
            time.sleep(delay)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait(timeout=60)
            if (killed / ".migrator/manifest.json").exists():
                json.loads((killed / ".migrator/manifest.json").read_text())  # always loadable
        assert kills >= 1
        done = subprocess.run([*cmd, "--out", str(killed)], env=env, timeout=300)
        assert done.returncode == 0
    assert site_files(killed) == site_files(clean)
    assert not list(killed.rglob("*.part"))
    m = manifest(killed)
    assert len(m["posts"]) == 14 and all(p["status"] == "ok" for p in m["posts"].values())


# --- the reviewer's HTML report in a real browser ----------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="chromium is not installed")
def test_html_report_in_headless_chromium(quiet_server, blog, migrate, tmp_path):
    assert CHROMIUM, "CI must install Debian's chromium"
    migrate(quiet_server, "--limit", "5")
    e = entry(blog, "1000000000000000012")
    e["html"] = e["html"].replace("With a heading above.", "With a heading above, edited.")
    e["updated"] = "2099-01-01T00:00:00.000+09:00"
    report = tmp_path / "plan.html"
    res, _ = migrate(quiet_server, "--dry-run", "--report", report)
    assert res.code == 0, res
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", report.as_uri()], capture_output=True, text=True,
                         timeout=120).stdout
    assert "<table class=\"summary\" id=\"summary\">" in dom
    assert dom.count('data-action="create"') == 9 and dom.count('data-action="update"') == 1
    assert '<span class="add">+With a heading above, edited.</span>' in dom
    preview = dom.split('class="rendered"', 1)[1]  # previews are rendered Markdown: hello-world's heading is HTML
    assert "<h2>Welcome</h2>" in preview and "## Welcome" not in dom
    assert "<table>" in dom and "<th>Name</th>" in dom  # the GFM table of a new post, rendered
    shot = tmp_path / "report.png"
    subprocess.run([CHROMIUM, *flags, f"--screenshot={shot}", "--window-size=1200,1600", report.as_uri()],
                   capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 10_000


def test_dry_run_prints_the_plan_post_by_post(quiet_server, migrate):
    res, site = migrate(quiet_server, "--dry-run")
    assert res.code == 0 and not site.exists()
    assert "Plan" in res.out and "_posts/2024-03-02-hello-world.md" in res.out and "create" in res.out


@pytest.mark.parametrize("change", ["delete", "add", "delete-and-add"])
def test_resync_notices_deletions_from_the_totals(quiet_server, blog, migrate, change):
    """No listing when nothing was deleted; a listing (and so the deletion) as soon as the totals disagree,
    also when one post was deleted and another added in the same interval."""
    res, site = migrate(quiet_server)
    assert res.code == 0, res
    if "delete" in change:
        blog.entries.remove(entry(blog, "1000000000000000009"))
    if "add" in change:
        blog.entries.append(dict(entry(blog, NOTE), id="1000000000000000097", title="Added",
                                 path="/2099/03/added.html", published="2099-03-01T00:00:00.000+09:00",
                                 updated="2099-03-01T00:00:00.000+09:00"))
    quiet_server.log.clear()
    res, _ = migrate(quiet_server)
    assert res.code == 0, res
    listed = [p for p in quiet_server.log if "/feeds/posts/summary" in p and "start-index=1&" not in p]
    if "delete" in change:
        assert "posts deleted at the source │     1" in res.out, res.out
        assert "1 post(s) deleted at the source are kept here (_posts/" in res.out and "--prune" in res.out, res.out
        assert listed, quiet_server.log  # the numbers did not add up: every id was listed
    else:
        assert "posts deleted at the source │     0" in res.out and not listed, quiet_server.log
    if "add" in change:
        assert (site / "_posts/2099-03-01-added.md").exists()


def test_a_noop_resync_asks_its_few_questions_side_by_side(quiet_server, migrate):
    """The "updated since" query of each feed, the pages' total and the new comments do not depend on each
    other: asked together (within http.per_host), a no-op's wait is about one request's, not four. With a
    latency on every answer, a client asking one after the other never has two requests in flight."""
    res, _ = migrate(quiet_server)
    assert res.code == 0
    quiet_server.log.clear()
    quiet_server.latency = 0.5
    quiet_server.max_in_flight = 0
    res, _ = migrate(quiet_server)
    assert res.code == 0, res
    assert len(quiet_server.log) <= 5, quiet_server.log
    assert quiet_server.max_in_flight >= 2, quiet_server.log


def test_a_resyncs_questions_go_out_with_the_blogs_first_page(quiet_server, migrate):
    """The manifest's header tells the CLI a cheap resync is likely: the source asks its "what changed"
    questions while its first page (the blog's metadata) is on the wire, not after it, and the first page
    first, so that it never waits behind them for one of the blog's ``per_host`` slots; still asked once
    each, and the first page's total is not asked again. Without that, a no-op waited two round trips."""
    res, _ = migrate(quiet_server)
    assert res.code == 0
    quiet_server.log.clear()
    quiet_server.arrivals.clear()
    quiet_server.latency = 0.4
    res, _ = migrate(quiet_server)
    assert res.code == 0, res
    first = [p for p in quiet_server.log if "/feeds/posts/summary" in p and "start-index=1&" in p]
    assert len(first) == 1, quiet_server.log  # one summary first page: it also gives the posts' total
    start = min(t for _, _, t in quiet_server.arrivals)
    came = {path: t - start for path, _, t in quiet_server.arrivals}
    questions = [p for p in came if "updated-min" in p]
    assert questions, quiet_server.log
    # with a 0.4 s answer each, a request that waited for another's answer came 0.4 s after the first one
    assert came[first[0]] < 0.2 and min(came[q] for q in questions) < 0.2, came
    assert len(quiet_server.log) == len(set(quiet_server.log)) <= 5, quiet_server.log


def test_ctrl_c_while_the_blog_opens_does_not_wait_for_the_questions_asked_ahead(quiet_server, migrate, tmp_path):
    """The questions asked ahead run on daemon threads, and those not yet asked are cancelled when the open
    fails: Ctrl-C while a blog that answers nothing opens ends the run at once (it waited for every pending
    request's timeouts and retries: minutes with the defaults)."""
    res, site = migrate(quiet_server)
    assert res.code == 0
    quiet_server.latency = 60  # accepts, then answers nothing
    quiet_server.log.clear()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.Popen(
        [sys.executable, "-m", "migrator", "migrate", quiet_server.url, "--out", str(site), "--config",
         str(EXAMPLE_CONFIG), "-q"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while len(quiet_server.log) < 2 and time.monotonic() < deadline:  # the first page and a question asked
        time.sleep(0.05)
    assert len(quiet_server.log) >= 2, quiet_server.log
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, (proc.returncode, err)
    assert time.monotonic() - sent < 5, "the run waited for the requests asked ahead"
    quiet_server.latency = 0


def test_a_site_with_an_image_to_retry_asks_no_resync_question_ahead(blog, migrate, tmp_path):
    """A run that leaves something to retry (an image that failed) writes ``clean: no`` in the manifest's
    header: the next run reads every post again (to retry it), so the CLI asks no "what changed" question
    ahead, to be thrown away (it did, on every run of a site with one dead image)."""
    from server import FixtureServer

    with FixtureServer(blog, faults={}) as probe:
        res, site = migrate(probe, out=tmp_path / "probe")
        image = next(p for p in probe.log if p.split("?")[0].lower().endswith((".png", ".jpg", ".jpeg", ".gif")))
    with FixtureServer(blog, faults={image.split("?")[0]: [(404, {})] * 50}) as server:
        res, site = migrate(server)
        assert res.code in (0, 1), res
        header = json.loads((site / ".migrator/manifest.json").read_text())["source"]
        assert header["clean"] == "no" and header["complete"] == "yes", header
        server.log.clear()
        res, _ = migrate(server)
        assert not [p for p in server.log if "updated-min" in p], server.log
        server.faults.clear()
        res, _ = migrate(server)  # the image comes back: the run is clean again
        assert json.loads((site / ".migrator/manifest.json").read_text())["source"]["clean"] == "yes"
        server.log.clear()
        res, _ = migrate(server)
        assert [p for p in server.log if "updated-min" in p] and len(server.log) <= 5, server.log


def test_ctrl_c_during_downloads_ends_them_at_once_and_leaves_no_part_file(blog, tmp_path):
    """Ctrl-C while images are being fetched, their answers slow: the downloads stop at once (their sockets
    shut, no new request, no retry nor its back-off) and no ``.part`` file is left in ``.migrator/tmp`` (the
    run waited for every answer and retry, longer than the whole run took, and left them)."""
    from server import FixtureServer

    site = tmp_path / "site"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    with FixtureServer(blog, faults={}, latency=0.05) as server:
        images = lambda: [p for p in server.log if p.split("?")[0].lower().endswith((".png", ".jpg", ".gif"))]  # noqa: E731
        proc = subprocess.Popen(
            [sys.executable, "-m", "migrator", "migrate", server.url, "--out", str(site), "--config",
             str(EXAMPLE_CONFIG), "-q", "--jobs", "4"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not images() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.01)
        assert images(), server.log
        server.latency = 5  # every answer from now on is slow: what is on the wire would hold the run
        slow = len(images())
        while len(images()) < slow + 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.01)  # two more downloads on the wire, each to be answered in 5 s
        assert proc.poll() is None and len(images()) >= slow + 2, server.log
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        took = time.monotonic() - sent
        server.latency = 0
    assert proc.returncode == 130, (proc.returncode, err)
    assert took < 2.5, f"the run took {took:.1f} s to stop"
    assert not list((site / ".migrator/tmp").glob("*.part")) if (site / ".migrator/tmp").exists() else True


def test_a_resync_that_reads_everything_asks_nothing_ahead(quiet_server, migrate):
    """--full (and a site whose last run was incomplete) reads every post: no "what changed" question is
    asked ahead, while the source opens, to be thrown away."""
    res, _ = migrate(quiet_server)
    assert res.code == 0
    quiet_server.log.clear()
    res, _ = migrate(quiet_server, "--full")
    assert res.code == 0, res
    assert not [p for p in quiet_server.log if "updated-min" in p], quiet_server.log


@pytest.mark.parametrize("url", [
    "https://a.blogspot.com/2020/01/x.html", "http://h/p", "https://h", "https://h/", "https://h/a b",
    "https://h/p?q=1#f", "https://user@h:80/p", "HTTPS://h/p", "https://h/%EC%95%88", "https://h/p;x", "//h/p",
    "/p", "https://h/안녕", "https://[::1]/p", "https://h\\x/p", "https://h/p\t", "ftp://h/p",
])
def test_the_known_posts_paths_are_urlsplits(url):
    """The no-op's shortcut for a manifest's source URLs gives what urlsplit gives, for odd URLs too."""
    from urllib.parse import urlsplit

    from migrator.pipeline import _url_path

    assert _url_path(url) == urlsplit(url).path


def test_a_resyncs_questions_are_on_the_wire_while_the_site_is_checked(quiet_server, migrate, monkeypatch):
    """The pipeline tells the source a resync is likely (``prefetch``) before it walks the site for lost
    files: the feed's "updated since" questions are answered meanwhile, and asked only once."""
    from migrator.sinks import FileSink

    res, _ = migrate(quiet_server)
    assert res.code == 0
    quiet_server.log.clear()
    quiet_server.latency = 0.2
    seen_during_walk: list[str] = []
    real = FileSink.missing

    def slow_walk(self, rels):  # type: ignore[no-untyped-def]
        time.sleep(0.6)
        seen_during_walk.extend(quiet_server.log)
        return real(self, rels)

    monkeypatch.setattr(FileSink, "missing", slow_walk)
    res, _ = migrate(quiet_server)
    assert res.code == 0, res
    assert any("updated-min" in line for line in seen_during_walk), seen_during_walk
    asked = [line for line in quiet_server.log if "updated-min" in line]
    assert len(asked) == len(set(asked)), quiet_server.log  # each question once
    assert len(quiet_server.log) <= 5, quiet_server.log


def test_a_manifest_another_run_wrote_before_the_lock_is_read_again(quiet_server, migrate, monkeypatch):
    """The CLI reads the manifest while the source opens, before the site's lock is taken: a record another
    run wrote in between (here an image's, through the journal) is read again once the lock is held, not
    lost by this run's save."""
    import threading

    from migrator import manifest as mf
    from migrator import sources
    from migrator.models import AssetRecord

    res, site = migrate(quiet_server)
    assert res.code == 0
    loaded = threading.Event()
    real_load = mf.Manifest.load.__func__

    def load(cls, out, **kw):  # type: ignore[no-untyped-def]
        m = real_load(cls, out, **kw)
        loaded.set()
        return m

    real_find = sources.find_source

    def find(*a, **k):  # type: ignore[no-untyped-def]
        src = real_find(*a, **k)
        assert loaded.wait(10)  # this run's copy is read: now another run writes
        other = real_load(mf.Manifest, site)
        other.record_asset(AssetRecord(url="https://other.example/x.png", path="assets/img/other/x.png",
                                       sha256="0" * 64, bytes=1))
        other.close()
        return src

    monkeypatch.setattr(mf.Manifest, "load", classmethod(load))
    monkeypatch.setattr(sources, "find_source", find)
    res, _ = migrate(quiet_server)
    assert res.code in (0, 1), res
    assert "https://other.example/x.png" in manifest(site)["assets"]
