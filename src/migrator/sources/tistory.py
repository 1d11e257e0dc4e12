"""Tistory (``*.tistory.com`` and custom domains): public pages only (the Open API closed in 2024).

Discovery: ``/sitemap.xml`` (``/m/`` duplicates and category/tag/guestbook URLs dropped, ``lastmod`` kept),
``/rss`` for the newest posts, and, when the sitemap is missing or capped (about 1,000 URLs), numeric ids
enumerated down from the newest one until a configurable run of ids is missing. ``/entry/<title>`` and
``/<id>`` are one post: the numeric id read from the page decides.

Extraction does not depend on the skin: metadata from the head (``og:*``, ``article:*_time``) and the
``window.T.entryInfo`` / ``tiara`` JSON, else the skin's category and tag links nearest the article (menus
are told by what they are); the body from ``.tt_article_useless_p_margin``, then ``.contents_style``, then
known skin containers, then the uniform mobile page ``/m/<id>``. The editor's markup (``figure.imageblock``, grids,
file blocks, code blocks, ``moreLess`` folds, opengraph cards, video and map embeds, ``data-ke-*``) is turned
into ordinary HTML here, and every image URL is resolved to its original (``thumb?fname=`` unwrapped,
``cfile`` + ``?original``), so nothing downstream knows about Tistory.

Comments, comment counts and notices come from the blog's mobile JSON endpoints (``tistory_api.py``, called
from here); the official backup file is read by ``tistory_backup.py``, which reads the live blog through
this class.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import parse_qs, quote, unquote, urljoin, urlsplit

from migrator.errors import ConfigError, FetchError, NotABlogError, SourceError
from migrator.models import Blog, Known, KnownPost, Post, Unreadable
from migrator.redirectmap import RedirectMap, redirect_script
from migrator.runtime import LazyModule
from migrator.sources import tistory_api
from migrator.sources.base import ArchivePage, BaseSource, OldUrls, RedirectFormat, opening_hint
from migrator.sources.markup import code_blocks as markup_code_blocks

etree = LazyModule("lxml.etree")  # loaded when first used: not by the platform registry

if TYPE_CHECKING:  # bs4 is imported where it is used: a run that never reads a Tistory page never loads it
    from bs4 import BeautifulSoup, Tag

    from migrator.config import Config
    from migrator.http import HttpClient

KST = timezone(timedelta(hours=9))
PROTECTED_TEXT = "보호되어 있는 글입니다"
DEFAULT_BODY_SELECTORS = (
    ".tt_article_useless_p_margin",
    "#article-view",
    ".article_view",
    ".area_view",
    "div.article-view",
    "div.entry-content",
    "article.content",
    "div.entry div.article",
    ".contents_style",
)
MOBILE_BODY_SELECTORS = (".blogview_content", "#mainContent .blogview_content", ".tt_article_useless_p_margin")
JUNK_SELECTORS = (
    "script",
    "style",
    "noscript",
    "ins.adsbygoogle",
    ".revenue_unit_wrap",
    "[data-tistory-react-app]",
    ".container_postbtn",
    ".postbtn_like",
    ".another_category",
    ".area_related",
    ".related_type",
    ".area_reply",
    ".area_comment",
    ".tt-sns-wrap",
    ".tt-share-entry-with-sns",
    ".tt_box_namecard",
    ".subscription",
    ".btn_subscription",
    ".permalink__admin",
    ".my_edit",
    "#tistorySnsLayer",
    "[id^=entry][id$=Comment]",
    "svg",
    ".adsense",
    ".tt_adsense_top",
    ".tt_adsense_bottom",
    "[id^=google_ads]",
    ".revenue_unit_item",
)
_NUMERIC = re.compile(r"^/(\d+)/?$")
_ENTRY = re.compile(r"^/entry/([^/]+)/?$")
_MOBILE = re.compile(r"^/m/(\d+|entry/[^/]+)/?$")

log = logging.getLogger("migrator")


# --- pure helpers ------------------------------------------------------------------------------------


def original_image_url(url: str) -> str:
    """The original of a Tistory/Kakao image URL.

    - ``…/thumb/R1280x0/?scode=mtistory2&fname=<encoded>`` -> the ``fname`` URL (unwrapped repeatedly)
    - ``…/cfile/tistory/<hex>`` -> ``…?original``
    - ``cfileNN.uf.tistory.com/image/<hex>`` -> ``…/original/<hex>``
    - ``blog.kakaocdn.net/dn/…`` and signed ``/dna/…?credential=…`` are originals already
    """
    url = url.strip()
    if url.startswith("//"):
        url = "https:" + url
    for _ in range(5):
        parts = urlsplit(url)
        if parts.path.startswith("/thumb/") and "fname=" in parts.query:
            fname = parse_qs(parts.query).get("fname", [""])[0]
            if fname:
                url = fname if "://" in fname else unquote(fname)
                if url.startswith("//"):
                    url = "https:" + url
                continue
        break
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if "/cfile/tistory/" in parts.path and not parts.query:
        return url + "?original"
    if re.match(r"^cfile\d+\.uf\.tistory\.com$", host) and parts.path.startswith("/image/"):
        return url.replace("/image/", "/original/", 1)
    return url


_SIGNATURE_PARAMS = frozenset({"credential", "expires", "allow_ip", "allow_referer", "signature"})


def stable_image_key(url: str) -> str:
    """A signed ``/dna/…?credential=…&expires=…&signature=…`` URL without its signature: the same image
    keeps one identity when Tistory re-signs it (every month)."""
    parts = urlsplit(url)
    if not parts.query or "signature=" not in parts.query:
        return url
    kept = [q for q in parts.query.split("&") if q.split("=", 1)[0] not in _SIGNATURE_PARAMS]
    return parts._replace(query="&".join(kept)).geturl()


def is_chrome_image(url: str) -> bool:
    """Tistory's own UI images (emoticons, no-image placeholders, profile pictures): not content."""
    return (
        "/tistory_admin/" in url
        or is_emoticon_image(url)
        or re.search(r"tistory\d*\.daumcdn\.net/tistory/\d+/attach/", url) is not None
    )


def is_emoticon_image(url: str) -> bool:
    """An editor emoticon: the new editor's ``t1.daumcdn.net/keditor/emoticon/…``, ``tistory_admin`` emoticons,
    and the old (Daum) editor's ``…/deco/contents/emoticon/…``."""
    return (
        "/keditor/emoticon/" in url
        or "/deco/contents/emoticon/" in url
        or ("/tistory_admin/" in url and "emoticon" in url)
    )


def kage_url(ref: str) -> str:
    """``kage@a/b/c/img.png`` (raw editor placeholders) -> ``https://blog.kakaocdn.net/dn/a/b/c/img.png``."""
    return "https://blog.kakaocdn.net/dn/" + ref.split("@", 1)[1]


def looks_like_tistory(html: str) -> bool:
    markers = ("window.T.config", "T.config =", "tistory_admin", "tistory1.daumcdn.net/tistory", "TistoryBlog")
    return any(m in html for m in markers)


def parse_tistory_date(value: str | None) -> datetime | None:
    """ISO 8601 (``2011-06-27T13:04:10+09:00``), compact ``20131026232137`` (KST), or JSON-LD's
    ``20170710T21:30:38+09:00``."""
    if not value:
        return None
    v = value.strip()
    m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})", v)
    if m:
        return datetime(*map(int, m.groups()), tzinfo=KST)
    m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})T(.*)", v)
    if m:
        v = f"{m.group(1)}-{m.group(2)}-{m.group(3)}T{m.group(4)}"
    try:
        dt = datetime.fromisoformat(v)
    except ValueError:
        try:
            dt = parsedate_to_datetime(v)
        except (TypeError, ValueError, IndexError):
            return None
    return dt if dt.tzinfo else dt.replace(tzinfo=KST)


def parse_visible_date(text: str | None) -> datetime | None:
    """A skin's visible date: "2025. 11. 13. 17:09", "2023. 1. 27. 23:37", "2017.07.10 21:30", "2011. 6. 27." (KST)."""
    if not text:
        return None
    m = re.search(r"(\d{4})\s*[.-]\s*(\d{1,2})\s*[.-]\s*(\d{1,2})\.?(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?", text)
    if not m:
        return None
    y, mo, d, h, mi, sec = (int(g) if g else 0 for g in m.groups())
    try:
        return datetime(y, mo, d, h, mi, sec, tzinfo=KST)
    except ValueError:
        return None


def classify_path(path: str) -> tuple[str, str] | None:
    """('id', '123') or ('entry', '<decoded title>') for a post URL path; None for anything else."""
    m = _NUMERIC.match(path)
    if m:
        return "id", m.group(1)
    m = _ENTRY.match(path)
    if m:
        return "entry", unquote(m.group(1))
    return None


def _json_after(html: str, marker: str) -> dict | None:
    """The JSON object assigned after ``marker`` in an inline script (``window.T.entryInfo = {...};``)."""
    i = html.find(marker)
    if i < 0:
        return None
    i = html.find("{", i)
    if i < 0 or html[html.find(marker) + len(marker) : i].strip(" =\t\n") != "":
        return None
    try:
        obj, _ = json.JSONDecoder().raw_decode(html[i:])
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


# --- one post page: metadata that does not depend on the skin ----------------------------------------


@dataclass(frozen=True)
class PageMeta:
    """What a post page's head and inline JSON say about the post."""

    entry_id: str  # "123", else "entry:<title>" or the URL
    canonical: str
    title: str
    published: datetime | None
    modified: datetime | None
    summary: str | None
    thumbnail: str | None
    category: str  # entryInfo's categoryLabel or tiara's categoryName ("" when the page has neither)
    tags: tuple[str, ...]  # tiara's


