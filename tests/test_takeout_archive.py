"""The Takeout archive as Google delivers it (issue 12): a zip split in parts, several blogs, album photos
with sidecars, the comments feed, hostile archives, and resyncs between the archive and the live blog.
Every archive here is written by the test itself (fixtures/takeout_archive.py); nothing is read from the
network but the local fixture server."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import frontmatter
import pytest
import takeout_archive as ta
import yaml

from conftest import EXAMPLE_CONFIG, sha256_file, tree_snapshot
from migrator.errors import ExitStatus, NotABlogError
from migrator.models import Comment, Post

COOKING = "Cooking Notes"


@pytest.fixture
def parts(tmp_path) -> list[Path]:
    """The tests' archive (two blogs), in two parts."""
    return ta.write_example(tmp_path / "Downloads")


def summary_row(out: str, label: str) -> int | None:
    m = re.search(rf"{re.escape(label)}\s*│\s*(\d+)", out)
    return int(m.group(1)) if m else None


def contents(site: Path) -> dict[str, str]:
    """{path: sha256} of the site's files (mtimes aside)."""
    return {k: v[0] for k, v in tree_snapshot(site).items()}


def test_a_takeout_with_two_blogs_lists_them_and_asks_which(cli, tmp_path, parts):
    res = cli("migrate", parts[0], "--out", tmp_path / "site")
    assert res.code == ExitStatus.USAGE, res
    assert 'holds 2 blogs: "Cooking Notes", "Travel Diary"' in res.err and "--blog" in res.err
    assert "\n" not in res.err.strip() and not (tmp_path / "site").exists()
    res = cli("migrate", parts[0], "--out", tmp_path / "site", "--blog", "Nope")
    assert res.code == ExitStatus.USAGE and "holds no blog named 'Nope'" in res.err


def test_split_takeout_migrates_offline_with_photos_from_the_albums(cli, tmp_path, parts):
    site = tmp_path / "site"
    res = cli("migrate", parts[0], "--out", site, "--blog", COOKING, "--offline")
    # one photo is in no album, and --offline downloads nothing: listed, recorded as failed, retried next run
    assert res.code == ExitStatus.PARTIAL, res
    assert "AVvXsEmissing/s0/missing.jpg" in res.out and "--offline downloads nothing" in res.out
    assert summary_row(res.out, "images from the archive") == 6
    assert summary_row(res.out, "images downloaded") == 0 and summary_row(res.out, "HTTP requests") == 0
    assert "read 2 parts" in res.out  # the second part was found beside the first

    manifest = json.loads((site / ".migrator/manifest.json").read_text())
    assert set(manifest["posts"]) == {"101", "102", "103", "104", "201"}  # no trashed post, nothing of the other blog
    assert manifest["source"]["blog_id"] == ta.COOKING_ID
    assert manifest["source"]["url"] == "https://cookingnotes.blogspot.com"  # from settings.csv

    sourdough = frontmatter.load(site / "_posts/2025-01-05-sourdough.md")  # 23:30 UTC is 00:30 in Berlin
    assert str(sourdough["date"]) == "2025-01-05 00:30:00 +0100"
    assert sourdough["tags"] == ["bread", "baking"]
    assert sourdough["source_url"] == "https://cookingnotes.blogspot.com/2025/01/sourdough.html"
    assert sourdough["image"] == "/assets/img/sourdough/starter.jpg"
    assert "https://blogger.googleusercontent.com/img/b/R29vZ2xl/AVvXsEmissing/s0/missing.jpg" in sourdough.content
    soup = frontmatter.load(site / "_posts/2025-03-01-winter-soup.md")  # the id appears twice: the latest kept
    assert "latest version" in soup.content and soup["tags"] == ["soup", "winter"]
    assert "duplicate" not in res.err and "repeats a post id" in res.out
    assert (site / "_drafts/Unfinished-cake.md").exists() and "[the sourdough](/2025/01/sourdough.html)" in (
        site / "p/about.md").read_text()

    blogs, photos = ta.example_takeout()
    by_name = {(p.album, p.name): p.data for p in photos}
    expected = {
        "assets/img/sourdough/starter.jpg": by_name[(COOKING, "starter.jpg")],
        "assets/img/sourdough/loaf.png": by_name[(COOKING, "loaf.png")],
        # ...=w640-h480 is the album's plate.jpg
        "assets/img/plating/plate.jpg": by_name[(COOKING, "plate.jpg")],
        # four IMG_0001.JPG: not the one that is not an image, not the one without its original, the nearest
        "assets/img/plating/IMG_0001.jpg": by_name[(COOKING, "IMG_0001.JPG")],
        "assets/img/winter-soup/soup.jpg": by_name[(COOKING, "soup(1).jpg")],  # Takeout's renaming undone
        # no sidecar: still found; a draft's image is not published (DRAFT_ASSETS)
        "_draft-assets/assets/img/Unfinished-cake/cake.png": by_name[(COOKING, "cake.png")],
    }
    for rel, data in expected.items():
        assert (site / rel).read_bytes() == data, rel
    records = {r["path"]: r for r in manifest["assets"].values() if r["status"] == "ok"}
    assert set(records) == set(expected)
    for rel, rec in records.items():
        assert rec["source"] == "takeout" and rec["sha256"] == hashlib.sha256(expected[rel]).hexdigest()
        assert rec["bytes"] == len(expected[rel]) and rec["content_type"] in ("image/jpeg", "image/png")
    failed = [u for u, r in manifest["assets"].items() if r["status"] == "failed"]
    assert failed == ["https://blogger.googleusercontent.com/img/b/R29vZ2xl/AVvXsEmissing/s0/missing.jpg"]
    # the export is as of its newest entry: the next resync from the live blog asks for what changed since
    assert manifest["last_sync"] == "2025-04-02T10:00:00+00:00"


