"""Tistory's mobile JSON endpoints (the live blog): comments, comment counts, and the notice list.

What is known of them (``/m/api/<postId>/comment`` paged by ``startId=<data.nextId>`` until ``data.isLast``;
an item ``{id, content, written, isSecret, parent, children: [...], writer: {name, homepage}}``;
``/m/api/<postId>/comment/count`` -> ``data.count``; ``/m/api/entry/0/NOTICE?page=<0-based>&size=N`` ->
``{data: {items, isLast, nextPage}}``; the notice page ``/m/notice/<id>``) comes from the code of crawlers that
read them, not from a captured answer. So every path is a setting (``tistory.comments_api`` ...), every field
name can be renamed (``tistory.api_fields``), the date of a comment (``written``, of unknown form) is read in
every form seen for such fields, and an endpoint that does not answer as expected turns that part off for
the run with one warning instead of failing posts. Secret comments (and the replies under them) are never
kept. The requests go to the blog's host, so they wait ``tistory.delay`` like its pages.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from migrator.errors import FetchError
from migrator.models import Comment, Known, Post

if TYPE_CHECKING:
    from migrator.config import Config
    from migrator.http import HttpClient

log = logging.getLogger("migrator")
KST = timezone(timedelta(hours=9))

# our name -> the JSON field (dotted: a field of a field) it is read from; tistory.api_fields renames any
FIELDS: dict[str, str] = {
    "data": "data",  # the envelope: {"data": {...}}
    "items": "items",
    "is_last": "isLast",
    "next_id": "nextId",  # comments: the startId of the next page
    "next_page": "nextPage",  # notices: the next page number
    "id": "id",
    "content": "content",
    "written": "written",
    "secret": "isSecret",
    "children": "children",
    "parent": "parent",
    "author": "writer.name",
    "author_url": "writer.homepage",
    "count": "count",
    "title": "title",
    "published": "published",
    "path": "path",
}
MAX_PAGES = 1000  # pages of comments (or notices) read at most for one post: a host cannot loop a run forever
FAILURES_TO_GIVE_UP = 3  # answers in a row that are not the documented JSON: that endpoint is off for the run


class ApiError(Exception):
    """An endpoint answered something that is not the documented JSON (or not at all)."""


# --- pure helpers ------------------------------------------------------------------------------------


def field(obj: Any, dotted: str) -> Any:
    """``obj["writer"]["name"]`` for ``"writer.name"``; None when any part is missing."""
    for part in dotted.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def truthy(value: Any) -> bool:
    """A JSON flag in any of the forms APIs use: ``true``, ``1``, ``"Y"``, ``"true"``."""
    if isinstance(value, str):
        return value.strip().lower() in ("y", "yes", "true", "1", "t")
    return bool(value)


_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})")
_DOTTED = re.compile(r"(\d{4})\s*[./-]\s*(\d{1,2})\s*[./-]\s*(\d{1,2})\.?(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")


def parse_comment_date(value: Any) -> datetime | None:
    """A comment's ``written`` in whatever form it comes: epoch seconds or milliseconds (a number or a
    string of digits), ISO 8601 (with or without an offset), ``YYYY-MM-DD HH:MM:SS``, ``YYYY.MM.DD HH:MM``,
    compact ``YYYYMMDDHHMMSS``, or RFC 2822. A time without an offset is Korean time. None when unreadable."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _epoch(float(value))
    text = str(value).strip()
    if not text:
        return None
    if re.fullmatch(r"\d{9,13}(?:\.\d+)?", text) and not _COMPACT.fullmatch(text):
        return _epoch(float(text))
    m = _COMPACT.fullmatch(text)
    if m:
        return _make(*m.groups())
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return dt if dt.tzinfo else dt.replace(tzinfo=KST)
    except ValueError:
        pass
    m = _DOTTED.fullmatch(text)
    if m:
        return _make(*m.groups())
    try:
        dt = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=KST)


def _epoch(seconds: float) -> datetime | None:
    if seconds > 1e11:  # milliseconds (1e11 s is the year 5138)
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, tz=KST)
    except (OverflowError, OSError, ValueError):
        return None


def _make(*parts: str | None) -> datetime | None:
    y, mo, d, h, mi, s = (int(p) if p else 0 for p in parts)
    try:
        return datetime(y, mo, d, h, mi, s, tzinfo=KST)
    except ValueError:
        return None


