"""Run results: the summary table, and the JSON / Markdown / HTML report files."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from migrator.errors import ExitStatus, UsageError
from migrator.models import RunStats

if TYPE_CHECKING:
    from rich.console import Console

ACTIONS = ("create", "update", "unchanged", "conflict", "deleted", "failed", "skipped")


@dataclass(slots=True)  # one per post of the run, kept to the end: no __dict__
class ReportItem:
    post_id: str
    source_url: str | None
    title: str
    path: str | None
    action: str
    kind: str = "post"
    diff: str | None = None
    error: str | None = None
    preview: str | None = None  # a dry run's rendered new file (front matter + body), for the HTML report
    fallback: dict | None = None  # the loss guard wrote (part of) the post as HTML: format, reason, lost_words
    sanitized: dict | None = None  # what the sanitiser removed (elements, event handlers, URLs, embeds)
    images: list[dict] | None = None  # localize: each image of the file (url, where, status, path, reason)


@dataclass
class Report:
    out: Path
    dry_run: bool = False
    blog_title: str = ""
    blog_url: str = ""
    items: list[ReportItem] = field(default_factory=list)
    stats: RunStats = field(default_factory=RunStats)
    requests: int = 0
    seconds: float = 0.0
    incomplete: bool = False
    previews: int = 0  # new posts whose rendered text a dry run kept for the report
    previews_omitted: int = 0  # ... and those it did not keep (the dry run's memory stays small)
    # action -> the items of that action counted but not kept in ``items`` (see :meth:`add`)
    not_kept: dict[str, int] = field(default_factory=dict)

    def add(self, item: ReportItem, keep: bool = True) -> None:
        """One post's result. ``keep=False``: only counted (a real run without ``--report`` needs no line per
        post: 100,000 of them were 14 MB); the summary is the same either way."""
        if keep:
            self.items.append(item)
        else:
            self.not_kept[item.action] = self.not_kept.get(item.action, 0) + 1

    def summary(self) -> dict[str, int]:
        counts = {a: 0 for a in ACTIONS if a != "skipped"}
        for item in self.items:
            counts[item.action] = counts.get(item.action, 0) + 1
        for action, n in self.not_kept.items():
            counts[action] = counts.get(action, 0) + n
        if not counts.get("skipped"):
            counts.pop("skipped", None)
        return counts

    def exit_status(self) -> ExitStatus:
        s = self.summary()
        if s.get("failed") or self.stats.images_failed or self.incomplete:
            return ExitStatus.PARTIAL
        return ExitStatus.OK

    def to_json(self, posts: bool = True) -> dict:
        """The JSON report (``posts=False``: its ``posts`` list left empty, for :func:`json_pieces`)."""
        return {
            "summary": self.summary(),
            "images": {
                "downloaded": self.stats.images_downloaded,
                "reused": self.stats.images_reused,
                "failed": self.stats.images_failed,
                "from_archive": self.stats.images_from_archive,
            },
            "posts": [_item_json(i) for i in self.items] if posts else [],
            "warnings": list(self.stats.warnings),
            "cleaned": dict(self.stats.cleaned),
            "unresolved_links": [{"file": f, "url": u} for f, u in self.stats.unresolved_links],
            "fallbacks": [{"file": f, "post": p, **fb} for f, p, fb in self.stats.fallbacks],
            "removed": list(self.stats.removed),
            "archives": list(self.stats.archives),
        }


def _item_json(i: ReportItem) -> dict:
    return {
        "source_url": i.source_url,
        "title": i.title,
        "path": i.path,
        "action": i.action,
        "diff": i.diff,
        **({"error": i.error} if i.error else {}),
        **({"fallback": i.fallback} if i.fallback else {}),
        **({"sanitized": i.sanitized} if i.sanitized else {}),
        **({"images": i.images} if i.images is not None else {}),
    }


def describe_removed(data: dict) -> str:
    """One line for a post's ``sanitized`` record (what the sanitiser removed)."""
    from collections import Counter

    from migrator.sanitize import Removed

    r = Removed(
        elements=Counter(data.get("elements") or {}),
        urls=list(data.get("urls") or []),
        embeds=list(data.get("embeds") or []),
        event_handlers=int(data.get("event_handlers") or 0),
    )
    return r.describe()


