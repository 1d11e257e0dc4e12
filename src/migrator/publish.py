"""``migrator publish DIR --github-pages``: what a GitHub Pages site needs, and nothing the user has.

The renderers (:func:`gemfile`, :func:`pages_workflow`, :func:`resync_workflow`, :func:`gitignore`) are pure;
:func:`publish` writes each file only when it is absent, and says which ones it kept.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from migrator.errors import OutputError, UsageError
from migrator.jekyll import load_yaml, scaffold_files
from migrator.manifest import Manifest, atomic_write_text

# what GitHub Pages' classic build (the github-pages gem, Jekyll 3.10) allows: any other plugin is ignored there
CLASSIC_PLUGINS = frozenset(
    {
        "jekyll-avatar", "jekyll-coffeescript", "jekyll-commonmark-ghpages", "jekyll-default-layout",
        "jekyll-feed", "jekyll-gist", "jekyll-github-metadata", "jekyll-include-cache", "jekyll-mentions",
        "jekyll-optional-front-matter", "jekyll-paginate", "jekyll-readme-index", "jekyll-redirect-from",
        "jekyll-relative-links", "jekyll-remote-theme", "jekyll-sass-converter", "jekyll-seo-tag",
        "jekyll-sitemap", "jekyll-titles-from-headings", "jemoji",
    }
)  # fmt: skip
# version ranges for the gems a migrated site uses (Debian 12 packages each of these versions, so a local
# `bundle exec jekyll build` needs nothing from the network)
GEM_VERSIONS = {
    "jekyll": "~> 4.3",
    "minima": "~> 2.5",
    "jekyll-redirect-from": "~> 0.16",
    "jekyll-feed": "~> 0.17",
    "jekyll-seo-tag": "~> 2.8",
    "jekyll-sitemap": "~> 1.4",
    "webrick": "~> 1.8",
}
DEFAULT_PLUGINS = ("jekyll-redirect-from", "jekyll-feed", "jekyll-seo-tag", "jekyll-sitemap")
PAGES_WORKFLOW = ".github/workflows/pages.yml"
RESYNC_WORKFLOW = ".github/workflows/migrator-resync.yml"
REPORT = "${{ runner.temp }}/migrator-report.md"  # env: values are not shell-expanded
BODY_LIMIT = 60_000  # a pull request's body holds 65,536 characters


def site_plugins(config: dict) -> list[str]:
    """The plugins a ``_config.yml`` asks for (``plugins:``, or the old ``gems:``), in order."""
    raw = config.get("plugins") or config.get("gems") or []
    return [str(p) for p in raw if p] if isinstance(raw, list) else []


def _gem(name: str) -> str:
    version = GEM_VERSIONS.get(name)
    return f'gem "{name}", "{version}"' if version else f'gem "{name}"'


def gemfile(config: dict, *, classic: bool = False) -> str:
    """A Gemfile for ``bundle exec jekyll build``: Jekyll 4 with the theme and the plugins the site's
    ``_config.yml`` names; or, ``classic``, the ``github-pages`` gem (Jekyll 3.10, as GitHub builds it)."""
    head = ["# Written by migrator publish: what `bundle exec jekyll build` needs, here and on GitHub.", ""]
    head.append('source "https://rubygems.org"')
    head.append("")
    if classic:
        return "\n".join(
            head
            + [
                "# GitHub Pages' own build: Jekyll 3.10 and only the plugins GitHub allows",
                'gem "github-pages", group: :jekyll_plugins',
                _gem("webrick") + "  # for `jekyll serve` on Ruby 3",
                "",
            ]
        )
    lines = head + [_gem("jekyll")]
    theme = config.get("theme")
    if isinstance(theme, str) and theme:
        lines.append(_gem(theme) + "  # the theme _config.yml names")
    lines.append(_gem("webrick") + "  # for `jekyll serve` on Ruby 3")
    plugins = list(dict.fromkeys([*site_plugins(config)]))
    if config.get("remote_theme") and "jekyll-remote-theme" not in plugins:
        plugins.append("jekyll-remote-theme")
    if plugins:
        lines += ["", "group :jekyll_plugins do"] + [f"  {_gem(p)}" for p in plugins] + ["end"]
    return "\n".join(lines) + "\n"


def classic_warnings(config: dict) -> list[str]:
    return [
        f"{p} is not among the plugins GitHub Pages' classic build allows: it will be ignored there "
        "(publish without --classic to build with Jekyll 4 and any plugin)"
        for p in site_plugins(config)
        if p not in CLASSIC_PLUGINS
    ]


def _yaml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def pages_workflow(*, classic: bool = False, branch: str = "main", install: str | None = None) -> str:
    """``.github/workflows/pages.yml``: build (Jekyll 4 with bundler, or ``classic``: GitHub's own
    jekyll-build-pages), check every internal link with ``migrator verify --build`` (when ``install`` says
    where migrator comes from), and deploy with the official Pages actions."""
    if classic:
        build = """      - name: Build with GitHub Pages' Jekyll (3.10)
        uses: actions/jekyll-build-pages@v1
        with:
          source: ./
          destination: ./_site
