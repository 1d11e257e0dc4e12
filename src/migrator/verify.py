"""``migrator status`` and ``migrator verify``: what the manifest says, and whether the site matches it."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from migrator import sources
from migrator.assets import file_sha256
from migrator.jekyll import config_baseurl
from migrator.manifest import Manifest
from migrator.urls import domains_pattern


def platform_images(platform: str | None) -> re.Pattern[str] | None:
    """What finds an image left on the platform's CDNs (``Source.cdn_domains``) in a migrated post: the
    recorded platform's, or every platform's when the manifest does not say (None: no CDN to look for)."""
    src = sources.by_name(platform)
    domains = src.cdn_domains if src is not None else tuple(d for s in sources.SOURCES for d in s.cdn_domains)
    return domains_pattern(domains)

LOCAL_REF = re.compile(r"""(?:\]\(|src=["']|href=["']|^image:\s*|srcset=["'])(/[^\s"'<>)]+)""", re.MULTILINE)


@dataclass
class Status:
    source: dict[str, str]
    last_sync: str | None
    posts: Counter = field(default_factory=Counter)
    assets: Counter = field(default_factory=Counter)
    failures: list[tuple[str, str]] = field(default_factory=list)


def status(out: Path) -> Status:
    m = Manifest.load(out, readonly=True)
    st = Status(source=m.source, last_sync=m.last_sync)
    for post_id, rec in m.posts.items():
        st.posts[rec.status] += 1
        if rec.status in ("failed", "conflict"):
            st.failures.append((rec.source_url or rec.title or post_id, rec.error or rec.status))
    for url, rec in m.assets.items():
        st.assets[rec.status] += 1
        if rec.status == "failed":
            st.failures.append((url, rec.error or "failed"))
    return st


def _baseurl(out: Path) -> str:
    try:
        return config_baseurl((out / "_config.yml").read_text(encoding="utf-8"))
    except OSError:
        return ""


def verify(out: Path) -> list[str]:
    """Every problem found, one line each; an empty list means the site and the manifest agree."""
    problems: list[str] = []
    m = Manifest.load(out, readonly=True)
    if not m.path.exists() and not m.posts:
        return [f"{out} has no migrator manifest (.migrator/manifest.json)"]
    for url, rec in sorted(m.assets.items()):
        if rec.status != "ok":
            problems.append(f"image not downloaded: {url} ({rec.error})")
            continue
        if not rec.path or not (out / rec.path).is_file():
            problems.append(f"image missing on disk: {rec.path} (from {url})")
            continue
        if file_sha256(out / rec.path) != rec.sha256:
            problems.append(f"image changed on disk: {rec.path} does not match its recorded sha256")
    remote_originals = {url for url in m.assets}
    leftovers = platform_images(m.source.get("platform"))
    base = _baseurl(out)
    for post_id, rec in sorted(m.posts.items()):
        if rec.status not in ("ok", "conflict") or not rec.path:
            continue
        path = out / rec.path
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            problems.append(f"post missing on disk: {rec.path} (source {rec.source_url or post_id})")
            continue
        for match in leftovers.finditer(text) if leftovers is not None else ():
            problems.append(f"{rec.path} still points at a platform image: {match.group(0)}")
        for url in rec.assets:
            if url in remote_originals and url in text:
                problems.append(f"{rec.path} still points at the remote image {url}")
        for match in LOCAL_REF.finditer(text):
            ref = unquote(match.group(1).split("#")[0].split("?")[0])
            if base and ref.startswith(base + "/"):
                ref = ref[len(base) :]
            if ref.startswith("/assets/") and not (out / ref.lstrip("/")).is_file():
                problems.append(f"{rec.path} references {ref}, which does not exist")
    return sorted(dict.fromkeys(problems))
