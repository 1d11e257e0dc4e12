"""Blogger comments: from the comments feed and from both export formats, to _data/comments/."""

from __future__ import annotations

import pytest
import yaml
from server import legacy_xml, takeout_atom

from conftest import EXAMPLE_CONFIG

HELLO = "_data/comments/2024-03-02-hello-world.yml"
EXPECTED_HELLO = [
    {"id": "5000000000000000001", "author": "A Reader", "date": "2024-03-03 10:00:00 +0900",
     "text": "Nice post!\nThanks for {{ this }}."},
    {"id": "5000000000000000002", "author": "Fixture Author", "date": "2024-03-03 11:30:00 +0900",
     "text": "Thank you.", "parent": "5000000000000000001"},
]


def test_comments_from_the_feed(quiet_server, migrate):
    res, site = migrate(quiet_server)
    assert res.code == 0, res
    assert yaml.safe_load((site / HELLO).read_text()) == EXPECTED_HELLO
    assert yaml.safe_load((site / "_data/comments/2024-03-10-blog-post.yml").read_text())[0]["author"] == "독자"
    assert len(list((site / "_data/comments").iterdir())) == 2
    assert "comments saved" in res.out


@pytest.mark.parametrize("kind", ["takeout", "legacy"])
def test_comments_from_exports(cli, quiet_server, blog, tmp_path, kind):
    path = tmp_path / ("feed.atom" if kind == "takeout" else "blog.xml")
    writer = takeout_atom if kind == "takeout" else legacy_xml
    path.write_text(writer(blog, "https://example.blogspot.com", quiet_server.img_url))
    cfg = tmp_path / "c.yaml"
    cfg.write_text("allow_private_network: true\ntimezone: Asia/Seoul\nblogger:\n  extra_image_hosts: ['127.0.0.1']\n")
    res = cli("migrate", path, "--out", tmp_path / "s", "--config", cfg)
    assert res.code == 0, res
    assert yaml.safe_load((tmp_path / "s" / HELLO).read_text()) == EXPECTED_HELLO


def test_a_new_comment_on_an_old_post_is_picked_up_by_a_resync(quiet_server, blog, migrate):
    res, site = migrate(quiet_server)
    hello_post = (site / "_posts/2024-03-02-hello-world.md").read_bytes()
    blog.comments.append({"id": "5000000000000000009", "post": "1000000000000000001", "author": "Late",
                          "published": "2099-01-01T00:00:00.000+09:00", "html": "Late to the party"})
    quiet_server.log.clear()
    res, _ = migrate(quiet_server)
    assert res.code == 0, res
    assert [c["author"] for c in yaml.safe_load((site / HELLO).read_text())][-1] == "Late"
    assert (site / "_posts/2024-03-02-hello-world.md").read_bytes() == hello_post  # the post itself unchanged
    assert len(quiet_server.log) <= 12, quiet_server.log  # still a cheap resync


def test_comments_can_be_turned_off(quiet_server, cli, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(EXAMPLE_CONFIG.read_text() + "comments: false\n")
    res = cli("migrate", quiet_server.url, "--out", tmp_path / "s", "--config", cfg)
    assert res.code == 0 and not (tmp_path / "s/_data").exists()
    assert not quiet_server.requests_to("/feeds/comments/")