def print_plan(report: Report, console: Console, limit: int = 50) -> None:
    """A dry run's plan, post by post (unchanged posts left out)."""
    changes = [i for i in report.items if i.action != "unchanged"]
    if not changes:
        return
    from rich.table import Table

    table = Table(title="Plan", show_header=True, header_style="bold")
    table.add_column("action", no_wrap=True)
    # the file is what a reviewer looks for: whole on its line where the terminal allows, else folded, never cut
    widest = max(len(i.path or "-") for i in changes[:limit])
    table.add_column("file", overflow="fold", min_width=min(widest, max(20, console.width - 32)))
    table.add_column("title")
    for item in changes[:limit]:
        style = {"conflict": "yellow", "failed": "red", "deleted": "red", "create": "green"}.get(item.action)
        table.add_row(item.action, item.path or "-", (item.title or "")[:60], style=style)
    console.print(table)
    if len(changes) > limit:
        console.print(f"... and {len(changes) - limit} more: write them all with --report plan.html")


def print_summary(report: Report, console: Console) -> None:
    s = report.summary()
    if report.dry_run:
        print_plan(report, console)
    title = "Dry run: nothing was written" if report.dry_run else "Migration summary"
    from rich.table import Table

    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("what")
    table.add_column("count", justify="right")
    for action, n in s.items():
        style = "red" if action in ("failed", "conflict") and n else None
        label = {
            "create": "posts created",
            "update": "posts updated",
            "conflict": "posts in conflict (kept)",
            "deleted": "posts deleted at the source",
        }.get(action, f"posts {action}")
        if report.dry_run:
            label = label.replace("created", "to create").replace("updated", "to update")
        table.add_row(label, str(n), style=style)
    st = report.stats
    if st.images_from_archive:
        table.add_row("images from the archive", str(st.images_from_archive))
    table.add_row("images to download" if report.dry_run else "images downloaded", str(st.images_downloaded))
    table.add_row("images already local", str(st.images_reused))
    table.add_row("images failed", str(st.images_failed), style="red" if st.images_failed else None)
    if st.comments:
        table.add_row("comments to save" if report.dry_run else "comments saved", str(st.comments))
    table.add_row("HTTP requests", str(report.requests))
    console.print(table)
    for what, why in st.failures[:50]:
        console.print(f"[red]failed[/red] {what}: {why}", highlight=False)
    if len(st.failures) > 50:
        console.print(f"... and {len(st.failures) - 50} more (see `migrator status {report.out}`)")
    for where, url in st.unresolved_links[:50]:
        console.print(f"[yellow]link kept[/yellow] {where}: {url} (that post was not migrated)", highlight=False)
    for rel in st.removed[:200]:
        verb = "would remove" if report.dry_run else "removed"
        console.print(f"[yellow]{verb}[/yellow] {rel} (deleted at the source, --prune)", highlight=False)
    if len(st.removed) > 200:
        console.print(f"... and {len(st.removed) - 200} more files removed (see the report)")
    for where, _post, fb in st.fallbacks[:50]:
        what = "some blocks were" if fb.get("format") == "html-blocks" else "the post was"
        console.print(
            f"[yellow]kept as HTML[/yellow] {where}: {fb.get('reason')}; {what} written as HTML instead, "
            "so no word is lost",
            highlight=False,
        )
    if len(st.fallbacks) > 50:
        console.print(f"... and {len(st.fallbacks) - 50} more posts kept as HTML (see the manifest's fallback)")
    if st.sanitized:
        console.print(
            f"[yellow]unsafe markup removed[/yellow] from {len(st.sanitized)} post(s) (scripts, event handlers, "
            "javascript: links, embeds from hosts not allowed):",
            highlight=False,
        )
        for where, what in st.sanitized[:20]:
            console.print(f"  {where}: {what}", highlight=False, markup=False)
        if len(st.sanitized) > 20:
            console.print(f"  ... and {len(st.sanitized) - 20} more (see the report)")
    if st.archives:
        verb = "would add" if report.dry_run else "added"
        console.print(
            f"{verb} {len(st.archives)} archive page(s) at the old tag and category addresses (e.g. {st.archives[0]})",
            highlight=False,
        )
    for rule, n in st.cleaned.items():
        console.print(f"clean.remove {rule!r} removed boilerplate from {n} post(s)", highlight=False)
    for what, why in st.skips[:50]:
        console.print(f"[yellow]skipped[/yellow] {what}: {why}", highlight=False)
    for w in st.warnings:
        console.print(f"[yellow]warning[/yellow] {w}", highlight=False)
    for n in st.notes:
        console.print(f"note: {n}", highlight=False)
    conflicts = [i for i in report.items if i.action == "conflict"]
    for c in conflicts:
        console.print(
            f"[yellow]conflict[/yellow] {c.path}: changed at the source and edited here; kept your version "
            "(rerun with --force to overwrite)",
            highlight=False,
        )
    if report.dry_run:
        console.print("Next: run the same command without --dry-run to apply this plan.")
    else:
        console.print(f"Site written to [bold]{report.out}[/bold].", highlight=False)
        if st.failures or st.images_failed:
            console.print("Failed items are recorded and retried when you run the same command again.")
        from migrator.jekyll import serve_hint

        console.print(serve_hint(report.out), highlight=False)