def test_comments_threaded_once_without_spam_or_deleted_ones(cli, tmp_path, parts):
    site = tmp_path / "site"
    res = cli("migrate", parts[0], "--out", site, "--blog", COOKING, "--offline")
    assert res.code == ExitStatus.PARTIAL, res
    comments = yaml.safe_load((site / "_data/comments/2025-01-05-sourdough.yml").read_text())
    # 9001 is in feed.atom and in Comments/ (whose folder has another name): once; 9004 is spam, 9006 deleted;
    # 9005 replied to the spam, so it replies to the post now
    assert [c["id"] for c in comments] == ["9001", "9002", "9003", "9005"]
    assert {c["id"]: c.get("parent") for c in comments} == {"9001": None, "9002": None, "9003": "9002", "9005": None}
    assert comments[1]["text"] == "Lovely crumb.\nWhich flour?" and comments[0]["date"].startswith("2025-01-05 10:00")
    plating = yaml.safe_load((site / "_data/comments/2025-02-10-plating.yml").read_text())
    assert [(c["id"], c["author"]) for c in plating] == [("9007", "Anonymous")]


def test_the_same_command_again_rewrites_nothing(cli, tmp_path, parts):
    site = tmp_path / "site"
    cli("migrate", parts[0], "--out", site, "--blog", COOKING, "--offline")
    before = tree_snapshot(site)
    res = cli("migrate", parts[0], "--out", site, "--blog", COOKING, "--offline")
    assert res.code == ExitStatus.PARTIAL and summary_row(res.out, "posts unchanged") == 5, res
    assert tree_snapshot(site) == before  # not a byte, not an mtime


def _glob(parts: list[Path], tmp_path: Path) -> list[str]:
    return [str(parts[0]).replace("-001.zip", "-*.zip")]


def _unpacked(parts: list[Path], tmp_path: Path) -> list[str]:
    return [str(ta.unpack(parts, tmp_path / "unpacked"))]


@pytest.mark.parametrize(
    "given",
    [
        pytest.param(lambda parts, tmp: [str(parts[0])], id="first-part"),
        pytest.param(lambda parts, tmp: [str(parts[1])], id="second-part"),
        pytest.param(lambda parts, tmp: [str(p) for p in reversed(parts)], id="parts-together"),
        pytest.param(_glob, id="glob"),
        pytest.param(_unpacked, id="Takeout-folder"),
        pytest.param(lambda parts, tmp: [str(Path(_unpacked(parts, tmp)[0]).parent)], id="its-parent"),
        pytest.param(lambda parts, tmp: [_unpacked(parts, tmp)[0] + "/Blogger/Blogs/Cooking Notes/feed.atom"],
                     id="feed.atom-inside"),
    ],
)
def test_every_way_to_name_the_archive_gives_the_same_site(cli, tmp_path, parts, given):
    reference = tmp_path / "reference"
    cli("migrate", parts[0], "--out", reference, "--blog", COOKING, "--offline")
    site = tmp_path / "site"
    res = cli("migrate", *given(parts, tmp_path), "--out", site, "--blog", COOKING, "--offline")
    assert res.code == ExitStatus.PARTIAL, res
    assert summary_row(res.out, "images from the archive") == 6
    assert contents(site) == contents(reference)


