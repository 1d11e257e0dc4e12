"""The guards no other test reached (found with the branch coverage `make test` reports): the sink's refusal to
write outside --out, --prune keeping a post edited by hand, a manifest that is not JSON or not ours, the
Markdown report, and the last two exit codes (130 interrupted, 70 internal error)."""

from __future__ import annotations

import os

import pytest

from migrator.errors import OutputError
from migrator.sinks import DryRunSink, FileSink, inside


@pytest.mark.parametrize("rel", ["../escape.md", "/etc/passwd", "a\x00b.md", "", "\\windows.md", "_posts/../../x.md"])
def test_the_sink_never_writes_outside_the_site(tmp_path, rel):
    site = tmp_path / "site"
    site.mkdir()
    with pytest.raises(OutputError, match="refusing to write"):
        FileSink(site).write(rel, "x")
    with pytest.raises(OutputError, match="refusing to write"):
        DryRunSink(site).write(rel, "x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"] and not any(site.iterdir())


def test_the_sink_never_writes_through_a_link_out_of_the_site(tmp_path):
    site, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    site.mkdir()
    elsewhere.mkdir()
    os.symlink(elsewhere, site / "_posts")
    with pytest.raises(OutputError, match="would land outside"):
        inside(site, "_posts/2024-01-01-a.md")
    with pytest.raises(OutputError, match="would land outside"):
        FileSink(site).write("_posts/2024-01-01-a.md", "x")
    assert not any(elsewhere.iterdir())


def test_a_new_folder_in_a_known_one_is_still_refused_when_it_is_a_link(tmp_path):
    """The shortcut for a new folder inside one already checked (a post's image folder): the new folder and
    the file are each checked for a link; a link to outside the site is refused all the same."""
    site, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    (site / "assets/img/first").mkdir(parents=True)
    elsewhere.mkdir()
    known: set[tuple[str, str]] = set()
    assert inside(site, "assets/img/first/a.png", known) == site / "assets/img/first/a.png"
    assert (str(site), "assets/img") in known and (str(site), "assets/img/first") in known
    assert inside(site, "assets/img/not-yet/a.png", known) == site / "assets/img/not-yet/a.png"  # to be made here
    os.symlink(elsewhere, site / "assets/img/evil")
    with pytest.raises(OutputError, match="would land outside"):
        inside(site, "assets/img/evil/a.png", known)
    (site / "assets/img/second").mkdir()
    os.symlink(elsewhere / "x.png", site / "assets/img/second/x.png")
    with pytest.raises(OutputError, match="would land outside"):
        inside(site, "assets/img/second/x.png", known)
    assert inside(site, "assets/img/second/y.png", known) == site / "assets/img/second/y.png"
    assert not any(elsewhere.iterdir())


def test_prune_keeps_a_deleted_post_edited_by_hand_unless_forced(quiet_server, blog, migrate):
    res, site = migrate(quiet_server)
    assert res.code == 0, res
    post = site / "_posts/2024-03-02-hello-world.md"
    post.write_text(post.read_text() + "\nMy own note.\n")
    blog.entries = [e for e in blog.entries if e["id"] != "1000000000000000001"]
    res, _ = migrate(quiet_server, "--prune")
    assert res.code == 0, res
    assert post.exists() and "My own note." in post.read_text()
    assert "was deleted at the source but edited here; kept" in res.out
    res, _ = migrate(quiet_server, "--prune", "--force")
    assert res.code == 0 and not post.exists() and f"removed {post.relative_to(site)}" in res.out


@pytest.mark.parametrize(
    ("text", "message"),
    [("{not json", "cannot read"), ('{"version": 2, "posts": {}}', "is not a version-1 migrator manifest"),
     ('["a list"]', "is not a version-1 migrator manifest")],
)
def test_a_manifest_that_is_not_ours_stops_the_run_with_one_line(quiet_server, migrate, cli, text, message):
    res, site = migrate(quiet_server)
    path = site / ".migrator/manifest.json"
    path.write_text(text)
    res, _ = migrate(quiet_server)
    assert res.code == 5 and message in res.err and "Traceback" not in res.err, res
    assert path.read_text() == text  # left as it was, for the user to restore
    for command in ("status", "verify"):
        res = cli(command, site)
        assert res.code == 5 and message in res.err, res


