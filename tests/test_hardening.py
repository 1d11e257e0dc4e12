"""Faults, kills and hostile input: nothing is lost, nothing escapes --out, every bad item is reported."""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import subprocess
import sys
import time

import frontmatter
import pytest
from server import FixtureServer

from conftest import EXAMPLE_CONFIG, ROOT, TISTORY_CONFIG


def site_files(site):
    return {str(p.relative_to(site)): p.read_bytes() for p in site.rglob("*")
            if p.is_file() and ".migrator" not in p.relative_to(site).parts}


FAULTY = """allow_private_network: true
timezone: Asia/Seoul
platform: {platform}
blogger:
  extra_image_hosts: ["127.0.0.1"]
tistory:
  delay: 0
http:
  retries: 15
  backoff: 0.01
  backoff_max: 0.05
  read_timeout: 0.4
"""


@pytest.mark.parametrize("platform", ["blogger", "tistory"])
def test_a_migration_through_20_percent_faults_equals_a_clean_one(cli, blog, tblog, tmp_path, platform):
    the_blog = blog if platform == "blogger" else tblog
    cfg = tmp_path / "c.yaml"
    cfg.write_text(FAULTY.format(platform=platform))
    with FixtureServer(the_blog.copy(), faults={}) as clean:
        res = cli("migrate", clean.url, "--out", tmp_path / "clean", "--config", cfg)
        assert res.code == 0, res
        port = clean.port
    # the same blog on the same port (URLs are part of the output), now with faults on 20% of answers
    with FixtureServer(the_blog.copy(), port=port, faults={}, fault_rate=0.2, seed=7, slow_seconds=0.8) as faulty:
        res = cli("migrate", faulty.url, "--out", tmp_path / "faulty", "--config", cfg)
        assert res.code == 0, res
        assert len(faulty.injected) >= 5 and len(set(faulty.injected)) >= 4, faulty.injected
    assert site_files(tmp_path / "faulty") == site_files(tmp_path / "clean")
    a = json.loads((tmp_path / "clean/.migrator/manifest.json").read_text())
    b = json.loads((tmp_path / "faulty/.migrator/manifest.json").read_text())
    assert a["posts"] == b["posts"] and a["assets"] == b["assets"]  # only last_sync may differ