def test_the_missing_photo_is_downloaded_and_counted_apart(cli, tmp_path, quiet_server):
    url = f"{quiet_server.img_url}/img/b/R29vZ2xl/anim/s1600/anim.gif"  # no album holds it
    parts = ta.write_example(tmp_path / "dl", missing_url=url)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"allow_private_network: true\nblog: {COOKING}\n")  # --blog's twin in the config file
    site = tmp_path / "site"
    res = cli("migrate", parts[0], "--out", site, "--config", cfg)
    assert res.code == 0, res
    assert summary_row(res.out, "images from the archive") == 6 and summary_row(res.out, "images downloaded") == 1
    assert quiet_server.log == ["/img/b/R29vZ2xl/anim/s0/anim.gif"]  # nothing else was fetched
    manifest = json.loads((site / ".migrator/manifest.json").read_text())
    rec = manifest["assets"][url.replace("s1600", "s0")]
    assert rec["status"] == "ok" and "source" not in rec and rec["etag"]  # a download, recorded as ever
    assert (site / rec["path"]).read_bytes() == quiet_server.blog.images["anim"].read_bytes()


def test_offline_retry_then_online_fetches_only_what_is_missing(cli, tmp_path, quiet_server):
    url = f"{quiet_server.img_url}/img/b/R29vZ2xl/anim/s1600/anim.gif"
    parts = ta.write_example(tmp_path / "dl", missing_url=url)
    site = tmp_path / "site"
    args = ("migrate", parts[0], "--out", site, "--blog", COOKING, "--config", EXAMPLE_CONFIG)
    assert cli(*args, "--offline").code == ExitStatus.PARTIAL and quiet_server.log == []
    res = cli(*args)
    assert res.code == 0, res
    assert quiet_server.log == ["/img/b/R29vZ2xl/anim/s0/anim.gif"]
    assert "/assets/img/sourdough/anim.gif" in (site / "_posts/2025-01-05-sourdough.md").read_text()


# --- which album file is a post's photo -----------------------------------------------------------------------


def open_example(tmp_path: Path, photos: list[ta.TPhoto], **cfg):
    from migrator.config import load_config
    from migrator.sources.takeout import open_takeout

    blog = ta.TBlog("B", "42", "B", settings={"blog_subdomain": "b"})
    blog.posts = [ta.TPost("1", "P", "<p>x</p>", "2025-01-01T00:00:00Z", filename="/2025/01/p.html")]
    paths = ta.write_parts(tmp_path / "dl", ta.members([blog], photos), parts=1)
    return open_takeout(paths, load_config(None, {"out": str(tmp_path / "site"), **cfg}))


