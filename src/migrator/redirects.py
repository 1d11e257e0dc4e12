"""``migrator redirects``: what makes the old blog send its readers (and search engines) to the new site.

Three layers, each pure but the first:

1. :func:`read_site` reads the manifest and the front matter of every migrated file (I/O);
2. :func:`build_map` turns that into a :class:`~migrator.redirectmap.RedirectMap`: every old path (decoded,
   without the query, so ``?m=1`` is gone) and the absolute URL it now lives at, plus the prefixes that
   catch the rest. The platform's URL shapes (labels, archives, feeds, mobile forms) come from its source
   (``Source.old_urls``);
3. one renderer per output: the old platform's own (``Source.redirect_formats``: a theme, a skin snippet),
   :func:`netlify_redirects` and :func:`nginx_map` for a domain you keep. The browser-side formats share
   :func:`~migrator.redirectmap.redirect_script`, whose lookup is ``RedirectMap.lookup`` written again in
   JavaScript (the tests hold the two to the same answers).

:func:`write_redirects` writes them into ``SITE/_migrator/redirects/`` (Jekyll skips folders starting
with ``_``, so nothing there is published) and the landing pages the map points at (``/tags/``,
``/categories/``, ``/archive/``) into the site, unless the site has them.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import yaml

from migrator import sources
from migrator.archives import ARCHIVE_DIR, front_matter
from migrator.errors import OutputError, UsageError
from migrator.jekyll import load_yaml, normalize_baseurl
from migrator.manifest import Manifest, atomic_write_text
from migrator.redirectmap import Redirect, RedirectMap, redirect_script
from migrator.sources.base import OldUrls, RedirectFormat
from migrator.urls import encode_path, normalize_path

__all__ = ["FORMATS", "RedirectMap", "Redirect", "build_map", "normalize_path", "redirect_script", "render"]

OUT_DIR = "_migrator/redirects"
SERVER_FORMATS = ("netlify", "nginx")  # for an old custom domain you keep
# every --format: each platform's own (a theme, a skin snippet), then the server ones
FORMATS = (*(f.name for s in sources.SOURCES for f in s.redirect_formats), *SERVER_FORMATS)


# --- the map ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SitePost:
    """What the redirects need to know of one migrated post or page (read from its file)."""

    post_id: str
    kind: str  # post | page
    title: str
    source_url: str | None
    new_path: str  # where it lives on the new site, without baseurl, percent-encoded ("/2024/03/a.html")
    old_paths: tuple[str, ...] = ()  # its permalink and redirect_from paths (old URLs the file claims)
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    month: str | None = None  # "2024-03": the archive month it is listed under


def jekyll_slugify(text: str) -> str:
    """Jekyll's ``slugify`` filter in its default mode (letters, marks and digits kept, runs of anything
    else become one ``-``, lowercased): the anchor the landing pages give a tag, category or month."""
    chars = [ch if unicodedata.category(ch)[0] in "LM" or unicodedata.category(ch) == "Nd" else "-" for ch in text]
    return re.sub(r"-{2,}", "-", "".join(chars)).strip("-").lower()


def _pretty_slug(text: str) -> str:
    """Jekyll's ``slugify(mode: "pretty", cased: true)``, which ``:title`` in a permalink uses."""
    keep = set("._~!$&'()+,;=@")
    chars = [
        ch if unicodedata.category(ch)[0] in "LM" or unicodedata.category(ch) == "Nd" or ch in keep else "-"
        for ch in text
    ]
    return re.sub(r"-{2,}", "-", "".join(chars)).strip("-")


_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}