def test_the_markdown_report_lists_each_change_with_its_diff(quiet_server, blog, migrate, tmp_path):
    migrate(quiet_server)
    e = next(x for x in blog.entries if x["id"] == "1000000000000000001")
    e["html"] = e["html"].replace("first post", "very first post")
    e["updated"] = "2099-01-01T00:00:00.000+09:00"
    report = tmp_path / "plan.md"
    res, _ = migrate(quiet_server, "--dry-run", "--report", report)
    assert res.code == 0, res
    text = report.read_text()
    assert text.startswith("# migrator report: Example Blog")
    assert "| action | count |" in text and "| update | 1 |" in text and "| unchanged | 13 |" in text
    assert "## update: _posts/2024-03-02-hello-world.md" in text and "- title: Hello, world" in text
    assert "```diff" in text and "+This is the <b>very first post</b>" not in text  # Markdown, not HTML
    assert "+This is the **very first post**" in text
    assert "## unchanged" not in text  # only what changes is listed


def test_an_internal_error_is_one_line_and_exit_70(quiet_server, migrate, monkeypatch):
    from migrator import pipeline

    def bug(self):  # type: ignore[no-untyped-def]
        raise RuntimeError("a bug in the tool")

    monkeypatch.setattr(pipeline.Migration, "run", bug)
    res, _ = migrate(quiet_server)
    assert res.code == 70
    assert "internal error: RuntimeError: a bug in the tool (rerun with -v" in res.err and "Traceback" not in res.err
    res, _ = migrate(quiet_server, "-v")
    assert res.code == 70 and "Traceback" in res.err


def test_ctrl_c_is_exit_130_and_says_how_to_resume(quiet_server, migrate, monkeypatch):
    from migrator import pipeline

    def interrupted(self):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline.Migration, "run", interrupted)
    res, _ = migrate(quiet_server)
    assert res.code == 130 and "interrupted; run the same command again to resume" in res.err, res


def test_no_command_prints_the_help_and_is_a_usage_error(cli):
    res = cli()
    assert res.code == 2 and "migrate" in res.out and "COMMAND" in res.out


def test_a_report_path_of_an_unknown_kind_is_a_usage_error(quiet_server, migrate, tmp_path):
    res, _ = migrate(quiet_server, "--dry-run", "--report", tmp_path / "plan.pdf")
    assert res.code == 2 and "use a .json, .md or .html file name" in res.err, res
    assert not quiet_server.log and "Dry run" not in res.out  # refused before anything was fetched


def test_an_unreachable_blog_is_one_line_that_says_to_run_again_and_writes_nothing(cli, tmp_path):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    site = tmp_path / "site"
    cfg = tmp_path / "c.yaml"
    cfg.write_text("allow_private_network: true\nhttp:\n  retries: 1\n  backoff: 0.01\n")
    res = cli("migrate", f"http://127.0.0.1:{port}/", "--out", site, "--config", cfg)
    assert res.code != 0 and f"cannot reach http://127.0.0.1:{port}" in res.out + res.err
    assert "run the same command again" in res.out + res.err and "retried on the next run" not in res.out + res.err
    assert "connection refused" in res.err
    assert not site.exists()
    assert f"migrator: http://127.0.0.1:{port}/: connection failed (connection refused); trying again" not in res.err
    cfg.write_text("allow_private_network: true\nhttp:\n  retries: 2\n  backoff: 0.01\n")
    res = cli("migrate", f"http://127.0.0.1:{port}/", "--out", site, "--config", cfg)
    # while the source opens, each retry is said (a refusing blog was seconds of silence)
    assert f"migrator: http://127.0.0.1:{port}/: connection failed (connection refused); trying again in 0 s " \
           "(attempt 2 of 2)" in res.err, res.err
    res = cli("migrate", f"http://127.0.0.1:{port}/", "--out", site, "--config", cfg, "-q")
    assert "trying again" not in res.err and res.code != 0
    cfg.write_text("allow_private_network: true\nhttp:\n  retries: 1\n  backoff: 0.01\n")
    for platform in ("blogger", "tistory"):  # the platform's own opening says the same
        res = cli("migrate", f"http://127.0.0.1:{port}/", "--out", site, "--config", cfg, "--platform", platform)
        assert res.code != 0 and "run the same command again" in res.err, res
        assert "retried on the next run" not in res.err and not site.exists(), res