def test_photo_candidates_by_name_then_nearest_time(tmp_path):
    jan, jun = datetime(2025, 1, 10, tzinfo=UTC), datetime(2025, 6, 10, tzinfo=UTC)
    src = open_example(tmp_path, [
        ta.TPhoto("A", "x.jpg", ta.jpeg(1), created="2025-01-01T00:00:00Z"),
        ta.TPhoto("B", "x.jpg", ta.jpeg(2), created="2025-06-01T00:00:00Z"),
        ta.TPhoto("C", "X.JPG", ta.jpeg(3), created="2025-01-10T00:00:00Z"),  # another case: only after exact names
        ta.TPhoto("D", "x(1).jpg", ta.jpeg(4), created="2020-01-01T00:00:00Z", filename="x.jpg"),
        ta.TPhoto("E", "x.jpg", ta.jpeg(5), created="2025-01-10T00:00:00Z", has_original="NO"),
        ta.TPhoto("F", "한글 사진.jpg", ta.jpeg(6)),
    ])
    cdn = "https://blogger.googleusercontent.com/img/b/R29vZ2xl/K"

    def albums(url: str, near: datetime | None) -> list[str]:
        return [c.name.split("Albums/")[1].split("/")[0] for c in src.local_asset(url, near)]

    assert albums(f"{cdn}/s0/x.jpg", jan) == ["A", "B", "D", "C"]
    assert albums(f"{cdn}/s0/x.jpg", jun) == ["B", "A", "D", "C"]
    assert albums("https://1.bp.blogspot.com/-a/b/AAAAAAAAAAI/c/s1600-h/x.jpg", jan)[0] == "A"
    assert albums("https://lh3.googleusercontent.com/pw/Key/x.jpg=w640-h480", jun)[0] == "B"  # the size token
    assert albums(f"{cdn}/s0/%ED%95%9C%EA%B8%80+%EC%82%AC%EC%A7%84.jpg", None) == ["F"]  # quoted, + for a space
    assert albums("https://blogger.googleusercontent.com/img/a/AVvXsEkey=s0", jan) == []  # a key, not a name
    assert albums("https://example.com/x.jpg", jan) == []  # not a Blogger image: never matched by name
    copy = src.local_asset(f"{cdn}/s0/x.jpg", jan)[0]
    with copy.open() as f:
        assert f.read() == ta.jpeg(1) and copy.size == len(ta.jpeg(1)) and copy.origin == "takeout"


def test_a_copy_that_is_not_an_image_falls_back_to_the_next_then_to_a_download(cli, tmp_path, quiet_server):
    blog = ta.TBlog("B", "42", "B", settings={"blog_subdomain": "b"})
    url = f"{quiet_server.img_url}/img/b/R29vZ2xl/logo/s1600/logo.png"
    blog.posts = [ta.TPost("1", "P", f'<p><img src="{url}"></p>', "2025-01-01T00:00:00Z", filename="/2025/01/p.html")]
    site = tmp_path / "site"
    cut = ta.png(1)[:-12]  # its IEND chunk is missing: cut short
    for photos, fetched in (
        ([ta.TPhoto("A", "logo.png", b"GIF89a but not really"), ta.TPhoto("B", "logo.png", ta.png(2))], []),
        ([ta.TPhoto("A", "logo.png", cut)], ["/img/b/R29vZ2xl/logo/s0/logo.png"]),
    ):
        shutil.rmtree(site, ignore_errors=True)
        quiet_server.log.clear()
        paths = ta.write_parts(tmp_path / f"dl{len(fetched)}", ta.members([blog], photos), parts=1)
        res = cli("migrate", paths[0], "--out", site, "--config", EXAMPLE_CONFIG)
        assert res.code == 0, res
        assert quiet_server.log == fetched
        data = (site / "assets/img/p/logo.png").read_bytes()
        assert data == (ta.png(2) if not fetched else quiet_server.blog.images["logo"].read_bytes())


# --- hostile archives -------------------------------------------------------------------------------------------


def _zip(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in entries:
            zf.writestr(info, data)
    return path


def _good_entries() -> list[tuple[str, bytes]]:
    blogs, photos = ta.example_takeout()
    return [m for m in ta.members(blogs[1:], photos[-1:])]


def _link(name: str, target: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([("Takeout/Blogger/Albums/A/../../../../etc/cron.d/x", b"x")], "path with '..'"),
        ([("/etc/passwd", b"root")], "absolute path"),
        ([("C:/Windows/x.jpg", b"x")], "absolute path"),
        ([(_link("Takeout/Blogger/Albums/A/kyoto.jpg", "/etc/passwd"), b"/etc/passwd")], "symbolic link"),
        ([("Takeout/Blogger/Albums/A/bomb.jpg", b"\0" * (8 << 20))], "a zip bomb"),
    ],
    ids=["dotdot", "absolute", "drive", "symlink", "bomb"],
)
def test_hostile_archives_are_refused_whole(cli, tmp_path, extra, message):
    path = _zip(tmp_path / "takeout-20261201T000000Z-001.zip", extra + _good_entries())
    res = cli("migrate", path, "--out", tmp_path / "site")
    assert res.code == ExitStatus.NOT_A_BLOG, res
    assert f"refused {path.name}" in res.err and message in res.err
    assert not (tmp_path / "site").exists()


