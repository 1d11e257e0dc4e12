"""``migrator redirects``: what makes the old blog send its readers (and search engines) to the new site.

Three layers, each pure but the first:

1. :func:`read_site` reads the manifest and the front matter of every migrated file (I/O);
2. :func:`build_map` turns that into a :class:`RedirectMap`: every old path (decoded, without the query, so
   ``?m=1`` is gone) and the absolute URL it now lives at, plus the prefixes that catch the rest;
3. one renderer per output: :func:`blogger_theme`, :func:`tistory_snippet`, :func:`netlify_redirects`,
   :func:`nginx_map`. The browser-side formats share :func:`redirect_script`, whose lookup is
   :meth:`RedirectMap.lookup` written again in JavaScript (the tests hold the two to the same answers).

:func:`write_redirects` writes them into ``SITE/_migrator/redirects/`` (Jekyll skips folders starting
with ``_``, so nothing there is published) and the landing pages the map points at (``/tags/``,
``/categories/``, ``/archive/``) into the site, unless the site has them.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit
from zoneinfo import ZoneInfo

import yaml

from migrator.errors import OutputError, UsageError
from migrator.jekyll import normalize_baseurl
from migrator.manifest import Manifest, atomic_write_text

OUT_DIR = "_migrator/redirects"
FORMATS = ("blogger-theme", "tistory-skin", "netlify", "nginx")
# the characters Jekyll leaves unescaped in a URL it generates (Jekyll::URL.escape_path), and "%" so an
# already escaped path is not escaped twice
_URL_SAFE = "/-._~!$&'()*+,;=:@%"


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


@dataclass(frozen=True)
class Redirect:
    old: str  # a normalized old path (see normalize_path)
    new: str  # the absolute URL on the new site
    kind: str  # post | page | tag | category | archive | feed | home
    title: str = ""


@dataclass(frozen=True)
class RedirectMap:
    platform: str
    old_origins: tuple[str, ...]  # "https://name.blogspot.com", ...
    home: str  # the new site's home, absolute, ending in "/"
    redirects: tuple[Redirect, ...]  # exact old paths, sorted
    prefixes: tuple[tuple[str, str], ...] = ()  # (old path prefix, new URL), longest first: the rest of a kind
    landing: tuple[str, ...] = ()  # the landing pages the map points at: "tags", "categories", "archive"

    def lookup(self, path: str) -> str:
        """The new URL for an old path (with or without its query): an exact path, else the longest prefix,
        else the new home. :func:`redirect_script` does the same in the browser."""
        p = normalize_path(path)
        for r in self.redirects:
            if r.old == p:
                return r.new
        for prefix, new in self.prefixes:
            if p.startswith(prefix):
                return new
        return self.home

    def as_dict(self) -> dict[str, str]:
        return {r.old: r.new for r in self.redirects}


def normalize_path(path: str) -> str:
    """An old URL's path as the map keys it: no query or fragment (``?m=1`` goes), percent-decoded (as UTF-8
    when it decodes), NFC, no repeated or trailing slashes."""
    p = path.split("#", 1)[0].split("?", 1)[0] or "/"
    try:
        p = unquote(p, errors="strict")
    except UnicodeDecodeError:
        pass
    p = unicodedata.normalize("NFC", p)
    p = re.sub(r"/{2,}", "/", p)
    if len(p) > 1:
        p = p.rstrip("/") or "/"
    return p if p.startswith("/") else "/" + p


def encode_path(path: str) -> str:
    """A path as it goes into a URL: non-ASCII and unsafe characters percent-encoded, escapes kept."""
    return quote(unicodedata.normalize("NFC", path), safe=_URL_SAFE)


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


# --- platform URL shapes ------------------------------------------------------------------------------
# The only place outside sources/ that knows a platform's URLs. The project's rule is that only sources/
# names a platform: each entry below is meant to move into its source module (a ``redirect_urls`` hook on the
# Source) once those modules are free to change; nothing else in this file names a platform.


@dataclass(frozen=True)
class PlatformUrls:
    # (post id, old path) -> more old paths of the same post (mobile forms, numeric ids)
    post_paths: Callable[[str, str], list[str]]
    # a post's tags and categories -> (old path, "tag" | "category", the name it lands on)
    taxonomy: Callable[[SitePost], Iterator[tuple[str, str, str]]]
    # "2024-03" -> (old archive path, the anchor it lands on: "2024-03" or "2024") of that month and its year
    archive_paths: Callable[[str], list[tuple[str, str]]]
    feed_paths: tuple[str, ...]  # the old feeds -> the new feed
    # (old path prefix, landing): what is left of a kind ("tags", "categories", "archive", "feed", "home")
    prefixes: tuple[tuple[str, str], ...]


def _blogger_taxonomy(post: SitePost) -> Iterator[tuple[str, str, str]]:
    # a Blogger label becomes a tag (or a category with blogger.labels_as): either way /search/label/<name>
    for t in post.tags:
        yield f"/search/label/{t}", "tag", t
    for c in post.categories:
        yield f"/search/label/{c}", "category", c


def _blogger_archive(month: str) -> list[tuple[str, str]]:
    y, m = month.split("-")
    return [(f"/{y}/{m}", month), (f"/{y}", y), (f"/{y}_{m}_01_archive.html", month)]


def _tistory_post_paths(post_id: str, path: str) -> list[str]:
    out = []
    if post_id.isdigit():
        out += [f"/{post_id}", f"/m/{post_id}"]
    if path.startswith("/entry/"):
        out.append("/m" + path)
    return out


def _tistory_taxonomy(post: SitePost) -> Iterator[tuple[str, str, str]]:
    for t in post.tags:
        yield f"/tag/{t}", "tag", t
        yield f"/m/tag/{t}", "tag", t
    for i, c in enumerate(post.categories):  # 부모/자식 -> categories: [부모, 자식]
        trail = "/".join(post.categories[: i + 1])
        yield f"/category/{trail}", "category", c
        yield f"/m/category/{trail}", "category", c


def _tistory_archive(month: str) -> list[tuple[str, str]]:
    y, m = month.split("-")
    return [(f"/archive/{y}{m}", month), (f"/m/archive/{y}{m}", month)]


PLATFORM_URLS: dict[str, PlatformUrls] = {
    "blogger": PlatformUrls(
        post_paths=lambda post_id, path: [],
        taxonomy=_blogger_taxonomy,
        archive_paths=_blogger_archive,
        feed_paths=("/feeds/posts/default", "/feeds/posts/summary", "/rss.xml", "/atom.xml"),
        prefixes=(("/feeds/", "feed"), ("/search/label/", "tags"), ("/search", "home")),
    ),
    "tistory": PlatformUrls(
        post_paths=_tistory_post_paths,
        taxonomy=_tistory_taxonomy,
        archive_paths=_tistory_archive,
        feed_paths=("/rss", "/atom"),
        prefixes=(
            ("/tag/", "tags"),
            ("/m/tag/", "tags"),
            ("/category/", "categories"),
            ("/m/category/", "categories"),
            ("/archive/", "archive"),
        ),
    ),
}
_NO_PLATFORM = PlatformUrls(lambda i, p: [], lambda p: iter(()), lambda m: [], (), ())

# --- end of the platform URL shapes --------------------------------------------------------------------

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
) -> RedirectMap:
    """Every old URL of the blog -> its new URL (pure). ``to`` is the new site's address with its base path
    (see :func:`new_base`); ``landing`` overrides where tags, categories, archive and the feed land."""
    urls = PLATFORM_URLS.get(platform, _NO_PLATFORM)
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
    for post in posts:  # ... then the platform's other forms of them, never taking a path a file claims
        new = base + post.new_path
        old = normalize_path(urlsplit(post.source_url).path) if post.source_url else None
        for alias in urls.post_paths(post.post_id, old or ""):
            add(alias, new, post.kind, post.title)
        for old_path, kind, name in urls.taxonomy(post):
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


def _front_matter(text: str) -> dict:
    if not text.startswith("---"):
        return {}
    parts = text.split("\n---", 1)
    try:
        data = yaml.safe_load(parts[0][3:]) if len(parts) == 2 else None
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


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


@dataclass
class Site:
    """The migrated site as the redirects see it."""

    out: Path
    platform: str
    old_origins: tuple[str, ...]
    config: dict = field(default_factory=dict)
    posts: list[SitePost] = field(default_factory=list)
    language: str | None = None


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
        config = yaml.safe_load((out / "_config.yml").read_text(encoding="utf-8")) or {}
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
            fm = _front_matter((out / rec.path).read_text(encoding="utf-8"))
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
    return site


# --- the browser side: one script for every theme and skin --------------------------------------------


def _script_json(value: object) -> str:
    """JSON that is safe inside ``<script>``, a CDATA section and a Tistory skin: no ``<``, ``>``, ``&``
    (so no ``</script>``, ``<!--``, ``]]>``), no U+2028/2029, no ``[##_`` (a Tistory substitution)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text.replace("[##", "[\\u0023#")


_SCRIPT = """(function () {
  /* written by migrator: every old address of this blog -> its new address */
  var R = new Map(%(map)s), P = %(prefixes)s, HOME = %(home)s;
  function norm(p) {
    try { p = decodeURIComponent(p); } catch (e) {}
    if (p.normalize) p = p.normalize("NFC");
    p = p.replace(/\\/{2,}/g, "/");
    if (p.length > 1) p = p.replace(/\\/+$/, "") || "/";
    return p.charAt(0) === "/" ? p : "/" + p;
  }
  var path = norm(location.pathname), to = R.get(path);
  for (var i = 0; !to && i < P.length; i++) if (path.indexOf(P[i][0]) === 0) to = P[i][1];
  to = to || HOME;
  if (location.hash && to.indexOf("#") < 0) to += location.hash;
  var head = document.head || document.getElementsByTagName("head")[0];
  var links = document.querySelectorAll('link[rel="canonical"]');
  if (!links.length) { var l = document.createElement("link"); l.rel = "canonical"; head.appendChild(l); links = [l]; }
  for (var j = 0; j < links.length; j++) links[j].href = to;
  var m = document.createElement("meta"); m.httpEquiv = "refresh"; m.content = "0; url=" + to; head.appendChild(m);
  location.replace(to);
})();"""


def redirect_script(rmap: RedirectMap) -> str:
    """The JavaScript both the Blogger theme and the Tistory snippet run: :meth:`RedirectMap.lookup` again,
    then ``<link rel=canonical>``, a ``<meta http-equiv=refresh>`` and ``location.replace()``."""
    return _SCRIPT % {
        "map": _script_json([[r.old, r.new] for r in rmap.redirects]),
        "prefixes": _script_json([list(p) for p in rmap.prefixes]),
        "home": _script_json(rmap.home),
    }


def _attr(value: str) -> str:
    return html.escape(value, quote=True).replace("'", "&#39;")


_SAFE_URL = re.compile(r"^https?://[A-Za-z0-9._~:/?#\[\]@!$&()*+,;=%-]+$")


_HTML_OPEN = (
    "<html b:version='2' class='v2' expr:dir='data:blog.languageDirection' xmlns='http://www.w3.org/1999/xhtml' "
    "xmlns:b='http://www.google.com/2005/gml/b' xmlns:data='http://www.google.com/2005/gml/data' "
    "xmlns:expr='http://www.google.com/2005/gml/expr'>"
)


def blogger_theme(rmap: RedirectMap, title: str = "") -> str:
    """A Blogger layout theme (Theme -> Edit HTML -> replace everything) that sends every page to its new
    address. Server side, for crawlers and readers without JavaScript: each migrated post and page gets its
    ``<link rel=canonical>`` and ``<meta http-equiv=refresh>`` from a ``b:if`` on ``data:blog.canonicalUrl``;
    then the script maps every path (posts, pages, labels, archives, feeds; the rest to the new home)."""
    cases = []
    for origin in rmap.old_origins:
        for r in rmap.redirects:
            if r.kind not in ("post", "page"):
                continue
            old = origin + encode_path(r.old)
            if not _SAFE_URL.match(old) or not _SAFE_URL.match(r.new) or '"' in old:
                continue  # Blogger's own URLs are plain ASCII; anything else is left to the script
            cond = _attr(f'data:blog.canonicalUrl == "{old}"')
            cases.append(
                f"<b:if cond='{cond}'>\n"
                f"<link href='{_attr(r.new)}' rel='canonical'/>\n"
                f"<meta content='{_attr('0; url=' + r.new)}' http-equiv='refresh'/>\n"
                "</b:if>"
            )
    script = redirect_script(rmap)
    moved = _attr(f"This blog has moved to {rmap.home}")
    name = _attr(title or "This blog")
    return f"""<?xml version="1.0" encoding="UTF-8" ?>
<!DOCTYPE html>
{_HTML_OPEN}
<!-- Written by migrator: this theme sends every page of the blog to its new address.
     Install: Blogger -> Theme -> (the arrow next to Customize) -> Edit HTML, select everything, paste this file, Save.
     Undo: Theme -> Backup -> restore the backup you downloaded first (or pick any theme again). -->
<head>
<meta charset='UTF-8'/>
<meta content='width=device-width, initial-scale=1' name='viewport'/>
<title>{name}: {moved}</title>
{chr(10).join(cases)}
<script type='text/javascript'>//<![CDATA[
{script}
//]]></script>
<b:skin><![CDATA[
body {{ font: 18px/1.5 system-ui, sans-serif; max-width: 36em; margin: 4em auto; padding: 0 1em; }}
]]></b:skin>
</head>
<body>
<p>{moved}: <a href='{_attr(rmap.home)}'>{_attr(rmap.home)}</a></p>
<b:section class='main' id='main' maxwidgets='1' showaddelement='no'>
<b:widget id='Blog1' locked='true' title='Blog Posts' type='Blog' version='1'/>
</b:section>
</body>
</html>
"""


def tistory_snippet(rmap: RedirectMap) -> str:
    """What to paste into a Tistory skin's ``<head>`` (블로그 관리 -> 꾸미기 -> 스킨 편집 -> html 편집)."""
    return (
        f"<!-- migrator: every page of this blog goes to its new address, {html.escape(rmap.home)}.\n"
        "     Paste right after <head> in the skin's HTML (스킨 편집 -> html 편집), then 적용.\n"
        "     Undo: remove this block (or apply the skin again from 스킨 변경). -->\n"
        f"<script>\n{redirect_script(rmap)}\n</script>\n"
    )


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
    rmap = build_map(site.platform, site.old_origins, site.posts, base)
    done = Written(rmap=rmap)
    target = out / OUT_DIR
    target.mkdir(parents=True, exist_ok=True)
    renderers: dict[str, tuple[str, Callable[[], str]]] = {
        "blogger-theme": ("blogger-theme.xml", lambda: blogger_theme(rmap, str(config.get("title") or ""))),
        "tistory-skin": ("tistory-head.html", lambda: tistory_snippet(rmap)),
        "netlify": ("_redirects", lambda: netlify_redirects(rmap)),
        "nginx": ("nginx-redirects.conf", lambda: nginx_map(rmap)),
    }
    for fmt in formats:
        name, render = renderers[fmt]
        atomic_write_text(target / name, render())
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


def formats_for(choice: str, platform: str) -> list[str]:
    """``all`` means the old platform's own format plus the two for a domain you keep."""
    if choice != "all":
        return [choice]
    own = {"blogger": ["blogger-theme"], "tistory": ["tistory-skin"]}.get(platform, list(FORMATS[:2]))
    return [*own, "netlify", "nginx"]