def test_the_sinks_missing_files_answer_as_exists_does_one_by_one(tmp_path):
    from migrator.sinks import FileSink

    site = tmp_path / "site"
    (site / "_posts").mkdir(parents=True)
    (site / "assets/img/a").mkdir(parents=True)
    (site / "_posts/a.md").write_text("a")
    (site / "assets/img/a/x.png").write_bytes(b"x")
    (site / "assets/img/a/inner.png").symlink_to(site / "assets/img/a/x.png")  # a link inside the site
    (site / "assets/img/a/dangling.png").symlink_to(site / "nowhere.png")
    (site / "linked").symlink_to(site / "_posts")  # a folder that is a link inside the site
    (site / "_posts/dir.md").mkdir()  # a folder where a file was
    rels = ["_posts/a.md", "_posts/gone.md", "assets/img/a/x.png", "assets/img/a/inner.png",
            "assets/img/a/dangling.png", "linked/a.md", "linked/b.md", "_posts/dir.md", "nofolder/x.md", "top.md"]
    sink = FileSink(site)
    assert sink.missing(rels) == [r for r in rels if not sink.exists(r)]
    assert sink.missing(rels) == ["_posts/gone.md", "assets/img/a/dangling.png", "linked/b.md", "nofolder/x.md", "top.md"]
    (tmp_path / "outside.png").write_bytes(b"o")
    (site / "assets/img/a/out.png").symlink_to(tmp_path / "outside.png")
    with pytest.raises(OutputError):  # a link out of the site is refused, as exists() refuses it
        sink.missing(["assets/img/a/out.png"])


def test_an_error_after_the_source_opened_is_the_first_line_on_stderr(cli, quiet_server, tmp_path):
    """Not an empty line first (the progress bar's stop wrote one, even where it drew nothing: a log)."""
    (tmp_path / "afile").write_text("x")
    res = cli("migrate", quiet_server.url, "--out", tmp_path / "afile" / "sub", "--allow-private-network")
    assert res.code != 0 and res.err.startswith("migrator: error: "), repr(res.err[:80])


def test_status_of_a_site_whose_first_run_is_still_starting_says_so(cli, tmp_path):
    from migrator.manifest import SiteLock

    site = tmp_path / "site"
    site.mkdir()
    lock = SiteLock(site)
    lock.acquire()  # a first migration that has written nothing yet
    try:
        res = cli("status", site)
        assert res.code == 2 and "is being migrated now (pid " in res.err, res
    finally:
        lock.release()
    res = cli("status", site)
    assert "has no migration manifest" in res.err and SiteLock.holder(site) is None
    (site / ".migrator" / "journal.jsonl").write_text("")  # its first posts recorded, no manifest yet
    lock.acquire()
    try:
        res = cli("status", site)
        assert res.code == 0 and "The first migration of this site is running now (pid " in res.out, res
        assert "run the same migrate command" not in res.out
    finally:
        lock.release()


def test_a_status_asking_whether_a_run_holds_the_lock_does_not_stop_a_run_from_starting(tmp_path):
    """status takes the lock shared for a moment: a migrate starting then waits a little, not fails."""
    import fcntl
    import os
    import threading

    from migrator.manifest import SiteLock

    site = tmp_path / "site"
    (site / ".migrator").mkdir(parents=True)
    (site / ".migrator" / "lock").write_text("4242\n")  # a run that ended long ago
    fd = os.open(site / ".migrator" / "lock", os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # as holder() does
    threading.Timer(0.03, os.close, args=(fd,)).start()  # and lets go
    lock = SiteLock(site)
    lock.acquire()
    lock.release()
