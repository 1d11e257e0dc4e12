"""What keeps a big run's memory small, checked cheaply (no timing, no memory threshold: bench/export.py
measures those): records without __dict__, a manifest read record by record to the same result, reports
written piece by piece to the same bytes, a dry-run sink that keeps no text, caches that stay bounded."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest

from migrator import archives, manifest, models
from migrator.manifest import Manifest
from migrator.models import AssetRecord, KnownPost, PostRecord
from migrator.report import Report, ReportItem, render_html, render_markdown, write_report
from migrator.sinks import DryRunSink


def _record(i: int, **kw) -> PostRecord:
    base = dict(source_url=f"https://b.example/2020/01/p{i}.html", title=f"Post {i} \u2028 \"q\"", updated=None,
                source_sha256=f"{i:064x}", path=f"_posts/2020-01-01-p{i}.md", output_sha256=f"{i * 7:064x}",
                status="ok", render_key="k" * 64, comment_count=i)  # fmt: skip
    return PostRecord(**{**base, **kw})


def _manifest(tmp_path, n: int = 30) -> Manifest:
    m = Manifest(tmp_path)
    m.source = {"platform": "blogger", "url": "https://b.example"}
    m.last_sync = "2026-01-01T00:00:00+00:00"
    for i in range(n):
        m.posts[str(1000 + i)] = _record(i, fallback={"format": "html", "lost_words": i} if i % 7 == 0 else None)
        m.assets[f"https://img.example/{i}.png"] = AssetRecord(f"https://img.example/{i}.png", f"assets/img/{i}.png",
                                                               f"{i:064x}", bytes=123456789012 + i)  # fmt: skip
    return m


def test_per_post_records_have_no_dict():
    for cls, args in ((PostRecord, None), (KnownPost, ("1",)), (ReportItem, ("1", None, "t", None, "create"))):
        obj = _record(1) if args is None else cls(*args)
        assert not hasattr(obj, "__dict__"), cls


@pytest.mark.parametrize("chunk", [1 << 20, 7, 1])
def test_manifest_streamed_reads_what_json_reads(tmp_path, monkeypatch, chunk):
    """Record by record, through buffers cut anywhere (inside a string, a number, between tokens): the same
    manifest as json.loads of the whole text."""
    _manifest(tmp_path).save()
    monkeypatch.setattr(manifest._JsonStream, "chunk", chunk)
    monkeypatch.setattr(manifest, "WHOLE_BYTES", 0)  # streamed whatever its size (a small one is read whole)
    streamed = Manifest.load(tmp_path)
    whole = Manifest(tmp_path)
    whole._load_whole()
    assert streamed.posts == whole.posts and streamed.assets == whole.assets and len(streamed.posts) == 30
    assert (streamed.source, streamed.last_sync) == (whole.source, whole.last_sync)
    # the values every record repeats are one string, not one per record
    a, b = streamed.posts["1000"], streamed.posts["1001"]
    assert a.render_key is b.render_key and a.status is b.status and a.kind is b.kind


@pytest.mark.parametrize("whole_bytes", [0, manifest.WHOLE_BYTES])
def test_manifest_in_another_layout_or_broken_reads_as_before(tmp_path, monkeypatch, whole_bytes):
    monkeypatch.setattr(manifest, "WHOLE_BYTES", whole_bytes)  # streamed, or (small) read whole
    m = _manifest(tmp_path, 3)
    data = m.to_json()
    m.path.parent.mkdir(parents=True)
    m.path.write_text(json.dumps(data))  # one line, as a hand edit or another tool might leave it
    assert Manifest.load(tmp_path).posts == m.posts
    data["posts"]["1000"]["status"] = 5
    m.path.write_text(json.dumps(data))
    with pytest.raises(manifest.OutputError, match="post '1000' is not a valid record"):
        Manifest.load(tmp_path)
    m.path.write_text(json.dumps(m.to_json()) + " trailing")
    with pytest.raises(manifest.OutputError, match="cannot read .*Extra data"):
        Manifest.load(tmp_path)
    m.path.write_text(json.dumps({**m.to_json(), "posts": []}))
    with pytest.raises(manifest.OutputError, match="posts is list, not dict"):
        Manifest.load(tmp_path)


def _report(tmp_path, dry_run: bool = True) -> Report:
    r = Report(out=tmp_path, dry_run=dry_run, blog_title="B <&>", blog_url="https://b.example")
    r.stats.warnings.append("a warning")
    r.stats.unresolved_links.append(("_posts/x.md", "https://b.example/old.html"))
    r.items += [
        ReportItem("1", "https://b.example/a.html", "A \u2028", "_posts/a.md", "create", preview="---\ntitle: A\n---\n\nHi"),
        ReportItem("2", None, "B", "_drafts/b.md", "update", diff="--- a\n+++ b\n-x\n+y\n"),
        ReportItem("3", "https://b.example/c.html", "C", None, "failed", error="boom"),
        ReportItem("4", "https://b.example/d.html", "D", "_posts/d.md", "unchanged"),
        ReportItem("5", None, "E", "e.md", "update", images=[{"url": "u", "status": "failed", "where": "body"}],
                   fallback={"format": "html", "reason": "r"}, sanitized={"elements": {"script": 1}}),  # fmt: skip
    ]
    return r


@pytest.mark.parametrize("items", [True, False])
def test_reports_written_piece_by_piece_are_the_same_bytes(tmp_path, items):
    report = _report(tmp_path)
    if not items:
        report.items.clear()
    for ext, expected in (
        ("json", json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n"),
        ("md", render_markdown(report)),
        ("html", render_html(report)),
    ):
        write_report(report, tmp_path / f"r.{ext}")
        assert (tmp_path / f"r.{ext}").read_text(encoding="utf-8") == expected, ext
    posts = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["posts"]
    assert [p["title"] for p in posts][:1] == (["A \u2028"] if items else [])


def test_html_report_summary_is_the_summary_even_when_a_file_lists_images(tmp_path):
    page = render_html(_report(tmp_path))
    summary = page.split("<table class='summary' id='summary'>", 1)[1].split("</table>", 1)[0]
    assert "<tr><th>create</th><td>1</td></tr>" in summary and "<li" not in summary


def test_dry_run_sink_keeps_no_text(tmp_path):
    sink = DryRunSink(tmp_path)
    text = "a post body " * 1000
    sink.write("_posts/a.md", text)
    assert sink.write_if_absent("_posts/b.md", text)
    assert sink.would_write == {"_posts/a.md", "_posts/b.md"}
    held = [v for v in vars(sink).values()] + list(sink.would_write)
    assert not any(isinstance(v, str) and len(v) > 100 for v in held)
    assert not (tmp_path / "_posts").exists()


def test_record_type_hints_cache_is_bounded():
    for i in range(50):
        models.record_from_json(PostRecord, _record(i).to_json())
        models.record_from_json(AssetRecord, {"path": "x"}, given={"url": f"u{i}"})
    before = models._schema.cache_info().currsize
    for i in range(50):
        models.record_from_json(PostRecord, _record(i).to_json())
    assert models._schema.cache_info().currsize == before <= 3 and len(fields(PostRecord)) == 16


def test_archive_terms_are_kept_once_each():
    recs = [_record(i) for i in range(6)]
    text = {r.path: f"---\ntags:\n- t{i % 2}\n---\nx" for i, r in enumerate(recs)}
    assert archives.site_terms(recs, text.get) == [(("t0",), ()), (("t1",), ())]


def test_export_scan_drops_its_link_census(tmp_path):
    """The links counted to infer the blog's address are not held through the run (one per link of
    100,000 posts)."""
    import takeout_archive as ta

    from migrator.config import Config
    from migrator.sources.blogger import open_export

    blog = ta.TBlog("B", "42", "B")
    for i in range(3):
        html = f'<p><a href="https://b.blogspot.com/2020/01/p{(i + 1) % 3}.html">next</a></p>'
        blog.posts.append(ta.TPost(str(i), f"P{i}", html, "2020-01-01T00:00:00Z", filename=f"/2020/01/p{i}.html"))
    path = tmp_path / "feed.atom"
    path.write_text(ta.feed_atom(blog), encoding="utf-8")
    src = open_export(path, Config())
    assert src.blog.url == "https://b.blogspot.com"  # inferred from those links
    assert not src._links and not src._filenames


def test_post_record_digests_are_held_as_bytes_and_read_as_written():
    import hashlib

    a, b = (hashlib.sha256(x).hexdigest() for x in (b"a", b"b"))
    rec = _record(5, source_sha256=a, output_sha256=b)
    slot = PostRecord.__dict__["source_sha256"].slot
    assert type(slot.__get__(rec)) is bytes and len(slot.__get__(rec)) == 32
    assert rec.source_sha256 == a and rec.output_sha256 == b
    assert rec.to_json() == {**_record(5).to_json(), "source_sha256": a, "output_sha256": b}
    assert replace_(rec, title="t").source_sha256 == a and rec == _record(5, source_sha256=a, output_sha256=b)
    # anything that is not 64 lowercase hex digits is kept as it was given, so it reads back the same
    for odd in ("", "A" * 64, "ab " * 21 + "a", "0" * 64, "g" * 64, "a" * 63, None):
        r = _record(1, output_sha256=odd)
        assert r.output_sha256 == odd and r.to_json()["output_sha256"] == odd


def replace_(rec, **kw):
    from dataclasses import replace

    return replace(rec, **kw)


def _linked_export(tmp_path):
    import takeout_archive as ta

    from migrator.sources.blogger import open_export

    blog = ta.TBlog("B", "42", "B")
    for i in range(4):
        target = "gone" if i == 3 else f"p{(i + 1) % 3}"
        html = f'<p>Post {i} <a href="https://b.blogspot.com/2020/01/{target}.html">next</a></p>'
        blog.posts.append(ta.TPost(str(i), f"P{i}", html, "2020-01-01T00:00:00Z", filename=f"/2020/01/p{i}.html"))
    path = tmp_path / "feed.atom"
    path.write_text(ta.feed_atom(blog), encoding="utf-8")
    return lambda cfg: open_export(path, cfg)


@pytest.mark.parametrize("report_file", [False, True])
def test_a_real_run_counts_its_posts_without_a_line_each(tmp_path, report_file):
    """Without --report (and not a dry run), a post written or left as its manifest record says is only
    counted: the summary, the links kept and the files are those of a run that keeps every line."""
    from migrator.config import load_config
    from migrator.http import HttpClient
    from migrator.pipeline import migrate

    opened = _linked_export(tmp_path)
    results = []
    for name, extra in (("kept", {"report": str(tmp_path / "r.json")}), ("counted", {})):
        site = tmp_path / name
        cfg = load_config(None, {"out": str(site), "timezone": "UTC", "offline": True, **extra})
        http = HttpClient(cfg.http)
        try:
            first = migrate(opened(cfg), cfg, site, http)
            again = migrate(opened(cfg), cfg, site, http)
        finally:
            http.close()
        files = {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*.md"))}
        results.append((first, again, files))
    (kept, kept_again, kept_files), (counted, counted_again, counted_files) = results
    assert len(kept.items) == 4 and len(kept_again.items) == 4
    assert counted.items == [] and counted_again.items == []
    assert counted.summary() == kept.summary() == {"create": 4, "update": 0, "unchanged": 0, "conflict": 0,
                                                   "deleted": 0, "failed": 0}  # fmt: skip
    assert counted_again.summary() == kept_again.summary() and counted_again.summary()["unchanged"] == 4
    assert counted.stats.unresolved_links == kept.stats.unresolved_links != []
    assert counted_files == kept_files


def test_manifest_top_level_is_json_without_the_records(tmp_path):
    m = _manifest(tmp_path)
    m.save()
    whole = json.loads(m.path.read_text(encoding="utf-8"))
    assert manifest.top_level(m.path) == {**whole, "posts": {}, "assets": {}}
    assert manifest.top_level(m.path, until="source") == {"version": whole["version"], "source": whole["source"]}
    m.path.write_text(m.path.read_text(encoding="utf-8")[:-40], encoding="utf-8")  # cut short after the header
    assert manifest.top_level(m.path, until="source")["source"] == whole["source"]
    with pytest.raises(ValueError):
        manifest.top_level(m.path)
    for text in ('[1, 2]', '{"source": {"a": 1}} x', '{"posts": [1], "source": 2}', '{"source": 1, "source": 2}'):
        m.path.write_text(text, encoding="utf-8")
        try:
            expected = json.loads(text)
        except ValueError:
            with pytest.raises(ValueError):
                manifest.top_level(m.path)
            continue
        assert manifest.top_level(m.path) == expected


def test_an_offline_export_run_loads_no_http_stack_and_no_converter_in_the_main_process(tmp_path):
    """requests and urllib3 (7 MB, 70 ms) load with the first request: an export migrated --offline with
    images.download off makes none. An export that announces more than workers.START_AFTER posts starts its
    conversion workers at once: the main process never converts, nor loads the converter (where the machine
    has a second core for a worker). The same run again converts nothing, and loads no sanitiser."""
    import os
    import subprocess
    import sys

    import takeout_archive as ta

    from migrator import workers

    blog = ta.TBlog("B", "42", "B")
    for i in range(workers.START_AFTER + 8):
        blog.posts.append(ta.TPost(str(i), f"P{i}", f"<p>Post <b>{i}</b>.</p>", "2020-01-01T00:00:00Z",
                                   filename=f"/2020/01/p{i}.html"))  # fmt: skip
    (tmp_path / "feed.atom").write_text(ta.feed_atom(blog), encoding="utf-8")
    (tmp_path / "c.yaml").write_text("images:\n  download: false\n")
    code = (
        "import sys\nfrom migrator.cli import main\n"
        f"code = main(['migrate', {str(tmp_path / 'feed.atom')!r}, '--out', {str(tmp_path / 'site')!r}, "
        f"'--config', {str(tmp_path / 'c.yaml')!r}, '--offline', '-q'])\n"
        "print(' '.join(m for m in ('requests', 'urllib3', 'markdownify', 'migrator.guard', 'migrator.sanitize')"
        " if m in sys.modules))\n"
        "sys.exit(code)\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded = done.stdout.split()
    assert "requests" not in loaded and "urllib3" not in loaded
    if workers.pool_size(None, workers.cpus()) > 0:
        assert "markdownify" not in loaded and "migrator.guard" not in loaded
    assert len(list((tmp_path / "site/_posts").iterdir())) == len(blog.posts)
    again = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert again.returncode == 0, again.stderr
    assert "migrator.sanitize" not in again.stdout.split()  # a run that converts nothing loads no sanitiser


def test_the_command_lines_start_runs_no_collection_and_a_library_caller_keeps_pythons_policy(tmp_path):
    """``python -m migrator`` tunes the collector before it imports the CLI: while the process starts
    (imports, config, source, manifest) no collection runs (four at 10,000 were 7 ms of a no-op resync);
    once the pipeline has frozen what the start built, collections come every RUN_THRESHOLD allocations.
    Importing the CLI as a library changes nothing."""
    import gc
    import json
    import os
    import subprocess
    import sys

    import takeout_archive as ta

    from migrator import runtime

    before = gc.get_threshold()
    import migrator.cli  # noqa: F401 - a library caller's import

    assert gc.get_threshold() == before and gc.isenabled()
    blog = ta.TBlog("B", "42", "B")
    blog.posts += [ta.TPost(str(i), f"P{i}", f"<p>Post {i}.</p>", "2020-01-01T00:00:00Z",
                            filename=f"/2020/01/p{i}.html") for i in range(3)]  # fmt: skip
    (tmp_path / "feed.atom").write_text(ta.feed_atom(blog), encoding="utf-8")
    code = (
        "import gc, json, runpy, sys\n"
        "seen = []\n"
        "def probe(phase, info):\n"
        "    tuned = getattr(sys.modules.get('migrator.runtime'), '_ENABLED', False)\n"
        "    ours = tuned or 'migrator.cli' in sys.modules  # before: Python's own start\n"
        "    if phase == 'start' and ours:\n"
        "        seen.append(gc.get_threshold()[0])\n"
        "gc.callbacks.append(probe)\n"
        f"sys.argv = ['migrator', 'migrate', {str(tmp_path / 'feed.atom')!r}, '--out', {str(tmp_path / 'site')!r},"
        " '--offline', '-q']\n"
        "try:\n    runpy.run_module('migrator', run_name='__main__')\n"
        "except SystemExit as e:\n    code = e.code\n"
        "print(json.dumps([code, seen, gc.get_threshold()[0], gc.isenabled()]))\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    for run in ("first", "resync"):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
        exit_code, seen, threshold, enabled = json.loads(done.stdout.splitlines()[-1])
        assert exit_code == 0, (run, done.stderr)
        assert all(t == runtime.RUN_THRESHOLD for t in seen), (run, seen)  # none while it started
        assert threshold == runtime.RUN_THRESHOLD and enabled, run


def test_an_exports_comments_go_with_their_post_and_are_not_held_after_it(tmp_path):
    """A Takeout feed.atom's comments are read with the scan and held until their post is read (every
    comment of 100,000 posts otherwise stayed to the end); each post still has its own, and Comment has no
    __dict__."""
    import takeout_archive as ta

    from migrator.config import Config
    from migrator.models import Comment
    from migrator.sources.blogger import open_export

    blog = ta.TBlog("B", "42", "B")
    for i in range(3):
        blog.posts.append(ta.TPost(str(i), f"P{i}", "<p>x</p>", "2020-01-01T00:00:00Z", filename=f"/2020/01/p{i}.html"))
        blog.feed_comments.append(ta.TComment(f"9{i}", str(i), "Reader", f"On post {i}", "2020-01-02T00:00:00Z"))
    path = tmp_path / "feed.atom"
    path.write_text(ta.feed_atom(blog), encoding="utf-8")
    src = open_export(path, Config(origins=("https://b.blogspot.com",)))
    assert len(src.comments) == 3
    posts = list(src.posts())
    assert [[c.text for c in p.comments] for p in posts] == [[f"On post {i}"] for i in range(3)]
    assert src.comments == {} and not hasattr(posts[0].comments[0], "__dict__") and Comment.__slots__


@pytest.mark.parametrize("kind", ["export file", "blog URL"])
def test_an_export_is_scanned_under_the_runs_collector_policy(kind, tmp_path, monkeypatch, quiet_server, migrate):
    """The start's high threshold is for the start's fixed work: a run that scans an export (100,000 posts:
    millions of allocations) collects every RUN_THRESHOLD allocations from the scan on; a blog URL's start
    (its first feed page) keeps the start's policy until the pipeline freezes what the start built."""
    import gc

    import takeout_archive as ta

    from migrator import runtime, sources
    from migrator.cli import main

    seen: list[int] = []
    real = sources.find_source

    frozen: list[int] = []

    def spy(*a, **k):  # type: ignore[no-untyped-def]
        seen.append(gc.get_threshold()[0])
        frozen.append(gc.get_freeze_count())
        return real(*a, **k)

    monkeypatch.setattr(sources, "find_source", spy)
    monkeypatch.setattr(runtime, "_ENABLED", True)  # as runtime.tune_gc() leaves it, in this process for a while
    before = gc.get_threshold()
    gc.unfreeze()
    gc.set_threshold(runtime.STARTUP_THRESHOLD, 10, 10)
    try:
        if kind == "export file":
            blog = ta.TBlog("B", "42", "B")
            blog.posts.append(ta.TPost("1", "P", "<p>Post.</p>", "2020-01-01T00:00:00Z", filename="/2020/01/p.html"))
            (tmp_path / "feed.atom").write_text(ta.feed_atom(blog), encoding="utf-8")
            code = main(["migrate", str(tmp_path / "feed.atom"), "--out", str(tmp_path / "site"), "--offline", "-q"])
        else:
            code = migrate(quiet_server, "-q")[0].code
        after = gc.get_threshold()[0]
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
    assert code == 0
    assert seen == [runtime.RUN_THRESHOLD if kind == "export file" else runtime.STARTUP_THRESHOLD]
    if kind == "export file":  # the imports are out of the scan's collections
        assert frozen[0] > 1000, frozen
    assert after == runtime.RUN_THRESHOLD  # the pipeline ended the start