def _meta(soup: BeautifulSoup, prop: str) -> str | None:
    el = soup.find("meta", attrs={"property": prop}) or soup.find("meta", attrs={"name": prop})
    v = el.get("content") if el is not None else None
    return str(v).strip() if v else None


def _json_ld(soup: BeautifulSoup) -> dict:
    ld: dict = {}
    for script in soup.find_all("script", attrs={"type": "application/ld+json"}):
        try:
            data = json.loads(script.string or "")
        except ValueError:
            continue
        if isinstance(data, dict) and data.get("@type") in ("BlogPosting", "Article"):
            ld = data
    return ld


def page_entry_id(soup: BeautifulSoup, html: str, url: str) -> str:
    """The post's numeric id: ``window.T.entryInfo``, ``tiara``, ``article:txid`` (``<blogId>_<entryId>``),
    then a numeric ``dg:plink``, ``og:url`` or ``url``; "" when none of them has it."""
    entry_info = _json_after(html, "window.T.entryInfo") or {}
    tiara = (_json_after(html, "window.tiara") or {}).get("entry") or {}
    entry_id = str(entry_info.get("entryId") or tiara.get("entryId") or "")
    if not entry_id:
        txid = _meta(soup, "article:txid") or ""
        entry_id = txid.rsplit("_", 1)[-1] if "_" in txid else ""
    if not entry_id:
        for candidate in (_meta(soup, "dg:plink"), _meta(soup, "og:url"), url):
            key = classify_path(urlsplit(candidate or "").path)
            if key and key[0] == "id":
                return key[1]
    return entry_id


def read_page_meta(soup: BeautifulSoup, html: str, url: str, origin: str) -> PageMeta:
    """The post's id, address, title, dates and JSON metadata from the page head (never ``og:regDate``)."""
    entry_info = _json_after(html, "window.T.entryInfo") or {}
    tiara = (_json_after(html, "window.tiara") or {}).get("entry") or {}
    ld = _json_ld(soup)
    entry_id = page_entry_id(soup, html, url)
    canonical = None
    link = soup.find("link", attrs={"rel": "canonical"})
    for candidate in (link.get("href") if link else None, _meta(soup, "og:url"), _meta(soup, "dg:plink"), url):
        if candidate and classify_path(urlsplit(candidate).path):
            canonical = origin + urlsplit(candidate).path
            break
    canonical = canonical or url
    if not entry_id:
        key = classify_path(urlsplit(canonical).path)
        entry_id = f"entry:{key[1]}" if key else url
    return PageMeta(
        entry_id=entry_id,
        canonical=canonical,
        title=_meta(soup, "og:title") or _meta(soup, "title") or ld.get("headline") or tiara.get("entryTitle") or "",
        published=parse_tistory_date(_meta(soup, "article:published_time"))
        or parse_tistory_date(ld.get("datePublished")),
        modified=parse_tistory_date(_meta(soup, "article:modified_time")) or parse_tistory_date(ld.get("dateModified")),
        summary=_meta(soup, "og:description"),
        thumbnail=_meta(soup, "og:image"),
        category=str(entry_info.get("categoryLabel") or tiara.get("categoryName") or ""),
        tags=tuple(str(t) for t in tiara.get("tags") or [] if str(t).strip()),
    )


def is_protected_page(soup: BeautifulSoup) -> bool:
    """A password-protected post: the skin's notice and a password field instead of the text."""
    return PROTECTED_TEXT in soup.get_text(" ") and soup.find("input", attrs={"type": "password"}) is not None


def visible_date(soup: BeautifulSoup) -> datetime | None:
    """The date the skin shows, for pages whose head has none."""
    for sel in ("time.date", "span.date", ".date", "time"):
        el = soup.select_one(sel)
        found = parse_visible_date(el.get("datetime") or el.get_text(" ", strip=True)) if el else None
        if found:
            return found
    return None


def entry_slug(title: str) -> str:
    """The ``/entry/<slug>`` Tistory makes of a title, as observed on real blogs ("[Python] 날짜 다루기" ->
    "Python-날짜-다루기"): ASCII punctuation dropped, spaces to hyphens. The owner can edit a slug."""
    s = re.sub(r"[!-,./:-@\[-^`{-~]", "", title)
    s = re.sub(r"\s+", "-", s.strip())
    return re.sub(r"-{2,}", "-", s).strip("-")


def slug_key(text: str) -> str:
    """A title or an ``/entry/`` slug reduced to its letters and digits (case-folded), so that a slug matches
    the title it was made from whatever punctuation Tistory dropped."""
    return "".join(ch for ch in unicodedata.normalize("NFC", text).casefold() if ch.isalnum())


# --- editor markup -> ordinary HTML ------------------------------------------------------------------
#
# ``clean_editor_html`` runs the passes below in order; each is a small named function. ``ELEMENT_RULES`` is
# the table of "editor construct (a CSS selector) -> what it becomes"; the other passes work on the whole body.


def _img_from(span_or_img: Tag, soup: BeautifulSoup, name: str | None, alt: str | None) -> Tag | None:
    img = span_or_img if span_or_img.name == "img" else span_or_img.find("img")
    url = None
    if span_or_img.name != "img":
        url = span_or_img.get("data-url") or span_or_img.get("data-phocus")
    if not url and img is not None:
        url = img.get("data-src") or img.get("src")
        if (not url or url.startswith(("./", "data:"))) and img.get("srcset"):
            url = str(img["srcset"]).split(",")[0].split()[0]
    if not url:
        return None
    new = soup.new_tag("img", src=original_image_url(str(url)))
    alt = alt or (img.get("alt") if img is not None else None) or ""
    new["alt"] = alt
    fname = name or (img.get("data-filename") or img.get("filename") if img is not None else None)
    if fname:
        new["data-filename"] = fname
    return new


_MEDIA = ("img", "iframe", "video", "audio", "embed", "object", "picture", "svg", "canvas")


def _is_empty(el: Tag) -> bool:
    """No visible text and no media left in ``el``."""
    return not el.get_text(strip=True).replace("\xa0", "") and el.find(_MEDIA) is None and el.name not in _MEDIA


def _drop(el: Tag, body: Tag) -> None:
    """Remove ``el``, then every wrapper around it (up to ``body``) that it leaves empty: a skin's ad in a
    ``<p>``, a ``<table>`` or a ``<div>`` goes with its wrapper, not leaving an empty table behind."""
    from bs4 import Tag
    parent = el.parent
    el.decompose()
    while parent is not None and parent is not body and isinstance(parent, Tag) and _is_empty(parent):
        up = parent.parent
        parent.decompose()
        parent = up


def _caption(soup: BeautifulSoup, caption: Tag | None) -> Tag | None:
    if caption is None or not caption.get_text(strip=True):
        return None
    fc = soup.new_tag("figcaption")
    fc.string = caption.get_text(" ", strip=True)
    return fc


def _image_block(fig: Tag, soup: BeautifulSoup, base: str) -> None:
    """``figure.imageblock`` (new editor) and ``span.imageblock`` (old editor) -> one original-size image."""
    name = fig.get("data-filename")
    span = fig.find("span", attrs={"data-url": True}) or fig
    caption = fig.find("figcaption")
    alt = (span.get("data-alt") if span is not fig else None) or (
        caption.get_text(" ", strip=True) if caption else None
    )
    img = _img_from(span if span is not fig else (fig.find("img") or fig), soup, name, alt)
    if img is None:
        fig.decompose()
        return
    if fig.name != "figure":
        fig.replace_with(img)
        return
    new = soup.new_tag("figure")
    new.append(img)
    fc = _caption(soup, caption)
    if fc is not None:
        new.append(fc)
    fig.replace_with(new)


def _image_grid(fig: Tag, soup: BeautifulSoup, base: str) -> None:
    """``figure.imagegridblock``: several images, one caption."""
    new = soup.new_tag("figure")
    for span in fig.select("span[data-url]") or fig.find_all("img"):
        img = _img_from(span, soup, None, span.get("data-alt") if span.name == "span" else None)
        if img is not None:
            new.append(img)
    fc = _caption(soup, fig.find("figcaption"))
    if fc is not None:
        new.append(fc)
    fig.replace_with(new)


def _file_block(fig: Tag, soup: BeautifulSoup, base: str) -> None:
    """``figure.fileblock`` -> a download link, relinked to the local copy like an image."""
    from bs4 import NavigableString
    a = fig.find("a", href=True)
    if a is None:
        fig.decompose()
        return
    name_el = fig.select_one(".name")
    name = name_el.get_text(strip=True) if name_el else unquote(urlsplit(a["href"]).path.rsplit("/", 1)[-1])
    p = soup.new_tag("p")
    link = soup.new_tag("a", href=urljoin(base + "/", a["href"]))
    link["data-migrator-attachment"] = name
    link.string = name
    p.append(link)
    size = fig.select_one(".size")
    if size is not None and size.get_text(strip=True):
        p.append(NavigableString(f" ({size.get_text(strip=True)})"))
    fig.replace_with(p)


def _details(soup: BeautifulSoup, label: str, children: list) -> Tag:
    details = soup.new_tag("details")
    summary = soup.new_tag("summary")
    summary.string = label or "더보기"
    details.append(summary)
    for child in children:
        details.append(child.extract() if getattr(child, "parent", None) is not None else child)
    return details


