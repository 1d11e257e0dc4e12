"""End to end: the fixture Tistory blog (several skins, the new editor, legacy images) through the CLI."""

from __future__ import annotations

import json
from urllib.parse import unquote

import frontmatter
import pytest

from conftest import TISTORY_CONFIG, sha256_file, tree_snapshot

READABLE = {"1", "3", "4", "6", "7", "8", "9"}
NOTICES = {"10", "12"}  # pages at /notice/<id> (test_tistory_api.py)
SKIN_JUNK = ["공감", "좋아요", "공유하기", "카테고리의 다른 글", "관련글", "adsbygoogle", "NaverAd", "사이드바 최근글 목록",
             "분류 전체보기", "setInitialEntryComments", "수정", "반응형", "tistory_admin", "google_ad_client", "show_ads",
             "접기", "신고", "카카오스토리", "emoticon", "btn_more"]


def run(cli, server, tmp_path, *extra, name="site"):
    site = tmp_path / name
    return cli("migrate", server.url, "--out", site, "--config", TISTORY_CONFIG, *extra), site


def test_tistory_blog_migrates(cli, tserver, tblog, tmp_path):
    res, site = run(cli, tserver, tmp_path, "--platform", "auto")  # localhost: detected from the page
    assert res.code == 0, res
    manifest = json.loads((site / ".migrator/manifest.json").read_text())
    assert manifest["source"]["platform"] == "tistory"
    posts = manifest["posts"]
    ok = {k for k, v in posts.items() if v["status"] == "ok"}
    assert ok == READABLE | NOTICES  # every readable post exactly once (/entry/<title> and /<id> of post 3 included)
    assert posts["5"]["status"] == "skipped" and "password" in posts["5"]["error"]
    assert "2" not in posts  # a deleted id met while enumerating is reported, not recorded
    assert "missing, private or deleted" in res.out and "protected by a password" in res.out
    assert len(list((site / "_posts").iterdir())) == len(READABLE)

    by_id = {p["id"]: p for p in tblog.posts}
    for pid in READABLE:
        e = by_id[pid if isinstance(pid, int) else int(pid)]
        doc = frontmatter.load(site / posts[pid]["path"])
        assert doc["title"] == e["title"]
        assert str(doc["date"]).replace(" ", "T", 1).replace(" +0900", "+09:00") == e["published"]
        assert doc.get("categories", []) == e["category"].split("/")
        assert doc.get("tags", []) == e["tags"]
        assert unquote(doc["permalink"]) == unquote(tblog.path_of(e))
        assert f"/m/{pid}" in doc["redirect_from"]
        for junk in SKIN_JUNK:
            assert junk not in doc.content, (pid, junk)
        assert tserver.img_url not in doc.content, pid  # every image and file is local

    # post 3 was listed as /entry/<title>: its numeric URL redirects to it
    doc3 = frontmatter.load(site / posts["3"]["path"])
    assert "/3" in doc3["redirect_from"]
    assert "<details markdown=\"1\">" in doc3.content and "```bash" in doc3.content
    assert "[사용 설명서.pdf](/assets/files/" in doc3.content
    assert "> **[옛날 글: 서버 상태 확인](/1)**" in doc3.content  # the link card, pointing at the migrated post
    assert "[지도: 명동](https://map.kakao.com/" in doc3.content

    # images byte-identical to the originals (signed /dna/ URLs, cfile ?original, /dn/), named from data-filename
    for url, a in manifest["assets"].items():
        assert a["status"] == "ok", url
        key = url.split("?")[0].split("/")[-2] if "/cfile/" not in url else url.split("?")[0].split("/")[-1]
        assert sha256_file(site / a["path"]) == sha256_file(tblog.images[key]), url
    names = {a["path"].rsplit("/", 1)[-1] for a in manifest["assets"].values()}
    assert {"여행-사진.jpg", "실행화면.jpg", "화면.png", "사용-설명서.pdf"} <= names  # cfile: extension from the bytes
    assert not any(n.startswith("thumb") for n in names)


def test_no_sitemap_falls_back_to_enumerating_ids(cli, tserver, tblog, tmp_path):
    tblog.sitemap_enabled = False
    res, site = run(cli, tserver, tmp_path)
    assert res.code == 0, res
    assert "no sitemap.xml" in res.out
    posts = json.loads((site / ".migrator/manifest.json").read_text())["posts"]
    assert {k for k, v in posts.items() if v["status"] == "ok"} == READABLE | NOTICES
    assert posts["5"]["status"] == "skipped"


def test_enumeration_stops_after_a_run_of_missing_ids(cli, tserver, tblog, tmp_path):
    tblog.sitemap_enabled = False
    cfg = tmp_path / "c.yaml"
    cfg.write_text("allow_private_network: true\nplatform: tistory\ntistory:\n  delay: 0\n  max_missing_run: 1\n")
    res = cli("migrate", tserver.url, "--out", tmp_path / "s", "--config", cfg)
    assert res.code == 0, res
    posts = json.loads((tmp_path / "s/.migrator/manifest.json").read_text())["posts"]
    # 9 (RSS), then 8, 7 (RSS), 6, 5 (protected), 4, 3 (RSS) ... id 2 is missing: the walk stops before 1
    assert "1" not in posts and {"3", "4", "6", "7", "8", "9"} <= set(posts)
    assert len(tserver.requests_to("/2")) == 1 and not tserver.requests_to("/1")


