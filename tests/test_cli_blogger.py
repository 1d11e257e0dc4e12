"""End to end through the CLI (in-process) against the local fixture Blogger blog on 127.0.0.1."""

from __future__ import annotations

import json
import re

import frontmatter
import pytest

from conftest import EXAMPLE_CONFIG, sha256_file, tree_snapshot
from migrator.errors import ExitStatus


def live_entries(blog, kind=None):
    return [e for e in blog.entries if e["status"] == "live" and (kind is None or e["kind"] == kind)]


def test_full_migration(server, blog, migrate):
    res, site = migrate(server)
    assert res.code == 0, res
    manifest = json.loads((site / ".migrator" / "manifest.json").read_text())

    # every live post and page exactly once, at its old URL, with title, date and labels intact
    assert set(manifest["posts"]) == {e["id"] for e in live_entries(blog)}
    for e in live_entries(blog):
        rec = manifest["posts"][e["id"]]
        assert rec["status"] == "ok"
        doc = frontmatter.load(site / rec["path"])
        assert doc["permalink"] == e["path"]
        assert doc["source_url"] == server.url + e["path"]
        assert doc["title"] == e["title"]
        assert str(doc["date"]).startswith(e["published"][:10])
        if e["labels"]:
            assert doc["tags"] == e["labels"]
    posts = sorted(p.name for p in (site / "_posts").iterdir())
    assert len(posts) == len(live_entries(blog, "post"))
    assert "2024-03-10-blog-post.md" in posts and "2024-03-15-blog-post_15.md" in posts
    assert (site / "p" / "about.md").exists() and (site / "p" / "contact.md").exists()

    # every image local, at its original size, byte-identical, stored once
    assets = manifest["assets"]
    assert assets and all(a["status"] == "ok" for a in assets.values())
    for url, a in assets.items():
        assert "/s0/" in url or url.endswith("=s0"), url
        key = url.split("=")[0].rsplit("/", 1)[-1] if "=" in url.rsplit("/", 1)[-1] else url.split("/")[-3]
        assert sha256_file(site / a["path"]) == sha256_file(blog.images[key]), url
    paths = [a["path"] for a in assets.values()]
    assert len(set(paths)) == len(blog.images)  # identical bytes under two URLs are stored once
    assert (site / "assets/img/every-image-form/forest.webp").exists()  # extension from the bytes
    assert (site / "assets/img/blog-post_15/한글.jpg").exists()

    # no post points at the image host any more; the lead image is local
    for rec in manifest["posts"].values():
        text = (site / rec["path"]).read_text()
        assert server.img_url not in text, rec["path"]
    hello = frontmatter.load(site / "_posts/2024-03-02-hello-world.md")
    assert hello["image"].startswith("/assets/img/") and (site / hello["image"].lstrip("/")).exists()
    assert "<!--more-->" in hello.content
    # a link to another post of the blog (mobile ?m=1 form) now points at the post on the new site
    assert "[the Korean post](/2024/03/blog-post.html)" in hello.content

    # the scripted faults were met and retried: 429 then success, 500 twice then success
    assert len(server.requests_to("/img/b/R29vZ2xl/retry429/s0/")) == 2
    assert len(server.requests_to("/img/b/R29vZ2xl/retry500/s0/")) == 3
    # several feed pages were read, with and without rel=next links
    assert len(server.requests_to("/feeds/posts/default")) == 4
    assert "Migration summary" in res.out and "jekyll serve" in res.out


def test_paging_follows_total_results_not_the_page_size(quiet_server, blog, migrate):
    blog.page_cap = 2  # the server caps pages lower than we ask, and gives rel=next only on some
    res, site = migrate(quiet_server)
    assert res.code == 0, res
    assert len(list((site / "_posts").iterdir())) == len(live_entries(blog, "post"))
    starts = sorted(
        int(re.search(r"start-index=(\d+)", p).group(1)) for p in quiet_server.requests_to("/feeds/posts/default")
    )
    assert starts == [1, 3, 5, 7, 9, 11]


def test_rerun_is_a_no_op(quiet_server, migrate):
    res, site = migrate(quiet_server)
    assert res.code == 0, res
    before = tree_snapshot(site)
    quiet_server.log.clear()
    res2, _ = migrate(quiet_server)
    assert res2.code == 0, res2
    assert tree_snapshot(site) == before  # same bytes, same mtimes: nothing rewritten
    assert not [p for p in quiet_server.log if not p.startswith("/feeds/")]  # no image fetched again
    assert "posts unchanged" in res2.out