def _patch_central_record(path: Path, offset: int, value: int) -> None:
    """Set one byte of the zip's first central-directory record (8: flags, 10: compression method)."""
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    data[offset + at] = value
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(("offset", "value", "message"), [(8, 0x1, "is encrypted"), (10, 9, "compression method 9")],
                         ids=["encrypted", "deflate64"])  # fmt: skip
def test_an_entry_zipfile_cannot_read_is_one_line(cli, tmp_path, offset, value, message):
    path = _zip(tmp_path / "takeout-20261201T000000Z-001.zip", _good_entries())  # its first entry: feed.atom
    _patch_central_record(path, offset, value)
    res = cli("migrate", path, "--out", tmp_path / "site")
    assert res.code == ExitStatus.NOT_A_BLOG and message in res.err, res


def test_the_platform_flag_reads_a_takeout_too(cli, tmp_path, parts):
    res = cli("migrate", parts[0], "--out", tmp_path / "site", "--blog", COOKING, "--offline", "--platform", "blogger")
    assert res.code == ExitStatus.PARTIAL and summary_row(res.out, "images from the archive") == 6, res


def test_a_well_compressed_small_file_is_no_bomb_and_other_products_are_not_judged(cli, tmp_path):
    extra = [("Takeout/Blogger/Albums/A/blank.txt", b"\0" * 500_000),  # 500 KB: under the floor
             ("Takeout/Drive/sparse.img", b"\0" * (8 << 20))]  # not Blogger's: never read  # fmt: skip
    path = _zip(tmp_path / "takeout-20261201T000000Z-001.zip", extra + _good_entries())
    res = cli("migrate", path, "--out", tmp_path / "site", "--offline")
    assert res.code == 0, res


def test_a_linked_file_in_an_unpacked_takeout_is_refused(cli, tmp_path, parts):
    root = ta.unpack(parts, tmp_path / "u")
    (root / "Blogger/Albums/Cooking Notes/loaf.png").unlink()
    os.symlink("/etc/hostname", root / "Blogger/Albums/Cooking Notes/loaf.png")
    res = cli("migrate", root, "--out", tmp_path / "site", "--blog", COOKING)
    assert res.code == ExitStatus.NOT_A_BLOG and "symbolic link" in res.err, res


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([("Takeout/Google Photos/x.jpg", ta.jpeg(1)), ("Takeout/YouTube/a.csv", b"a")],
         "holds no Blogger blog (it holds: Google Photos, YouTube)"),
        (None, "cannot read"),
    ],
    ids=["no-blogger", "not-a-zip"],
)
def test_a_takeout_without_a_blog(cli, tmp_path, entries, message):
    path = tmp_path / "takeout-20261201T000000Z-001.zip"
    if entries is None:
        path.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    else:
        _zip(path, entries)
    res = cli("migrate", path, "--out", tmp_path / "site")
    assert res.code == ExitStatus.NOT_A_BLOG, res
    assert message in res.err


def test_entries_are_streamed_never_extracted(cli, tmp_path, parts, monkeypatch):
    def refuse(*a, **kw):
        raise AssertionError("an archive entry was extracted")

    monkeypatch.setattr(zipfile.ZipFile, "extract", refuse)
    monkeypatch.setattr(zipfile.ZipFile, "extractall", refuse)
    monkeypatch.setattr(zipfile.ZipFile, "read", refuse)  # whole entries in memory are not read either
    res = cli("migrate", parts[0], "--out", tmp_path / "site", "--blog", COOKING, "--offline")
    assert res.code == ExitStatus.PARTIAL, res
    assert not any(p.suffix == ".json" for p in (tmp_path / "site").rglob("*") if "assets" in p.parts)


def test_a_missing_part_is_a_warning(cli, tmp_path):
    blogs, photos = ta.example_takeout()
    paths = ta.write_parts(tmp_path / "dl", ta.members(blogs, photos), parts=3)
    paths[1].unlink()
    res = cli("migrate", paths[0], "--out", tmp_path / "site", "--blog", COOKING, "--offline")
    assert res.code == ExitStatus.PARTIAL, res
    assert "part(s) 002 of takeout-20261201T000000Z are missing" in res.out