def _more_less(div: Tag, soup: BeautifulSoup, base: str) -> None:
    """The new editor's fold ``div[data-ke-type=moreLess]`` -> ``<details><summary>``."""
    from bs4 import Tag
    content = div.select_one(".moreless-content") or div
    children = [
        c
        for c in content.contents
        if not (isinstance(c, Tag) and "btn-toggle-moreless" in (c.get("class") or []))
    ]
    div.replace_with(_details(soup, str(div.get("data-text-more") or "더보기"), children))


# the old editor's fold (before 2019): a label or button, the content, and a "less" button; and the forms a
# Tistory backup leaves (``span.txt_fold`` + ``div.moreless_content``, or a ``tt_moretext`` label broken into text)
_FOLD_OPENER = frozenset({"moreless_fold", "moreless_top", "txt_fold", "btn_more", "tt-more-before"})
_FOLD_CLOSER = frozenset({"btn_less", "moreless_bottom", "moreless_top", "tt-less-after", "tt-less-before"})
_TT_ATTR_END = re.compile(r"\btt_id=\"\d+\"\s*(?:>|&gt;)")


def _classes(el: object) -> set[str]:
    from bs4 import Tag
    return set(el.get("class") or []) if isinstance(el, Tag) else set()


def _element_sibling(el: Tag, forward: bool) -> Tag | None:
    from bs4 import Tag
    sib = el.next_sibling if forward else el.previous_sibling
    while sib is not None and not isinstance(sib, Tag):
        if str(sib).strip():
            return None  # text in between: not the fold's own button
        sib = sib.next_sibling if forward else sib.previous_sibling
    return sib


def _is_fold_button(el: Tag | None, names: frozenset[str]) -> bool:
    """``el`` is the fold's label or button (``button.btn_more``, ``span.txt_fold``, ``p.moreless_fold > span``)."""
    from bs4 import Tag
    if el is None:
        return False
    if _classes(el) & names:
        return True
    kids = [c for c in el.children if isinstance(c, Tag) or str(c).strip()]
    return el.name in ("p", "div") and len(kids) == 1 and isinstance(kids[0], Tag) and bool(_classes(kids[0]) & names)


def _label_text(el: Tag) -> str:
    """A fold's visible label: its text, else ``tt_moretext`` (which may hold HTML), else the onclick's argument."""
    from bs4 import BeautifulSoup
    text = " ".join(el.get_text(" ", strip=True).split())
    if not text:
        attr = el.get("tt_moretext") or next((c.get("tt_moretext") for c in el.find_all(True)), None)
        text = BeautifulSoup(str(attr or ""), "html.parser").get_text(" ", strip=True)
    if not text:
        m = re.search(r"toggleMoreLess\([^,]*,\s*'[^']*',\s*'([^']*)'", str(el))
        text = m.group(1) if m else ""
    return text.strip("▼▶▽ ")


def _strip_attribute_junk(content: Tag) -> str:
    """A ``tt_moretext`` attribute that a backup broke into text leaves ``보기</b> " tt_lesstext=" <b>닫기</b> "
    tt_id="1">`` before the content: removed. Returns the label it held when it starts with one (``<b>…</b>``)."""
    from bs4 import NavigableString, Tag
    leading: list = []
    seen = ""
    for child in list(content.contents):
        text = child.get_text() if isinstance(child, Tag) else str(child)
        m = _TT_ATTR_END.search(text) if isinstance(child, NavigableString) else None
        if m is not None and "tt_" in seen + text[: m.start()]:
            label = leading[0].get_text(" ", strip=True) if leading and isinstance(leading[0], Tag) else ""
            for node in leading:
                node.extract()
            child.replace_with(NavigableString(text[m.end() :]))
            return label
        seen += text
        leading.append(child)
        if len(seen) > 400 or (isinstance(child, Tag) and child.name not in ("b", "strong", "span", "i", "em")):
            return ""
    return ""


def _old_fold(content: Tag, soup: BeautifulSoup, base: str) -> None:
    """``div.moreless_content`` of the old editor (and of backups) -> ``<details><summary>``; the more/less
    buttons go, so no button text is left in the post."""
    from bs4 import BeautifulSoup
    label = ""
    holder = content.parent if "txt_fold" in _classes(content.parent) else None
    opener = _element_sibling(content, forward=False)
    if holder is not None:  # <span class="txt_fold" tt_moretext="…"><div class="moreless_content">…</div></span>
        label = BeautifulSoup(str(holder.get("tt_moretext") or ""), "html.parser").get_text(" ", strip=True)
    elif _is_fold_button(opener, _FOLD_OPENER):
        assert opener is not None
        label = _label_text(opener)
        opener.decompose()
    for closer in content.find_all(True):
        if not closer.decomposed and closer.parent is not None and _is_fold_button(closer, _FOLD_CLOSER):
            closer.decompose()
    after = _element_sibling(holder or content, forward=True)
    if _is_fold_button(after, _FOLD_CLOSER):
        assert after is not None
        after.decompose()
    label = _strip_attribute_junk(content) or label
    details = _details(soup, label or "더보기", list(content.contents))
    (holder or content).replace_with(details)


def _drop_buttons(body: Tag, soup: BeautifulSoup, base: str) -> None:
    """A button left in a post (a fold's more/less button out of place) is the skin's, not text to keep."""
    for button in body.find_all("button"):
        if not button.decomposed and button.parent is not None:
            _drop(button, body)


def _opengraph(fig: Tag, soup: BeautifulSoup, base: str) -> None:
    """A link card -> a quoted link with its title, description and host name."""

    def text(cls: str) -> str:
        el = fig.select_one(cls)
        return el.get_text(" ", strip=True) if el is not None else ""

    a = fig.find("a", href=True)
    url = fig.get("data-og-url") or fig.get("data-og-source-url") or (a["href"] if a else None)
    title = fig.get("data-og-title") or text(".og-title") or url or ""
    desc = fig.get("data-og-description") or text(".og-desc")
    host = fig.get("data-og-host") or text(".og-host") or (urlsplit(str(url)).hostname if url else "") or ""
    quote_el = soup.new_tag("blockquote")
    p = soup.new_tag("p")
    if url:
        link = soup.new_tag("a", href=url)
        link.string = title
        strong = soup.new_tag("strong")
        strong.append(link)
        p.append(strong)
    else:
        p.string = title
    quote_el.append(p)
    if desc or host:
        d = soup.new_tag("p")
        d.string = f"{desc} ({host})" if desc and host else desc or host
        quote_el.append(d)
    fig.replace_with(quote_el)


def _video(fig: Tag, soup: BeautifulSoup, base: str) -> None:
    """Video figures keep the player iframe, else a link."""
    iframe = fig.find("iframe")
    if iframe is not None:
        fig.replace_with(iframe.extract())
    elif fig.get("data-video-url"):
        p = soup.new_tag("p")
        a = soup.new_tag("a", href=fig["data-video-url"])
        a.string = fig.get("data-video-title") or fig["data-video-url"]
        p.append(a)
        fig.replace_with(p)
    else:
        fig.decompose()


def _map(iframe: Tag, soup: BeautifulSoup, base: str) -> None:
    """Kakao map embeds only work on Tistory: a link to the place instead."""
    data = parse_qs(str(iframe.get("data-maps-data") or iframe.get("mapdata") or ""))
    addr = (data.get("addr") or [""])[0]
    title = (data.get("title") or [""])[0]
    label = title or addr or "지도"
    p = soup.new_tag("p")
    a = soup.new_tag("a", href="https://map.kakao.com/?q=" + quote(addr or label))
    a.string = f"지도: {label}"
    p.append(a)
    iframe.replace_with(p)


_GENERIC_ALT = frozenset({"", "emoticon", "emoticons", "이모티콘", "image", "img", "icon"})


def _emoticon_text(img: Tag | None) -> str:
    """The words an emoticon stands for (its alt text), or "" for a bare picture."""
    alt = " ".join(str((img.get("alt") if img is not None else "") or "").split())
    src = str((img.get("src") if img is not None else "") or "")
    if alt.lower() in _GENERIC_ALT or alt == src.rsplit("/", 1)[-1].split("?")[0]:
        return ""
    return alt


def _replace_emoticon(el: Tag, img: Tag | None) -> None:
    """An emoticon is Tistory chrome: it goes, but its alt text stays so that no word is lost."""
    from bs4 import NavigableString
    words = _emoticon_text(img)
    if not words:
        el.decompose()
        return
    prev = el.previous_sibling
    pad = " " if isinstance(prev, NavigableString) and str(prev) and not str(prev)[-1].isspace() else ""
    el.replace_with(NavigableString(pad + words))


def _emoticon_figure(fig: Tag, soup: BeautifulSoup, base: str) -> None:
    """``figure[data-ke-type=emoticon]``: Tistory's own sticker goes (its alt stays); any other picture placed
    with the emoticon tool is an ordinary image."""
    img = fig.find("img")
    src = str((img.get("src") if img is not None else None) or fig.get("data-emoticon-src") or "")
    if img is None or is_emoticon_image(src) or is_chrome_image(src):
        _replace_emoticon(fig, img)
    else:
        fig.replace_with(img.extract())