"""
    else:
        build = """      - uses: ruby/setup-ruby@v1
        with:
          ruby-version: "3.3"
          bundler-cache: true
      - name: Build with Jekyll
        run: bundle exec jekyll build --baseurl "${{ steps.pages.outputs.base_path }}"
        env:
          JEKYLL_ENV: production
"""
    check = ""
    if install:
        check = f"""      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - name: Check every internal link, image and redirect
        run: |
          python -m pip install --quiet "$MIGRATOR"
          migrator verify . --build --built _site --baseurl "$BASE_PATH"
        env:
          MIGRATOR: {_yaml_str(install)}
          BASE_PATH: ${{{{ steps.pages.outputs.base_path }}}}
"""
    return f"""# Written by migrator publish: build the site, check its links, deploy it to GitHub Pages.
# Repository Settings -> Pages -> Build and deployment -> Source: GitHub Actions.
name: Deploy to GitHub Pages

on:
  push:
    branches: [{_yaml_str(branch)}]
  workflow_dispatch:

permissions:
  contents: read
  pages: write
  id-token: write

concurrency:
  group: pages
  cancel-in-progress: false

jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: pages
        uses: actions/configure-pages@v5
{build}{check}      - uses: actions/upload-pages-artifact@v3

  deploy:
    needs: build
    runs-on: ubuntu-latest
    environment:
      name: github-pages
      url: ${{{{ steps.deployment.outputs.page_url }}}}
    steps:
      - id: deployment
        uses: actions/deploy-pages@v4
"""


RESYNC_SCRIPT = """set +e
cfg=()
if [ -f .migrator/config.yaml ]; then cfg=(--config .migrator/config.yaml); fi
# first the plan, with a diff per updated post: the pull request's body; then the resync itself
migrator migrate "$SOURCE" --out . "${cfg[@]}" --dry-run --report "$REPORT" -q
code=$?
if [ "$code" -le 1 ]; then
  migrator migrate "$SOURCE" --out . "${cfg[@]}"
  code=$?
fi
set -e
rm -rf .migrator/lock .migrator/tmp
if [ "$code" -gt 1 ]; then
  echo "::error::migrator stopped with exit status $code"
  exit "$code"
fi
# new posts need new redirects: refresh what `migrator redirects` wrote (the theme to paste again is in the PR)
if [ -f _migrator/redirects/map.json ]; then
  home=$(python3 -c 'import json; print(json.load(open("_migrator/redirects/map.json"))["home"])')
  migrator redirects . --to "$home" -q
fi
# a run that changed nothing but the manifest's last_sync is not worth a pull request
if [ -z "$(git status --porcelain -- . ':(exclude).migrator/manifest.json')" ]; then
  git checkout -- .migrator/manifest.json 2>/dev/null || true