def write_report(report: Report, path: Path) -> None:
    """The report file, written piece by piece: a 100,000-post report is never one string in memory (its
    HTML alone is ~150 MB; joined, encoded and written at once it was three times that at the peak)."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        pieces = json_pieces(report)
    elif suffix == ".md":
        pieces = markdown_pieces(report)
    elif suffix in (".html", ".htm"):
        pieces = html_pieces(report)
    else:
        raise UsageError(f"--report {path}: use a .json, .md or .html file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        buffered: list[str] = []
        size = 0
        for piece in pieces:
            buffered.append(piece)
            size += len(piece)
            if size > 1 << 20:
                f.write("".join(buffered))
                buffered, size = [], 0
        f.write("".join(buffered))


def json_pieces(report: Report) -> Iterator[str]:
    """The text of ``json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n"``, post by post (the
    posts' list of dicts is never built whole)."""
    whole = report.to_json(posts=False)

    def dump(value: object, level: int) -> str:
        return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + "  " * level)

    yield "{"
    for n, (key, value) in enumerate(whole.items()):
        yield ("," if n else "") + f"\n  {dump(key, 1)}: "
        if key != "posts":
            yield dump(value, 1)
            continue
        if not report.items:
            yield "[]"
            continue
        for i, item in enumerate(report.items):
            yield ("[\n    " if i == 0 else ",\n    ") + dump(_item_json(item), 2)
        yield "\n  ]"
    yield "\n}\n"


def render_markdown(report: Report) -> str:
    return "".join(markdown_pieces(report))


