"""Archive pages: the old listing addresses of a blog answered on the new site at the same paths.

Tistory's ``/tag/<name>`` and ``/category/<parent>/<child>``, and Blogger's ``/search/label/<name>``, become
pages at exactly those paths that list the posts carrying that tag, category or label. Each page is plain
Liquid over ``site.tags``, ``site.categories`` or ``site.posts`` (no plugin: GitHub Pages builds it), so it
stays right when posts are added, edited by hand or removed; its mobile forms (``/m/tag/<name>``) redirect to
it (``redirect_from``). Which addresses a blog had is the source's declaration
(:attr:`~migrator.sources.base.OldUrls.archive_pages`); which names exist comes from the migrated posts' front
matter. A page is written once, under ``archives/`` (its file name does not matter: its ``permalink`` does),
and never over a file that is there.

Everything here is pure but :func:`site_pages`, which reads the site through the function it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import yaml

from migrator.jekyll import YAML_LOADER, _Dumper, clean_permalink
from migrator.names import sanitize_slug, truncate_utf8
from migrator.sources.base import ArchivePage, OldUrls, archive_pages

if TYPE_CHECKING:
    from migrator.config import Config
    from migrator.models import PostRecord

ARCHIVE_DIR = "archives"
_UNSAFE_IN_PERMALINK = frozenset("%:?#\\")  # a permalink's ':x' is a Jekyll placeholder; '?', '#' end a path

_ITEM = (
    '<li><a href="{{ post.url | relative_url }}">{{ post.title | escape }}</a> · '
    '{{ post.date | date: "%Y-%m-%d" }}</li>'
)
_FLAT = (
    "{%- assign name = page.archive.names | first -%}\n"
    '<ul class="archive-list">\n'
    "{%- for post in site.@KEY@[name] %}\n" + _ITEM + "\n{%- endfor %}\n</ul>\n"
)
# a category with its sub-categories: every post whose categories start with the page's path
_NESTED = (
    '{%- assign want = page.archive.names | join: "/" | append: "/" -%}\n'
    '<ul class="archive-list">\n'
    "{%- for post in site.posts -%}\n"
    '{%- assign have = post.categories | join: "/" | append: "/" -%}\n'
    "{%- assign head = have | slice: 0, want.size -%}\n"
    "{%- if head == want %}\n" + _ITEM + "\n{%- endif -%}\n{%- endfor %}\n</ul>\n"
)


def permalink(path: str) -> str:
    """An old path as a Jekyll permalink that Jekyll writes to that same path: the characters Jekyll or a URL
    would read otherwise (``%``, ``:``, ``?``, ``#``, ``\\``, control characters) percent-encoded; Jekyll
    decodes them again for the file it writes, and the host for the file it serves."""
    out = []
    for ch in path:
        if ch in _UNSAFE_IN_PERMALINK or ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8")))
        else:
            out.append(ch)
    return "".join(out)


def usable(path: str) -> bool:
    """An old path a page can be written at: no empty, ``.`` or ``..`` segment, not the site's root."""
    return clean_permalink(path) == path and path.count("/") >= 2 and not path.endswith("/")


def collect(urls: OldUrls, terms: Iterable[tuple[tuple[str, ...], tuple[str, ...]]]) -> list[ArchivePage]:
    """Every archive page the posts' (tags, categories) need, once per path (their aliases merged), by path."""
    pages: dict[str, ArchivePage] = {}
    for tags, categories in terms:
        for page in archive_pages(urls, tags, categories):
            if not usable(page.path):
                continue
            had = pages.get(page.path)
            if had is None:
                pages[page.path] = page
            elif set(page.aliases) - set(had.aliases):
                aliases = tuple(dict.fromkeys((*had.aliases, *page.aliases)))
                pages[page.path] = ArchivePage(had.path, had.key, had.names, had.nested, aliases)
    return [pages[p] for p in sorted(pages)]


def render_page(page: ArchivePage, cfg: Config | None = None) -> str:
    """The page: front matter (title, permalink, the mobile forms as ``redirect_from``, what it lists), then
    the Liquid that lists the posts."""
    fm: dict[str, Any] = {}
    layout = cfg.front_matter.page_layout or cfg.front_matter.layout if cfg is not None else None
    if layout:
        fm["layout"] = layout
    fm["title"] = "#" + page.names[0] if page.key == "tags" else "/".join(page.names)
    fm["permalink"] = permalink(page.path)
    aliases = [permalink(a) for a in page.aliases if usable(a)]
    if aliases:
        fm["redirect_from"] = aliases
    fm["archive"] = {"key": page.key, "names": list(page.names), "nested": page.nested}
    head = yaml.dump(fm, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000)
    body = _NESTED if page.nested else _FLAT.replace("@KEY@", page.key)
    return f"---\n{head}---\n{body}"


def page_file(page: ArchivePage, n: int = 1) -> str:
    """Where the page's file goes: ``archives/`` and the old path's segments as safe names
    (``archives/category/IT/DevOps.html``), ``-2``... when two paths make one name."""
    parts = [truncate_utf8(sanitize_slug(p, "page"), 200) or "page" for p in page.path.strip("/").split("/")]
    name = parts[-1] + ("" if n == 1 else f"-{n}")
    return "/".join([ARCHIVE_DIR, *parts[:-1], name + ".html"])


def front_matter(text: str | None) -> dict:
    """A Jekyll file's front matter as a mapping (empty when it has none, or none that YAML reads)."""
    if not text or not text.startswith("---"):
        return {}
    head = text.split("\n---", 1)
    try:
        data = yaml.load(head[0][3:], Loader=YAML_LOADER) if len(head) == 2 else None
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def _names(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(value.split())  # Jekyll splits a string of tags or categories on spaces
    if isinstance(value, list):
        return tuple(str(v) for v in value if v is not None)
    return ()


def site_terms(
    records: Iterable[PostRecord], read: Callable[[str], str | None]
) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """(tags, categories) of every published post of the site, from its front matter (what Jekyll will
    list, hand edits included), each distinct pair once (in the order first seen: the pages come out the
    same, and 100,000 posts' pairs are not all held); drafts and unpublished posts are left out."""
    out: dict[tuple[tuple[str, ...], tuple[str, ...]], None] = {}
    for rec in records:
        if rec.status not in ("ok", "conflict") or rec.kind != "post" or not (rec.path or "").startswith("_posts/"):
            continue
        fm = front_matter(read(rec.path or ""))
        if fm.get("published") is False:
            continue
        out[(_names(fm.get("tags")), _names(fm.get("categories")))] = None
    return list(out)


def site_pages(
    records: Iterable[PostRecord], read: Callable[[str], str | None], urls: OldUrls, cfg: Config | None = None
) -> dict[str, str]:
    """{file: text} of the archive pages the site lacks (one whose file is there, with its permalink, is
    not written again; a file there for another page makes this one take the next name)."""
    out: dict[str, str] = {}
    for page in collect(urls, site_terms(records, read)):
        text = render_page(page, cfg)
        mine = f"permalink: {front_matter(text).get('permalink')}"
        n = 1
        while True:
            rel = page_file(page, n)
            existing = read(rel)
            if existing is None and rel not in out:
                out[rel] = text
                break
            if existing is not None and f"permalink: {front_matter(existing).get('permalink')}" == mine:
                break  # written by an earlier run (or by you): kept as it is
            n += 1
    return out