def jekyll_post_url(pattern: str | None, date: datetime, slug: str, categories: Iterable[str]) -> str:
    """The URL Jekyll gives a post without a ``permalink:`` (its site's ``permalink`` style or pattern)."""
    template = _STYLES.get(pattern or "date", pattern or _STYLES["date"])
    cats = "/".join(dict.fromkeys(c.lower() for c in categories if c))  # Jekyll: downcased, not slugified
    values = {
        "year": f"{date.year:04d}",
        "month": f"{date.month:02d}",
        "i_month": str(date.month),
        "day": f"{date.day:02d}",
        "i_day": str(date.day),
        "short_year": f"{date.year % 100:02d}",
        "y_day": f"{date.timetuple().tm_yday:03d}",
        "hour": f"{date.hour:02d}",
        "minute": f"{date.minute:02d}",
        "second": f"{date.second:02d}",
        "title": _pretty_slug(slug),
        "slug": jekyll_slugify(slug),
        "categories": cats,
        "output_ext": ".html",
        "week": date.strftime("%V"),
        "short_day": date.strftime("%a"),
        "short_month": date.strftime("%b"),
        "long_month": date.strftime("%B"),
    }
    names = sorted(values, key=len, reverse=True)  # :i_month before :month, :short_year before :year...
    url = re.sub(":(" + "|".join(names) + ")", lambda m: encode_path(values[m.group(1)]), template)
    url = re.sub(r"/{2,}", "/", url)
    return url if url.startswith("/") else "/" + url


LANDING_PATHS = {"tags": "/tags/", "categories": "/categories/", "archive": "/archive/", "feed": "/feed.xml"}


def new_base(to: str, baseurl: str = "") -> str:
    """The new site's address with its base path: ``--to`` as given when it has a path, else plus the site's
    ``baseurl`` (a GitHub project site). No trailing slash."""
    parts = urlsplit(to.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"--to {to!r} is not an http(s) address", "pass the new site's URL, e.g. https://me.github.io")
    path = parts.path.rstrip("/") or normalize_baseurl(baseurl)
    return f"{parts.scheme}://{parts.netloc}{path}"


def build_map(
    platform: str,
    old_origins: Iterable[str],
    posts: Iterable[SitePost],
    to: str,
    *,
    landing: dict[str, str] | None = None,
    pages: Iterable[ArchiveLink] = (),
) -> RedirectMap:
    """Every old URL of the blog -> its new URL (pure). ``to`` is the new site's address with its base path
    (see :func:`new_base`); ``landing`` overrides where tags, categories, archive and the feed land;
    ``pages`` are the site's archive pages at old label/tag/category addresses: an old address one of them
    serves goes to that page, not to an anchor of the landing page."""
    src = sources.by_name(platform)
    urls = src.old_urls if src is not None else OldUrls()
    base = to.rstrip("/")
    land = {**LANDING_PATHS, **(landing or {})}
    home = base + "/"
    entries: dict[str, Redirect] = {}
    used: set[str] = set()

    def add(old: str, new: str, kind: str, title: str = "", *, strong: bool = False) -> None:
        key = normalize_path(old)
        if key == "/":
            return  # the old home is the default: every path not mapped lands on the new home
        if strong or key not in entries:  # a post's own path wins over an alias another post claims
            entries[key] = Redirect(key, new, kind, title)

    posts = list(posts)
    for post in posts:  # first the paths each file claims (permalink, redirect_from)...
        new = base + post.new_path
        for old in post.old_paths:
            add(old, new, post.kind, post.title, strong=True)
        if post.source_url:
            add(urlsplit(post.source_url).path, new, post.kind, post.title, strong=True)
    for page in pages:  # an archive page at an old address: before the landing anchors, after the posts
        for old in page.old_paths:
            add(old, base + page.new_path, page.kind, page.title)
    for post in posts:  # ... then the platform's other forms of them, never taking a path a file claims
        new = base + post.new_path
        old = normalize_path(urlsplit(post.source_url).path) if post.source_url else None
        for alias in urls.post_paths(post.post_id, old or ""):
            add(alias, new, post.kind, post.title)
        for old_path, kind, name in urls.taxonomy(post.tags, post.categories):
            page = "tags" if kind == "tag" else "categories"
            used.add(page)
            add(old_path, f"{base}{land[page]}#{jekyll_slugify(name)}", kind, name)
        if post.month and post.kind == "post":
            used.add("archive")
            for old_path, anchor in urls.archive_paths(post.month):
                add(old_path, f"{base}{land['archive']}#{anchor}", "archive", post.month)
    for feed in urls.feed_paths:
        add(feed, base + land["feed"], "feed")
    prefixes = []
    for prefix, where in urls.prefixes:
        target = home if where == "home" else base + land[where]
        if where in ("tags", "categories", "archive"):
            used.add(where)
        prefixes.append((normalize_path(prefix) + ("/" if prefix.endswith("/") else ""), target))
    prefixes.sort(key=lambda p: len(p[0]), reverse=True)
    origins = tuple(dict.fromkeys(o.rstrip("/") for o in old_origins if o))
    return RedirectMap(
        platform=platform,
        old_origins=origins,
        home=home,
        redirects=tuple(sorted(entries.values(), key=lambda r: r.old)),
        prefixes=tuple(prefixes),
        landing=tuple(sorted(used)),
    )