def test_a_failing_image_keeps_its_url_is_reported_and_retried(blog, migrate):
    from server import FixtureServer

    url_path = "/img/b/R29vZ2xl/logo/s0/logo.png"
    with FixtureServer(blog, faults={url_path: [(404, {})]}) as s:
        res, site = migrate(s)
        assert res.code == ExitStatus.PARTIAL, res
        assert "failed" in res.out and "logo" in res.out
        manifest = json.loads((site / ".migrator/manifest.json").read_text())
        failed = [u for u, a in manifest["assets"].items() if a["status"] == "failed"]
        assert failed == [s.img_url + url_path]
        about = (site / "p/about.md").read_text()
        assert s.img_url + url_path in about  # the remote URL is kept, not a broken local path
        # the next run retries it, and this time it works
        res2, _ = migrate(s)
        assert res2.code == 0, res2
        about = (site / "p/about.md").read_text()
        assert s.img_url not in about
        manifest = json.loads((site / ".migrator/manifest.json").read_text())
        assert all(a["status"] == "ok" for a in manifest["assets"].values())


def test_custom_domain_is_detected_from_the_page(quiet_server, migrate):
    # localhost is not *.blogspot.com: auto-detection must read the home page's markers
    res, site = migrate(quiet_server, "--platform", "auto")
    assert res.code == 0, res
    assert json.loads((site / ".migrator/manifest.json").read_text())["source"]["platform"] == "blogger"


def test_html_format_and_jekyll_urls(quiet_server, migrate):
    res, site = migrate(quiet_server, "--format", "html", "--urls", "jekyll")
    assert res.code == 0, res
    doc = frontmatter.load(site / "_posts/2024-03-02-hello-world.html")
    assert doc["redirect_from"] == ["/2024/03/hello-world.html"] and "permalink" not in doc
    assert "<h2>Welcome</h2>" in doc.content and "/assets/img/" in doc.content


def test_dry_run_writes_nothing(quiet_server, migrate, tmp_path):
    report = tmp_path / "plan.json"
    res, site = migrate(quiet_server, "--dry-run", "--report", report)
    assert res.code == 0, res
    assert not site.exists()
    data = json.loads(report.read_text())
    assert data["summary"]["create"] == 14 and data["summary"]["update"] == 0
    assert not quiet_server.requests_to("/img/")


def test_limit_and_private_network_guard(quiet_server, cli, tmp_path):
    # without --allow-private-network, a blog on 127.0.0.1 is refused with a clear message
    res = cli("migrate", quiet_server.url, "--platform", "blogger", "--out", tmp_path / "s")
    assert res.code == ExitStatus.UNREACHABLE
    assert "non-public address" in res.err and "--allow-private-network" in res.err
    assert "Traceback" not in res.err
    res = cli("migrate", quiet_server.url, "--out", tmp_path / "s", "--config", EXAMPLE_CONFIG, "--limit", "2")
    assert res.code == 0, res
    assert len(list((tmp_path / "s/_posts").iterdir())) == 2


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["migrate", "https://x.blogspot.com"], ExitStatus.USAGE, "no output directory"),
        (["migrate", "not a url", "--out", "o"], ExitStatus.USAGE, "neither an existing file nor a blog URL"),
        (["migrate", "x.blogspot.com", "--out", "o", "--jobs", "0"], ExitStatus.USAGE, "jobs must be at least 1"),
        (["migrate", "x.blogspot.com", "--out", "o", "--bogus"], ExitStatus.USAGE, "unrecognized arguments"),
        (["status", "nowhere"], ExitStatus.USAGE, "has no migration manifest"),
    ],
)
def test_usage_errors_are_one_line(cli, args, code, message):
    res = cli(*args)
    assert res.code == code
    assert message in res.err
    assert "Traceback" not in res.err and len(res.err.strip().splitlines()) <= 2


def test_unreachable_and_not_a_blog(cli, tmp_path, quiet_server):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    cfg = tmp_path / "c.yaml"
    cfg.write_text("allow_private_network: true\nhttp:\n  retries: 1\n")
    res = cli("migrate", f"http://127.0.0.1:{port}", "--out", tmp_path / "o", "--config", cfg, "--platform", "blogger")
    assert res.code == ExitStatus.UNREACHABLE and "cannot read the blog" in res.err
    # a server that is up but is no blog: the image host path answers 404 for the feed
    res = cli("migrate", quiet_server.img_url + "/nothing", "--out", tmp_path / "o", "--config", cfg)
    assert res.code == ExitStatus.NOT_A_BLOG, res


