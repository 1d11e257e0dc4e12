"""The Tistory backup (tistory_backup.py): a generated backup zip (fixtures/tistory_backup.py: both file-name
forms, attachments in img/, file/ and file/img/, .dat and extension-less files, HEIC, a broken fold, a <ttml>
tag, ads, a missing image, a private post, a notice, a template), read offline and with the live fixture blog
(--origin), the unpacked folder, refused members, and the live-plus-backup merges in both orders."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import frontmatter
import pytest
from tistory_backup import HEIC, TOP, write_backup, write_folder

from conftest import TISTORY_CONFIG, sha256_file, tree_snapshot
from migrator.sources.tistory_backup import (
    HOST,
    Archive,
    find_entries,
    looks_like_backup,
    safe_member,
    split_category,
    split_tags,
)

ALL = {str(i) for i in (1, 2, 3, 4, 5, 6, 8, 9, 10, 11)}
PUBLIC_LIVE = {"1", "3", "4", "6", "8", "9"}  # what the live fixture blog shows of the backup's posts


def manifest(site: Path) -> dict:
    return json.loads((site / ".migrator/manifest.json").read_text())


def config(tmp_path: Path, extra: str = "") -> Path:
    cfg = tmp_path / "backup.yaml"
    cfg.write_text(TISTORY_CONFIG.read_text().replace("platform: tistory\n", "") + extra)
    return cfg


def migrate(cli, source, site, cfg, *extra):
    return cli("migrate", source, "--out", site, "--config", cfg, *extra)


# --- pure parts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "safe"),
    [("a/1/1.html", "a/1/1.html"), ("./a//b", "a/b"), ("../x", None), ("a/../../x", None), ("/etc/passwd", None),
     ("C:\\x\\y", None), ("a\\b.png", "a/b.png"), ("", None), ("a\x00b", None)],
)
def test_member_names(name, safe):
    assert safe_member(name) == safe


def test_post_folders_in_both_name_forms():
    names = [f"{TOP}/1/1-제목-[괄호],-쉼표.html", f"{TOP}/2/2.html", f"{TOP}/3/img/3.html", f"{TOP}/4/5.html",
             f"{TOP}/6/6-a.html", f"{TOP}/6/6.html", "7/7.html"]
    assert find_entries(sorted(names)) == {"1": names[0], "2": names[1], "6": names[4], "7": "7/7.html"}


def test_tags_and_categories():
    from bs4 import BeautifulSoup

    def tags(html: str) -> tuple[str, ...]:
        return split_tags(BeautifulSoup(html, "html.parser").div)

    assert tags("<div>#Dirty Flag #더티 플래그 #a</div>") == ("Dirty Flag", "더티 플래그", "a")
    assert tags("<div><a>x</a><a>y z</a></div>") == ("x", "y z")
    assert tags("<div></div>") == ()
    assert split_category("IT/DevOps") == ("IT", "DevOps") and split_category("분류없음") == () and split_category("") == ()


def test_what_is_a_backup(tmp_path):
    assert looks_like_backup(write_backup(tmp_path / "b.zip", only={2}))[0]
    assert looks_like_backup(write_folder(tmp_path / "f", only={2}))[0]
    other = tmp_path / "o.zip"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("notes/readme.txt", "hi")
    assert looks_like_backup(other) == (False, "is not a Tistory backup (no <id>/<id>.html post folders)")
    (tmp_path / "t.txt").write_text("x")
    assert not looks_like_backup(tmp_path / "t.txt")[0]


class _Cp949Name(zipfile.ZipInfo):
    """A member whose name is stored as CP949 bytes without the UTF-8 flag (a Korean Windows zip tool)."""

    def _encodeFilenameFlags(self):  # noqa: N802 - zipfile's own hook
        return self.filename.encode("cp949"), self.flag_bits


def test_cp949_names_of_a_zip_without_the_utf8_flag_are_read(tmp_path):
    info = _Cp949Name(f"{TOP}/1/1-한글.html")
    with zipfile.ZipFile(tmp_path / "k.zip", "w") as z:
        z.writestr(info, "<p class='date'>2020-01-01 00:00:00</p><div class='contents_style'>본문</div>")
    assert Archive(tmp_path / "k.zip").names() == [f"{TOP}/1/1-한글.html"]


# --- offline ------------------------------------------------------------------------------------------


def test_offline_every_post_is_a_draft_with_its_files_from_the_archive(cli, tmp_path):
    zp = write_backup(tmp_path / "example-1-1.zip")
    site = tmp_path / "site"
    res = migrate(cli, zp, site, config(tmp_path))
    assert res.code == 1, res  # one image is in no archive and on no live page: listed
    m = manifest(site)
    assert m["source"]["platform"] == "tistory"
    assert set(m["posts"]) == ALL and all(p["status"] == "ok" and p["reading"] == "backup" for p in m["posts"].values())
    assert not (site / "_posts").exists() and len(list((site / "_drafts").iterdir())) == len(ALL)
    assert "every post is written as a draft" in res.out and "--publish-all" in res.out
    for pid, rec in m["posts"].items():
        doc = frontmatter.load(site / rec["path"])
        assert doc["published"] is False and "permalink" not in doc
        assert "tt_lesstext" not in doc.content and "adsbygoogle" not in doc.content
        assert (HOST in doc.content) == (pid == "6")  # only the files no one has keep the archive's address
    # a draft's files are kept out of the published folders
    assert not (site / "assets").exists()
    assets = {Path(a["path"]).name: a for a in m["assets"].values() if a["status"] == "ok"}
    assert all(a["path"].startswith("_draft-assets/assets/") for a in assets.values())
    # files typed by their bytes: a .dat and a name without an extension that are PNGs; HEIC kept as it is
    assert {"chart.png", "noext.png", "phone.heic", "사용-설명서.pdf", "diagram.png", "old.gif", "실행화면.jpg"} <= set(assets)
    assert (site / assets["phone.heic"]["path"]).read_bytes() == HEIC
    # img.png and img_1.png, two uploads of one name: both kept
    assert {"img.png", "img-2.png"} <= set(assets)
    failed = [u for u, a in m["assets"].items() if a["status"] == "failed"]
    assert [u.split("?")[0] for u in failed] == [f"https://{HOST}/6/img/missing.png", f"https://{HOST}/6/img/mobile.png"]
    assert "6/img/missing.png is referenced by post 6 but is not in the backup" in res.out

    p1 = frontmatter.load(site / m["posts"]["1"]["path"])  # the CDN URL of a file the folder has: the file
    assert p1["categories"] == ["IT", "DevOps"] and p1["tags"] == ["linux", "서버", "메모"]
    assert str(p1["date"]) == "2011-06-27 13:04:10 +0900" and "daumcdn" not in p1.content
    p3 = frontmatter.load(site / m["posts"]["3"]["path"])
    assert p3["title"] == '새 에디터로 쓴 글 [테스트]: "따옴표"' and "```bash" in p3.content
    assert "[사용 설명서.pdf](/_draft-assets/assets/files/" in p3.content and "kakaocdn" not in p3.content
    p4 = frontmatter.load(site / m["posts"]["4"]["path"])
    assert p4["tags"] == ["Dirty Flag", "더티 플래그"]
    p8 = frontmatter.load(site / m["posts"]["8"]["path"])
    assert '<summary>보기</summary>\n\n접힌 설정 내용' in p8.content  # the broken fold, repaired
    assert "![옛 그림](/_draft-assets/assets/img/" in p8.content and "예전 그림 태그 뒤의 글" in p8.content  # <ttml>


def test_publish_all_and_the_kinds_the_config_names(cli, tmp_path):
    zp = write_backup(tmp_path / "example-1-1.zip", only={1, 2, 9, 10, 11})
    site = tmp_path / "site"
    cfg = config(tmp_path, "tistory_backup:\n  notices: ['10']\n  templates: ['11']\n")
    res = migrate(cli, zp, site, cfg, "--publish-all")
    assert res.code == 0, res
    m = manifest(site)["posts"]
    assert m["11"]["status"] == "skipped" and "template" in m["11"]["error"] and "template" in res.out
    notice = frontmatter.load(site / m["10"]["path"])
    assert m["10"]["path"] == "notice/notice-10.md" and notice["permalink"] == "/notice/10"
    for pid in ("1", "2", "9"):
        doc = frontmatter.load(site / m[pid]["path"])
        assert m[pid]["path"].startswith("_posts/") and doc["permalink"] == f"/{pid}" and f"/m/{pid}" in doc["redirect_from"]
    assert (site / "assets/img").is_dir() and not (site / "_draft-assets").exists()


def test_the_unpacked_folder_reads_as_the_zip_does(cli, tmp_path):
    zp, folder = write_backup(tmp_path / "b.zip"), write_folder(tmp_path / "unpacked")
    a, b = tmp_path / "a", tmp_path / "b"
    assert migrate(cli, zp, a, config(tmp_path)).code == 1
    assert migrate(cli, folder, b, config(tmp_path)).code == 1
    assert {k: v["path"] for k, v in manifest(a)["posts"].items()} == {k: v["path"] for k, v in manifest(b)["posts"].items()}
    files = lambda s: {p.relative_to(s).as_posix(): sha256_file(p) for p in s.rglob("*")  # noqa: E731
                       if p.is_file() and ".migrator" not in p.parts}
    assert files(a) == files(b)
    # the folder too: --platform tistory reads a file or folder as a backup
    res = migrate(cli, folder, tmp_path / "c", TISTORY_CONFIG)
    assert res.code == 1 and manifest(tmp_path / "c")["source"]["platform"] == "tistory"


def test_members_that_leave_the_archive_are_refused(cli, tmp_path):
    zp = write_backup(tmp_path / "b.zip", hostile=True, only={3})
    with zipfile.ZipFile(zp, "a") as z:  # a body that reaches out of its folder
        z.writestr(f"{TOP}/12/12.html", '<div class="contents_style"><p>밖</p><img src="./img/../../3/img/여행 사진.jpg">'
                                        '<img src="../../../../etc/passwd"></div>')
    site = tmp_path / "site"
    res = migrate(cli, zp, site, config(tmp_path))
    assert res.code == 0, res
    assert "3 member(s) of the backup were refused" in res.out and "../escape.txt" in res.out
    assert not (tmp_path / "escape.txt").exists() and not list(site.rglob("escape.txt"))
    assert not list(site.rglob("link.png")) and not list(site.rglob("passwd"))
    doc = frontmatter.load(site / manifest(site)["posts"]["12"]["path"])
    assert "passwd" not in doc.content and "여행" not in doc.content  # references out of the folder are dropped


# --- with the live blog -------------------------------------------------------------------------------


def test_with_the_live_blog_private_posts_are_drafts_and_public_ones_keep_their_address(cli, tserver, tblog, tmp_path):
    zp = write_backup(tmp_path / "example-1-1.zip")
    site = tmp_path / "site"
    cfg = config(tmp_path, "tistory_backup:\n  templates: ['11']\n")
    res = migrate(cli, zp, site, cfg, "--origin", tserver.url)
    assert res.code == 1, res  # missing.png is nowhere
    m = manifest(site)["posts"]
    assert {k for k, v in m.items() if v["path"] and v["path"].startswith("_posts/")} == PUBLIC_LIVE | {"7"}
    assert m["7"]["reading"] is None  # newer than the backup: read from the live blog
    assert {k for k, v in m.items() if v["path"] and v["path"].startswith("_drafts/")} == {"2", "5"}
    assert "not public on the live blog" in res.out and "비공개로 둔 글 [2]" in res.out and "protected" in res.out
    assert m["11"]["status"] == "skipped"
    # the live address, its aliases, the live metadata; the text and the files from the archive
    p3 = frontmatter.load(site / m["3"]["path"])
    assert p3["permalink"] == "/entry/%EC%83%88-%EC%97%90%EB%94%94%ED%84%B0%EB%A1%9C-%EC%93%B4-%EA%B8%80"
    assert {"/3", "/m/3"} <= set(p3["redirect_from"]) and str(p3["last_modified_at"]) == "2025-07-28 09:00:00 +0900"
    assert p3.content.count("/assets/files/") == 1 and "/dna/" not in p3.content
    trip = [(u, a["path"]) for u, a in manifest(site)["assets"].items() if "여행-사진" in (a["path"] or "")]
    assert len(trip) == 1 and trip[0][0].startswith(f"https://{HOST}/3/img/") and trip[0][1].startswith("assets/img/")
    assert not tserver.requests_to("/dna/xQz")  # the archive's copy, never the CDN's
    # a file the archive lacks that the live page has: fetched from there; one nobody has: listed
    p6 = frontmatter.load(site / m["6"]["path"])
    assert p6.content.count("](/assets/img/") == 2 and "missing.png" in p6.content
    assert tserver.requests_to("/dn/m1/")
    # notices: the backup's body at the live address; the one the backup lacks from the live blog
    n10 = frontmatter.load(site / m["10"]["path"])
    assert n10["permalink"] == "/notice/10" and "(백업본)" in n10.content and m["12"]["path"] == "notice/notice-12.md"
    # comments from the live blog, threaded, secret ones absent
    stem = m["3"]["path"].rsplit("/", 1)[-1][:-3]
    comments = (site / f"_data/comments/{stem}.yml").read_text()
    assert "독자 하나" in comments and "010-0000-0000" not in comments
    # nothing private on the published side
    published = "\n".join(p.read_text() for p in [*(site / "_posts").iterdir(), *(site / "notice").iterdir()])
    assert "나만 보는 글" not in published and "비밀번호로 보호한" not in published
    assert all(not a["path"] or "비공개" not in a["path"] or a["path"].startswith("_draft-assets/")
               for a in manifest(site)["assets"].values())


def test_a_second_run_with_the_same_backup_changes_nothing(cli, tserver, tblog, tmp_path):
    zp = write_backup(tmp_path / "example-1-1.zip", only={1, 2, 3, 4, 8, 9, 10})
    site = tmp_path / "site"
    cfg = config(tmp_path)
    assert migrate(cli, zp, site, cfg, "--origin", tserver.url).code == 0
    before, first = tree_snapshot(site), len(tserver.log)
    tserver.log.clear()
    res = migrate(cli, zp, site, cfg, "--origin", tserver.url)
    assert res.code == 0, res
    assert tree_snapshot(site) == before
    pages = [p for p in tserver.log if not p.startswith(("/m/api/", "/m/notice/", "/rss", "/sitemap"))]
    assert sorted(pages) == ["/5", "/7"] and len(tserver.log) < first  # a cheap resync, as from the live blog


def test_live_first_then_the_backup_fills_in_without_rewriting(cli, tserver, tblog, tmp_path):
    """A site migrated from the live blog, then completed from a backup: the private posts are added as
    drafts, the image that failed online comes from the archive, nothing else is rewritten, a hand edit stays."""
    site = tmp_path / "site"
    tserver.faults["/cfile/tistory/legacy"] = [(403, {})] * 50  # the old cfile host refuses it now
    res = cli("migrate", tserver.url, "--out", site, "--config", TISTORY_CONFIG)
    assert res.code == 1 and "cfile/tistory/legacy" in res.out
    m = manifest(site)["posts"]
    edited = site / m["4"]["path"]
    edited.write_text(edited.read_text() + "\n내가 덧붙인 문장.\n")
    before = tree_snapshot(site)
    zp = write_backup(tmp_path / "example-1-1.zip")
    res = migrate(cli, zp, site, config(tmp_path), "--origin", tserver.url)
    assert res.code == 0, res  # post 6 keeps the live blog's reading: the backup's missing file does not matter
    after = tree_snapshot(site)
    changed = {k for k in after if before.get(k) != after[k]}
    assert changed & {m[i]["path"] for i in ("3", "4", "6", "8", "9", "7")} == set()  # not rewritten
    assert m["1"]["path"] in changed  # its image came from the archive
    assert "내가 덧붙인 문장" in edited.read_text()
    p1 = frontmatter.load(site / m["1"]["path"])
    assert "cfile" not in p1.content and "](/assets/img/" in p1.content
    m2 = manifest(site)["posts"]
    assert m2["1"]["reading"] == "backup" and m2["3"]["reading"] is None  # kept the live blog's reading
    assert m2["2"]["path"].startswith("_drafts/") and m2["5"]["path"].startswith("_drafts/")  # the private ones
    assert "deleted" not in json.dumps([v["status"] for v in m2.values()])


def test_backup_first_then_the_live_blog_publishes_and_deletes_nothing(cli, tserver, tblog, tmp_path):
    site = tmp_path / "site"
    zp = write_backup(tmp_path / "example-1-1.zip", only={1, 2, 3, 9})
    assert migrate(cli, zp, site, config(tmp_path)).code == 0  # offline: four drafts
    drafts = {k: v["path"] for k, v in manifest(site)["posts"].items()}
    assert all(p.startswith("_drafts/") for p in drafts.values())
    res = migrate(cli, zp, site, config(tmp_path), "--origin", tserver.url)  # now it can tell
    assert res.code == 0, res
    m = manifest(site)["posts"]
    for pid in ("1", "3", "9"):  # public on the live blog: moved to _posts, the draft's file gone
        assert m[pid]["path"].startswith("_posts/") and not (site / drafts[pid]).exists()
        doc = frontmatter.load(site / m[pid]["path"])
        assert "published" not in doc and "_draft-assets" not in doc.content
    assert m["2"]["path"] == drafts["2"]  # still private
    # the published posts' files left _draft-assets/ for assets/; the private post's stay there
    assert {f.parent.name for f in (site / "_draft-assets").rglob("*") if f.is_file()} == {"비공개로-둔-글"}
    assert {k for k, v in m.items() if v["reading"] is None} == {"4", "5", "6", "7", "8", "10", "12"}  # the backup lacked them (5: protected, skipped)
    before = tree_snapshot(site)
    tblog.comments["9"] = [{"id": 901, "content": "새 댓글", "written": "2025-12-02 10:00:00", "isSecret": False,
                            "writer": {"name": "새 독자"}, "children": []}]
    every = tmp_path / "all.yaml"  # post 9 is years old: its comments are rechecked with `all` (or --full)
    every.write_text(TISTORY_CONFIG.read_text().replace("tistory:\n", "tistory:\n  recheck_comments: all\n"))
    res = cli("migrate", tserver.url, "--out", site, "--config", every)  # then the live blog alone
    assert res.code == 0, res
    after = tree_snapshot(site)
    changed = {k for k in after if before.get(k) != after[k]}
    assert changed == {f"_data/comments/{Path(m['9']['path']).stem}.yml"}  # nothing rewritten: only the new comment
    assert any("새 독자" in (site / k).read_text() for k in changed if k.startswith("_data/comments/"))
    m3 = manifest(site)["posts"]
    assert m3["2"]["status"] == "ok" and (site / m3["2"]["path"]).exists()  # a private post is never 'deleted'
    assert "posts deleted at the source │     0" in res.out


def test_a_private_post_a_newer_backup_lacks_is_reported_deleted(cli, tmp_path):
    """The backup holds every post, private ones too: a draft the next backup lacks was deleted on the blog
    (reported; removed only with --prune), while the other drafts stay."""
    site = tmp_path / "site"
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    assert migrate(cli, write_backup(tmp_path / "a" / "example-1-1.zip", only={1, 2, 3}), site, config(tmp_path)).code == 0
    drafts = {k: v["path"] for k, v in manifest(site)["posts"].items()}
    assert sorted(drafts) == ["1", "2", "3"] and all(p.startswith("_drafts/") for p in drafts.values())
    newer = write_backup(tmp_path / "b" / "example-1-1.zip", only={1, 3})
    res = migrate(cli, newer, site, config(tmp_path))
    assert res.code == 0, res
    assert "posts deleted at the source │     1" in res.out and (site / drafts["2"]).exists()  # reported, kept
    res = migrate(cli, newer, site, config(tmp_path), "--prune")
    assert res.code == 0, res
    m = manifest(site)["posts"]
    assert m["2"]["status"] == "deleted" and not (site / drafts["2"]).exists()
    assert all((site / drafts[k]).exists() for k in ("1", "3"))


@pytest.mark.skipif(os.environ.get("JEKYLL_SKIP") == "1", reason="no jekyll")
def test_the_built_site_publishes_nothing_private(cli, tserver, tmp_path):
    from test_site_build import JEKYLL, jekyll_build

    if JEKYLL is None:
        pytest.skip("jekyll is not installed")
    site = tmp_path / "site"
    res = migrate(cli, write_backup(tmp_path / "b.zip"), site, config(tmp_path), "--origin", tserver.url)
    assert res.code == 1, res
    jekyll_build(site)
    built = "\n".join(p.read_text(errors="replace") for p in (site / "_site").rglob("*") if p.is_file()
                      and p.suffix in (".html", ".xml", ".json"))
    for private in ("나만 보는 글", "비밀번호로 보호한", "비공개로 둔 글", "장점: … 단점"):
        assert private not in built, private
    assert not (site / "_site/_draft-assets").exists() and not list((site / "_site").rglob("img-2.png"))
    assert (site / "_site/notice/10.html").exists() and (site / "_site/3.html").exists()
