"""`migrator publish --github-pages`: the files, never over the user's, the workflows checked, their steps run here."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import EXAMPLE_CONFIG
from migrator.publish import classic_warnings, gemfile, pages_workflow, resync_command, resync_workflow
from workflow_check import check_workflow

SPEC = "migrator @ git+https://github.com/example/migrator@v0.1.0"
JEKYLL = shutil.which("jekyll")
BUNDLE = shutil.which("bundle")
VENV_BIN = str(Path(sys.executable).parent)  # where this migrator's console script is


def test_gemfile_jekyll4_names_the_theme_and_the_plugins_of_config():
    text = gemfile({"theme": "minima", "plugins": ["jekyll-redirect-from", "jekyll-feed", "jekyll-archives"]})
    assert 'gem "jekyll", "~> 4.3"' in text and 'gem "minima", "~> 2.5"' in text
    group = text.split("group :jekyll_plugins do", 1)[1]
    assert 'gem "jekyll-redirect-from", "~> 0.16"' in group and 'gem "jekyll-archives"' in group
    assert "github-pages" not in text


def test_gemfile_classic_pins_github_pages_and_warns_about_other_plugins():
    text = gemfile({"plugins": ["jekyll-redirect-from"]}, classic=True)
    assert 'gem "github-pages", group: :jekyll_plugins' in text and '"jekyll",' not in text
    assert classic_warnings({"plugins": ["jekyll-redirect-from", "jekyll-archives"]}) == [
        "jekyll-archives is not among the plugins GitHub Pages' classic build allows: it will be ignored there "
        "(publish without --classic to build with Jekyll 4 and any plugin)"
    ]


@pytest.mark.parametrize("classic", [False, True])
@pytest.mark.parametrize("install", [None, SPEC])
def test_pages_workflow_passes_the_structural_check(classic, install):
    text = pages_workflow(classic=classic, install=install)
    assert check_workflow(text) == []
    data = yaml.safe_load(text)
    uses = [s.get("uses", "").split("@")[0] for j in data["jobs"].values() for s in j["steps"]]
    assert {"actions/checkout", "actions/configure-pages", "actions/upload-pages-artifact", "actions/deploy-pages"} <= set(uses)
    assert ("actions/jekyll-build-pages" in uses) == classic and ("ruby/setup-ruby" in uses) != classic
    assert data["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert ("migrator verify . --build" in text) == bool(install)


def test_resync_workflow_passes_the_structural_check_and_never_pushes_to_main():
    text = resync_workflow("https://name.blogspot.com", SPEC)
    assert check_workflow(text) == []
    data = yaml.safe_load(text)
    steps = data["jobs"]["resync"]["steps"]
    pr = next(s for s in steps if s.get("uses", "").startswith("peter-evans/create-pull-request"))
    assert pr["with"]["body-path"] == "${{ runner.temp }}/migrator-report.md" and pr["with"]["branch"] != "main"
    assert "git push" not in text
    assert data[True]["schedule"] == [{"cron": "17 4 * * *"}] and "workflow_dispatch" in data[True]


def test_the_structural_check_catches_mistakes():
    bad = pages_workflow().replace("actions/deploy-pages@v4", "actions/deploy-pages@v1").replace(
        "steps.pages.outputs.base_path", "steps.nope.outputs.base_path"
    )
    problems = check_workflow(bad + "      - run: if then fi fi\n")
    assert any("deploy-pages@v1" in p for p in problems)
    assert any("'nope' is not defined" in p for p in problems)
    assert any("bash -n" in p for p in problems)


def test_publish_writes_only_what_is_missing(migrate, quiet_server, cli, tmp_path):
    res, site = migrate(quiet_server)
    (site / "Gemfile").write_text("# mine\n")
    res = cli("publish", site, "--github-pages", "--install", SPEC)
    assert res.code == 0, res
    assert (site / "Gemfile").read_text() == "# mine\n" and "(already there)" in res.out
    assert "your Gemfile does not name jekyll" in res.out
    for rel in (".github/workflows/pages.yml", ".gitignore", "_includes/comments.html", "_layouts/post.html"):
        assert (site / rel).exists(), rel
    assert not (site / ".github/workflows/migrator-resync.yml").exists()
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    res = cli("publish", site, "--github-pages", "--install", SPEC)
    assert res.code == 0 and "wrote" not in res.out
    assert before == {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    res = cli("publish", site, "--github-pages")  # no --install: the workflow kept has its link check already
    assert res.code == 0 and "no link check" not in res.out, res.out
    (site / ".github/workflows/pages.yml").write_text("name: mine\n")
    for extra in ((), ("--install", SPEC)):  # --install never rewrites a kept workflow: the advice says what does
        res = cli("publish", site, "--github-pages", *extra)
        assert res.code == 0 and "(kept as it is) has no link check" in res.out, res.out


def test_publish_leaves_a_config_it_did_not_write_alone(tmp_path, cli):
    site = tmp_path / "s"
    site.mkdir()
    (site / "_config.yml").write_text("title: mine\ntheme: minima\n")
    res = cli("publish", site, "--github-pages")
    assert res.code == 0, res
    assert not (site / "_layouts").exists() and not (site / "_includes").exists()
    assert "no link check" in res.out and "add jekyll-redirect-from" in res.out


def test_publish_sync_without_an_install_spec_is_a_usage_error(migrate, quiet_server, cli):
    _, site = migrate(quiet_server)
    res = cli("publish", site, "--github-pages", "--sync-workflow")
    assert res.code == 2 and "PyPI name `migrator` is another project" in res.err


def test_publish_help_explains_every_flag():
    from migrator.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices
    for name in ("publish", "redirects", "verify"):
        for action in sub[name]._actions:
            assert action.help, (name, action.dest)


# --- the workflows' own steps, run here ---------------------------------------------------------------------


def _step(workflow: str, name: str) -> dict:
    data = yaml.safe_load(workflow)
    for job in data["jobs"].values():
        for step in job["steps"]:
            if step.get("name") == name or step.get("id") == name:
                return step
    raise KeyError(name)


@pytest.mark.skipif((JEKYLL is None or BUNDLE is None) and not os.environ.get("CI"), reason="jekyll and bundler needed")
@pytest.mark.parametrize("base_path", ["", "/repo"])
def test_the_pages_workflow_build_and_link_check_run_here(migrate, quiet_server, cli, tmp_path, base_path):
    """The workflow's `Build with Jekyll` step (bundle exec jekyll build, with the Gemfile publish wrote,
    resolved against Debian's gems), then its link check, as GitHub would run them for a user site (base path
    "") and a project site ("/repo")."""
    config = tmp_path / "config.yaml"  # a project site is migrated with its baseurl, so images carry it
    config.write_text(EXAMPLE_CONFIG.read_text() + (f"site:\n  baseurl: {base_path}\n" if base_path else ""))
    res, site = migrate(quiet_server, "--config", config)
    assert res.code == 0, res
    assert cli("redirects", site, "--to", "https://me.github.io").code == 0
    assert cli("publish", site, "--github-pages", "--install", SPEC).code == 0
    workflow = (site / ".github/workflows/pages.yml").read_text()
    build = _step(workflow, "Build with Jekyll")
    script = build["run"].replace("${{ steps.pages.outputs.base_path }}", base_path)
    env = {**os.environ, **build["env"], "PATH": f"{VENV_BIN}:{os.environ['PATH']}"}
    proc = subprocess.run(["bash", "-e", "-c", script], cwd=site, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    index = (site / "_site/index.html").read_text()
    assert f'href="{base_path}/2024/03/hello-world.html"' in index
    assert (site / "_site/sitemap.xml").exists() and (site / "_site/feed.xml").exists()
    check = _step(workflow, "Check every internal link, image and redirect")
    script = "\n".join(line for line in check["run"].splitlines() if "pip install" not in line)  # migrator is here
    env = {**env, **check["env"], "BASE_PATH": base_path}
    proc = subprocess.run(["bash", "-e", "-c", script], cwd=site, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "all resolve" in proc.stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="git is needed")
def test_the_resync_workflow_step_gives_the_report_a_reviewer_reads(migrate, quiet_server, blog, cli, tmp_path):
    res, site = migrate(quiet_server)
    assert cli("redirects", site, "--to", "https://me.github.io").code == 0
    res = cli("publish", site, "--github-pages", "--sync-workflow", "--install", SPEC, "--config", EXAMPLE_CONFIG)
    assert res.code == 0, res
    workflow = (site / ".github/workflows/migrator-resync.yml").read_text()
    assert check_workflow(workflow) == []
    step = _step(workflow, "resync")
    assert step["env"]["SOURCE"] == quiet_server.url  # the address the manifest recorded
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=site, check=True)
    subprocess.run([*git, "add", "-A"], cwd=site, check=True)
    subprocess.run([*git, "commit", "-qm", "migrated"], cwd=site, check=True)

    def run_step() -> tuple[str, str, str]:
        runner_temp = tmp_path / "runner"
        runner_temp.mkdir(exist_ok=True)
        (runner_temp / "out").write_text("")
        env = {**os.environ, "PATH": f"{VENV_BIN}:{os.environ['PATH']}", "RUNNER_TEMP": str(runner_temp),
               "GITHUB_OUTPUT": str(runner_temp / "out"),
               **{k: v.replace("${{ runner.temp }}", str(runner_temp)) for k, v in step["env"].items()}}  # fmt: skip
        proc = subprocess.run(["bash", "-e", "-c", resync_command(workflow)], cwd=site, env=env,
                              capture_output=True, text=True, timeout=300)  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr
        status = subprocess.run(["git", "status", "--porcelain"], cwd=site, capture_output=True, text=True).stdout
        return (runner_temp / "migrator-report.md").read_text(), (runner_temp / "out").read_text(), status

    body, out, status = run_step()  # nothing changed at the source: no pull request
    assert "exit-status=0" in out
    assert status == "", status
    hello = next(e for e in blog.entries if e["id"] == "1000000000000000001")
    hello["html"] = hello["html"].replace("first post", "very first post")
    hello["updated"] = "2099-01-01T00:00:00.000+09:00"
    body, out, status = run_step()
    assert "exit-status=0" in out
    assert "_posts/2024-03-02-hello-world.md" in status and ".migrator/manifest.json" in status
    assert "| update | 1 |" in body or re.search(r"update\D+1", body), body[:500]
    assert "very first post" in body and "_posts/2024-03-02-hello-world.md" in body  # the diff a reviewer reads
    assert len(body) <= 60_000 + 200
    rmap = json.loads((site / "_migrator/redirects/map.json").read_text())  # the redirects refreshed, not broken
    assert rmap["home"] == "https://me.github.io/" and "/2024/03/hello-world.html" in rmap["redirects"]
    data = json.loads((site / ".migrator/manifest.json").read_text())
    assert data["posts"]["1000000000000000001"]["status"] == "ok"


def test_an_unwritable_site_is_one_line_exit_5(migrate, quiet_server, cli):
    _, site = migrate(quiet_server)
    (site / "_migrator").write_text("a file where the redirects folder goes")
    res = cli("redirects", site, "--to", "https://me.github.io")
    assert res.code == 5 and "cannot write into" in res.err and "Traceback" not in res.err
    (site / ".github").write_text("a file")
    res = cli("publish", site, "--github-pages")
    assert res.code == 5 and "cannot write" in res.err
    res = cli("redirects", site / "nowhere", "--to", "https://me.github.io")
    assert res.code == 2 and "no migration manifest" in res.err