def _layout_table(table: Tag, soup: BeautifulSoup, base: str) -> None:
    """An old-editor ``table.txc-table`` of one column that stacks images is layout, not data: its cells
    become blocks (the images, and any caption text), not a Markdown table."""
    rows = table.find_all("tr")
    if not rows or table.find("img") is None:
        return
    if any(len(r.find_all(["td", "th"], recursive=False)) > 1 for r in rows) or table.find("table") is not None:
        return
    blocks = []
    for cell in table.find_all(["td", "th"]):
        div = soup.new_tag("div")
        for child in list(cell.contents):
            div.append(child.extract())
        blocks.append(div)
    for div in reversed(blocks):
        table.insert_after(div)
    table.decompose()


# the editor's constructs, in the order they are rewritten: (CSS selector, what each match becomes)
ELEMENT_RULES: tuple[tuple[str, Callable[[Tag, BeautifulSoup, str], None]], ...] = (
    ('figure[data-ke-type="emoticon"]', _emoticon_figure),
    ("figure.imageblock, span.imageblock", _image_block),
    ("figure.imagegridblock", _image_grid),
    ("figure.fileblock", _file_block),
    ('div[data-ke-type="moreLess"]', _more_less),
    ("div.moreless_content", _old_fold),
    ('figure[data-ke-type="opengraph"]', _opengraph),
    ('figure[data-ke-type="video"]', _video),
    ('iframe[data-ke-type="map"], iframe[src*="plusmapViewer"]', _map),
    ("table.txc-table", _layout_table),
)

# ads and the skin's own boxes that can sit inside the body (AdSense, Tistory's ad mounts, the abuse-report link)
AD_SELECTORS = (
    "ins.adsbygoogle",
    "[data-tistory-react-app]",
    ".revenue_unit_wrap",
    "iframe[src*='googlesyndication']",
    "iframe[src*='doubleclick']",
    "a[href*='/toolbar/popup/abuseReport']",
)


def _drop_junk(body: Tag, soup: BeautifulSoup, base: str) -> None:
    """The skin's and the platform's chrome (buttons, related posts, comments, share boxes, scripts)."""
    for sel in JUNK_SELECTORS:
        for el in body.select(sel):
            el.decompose()


def _drop_ads(body: Tag, soup: BeautifulSoup, base: str) -> None:
    """Ads with the wrappers they leave empty (a skin's AdSense ``<table>`` or ``<p>``); ad scripts
    (``google_ad_client`` snippets, ``adsbygoogle`` pushes) go before the other scripts."""
    for script in body.find_all("script"):
        if script.decomposed or script.parent is None:
            continue  # went with an ad removed before it
        code = (script.string or "") + str(script.get("src") or "")
        if re.search(r"google_ad_client|adsbygoogle|googlesyndication|show_ads\.js", code):
            _drop(script, body)
    for sel in AD_SELECTORS:
        for el in body.select(sel):
            if not el.decomposed and el.parent is not None:
                _drop(el, body)


def _apply_element_rules(body: Tag, soup: BeautifulSoup, base: str) -> None:
    for selector, rewrite in ELEMENT_RULES:
        for el in body.select(selector):
            if not el.decomposed and el.parent is not None:  # not inside something an earlier match removed
                rewrite(el, soup, base)


def _attachment_links(body: Tag, soup: BeautifulSoup, base: str) -> None:
    """Old ``/attachment/`` links are files to download, like ``figure.fileblock``."""
    for a in body.find_all("a", href=True):
        href = str(a["href"])
        if "/attachment/" in href and not a.get("data-migrator-attachment"):
            a["data-migrator-attachment"] = a.get_text(strip=True) or unquote(href.rsplit("/", 1)[-1])
            a["href"] = urljoin(base + "/", href)


def _images(body: Tag, soup: BeautifulSoup, base: str) -> None:
    """Every image at its original URL; Tistory's own UI pictures and emoticons go (an emoticon's alt stays)."""
    for img in body.find_all("img"):
        src = str(img.get("src") or "")
        if is_emoticon_image(src) or "txc-emo" in (img.get("class") or []):
            _replace_emoticon(img, img)
            continue
        if is_chrome_image(src):
            img.decompose()
            continue
        if img.get("data-src") and (not src or src.startswith("data:")):
            img["src"] = img["data-src"]
        if img.get("src"):
            img["src"] = original_image_url(str(img["src"]))
        for attr in ("srcset", "onerror", "onclick", "loading", "data-src", "data-phocus-index", "style"):
            if attr in img.attrs:
                del img[attr]


_EDITOR_ATTRS = frozenset(
    {
        "contenteditable",
        "data-origin-width",
        "data-origin-height",
        "data-is-animation",
        "data-widthpercent",
        "data-phocus",
        "data-url",
        "data-alt",
        "data-highlighted",
        "id",
    }
)
_STYLED = frozenset({"p", "span", "div", "blockquote", "ul", "ol", "table", "td", "th", "h2", "h3", "h4"})


def _code_blocks(body: Tag, soup: BeautifulSoup, base: str) -> None:
    """A code block's language as HTML says it (``data-ke-language``, an old highlighter's markers)."""
    markup_code_blocks(body)


def _editor_attributes(body: Tag, soup: BeautifulSoup, base: str) -> None:
    """Code blocks keep their language; every other ``data-ke-*`` attribute, and editor ids and styles, go."""
    for pre in body.find_all("pre"):
        lang = pre.get("data-ke-language")
        if lang:
            pre["data-lang"] = lang
    for el in body.find_all(True):
        for attr in list(el.attrs):
            if attr.startswith("data-ke") or attr in _EDITOR_ATTRS:
                if attr == "id" and el.name not in ("pre", "figure"):
                    continue
                del el[attr]
        if el.name in _STYLED and el.get("style"):
            del el["style"]


def _placeholders(body: Tag, soup: BeautifulSoup, base: str) -> None:
    """Raw editor placeholders left in old content: ``[##_Image|kage@a/b/c/img.png|…|{json}_##]``."""
    from bs4 import BeautifulSoup
    for text in body.find_all(string=re.compile(r"\[##_(?:Image|ImageGrid|1[CLR]|2C)\|")):
        html = str(text)
        html = re.sub(
            r"\[##_(?:Image|ImageGrid)\|([^|\]]+)\|[^\]]*?_##\]",
            lambda m: "".join(f'<img src="{kage_url(r)}">' for r in m.group(1).split(",") if r.startswith("kage@")),
            html,
        )
        html = re.sub(
            r"\[##_(?:1[CLR]|2C)\|cfile(\d+)\.uf\.([0-9A-Fa-f]+)\.(\w+)\|[^\]]*?_##\]",
            lambda m: f'<img src="http://cfile{m.group(1)}.uf.tistory.com/original/{m.group(2)}">',
            html,
        )
        text.replace_with(BeautifulSoup(html, "html.parser"))


# the passes of clean_editor_html, in order
EDITOR_PASSES: tuple[tuple[str, Callable[[Tag, BeautifulSoup, str], None]], ...] = (
    ("ads", _drop_ads),
    ("junk", _drop_junk),
    ("editor constructs", _apply_element_rules),
    ("buttons", _drop_buttons),
    ("attachments", _attachment_links),
    ("images", _images),
    ("code blocks", _code_blocks),
    ("attributes", _editor_attributes),
    ("placeholders", _placeholders),
)


def clean_editor_html(body: Tag, soup: BeautifulSoup, base: str) -> None:
    """Rewrite Tistory editor constructs in ``body`` (in place) into ordinary HTML: :data:`EDITOR_PASSES`."""
    for _name, run in EDITOR_PASSES:
        run(body, soup, base)



# --- one post page -> a Post (pure) ---------------------------------------------------------------------


def skipped_post(
    url: str,
    reason: str,
    *,
    failed: bool = False,
    post_id: str | None = None,
    title: str = "",
    published: datetime | None = None,
) -> Post:
    """A post that cannot be migrated: ``skipped`` (protected, deleted: recorded, not retried) or ``failed``
    (an error: retried next run), with the reason."""
    key = classify_path(urlsplit(url).path)
    pid = post_id or (key[1] if key and key[0] == "id" else f"entry:{key[1] if key else url}")
    return Post(
        id=pid,
        kind="post",
        status="live",
        title=title,
        html="",
        published=published or datetime(1970, 1, 1, tzinfo=KST),
        url=url,
        path=urlsplit(url).path,
        unreadable=Unreadable(reason, skipped=not failed),
    )


@dataclass(frozen=True)
class ParsedPage:
    """What one post page says: the post (or a skipped or failed one, with the reason), the page's metadata,
    the warnings for the run, and whether the mobile page ``/m/<id>`` should be read for the body."""

    post: Post
    meta: PageMeta
    warnings: tuple[str, ...] = ()
    needs_mobile: bool = False


def find_body(
    soup: BeautifulSoup, selectors: tuple[str, ...], mobile: str | None = None
) -> tuple[Tag | None, BeautifulSoup]:
    """The article's content (never a skin wrapper when the content's own container is there), else the
    uniform mobile page's (``mobile``, its HTML, when the reader fetched it); with the soup it belongs to."""
    from bs4 import BeautifulSoup
    for sel in selectors:
        found = soup.select_one(sel)
        if found is not None and (found.get_text(strip=True) or found.find("img")):
            return found, soup
    if mobile:
        msoup = BeautifulSoup(mobile, "lxml")
        for sel in MOBILE_BODY_SELECTORS:
            found = msoup.select_one(sel)
            if found is not None:
                return found, msoup
    return None, soup