def markdown_pieces(report: Report) -> Iterator[str]:
    """The Markdown report, post by post."""
    lines = [f"# migrator report: {report.blog_title or report.blog_url}", ""]
    lines.append("| action | count |")
    lines.append("| --- | ---: |")
    for action, n in report.summary().items():
        lines.append(f"| {action} | {n} |")
    lines.append("")
    if report.stats.warnings:
        lines += ["## Warnings", "", *(f"- {w}" for w in report.stats.warnings), ""]
    yield "\n".join(lines) + "\n"
    for item in report.items:
        if item.action == "unchanged":
            continue
        lines = []
        lines.append(f"## {item.action}: {item.path or '(no file)'}")
        lines.append("")
        lines.append(f"- title: {item.title}")
        lines.append(f"- source: {item.source_url}")
        if item.error:
            lines.append(f"- error: {item.error}")
        if item.fallback:
            lines.append(f"- kept as HTML ({item.fallback.get('format')}): {item.fallback.get('reason')}")
        if item.sanitized:
            lines.append(f"- unsafe markup removed: {describe_removed(item.sanitized)}")
        for img in item.images or []:
            lines.append(f"- image {_image_line(img)}")
        if item.diff:
            lines += ["", "```diff", item.diff.rstrip("\n"), "```"]
        lines.append("")
        yield "\n".join(lines) + "\n"


_CSS = """
body{font:15px/1.5 system-ui,sans-serif;max-width:72em;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.5em} table.summary td,table.summary th{padding:.2em .8em;text-align:left}
section.post{border:1px solid #ddd;border-radius:6px;margin:1.2em 0;padding:.2em 1em 1em}
.action{display:inline-block;font-size:.75em;font-weight:bold;text-transform:uppercase;padding:.1em .5em;
 border-radius:4px;background:#eee;margin-right:.5em}
.create .action{background:#d7f5dc}.update .action{background:#dbe8ff}.conflict .action{background:#ffe1b3}
.deleted .action,.failed .action{background:#ffd6d6}.skipped .action{background:#eee}
.paths{color:#555;font-size:.9em}.paths code{background:#f4f4f4;padding:0 .3em}
pre.diff{background:#fafafa;border:1px solid #eee;padding:.5em;overflow:auto;font-size:.85em}
pre.diff .add{color:#116329;background:#e6ffec;display:block}
pre.diff .del{color:#82071e;background:#ffebe9;display:block}
.columns{display:grid;grid-template-columns:minmax(0,2fr) minmax(0,1fr);gap:1em}
.preview{border-left:3px solid #cde;padding-left:1em;min-width:0}.rendered{overflow-wrap:anywhere}
.rendered table{border-collapse:collapse}.rendered td,.rendered th{border:1px solid #ccc;padding:.2em .5em}
.rendered pre{background:#f6f8fa;padding:.5em;overflow:auto}.rendered iframe{max-width:100%}
.preview img{max-width:100%}.frontmatter{font-size:.85em;background:#f7f7f7;padding:.5em;overflow:auto}
.error{color:#b00}.fallback{color:#8a5300}ul.images{font-size:.85em}li.img.failed{color:#b00}
"""


def _image_line(img: dict) -> str:
    """One image of a file, for the Markdown and HTML reports: status, URL (original), where, path, reason."""
    parts = [f"{img.get('status')}: {img.get('url')}"]
    if img.get("original"):
        parts.append(f"(fetched from {img['original']})")
    parts.append(f"in {img.get('where')}")
    if img.get("path"):
        parts.append(f"-> {img['path']}")
    if img.get("reason"):
        parts.append(f"({img['reason']})")
    if img.get("note"):
        parts.append(f"[{img['note']}]")
    return " ".join(parts)


def _diff_html(diff: str) -> str:
    out = []
    for line in diff.splitlines():
        cls = "add" if line.startswith("+") and not line.startswith("+++") else ""
        cls = "del" if line.startswith("-") and not line.startswith("---") else cls
        out.append(f"<span class='{cls}'>{html.escape(line)}</span>" if cls else html.escape(line))
    return "<pre class='diff'>" + "\n".join(out) + "</pre>"