def test_every_other_command_ends_the_start_once_its_arguments_are_read(tmp_path, monkeypatch):
    """localize, status, verify... parse pages for their whole run: the start's high threshold is not theirs."""
    import gc

    from migrator import runtime
    from migrator.cli import main

    monkeypatch.setattr(runtime, "_ENABLED", True)
    before = gc.get_threshold()
    gc.set_threshold(runtime.STARTUP_THRESHOLD, 10, 10)
    try:
        main(["status", str(tmp_path)])  # an empty folder: status says so, and ends
        after = gc.get_threshold()[0]
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
    assert after == runtime.RUN_THRESHOLD


@pytest.mark.parametrize("width", [60, 80, 120])
def test_a_dry_runs_plan_never_cuts_a_file_name(width):
    """The file column is what a reviewer reads: whole on its line where the terminal allows, else folded
    onto the next lines, never cut with an ellipsis (it was, at 80 columns, while titles wrapped)."""
    import io
    from pathlib import Path

    from rich.console import Console

    from migrator.report import Report, ReportItem, print_plan

    report = Report(Path("site"))
    name = "_posts/2024-07-08-weekly-note-with-a-rather-long-slug_8.md"
    report.items.append(ReportItem("1", "u", "A title long enough to wrap in a narrow terminal, twice over", name,
                                   "create", "post"))  # fmt: skip
    console = Console(width=width, record=True, file=io.StringIO())
    print_plan(report, console)
    text = console.export_text()
    assert "…" not in text
    cells = [line.split("│")[2].strip() for line in text.splitlines() if line.count("│") >= 3]
    assert name in "".join(cells), text
    if width >= 120:
        assert any(name == c for c in cells), text