def test_rerun_is_a_no_op(cli, tserver, tmp_path):
    res, site = run(cli, tserver, tmp_path)
    assert res.code == 0
    before = tree_snapshot(site)
    res, _ = run(cli, tserver, tmp_path)
    assert res.code == 0 and tree_snapshot(site) == before


def test_signed_images_need_the_referer(cli, tserver, tblog, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("allow_private_network: true\nplatform: tistory\ntistory:\n  delay: 0\n  referer: false\n"
                   "http:\n  retries: 1\n")
    res = cli("migrate", tserver.url, "--out", tmp_path / "s", "--config", cfg)
    assert res.code == 1  # the /dna/ images were refused without a Referer: reported and kept remote
    manifest = json.loads((tmp_path / "s/.migrator/manifest.json").read_text())
    failed = [u for u, a in manifest["assets"].items() if a["status"] == "failed"]
    assert failed and all("/dna/" in u for u in failed)


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_tistory_site_builds(cli, tserver, tblog, tmp_path, fmt):
    from test_site_build import JEKYLL, jekyll_build

    if JEKYLL is None:
        pytest.skip("jekyll is not installed")
    res, site = run(cli, tserver, tmp_path, "--format", fmt)
    assert res.code == 0, res
    jekyll_build(site)
    built = site / "_site"
    assert (built / "entry/새-에디터로-쓴-글.html").exists()
    for pid in ("1", "4", "6", "7"):
        assert (built / f"{pid}.html").exists()
        assert (built / f"m/{pid}.html").exists()  # the mobile URL redirects
    assert "가장 최근 글입니다" in (built / "7.html").read_text()
    assert "{% raw %}" in (built / "7.html").read_text()  # Liquid-looking text printed as written


def test_resigned_image_urls_change_nothing(cli, tserver, tblog, tmp_path):
    res, site = run(cli, tserver, tmp_path)
    assert res.code == 0
    before = tree_snapshot(site)
    for p in tblog.posts:  # next month: Tistory signs every /dna/ URL anew
        p["html"] = p["html"].replace("expires=1767193199", "expires=1769871599").replace("signature=", "signature=X")
    tserver.log.clear()
    res, _ = run(cli, tserver, tmp_path)
    assert res.code == 0, res
    assert tree_snapshot(site) == before  # no file rewritten, no mtime touched
    assert not [p for p in tserver.log if p.startswith("/dna/")]  # the same images are not fetched again


def test_old_skins_and_entry_links_end_to_end(cli, tserver, tblog, tmp_path):
    """Issue 10 through the CLI: the 2011 skin served without its JSON (tags and category inside
    div.category_list), the 2016 skin (junk inside the tt_article div), the old fold and layout table, and
    links written /entry/<title> to posts known by id."""
    p1 = next(x for x in tblog.posts if x["id"] == 1)
    p1["html"] += ('<p><a href="@BLOG@/entry/접어-둔-설정-파일-2012-예전-에디터">나중 글</a>과 '
                   '<a href="@BLOG@/entry/%EC%A7%80%EC%9A%B4-%EA%B8%80">지운 글</a></p>')
    res, site = run(cli, tserver, tmp_path, "--report", tmp_path / "r.json")
    assert res.code == 0, res
    posts = json.loads((site / ".migrator/manifest.json").read_text())["posts"]
    doc1, doc8, doc9 = (frontmatter.load(site / posts[i]["path"]) for i in ("1", "8", "9"))

    # /entry/<title> links to posts known by id: the id (from the title's slug, else read once from the page)
    assert "[나중 글](/8)" in doc1.content and "[2013년 메모](/9)" in doc8.content and "[서버 메모](/1)" in doc9.content
    assert "[서버 상태 확인](/1)" in doc8.content
    assert len(tserver.requests_to("/entry/%EC%A0%91%EC%96%B4")) <= 1  # post 8's title URL: at most once
    # a link to a post that is gone stays as written and is listed
    assert f"[지운 글]({tserver.url}/entry/" in doc1.content
    assert len(tserver.requests_to("/entry/%EC%A7%80%EC%9A%B4")) == 1
    report = json.loads((tmp_path / "r.json").read_text())
    assert [unquote(u["url"]).rsplit("/", 1)[-1] for u in report["unresolved_links"]] == ["지운-글"]

    # the 2011 skin without entryInfo/tiara: the skin's own category and tags, never the menu's
    assert doc8["categories"] == ["IT", "Linux"] and doc8["tags"] == ["설정", "옛날 에디터"]
    # the old fold, the layout table's images (local), the data table kept, no ad, no button text
    assert '<details markdown="1">\n<summary>더보기</summary>\n\n접힌 내용' in doc8.content
    assert "화면 두 장을 위아래로 붙였습니다.\n\n![](/assets/img/" in doc8.content and "| ![" not in doc8.content
    assert "| port | 8080 |" in doc8.content
    for junk in ("접기", "google_ad_client", "show_ads", "things_16", "반응형"):
        assert junk not in doc8.content, junk
    # the 2016 skin: compact dates, category and tags of the skin, nothing of the junk inside the body
    assert str(doc9["date"]) == "2013-10-26 23:21:37 +0900" and doc9["categories"] == ["도구"]
    assert '<summary>펼치기</summary>\n\n접어 둔 두 번째 문단' in doc9.content
    for junk in ("카카오스토리", "트위터", "신고", "카테고리의 다른 글", "adsbygoogle", "Prev"):
        assert junk not in doc9.content, junk
