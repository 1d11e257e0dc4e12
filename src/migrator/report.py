"""Run results: the summary table, and the JSON / Markdown / HTML report files."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from migrator.errors import ExitStatus, UsageError
from migrator.models import RunStats

ACTIONS = ("create", "update", "unchanged", "conflict", "deleted", "failed", "skipped")


@dataclass
class ReportItem:
    post_id: str
    source_url: str | None
    title: str
    path: str | None
    action: str
    kind: str = "post"
    diff: str | None = None
    error: str | None = None


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

    def summary(self) -> dict[str, int]:
        counts = {a: 0 for a in ACTIONS if a != "skipped"}
        for item in self.items:
            counts[item.action] = counts.get(item.action, 0) + 1
        if not counts.get("skipped"):
            counts.pop("skipped", None)
        return counts

    def exit_status(self) -> ExitStatus:
        s = self.summary()
        if s.get("failed") or self.stats.images_failed or self.incomplete:
            return ExitStatus.PARTIAL
        return ExitStatus.OK

    def to_json(self) -> dict:
        return {
            "summary": self.summary(),
            "images": {
                "downloaded": self.stats.images_downloaded,
                "reused": self.stats.images_reused,
                "failed": self.stats.images_failed,
            },
            "posts": [
                {
                    "source_url": i.source_url,
                    "title": i.title,
                    "path": i.path,
                    "action": i.action,
                    "diff": i.diff,
                    **({"error": i.error} if i.error else {}),
                }
                for i in self.items
            ],
            "warnings": list(self.stats.warnings),
        }


def print_summary(report: Report, console: Console) -> None:
    s = report.summary()
    title = "Dry run: nothing was written" if report.dry_run else "Migration summary"
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("what")
    table.add_column("count", justify="right")
    for action, n in s.items():
        style = "red" if action in ("failed", "conflict") and n else None
        label = {"create": "posts created", "update": "posts updated"}.get(action, f"posts {action}")
        if report.dry_run:
            label = label.replace("created", "to create").replace("updated", "to update")
        table.add_row(label, str(n), style=style)
    st = report.stats
    table.add_row("images downloaded", str(st.images_downloaded))
    table.add_row("images already local", str(st.images_reused))
    table.add_row("images failed", str(st.images_failed), style="red" if st.images_failed else None)
    table.add_row("HTTP requests", str(report.requests))
    console.print(table)
    for what, why in st.failures[:50]:
        console.print(f"[red]failed[/red] {what}: {why}", highlight=False)
    if len(st.failures) > 50:
        console.print(f"... and {len(st.failures) - 50} more (see `migrator status {report.out}`)")
    for what, why in st.skips[:50]:
        console.print(f"[yellow]skipped[/yellow] {what}: {why}", highlight=False)
    for w in st.warnings:
        console.print(f"[yellow]warning[/yellow] {w}", highlight=False)
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
        console.print(f"Next: cd {report.out} && jekyll serve   (then open http://127.0.0.1:4000)", highlight=False)


def write_report(report: Report, path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix == ".json":
        text = json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n"
    elif suffix == ".md":
        text = render_markdown(report)
    elif suffix in (".html", ".htm"):
        text = render_html(report)
    else:
        raise UsageError(f"--report {path}: use a .json, .md or .html file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def render_markdown(report: Report) -> str:
    lines = [f"# migrator report: {report.blog_title or report.blog_url}", ""]
    lines.append("| action | count |")
    lines.append("| --- | ---: |")
    for action, n in report.summary().items():
        lines.append(f"| {action} | {n} |")
    lines.append("")
    for item in report.items:
        if item.action == "unchanged":
            continue
        lines.append(f"## {item.action}: {item.path or '(no file)'}")
        lines.append("")
        lines.append(f"- title: {item.title}")
        lines.append(f"- source: {item.source_url}")
        if item.error:
            lines.append(f"- error: {item.error}")
        if item.diff:
            lines += ["", "```diff", item.diff.rstrip("\n"), "```"]
        lines.append("")
    return "\n".join(lines) + "\n"


def render_html(report: Report) -> str:
    esc = html.escape
    rows = "".join(f"<tr><td>{esc(a)}</td><td>{n}</td></tr>" for a, n in report.summary().items())
    parts = []
    for item in report.items:
        if item.action == "unchanged":
            continue
        diff = f"<pre class='diff'>{esc(item.diff)}</pre>" if item.diff else ""
        err = f"<p class='error'>{esc(item.error)}</p>" if item.error else ""
        src = esc(item.source_url or "")
        parts.append(
            f"<section class='post {esc(item.action)}'><h2><span class='action'>{esc(item.action)}</span> "
            f"{esc(item.title)}</h2><p>{esc(item.path or '')} &larr; <a href='{src}'>{src}</a></p>"
            f"{err}{diff}</section>"
        )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>migrator report</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:auto}pre.diff{background:#f6f6f6;"
        "overflow:auto}.error{color:#b00}.action{text-transform:uppercase;font-size:.8em}</style></head>"
        f"<body><h1>migrator report: {esc(report.blog_title or report.blog_url)}</h1>"
        f"<table id='summary'>{rows}</table>{''.join(parts)}</body></html>\n"
    )