def parse_post_page(
    html: str,
    url: str,
    origin: str,
    settings: TistoryConfig | None = None,
    *,
    rss_dates: Mapping[str, datetime | None] | None = None,
    mobile: str | None = None,
) -> ParsedPage:
    """One post page -> a Post (or a skipped/failed one), with no I/O, in named steps: the page's metadata,
    the protected-post check, the body (``mobile``: the mobile page, when the first reading asked for it),
    the date (the head's, the RSS's from ``rss_dates``, the skin's), the category and tags, the editor
    clean-up."""
    from bs4 import BeautifulSoup
    settings = settings or TistoryConfig()
    soup = BeautifulSoup(html, "lxml")
    meta = read_page_meta(soup, html, url, origin)
    if is_protected_page(soup):
        why = "protected by a password: its text cannot be read"
        protected = skipped_post(meta.canonical, why, post_id=meta.entry_id, title=meta.title, published=meta.published)
        return ParsedPage(protected, meta)
    body, soup = find_body(soup, settings.body_selectors or DEFAULT_BODY_SELECTORS, mobile)
    warnings = []
    published = meta.published or (rss_dates or {}).get(urlsplit(meta.canonical).path) or visible_date(soup)
    if published is None:
        published = datetime(1970, 1, 1, tzinfo=KST)
        warnings.append(f"{meta.canonical}: no publication date found; dated 1970-01-01 (edit the post's date)")
    if body is None:
        why = "no post body found in the page (skin not recognised); set tistory.body_selectors"
        failed = skipped_post(
            meta.canonical, why, failed=True, post_id=meta.entry_id, title=meta.title, published=published
        )
        return ParsedPage(failed, meta, tuple(warnings), needs_mobile=mobile is None and meta.entry_id.isdigit())
    # category: entryInfo, tiara, then the skin's category link near the article (never a menu)
    category = meta.category or skin_category(soup, near=body)
    categories = tuple(c.strip() for c in str(category).split("/") if c.strip() and c.strip() not in NO_CATEGORY)
    tags = list(dict.fromkeys([*meta.tags, *skin_tags(soup, near=body)]))
    for sel in settings.remove_selectors:
        for el in body.select(sel):
            el.decompose()
    clean_editor_html(body, soup, origin)
    return ParsedPage(page_post(meta, body, published, categories, tags), meta, tuple(warnings))


def page_post(
    meta: PageMeta, body: Tag, published: datetime, categories: tuple[str, ...], tags: list[str]
) -> Post:
    """The Post of a page whose body was found and cleaned: its id, address, old paths and slug."""
    entry_id = meta.entry_id
    path = urlsplit(meta.canonical).path
    key = classify_path(path)
    old = post_aliases(entry_id, path)
    slug = key[1] if key and key[0] == "entry" else (meta.title or entry_id)
    thumb = meta.thumbnail
    return Post(
        id=entry_id,
        kind="post",
        status="live",
        title=meta.title,
        html=body.decode_contents(),
        published=published,
        updated=meta.modified,
        url=meta.canonical,
        path=path,
        slug=slug,
        categories=categories,
        tags=tuple(tags),
        summary=meta.summary,
        thumbnail=original_image_url(thumb) if thumb and not is_chrome_image(thumb) else None,
        old_urls=tuple(old),
    )


# --- the source ----------------------------------------------------------------------------------------


_NOT_MODIFIED = object()


class Budget:
    """A cap on a walk by count and by time (so no host can make one run forever)."""

    def __init__(self, max_count: int, max_seconds: float) -> None:
        import time

        self.max_count, self.max_seconds = max_count, max_seconds
        self.count = 0
        self.started = time.monotonic()

    def spent(self) -> bool:
        import time

        self.count += 1
        over_count = self.max_count > 0 and self.count > self.max_count
        over_time = self.max_seconds > 0 and time.monotonic() - self.started > self.max_seconds
        return over_count or over_time

    def why(self) -> str:
        if self.max_count > 0 and self.count > self.max_count:
            return f"{self.max_count:,} ids tried"
        return f"{self.max_seconds:g} s spent"


@dataclass(frozen=True)
class Listed:
    """A post URL found by discovery, before its page is read."""

    url: str
    key: tuple[str, str]  # ('id', '123') or ('entry', 'title')
    lastmod: str | None = None
    from_rss: bool = False


# --- the platform: its config section, what it declares ---------------------------------------------------


RECHECK_COMMENTS = ("recent", "all", "none")


def rechecks_comments(policy: str, dated: datetime | None, now: datetime, days: int) -> bool:
    """On a resync, whether a post that did not change has its comment count asked for (so that a new comment
    on it is noticed): ``all`` always, ``none`` never, ``recent`` when it was published or edited (``dated``)
    within ``days`` of ``now``, or when its date is not known."""
    if policy == "all":
        return True
    if policy == "none":
        return False
    return dated is None or now - dated <= timedelta(days=days)


def not_rechecked_warning(n: int, policy: str, days: int) -> str:
    """The one line a resync prints for the posts whose comments it did not ask about."""
    which = f"post(s) older than {days} days" if policy == "recent" else "unchanged post(s)"
    return (
        f"comments not rechecked on {n:,} {which} (tistory.recheck_comments: {policy}); "
        "run with --full, or set tistory.recheck_comments: all, to recheck them"
    )


@dataclass(frozen=True)
class TistoryConfig:
    """The ``tistory:`` section of the config."""

    delay: float = 1.0  # minimum seconds between two page requests to the blog (politeness)
    referer: bool = True  # send Referer: <blog>/ with image downloads (Kakao's CDN may want one)
    sitemap_cap: int = 1000  # a sitemap with this many URLs is taken as capped: older ids are enumerated
    enumerate: str = "auto"  # auto | always | never: walk numeric post ids down from the newest one
    max_missing_run: int = 50  # stop enumerating after this many missing ids in a row
    max_enumerate: int = 20000  # ids tried at most when enumerating (0: no cap); past it the run is incomplete
    enumerate_seconds: float = 3600  # time spent enumerating at most (0: no cap)
    max_listed: int = 200000  # post URLs read from the sitemap at most
    body_selectors: tuple[str, ...] = ()  # CSS selectors for the post body, tried first (default: built-in list)
    remove_selectors: tuple[str, ...] = ()  # more CSS selectors of skin junk to drop from the body
    # the mobile JSON endpoints (tistory_api.py): comments, their count, the notice list, a notice's page
    comments_api: str = "/m/api/{id}/comment"  # then ?startId=<data.nextId> until data.isLast
    comment_count_api: str = "/m/api/{id}/comment/count"  # data.count: a resync reads comments again on a change
    # on a resync, whose comment count is asked for when the post itself did not change (one request a post:
    # no blog-wide list of comments is known): recent | all | none; --full (and a first run) reads them all
    recheck_comments: str = "recent"
    recheck_days: int = 30  # recent: published or edited within this many days (notices: published)
    notices: bool = True  # migrate the notices (/notice/<id>) as pages
    notice_list_api: str = "/m/api/entry/0/NOTICE?page={page}&size={size}"
    notice_page: str = "/m/notice/{id}"
    api_page_size: int = 10  # notices asked for per page of the list
    api_fields: dict[str, str] = field(default_factory=dict)  # rename a JSON field: {written: regDate}

    def validate(self) -> None:
        if self.enumerate not in ("auto", "always", "never"):
            raise ConfigError(f"tistory.enumerate must be auto, always or never, not {self.enumerate!r}")
        if self.recheck_comments not in RECHECK_COMMENTS:
            raise ConfigError(
                f"tistory.recheck_comments must be recent, all or none, not {self.recheck_comments!r}"
            )
        if self.recheck_days < 0:
            raise ConfigError(f"tistory.recheck_days must be 0 or more, not {self.recheck_days}")


def post_aliases(post_id: str, path: str) -> list[str]:
    """The other old paths of a post: ``/m/<id>`` (the mobile page), ``/m/entry/<slug>`` and ``/<id>`` for a
    post whose address is its title."""
    out = [f"/m/{post_id}"] if post_id.isdigit() else []
    key = classify_path(path)
    if key and key[0] == "entry":
        out.append("/m" + path)
        if post_id.isdigit():
            out.append(f"/{post_id}")
    return out


def _redirect_post_paths(post_id: str, path: str) -> list[str]:
    out = []
    if post_id.isdigit():
        out += [f"/{post_id}", f"/m/{post_id}"]
    if path.startswith("/entry/"):
        out.append("/m" + path)
    return out


def _taxonomy(tags: tuple[str, ...], categories: tuple[str, ...]) -> Iterator[tuple[str, str, str]]:
    for t in tags:
        yield f"/tag/{t}", "tag", t
        yield f"/m/tag/{t}", "tag", t
    for i, c in enumerate(categories):  # 부모/자식 -> categories: [부모, 자식]
        trail = "/".join(categories[: i + 1])
        yield f"/category/{trail}", "category", c
        yield f"/m/category/{trail}", "category", c


def _archive(month: str) -> list[tuple[str, str]]:
    y, m = month.split("-")
    return [(f"/archive/{y}{m}", month), (f"/m/archive/{y}{m}", month)]


def _archive_pages(tags: tuple[str, ...], categories: tuple[str, ...]) -> Iterator[ArchivePage]:
    """``/tag/<name>`` and each level of ``/category/<parent>/<child>`` (a parent lists its children's posts
    too), their ``/m/`` forms redirecting to them."""
    for t in tags:
        yield ArchivePage(f"/tag/{t}", "tags", (t,), aliases=(f"/m/tag/{t}",))
    for i in range(len(categories)):
        trail = "/".join(categories[: i + 1])
        yield ArchivePage(f"/category/{trail}", "categories", categories[: i + 1], True, (f"/m/category/{trail}",))