fi
if [ "$(wc -c < "$REPORT")" -gt BODY_LIMIT ]; then
  head -c BODY_LIMIT "$REPORT" > "$REPORT.cut"
  printf '\\n\\n(cut short: the whole report is attached to the workflow run)\\n' >> "$REPORT.cut"
  mv "$REPORT.cut" "$REPORT"
fi
echo "exit-status=$code" >> "$GITHUB_OUTPUT"
""".replace("BODY_LIMIT", str(BODY_LIMIT))


def resync_workflow(source: str, install: str, *, schedule: str = "17 4 * * *", branch: str = "migrator/resync") -> str:
    """``.github/workflows/migrator-resync.yml``: on a schedule (and on demand) resync from the old blog and
    open or update a pull request whose body is the run's Markdown report. Nothing is pushed to the default
    branch: a reviewer merges each sync."""
    if len(schedule.split()) != 5:
        raise UsageError(f"--schedule {schedule!r} is not a cron line", "five fields, e.g. '17 4 * * *' (daily)")
    script = "\n".join("          " + line if line else "" for line in RESYNC_SCRIPT.splitlines())
    return f"""# Written by migrator publish --sync-workflow: resync from the old blog, as a pull request.
# Repository Settings -> Actions -> General -> Workflow permissions: allow GitHub Actions to create pull requests.
name: Resync from the old blog

on:
  schedule:
    - cron: {_yaml_str(schedule)}
  workflow_dispatch:

permissions:
  contents: write
  pull-requests: write

concurrency:
  group: migrator-resync
  cancel-in-progress: false

jobs:
  resync:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - name: Install migrator
        run: python -m pip install --quiet "$MIGRATOR"
        env:
          MIGRATOR: {_yaml_str(install)}
      - name: Resync
        id: resync
        env:
          SOURCE: {_yaml_str(source)}
          REPORT: {REPORT}
        run: |
{script}
      - name: Keep the whole report
        uses: actions/upload-artifact@v4
        with:
          name: migrator-report
          path: ${{{{ runner.temp }}}}/migrator-report.md*
      - name: Open or update the pull request
        uses: peter-evans/create-pull-request@v7
        with:
          branch: {_yaml_str(branch)}
          delete-branch: true
          title: "Resync from the old blog"
          commit-message: "Resync from the old blog (migrator)"
          body-path: ${{{{ runner.temp }}}}/migrator-report.md