def comment_text(content: Any) -> str:
    """A comment's content (plain text, or HTML with ``<br>``, paragraphs and entities) as plain text with
    its line breaks; a link keeps its address (``text (URL)``)."""
    from bs4 import BeautifulSoup

    raw = str(content or "")
    if "<" not in raw and "&" not in raw:
        return raw.strip()
    soup = BeautifulSoup(raw, "html.parser")
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for block in soup.find_all(["p", "div", "li"]):
        block.insert_after("\n")
    for a in soup.find_all("a", href=True):
        text, href = a.get_text(), str(a["href"])
        a.replace_with(href if text.strip() in ("", href) else f"{text} ({href})")
    lines = [line.rstrip() for line in soup.get_text().split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


@dataclass
class CommentPage:
    """One page of the comment list, as read."""

    comments: list[Comment]
    items: int  # top-level items the answer held (0: nothing more to read)
    is_last: bool
    next_id: str | None
    secret: int  # comments left out because they are secret (their replies counted too)
    undated: int  # comments whose date could not be read (dated as the post)


def read_comment_page(payload: Any, fields: dict[str, str], fallback: datetime) -> CommentPage:
    """The comments of one answer of ``/m/api/<postId>/comment``, threaded: each item, then its
    ``children`` (replies, whose ``parent`` is the item's id); secret ones and everything under them left out."""
    data = field(payload, fields["data"]) if isinstance(payload, dict) and fields["data"] in payload else payload
    items = field(data, fields["items"])
    if not isinstance(data, dict) or not isinstance(items, list):
        raise ApiError("no list of comments in the answer")
    page = CommentPage([], len(items), truthy(field(data, fields["is_last"])), None, 0, 0)
    nxt = field(data, fields["next_id"])
    page.next_id = str(nxt) if nxt not in (None, "", 0, "0") else None

    def walk(item: Any, parent: str | None) -> None:
        if not isinstance(item, dict):
            return
        cid = field(item, fields["id"])
        if truthy(field(item, fields["secret"])):
            page.secret += 1 + _count_below(item, fields)
            return  # a secret comment is never published, nor the replies under it (they may quote it)
        if cid is None:
            return
        when = parse_comment_date(field(item, fields["written"]))
        if when is None:
            page.undated += 1
        own_parent = field(item, fields["parent"])
        url = field(item, fields["author_url"])
        page.comments.append(
            Comment(
                id=str(cid),
                author=str(field(item, fields["author"]) or ""),
                published=when or fallback,
                text=comment_text(field(item, fields["content"])),
                parent=parent or (str(own_parent) if own_parent not in (None, "", 0, "0") else None),
                author_url=str(url) if isinstance(url, str) and url.startswith(("http://", "https://")) else None,
            )
        )
        for child in field(item, fields["children"]) or []:
            walk(child, str(cid))

    for item in items:
        walk(item, None)
    return page


def _count_below(item: dict, fields: dict[str, str]) -> int:
    children = field(item, fields["children"]) or []
    return sum(1 + _count_below(c, fields) for c in children if isinstance(c, dict))


def read_count(payload: Any, fields: dict[str, str]) -> int:
    """``data.count`` of ``/m/api/<postId>/comment/count``."""
    data = field(payload, fields["data"]) if isinstance(payload, dict) and fields["data"] in payload else payload
    value = field(data, fields["count"]) if isinstance(data, dict) else data
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
        raise ApiError(f"no comment count in the answer ({str(value)[:40]!r})")
    return int(value)


@dataclass(frozen=True)
class NoticeItem:
    """A notice as the notice list gives it."""

    id: str
    title: str
    published: datetime | None


def read_notice_page(payload: Any, fields: dict[str, str]) -> tuple[list[NoticeItem], bool, int | None]:
    """(notices, is it the last page, the next page number) of one answer of the notice list."""
    data = field(payload, fields["data"]) if isinstance(payload, dict) and fields["data"] in payload else payload
    items = field(data, fields["items"])
    if not isinstance(data, dict) or not isinstance(items, list):
        raise ApiError("no list of notices in the answer")
    out = []
    for item in items:
        nid = field(item, fields["id"]) if isinstance(item, dict) else None
        if nid is None or not str(nid).strip().isdigit():
            continue
        title = field(item, fields["title"])
        out.append(NoticeItem(str(nid).strip(), str(title or ""), parse_comment_date(field(item, fields["published"]))))
    nxt = field(data, fields["next_page"])
    return out, truthy(field(data, fields["is_last"])), int(nxt) if str(nxt or "").isdigit() else None


# --- the client ----------------------------------------------------------------------------------------


class TistoryApi:
    """The JSON endpoints of one blog. Thread-safe: the source calls it from its page workers."""

    def __init__(self, http: HttpClient, origin: str, cfg: Config) -> None:
        self.http = http
        self.origin = origin
        self.tcfg = cfg.tistory
        self.fields = {**FIELDS, **{k: v for k, v in self.tcfg.api_fields.items() if v}}
        self.comments_on = cfg.comments
        self.warnings: list[str] = []
        self._lock = threading.Lock()
        self._failures = 0
        self._undated = 0

    @property
    def enabled(self) -> bool:
        return self.comments_on

    def _json(self, path: str) -> Any:
        url = self.origin + path
        headers = {"Accept": "application/json"}
        if self.tcfg.referer:
            headers["Referer"] = self.origin + "/"
        got = self.http.get(url, headers=headers)
        try:
            return json.loads(got.text())
        except ValueError:
            raise ApiError(f"{url} did not answer JSON") from None

    def _failed(self, what: str, error: Exception) -> None:
        with self._lock:
            self._failures += 1
            if self._failures >= FAILURES_TO_GIVE_UP and self.comments_on:
                self.comments_on = False
                self.warnings.append(
                    f"Tistory's comment endpoint did not answer as documented ({what}: {error}); comments were not "
                    "migrated for the rest of this run (set tistory.comments_api / tistory.api_fields if the blog's "
                    "endpoint differs, or comments: false)"
                )

    def _ok(self) -> None:
        with self._lock:
            self._failures = 0

    def count(self, post_id: str) -> int | None:
        """The post's comment count at the source, secret ones included; None when it cannot be read."""
        if not self.comments_on or not post_id.isdigit():
            return None
        try:
            n = read_count(self._json(self.tcfg.comment_count_api.format(id=post_id)), self.fields)
        except (FetchError, ApiError) as e:
            self._failed(f"/{post_id}", e)
            return None
        self._ok()
        return n

    def comments(self, post_id: str, fallback: datetime) -> list[Comment] | None:
        """Every comment of the post that may be published, threaded, page after page; None when the list
        cannot be read (the post keeps the comments it had, and the next run asks again)."""
        out: dict[str, Comment] = {}
        path = self.tcfg.comments_api.format(id=post_id)
        seen_ids: set[str] = set()
        for _ in range(MAX_PAGES):
            try:
                page = read_comment_page(self._json(path), self.fields, fallback)
            except (FetchError, ApiError) as e:
                self._failed(f"/{post_id}", e)
                return None
            for c in page.comments:
                out.setdefault(c.id, c)
            with self._lock:
                self._undated += page.undated
            if page.is_last or not page.items or not page.next_id or page.next_id in seen_ids:
                break  # the last page, or a host whose next page would not advance
            seen_ids.add(page.next_id)
            sep = "&" if "?" in self.tcfg.comments_api else "?"
            path = self.tcfg.comments_api.format(id=post_id) + f"{sep}startId={page.next_id}"
        self._ok()
        return list(out.values())

    def attach(self, post: Post, count: int | None = None) -> Post:
        """``post`` with its comments and the source's comment count (``count`` when the caller read it)."""
        if not self.comments_on or not post.id.isdigit() or post.error:
            return post
        if count is None:
            count = self.count(post.id)
            if count is None:
                return post
        if count == 0:
            return replace(post, comment_count=0)
        found = self.comments(post.id, post.published)
        if found is None:
            return post
        return replace(post, comments=tuple(found), comment_count=count)

    def notices(self) -> Iterator[NoticeItem]:
        """Every notice the notice list gives, page after page (nothing when the list cannot be read)."""
        page, seen = 0, set()
        for _ in range(MAX_PAGES):
            path = self.tcfg.notice_list_api.format(page=page, size=self.tcfg.api_page_size)
            try:
                items, last, nxt = read_notice_page(self._json(path), self.fields)
            except (FetchError, ApiError) as e:
                if page == 0:
                    self.warnings.append(f"notices not read: the notice list ({path}) did not answer ({e})")
                else:
                    self.warnings.append(f"notices after page {page} not read ({e})")
                return
            fresh = [n for n in items if n.id not in seen]
            for n in fresh:
                seen.add(n.id)
                yield n
            if last or not fresh:
                return
            page = nxt if nxt is not None and nxt > page else page + 1

    def finish(self) -> list[str]:
        """The run's warnings of the API (read once, at the end of the listing)."""
        out = list(self.warnings)
        if self._undated:
            out.append(f"{self._undated} comment date(s) could not be read; those comments are dated as their post")
        self.warnings.clear()
        self._undated = 0
        return out


# --- notices: pages at /notice/<id> -------------------------------------------------------------------


def notice_path(notice_id: str) -> str:
    """A notice's own address on the blog (also ``/m/notice/<id>``)."""
    return f"/notice/{notice_id}"


def notice_post(src: Any, item: NoticeItem, html: str) -> Post | None:
    """A notice page (``/m/notice/<id>``: ``.tit_blogview``, ``span.txt_date``, ``div.blogview_content``; or the
    skin's ``/notice/<id>``) as a page at ``/notice/<id>``, its editor markup cleaned like a post's. ``src`` is
    the :class:`~migrator.sources.tistory.TistorySource` it belongs to."""
    from bs4 import BeautifulSoup

    from migrator.sources import tistory

    soup = BeautifulSoup(html, "lxml")
    body = None
    for sel in (*tistory.MOBILE_BODY_SELECTORS, *(src.tcfg.body_selectors or tistory.DEFAULT_BODY_SELECTORS)):
        body = soup.select_one(sel)
        if body is not None:
            break
    if body is None:
        return None
    title_el = soup.select_one(".tit_blogview") or soup.select_one("h2.title-article")
    title = title_el.get_text(" ", strip=True) if title_el else (tistory._meta(soup, "og:title") or item.title)
    date_el = soup.select_one("span.txt_date") or soup.select_one(".txt_date")
    published = (
        item.published
        or tistory.parse_tistory_date(tistory._meta(soup, "article:published_time"))
        or (tistory.parse_visible_date(date_el.get_text(" ", strip=True)) if date_el else None)
        or datetime(1970, 1, 1, tzinfo=KST)
    )
    for sel in src.tcfg.remove_selectors:
        for el in body.select(sel):
            el.decompose()
    tistory.clean_editor_html(body, soup, src.origin)
    path = notice_path(item.id)
    return Post(
        id=item.id,
        kind="page",
        status="live",
        title=title or item.title,
        html=body.decode_contents(),
        published=published,
        url=src.origin + path,
        path=path,
        slug=f"notice-{item.id}",
        old_urls=(f"/m{path}",),
    )


def _notice_page(src: Any, url: str, path: str, rec: Any) -> Any:
    """The notice's page (its mobile one, else the skin's ``/notice/<id>``), conditional on a resync."""
    etag, last_modified = (rec.etag, rec.last_modified) if rec else (None, None)
    try:
        return src.http.get(url, etag=etag, last_modified=last_modified)
    except FetchError as e:
        if e.status_code not in (403, 404, 410) or url == src.origin + path:
            raise
        return src.http.get(src.origin + path)


def notice_posts(src: Any, since: datetime | None, known: Known | None) -> Iterator[Post]:
    """Every notice of the live blog as a page, with its comments. On a resync a notice whose page answers
    a conditional GET with 304, and whose comment count did not change (or was not asked for: a notice
    published more than ``tistory.recheck_days`` ago under ``recheck_comments: recent``), is not read again."""
    for item in src.api.notices():
        path = notice_path(item.id)
        rec = (known or {}).get(path) if since is not None else None
        url = src.origin + src.tcfg.notice_page.format(id=item.id)
        try:
            got = _notice_page(src, url, path, rec)
            if got.status == 304:
                if not src.wants_comment_count(rec, item.published):  # tistory.recheck_comments
                    src.not_rechecked()
                    src.listed_ids.add(item.id)
                    continue
                count = src.api.count(item.id)
                if count is None or count == (rec.comment_count if rec else None):
                    src.listed_ids.add(item.id)
                    continue
                got = src.http.get(url)
        except FetchError as e:
            src.warnings.append(f"notice {path} ({item.title}) could not be read: {e.message}")
            if src.listed_ids is not None:
                src.listed_ids.add(item.id)  # there, but unread: not judged deleted
            continue
        post = notice_post(src, item, got.text())
        if post is None:
            src.warnings.append(f"notice {path}: no body found in {url}")
            continue
        if got.etag or got.last_modified:
            post = replace(post, etag=got.etag, last_modified=got.last_modified)
        yield src.api.attach(post)