OLD_URLS = OldUrls(
    post_paths=_redirect_post_paths,
    taxonomy=_taxonomy,
    archive_paths=_archive,
    feed_paths=("/rss", "/atom"),
    prefixes=(
        ("/tag/", "tags"),
        ("/m/tag/", "tags"),
        ("/category/", "categories"),
        ("/m/category/", "categories"),
        ("/archive/", "archive"),
    ),
    archive_pages=_archive_pages,
)


def tistory_snippet(rmap: RedirectMap, title: str = "") -> str:
    """What to paste into a Tistory skin's ``<head>`` (블로그 관리 -> 꾸미기 -> 스킨 편집 -> html 편집)."""
    import html

    return (
        f"<!-- migrator: every page of this blog goes to its new address, {html.escape(rmap.home)}.\n"
        "     Paste right after <head> in the skin's HTML (스킨 편집 -> html 편집), then 적용.\n"
        "     Undo: remove this block (or apply the skin again from 스킨 변경). -->\n"
        f"<script>\n{redirect_script(rmap)}\n</script>\n"
    )


SKIN_SNIPPET = RedirectFormat(
    name="tistory-skin",
    filename="tistory-head.html",
    render=tistory_snippet,
    hint="Tistory: 꾸미기 -> 스킨 편집 -> html 편집: paste tistory-head.html right after <head>, 적용.",
)


def matches_host(host: str) -> bool:
    return host == "tistory.com" or host.endswith(".tistory.com")


