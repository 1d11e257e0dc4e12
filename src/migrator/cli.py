"""The command line. ``main(argv) -> int`` is the one place exceptions become exit codes."""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrator import __version__
from migrator.config import Config, load_config
from migrator.errors import ExitStatus, MigratorError, OutputError, UsageError
from migrator.sources import SOURCES
from migrator.sources import names as platform_names

if TYPE_CHECKING:
    from datetime import datetime

    from rich.console import Console


def _titles() -> str:
    titles = [src.title for src in SOURCES]
    return ", ".join(titles[:-1]) + " or " + titles[-1] if len(titles) > 1 else titles[0]


EPILOG = (
    "examples:\n"
    + "".join(f"  migrator migrate {src.example} --out site\n" for src in SOURCES)
    + "  migrator migrate feed.atom --out site --origin https://blog.example.com\n"
    + "  migrator migrate example-1-1.zip --out site --origin https://NAME.tistory.com   (a Tistory backup)\n"
    + "  migrator migrate takeout-20261201T000000Z-*.zip --out site --blog \"My Blog\" --offline\n"
    f"  migrator migrate https://blog.example.com --platform {SOURCES[0].name} --out site --dry-run "
    "--report plan.html\n"
    """  migrator status site
  migrator verify site --build
  migrator redirects site --to https://USER.github.io
  migrator publish site --github-pages --sync-workflow --install 'git+https://github.com/USER/migrator'
  migrator localize site --clean --dry-run --report plan.html

exit status: 0 all migrated; 1 finished but some items failed (listed, retried next run);
2 usage or config error; 3 source unreachable; 4 not a blog / export without posts; 5 cannot write output.
"""
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message, f"see `{self.prog} --help`")


