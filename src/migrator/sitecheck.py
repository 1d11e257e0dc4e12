"""``migrator verify DIR --build``: build the site with ``jekyll build`` and check the result offline, the way
html-proofer would: every internal link, image, script, stylesheet and redirect (``redirect_from`` pages,
``redirects.json``, the map ``migrator redirects`` wrote) resolves to a built file (and its ``#anchor`` to an
element); no page links to the old blog's host for something that was migrated. Problems are per page."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.html
import yaml

from migrator.errors import UsageError
from migrator.jekyll import load_yaml, normalize_baseurl
from migrator.redirects import OUT_DIR, normalize_path, read_site

# (tag, attribute) pairs whose URL must resolve; srcset is split on commas
_URL_ATTRS = (
    ("a", "href"),
    ("area", "href"),
    ("link", "href"),
    ("img", "src"),
    ("img", "srcset"),
    ("source", "src"),
    ("source", "srcset"),
    ("script", "src"),
    ("video", "src"),
    ("video", "poster"),
    ("audio", "src"),
    ("iframe", "src"),
)


@dataclass
class BuildCheck:
    pages: int = 0  # HTML pages checked
    links: int = 0  # internal references checked
    problems: dict[str, list[str]] = field(default_factory=dict)  # built page -> its problems
    build_output: str = ""

    @property
    def broken(self) -> int:
        return sum(len(v) for v in self.problems.values())

    def add(self, page: str, problem: str) -> None:
        items = self.problems.setdefault(page, [])
        if problem not in items:
            items.append(problem)


def run_jekyll(site: Path, dest: Path, jekyll: str | None = None) -> str:
    """``jekyll build`` of ``site`` into ``dest`` (nothing written inside the site: no disk cache)."""
    cmd = shlex.split(jekyll) if jekyll else [shutil.which("jekyll") or ""]
    if not cmd or not cmd[0] or not shutil.which(cmd[0]):
        raise UsageError("jekyll is not installed", "install it (Debian: apt-get install jekyll), or pass --jekyll CMD")
    proc = subprocess.run(
        [*cmd, "build", "--source", str(site), "--destination", str(dest), "--disable-disk-cache"],
        capture_output=True,
        text=True,
        timeout=1800,
        env={**os.environ, "JEKYLL_ENV": os.environ.get("JEKYLL_ENV", "production")},
    )
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise BuildFailed(out)
    return out


class BuildFailed(Exception):
    def __init__(self, output: str) -> None:
        super().__init__(output)
        self.output = output


class _Built:
    """The built site: which URL paths have a file, and each page's ids (for ``#anchors``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._ids: dict[Path, set[str]] = {}

    def resolve(self, path: str) -> Path | None:
        """The file GitHub Pages would serve for a decoded URL path (``/a`` -> ``a.html``, ``/a/`` -> index)."""
        rel = path.lstrip("/")
        if ".." in rel.split("/"):
            return None
        base = self.root / rel
        for cand in (base, base / "index.html", base.with_name(base.name + ".html") if rel else base):
            if cand.is_file():
                return cand
        return None

    def ids(self, page: Path) -> set[str]:
        if page not in self._ids:
            found: set[str] = set()
            try:
                doc = lxml.html.fromstring(page.read_bytes())
                found = {e.get("id") for e in doc.iter() if isinstance(e.tag, str) and e.get("id")}
                found |= {e.get("name") for e in doc.iter("a") if e.get("name")}
            except (OSError, ValueError, lxml.etree.ParserError):
                pass
            self._ids[page] = found
        return self._ids[page]


def _refs(doc: lxml.html.HtmlElement) -> Iterator[tuple[str, str]]:
    """(what, URL) of every reference in a page: attributes, srcset candidates, meta refresh targets."""
    for tag, attr in _URL_ATTRS:
        for el in doc.iter(tag):
            value = el.get(attr)
            if not value:
                continue
            if attr == "srcset":
                for cand in value.split(","):
                    url = cand.strip().split(" ")[0]
                    if url:
                        yield f"<{tag} {attr}>", url
            elif not (tag == "link" and (el.get("rel") or "") in ("preconnect", "dns-prefetch")):
                yield f"<{tag} {attr}>", value
    for el in doc.iter("meta"):
        if (el.get("http-equiv") or "").lower() == "refresh":
            content = el.get("content") or ""
            if "url=" in content.lower():
                yield "<meta refresh>", content[content.lower().index("url=") + 4 :].strip(" '\"")