class TistorySource(BaseSource):
    name: ClassVar[str] = "tistory"
    title: ClassVar[str] = "Tistory"
    example: ClassVar[str] = "https://example.tistory.com"
    settings: ClassVar[type] = TistoryConfig
    embed_hosts: ClassVar[tuple[str, ...]] = ("kakao.com", "tvpot.daum.net", "videofarm.daum.net")  # Kakao TV, Daum TV
    cdn_domains: ClassVar[tuple[str, ...]] = ("daumcdn.net", "kakaocdn.net", "uf.tistory.com")
    old_urls: ClassVar[OldUrls] = OLD_URLS
    redirect_formats: ClassVar[tuple[RedirectFormat, ...]] = (SKIN_SNIPPET,)
    language: ClassVar[str] = "ko"  # a Tistory blog that does not say otherwise is Korean

    matches_host = staticmethod(matches_host)

    @classmethod
    def matches_url(cls, url: str) -> bool:
        return matches_host((urlsplit(url).hostname or "").lower())

    @classmethod
    def matches_page(cls, html: str) -> bool:
        return looks_like_tistory(html)

    @classmethod
    def open_url(
        cls, url: str, cfg: Config, http: HttpClient, *, resync_since: datetime | None = None
    ) -> TistorySource:
        # resync_since is not used: every request to the blog starts tistory.delay after the one before, so a
        # question asked ahead would start no sooner
        return cls.open(url, cfg, http)

    @classmethod
    def open_file(cls, path: Path, cfg: Config, http: HttpClient | None = None) -> BaseSource:
        """A backup file (``--platform tistory`` with a file): read by :mod:`tistory_backup`."""
        from migrator.sources.tistory_backup import TistoryBackupSource

        return TistoryBackupSource.open_file(path, cfg, http)

    @classmethod
    def open(cls, url: str, cfg: Config, http: HttpClient) -> TistorySource:
        src = cls(url, cfg, http)
        src._load_metadata()
        return src

    def __init__(self, url: str, cfg: Config, http: HttpClient) -> None:
        parts = urlsplit(url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.cfg = cfg
        self.tcfg = cfg.tistory
        self.http = http
        self.warnings: list[str] = []
        self.incomplete = False
        self.skipped: list[tuple[str, str]] = []
        self.blog = Blog(
            platform="tistory", url=self.origin, timezone=cfg.timezone or "Asia/Seoul", locale=self.language
        )
        self._rss_items: list[dict] = []
        self._rss_dates: dict[str, datetime | None] = {}  # post path -> its RSS pubDate (the first item's)
        self.listed_ids: set[str] | None = None
        self.expected_total: int | None = None  # posts discovery found (for the progress bar)
        self._hosts = {(parts.hostname or "").lower()}
        # links written as /entry/<title>: the posts known by that path, title slugs -> ids, ids read from pages
        self._links_lock = threading.Lock()
        self._entry_paths: set[str] = set()
        self._title_ids: dict[str, set[str]] = {}
        self._entry_ids: dict[str, str | None] = {}
        if self.tcfg.delay > 0:
            http.set_host_delay(parts.netloc, self.tcfg.delay)
        self.api = tistory_api.TistoryApi(http, self.origin, cfg)  # comments and notices (tistory_api.py)
        self._now = datetime.now(KST)  # what tistory.recheck_days counts back from
        self.comments_not_rechecked = 0  # unchanged posts and notices whose comment count a resync did not ask

    # --- platform hooks ----------------------------------------------------------------------------------
    def is_platform_image(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return (
            host.endswith(("daumcdn.net", "kakaocdn.net"))
            or re.match(r"^cfile\d+\.uf\.tistory\.com$", host) is not None
        )

    def asset_key(self, url: str) -> str:
        return stable_image_key(url)

    def asset_headers(self, url: str) -> dict[str, str]:
        return {"Referer": self.origin + "/"} if self.tcfg.referer else {}

    def internal_path(self, url: str) -> str | None:
        parts = urlsplit(url)
        if (parts.hostname or "").lower() not in self._hosts:
            return None
        path = parts.path
        m = _MOBILE.match(path)
        if m:
            path = "/" + m.group(1)
        key = classify_path(path)
        if key is None:
            return None
        if key[0] == "entry":
            path = self._entry_target(key[1], path)
        return path + (f"#{parts.fragment}" if parts.fragment else "")

    # --- fetching --------------------------------------------------------------------------------------
    def _get_text(self, path_or_url: str) -> str | None:
        url = path_or_url if "://" in path_or_url else self.origin + path_or_url
        try:
            return self.http.get(url).text()
        except FetchError as e:
            if e.status_code in (404, 410):
                return None
            raise

    def _load_metadata(self) -> None:
        from bs4 import BeautifulSoup
        try:
            rss = self._get_text("/rss")
        except FetchError as e:
            raise SourceError(
                f"cannot read the blog: {e.message}", opening_hint(e)
            ) from None
        title = description = ""
        if rss:
            try:
                root = etree.fromstring(
                    rss.encode("utf-8"), parser=etree.XMLParser(recover=True, resolve_entities=False)
                )
            except etree.XMLSyntaxError:
                root = None
            channel = root.find("channel") if root is not None else None
            if channel is not None:
                title = channel.findtext("title") or ""
                description = channel.findtext("description") or ""
                link = (channel.findtext("link") or "").strip()
                if link:
                    self._hosts.add((urlsplit(link).hostname or "").lower())
                for item in channel.findall("item"):
                    self._rss_items.append(
                        {
                            "link": (item.findtext("link") or "").strip(),
                            "title": item.findtext("title") or "",
                            "pubDate": item.findtext("pubDate"),
                            "category": item.findtext("category"),
                            "description": item.findtext("description") or "",
                        }
                    )
                    self._rss_dates.setdefault(
                        urlsplit(self._rss_items[-1]["link"]).path, parse_tistory_date(item.findtext("pubDate"))
                    )
                    key = classify_path(urlsplit(self._rss_items[-1]["link"]).path)
                    if key and key[0] == "id" and self._rss_items[-1]["title"].strip():
                        self._title_ids.setdefault(slug_key(self._rss_items[-1]["title"]), set()).add(key[1])
        if not title:
            home = self._get_text("/")
            if home is None:
                raise NotABlogError(f"{self.origin} answered neither /rss nor / (HTTP 404)", "check the URL")
            if not looks_like_tistory(home):
                raise NotABlogError(
                    f"{self.origin} does not look like a Tistory blog", "check the URL or pass --platform"
                )
            soup = BeautifulSoup(home, "lxml")
            og = soup.find("meta", attrs={"property": "og:site_name"})
            title = (og.get("content") if og else None) or (soup.title.get_text(strip=True) if soup.title else "")
        self.blog = Blog(
            platform="tistory",
            url=self.origin,
            blog_id="",
            title=title.strip(),
            description=description.strip(),
            timezone=self.cfg.timezone or "Asia/Seoul",
            locale=self.language,
        )

    # --- discovery -------------------------------------------------------------------------------------
    def _sitemap_urls(self) -> tuple[list[tuple[str, str | None]], bool, int]:
        """(URL, lastmod) of every post URL in /sitemap.xml (an index is followed), whether there is one, and
        how many URLs it lists in all. Streamed: a sitemap of a million URLs is read element by element, and
        only post URLs (one per post) are kept, at most ``tistory.max_listed``."""
        out: list[tuple[str, str | None]] = []
        keys: set[tuple[str, str]] = set()
        todo = [self.origin + "/sitemap.xml"]
        seen: set[str] = set()
        found, total = False, 0
        while todo:
            url = todo.pop(0)
            if url in seen or len(seen) > 50:
                continue
            seen.add(url)
            try:
                text = self._get_text(url)
            except FetchError as e:
                self.warnings.append(f"could not read the sitemap {url}: {e.message}")
                continue
            if text is None:
                continue
            read = self._read_sitemap(text.encode("utf-8"), todo, out, keys)
            if read is None:
                self.warnings.append(f"the sitemap {url} is not XML")
                continue
            found = True
            total += read
        if len(out) >= self.tcfg.max_listed:
            self.warnings.append(
                f"the sitemap lists more than {self.tcfg.max_listed:,} posts; only that many were read"
            )
        return out, found, total

    def _read_sitemap(
        self, data: bytes, todo: list[str], out: list[tuple[str, str | None]], keys: set[tuple[str, str]]
    ) -> int | None:
        """Stream one sitemap (or index) document into ``out``/``todo``; how many URLs it had, None if not XML."""
        import io

        count = 0
        try:
            for _event, el in etree.iterparse(
                io.BytesIO(data), events=("end",), recover=True, resolve_entities=False, no_network=True
            ):
                tag = etree.QName(el).localname if isinstance(el.tag, str) else ""
                if tag == "sitemap":
                    loc = _child_text(el, "loc")
                    if loc:
                        todo.append(self._on_origin(loc))
                elif tag == "url":
                    count += 1
                    loc = _child_text(el, "loc")
                    key = classify_path(urlsplit(loc).path) if loc else None
                    if loc and key is None:  # /m/ twins, categories, tags: only their host matters
                        host = (urlsplit(loc).hostname or "").lower()
                        if host and urlsplit(loc).netloc != urlsplit(self.origin).netloc:
                            self._hosts.add(host)
                    elif loc and key not in keys and len(out) < self.tcfg.max_listed:
                        keys.add(key)
                        out.append((loc, _child_text(el, "lastmod")))
                if tag in ("url", "sitemap"):
                    el.clear()  # what was read is dropped: memory stays flat for any size
                    while el.getprevious() is not None:
                        del el.getparent()[0]
        except etree.XMLSyntaxError:
            return count or None
        return count

    def _on_origin(self, url: str) -> str:
        parts = urlsplit(url)
        return f"{self.origin}{parts.path}" + (f"?{parts.query}" if parts.query else "")

    def discover(self) -> list[Listed]:
        """Every post URL we know of, each post once where the URL tells; ordered by id, then title."""
        listed: dict[tuple[str, str], Listed] = {}
        sitemap, found, total = self._sitemap_urls()
        for loc, lastmod in sitemap:
            parts = urlsplit(loc)
            if (parts.hostname or "").lower() not in self._hosts and parts.netloc != urlsplit(self.origin).netloc:
                self._hosts.add((parts.hostname or "").lower())
            key = classify_path(parts.path)
            if key is None:
                continue  # /m/<id> duplicates, /category, /tag, /guestbook, the home page
            listed.setdefault(key, Listed(self.origin + parts.path, key, lastmod))
            if key[0] == "entry":
                self._entry_paths.add(key[1])
        for item in self._rss_items:
            parts = urlsplit(item["link"])
            key = classify_path(parts.path)
            if key is not None and key not in listed:
                listed[key] = Listed(self.origin + parts.path, key, None, from_rss=True)
                if key[0] == "entry":
                    self._entry_paths.add(key[1])
        ids = [int(k[1]) for k in listed if k[0] == "id"]
        capped = found and total >= self.tcfg.sitemap_cap
        mode = self.tcfg.enumerate
        if mode == "always" or (mode == "auto" and (not found or capped or any(x.from_rss for x in listed.values()))):
            if not found:
                self.warnings.append("the blog has no sitemap.xml: post ids were enumerated instead")
            elif capped:
                self.warnings.append(
                    f"the sitemap lists {total} URLs, its cap: older post ids were enumerated as well"
                )
            self._enumerate_from = max(ids) if ids else None
        else:
            self._enumerate_from = None
        return sorted(
            listed.values(), key=lambda x: (x.key[0] != "id", int(x.key[1]) if x.key[0] == "id" else 0, x.key[1])
        )

    # --- reading one post ------------------------------------------------------------------------------
    def posts(self, since: datetime | None = None, known: Known | None = None) -> Iterator[Post]:
        """Every readable post with its comments, then the notices (as pages: ``tistory_api``)."""
        self.comments_not_rechecked = 0
        yield from self._listed_posts(since, known)
        if self.tcfg.notices:
            yield from tistory_api.notice_posts(self, since, known)
        if self.comments_not_rechecked and self.api.enabled:
            self.warnings.append(
                not_rechecked_warning(self.comments_not_rechecked, self.tcfg.recheck_comments, self.tcfg.recheck_days)
            )
        self.warnings.extend(self.api.finish())

    def wants_comment_count(self, rec: KnownPost | None, dated: datetime | None) -> bool:
        """Whether a resync asks for the comment count of a post (or notice) whose page did not change:
        ``tistory.recheck_comments`` and ``tistory.recheck_days`` (:func:`rechecks_comments`); always for one
        whose count was never recorded (its comments never read: a blog migrated with ``comments: false``)."""
        if not self.api.enabled:
            return False
        if rec is None or rec.comment_count is None:
            return True
        return rechecks_comments(self.tcfg.recheck_comments, dated, self._now, self.tcfg.recheck_days)

    def not_rechecked(self) -> None:
        """One more unchanged post (or notice) whose comments this resync did not ask about (reported)."""
        if self.api.enabled:
            self.comments_not_rechecked += 1

    def _listed_posts(self, since: datetime | None = None, known: Known | None = None) -> Iterator[Post]:
        """Every readable post. On a resync (``since`` and ``known``), a post whose sitemap ``lastmod`` equals
        the recorded modification time is not fetched again (only its comment count is asked for, when
        ``tistory.recheck_comments`` says so: a post whose count changed is read again, with its comments),
        and enumeration only looks above the newest known id."""
        listed = self.discover()
        self.expected_total = len(listed)
        known = known or {}
        seen_ids: set[str] = set()
        self.listed_ids = set() if since is not None else None
        todo: list[tuple[Listed, KnownPost | None, bool, bool]] = []
        for item in listed:
            path = urlsplit(item.url).path
            rec = known.get(path) or known.get(unquote(path))
            unchanged = recheck = False
            if since is not None and rec is not None:
                recorded = parse_tistory_date(rec.updated)
                recheck = self.wants_comment_count(rec, recorded or self._rss_dates.get(path))
                if item.lastmod and recorded is not None:
                    unchanged = parse_tistory_date(item.lastmod) == recorded
                if unchanged and not recheck:
                    self.not_rechecked()
                    seen_ids.add(rec.id)
                    self.listed_ids.add(rec.id)  # unchanged: not fetched again, nor its comment count
                    continue
            todo.append((item, rec, unchanged, recheck))

        def read(job: tuple[Listed, KnownPost | None, bool, bool]):  # type: ignore[no-untyped-def]
            item, rec, unchanged, recheck = job
            if unchanged:  # the page is as it was: only a changed comment count makes it read again
                count = self.api.count(rec.id)
                if count is None or count == rec.comment_count:
                    return _NOT_MODIFIED
                return self._read(item.url, listed=True, comment_count=count)
            conditional = since is not None and rec is not None and not item.lastmod
            validators = (rec.etag, rec.last_modified) if conditional and rec is not None else None
            post = self._read(item.url, listed=True, validators=validators)
            if post is _NOT_MODIFIED and recheck:  # a 304: the comments may have changed all the same
                count = self.api.count(rec.id)
                if count is not None and count != rec.comment_count:
                    post = self._read(item.url, listed=True, comment_count=count)
            return post

        # pages are fetched side by side (at most `jobs`, and tistory.delay apart per host), yielded in order
        for (_item, rec, _u, recheck), post in zip(todo, _ordered_map(read, todo, self.cfg.jobs), strict=True):
            if post is _NOT_MODIFIED:
                if not recheck:
                    self.not_rechecked()  # a 304, and its comment count not asked for
                seen_ids.add(rec.id)
                self.listed_ids.add(rec.id)  # a conditional GET answered 304: unchanged
                continue
            if post is None or post.id in seen_ids:
                continue  # missing, or /entry/<title> and /<id> of one post
            seen_ids.add(post.id)
            yield post
        start = getattr(self, "_enumerate_from", None)
        if start is None:
            return
        floor = 0
        if since is not None:
            known_ids = [int(v.id) for v in known.values() if v.id.isdigit()]
            self.listed_ids.update(str(i) for i in known_ids)  # not re-read: cannot be judged cheaply
            floor = max(known_ids, default=0)
        missing_run = 0
        missing: list[int] = []
        budget = Budget(self.tcfg.max_enumerate, self.tcfg.enumerate_seconds)
        for n in range(start, floor, -1):
            if str(n) in seen_ids:
                missing_run = 0
                continue
            if budget.spent():
                self.incomplete = True
                self.warnings.append(
                    f"stopped enumerating post ids at /{n}: {budget.why()} (tistory.max_enumerate, "
                    "tistory.enumerate_seconds); the run is incomplete"
                )
                break
            post = self._read(f"{self.origin}/{n}", listed=False)
            if post is None or post.id in seen_ids or (post.id.isdigit() and post.id != str(n)):
                # missing, or a page that is not post n (a host that answers every id with one page)
                missing_run += 1
                missing.append(n)
                if missing_run >= self.tcfg.max_missing_run:
                    break
                continue
            missing_run = 0
            seen_ids.add(post.id)
            yield post
        if missing:
            self.warnings.append(
                f"{len(missing)} post ids were missing, private or deleted while enumerating (e.g. /{missing[0]})"
            )

    def _read(
        self,
        url: str,
        *,
        listed: bool,
        validators: tuple[str | None, str | None] | None = None,
        comment_count: int | None = None,
    ):
        """The post at ``url`` with its comments; None for a missing id found by enumeration (listed ones are
        reported); ``_NOT_MODIFIED`` when ``validators`` (ETag, Last-Modified) made the server answer 304."""
        etag, last_modified = validators or (None, None)
        try:
            got = self.http.get(url, etag=etag, last_modified=last_modified)
        except FetchError as e:
            if not listed and e.status_code in (403, 404, 410):
                return None
            reason = f"deleted or private (HTTP {e.status_code})" if e.status_code in (403, 404, 410) else e.message
            return skipped_post(url, reason, failed=e.status_code not in (403, 404, 410))
        if got.status == 304:
            return _NOT_MODIFIED
        html = got.text()
        final_path = urlsplit(got.url).path
        if not listed and classify_path(final_path) is None and final_path != urlsplit(url).path:
            return None  # an enumerated id that redirects elsewhere (the home page): not a post
        try:
            post = self.parse_page(html, url)
        except Exception as e:  # noqa: BLE001 - one page the parser cannot read fails alone (retried next run)
            log.debug("cannot parse %s", url, exc_info=True)
            return skipped_post(url, f"cannot read the page ({type(e).__name__}: {e})", failed=True)
        if post is not None and (got.etag or got.last_modified):
            post = replace(post, etag=got.etag, last_modified=got.last_modified)
        return self.api.attach(post, comment_count) if post is not None else None

    def parse_page(self, html: str, url: str) -> Post | None:
        """One post page -> a Post (or a skipped/failed one): :func:`parse_post_page`, with the one fetch it
        may need (the uniform mobile page ``/m/<id>`` of a skin whose body no selector finds), the RSS dates
        it lacks, and what the source remembers of the page (its warnings, how later links name it)."""
        parsed = parse_post_page(html, url, self.origin, self.tcfg, rss_dates=self._rss_dates)
        if parsed.needs_mobile:
            mobile = self._get_text(f"/m/{parsed.meta.entry_id}")
            if mobile:
                parsed = parse_post_page(html, url, self.origin, self.tcfg, rss_dates=self._rss_dates, mobile=mobile)
        self.warnings.extend(parsed.warnings)
        if parsed.post.error is None:
            self._remember(parsed.meta)
        return parsed.post

    # --- links written as /entry/<title> --------------------------------------------------------------
    def _remember(self, meta: PageMeta) -> None:
        """What a later link to this post may be written as: its ``/entry/`` path, or its title's slug."""
        key = classify_path(urlsplit(meta.canonical).path)
        with self._links_lock:
            if key and key[0] == "entry":
                self._entry_paths.add(key[1])
            if meta.entry_id.isdigit() and meta.title:
                self._title_ids.setdefault(slug_key(meta.title), set()).add(meta.entry_id)

    def _entry_target(self, title: str, path: str) -> str:
        """The path a link to ``/entry/<title>`` goes to on the new site: itself when a post lives there;
        ``/<id>`` when the post is known by its id (its title's slug, else the id the linked page gives, read
        once); else unchanged (the pipeline then lists it as a link to a post that was not migrated)."""
        with self._links_lock:
            if title in self._entry_paths:
                return path
            ids = self._title_ids.get(slug_key(title), set())
            if len(ids) == 1:
                return "/" + next(iter(ids))
            if title in self._entry_ids:
                found = self._entry_ids[title]
                return f"/{found}" if found else path
        found = self._read_entry_id(title)
        with self._links_lock:
            self._entry_ids[title] = found
        return f"/{found}" if found else path

    def _read_entry_id(self, title: str) -> str | None:
        """The numeric id of the post at ``/entry/<title>``, from its page (``entryInfo``, ``article:txid``,
        ``dg:plink``)."""
        from bs4 import BeautifulSoup
        try:
            got = self.http.get(f"{self.origin}/entry/{quote(title, safe='')}")
        except FetchError:
            return None
        html = got.text()
        entry_id = page_entry_id(BeautifulSoup(html, "lxml"), html, got.url)
        return entry_id if entry_id.isdigit() else None


def _ordered_map(fn, items: list, workers: int):  # type: ignore[no-untyped-def]
    """``map(fn, items)`` on a small thread pool, in order, with at most ``2 * workers`` results held."""
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="tistory-page")
    try:
        window: deque = deque()
        it = iter(items)
        for item in it:
            window.append(pool.submit(fn, item))
            if len(window) >= 2 * max(1, workers):
                break
        while window:
            yield window.popleft().result()
            nxt = next(it, None)
            if nxt is not None:
                window.append(pool.submit(fn, nxt))
    finally:
        # Ctrl-C, or the caller stopped early (--limit): pages not started are dropped at once, not waited
        # for; those on the wire end when the run's client is closed (HttpClient.close stops it), or the
        # process's exit, which joins the pool's threads, would wait for their answers and retries
        pool.shutdown(wait=False, cancel_futures=True)


NO_CATEGORY = frozenset({"분류 전체보기", "카테고리 없음", "분류없음", "분류 없음", "전체", "Uncategorized"})
CATEGORY_SELECTORS = (
    ".heading a.category",
    ".artcle_category_info a",
    ".tit_category a",
    "a#category",
    "a.link_category",
    "a.category",
    ".category a[href^='/category']",
    "a[href^='/category/']",
)
_MENU_ROLES = frozenset({"navigation", "complementary", "menu", "menubar"})
_CATEGORY_TREE_LINKS = frozenset({"link_tit", "link_item", "link_sub_item"})  # the links of ul.tt_category
_TAG_CLOUD = re.compile(r"^cloud\d*$")  # [##_tag_class_##]: a tag cloud's link


def _category_path(a: Tag) -> str | None:
    path = urlsplit(str(a.get("href") or "")).path
    if path.startswith("/category/"):
        return unquote(path[len("/category/") :])
    if path.rstrip("/") == "/category":
        return ""  # the skin's link for "no category"
    return None


def _is_category_menu(lst: Tag) -> bool:
    """A list whose items link to different categories: a category menu (with or without Tistory's class).
    A breadcrumb of one category ("Parent", then "Parent/Child") is not."""
    paths = set()
    for li in lst.find_all("li", recursive=False):
        a = li.find("a", href=True)
        path = _category_path(a) if a is not None else None
        if path is not None:
            paths.add(path)
    return any(
        not (a == b or b.startswith(a + "/") or a.startswith(b + "/") or "" in (a, b)) for a in paths for b in paths
    )


def _in_chrome(el: Tag) -> bool:
    """Whether a link is the skin's navigation rather than the post's own: decided by what the element is
    (a link of the category tree or of a tag cloud; inside ``<nav>``, ``<aside>``, a navigation landmark, the
    category tree ``ul.tt_category`` or another list of category links), never by a wrapper's class name
    (the 2011 skin wraps the whole article in ``div.category_list``)."""
    classes = set(el.get("class") or [])
    if classes & _CATEGORY_TREE_LINKS or any(_TAG_CLOUD.match(c) for c in classes):
        return True
    for parent in el.parents:
        if parent.name in ("nav", "aside") or parent.get("role") in _MENU_ROLES:
            return True
        if parent.name in ("ul", "ol") and ("tt_category" in (parent.get("class") or []) or _is_category_menu(parent)):
            return True
    return False


def _nearness(near: Tag | None) -> Callable[[Tag], int | None]:
    """How close an element is to the article ``near``: the depth of their nearest common ancestor (deeper is
    nearer), None for an element inside ``near`` (the post's own text is not its metadata)."""
    if near is None:
        return lambda el: 0
    depth = {id(p): d for d, p in enumerate(reversed(list(near.parents)))}

    def score(el: Tag) -> int | None:
        for p in el.parents:
            if p is near:
                return None
            if id(p) in depth:
                return depth[id(p)]
        return -1

    return score


def skin_category(soup: BeautifulSoup, near: Tag | None = None) -> str:
    """The post's category from the skin's own link, when the page has no entryInfo/tiara JSON: the category
    link nearest the article ``near`` (menus and sidebars are never read)."""
    score = _nearness(near)
    best: tuple[int, int, int, Tag] | None = None
    for rank, sel in enumerate(CATEGORY_SELECTORS):
        for order, a in enumerate(soup.select(sel)):
            d = score(a)
            if d is None or _in_chrome(a):
                continue
            if _category_path(a) is None and not a.get_text(strip=True):
                continue
            if best is None or (-d, rank, order) < (-best[0], best[1], best[2]):
                best = (d, rank, order, a)
    if best is None:
        return ""
    a = best[3]
    path = _category_path(a)
    if path is None:
        return a.get_text(strip=True)
    # '<a>Parent</a>/<a>Child</a>' (another_category's heading): the deepest of the path's links
    for other in a.parent.find_all("a", href=True) if a.parent is not None else []:
        deeper = _category_path(other)
        if deeper and path and deeper.startswith(path + "/"):
            path = deeper
    return path


def skin_tags(soup: BeautifulSoup, near: Tag | None = None) -> list[str]:
    """The post's tags (``a[rel=tag]``) nearest the article ``near``; a tag cloud or a menu is never read."""
    score = _nearness(near)
    found: list[tuple[int, str]] = []
    for a in soup.select("a[rel~=tag]"):
        d = score(a)
        text = a.get_text(strip=True)
        if d is not None and text and not _in_chrome(a):
            found.append((d, text))
    if not found:
        return []
    nearest = max(d for d, _ in found)
    return list(dict.fromkeys(t for d, t in found if d == nearest))


def _child_text(el: etree._Element, name: str) -> str | None:
    for child in el:
        if isinstance(child.tag, str) and etree.QName(child).localname == name:
            return (child.text or "").strip() or None
    return None