# --- reading the site -----------------------------------------------------------------------------------


def _strs(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(value.split())  # Jekyll splits a string of tags/categories on spaces
    if isinstance(value, list):
        return tuple(str(v) for v in value if v is not None)
    return (str(value),)


_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?\s*(?:([+-])(\d{2}):?(\d{2})|Z)?")


def _post_date(fm: dict, filename: str, tz: str | None) -> datetime | None:
    """The date Jekyll files a post under: its front matter ``date`` in the site's timezone (UTC when the
    site sets none, as on a GitHub runner), else the date in its file name."""
    raw = fm.get("date")
    if isinstance(raw, datetime):
        dt = raw if raw.tzinfo else raw.replace(tzinfo=UTC)
    else:
        m = _DATE.match(str(raw or "")) or _DATE.match(filename)
        if not m:
            return None
        y, mo, d, hh, mm, ss, sign, oh, om = m.groups()
        offset = timedelta(hours=int(oh or 0), minutes=int(om or 0)) * (-1 if sign == "-" else 1)
        dt = datetime(int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0), tzinfo=timezone(offset))
    try:
        return dt.astimezone(ZoneInfo(tz)) if tz else dt.astimezone(UTC)
    except (KeyError, ValueError):
        return dt


@dataclass(frozen=True)
class ArchiveLink:
    """An archive page of the site (``archives/...``) and the old addresses it is served at."""

    new_path: str  # its permalink on the new site
    old_paths: tuple[str, ...]  # the permalink and its redirect_from forms, as old paths
    kind: str  # tag | category
    title: str = ""


@dataclass
class Site:
    """The migrated site as the redirects see it."""

    out: Path
    platform: str
    old_origins: tuple[str, ...]
    config: dict = field(default_factory=dict)
    posts: list[SitePost] = field(default_factory=list)
    language: str | None = None
    archives: list[ArchiveLink] = field(default_factory=list)


def _new_path(fm: dict, rel: str, kind: str, date: datetime | None, config: dict) -> str:
    permalink = fm.get("permalink")
    stem = rel.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if isinstance(permalink, str) and permalink.strip():
        if ":" in permalink and date is not None:  # a pattern, not a path
            return jekyll_post_url(permalink, date, stem[11:] if kind == "post" else stem, ())
        return encode_path(permalink if permalink.startswith("/") else "/" + permalink)
    if kind == "post" and date is not None:
        slug = str(fm.get("slug") or stem[11:])
        return jekyll_post_url(config.get("permalink"), date, slug, _strs(fm.get("categories")))
    rel_html = re.sub(r"\.(md|markdown|html?)$", ".html", rel)
    return encode_path("/" + rel_html.removesuffix("index.html"))