class _Checker:
    def __init__(self, built: Path, baseurl: str, site_hosts: set[str], old_hosts: set[str], migrated: dict[str, str]):
        self.site = _Built(built)
        self.baseurl = baseurl
        self.site_hosts = site_hosts
        self.old_hosts = old_hosts
        self.migrated = migrated  # old path (normalized) -> new path: content that now lives on the new site
        self.result = BuildCheck()

    def internal_path(self, url: str, page_url: str) -> str | None:
        """The site path a reference points at, or None for an external one (or mailto:, data:...)."""
        parts = urlsplit(url)
        if parts.scheme and parts.scheme not in ("http", "https"):
            return None
        if parts.netloc and parts.netloc.lower() not in self.site_hosts:
            return None
        path = parts.path
        if not path:
            return page_url  # "#anchor" or "?q" on the same page
        if not path.startswith("/"):
            path = page_url.rsplit("/", 1)[0] + "/" + path
        if self.baseurl:
            if path == self.baseurl:
                path = "/"
            elif path.startswith(self.baseurl + "/"):
                path = path[len(self.baseurl) :]
            else:
                return "\0" + path  # outside the site's base path: it cannot be on this site
        return path

    def check_ref(self, page: str, page_url: str, what: str, url: str) -> None:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if host and host in self.old_hosts and host not in self.site_hosts:
            new = self.migrated.get(normalize_path(parts.path))
            if new is not None:
                self.result.add(page, f"{what} {url} points at the old blog; it was migrated to {new}")
            return
        path = self.internal_path(url, page_url)
        if path is None:
            return
        self.result.links += 1
        if path.startswith("\0"):
            self.result.add(page, f"{what} {url} is outside the site's baseurl {self.baseurl}")
            return
        target = self.site.resolve(self._normpath(unquote(path)))
        if target is None:
            self.result.add(page, f"{what} {url} does not exist")
            return
        fragment = unquote(parts.fragment)
        if fragment and target.suffix == ".html" and fragment not in self.site.ids(target) and fragment != "top":
            where = target.relative_to(self.site.root)
            self.result.add(page, f"{what} {url}: no element with id {fragment!r} in {where}")

    @staticmethod
    def _normpath(path: str) -> str:
        parts: list[str] = []
        for p in path.split("/"):
            if p == "..":
                if parts:
                    parts.pop()
            elif p not in ("", "."):
                parts.append(p)
        return "/" + "/".join(parts) + ("/" if path.endswith("/") and parts else "")

    def check_page(self, file: Path) -> None:
        rel = file.relative_to(self.site.root).as_posix()
        page_url = "/" + rel
        self.result.pages += 1
        try:
            doc = lxml.html.fromstring(file.read_bytes())
        except (ValueError, lxml.etree.ParserError):
            return  # an empty page
        for what, url in _refs(doc):
            if url.startswith(("javascript:", "mailto:", "tel:", "data:")) or url in ("#", ""):
                continue
            self.check_ref(rel, page_url, what, url)


def _site_hosts(config: dict, extra: str | None) -> set[str]:
    hosts = set()
    for url in (config.get("url"), extra):
        host = urlsplit(str(url or "")).hostname
        if host:
            hosts.add(host.lower())
    return hosts


def check_built_site(out: Path, built: Path, *, baseurl: str | None = None) -> BuildCheck:
    """Check the site ``out`` as built into ``built`` (see the module's docstring)."""
    site = read_site(out) if (out / ".migrator" / "manifest.json").exists() else None
    try:
        config = load_yaml((out / "_config.yml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        config = {}
    config = config if isinstance(config, dict) else {}
    base = normalize_baseurl(baseurl if baseurl is not None else config.get("baseurl"))
    map_file = out / OUT_DIR / "map.json"
    mapping: dict = {}
    if map_file.exists():
        try:
            mapping = json.loads(map_file.read_text(encoding="utf-8"))
        except ValueError:
            mapping = {}
    home = str(mapping.get("home") or "")
    hosts = _site_hosts(config, home)
    old_hosts = {(urlsplit(o).hostname or "").lower() for o in (site.old_origins if site else ())} - {""}
    migrated: dict[str, str] = {}
    for post in site.posts if site else ():
        for old in (*post.old_paths, urlsplit(post.source_url or "").path):
            if old:
                migrated[normalize_path(old)] = post.new_path
    checker = _Checker(built, base, hosts, old_hosts, migrated)
    for file in sorted(built.rglob("*.html")):
        checker.check_page(file)
    _check_redirects_json(checker, built)
    for old, entry in sorted((mapping.get("redirects") or {}).items()):
        new = entry.get("new", "") if isinstance(entry, dict) else ""
        checker.check_ref(f"{OUT_DIR}/map.json", "/", f"the redirect of {old}", new)
    return checker.result


def _check_redirects_json(checker: _Checker, built: Path) -> None:
    """jekyll-redirect-from's ``redirects.json``: each old path has its page, and each target resolves."""
    path = built / "redirects.json"
    if not path.exists():
        return
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        checker.result.add("redirects.json", "redirects.json is not valid JSON")
        return
    for old, new in sorted(data.items()) if isinstance(data, dict) else ():
        if checker.site.resolve(unquote(old)) is None:
            checker.result.add("redirects.json", f"redirect_from {old} has no page")
        checker.check_ref("redirects.json", "/", f"redirect_from {old} ->", str(new))


def verify_build(
    out: Path, *, built: Path | None = None, baseurl: str | None = None, jekyll: str | None = None
) -> BuildCheck:
    """Build ``out`` with jekyll into a temporary folder (or check ``built``, a build made already)."""
    if built is not None:
        if not built.is_dir():
            raise UsageError(f"--built {built} is not a folder", "pass the folder jekyll build wrote (_site)")
        return check_built_site(out, built, baseurl=baseurl)
    with tempfile.TemporaryDirectory(prefix="migrator-build-") as tmp:
        dest = Path(tmp) / "_site"
        try:
            output = run_jekyll(out, dest, jekyll)
        except BuildFailed as e:
            result = BuildCheck(build_output=e.output)
            tail = " | ".join(line.strip() for line in e.output.strip().splitlines()[-3:])
            result.add("(jekyll build)", f"jekyll build failed: {tail}")
            return result
        result = check_built_site(out, dest, baseurl=baseurl)
        result.build_output = output
        return result
