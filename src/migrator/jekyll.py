"""The site generator: everything Jekyll-shaped, all pure. Paths, front matter, rendering, Liquid escaping,
``_config.yml``, the comments data and include, the hints that name ``jekyll`` commands, and the generator's
own config sections (``site:``, ``front_matter:``). The rest of the tool hands records and Markdown to these
functions; a second generator would be a second module of the same shape."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import yaml

from migrator.dates import local_date as local_date  # re-exported: the date in the blog's timezone
from migrator.errors import ConfigError
from migrator.liquid import escape_liquid as escape_liquid  # re-exported: Liquid escaping (liquid.py)
from migrator.liquid import unescape_liquid as unescape_liquid
from migrator.models import Blog, Comment, Post
from migrator.names import first_free, sanitize_slug, truncate_utf8, windows_safe

if TYPE_CHECKING:
    from migrator.config import Config

MAX_FILENAME_BYTES = 255
CONFIG = "_config.yml"
COMMENTS_DIR = "_data/comments"
SITE_DIRS = ("_posts", "_drafts", COMMENTS_DIR)  # the folders the migrated files go into
INDEX_FILES = ("index.md", "index.html", "index.markdown")
# theme presets: (renames, copies). A rename moves a key ({"image": "image.path"}); a copy adds a key the
# theme reads next to ours ({"header.teaser": "image"}). front_matter.keys still wins, key by key.
PRESETS: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "minima": ({}, {}),
    "minimal-mistakes": ({}, {"header.teaser": "image", "header.overlay_image": "image"}),
    "chirpy": ({"image": "image.path"}, {"description": "excerpt"}),
    "alembic": ({}, {"feature_image": "image", "feature_text": "excerpt"}),
}


@dataclass(frozen=True)
class SiteConfig:
    title: str | None = None  # _config.yml title when scaffolding (default: the blog's title)
    baseurl: str = ""  # prefix for site-absolute links ("/repo" for a GitHub project site)
    permalink: str = "/:year/:month/:title.html"  # _config.yml permalink when scaffolding
    theme: str | None = "minima"  # _config.yml theme when scaffolding (null: none)
    url: str | None = None  # the NEW site's address (https://user.github.io) for _config.yml's url: (default: unset)
    # pages at the old listing addresses (/tag/<name>, /category/<a>/<b>, /search/label/<name>) that list the
    # posts (archives.py): written once each, never over a file
    archive_pages: bool = True


@dataclass(frozen=True)
class FrontMatterConfig:
    layout: str | None = None  # "layout:" value for posts (omitted when null)
    page_layout: str | None = None  # "layout:" value for pages (default: same as layout)
    excerpt_length: int = 200  # max characters of the plain-text excerpt (0 disables the key)
    # Rename or drop keys: {"image": "header.teaser"} writes a nested key; {"excerpt": null} drops it.
    keys: dict[str, str | None] = field(default_factory=dict)
    preset: str | None = None  # minima | minimal-mistakes | chirpy | alembic: fill the fields the theme reads

    def validate(self) -> None:
        if self.preset is not None and self.preset not in PRESETS:
            raise ConfigError(f"front_matter.preset must be one of {', '.join(PRESETS)}, not {self.preset!r}")


# files and folders at the site's root that Jekyll, its plugins or the theme generate: a page never takes one
GENERATED_ROOT = frozenset(
    {"index", "feed", "404", "sitemap", "robots", "atom", "rss", "search", "redirects", "gemfile", "readme"}
)
GENERATED_DIRS = frozenset({"assets", "feed", "tag", "tags", "category", "categories", "page", "vendor"})
GENERATED_PERMALINKS = re.compile(
    r"^/(?:(?:index|404)(?:\.html?)?|feed(?:\.xml)?|sitemap\.xml|robots\.txt|redirects\.json|assets(?:/.*)?)?$",
    re.IGNORECASE,
)


def takes_generated_url(permalink: str) -> bool:
    """True when an old URL would take over a page the new site generates (home, feed, 404, assets...)."""
    return bool(GENERATED_PERMALINKS.match(permalink.rstrip("/") or "/"))


def format_date(dt: datetime) -> str:
    """``2023-06-01 10:00:00 +0900``: Jekyll's date format, with the source's UTC offset."""
    if dt.tzinfo is None:
        return dt.strftime("%Y-%m-%d %H:%M:%S")
    return dt.strftime("%Y-%m-%d %H:%M:%S %z")


def _fit(prefix: str, slug: str, suffix: str) -> str:
    room = MAX_FILENAME_BYTES - len(prefix.encode()) - len(suffix.encode())
    return prefix + windows_safe(truncate_utf8(slug, room).rstrip("-._") or "post") + suffix


def post_path(post: Post, slug: str, date: datetime, ext: str, n: int = 1) -> str:
    """Where a post lives in the site: ``_posts/YYYY-MM-DD-slug.md``, ``_drafts/slug.md``, or a page at its
    old path (``p/about.md``). ``n > 1`` numbers a collision (``-2``)."""
    suffix = ("" if n == 1 else f"-{n}") + "." + ext
    if post.kind == "page":
        directory = ""
        if post.path:
            parts = [sanitize_slug(p, "page") for p in post.path.strip("/").split("/")[:-1]]
            directory = "/".join(p for p in parts if p)
        if directory.split("/", 1)[0].casefold() in GENERATED_DIRS:
            directory = f"pages/{directory}"  # a page never lands among the images or a generated folder
        elif not directory and slug.casefold() in GENERATED_ROOT:
            slug = f"page-{slug}"  # nor takes over index.md, feed.xml, 404.html...
        name = _fit("", slug, suffix)
        return f"{directory}/{name}" if directory else name
    if post.status == "draft":
        return "_drafts/" + _fit("", slug, suffix)
    return "_posts/" + _fit(date.strftime("%Y-%m-%d-"), slug, suffix)


def same_placement(post: Post, path: str) -> bool:
    """Whether ``path`` (where the post was written) is where a post of its kind and status lives: a draft in
    ``_drafts/``, a post in ``_posts/``, a page elsewhere. False when a draft was published since, or a post
    became a page: the file moves."""
    if post.kind == "page":
        return not path.startswith(("_posts/", "_drafts/"))
    return path.startswith("_drafts/" if post.status == "draft" else "_posts/")


def allocate_path(make: Callable[[int], str], free: Callable[[str], bool]) -> str:
    """The first of ``make(1)``, ``make(2)``... that ``free`` accepts (a post's file, numbered on collision)."""
    return first_free(make, free)


def clean_permalink(path: str) -> str:
    """An old URL path made safe as a permalink: no ``..``, no control characters, one leading slash."""
    path = re.sub(r"[\x00-\x1f\x7f]", "", path)
    parts = [p for p in path.split("/") if p not in ("", ".", "..")]
    return "/" + "/".join(parts) + ("/" if path.endswith("/") and parts else "")


def clean_title(title: str) -> str:
    title = unicodedata.normalize("NFC", title or "")
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", title).replace("\n", " ").replace("\r", " ").strip()


def _set(data: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    node = data
    for p in parts[:-1]:
        child = node.get(p)
        if not isinstance(child, dict):
            child = node[p] = {}
        node = child
    node[parts[-1]] = value


def front_matter(
    post: Post,
    cfg: Config,
    blog: Blog,
    *,
    image: str | None,
    excerpt: str | None,
) -> dict[str, Any]:
    """Front matter in the contract's order; ``front_matter.keys`` renames (dotted = nested) or drops keys."""
    tz = cfg.timezone or blog.timezone
    date = local_date(post.published, tz)
    fields: list[tuple[str, Any]] = []
    layout = cfg.front_matter.page_layout if post.kind == "page" else None
    layout = layout or cfg.front_matter.layout
    if layout:
        fields.append(("layout", layout))
    fields.append(("title", clean_title(post.title)))
    if post.status == "draft":  # also when the file is moved into _posts/ by hand: never published by accident
        fields.append(("published", False))
    fields.append(("date", format_date(date)))
    if post.updated and post.updated != post.published:
        fields.append(("last_modified_at", format_date(local_date(post.updated, tz))))
    if post.categories:
        fields.append(("categories", list(post.categories)))
    if post.tags:
        fields.append(("tags", list(post.tags)))
    if excerpt:
        fields.append(("excerpt", excerpt))
    if image:
        fields.append(("image", image))
    if post.path and post.status == "live":
        path = clean_permalink(post.path)
        old = [u for u in (clean_permalink(u) for u in post.old_urls) if not takes_generated_url(u)]
        if takes_generated_url(path):  # the old URL is the new site's home, feed or assets: not taken
            fields.append(("source_url", post.url or post.path or ""))
            return _keys(fields, cfg)
        if cfg.urls == "preserve" or post.kind == "page":
            fields.append(("permalink", path))
            if old:
                fields.append(("redirect_from", old))
        else:
            fields.append(("redirect_from", [path, *old]))
    fields.append(("source_url", post.url or post.path or ""))
    return _keys(fields, cfg)


def _keys(fields: list[tuple[str, Any]], cfg: Config) -> dict[str, Any]:
    """The front matter's fields under the names the config (and its theme preset) gives them."""
    data: dict[str, Any] = {}
    preset_renames, copies = PRESETS.get(cfg.front_matter.preset or "", ({}, {}))
    renames = {**preset_renames, **cfg.front_matter.keys}
    values = dict(fields)
    for key, value in fields:
        target = renames.get(key, key) if key in renames else key
        if target is None or target == "":
            continue
        _set(data, target, value)
    for target, key in copies.items():
        if key in values and target not in cfg.front_matter.keys.values():
            _set(data, target, values[key])
    return data


YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser, the same safe constructor


def load_yaml(text: str) -> Any:
    """``yaml.safe_load(text)``, through libyaml's parser where PyYAML was built with it: the same constructor
    and resolver give the same values, about ten times faster (a no-op resync reads the config and the
    site's _config.yml three times). A text libyaml refuses is read again by PyYAML's own parser, so whatever
    safe_load read is still read, and an error is safe_load's own. libyaml is a little more lenient (a tab
    after ``key:`` reads), as Jekyll is: its YAML reader, Ruby's Psych, is libyaml too."""
    if YAML_LOADER is not yaml.SafeLoader:
        try:
            return yaml.load(text, Loader=YAML_LOADER)  # noqa: S506 - CSafeLoader is the safe loader
        except yaml.YAMLError:
            pass
    return yaml.safe_load(text)


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str_presenter)


_CDumper: type | None = None
if getattr(yaml, "__with_libyaml__", False):

    class _CDumper(yaml.CSafeDumper):  # type: ignore[no-redef]
        pass

    _CDumper.add_representer(str, _str_presenter)

# what libyaml's emitter writes differently from PyYAML's (checked by fuzzing both on every other character):
# characters outside the BMP, NEL and the Unicode line separators (escaped), lone surrogates (an error), and
# line breaks (block scalars: "..." after a last "|+" one). Keys other than plain names are written as
# complex keys in some cases.
_C_UNSAFE = re.compile("[\n\x85\u2028\u2029\ud800-\udfff\U00010000-\U0010FFFF]")
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _c_same(value: object) -> bool:
    """Whether libyaml's emitter writes ``value`` exactly as PyYAML's does."""
    if isinstance(value, str):
        return _C_UNSAFE.search(value) is None
    if isinstance(value, dict):
        return all(isinstance(k, str) and _PLAIN_KEY.fullmatch(k) and _c_same(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_c_same(v) for v in value)
    return value is None or isinstance(value, (bool, int))


def render(fm: dict[str, Any], body: str) -> str:
    """A Jekyll document: YAML front matter written by a real serializer, then the body. (libyaml's emitter,
    ten times as fast, when it writes the same bytes as PyYAML's; PyYAML's otherwise.)"""
    dumper = _CDumper if _CDumper is not None and _c_same(fm) else _Dumper
    head = yaml.dump(fm, Dumper=dumper, allow_unicode=True, sort_keys=False, width=10_000)
    return f"---\n{head}---\n\n{body.rstrip()}\n"


def scaffold_config(blog: Blog, cfg: Config) -> str:
    """A ``_config.yml`` for a new site (never written over an existing one)."""
    data: dict[str, Any] = {
        "title": cfg.site.title or blog.title or "My blog",
    }
    if blog.description:
        data["description"] = blog.description
    if cfg.site.baseurl:
        data["baseurl"] = cfg.site.baseurl
    if cfg.site.url:  # the new site's address; never the old blog's (redirects and feeds would point back)
        data["url"] = cfg.site.url.rstrip("/")
    tz = cfg.timezone or blog.timezone
    if tz:
        data["timezone"] = tz
    lang = site_language(blog)
    if lang:
        data["lang"] = lang  # minima writes <html lang="...">
    data["permalink"] = cfg.site.permalink
    if cfg.site.theme:
        data["theme"] = cfg.site.theme
        data["defaults"] = [
            {"scope": {"path": "", "type": "posts"}, "values": {"layout": "post"}},
            {"scope": {"path": "", "type": "pages"}, "values": {"layout": "page"}},
        ]
        data["show_excerpts"] = True  # the home page lists each post with its excerpt
    data["excerpt_separator"] = "<!--more-->"
    data["plugins"] = ["jekyll-redirect-from", "jekyll-feed", "jekyll-seo-tag", "jekyll-sitemap"]
    data["exclude"] = [".migrator"]
    data["kramdown"] = {"input": "GFM", "hard_wrap": False}
    head = SCAFFOLD_HEAD + "; edit freely: migrator never overwrites this file.\n"
    return head + yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000)


def site_language(blog: Blog) -> str | None:
    """The site's ``lang`` (BCP 47, as ``<html lang>`` wants it) from the blog's language or locale
    (``en_US`` -> ``en-US``; a source that knows its platform's language gives it as the locale)."""
    raw = (blog.locale or "").strip().replace("_", "-")
    if re.fullmatch(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*", raw):
        return raw
    return None


SCAFFOLD_HEAD = "# Written by migrator for a new site"

# The comments include (the README's, every field escaped) and minima's post layout with it hooked in: what
# a new site needs for its saved comments (_data/comments/) to show. Never written over a file you have.
COMMENTS_INCLUDE = """{% assign key = page.path | split: "/" | last | split: "." | first %}
{% assign comments = site.data.comments[key] %}
{% if comments %}
<section class="comments">
  <h2>{{ comments | size }} comments</h2>
  {% for c in comments %}
  <article id="c{{ c.id | escape }}" class="comment{% if c.parent %} reply{% endif %}">
    {% assign u = c.url | default: "" | strip %}{% assign h7 = u | downcase | slice: 0, 7 %}
    {% assign h8 = u | downcase | slice: 0, 8 %}{% assign who = c.author | escape %}
    {% if h7 == "http://" or h8 == "https://" %}
      {% capture who %}<a href="{{ u | escape }}" rel="nofollow ugc">{{ who }}</a>{% endcapture %}
    {% endif %}
    <p><strong>{{ who }}</strong> · {{ c.date | date: "%Y-%m-%d" }}
       {% if c.parent %}(replying to <a href="#c{{ c.parent | escape }}">a comment</a>){% endif %}</p>
    <p>{{ c.text | escape | newline_to_br }}</p>
  </article>
  {% endfor %}
</section>
{% endif %}
"""

MINIMA_POST_LAYOUT = """---
layout: default
---
{%- comment -%} minima 2.5's post layout, written by migrator with the comments include added {%- endcomment -%}
<article class="post h-entry" itemscope itemtype="http://schema.org/BlogPosting">

  <header class="post-header">
    <h1 class="post-title p-name" itemprop="name headline">{{ page.title | escape }}</h1>
    <p class="post-meta">
      <time class="dt-published" datetime="{{ page.date | date_to_xmlschema }}" itemprop="datePublished">
        {%- assign date_format = site.minima.date_format | default: "%b %-d, %Y" -%}
        {{ page.date | date: date_format }}
      </time>
      {%- if page.author -%}
        • <span itemprop="author" itemscope itemtype="http://schema.org/Person">
          <span class="p-author h-card" itemprop="name">{{ page.author | escape }}</span></span>
      {%- endif -%}</p>
  </header>

  <div class="post-content e-content" itemprop="articleBody">
    {{ content }}
  </div>

  {%- include comments.html -%}

  {%- if site.disqus.shortname -%}
    {%- include disqus_comments.html -%}
  {%- endif -%}

  <a class="u-url" href="{{ page.url | relative_url }}" hidden></a>
</article>
"""


def scaffold_files(config_text: str | None) -> dict[str, str]:
    """The theme files a site that migrator scaffolded (its ``_config.yml`` starts with migrator's header)
    needs to show saved comments: ``_includes/comments.html`` and, for minima, the post layout that includes
    it. Nothing for a site whose ``_config.yml`` is someone else's."""
    if not config_text or not config_text.startswith(SCAFFOLD_HEAD):
        return {}
    try:
        data = load_yaml(config_text) or {}
    except yaml.YAMLError:
        return {}
    files = {"_includes/comments.html": COMMENTS_INCLUDE}
    if isinstance(data, dict) and data.get("theme") == "minima":
        files["_layouts/post.html"] = MINIMA_POST_LAYOUT
    return files


def scaffold_index(blog: Blog, cfg: Config) -> str | None:
    """A home page listing the posts, for a new site with a theme (minima's ``home`` layout)."""
    if not cfg.site.theme:
        return None
    return render({"layout": "home"}, "")


def normalize_baseurl(value: str | None) -> str:
    """``repo/`` -> ``/repo``; empty stays empty."""
    base = str(value or "").strip("/")
    return "/" + base if base else ""


def config_baseurl(text: str | None) -> str:
    """The ``baseurl`` an existing ``_config.yml`` sets (normalized), or ""."""
    if not text:
        return ""
    try:
        data = load_yaml(text) or {}
    except yaml.YAMLError:
        return ""
    return normalize_baseurl(data.get("baseurl")) if isinstance(data, dict) else ""


URL_HINT = (
    "_config.yml has no url: set url: to the new site's address (e.g. https://USER.github.io, or site.url in "
    "migrator's config before the first run) so canonical links, the feed and redirect pages name the new site"
)


def config_warnings(existing: str, needs_redirects: bool, old_origins: tuple[str, ...] = ()) -> list[str]:
    """What an existing ``_config.yml`` lacks that the migrated posts need, or sets that sends readers back."""
    try:
        data = load_yaml(existing) or {}
    except yaml.YAMLError:
        return ["_config.yml is not valid YAML: Jekyll will not build the site until it is fixed"]
    if not isinstance(data, dict):
        return ["_config.yml is not a mapping of settings"]
    out = []
    if data.get("excerpt_separator") != "<!--more-->":
        out.append("_config.yml: set excerpt_separator: <!--more--> so post excerpts stop at the old jump break")
    plugins = data.get("plugins") or data.get("gems") or []
    if needs_redirects and "jekyll-redirect-from" not in plugins:
        out.append("_config.yml: add jekyll-redirect-from to plugins, or the old URLs (redirect_from) will 404")
    url = str(data.get("url") or "").rstrip("/")
    old_hosts = {urlsplit(o).hostname for o in old_origins if o}
    if url and urlsplit(url).hostname in old_hosts:
        out.append(
            f"_config.yml: url: {url} is the old blog's address: redirects, canonical links and the feed would "
            "send readers back to it; set url: to the new site's address"
        )
    elif not url:
        out.append(URL_HINT)
    return out


def preview_markdown(body: str) -> str:
    """A post's Markdown as a CommonMark renderer can preview it: the Liquid escaping undone and kramdown's
    attribute lists (``{: start="3"}``) dropped."""
    body = re.sub(r"\{% (?:end)?raw %\}", "", body).replace('{{ "{" }}', "{")
    return re.sub(r"(?m)^\{:[^}\n]*\}$", "", body)


# --- comments, the new site's files, and what to run next -------------------------------------------------


def comments_file(post_path: str, comments: tuple[Comment, ...], tz: str | None) -> tuple[str, str]:
    """``(_data/comments/<post file name>.yml, its text)``: author, its URL, date, text and parent of each comment,
    which the comments include prints."""
    rows = [
        {
            "id": c.id,
            "author": c.author,
            **({"url": c.author_url} if c.author_url else {}),
            "date": format_date(local_date(c.published, tz)),
            "text": c.text,
            **({"parent": c.parent} if c.parent else {}),
        }
        for c in comments
    ]
    stem = post_path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    text = yaml.dump(rows, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000)
    return f"{COMMENTS_DIR}/{stem}.yml", text


@dataclass
class SiteSetup:
    """What a run adds to the site besides the posts: the files of a new site (never over one that exists)
    and what it should tell about an existing ``_config.yml``."""

    files: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    new_site: bool = False


def site_setup(
    blog: Blog,
    cfg: Config,
    read: Callable[[str], str | None],
    exists: Callable[[str], bool],
    needs_redirects: bool,
) -> SiteSetup:
    """A new site's ``_config.yml``, comments include, layout and home page; or, for a site that has a
    ``_config.yml``, what it lacks that the migrated posts need."""
    existing = read(CONFIG)
    if existing is not None:
        return SiteSetup(warnings=config_warnings(existing, needs_redirects, (blog.url,)))
    setup = SiteSetup(new_site=True)
    config_text = scaffold_config(blog, cfg)
    setup.files[CONFIG] = config_text
    setup.files.update(scaffold_files(config_text))  # saved comments show on a new site
    index = scaffold_index(blog, cfg)
    if index and not any(exists(n) for n in INDEX_FILES):
        setup.files["index.md"] = index
    if not cfg.site.url:
        setup.warnings.append(URL_HINT)
    return setup


def serve_hint(out: object) -> str:
    """The line that says how to look at the site."""
    return f"Next: cd {out} && jekyll serve   (then open http://127.0.0.1:4000)"