COMMANDS = ("migrate", "status", "verify", "redirects", "publish", "localize")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; ``command``: only that subcommand's own options are built (the others are
    there by name: building them all was 18 ms of every run, the redirects' formats imported for their help)."""
    if command is not None and command not in COMMANDS:
        command = None
    p = _Parser(
        prog="migrator",
        description=f"Move a {_titles()} blog into a Jekyll site, and keep it in sync.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"migrator {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    m = sub.add_parser(
        "migrate",
        help="migrate a blog into a Jekyll site (run again to resync)",
        description="Migrate SOURCE into the Jekyll site in --out. Running it again resyncs: only what "
        "changed is fetched and rewritten, and posts you edited by hand are never overwritten.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    S = argparse.SUPPRESS
    m.add_argument(
        "source",
        metavar="SOURCE",
        nargs="+",
        help="blog URL, or a Blogger export: a Takeout zip (every part of a split one, or a glob of them), the "
        "unpacked Takeout/ folder, feed.atom, blog-*.xml; or a Tistory backup (.zip or its folder)",
    )
    m.add_argument("--out", "-o", default=S, metavar="DIR", help="the Jekyll site directory to write (config: out)")
    m.add_argument("--config", "-c", metavar="FILE", help="YAML config file (see config.example.yaml)")
    m.add_argument(
        "--platform",
        choices=["auto", *platform_names()],
        default=S,
        help="source platform; auto detects it from the URL or the page (default: auto)",
    )
    m.add_argument(
        "--format",
        choices=["markdown", "html"],
        default=S,
        help="write posts as Markdown (default) or as cleaned HTML",
    )
    m.add_argument("--dry-run", action="store_true", default=S, help="show what would change; write nothing")
    m.add_argument("--report", metavar="PATH", default=S, help="write the run's report as .json, .md or .html")
    m.add_argument("--jobs", "-j", type=int, metavar="N", default=S, help="parallel downloads (default: 4)")
    m.add_argument(
        "--force",
        action="store_true",
        default=S,
        help="overwrite posts you edited by hand when the source changed too (conflicts)",
    )
    m.add_argument(
        "--prune",
        action="store_true",
        default=S,
        help="remove posts (and their unused images) that were deleted at the source",
    )
    m.add_argument(
        "--allow-private-network",
        action="store_true",
        default=S,
        help="allow fetching from loopback/private/link-local addresses (refused by default)",
    )
    m.add_argument("--limit", type=int, metavar="N", default=S, help="migrate at most N posts (a trial run)")
    m.add_argument(
        "--full",
        action="store_true",
        default=S,
        help="resync: read every post again instead of asking the source what changed since the last sync",
    )
    m.add_argument(
        "--origin",
        metavar="URL",
        action="append",
        default=S,
        help="the blog's address, for exports that do not record it; repeat it for a blog that moved "
        "domains (every one is internal for links, the first is the canonical one) (config: origins)",
    )
    m.add_argument("--timezone", metavar="TZ", default=S, help="the blog's IANA timezone, e.g. Asia/Seoul")
    m.add_argument(
        "--blog", metavar="NAME", default=S, help="an export that holds several blogs (a Takeout): which one"
    )
    m.add_argument(
        "--offline",
        action="store_true",
        default=S,
        help="download nothing: images come from the export's archive only; the missing ones are listed",
    )
    m.add_argument(
        "--publish-all",
        action="store_true",
        default=S,
        help="an export that does not say which posts are public (a Tistory backup without --origin): publish "
        "every post instead of writing each as a draft (config: publish_all)",
    )
    m.add_argument(
        "--urls",
        choices=["preserve", "jekyll"],
        default=S,
        help="preserve: each post keeps its old path (default); jekyll: site permalinks + redirect_from",
    )
    m.add_argument("-v", "--verbose", action="count", default=0, help="more output; tracebacks on errors")
    m.add_argument("-q", "--quiet", action="store_true", help="only errors and the exit status")

    if command == "migrate":
        for name in COMMANDS[1:]:
            sub.add_parser(name)  # by name only: this run is a migrate
        return p
    s = sub.add_parser("status", help="what the manifest says: counts, last sync, failures")
    s.add_argument("dir", metavar="DIR", help="a migrated site directory")
    v = sub.add_parser("verify", help="check that the site's files and images match the manifest")
    v.add_argument("dir", metavar="DIR", help="a migrated site directory")
    _verify_build_flags(v)
    r = _redirects_parser(sub)
    pub = _publish_parser(sub)
    loc = _localize_parser(sub)
    for q in (s, v, r, pub, loc):
        q.add_argument("-v", "--verbose", action="count", default=0, help="tracebacks on errors")
        q.add_argument("-q", "--quiet", action="store_true", help="only the exit status")
    return p


def _command_of(argv: list[str] | None) -> str | None:
    """The subcommand ``argv`` starts with, if it is one (``--help migrate`` asks for the whole help)."""
    args = sys.argv[1:] if argv is None else argv
    return args[0] if args and args[0] in COMMANDS else None


def _verify_build_flags(v: argparse.ArgumentParser) -> None:
    v.add_argument(
        "--build",
        action="store_true",
        help="also run `jekyll build` (into a temporary folder) and check every internal link, image and "
        "redirect of the built site offline; no page may link to the old blog for migrated content",
    )
    v.add_argument("--built", metavar="DIR", help="with --build: check this finished build (e.g. _site) instead")
    v.add_argument(
        "--baseurl", metavar="PATH", help="with --build: the base path the site was built with (default: _config.yml's)"
    )
    v.add_argument(
        "--jekyll", metavar="CMD", help="with --build: the jekyll command (default: jekyll; e.g. 'bundle exec jekyll')"
    )


def _redirects_parser(sub: Any) -> argparse.ArgumentParser:
    from migrator.redirects import FORMATS, SERVER_FORMATS

    r = sub.add_parser(
        "redirects",
        help="what makes the old blog send readers to the new site (a theme or a snippet for the old platform...)",
        description="From the manifest, write into DIR/_migrator/redirects/ (not published) what sends every "
        "old URL (posts, pages, labels, categories, tags, archives, feeds) to its new address.",
    )
    r.add_argument("dir", metavar="DIR", help="a migrated site directory")
    r.add_argument(
        "--to", metavar="URL", help="the new site's address, e.g. https://USER.github.io (default: _config.yml's url)"
    )
    r.add_argument(
        "--format",
        choices=[*FORMATS, "all"],
        default="all",
        help=f"the old platform's own ({', '.join(f for f in FORMATS if f not in SERVER_FORMATS)}: a theme or a "
        "snippet it runs); netlify: _redirects (Netlify, Cloudflare Pages); nginx: a map; all: the old "
        "platform's own and both server formats (default)",
    )
    return r


def _publish_parser(sub: Any) -> argparse.ArgumentParser:
    pub = sub.add_parser(
        "publish",
        help="add what hosting needs (Gemfile, GitHub Pages workflow), never touching a file you have",
        description="Add the files a host needs to build and serve the site; a file that exists is kept.",
    )
    pub.add_argument("dir", metavar="DIR", help="a migrated site directory")
    pub.add_argument(
        "--github-pages",
        action="store_true",
        required=True,
        help="GitHub Pages: a Gemfile and .github/workflows/pages.yml (build, check links, deploy)",
    )
    pub.add_argument(
        "--classic",
        action="store_true",
        help="build as GitHub Pages' classic build does: the github-pages gem (Jekyll 3.10, allowed plugins only)",
    )
    pub.add_argument(
        "--sync-workflow",
        action="store_true",
        help="also .github/workflows/migrator-resync.yml: resync on a schedule, as a pull request with the report",
    )
    pub.add_argument(
        "--install",
        metavar="SPEC",
        help="the pip requirement the workflows install migrator from, e.g. "
        "'migrator @ git+https://github.com/YOU/migrator@v0.1.0' (default: where this copy was installed from)",
    )
    pub.add_argument(
        "--source", metavar="SOURCE", help="the blog the resync reads (default: the address the manifest recorded)"
    )
    pub.add_argument(
        "--config", metavar="FILE", help="a migrator config file for the resync, copied to .migrator/config.yaml"
    )
    pub.add_argument("--schedule", metavar="CRON", default="17 4 * * *", help="when the resync runs (default: daily)")
    pub.add_argument("--branch", metavar="NAME", default="main", help="the branch whose pushes deploy (default: main)")
    return pub


def _localize_parser(sub: Any) -> argparse.ArgumentParser:
    S = argparse.SUPPRESS
    lp = sub.add_parser(
        "localize",
        help="repair a site already migrated (by another tool or by hand): hot-linked platform images made local",
        description="Find every Blogger or Tistory image SITE still hot-links (front matter, Markdown, <img>, "
        "links around images, inline CSS), fetch its original, store it under assets/ and rewrite only that "
        "URL in place. Run it again: nothing new is fetched, failed images are retried.",
    )
    lp.add_argument("dir", metavar="SITE", help="the Jekyll site's folder")
    lp.add_argument("--config", "-c", metavar="FILE", help="YAML config file (images.dir, site.baseurl, http...)")
    lp.add_argument("--dry-run", action="store_true", default=S, help="show what would change; write nothing")
    lp.add_argument("--report", metavar="PATH", default=S, help="write a report (.json, .md or .html): per file the "
                    "diff and the images")
    lp.add_argument("--clean", action="store_true", help="also remove editor leftovers: data-ke-* attributes, "
                    "&nbsp; spacer paragraphs, the inline styles of Blogger's separator wrappers")
    lp.add_argument("--include-drafts", action="store_true", help="also the drafts in _drafts/")
    lp.add_argument("--all-hosts", action="store_true", help="localize every remote image, not only Blogger's "
                    "and Tistory's")
    lp.add_argument("--refresh-from", metavar="URL", help="the Tistory blog (https://NAME.tistory.com): an expired "
                    "signed image URL is replaced by a current one from the post's live page")
    lp.add_argument("--image-host", metavar="HOST", action="append", default=[], help="a host that serves the "
                    "platforms' images too (a mirror, a test server); repeatable")
    lp.add_argument("--key", metavar="KEY", action="append", default=[], help="one more front matter key that "
                    "holds an image (dotted: header.cover); repeatable")
    lp.add_argument("--force", action="store_true", default=S, help="also edit files changed by hand since the "
                    "last run (conflicts)")
    lp.add_argument("--jobs", "-j", type=int, metavar="N", default=S, help="parallel downloads (default: 4)")
    lp.add_argument("--allow-private-network", action="store_true", default=S,
                    help="allow fetching from loopback/private/link-local addresses (refused by default)")
    return lp


_FLAG_KEYS = {
    "out": "out",
    "platform": "platform",
    "format": "format",
    "dry_run": "dry_run",
    "report": "report",
    "jobs": "jobs",
    "force": "force",
    "prune": "prune",
    "allow_private_network": "allow_private_network",
    "limit": "limit",
    "full": "full",
    "origin": "origins",
    "timezone": "timezone",
    "urls": "urls",
    "blog": "blog",
    "offline": "offline",
    "publish_all": "publish_all",
}


def _config_from(args: argparse.Namespace) -> Config:
    overrides: dict[str, Any] = {}
    for attr, key in _FLAG_KEYS.items():
        if hasattr(args, attr):
            value = getattr(args, attr)
            overrides[key] = tuple(value) if isinstance(value, list) else value
    if args.quiet:
        overrides["verbosity"] = -1
    elif args.verbose:
        overrides["verbosity"] = args.verbose
    return load_config(args.config, overrides)


def _recorded(out: Path, source: str, cfg: Config) -> tuple[str | None, datetime | None]:
    """(platform, since) an earlier run into ``out`` recorded for this same source URL, from the manifest's
    header alone: the platform it found, and when a cheap resync of it may ask "what changed" from (None:
    every post will be read). (None, None) for a new site, an export file or another URL."""
    from migrator.manifest import resync_since, top_level
    from migrator.sources import normalize_source_url

    url = normalize_source_url(source)
    if not url:
        return None, None  # a file (an export): nothing recorded to match, the manifest is not read for it
    try:
        data = top_level(out / ".migrator" / "manifest.json", until="last_sync")  # its header only
    except (OSError, ValueError):
        return None, None
    if not isinstance(data, dict) or not isinstance(data.get("source") or {}, dict):
        return None, None
    recorded = {str(k): str(v) for k, v in (data.get("source") or {}).items()}
    if recorded.get("requested") != url:
        return None, None
    platform = recorded.get("platform")
    last_sync = data.get("last_sync")
    since = resync_since(recorded, last_sync if isinstance(last_sync, str) else None, platform=platform, full=cfg.full)
    if recorded.get("clean") == "no":  # a post or an image to retry: the pipeline will read every post
        since = None
    return platform, since


def _manifest_aside(out: Path, readonly: bool) -> Any:
    """The site's manifest read in a thread (a Future), while the main thread opens the source: reading a
    1,000-post manifest is 85 ms of CPU, the source's first request mostly a wait on the network."""
    import threading
    from concurrent.futures import Future

    future: Future = Future()

    def read() -> None:
        try:
            from migrator.manifest import Manifest

            future.set_result(Manifest.load(out, readonly=readonly))
        except BaseException as e:  # noqa: BLE001 - given to the main thread, which raises it
            future.set_exception(e)

    threading.Thread(target=read, name="manifest", daemon=True).start()
    return future


def _run_with_progress(
    source: Any, cfg: Config, out: Path, http: Any, err_console: Console, manifest: Any = None
) -> Any:
    """The migration with a progress bar on stderr (rich draws it only on a terminal)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from migrator.pipeline import Migration

    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(bar_width=30),
        MofNCompleteColumn(),
        TextColumn("{task.fields[current]}", style="dim"),
        TimeElapsedColumn(),
        console=err_console.real() if isinstance(err_console, _LazyConsole) else err_console,
        transient=True,
    )
    with progress:
        task = progress.add_task("posts", total=None, current="")

        def tick(title: str) -> None:
            # a bar once the source knows how many posts there are (a feed's total, a listing's length)
            total = source.expected_total
            progress.update(task, advance=1, current=title[:60], total=total or None)

        return Migration(source, cfg, out, http, tick, manifest).run()


def _migrate(args: argparse.Namespace, out_console: Console, err_console: Console) -> int:
    from migrator.http import HttpClient
    from migrator.pipeline import Migration
    from migrator.report import print_summary, write_report
    from migrator.runtime import long_lived
    from migrator.sources import find_source, normalize_source_url

    cfg = _config_from(args)
    if not cfg.out:
        raise UsageError("no output directory", "pass --out DIR (or set out: in the config file)")
    out = Path(cfg.out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} exists and is not a directory", "pass a folder for the site (new or existing)")
    if cfg.report and Path(cfg.report).suffix.lower() not in (".json", ".md", ".html", ".htm"):
        raise UsageError(f"--report {cfg.report}: use a .json, .md or .html file name")
    http = HttpClient(
        cfg.http,
        allow_private=cfg.allow_private_network,
        allow_hosts=cfg.allow_private_hosts,
        pool_size=max(10, cfg.jobs * 2),
    )
    try:
        parts = args.source if len(args.source) > 1 else args.source[0]  # several: one export's parts
        recorded, since = _recorded(out, args.source[0], cfg)
        if len(args.source) > 1 or normalize_source_url(args.source[0]) is None:
            long_lived()  # an export's scan is no start: the collector's policy of the run from now
        aside = _manifest_aside(out, cfg.dry_run) if recorded else None  # a resync: read while the source opens
        if cfg.verbosity >= 0:  # while the source opens, a retry is the only sign of life: say it
            http.on_retry = lambda url, why, seconds, attempt, attempts: err_console.print(
                f"migrator: {url}: {why}; trying again in {seconds:.0f} s (attempt {attempt} of {attempts})",
                highlight=False, markup=False, soft_wrap=True,
            )  # fmt: skip
        source = find_source(parts, cfg, http, recorded, resync_since=since)
        http.on_retry = None  # the run's own retries are in its summary (what failed after them)
        manifest = aside.result() if aside is not None else None
        if cfg.verbosity < 0 or not err_console.is_terminal:  # --quiet, or a log: no bar (rich draws none there,
            # but its stop wrote an empty line before an error), nor rich's progress module
            report = Migration(source, cfg, out, http, lambda title: None, manifest).run()
        else:
            report = _run_with_progress(source, cfg, out, http, err_console, manifest)
    finally:
        http.close()
    if cfg.verbosity >= 0:
        print_summary(report, out_console)  # first: an unwritable report must not hide what the run did
    if cfg.report:
        try:
            write_report(report, Path(cfg.report))
        except OSError as e:
            raise OutputError(
                f"cannot write the report {cfg.report}: {e.strerror or e}",
                "the site was written; pass a --report path you can write, or run again without it",
            ) from None
        if cfg.verbosity >= 0:
            out_console.print(f"Report written to {cfg.report}", highlight=False)
    return int(report.exit_status())


def _localize(args: argparse.Namespace, out_console: Console) -> int:
    from migrator.http import HttpClient
    from migrator.localize import LocalizeOptions, localize, print_summary
    from migrator.report import write_report

    overrides: dict[str, Any] = {
        key: getattr(args, key)
        for key in ("dry_run", "report", "jobs", "force", "allow_private_network")
        if hasattr(args, key)
    }
    if args.quiet:
        overrides["verbosity"] = -1
    cfg = load_config(args.config, overrides)
    site = Path(args.dir)
    if not site.is_dir():
        raise UsageError(f"{site} is not a directory", "pass the folder of a Jekyll site")
    opts = LocalizeOptions(
        dry_run=cfg.dry_run,
        clean=args.clean,
        include_drafts=args.include_drafts,
        all_hosts=args.all_hosts,
        force=cfg.force,
        refresh_from=args.refresh_from,
        image_hosts=tuple(args.image_host),
        keys=tuple(args.key),
    )
    http = HttpClient(cfg.http, allow_private=cfg.allow_private_network, allow_hosts=cfg.allow_private_hosts,
                      pool_size=max(10, cfg.jobs * 2))
    try:
        report = localize(site, cfg, opts, http)
    finally:
        http.close()
    if cfg.verbosity >= 0:
        print_summary(report, out_console)
    if cfg.report:
        try:
            write_report(report, Path(cfg.report))
        except OSError as e:
            raise OutputError(f"cannot write the report {cfg.report}: {e.strerror or e}") from None
        if cfg.verbosity >= 0:
            out_console.print(f"Report written to {cfg.report}", highlight=False)
    return int(report.exit_status())


def _status(args: argparse.Namespace, out_console: Console) -> int:
    from migrator.verify import status

    out = Path(args.dir)
    _need_manifest(out)
    st = status(out)
    if args.quiet:
        return 0
    out_console.print(
        f"source: {st.source.get('platform', '?')} {st.source.get('url', '')}  last sync: {st.last_sync or 'never'}",
        highlight=False,
    )
    if not st.last_sync:
        from migrator.manifest import SiteLock

        holder = SiteLock.holder(out)
        out_console.print(
            f"The first migration of this site is running now (pid {holder}): what it has done so far is below."
            if holder is not None
            else "No run has finished on this site yet (the first one was stopped): run the same migrate command "
            "again to complete it.",
            highlight=False,
        )
    from rich.table import Table

    table = Table(show_header=True, header_style="bold")
    table.add_column("posts by status")
    table.add_column("count", justify="right")
    for k, n in sorted(st.posts.items()):
        table.add_row(k, str(n))
    for k, n in sorted(st.assets.items()):
        table.add_row(f"images {k}", str(n))
    out_console.print(table)
    for what, why in st.failures:
        out_console.print(f"[red]{why}[/red]: {what}", highlight=False)
    conflicts = st.posts.get("conflict", 0)
    if len(st.failures) > conflicts:
        out_console.print("Run the same migrate command again to retry the failed items.")
    if conflicts:
        out_console.print(
            f"{conflicts} post(s) in conflict keep your edit (the source changed them too): compare, then run "
            "migrate with --force to take the source's version, or leave them as they are."
        )
    return 0


def _need_manifest(out: Path) -> None:
    if not (out / ".migrator" / "manifest.json").exists() and not (out / ".migrator" / "journal.jsonl").exists():
        from migrator.manifest import SiteLock

        holder = SiteLock.holder(out)
        if holder is not None:
            raise UsageError(
                f"{out} is being migrated now (pid {holder}) and has no manifest yet",
                "run this again once that migration has written its first posts, or when it ends",
            )
        raise UsageError(f"{out} has no migration manifest", "run `migrator migrate SOURCE --out DIR` first")


def _verify(args: argparse.Namespace, out_console: Console) -> int:
    from migrator.verify import verify

    _need_manifest(Path(args.dir))
    problems = verify(Path(args.dir))
    if not args.quiet:
        for p in problems:
            out_console.print(f"[red]problem[/red] {p}", highlight=False)
        if problems:
            out_console.print(f"{len(problems)} problem(s) found.")
        else:
            out_console.print("OK: every image is local and matches its checksum; manifest and files agree.")
    broken = _verify_build(args, out_console) if getattr(args, "build", False) else 0
    return int(ExitStatus.PARTIAL if problems or broken else ExitStatus.OK)


def _verify_build(args: argparse.Namespace, out_console: Console) -> int:
    from migrator.sitecheck import verify_build

    result = verify_build(
        Path(args.dir),
        built=Path(args.built) if args.built else None,
        baseurl=args.baseurl,
        jekyll=args.jekyll,
    )
    if not args.quiet:
        for page, problems in sorted(result.problems.items()):
            out_console.print(f"[bold]{page}[/bold]", highlight=False)
            for p in problems:
                out_console.print(f"  [red]broken[/red] {p}", highlight=False)
        if result.broken:
            out_console.print(f"{result.broken} broken reference(s) on {len(result.problems)} page(s).")
        else:
            out_console.print(
                f"OK: the site builds; {result.links} internal links, images and redirects on "
                f"{result.pages} pages all resolve.",
                highlight=False,
            )
    return result.broken


def _redirects(args: argparse.Namespace, out_console: Console) -> int:
    from migrator.redirects import formats_for, hint, read_site, write_redirects

    out = Path(args.dir)
    formats = formats_for(args.format, read_site(out).platform)
    done = write_redirects(out, args.to, formats)
    if args.quiet:
        return 0
    rmap = done.rmap
    assert rmap is not None
    kinds: dict[str, int] = {}
    for r in rmap.redirects:
        kinds[r.kind] = kinds.get(r.kind, 0) + 1
    counts = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    out_console.print(f"{len(rmap.redirects)} old paths mapped ({counts}); anything else -> {rmap.home}")
    for f in done.files:
        out_console.print(f"  wrote {f}", highlight=False)
    for page in done.pages:
        out_console.print(f"  added {out / page} (where those old URLs land)", highlight=False)
    for page in done.kept:
        out_console.print(f"  kept {out / page} (already there)", highlight=False)
    for fmt in formats:
        out_console.print(f"Next: {hint(fmt)}", highlight=False)
    return 0


def _publish(args: argparse.Namespace, out_console: Console) -> int:
    from migrator.publish import publish

    out = Path(args.dir)
    done = publish(
        out,
        classic=args.classic,
        sync=args.sync_workflow,
        install=args.install,
        source=args.source,
        config_file=Path(args.config) if args.config else None,
        schedule=args.schedule,
        branch=args.branch,
    )
    if args.quiet:
        return 0
    for rel in done.written:
        out_console.print(f"  wrote {out / rel}", highlight=False)
    for rel in done.kept:
        out_console.print(f"  kept {out / rel} (already there)", highlight=False)
    for w in done.warnings:
        out_console.print(f"[yellow]warning[/yellow] {w}", highlight=False)
    out_console.print(
        "Next: push the site to a GitHub repository; Settings -> Pages -> Source: GitHub Actions.", highlight=False
    )
    return 0


def _on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops a run the way Ctrl-C does: manifest saved, temp files removed


def main(argv: list[str] | None = None) -> int:
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return _main(argv)
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return _main(argv)
    finally:
        signal.signal(signal.SIGTERM, previous)


class _LazyConsole:
    """A rich Console made on first use: a ``--quiet`` run that has nothing to say never imports rich (a
    fifth of a no-op resync's imports)."""

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._console: Console | None = None

    def real(self) -> Console:
        """The Console itself (for rich's own objects that hold one, e.g. a progress bar)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._kwargs)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real(), name)


def _main(argv: list[str] | None) -> int:
    out_console: Any = _LazyConsole(highlight=False, soft_wrap=True)
    err_console: Any = _LazyConsole(stderr=True, highlight=False, soft_wrap=True)
    verbose = 0
    try:
        parser = build_parser(_command_of(argv))
        args = parser.parse_args(argv)
        verbose = getattr(args, "verbose", 0) or 0
        logging.basicConfig(
            level=logging.DEBUG if verbose > 1 else logging.WARNING,
            format="%(levelname)s %(name)s: %(message)s",
        )
        if args.command is None:
            parser.print_help()
            return int(ExitStatus.USAGE)
        if args.command == "migrate":
            return _migrate(args, out_console, err_console)
        from migrator.runtime import long_lived

        long_lived()  # the start's collector policy is for a migration's start only
        if args.command == "status":
            return _status(args, out_console)
        if args.command == "redirects":
            return _redirects(args, out_console)
        if args.command == "publish":
            return _publish(args, out_console)
        if args.command == "localize":
            return _localize(args, out_console)
        return _verify(args, out_console)
    except MigratorError as e:
        if verbose:
            traceback.print_exc()
        msg = f"migrator: error: {e.message}"
        if e.hint:
            msg += f" ({e.hint})"
        err_console.print(msg, highlight=False, markup=False, soft_wrap=True)
        return int(e.status)
    except KeyboardInterrupt:
        err_console.print("migrator: interrupted; run the same command again to resume", markup=False)
        return int(ExitStatus.INTERRUPTED)
    except Exception as e:  # a bug: say so in one line unless asked for more
        if verbose:
            traceback.print_exc()
        err_console.print(
            f"migrator: internal error: {type(e).__name__}: {e} (rerun with -v for a traceback; please report it)",
            markup=False,
            soft_wrap=True,
        )
        return 70


def entry() -> None:
    """The command line's exit codes (``migrator.__main__.run`` tunes the collector, then calls this)."""
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl-C before main() could catch it (while Python imports the modules)
        sys.stderr.write("migrator: interrupted\n")
        sys.exit(int(ExitStatus.INTERRUPTED))