def test_sigkill_at_random_moments_over_many_rounds(blog, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    rng = random.Random(11)
    with FixtureServer(blog, faults={}, latency=0.03) as server:
        cmd = [sys.executable, "-m", "migrator", "migrate", server.url, "--config", str(EXAMPLE_CONFIG), "-q"]
        clean, killed = tmp_path / "clean", tmp_path / "killed"
        started = time.monotonic()
        subprocess.run([*cmd, "--out", str(clean)], env=env, check=True, timeout=300)
        took = time.monotonic() - started  # the moments are fractions of it: a fast machine finishes sooner
        kills = 0
        for _ in range(6):
            proc = subprocess.Popen([*cmd, "--out", str(killed), "--jobs", str(rng.choice([1, 4]))], env=env)
            time.sleep(rng.uniform(0.1, 0.6) * took)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
            if proc.wait(timeout=60) == -signal.SIGKILL:
                kills += 1
        assert kills >= 2  # the runs were cut short for real (a run that finished first proves nothing)
        assert subprocess.run([*cmd, "--out", str(killed)], env=env, timeout=300).returncode == 0
    assert site_files(killed) == site_files(clean)
    assert not list(killed.rglob("*.part")) and not list(killed.rglob("*.tmp"))
    posts = json.loads((killed / ".migrator/manifest.json").read_text())["posts"]
    assert len(posts) == 14 and len({p["path"] for p in posts.values()}) == 14  # no duplicate posts


HOSTILE_TITLES = ["../../etc/passwd", "a/b/c", "nul\x00and\x07bell", "x" * 500, "!!!???", "key: value # c",
                  "- item", "{flow: map} & *alias !tag %dir", "'single' \"double\"", ""]


def hostile_blog(blog):
    base = next(e for e in blog.entries if e["id"] == "1000000000000000011")
    entries = []
    for i, title in enumerate(HOSTILE_TITLES):
        entries.append(dict(base, id=f"90000000000000000{i:02d}", title=title,
                            path=f"/2024/08/hostile-{i}.html", labels=[title[:20]] if title else []))
    img = "@IMG@/hostile/"
    bodies = {
        "malformed": "<p><b>unclosed <i>tags<div></p><table><td>cell<tr>row</table><<<>>> text & more",
        "deep": "<div>" * 3000 + "deep text survives" + "</div>" * 3000,
        "big": "<p>" + ("big post words " * 350_000) + "</p>",
        "images": "".join(f'<p><img src="{img}{n}" alt="{n}"></p>' for n in (
            "html-error.png", "empty.png", "huge.png", "loop.png", "to-metadata.png", "gzip-bomb.png", "cut.png")),
        "links": '<p><a href="javascript:alert(1)">js link</a> <img src="data:image/png;base64,iVBORw0KGgo=">'
                 '<span onclick="steal()">click</span> <iframe src="https://www.youtube.com/embed/x" onload="x()">'
                 "</iframe></p>",
    }
    for i, (name, html) in enumerate(bodies.items()):
        entries.append(dict(base, id=f"91000000000000000{i:02d}", title=f"Hostile {name}",
                            path=f"/2024/09/../../../../tmp/{name}.html", html=html))
    blog.entries.extend(entries)
    return entries


def test_hostile_blog(cli, blog, tmp_path):
    entries = hostile_blog(blog)
    cfg = tmp_path / "c.yaml"
    cfg.write_text("allow_private_hosts: [localhost, 127.0.0.1]\nblogger:\n  extra_image_hosts: ['127.0.0.1']\n"
                   "http:\n  max_bytes: 8000000\n  retries: 2\n  backoff: 0.01\n")
    out = tmp_path / "out" / "site"
    with FixtureServer(blog, faults={}) as server:
        res = cli("migrate", server.url, "--out", out, "--config", cfg)
    assert res.code == 1, res  # the hostile images failed; everything else went through
    outside = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")
                     if not str(p.relative_to(tmp_path)).startswith("out"))
    assert outside == ["c.yaml"]  # nothing written outside --out
    assert not (tmp_path / "tmp").exists() and not any(p.name == "passwd" for p in tmp_path.rglob("*"))
    manifest = json.loads((out / ".migrator/manifest.json").read_text())
    for e in entries:
        rec = manifest["posts"][e["id"]]
        assert rec["status"] == "ok", (e["title"], rec)
        path = out / rec["path"]
        assert path.resolve().is_relative_to(out.resolve())
        assert len(path.name.encode()) <= 255
        doc = frontmatter.load(path)  # the YAML round trip holds for every title
        assert doc["title"] == e["title"].replace("\x00", "").replace("\x07", "")
        assert ".." not in doc["permalink"]
    errors = {u.rsplit("/", 1)[-1]: a["error"] for u, a in manifest["assets"].items() if a["status"] == "failed"}
    assert "web page" in errors["html-error.png"] and "empty" in errors["empty.png"]
    assert "cap" in errors["huge.png"] and "cap" in errors["gzip-bomb.png"]
    assert "redirects" in errors["loop.png"] and "169.254.169.254" in errors["to-metadata.png"]
    assert "incomplete" in errors["cut.png"]
    for name in errors:
        assert name in res.out  # each one listed in the summary
    links = frontmatter.load(out / manifest["posts"]["9100000000000000004"]["path"]).content
    assert "javascript:" not in links and "onclick" not in links and "onload" not in links and "js link" in links
    deep = frontmatter.load(out / manifest["posts"]["9100000000000000001"]["path"]).content
    assert "deep text survives" in deep
    big = frontmatter.load(out / manifest["posts"]["9100000000000000002"]["path"]).content
    assert big.count("big post words") == 350_000


def test_a_truncated_feed_page_is_retried_then_reported(cli, blog, tmp_path):
    cut = b'{"version": "1.0", "feed": {"entry": [{"id": {"$t": "tag:blo'
    page2 = "/feeds/posts/default?alt=json&start-index=4&max-results=3"  # rel=next's query, on the origin
    with FixtureServer(blog, faults={page2: [(200, {}, cut), (200, {}, cut)]}) as server:
        res = cli("migrate", server.url, "--out", tmp_path / "s", "--config", EXAMPLE_CONFIG)
    assert res.code == 1, res  # finished, but the listing is incomplete: said so, and nothing judged deleted
    assert "stopped reading the posts feed" in res.out
    manifest = json.loads((tmp_path / "s/.migrator/manifest.json").read_text())
    assert manifest["posts"] and manifest["source"].get("complete") is None