"""


GITIGNORE = """# Written by migrator publish
_site/
.jekyll-cache/
.jekyll-metadata
.sass-cache/
.bundle/
vendor/
.migrator/lock
.migrator/tmp/
.migrator/journal.jsonl
"""


def install_spec() -> str | None:
    """Where the workflows can install this migrator from: the VCS URL pip recorded when it was installed
    from one (PEP 610). ``None`` otherwise: the PyPI name ``migrator`` is another project."""
    from importlib import metadata

    try:
        raw = metadata.distribution("migrator").read_text("direct_url.json")
        info = json.loads(raw or "{}")
    except (metadata.PackageNotFoundError, ValueError):
        return None
    vcs = info.get("vcs_info") or {}
    url = info.get("url", "")
    if vcs.get("vcs") == "git" and url.startswith(("https://", "ssh://", "git@")):
        ref = vcs.get("commit_id") or vcs.get("requested_revision") or ""
        return f"migrator @ git+{url}" + (f"@{ref}" if ref else "")
    return None


@dataclass
class Published:
    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # already there: left alone
    warnings: list[str] = field(default_factory=list)


def _read_config(out: Path) -> tuple[str | None, dict]:
    try:
        text = (out / "_config.yml").read_text(encoding="utf-8")
    except OSError:
        return None, {}
    try:
        data = load_yaml(text) or {}
    except yaml.YAMLError as e:
        raise UsageError(f"{out / '_config.yml'} is not valid YAML: {e}", "fix it, then run publish again") from None
    return text, data if isinstance(data, dict) else {}


def publish(
    out: Path,
    *,
    classic: bool = False,
    sync: bool = False,
    install: str | None = None,
    source: str | None = None,
    config_file: Path | None = None,
    schedule: str = "17 4 * * *",
    branch: str = "main",
) -> Published:
    """Add the GitHub Pages files to the site ``out``: each only when absent."""
    if not out.is_dir():
        raise UsageError(f"{out} is not a site directory", "run `migrator migrate SOURCE --out DIR` first")
    text, config = _read_config(out)
    if text is None:
        raise UsageError(f"{out} has no _config.yml", "run `migrator migrate SOURCE --out DIR` first")
    install = install or install_spec()
    done = Published()
    files: dict[str, str] = {
        "Gemfile": gemfile(config, classic=classic),
        PAGES_WORKFLOW: pages_workflow(classic=classic, branch=branch, install=install),
        ".gitignore": GITIGNORE,
    }
    if sync:
        if not install:
            raise UsageError(
                "the resync workflow must install migrator, and the PyPI name `migrator` is another project",
                "pass --install 'migrator @ git+https://github.com/YOU/migrator@v0.1.0' (where your copy lives)",
            )
        source = source or _recorded_source(out)
        files[RESYNC_WORKFLOW] = resync_workflow(source, install, schedule=schedule)
        if config_file is not None:
            try:
                files[".migrator/config.yaml"] = config_file.read_text(encoding="utf-8")
            except OSError as e:
                raise UsageError(f"cannot read --config {config_file}: {e.strerror or e}") from None
    files.update(scaffold_files(text))  # the comments include (and layout hook) of a site migrator scaffolded
    for rel, content in files.items():
        target = out / rel
        if target.exists() or target.is_symlink():
            done.kept.append(rel)
            continue
        try:
            atomic_write_text(target, content)
        except OSError as e:
            raise OutputError(f"cannot write {target}: {e.strerror or e}", "check the permissions") from e
        done.written.append(rel)
    if classic:
        done.warnings += classic_warnings(config)
    else:
        missing = [p for p in DEFAULT_PLUGINS if p not in site_plugins(config)]
        if missing:
            done.warnings.append(f"_config.yml: add {', '.join(missing)} to plugins (feed, search tags, sitemap)")
    if PAGES_WORKFLOW in done.kept:
        if not _checks_links(out / PAGES_WORKFLOW):
            done.warnings.append(
                f"your {PAGES_WORKFLOW} (kept as it is) has no link check: add a `migrator verify . --build` "
                "step, or delete the file and run publish again with --install SPEC to get one"
            )
    elif not install:
        done.warnings.append(
            "the Pages workflow has no link check: pass --install SPEC (where pip gets migrator) to add one"
        )
    if "Gemfile" in done.kept and not classic and "jekyll" not in (out / "Gemfile").read_text(errors="replace"):
        done.warnings.append("your Gemfile does not name jekyll: the workflow runs `bundle exec jekyll build`")
    return done


def _checks_links(workflow: Path) -> bool:
    """Whether a Pages workflow the site already had runs ``migrator verify``."""
    try:
        return "migrator verify" in workflow.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def _recorded_source(out: Path) -> str:
    m = Manifest.load(out, readonly=True)
    source = m.source.get("requested") or m.source.get("url")
    if not source or not re.match(r"^https?://", source):
        raise UsageError(
            "the manifest records no blog address to resync from (an export file was migrated)",
            "pass --source https://blog.example.com (the live blog) to --sync-workflow",
        )
    return source


def resync_command(workflow_text: str) -> str:
    """The shell script of the resync workflow's ``Resync`` step (what the tests run locally)."""
    data = load_yaml(workflow_text)
    for step in data["jobs"]["resync"]["steps"]:
        if step.get("id") == "resync":
            return step["run"]
    raise ValueError("no resync step")
