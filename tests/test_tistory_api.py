"""Tistory's mobile JSON endpoints (tistory_api.py): comments and notices, read from the fixture blog that
serves them in the shapes the crawlers document (pages of two comments, replies in children, secret comments
and replies, four forms of 'written'), and the pure readers one line each."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import frontmatter
import pytest
import yaml

from conftest import TISTORY_CONFIG, tree_snapshot
from migrator.sources.tistory_api import (
    FIELDS,
    ApiError,
    comment_text,
    parse_comment_date,
    read_comment_page,
    read_count,
    read_notice_page,
)

KST = timezone(timedelta(hours=9))
FALLBACK = datetime(2000, 1, 1, tzinfo=KST)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-07-28T10:00:00+09:00", datetime(2025, 7, 28, 10, 0, tzinfo=KST)),
        ("2025-07-28T01:00:00Z", datetime(2025, 7, 28, 10, 0, tzinfo=KST)),
        ("2025-07-28 11:30:00", datetime(2025, 7, 28, 11, 30, tzinfo=KST)),  # no offset: Korean time
        ("2025.07.28 11:30", datetime(2025, 7, 28, 11, 30, tzinfo=KST)),
        ("2025. 7. 28. 11:30", datetime(2025, 7, 28, 11, 30, tzinfo=KST)),
        ("20250728113000", datetime(2025, 7, 28, 11, 30, tzinfo=KST)),
        (1753700000, datetime(2025, 7, 28, 19, 53, 20, tzinfo=KST)),  # epoch seconds
        ("1753700000", datetime(2025, 7, 28, 19, 53, 20, tzinfo=KST)),
        (1753700000000, datetime(2025, 7, 28, 19, 53, 20, tzinfo=KST)),  # epoch milliseconds
        ("1753700000123", datetime(2025, 7, 28, 19, 53, 20, 123000, tzinfo=KST)),
        ("Mon, 28 Jul 2025 10:00:00 +0900", datetime(2025, 7, 28, 10, 0, tzinfo=KST)),
        ("어제", None),
        ("", None),
        (None, None),
        (True, None),
        ("2025-13-45 99:00:00", None),
    ],
)
def test_comment_dates_are_read_in_every_form(value, expected):
    assert parse_comment_date(value) == expected


def test_comment_text_is_plain_text_with_its_line_breaks():
    assert comment_text("첫 줄<br>둘째 줄") == "첫 줄\n둘째 줄"
    assert comment_text("&lt;b&gt; is text") == "<b> is text"
    assert comment_text('<a href="https://x.example">링크</a>') == "링크 (https://x.example)"
    assert comment_text("plain") == "plain"


def test_a_page_of_comments_is_threaded_and_secret_ones_never_kept():
    payload = {"data": {"isLast": False, "nextId": 9, "items": [
        {"id": 1, "content": "a", "written": "2025-01-01 10:00:00", "isSecret": False,
         "writer": {"name": "A", "homepage": "https://a.example"},
         "children": [{"id": 2, "content": "b", "written": 1735693200, "isSecret": False, "writer": {"name": "B"}},
                      {"id": 3, "content": "secret reply", "written": 1, "isSecret": True, "writer": {"name": "C"}}]},
        {"id": 4, "content": "secret", "isSecret": "Y", "writer": {"name": "D"},
         "children": [{"id": 5, "content": "reply to a secret", "isSecret": False, "writer": {"name": "E"}}]},
        {"id": 6, "content": "undated", "written": "soon", "writer": {"name": "F", "homepage": "javascript:x"}},
    ]}}
    page = read_comment_page(payload, FIELDS, FALLBACK)
    assert [(c.id, c.parent, c.author) for c in page.comments] == [("1", None, "A"), ("2", "1", "B"), ("6", None, "F")]
    assert page.comments[0].author_url == "https://a.example" and page.comments[2].author_url is None
    assert page.comments[2].published == FALLBACK and page.undated == 1
    assert page.secret == 3 and page.next_id == "9" and not page.is_last and page.items == 3
    renamed = {**FIELDS, "written": "regDate", "author": "writer.nickname"}
    other = read_comment_page({"data": {"isLast": True, "items": [
        {"id": 7, "regDate": "2025-01-02 00:00:00", "writer": {"nickname": "G"}}]}}, renamed, FALLBACK)
    assert other.comments[0].author == "G" and other.comments[0].published.day == 2 and other.is_last
    with pytest.raises(ApiError):
        read_comment_page({"error": "nope"}, FIELDS, FALLBACK)


def test_counts_and_notice_pages():
    assert read_count({"data": {"count": 8}}, FIELDS) == 8
    assert read_count({"data": {"count": "3"}}, FIELDS) == 3
    with pytest.raises(ApiError):
        read_count({"data": {}}, FIELDS)
    items, last, nxt = read_notice_page({"data": {"items": [{"id": 10, "title": "t", "published": "2025-11-01T09:00:00+09:00"},
                                                           {"title": "no id"}], "isLast": False, "nextPage": 1}}, FIELDS)
    assert [(n.id, n.title) for n in items] == [("10", "t")] and not last and nxt == 1


def run(cli, server, tmp_path, *extra, name="site", config=TISTORY_CONFIG):
    site = tmp_path / name
    return cli("migrate", server.url, "--out", site, "--config", config, *extra), site


def test_live_comments_are_threaded_paged_and_secret_ones_absent(cli, tserver, tblog, tmp_path):
    res, site = run(cli, tserver, tmp_path)
    assert res.code == 0, res
    manifest = json.loads((site / ".migrator/manifest.json").read_text())
    stem = manifest["posts"]["3"]["path"].rsplit("/", 1)[-1][:-3]
    rows = yaml.safe_load((site / f"_data/comments/{stem}.yml").read_text())
    assert [(r["id"], r.get("parent")) for r in rows] == [("301", None), ("302", "301"), ("306", None), ("307", None),
                                                           ("308", None)]
    text = (site / f"_data/comments/{stem}.yml").read_text()
    for secret in ("303", "304", "305", "010-0000-0000", "서울시", "인용"):
        assert secret not in text  # secret comments, and the reply under a secret one, are never written
    assert rows[0] == {"id": "301", "author": "독자 하나", "url": "https://reader.example",
                       "date": "2025-07-28 10:00:00 +0900", "text": "잘 읽었습니다!\n코드 블록 예시가 특히 좋네요."}
    assert rows[1]["date"] == "2025-07-28 11:30:00 +0900"  # 'YYYY-MM-DD HH:MM:SS': Korean time
    assert rows[2]["date"] == "2025-07-29 23:40:00 +0900" and "url" not in rows[2]  # epoch ms; javascript: dropped
    assert rows[4]["date"] == "2025-07-27 23:30:00 +0900"  # unreadable: dated as the post
    assert "comment date(s) could not be read" in res.out
    # three pages of two: the first, then startId=<nextId> until isLast
    assert tserver.requests_to("/m/api/3/comment") == [
        "/m/api/3/comment/count", "/m/api/3/comment", "/m/api/3/comment?startId=306", "/m/api/3/comment?startId=308"]
    assert manifest["posts"]["3"]["comment_count"] == 8  # the platform's count, secret ones included
    # a post without comments costs its count only
    assert tserver.requests_to("/m/api/4/") == ["/m/api/4/comment/count"]
    assert not (site / "_data/comments" / (manifest["posts"]["4"]["path"].rsplit("/", 1)[-1][:-3] + ".yml")).exists()


def test_a_new_comment_is_read_on_a_resync_and_nothing_else_changes(cli, tserver, tblog, tmp_path):
    # every post's count is asked for (recheck_comments: all): posts 1 and 4 are years old
    cfg = tmp_path / "c.yaml"
    cfg.write_text(TISTORY_CONFIG.read_text().replace("tistory:\n", "tistory:\n  recheck_comments: all\n"))
    res, site = run(cli, tserver, tmp_path, config=cfg)
    assert res.code == 0, res
    posts = json.loads((site / ".migrator/manifest.json").read_text())["posts"]
    stem = posts["1"]["path"].rsplit("/", 1)[-1][:-3]
    before = tree_snapshot(site)
    tblog.comments["1"].append({"id": 102, "content": "늦은 댓글", "written": "2025-12-01 09:00:00", "isSecret": False,
                                "writer": {"name": "늦은 독자"}, "children": []})
    tblog.comments["4"] = [{"id": 401, "content": "비밀", "written": 1, "isSecret": True, "writer": {"name": "x"}}]
    tserver.log.clear()
    res, _ = run(cli, tserver, tmp_path, config=cfg)
    assert res.code == 0, res
    assert "not rechecked" not in res.out
    changed = {k for k, v in tree_snapshot(site).items() if before.get(k) != v}
    assert changed == {f"_data/comments/{stem}.yml"}  # the post files are not rewritten
    assert [r["author"] for r in yaml.safe_load((site / f"_data/comments/{stem}.yml").read_text())][-1] == "늦은 독자"
    # post 1's count changed: it is read again with its comments; post 4's count changed too (a secret one)
    assert tserver.requests_to("/m/api/1/comment") == ["/m/api/1/comment/count", "/m/api/1/comment"]
    assert "/1" in tserver.log and "/3" not in tserver.log and not tserver.requests_to("/m/api/3/comment?")
    assert json.loads((site / ".migrator/manifest.json").read_text())["posts"]["4"]["comment_count"] == 1


def test_comments_false_asks_no_comment_endpoint(cli, tserver, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(TISTORY_CONFIG.read_text() + "comments: false\n")
    res, site = run(cli, tserver, tmp_path, config=cfg)
    assert res.code == 0, res
    assert not tserver.requests_to("/m/api/") or all("NOTICE" in p for p in tserver.requests_to("/m/api/"))
    assert not (site / "_data/comments").exists()


def test_a_blog_without_the_endpoints_costs_a_few_requests_and_one_warning(cli, tserver, tblog, tmp_path):
    tblog.api_enabled = False
    res, site = run(cli, tserver, tmp_path)
    assert res.code == 0, res
    assert "did not answer as documented" in res.out and "notices not read" in res.out
    counts = [p for p in tserver.requests_to("/m/api/") if p.endswith("/count")]
    assert len(counts) <= 3 + 3  # three in a row fail (and those already asked by the other page workers): off
    assert tserver.requests_to("/m/api/entry/") == ["/m/api/entry/0/NOTICE?page=0&size=10"]
    assert not (site / "notice").exists()


def test_notices_become_pages_at_their_old_path(cli, tserver, tblog, tmp_path):
    tblog.notices.append({"id": 14, "title": "두 번째 쪽의 공지", "published": "2024-01-01 00:00:00", "summary": "",
                          "body": "<p>목록의 두 번째 쪽</p>"})
    cfg = tmp_path / "c.yaml"
    cfg.write_text(TISTORY_CONFIG.read_text().replace("tistory:\n", "tistory:\n  api_page_size: 2\n"))
    res, site = run(cli, tserver, tmp_path, config=cfg)
    assert res.code == 0, res
    assert tserver.requests_to("/m/api/entry/0/NOTICE") == ["/m/api/entry/0/NOTICE?page=0&size=2",
                                                             "/m/api/entry/0/NOTICE?page=1&size=2"]
    doc = frontmatter.load(site / "notice/notice-10.md")
    assert doc["permalink"] == "/notice/10" and doc["redirect_from"] == ["/m/notice/10"] and doc["title"] == "블로그 이전 안내"
    assert str(doc["date"]) == "2025-11-01 09:00:00 +0900" and "**새 주소**" in doc.content
    assert (site / "notice/notice-14.md").exists()
    assert yaml.safe_load((site / "_data/comments/notice-12.yml").read_text())[0]["author"] == "공지 독자"


def test_a_notice_whose_mobile_page_is_missing_is_read_from_its_own_address(cli, tserver, tblog, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(TISTORY_CONFIG.read_text().replace("tistory:\n", "tistory:\n  notice_page: /m/nope/{id}\n"))
    res, site = run(cli, tserver, tmp_path, config=cfg)
    assert res.code == 0, res
    assert "**새 주소**" in frontmatter.load(site / "notice/notice-10.md").content
    assert "/notice/10" in tserver.log


# --- which comment counts a resync asks for (tistory.recheck_comments, tistory.recheck_days) ------------


def test_the_recheck_policy_one_line_each():
    from migrator.sources.tistory import rechecks_comments

    now = datetime(2026, 12, 2, 12, 0, tzinfo=KST)
    old, recent = now - timedelta(days=31), now - timedelta(days=29)
    assert rechecks_comments("recent", recent, now, 30) and not rechecks_comments("recent", old, now, 30)
    assert rechecks_comments("recent", now - timedelta(days=30), now, 30)  # the last day of the window is in it
    assert rechecks_comments("recent", None, now, 30)  # a post whose date is not known: asked, not guessed
    assert not rechecks_comments("recent", recent, now, 0)  # 0 days: nothing is recent
    assert rechecks_comments("all", old, now, 30) and not rechecks_comments("none", recent, now, 30)


@pytest.mark.parametrize(("line", "error"), [("recheck_comments: sometimes", "recent, all or none"),
                                              ("recheck_days: -1", "recheck_days must be 0 or more"),
                                              ("recheck_days: soon", "whole number")])
def test_a_bad_recheck_setting_is_a_config_error(cli, tserver, tmp_path, line, error):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(TISTORY_CONFIG.read_text().replace("tistory:\n", f"tistory:\n  {line}\n"))
    res, _ = run(cli, tserver, tmp_path, config=cfg)
    assert res.code == 2 and error in res.err + res.out, res


def recent(tblog, post_id: str, days: float = 2) -> None:
    """Post ``post_id`` of the fixture blog published (and last edited) ``days`` ago."""
    when = (datetime.now(KST) - timedelta(days=days)).replace(microsecond=0).isoformat()
    post = next(p for p in tblog.posts if str(p["id"]) == post_id)
    post["published"] = post["modified"] = when


def test_a_noop_resync_with_comments_on_makes_at_most_five_requests(cli, tserver, tblog, tmp_path):
    # the fixture blog without the two posts every resync asks for whatever the comments (the protected one,
    # never migrated, and the one the sitemap does not list: a conditional GET): what is left is the blog-wide
    # listing, the same for any number of posts
    tblog.posts = [p for p in tblog.posts if not p.get("protected")]
    for p in tblog.posts:
        p["sitemap"] = True
    res, site = run(cli, tserver, tmp_path)
    assert res.code == 0, res
    assert len(tserver.requests_to("/m/api/")) > 10  # comments are on: the first run read every count
    assert "not rechecked" not in res.out  # the first migration reads every post's comments
    tserver.log.clear()
    res, _ = run(cli, tserver, tmp_path)
    assert res.code == 0, res
    assert len(tserver.log) <= 5, tserver.log
    assert sorted(tserver.log) == ["/m/api/entry/0/NOTICE?page=0&size=10", "/m/notice/10", "/m/notice/12", "/rss",
                                   "/sitemap.xml"]
    # not silent: one line says how many posts' comments were not asked about, and how to ask
    line = next(ln for ln in res.out.splitlines() if "not rechecked" in ln)
    assert "comments not rechecked on 9 post(s) older than 30 days (tistory.recheck_comments: recent)" in line  # 7 posts, 2 notices
    assert "--full" in line and "recheck_comments: all" in line


def test_a_new_comment_on_a_recent_post_is_read_by_a_plain_resync(cli, tserver, tblog, tmp_path):
    recent(tblog, "4")
    res, site = run(cli, tserver, tmp_path)
    assert res.code == 0, res
    stem = json.loads((site / ".migrator/manifest.json").read_text())["posts"]["4"]["path"].rsplit("/", 1)[-1][:-3]
    assert not (site / f"_data/comments/{stem}.yml").exists()
    tblog.comments["4"] = [{"id": 402, "content": "새 글에 첫 댓글", "written": "2026-12-01 09:00:00", "isSecret": False,
                            "writer": {"name": "첫 독자"}, "children": []}]
    tserver.log.clear()
    res, _ = run(cli, tserver, tmp_path)
    assert res.code == 0, res
    assert [r["author"] for r in yaml.safe_load((site / f"_data/comments/{stem}.yml").read_text())] == ["첫 독자"]
    # the recent post's count, then its comments; the old posts' counts are not asked for
    assert tserver.requests_to("/m/api/4/") == ["/m/api/4/comment/count", "/m/api/4/comment"]
    assert [p for p in tserver.log if p.endswith("/comment/count")] == ["/m/api/4/comment/count"]
    assert "comments not rechecked on 8 post(s) older than 30 days" in res.out


def test_a_new_comment_on_an_old_post_is_reported_not_rechecked_then_read_with_full(cli, tserver, tblog, tmp_path):
    res, site = run(cli, tserver, tmp_path)
    assert res.code == 0, res
    stem = json.loads((site / ".migrator/manifest.json").read_text())["posts"]["1"]["path"].rsplit("/", 1)[-1][:-3]
    comments = site / f"_data/comments/{stem}.yml"
    before = comments.read_text()
    tblog.comments["1"].append({"id": 103, "content": "십 년 뒤의 댓글", "written": "2026-12-01 09:00:00",
                                "isSecret": False, "writer": {"name": "늦은 독자"}, "children": []})
    res, _ = run(cli, tserver, tmp_path)  # recheck_comments: recent (the default): post 1 is from 2011
    assert res.code == 0, res
    assert comments.read_text() == before  # not asked for ...
    assert "comments not rechecked on 9 post(s) older than 30 days" in res.out  # ... and said so
    tserver.log.clear()
    res, _ = run(cli, tserver, tmp_path, "--full")
    assert res.code == 0, res
    assert "늦은 독자" in comments.read_text() and "not rechecked" not in res.out
    assert "/m/api/1/comment" in tserver.log


def test_recheck_comments_none_asks_no_count_even_for_a_recent_post(cli, tserver, tblog, tmp_path):
    recent(tblog, "4")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(TISTORY_CONFIG.read_text().replace("tistory:\n", "tistory:\n  recheck_comments: none\n"))
    res, site = run(cli, tserver, tmp_path, config=cfg)
    assert res.code == 0, res
    tserver.log.clear()
    res, _ = run(cli, tserver, tmp_path, config=cfg)
    assert res.code == 0, res
    assert not [p for p in tserver.log if "/comment" in p], tserver.log
    assert "comments not rechecked on 9 unchanged post(s) (tistory.recheck_comments: none)" in res.out


def test_comments_turned_on_after_a_run_without_them_are_read_for_every_post(cli, tserver, tblog, tmp_path):
    off = tmp_path / "off.yaml"
    off.write_text(TISTORY_CONFIG.read_text() + "comments: false\n")
    res, site = run(cli, tserver, tmp_path, config=off)
    assert res.code == 0, res and not (site / "_data/comments").exists()
    res, _ = run(cli, tserver, tmp_path)  # comments on: no post's count was ever recorded, so all are asked
    assert res.code == 0, res
    assert "not rechecked" not in res.out
    stem = json.loads((site / ".migrator/manifest.json").read_text())["posts"]["1"]["path"].rsplit("/", 1)[-1][:-3]
    assert (site / f"_data/comments/{stem}.yml").exists()  # post 1 is from 2011