def test_status_and_verify(quiet_server, migrate, cli):
    res, site = migrate(quiet_server)
    assert res.code == 0
    st = cli("status", site)
    assert st.code == 0 and "ok" in st.out and "14" in st.out
    v = cli("verify", site)
    assert v.code == 0, v
    # damage the site: verify names each problem
    img = next((site / "assets/img/every-image-form").glob("logo.*"))
    img.write_bytes(b"changed")
    (site / "_posts/2024-07-01-weekly-note.md").unlink()
    v = cli("verify", site)
    assert v.code == ExitStatus.PARTIAL
    assert "does not match its recorded sha256" in v.out and "post missing on disk" in v.out


def test_boilerplate_removal_counts_rules_and_rerenders(quiet_server, migrate, tmp_path):
    from conftest import tree_snapshot

    res, site = migrate(quiet_server)
    hand = site / "_posts/2024-07-01-weekly-note.md"
    hand.write_text(hand.read_text() + "\nmy edit\n")
    before = tree_snapshot(site)
    cfg = tmp_path / "clean.yaml"
    cfg.write_text(EXAMPLE_CONFIG.read_text() + 'clean:\n  remove: ["div.separator", "text:^After the jump break", "p.nothing"]\n')
    report = tmp_path / "plan.json"
    from migrator.cli import main

    assert main(["migrate", quiet_server.url, "--out", str(site), "--config", str(cfg), "--dry-run",
                 "--report", str(report)]) == 0
    plan = json.loads(report.read_text())
    assert plan["cleaned"] == {"div.separator": 4, "text:^After the jump break": 1}
    assert plan["summary"]["conflict"] == 1  # the hand-edited post would be re-rendered: a conflict, kept
    assert tree_snapshot(site) == before  # the dry run wrote nothing
    assert main(["migrate", quiet_server.url, "--out", str(site), "--config", str(cfg), "-q"]) == 0
    hello = (site / "_posts/2024-03-02-hello-world.md").read_text()
    assert "sunset" not in hello.split("---", 2)[2] and "After the jump break" not in hello
    assert "The end." in hello
    after = tree_snapshot(site)
    changed = {k for k in after if after[k] != before.get(k)}
    # the settings changed: every post is rendered again, only those the rules touched are rewritten,
    # and the hand-edited one is left alone
    assert changed == {"_posts/2024-03-02-hello-world.md", "_posts/2024-03-10-blog-post.md",
                       "_posts/2024-05-05-every-image-form.md", "_posts/2024-05-20-embeds.md"}
    assert "my edit" in hand.read_text()


def test_links_to_posts_that_were_not_migrated_stay_and_are_listed(quiet_server, blog, migrate, tmp_path):
    e = next(x for x in blog.entries if x["id"] == "1000000000000000011")
    e["html"] += ('<p><a href="@BLOG@/2020/01/deleted-long-ago.html#top">an old post</a> and '
                  '<a href="http://localhost:@PORT@/2024/05/embeds.html?m=1#c1">the embeds post</a></p>')
    e["html"] = e["html"].replace("@PORT@", str(quiet_server.port))
    res, site = migrate(quiet_server, "--report", tmp_path / "r.json")
    assert res.code == 0, res
    text = (site / "_posts/2024-07-01-weekly-note.md").read_text()
    assert f"[an old post]({quiet_server.url}/2020/01/deleted-long-ago.html#top)" in text
    assert "[the embeds post](/2024/05/embeds.html#c1)" in text  # http, ?m=1, fragment: the new site's URL
    assert "deleted-long-ago.html" in res.out and "not migrated" in res.out
    report = json.loads((tmp_path / "r.json").read_text())
    assert [u["url"] for u in report["unresolved_links"]] == [f"{quiet_server.url}/2020/01/deleted-long-ago.html#top"]
    from conftest import sha256_file

    rec = json.loads((site / ".migrator/manifest.json").read_text())["posts"]["1000000000000000011"]
    assert rec["output_sha256"] == sha256_file(site / rec["path"])  # the manifest knows the file as written
    res, _ = migrate(quiet_server)  # and a rerun leaves it alone
    assert res.code == 0 and (site / "_posts/2024-07-01-weekly-note.md").read_text() == text