def test_disk_full_is_a_clear_error_and_the_manifest_survives(cli, quiet_server, blog, tmp_path, monkeypatch):
    site = tmp_path / "s"
    assert cli("migrate", quiet_server.url, "--out", site, "--config", EXAMPLE_CONFIG).code == 0
    before = (site / ".migrator/manifest.json").read_text()
    e = next(x for x in blog.entries if x["id"] == "1000000000000000001")
    e["html"] += "<p>more</p>"
    e["updated"] = "2099-01-01T00:00:00.000+09:00"
    import migrator.sinks

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(migrator.sinks, "atomic_write_text", full)
    monkeypatch.setattr(migrator.sinks, "write_temp", full)  # a migration's grouped writes
    res = cli("migrate", quiet_server.url, "--out", site, "--config", EXAMPLE_CONFIG)
    assert res.code == 5, res
    assert "No space left on device" in res.err and "Traceback" not in res.err
    assert json.loads((site / ".migrator/manifest.json").read_text()) == json.loads(before)
    monkeypatch.undo()
    res = cli("migrate", quiet_server.url, "--out", site, "--config", EXAMPLE_CONFIG)
    assert res.code == 0 and "<p>more</p>" not in (site / "_posts/2024-03-02-hello-world.md").read_text()
    assert "more" in (site / "_posts/2024-03-02-hello-world.md").read_text()


def test_tistory_with_non_utf8_and_missing_pieces(cli, tserver, tblog, tmp_path):
    p = next(x for x in tblog.posts if x["id"] == 4)
    p["html"] += "<p>caf\udce9 bytes that are not UTF-8</p>"
    res = cli("migrate", tserver.url, "--out", tmp_path / "s", "--config", TISTORY_CONFIG)
    assert res.code == 0, res
    text = next((tmp_path / "s/_posts").glob("2023-01-27-*.md")).read_text(encoding="utf-8")
    assert "caf\ufffd bytes that are not UTF-8" in text  # the byte that is not UTF-8 is replaced, not fatal