def read_site(out: Path) -> Site:
    """The manifest and each migrated file's front matter. Files that are gone, drafts, and posts that failed
    or were deleted at the source are left out (they have no page on the new site)."""
    if not (out / ".migrator" / "manifest.json").exists():
        raise UsageError(f"{out} has no migration manifest", "run `migrator migrate SOURCE --out DIR` first")
    m = Manifest.load(out, readonly=True)
    try:
        config = load_yaml((out / "_config.yml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        config = {}
    config = config if isinstance(config, dict) else {}
    origins = [m.source.get("url", "")] + m.source.get("urls", "").split()
    site = Site(out, m.source.get("platform", ""), tuple(o for o in origins if o), config)
    tz = config.get("timezone") if isinstance(config.get("timezone"), str) else None
    for post_id, rec in sorted(m.posts.items()):
        if rec.status not in ("ok", "conflict") or not rec.path or rec.path.startswith("_drafts/"):
            continue
        try:
            fm = front_matter((out / rec.path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
        if fm.get("published") is False:
            continue
        kind = rec.kind
        if kind == "localized":  # a file `localize` repaired: a post or a page by where it is
            kind = "post" if rec.path.startswith("_posts/") or "/_posts/" in rec.path else "page"
        date = _post_date(fm, rec.path.rsplit("/", 1)[-1], tz) if kind == "post" else None
        claimed = _strs(fm.get("redirect_from"))
        permalink = fm.get("permalink")
        if isinstance(permalink, str) and ":" not in permalink:
            claimed = (permalink, *claimed)
        site.posts.append(
            SitePost(
                post_id=post_id,
                kind=kind,
                title=str(fm.get("title") or rec.title or ""),
                source_url=rec.source_url,
                new_path=_new_path(fm, rec.path, kind, date, config),
                old_paths=claimed,
                tags=_strs(fm.get("tags")),
                categories=_strs(fm.get("categories")),
                month=date.strftime("%Y-%m") if date else None,
            )
        )
    site.archives = read_archive_pages(out)
    return site


def read_archive_pages(out: Path) -> list[ArchiveLink]:
    """The archive pages under ``archives/`` (written by a migration, or by you in that shape): each one's
    permalink and ``redirect_from`` forms. A file without a plain permalink or an ``archive:`` key is skipped."""
    found: list[ArchiveLink] = []
    root = out / ARCHIVE_DIR
    if not root.is_dir() or root.is_symlink():
        return found
    for path in sorted(root.rglob("*.html")):
        try:
            fm = front_matter(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
        link, info = fm.get("permalink"), fm.get("archive")
        if not isinstance(link, str) or not link.startswith("/") or ":" in link or not isinstance(info, dict):
            continue
        kind = "category" if info.get("key") == "categories" else "tag"
        olds = tuple(p for p in (link, *_strs(fm.get("redirect_from"))) if p.startswith("/"))
        found.append(ArchiveLink(encode_path(unquote(link)), olds, kind, str(fm.get("title") or "")))
    return found


# --- the browser side: one script for every theme and skin --------------------------------------------


# --- the server side: for an old custom domain you keep -------------------------------------------------


def _redirect_lines(rmap: RedirectMap) -> Iterator[tuple[str, str]]:
    for r in rmap.redirects:
        yield r.old, r.new


def netlify_redirects(rmap: RedirectMap) -> str:
    """``_redirects`` for Netlify or Cloudflare Pages, served on the old domain: one 301 per old path (the
    encoded form, and the decoded one when it differs), then the prefixes, then everything to the new home.
    A path that is its own target (the same domain, the same path) is left out."""
    lines = [
        "# Written by migrator: the old blog's addresses -> the new site (Netlify / Cloudflare Pages, on the",
        "# old domain). First match wins; query strings such as ?m=1 do not stop a match.",
    ]
    seen = set()

    def emit(old: str, new: str) -> None:
        for form in dict.fromkeys((encode_path(old), old)):
            if form in seen or re.search(r"\s", form) or _same(rmap, form, new):
                continue
            seen.add(form)
            lines.append(f"{form}  {new}  301")

    for old, new in _redirect_lines(rmap):
        emit(old, new)
    for prefix, new in rmap.prefixes:
        emit(prefix.rstrip("/") + "/*" if prefix.endswith("/") else prefix + "*", new)
    if not _same(rmap, "/", rmap.home):
        lines.append(f"/*  {rmap.home}  301")
    return "\n".join(lines) + "\n"


def _same(rmap: RedirectMap, old: str, new: str) -> bool:
    """True when ``old`` on the old domain is ``new`` itself (the site moved host, not address)."""
    target = urlsplit(new)
    return any(
        urlsplit(o).netloc == target.netloc and encode_path(normalize_path(old)) == encode_path(target.path or "/")
        for o in rmap.old_origins
    )


def _nginx_str(value: str, *, key: bool = False) -> str:
    """A double-quoted nginx string: ``\\`` and ``"`` escaped, control characters percent-encoded, and in a
    value (a URL) ``$`` too, which nginx would read as a variable (a map's keys are literal)."""
    value = re.sub(r"[\x00-\x1f\x7f]" if key else r"[\x00-\x1f\x7f$]", lambda m: f"%{ord(m.group(0)):02X}", value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def nginx_map(rmap: RedirectMap) -> str:
    """An nginx include (``http`` context, e.g. ``/etc/nginx/conf.d/``) for the old domain: a ``map`` of
    every old path (nginx's ``$uri`` is decoded and has no query) to its new URL, and a server that answers
    each with a 301 (the rest to the new home)."""
    hosts = sorted({urlsplit(o).hostname or "" for o in rmap.old_origins} - {""}) or ["_"]
    keys = [(old, new) for old, new in _redirect_lines(rmap) if not _same(rmap, old, new)]
    longest = max([len(k.encode()) for k, _ in keys] + [32])
    bucket = 64
    while bucket < longest + 32:
        bucket *= 2
    body = [
        "# Written by migrator: the old blog's addresses -> the new site. Include it in the http block",
        "# (Debian: copy it to /etc/nginx/conf.d/), then: nginx -t && nginx -s reload",
        f"map_hash_bucket_size {bucket};",
        f"map_hash_max_size {max(2048, 4 * len(keys))};",
        "",
        "map $uri $migrator_new_url {",
        "    default \"\";",
    ]
    for old, new in keys:
        key = old if not old.startswith("~") else "\\" + old
        body.append(f"    {_nginx_str(key, key=True)} {_nginx_str(new)};")
    for prefix, new in rmap.prefixes:
        body.append(f"    {_nginx_str('~^' + re.escape(prefix), key=True)} {_nginx_str(new)};")
    body += [
        "}",
        "",
        "server {",
        "    listen 80;",
        "    # listen 443 ssl; ssl_certificate ...; ssl_certificate_key ...;",
        f"    server_name {' '.join(hosts)};",
        "    if ($migrator_new_url) {",
        "        return 301 $migrator_new_url;",
        "    }",
        f"    return 301 {_nginx_str(rmap.home)};",
        "}",
    ]
    return "\n".join(body) + "\n"


# --- landing pages (on the new site) -----------------------------------------------------------------

_ITEM = (
    '<li><a href="{{ post.url | relative_url }}">{{ post.title | escape }}</a> · '
    '{{ post.date | date: "%Y-%m-%d" }}</li>\n'
)
_LANDING = {
    "tags": (
        "Tags",
        "{% for tag in site.tags %}\n"
        '<h2 id="{{ tag[0] | slugify }}">{{ tag[0] | escape }}</h2>\n<ul>\n'
        "{% for post in tag[1] %}" + _ITEM +
        "{% endfor %}</ul>\n{% endfor %}\n",
    ),
    "categories": (
        "Categories",
        "{% for cat in site.categories %}\n"
        '<h2 id="{{ cat[0] | slugify }}">{{ cat[0] | escape }}</h2>\n<ul>\n'
        "{% for post in cat[1] %}" + _ITEM +
        "{% endfor %}</ul>\n{% endfor %}\n",
    ),
    "archive": (
        "Archive",
        "{% assign years = site.posts | group_by_exp: \"p\", \"p.date | date: '%Y'\" %}\n"
        "{% for year in years %}\n"
        '<h2 id="{{ year.name }}">{{ year.name }}</h2>\n'
        "{% assign months = year.items | group_by_exp: \"p\", \"p.date | date: '%Y-%m'\" %}\n"
        "{% for month in months %}\n"
        '<h3 id="{{ month.name }}">{{ month.name }}</h3>\n<ul>\n'
        "{% for post in month.items %}" + _ITEM +
        "{% endfor %}</ul>\n{% endfor %}\n{% endfor %}\n",
    ),
}


def landing_page(name: str) -> str:
    """The page a kind of old URL lands on (``/tags/``...), with an anchor per tag, category or month."""
    title, body = _LANDING[name]
    head = yaml.safe_dump({"layout": "page", "title": title, "permalink": LANDING_PATHS[name]}, sort_keys=False)
    return f"---\n{head}---\n{body}"


# --- writing ------------------------------------------------------------------------------------------


@dataclass
class Written:
    files: list[Path] = field(default_factory=list)  # the redirect files, under _migrator/redirects/
    pages: list[str] = field(default_factory=list)  # landing pages added to the site
    kept: list[str] = field(default_factory=list)  # landing pages the site already had (left alone)
    rmap: RedirectMap | None = None


def _has_page(out: Path, name: str) -> str | None:
    for cand in (f"{name}.html", f"{name}.md", f"{name}/index.html", f"{name}/index.md"):
        if (out / cand).exists():
            return cand
    return None


def write_redirects(out: Path, to: str | None, formats: Iterable[str]) -> Written:
    """Write each format into ``out/_migrator/redirects/`` (replacing what an earlier run wrote there), the
    map as JSON beside them, and the landing pages the map needs unless the site has them."""
    try:
        return _write_redirects(out, to, formats)
    except OSError as e:
        raise OutputError(f"cannot write into {out}: {e.strerror or e}", "check the permissions and free space") from e


def _write_redirects(out: Path, to: str | None, formats: Iterable[str]) -> Written:
    site = read_site(out)
    config = site.config
    to = to or (str(config.get("url") or "") or None)
    if not to:
        raise UsageError("no new address", "pass --to https://NEW.SITE (or set url: in _config.yml)")
    base = new_base(to, str(config.get("baseurl") or ""))
    rmap = build_map(site.platform, site.old_origins, site.posts, base, pages=site.archives)
    done = Written(rmap=rmap)
    target = out / OUT_DIR
    target.mkdir(parents=True, exist_ok=True)
    title = str(config.get("title") or "")
    for fmt in formats:
        name = FILENAMES.get(fmt) or _platform_format(fmt).filename
        atomic_write_text(target / name, render(fmt, rmap, title))
        done.files.append(target / name)
    mapping = {
        "platform": rmap.platform,
        "old_origins": list(rmap.old_origins),
        "home": rmap.home,
        "redirects": {r.old: {"new": r.new, "kind": r.kind, "title": r.title} for r in rmap.redirects},
        "prefixes": [list(p) for p in rmap.prefixes],
    }
    atomic_write_text(target / "map.json", json.dumps(mapping, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    done.files.append(target / "map.json")
    for name in rmap.landing:
        existing = _has_page(out, name)
        if existing:
            done.kept.append(existing)
            continue
        atomic_write_text(out / f"{name}.html", landing_page(name))
        done.pages.append(f"{name}.html")
    return done


FILENAMES = {"netlify": "_redirects", "nginx": "nginx-redirects.conf"}
HINTS = {
    "netlify": "A domain you keep: publish _redirects at the root of the Netlify / Cloudflare Pages site.",
    "nginx": "A domain you keep: include nginx-redirects.conf in nginx's http block; nginx -t && nginx -s reload.",
}


def _platform_format(fmt: str) -> RedirectFormat:
    found = next((f for s in sources.SOURCES for f in s.redirect_formats if f.name == fmt), None)
    if found is None:
        raise UsageError(f"unknown redirect format {fmt!r}", f"use one of {', '.join(FORMATS)}")
    return found


def render(fmt: str, rmap: RedirectMap, title: str = "") -> str:
    """The text of one format (``title``: the blog's, for a format that shows it)."""
    if fmt == "netlify":
        return netlify_redirects(rmap)
    if fmt == "nginx":
        return nginx_map(rmap)
    return _platform_format(fmt).render(rmap, title)


def hint(fmt: str) -> str:
    """One line: how to install a format's file."""
    return HINTS.get(fmt) or _platform_format(fmt).hint


def formats_for(choice: str, platform: str) -> list[str]:
    """``all`` means the old platform's own format plus the two for a domain you keep (every platform's own
    when the manifest does not say which platform it was)."""
    if choice != "all":
        return [choice]
    src = sources.by_name(platform)
    own = [f.name for f in src.redirect_formats] if src is not None else list(FORMATS[: -len(SERVER_FORMATS)])
    return [*own, *SERVER_FORMATS]