def _preview_html(doc: str) -> str:
    """The new file as a reviewer sees it: its front matter, and its Markdown rendered to HTML."""
    from markdown_it import MarkdownIt

    front, body = "", doc
    if doc.startswith("---\n"):
        end = doc.find("\n---\n", 4)
        if end > 0:
            front, body = doc[4:end], doc[end + 5 :]
    from migrator.jekyll import preview_markdown

    body = preview_markdown(body)  # the generator's escaping undone, its Markdown extensions dropped
    body = re.sub(r"(?is)<script\b.*?</script>", "", body)  # the report runs no code
    md = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")
    from migrator.sanitize import clean

    rendered, _ = clean(md.render(body), embed_hosts=())  # the report embeds nothing and runs nothing
    return f"<pre class='frontmatter'>{html.escape(front)}</pre><div class='rendered'>{rendered}</div>"


# the reviewer's page runs no script, loads no frame or plugin, submits nothing: whatever a post holds
REPORT_CSP = "default-src 'none'; img-src * data:; style-src 'unsafe-inline'; form-action 'none'; base-uri 'none'"


def render_html(report: Report) -> str:
    """A self-contained page for a reviewer: the summary, then each post's action, old URL -> new file,
    the unified diff (updates, conflicts) and a rendered preview of each new post beside its original."""
    return "".join(html_pieces(report))


def html_pieces(report: Report) -> Iterator[str]:
    """:func:`render_html`'s page, post by post."""
    esc = html.escape
    rows = "".join(f"<tr><th>{esc(a)}</th><td>{n}</td></tr>" for a, n in report.summary().items())
    warnings = ""
    if report.stats.warnings:
        warnings = "<section id='warnings'><h2>Warnings</h2><ul>" + "".join(
            f"<li>{esc(w)}</li>" for w in report.stats.warnings
        ) + "</ul></section>"
    title = "Dry run" if report.dry_run else "Migration report"
    unchanged = report.summary().get("unchanged", 0)
    note = f"<p>{unchanged} unchanged post(s) are not listed.</p>" if unchanged else ""
    if report.previews_omitted:
        note += (
            f"<p>{report.previews_omitted} more new post(s) are listed without a preview (the first "
            f"{report.previews} are shown).</p>"
        )
    yield (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{REPORT_CSP}\">"
        f"<title>migrator: {esc(report.blog_title or report.blog_url)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{title}: {esc(report.blog_title or report.blog_url)}</h1>"
        f"<table class='summary' id='summary'>{rows}</table>{note}{warnings}"
    )
    for item in report.items:
        if item.action != "unchanged":
            yield _item_html(item)
    yield "</body></html>\n"


def _item_html(item: ReportItem) -> str:
    esc = html.escape
    src = esc(item.source_url or "")
    none = "(no source URL)" if item.images is not None else "(no URL: a draft)"
    link = f"<a href='{src}'>{src}</a>" if item.source_url else none
    body = ""
    if item.error:
        body += f"<p class='error'>{esc(item.error)}</p>"
    if item.fallback:
        body += (
            f"<p class='fallback'>Kept as HTML ({esc(str(item.fallback.get('format')))}): "
            f"{esc(str(item.fallback.get('reason')))}</p>"
        )
    if item.sanitized:
        body += f"<p class='fallback'>Unsafe markup removed: {esc(describe_removed(item.sanitized))}</p>"
    if item.images:
        images = "".join(
            f"<li class='img {esc(str(i.get('status')))}'>{esc(_image_line(i))}</li>" for i in item.images
        )
        body += f"<ul class='images'>{images}</ul>"
    if item.diff:
        body += _diff_html(item.diff)
    if item.preview:
        body += (
            "<div class='columns'><div class='preview'><h3>New post</h3>"
            f"{_preview_html(item.preview)}</div><div><h3>Original</h3><p>{link}</p></div></div>"
        )
    return (
        f"<section class='post {esc(item.action)}' data-action='{esc(item.action)}'>"
        f"<h2><span class='action'>{esc(item.action)}</span>{esc(item.title or '(untitled)')}</h2>"
        f"<p class='paths'>{link} &rarr; <code>{esc(item.path or '(not written)')}</code></p>{body}</section>"
    )