def test_an_output_directory_that_cannot_be_created(cli, quiet_server, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    res = cli("migrate", quiet_server.url, "--out", blocker / "site", "--config", EXAMPLE_CONFIG)
    assert res.code == 5 and "cannot create" in res.err and "Traceback" not in res.err


def test_feed_entries_with_keys_missing(cli, blog, tmp_path):
    import json as _json

    page = {"feed": {"openSearch$totalResults": {"$t": "3"}, "openSearch$startIndex": {"$t": "1"},
                     "entry": [{"title": {"$t": "no id at all"}},
                               {"id": {"$t": "tag:blogger.com,1999:blog-1.post-555"}},  # nothing else
                               "not even an object"]}}
    first = "/feeds/posts/default?alt=json&start-index=1&max-results=100"
    with FixtureServer(blog, faults={first: [(200, {}, _json.dumps(page).encode())] * 2}) as server:
        res = cli("migrate", server.url, "--out", tmp_path / "s", "--config", EXAMPLE_CONFIG)
    assert res.code == 1, res  # the entry with an id and nothing else fails alone; the rest is migrated
    assert "without a post id" in res.out and "failed 555: the feed gives only a summary" in res.out
    posts = _json.loads((tmp_path / "s/.migrator/manifest.json").read_text())["posts"]
    assert posts["555"]["status"] == "failed"  # recorded, and retried by the next run
    assert sum(p["status"] == "ok" for p in posts.values()) == 12


def test_output_does_not_depend_on_timing_or_jobs(cli, blog, tmp_path):
    with FixtureServer(blog, faults={}, latency=0.01) as server:
        for jobs in ("1", "8"):
            res = cli("migrate", server.url, "--out", tmp_path / jobs, "--config", EXAMPLE_CONFIG, "--jobs", jobs)
            assert res.code == 0, res
    assert site_files(tmp_path / "1") == site_files(tmp_path / "8")
    a = json.loads((tmp_path / "1/.migrator/manifest.json").read_text())
    b = json.loads((tmp_path / "8/.migrator/manifest.json").read_text())
    assert json.dumps(a["posts"]) == json.dumps(b["posts"]) and json.dumps(a["assets"]) == json.dumps(b["assets"])


def test_a_write_cut_short_by_a_kill_leaves_no_temp_file_after_the_next_run(quiet_server, migrate, monkeypatch):
    import tempfile

    made = []
    real = tempfile.mkstemp

    def recording(*a, **k):  # type: ignore[no-untyped-def]
        made.append(k.get("dir"))
        return real(*a, **k)

    monkeypatch.setattr(tempfile, "mkstemp", recording)
    res, site = migrate(quiet_server)
    assert res.code == 0, res
    # every temp file is made in .migrator/tmp, never beside a post, page or the manifest
    assert made and all(str(d).endswith(".migrator/tmp") for d in made), set(map(str, made))
    # what SIGKILL between mkstemp() and os.replace() leaves there is swept by the next run
    strays = [site / ".migrator/tmp/about.md.eqnndw70.tmp", site / ".migrator/tmp/manifest.json.k2_9ab1x.tmp"]
    for stray in strays:
        stray.write_text("half a file")
    mine = [site / "notes.tmp", site / "p/about.md.eqnndw70.tmp"]  # the user's own files: never touched
    for m in mine:
        m.write_text("mine")
    res, _ = migrate(quiet_server)
    assert res.code == 0, res
    assert not any(p.exists() for p in strays) and all(m.read_text() == "mine" for m in mine)


KILL_BETWEEN_COMMITS = """
import os, signal, sys
from migrator import cli, pipeline

pipeline.GROUP_SECONDS = float("inf")  # the test commits by itself: after posts 2 and 4, then a kill after 7
real = pipeline.Migration.process
done = []


def process(self, post, store):
    item = real(self, post, store)
    done.append(post.id)
    if len(done) in (2, 4):
        self._commit()
    if len(done) == 7:
        assert self.sink.pending and self.manifest.pending
        os.kill(os.getpid(), signal.SIGKILL)
    return item


pipeline.Migration.process = process
sys.exit(cli.main(sys.argv[1:]))
"""


def test_a_kill_between_group_commits_loses_nothing_for_good(tmp_path):
    """The posts done after the last group commit (their images in place, their files in temp files, their
    records not in the journal) are redone by the next run: the same site as a clean run, nothing doubled."""
    sys.path.insert(0, str(ROOT / "bench"))
    import takeout as bench_takeout

    parts = bench_takeout.write_takeout(tmp_path / "dl", 12, 40)
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    cmd = ["migrate", str(parts[0]), "--offline", "-q"]
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    run = [sys.executable, "-m", "migrator", *cmd]
    subprocess.run([*run, "--out", str(clean)], env=env, check=True, timeout=300)
    script = tmp_path / "kill.py"
    script.write_text(KILL_BETWEEN_COMMITS)
    proc = subprocess.run([sys.executable, str(script), *cmd, "--out", str(killed)], env=env, timeout=300)
    assert proc.returncode == -signal.SIGKILL
    journal = [json.loads(line) for line in (killed / ".migrator/journal.jsonl").read_text().splitlines()]
    assert len([r for r in journal if "post" in r]) == 4  # what the two commits made durable, no more
    assert not (killed / ".migrator/manifest.json").exists()
    staged = list((killed / ".migrator/tmp").glob("*.tmp"))
    assert staged  # the uncommitted posts' files never reached their names
    posts = sorted((killed / "_posts").iterdir())
    assert len(posts) == 4
    images = list((killed / "assets/img").rglob("*.*"))
    assert len(images) == 3 * 7  # the images of all 7 posts are in place, 9 of them unrecorded
    assert subprocess.run([*run, "--out", str(killed)], env=env, timeout=300).returncode == 0
    assert site_files(killed) == site_files(clean)  # no image named -2, no post written twice
    assert not list(killed.rglob("*.part")) and not list(killed.rglob("*.tmp"))
    a = json.loads((clean / ".migrator/manifest.json").read_text())
    b = json.loads((killed / ".migrator/manifest.json").read_text())
    assert a["posts"] == b["posts"] and a["assets"] == b["assets"]