def test_offline_with_a_url_is_a_usage_error(cli, tmp_path):
    res = cli("migrate", "https://name.blogspot.com", "--out", tmp_path / "s", "--offline")
    assert res.code == ExitStatus.USAGE and "--offline" in res.err


def test_a_glob_that_matches_nothing(cli, tmp_path):
    res = cli("migrate", str(tmp_path / "takeout-*.zip"), "--out", tmp_path / "s")
    assert res.code == ExitStatus.USAGE and "no file matches" in res.err


# --- across sources: the live blog and its Takeout --------------------------------------------------------------


def _fixture_parts(tmp_path, blog, server) -> list[Path]:
    return ta.fixture_takeout(tmp_path / "dl", blog, server.url, server.img_url)


def test_live_then_takeout_resync_rewrites_nothing(cli, migrate, tmp_path, quiet_server, blog):
    res, site = migrate(quiet_server)
    assert res.code == 0, res
    before = tree_snapshot(site)
    first = json.loads((site / ".migrator/manifest.json").read_text())
    parts = _fixture_parts(tmp_path, blog, quiet_server)
    quiet_server.log.clear()
    res = cli("migrate", parts[0], "--out", site, "--config", EXAMPLE_CONFIG, "--offline")
    assert res.code == 0, res
    after = tree_snapshot(site)
    # same post ids, same files: only the draft (which no public feed shows) is new
    assert {k: v for k, v in after.items() if k in before} == before
    assert set(after) - set(before) == {"_drafts/An-unfinished-draft.md"}
    assert summary_row(res.out, "posts unchanged") == 14 and summary_row(res.out, "posts created") == 1
    assert quiet_server.log == []
    second = json.loads((site / ".migrator/manifest.json").read_text())
    assert second["source"]["url"] == first["source"]["url"] == quiet_server.url  # the site's address is kept
    assert {k: v for k, v in second["assets"].items()} == first["assets"]  # the images are the downloaded ones
    for pid, rec in first["posts"].items():  # the same post reads the same from both: same fingerprint
        if pid in ("1000000000000000001", "1000000000000000002", "1000000000000000006"):  # posts with a thumbnail
            assert second["posts"][pid]["source_sha256"] == rec["source_sha256"], rec["path"]


def test_takeout_then_live_resync_rewrites_nothing_and_asks_since_the_export(cli, migrate, tmp_path, quiet_server, blog):
    parts = _fixture_parts(tmp_path, blog, quiet_server)
    site = tmp_path / "site"
    res = cli("migrate", parts[0], "--out", site, "--config", EXAMPLE_CONFIG, "--origin", quiet_server.url)
    assert res.code == 0, res
    # the album holds all but anim.gif, and the two images whose URLs carry no file name: 3 downloads
    assert summary_row(res.out, "images from the archive") == 7 and summary_row(res.out, "images downloaded") == 3
    assert json.loads((site / ".migrator/manifest.json").read_text())["last_sync"] == "2024-08-02T01:00:00+00:00"
    before = tree_snapshot(site)
    quiet_server.log.clear()
    res, _ = migrate(quiet_server)
    assert res.code == 0, res
    assert tree_snapshot(site) == before  # nothing rewritten, the draft not taken as deleted
    assert summary_row(res.out, "posts deleted at the source") == 0
    asked = [p for p in quiet_server.log if "updated-min=" in p]
    assert asked and all("updated-min=2024-08-02T00%3A00%3A00%2B00%3A00" in p for p in asked)  # the export's time
    res, _ = migrate(quiet_server, "--full")  # every post read from the live feed again: still nothing rewritten
    assert res.code == 0 and tree_snapshot(site) == before, res


