"""`migrator verify --build`: the fixture sites build and every internal reference resolves; breakage is named
per page; the map `migrator redirects` wrote points at pages Jekyll really built (both URL styles)."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from conftest import TISTORY_CONFIG

JEKYLL = shutil.which("jekyll")
pytestmark = pytest.mark.skipif(JEKYLL is None and not os.environ.get("CI"), reason="jekyll is not installed")


def test_blogger_fixture_site_has_no_broken_link(quiet_server, migrate, cli):
    res, site = migrate(quiet_server)
    assert res.code == 0, res
    assert cli("redirects", site, "--to", "https://me.github.io").code == 0
    res = cli("verify", site, "--build")
    assert res.code == 0, res
    assert "OK: the site builds" in res.out and "all resolve" in res.out
    assert not (site / "_site").exists() and not (site / ".jekyll-cache").exists()  # built in a temp folder


@pytest.mark.parametrize("urls", ["preserve", "jekyll"])
def test_tistory_fixture_site_has_no_broken_link(tserver, cli, tmp_path, urls):
    site = tmp_path / "site"
    res = cli("migrate", tserver.url, "--out", site, "--config", TISTORY_CONFIG, "--urls", urls)
    assert res.code == 0, res
    assert cli("redirects", site, "--to", "https://me.github.io").code == 0
    res = cli("verify", site, "--build")
    assert res.code == 0, res


def test_jekyll_urls_the_map_predicts_are_the_ones_jekyll_builds(quiet_server, migrate, cli, tmp_path):
    """With `urls: jekyll` the new URL of a post is Jekyll's permalink, not the old path: the map must know
    it (verify --build checks every map target against the build)."""
    res, site = migrate(quiet_server, "--urls", "jekyll")
    assert res.code == 0, res
    assert cli("redirects", site, "--to", "https://me.github.io").code == 0
    mapping = json.loads((site / "_migrator/redirects/map.json").read_text())["redirects"]
    assert mapping["/2024/03/hello-world.html"]["new"] == "https://me.github.io/2024/03/hello-world.html"
    res = cli("verify", site, "--build")
    assert res.code == 0, res
    # and with another permalink style, the targets move with it
    cfg = site / "_config.yml"
    cfg.write_text(cfg.read_text().replace("permalink: /:year/:month/:title.html", "permalink: pretty"))
    assert cli("redirects", site, "--to", "https://me.github.io").code == 0
    mapping = json.loads((site / "_migrator/redirects/map.json").read_text())["redirects"]
    assert mapping["/2024/03/hello-world.html"]["new"] == "https://me.github.io/2024/03/02/hello-world/"
    res = cli("verify", site, "--build")
    assert res.code == 0, res


def test_broken_references_are_reported_per_page(quiet_server, migrate, cli):
    res, site = migrate(quiet_server)
    assert res.code == 0
    post = site / "_posts/2024-03-02-hello-world.md"
    old = json.loads((site / ".migrator/manifest.json").read_text())["source"]["url"]
    post.write_text(
        post.read_text()
        + "\n[gone](/2024/03/nope.html) ![x](/assets/img/missing.png) [anchor](/p/about.html#nowhere)"
        + f" [old]({old}/2024/04/code-and-liquid.html?m=1) [not migrated]({old}/2019/01/never.html)\n"
    )
    res = cli("verify", site, "--build")
    assert res.code == 1, res
    page = "2024/03/hello-world.html"
    assert page in res.out
    assert "<a href> /2024/03/nope.html does not exist" in res.out
    assert "<img src> /assets/img/missing.png does not exist" in res.out
    assert "no element with id 'nowhere' in p/about.html" in res.out
    assert "code-and-liquid.html?m=1 points at the old blog; it was migrated to /2024/04/code-and-liquid.html" in res.out
    assert "never.html" not in res.out  # not migrated: the old blog is the only place it lives
    assert "4 broken reference(s) on 1 page(s)." in res.out
    assert "problem" in res.out  # verify's manifest check also sees the edited post's missing image


def test_a_build_that_fails_is_a_failure(quiet_server, migrate, cli):
    _, site = migrate(quiet_server)
    (site / "bad.html").write_text("---\n---\n{% if %}\n")
    res = cli("verify", site, "--build")
    assert res.code == 1 and "jekyll build failed" in res.out


def test_lang_and_comments_show_on_a_new_site(tserver, quiet_server, migrate, cli, tmp_path):
    """A new Tistory site says lang="ko"; publish gives a site migrator scaffolded its comments include."""
    site = tmp_path / "t"
    assert cli("migrate", tserver.url, "--out", site, "--config", TISTORY_CONFIG).code == 0
    assert "lang: ko" in (site / "_config.yml").read_text()
    _, blog_site = migrate(quiet_server)
    assert cli("publish", blog_site, "--github-pages").code == 0
    import subprocess

    subprocess.run([JEKYLL, "build", "-s", str(blog_site), "-d", str(blog_site / "_site")], check=True,
                   capture_output=True)  # fmt: skip
    page = (blog_site / "_site/2024/03/hello-world.html").read_text()
    assert "2 comments" in page and "A Reader" in page and 'id="c5000000000000000001"' in page
    index = (blog_site / "_site/index.html").read_text()
    assert "This is the first post of the example blog" in index  # the home page shows each excerpt