def test_a_newer_takeout_updates_what_changed(cli, tmp_path, quiet_server, blog):
    site = tmp_path / "site"
    args = ("--out", site, "--config", EXAMPLE_CONFIG, "--origin", quiet_server.url)
    cli("migrate", _fixture_parts(tmp_path, blog, quiet_server)[0], *args)
    before = tree_snapshot(site)
    post = next(e for e in blog.entries if e["id"] == "1000000000000000004")
    post["html"] = post["html"].replace("</p>", " Edited later.</p>", 1)
    post["updated"] = "2024-09-01T10:00:00.000+09:00"
    blog.comments.append({"id": "5000000000000000009", "post": "1000000000000000005", "author": "New Reader",
                          "published": "2024-09-02T10:00:00.000+09:00", "html": "A new comment"})  # fmt: skip
    newer = ta.fixture_takeout(tmp_path / "dl2", blog, quiet_server.url, quiet_server.img_url)
    res = cli("migrate", newer[0], *args)
    # the edited post is updated; the commented one keeps its file (its comments are in _data/) and gets the comment
    assert res.code == 0 and summary_row(res.out, "posts updated") == 1, res
    assert summary_row(res.out, "comments saved") == 1
    after = tree_snapshot(site)
    changed = {k for k in after if before.get(k) != after[k]}
    assert changed == {"_posts/2024-04-01-code-and-liquid.md", "_data/comments/2024-04-20-tables-and-lists.yml"}
    assert "Edited later." in (site / "_posts/2024-04-01-code-and-liquid.md").read_text()


def test_a_resync_without_blog_takes_the_one_the_site_was_migrated_from(cli, tmp_path, parts):
    site = tmp_path / "site"
    assert cli("migrate", parts[0], "--out", site, "--blog", "Travel Diary", "--offline").code == 0
    res = cli("migrate", parts[0], "--out", site, "--offline")
    assert res.code == 0 and summary_row(res.out, "posts unchanged") == 1, res


def test_fingerprint_ignores_the_utc_offset_and_the_order_of_labels():
    from zoneinfo import ZoneInfo

    seoul = datetime(2024, 3, 2, 9, 15, tzinfo=ZoneInfo("Asia/Seoul"))
    utc = seoul.astimezone(UTC)
    c = Comment("1", "A", seoul, "hi")
    feed = Post("1", "post", "live", "T", "<p>x</p>", seoul, seoul, tags=("news", "Jekyll"), comments=(c,))
    export = Post("1", "post", "live", "T", "<p>x</p>", utc, utc, tags=("Jekyll", "news"),
                  comments=(Comment("1", "A", utc, "hi"),))  # fmt: skip
    assert feed.fingerprint() == export.fingerprint()
    assert feed.fingerprint() != Post("1", "post", "live", "T", "<p>y</p>", seoul, seoul, tags=("news", "Jekyll"),
                                      comments=(c,)).fingerprint()  # fmt: skip


def test_check_entry_is_pure(tmp_path):
    from migrator.sources.takeout import check_entry, check_ratio

    ok = zipfile.ZipInfo("Takeout/Blogger/Albums/A/x.jpg")
    check_entry(ok, "t.zip")
    for name in ("../x", "a/../../x", "/x", "\\x", "C:\\x", "a\\..\\x"):
        with pytest.raises(NotABlogError):
            check_entry(zipfile.ZipInfo(name), "t.zip")
    big = zipfile.ZipInfo("Takeout/Blogger/Blogs/B/feed.atom")
    big.file_size, big.compress_size = 200 << 20, 1 << 20  # 200x
    with pytest.raises(NotABlogError, match="zip bomb"):
        check_ratio(big, "t.zip")
    big.compress_size = 4 << 20  # 50x: a very repetitive feed, still fine
    check_ratio(big, "t.zip")


# --- the site builds ------------------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("jekyll") is None, reason="jekyll is not installed")
def test_the_takeout_site_builds_with_jekyll(cli, tmp_path, parts):
    from test_site_build import jekyll_build

    site = tmp_path / "site"
    res = cli("migrate", parts[0], "--out", site, "--blog", COOKING, "--offline")
    assert res.code == ExitStatus.PARTIAL, res
    jekyll_build(site)
    built = (site / "_site/2025/01/sourdough.html").read_text()
    assert "/assets/img/sourdough/starter.jpg" in built and "Which flour?" in built  # the comments include
    for ref in re.findall(r'src="(/assets/[^"]+)"', built):
        assert (site / "_site" / ref.lstrip("/")).exists()
    assert sha256_file(site / "_site/assets/img/sourdough/loaf.png") == sha256_file(site / "assets/img/sourdough/loaf.png")
