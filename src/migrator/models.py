"""The normalized records every stage shares. Sources produce them; nothing downstream sees platform data."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from datetime import datetime
from typing import Literal, TypeVar

_R = TypeVar("_R")
PostKind = Literal["post", "page"]
PostStatus = Literal["live", "draft"]
# old path -> (post id, updated, page ETag, page Last-Modified, comment count at the source) of every migrated post
Known = dict[str, tuple[str, str | None, str | None, str | None, int | None]]


@dataclass(frozen=True)
class Blog:
    platform: str  # "blogger" | "tistory"
    url: str  # the blog's origin, e.g. "https://name.blogspot.com" ("" when an export does not say)
    blog_id: str = ""
    title: str = ""
    description: str = ""
    timezone: str | None = None  # IANA name when the platform says (export settings), else None
    locale: str = ""  # the blog's language setting when the platform says (export settings), e.g. "en_US"


@dataclass(frozen=True)
class Comment:
    id: str
    author: str
    published: datetime
    text: str  # plain text, line breaks kept
    parent: str | None = None  # the comment this one replies to
    author_url: str | None = None  # the author's homepage, when the platform gives one


@dataclass(frozen=True)
class Post:
    """One post, page or draft as the source gives it. ``html`` is ordinary HTML whose image URLs the
    source has already resolved to their original-size form."""

    id: str
    kind: PostKind
    status: PostStatus
    title: str
    html: str
    published: datetime
    updated: datetime | None = None
    url: str | None = None  # canonical URL at the source (None for drafts)
    path: str | None = None  # old path on the source site ("/2023/06/my-post.html")
    slug: str = ""  # raw slug hint from the source URL (sanitized by jekyll.py)
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    summary: str | None = None  # the platform's description, plain text
    thumbnail: str | None = None  # lead image URL (original size)
    author: str | None = None
    old_urls: tuple[str, ...] = ()  # more old paths that must keep working (redirect_from)
    error: str | None = None  # set by a source when the post cannot be read
    skip: bool = False  # with error: the post cannot be migrated at all (protected, deleted): recorded as skipped
    etag: str | None = None  # the post page's HTTP validators, for a conditional GET next time
    last_modified: str | None = None
    comments: tuple[Comment, ...] = ()
    # which of the platform's inputs this reading of the post comes from ("" the live blog, "backup" an
    # archive): a post already written from another reading is not rewritten from this one unless that one
    # was incomplete, is older, or the post moved between drafts, posts and pages (manifest.keeps_reading)
    reading: str = ""
    comment_count: int | None = None  # the platform's own count of the post's comments (secret ones too)

    def fingerprint(self) -> str:
        """sha256 of everything the source said about the post: changes iff the source changed."""
        data = asdict(self)
        for validator in ("etag", "last_modified", "reading", "comment_count"):  # not what the post says
            data.pop(validator)
        for c in data["comments"]:
            if c.get("author_url") is None:
                c.pop("author_url")  # as before the field existed: a resync after an upgrade changes nothing
        data["published"] = self.published.isoformat()
        data["updated"] = self.updated.isoformat() if self.updated else None
        blob = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AssetRecord:
    url: str
    path: str | None = None  # site-relative path ("assets/img/slug/name.png")
    sha256: str | None = None
    bytes: int = 0
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    status: Literal["ok", "failed"] = "ok"
    error: str | None = None

    def to_json(self) -> dict:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "bytes": self.bytes,
            "content_type": self.content_type,
            "etag": self.etag,
            "last_modified": self.last_modified,
            "status": self.status,
            "error": self.error,
        }


@dataclass(frozen=True)
class PostRecord:
    """The manifest's entry for one source post."""

    source_url: str | None
    title: str
    updated: str | None
    source_sha256: str
    path: str | None
    output_sha256: str | None
    status: Literal["ok", "failed", "conflict", "deleted", "skipped"]
    assets: tuple[str, ...] = ()
    error: str | None = None
    kind: str = "post"
    render_key: str | None = None  # sha256 of the settings the file was rendered with (format, front matter...)
    etag: str | None = None  # the source page's validators (platforms read page by page)
    last_modified: str | None = None
    fallback: dict | None = None  # the loss guard wrote HTML: {"format", "reason", "lost_words"[, "blocks"]}
    reading: str | None = None  # the reading the file was written from (Post.reading; None: the live blog)
    comment_count: int | None = None  # the source's comment count when the post was read (a resync compares)

    def to_json(self) -> dict:
        return {
            "source_url": self.source_url,
            "title": self.title,
            "updated": self.updated,
            "source_sha256": self.source_sha256,
            "path": self.path,
            "output_sha256": self.output_sha256,
            "status": self.status,
            "assets": list(self.assets),
            "error": self.error,
            "kind": self.kind,
            "render_key": self.render_key,
            "etag": self.etag,
            "last_modified": self.last_modified,
            "fallback": self.fallback,
            "reading": self.reading,
            "comment_count": self.comment_count,
        }


@dataclass
class RunStats:
    """Counts for the summary table; mutable while a run goes on."""

    actions: dict[str, int] = field(default_factory=dict)
    images_downloaded: int = 0
    images_reused: int = 0
    images_failed: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (what, why)
    skips: list[tuple[str, str]] = field(default_factory=list)  # (what, why): protected, deleted
    cleaned: dict[str, int] = field(default_factory=dict)  # clean.remove rule -> posts it touched
    unresolved_links: list[tuple[str, str]] = field(default_factory=list)  # (file, link to a post not migrated)
    comments: int = 0  # comments saved to _data/comments/
    removed: list[str] = field(default_factory=list)  # files --prune removed
    sanitized: list[tuple[str, str]] = field(default_factory=list)  # (file, what the sanitiser removed)
    fallbacks: list[tuple[str, str, dict]] = field(default_factory=list)  # (file, post, fallback) of the loss guard
    archives: list[str] = field(default_factory=list)  # archive pages added for old tag/category addresses
    warnings: list[str] = field(default_factory=list)

    def count(self, action: str) -> None:
        self.actions[action] = self.actions.get(action, 0) + 1


_INVALID = re.compile("[\ud800-\udfff\ufffe\uffff]")


def scrub_text(value: str) -> str:
    """``value`` with every code point that cannot be written as UTF-8 text (a lone surrogate, as a feed's
    ``"\\ud800"`` escape gives, or the non-characters U+FFFE/U+FFFF) replaced by U+FFFD."""
    return _INVALID.sub("\ufffd", value)


def scrub(record: _R) -> tuple[_R, int]:
    """A copy of a record (Post, Comment, Blog) whose strings, also inside tuples and nested records, hold
    only valid code points, and how many were replaced. Returns the record itself when nothing was."""
    count = 0

    def fix(value: object) -> object:
        nonlocal count
        if isinstance(value, str):
            n = len(_INVALID.findall(value))
            if not n:
                return value
            count += n
            return scrub_text(value)
        if isinstance(value, tuple):
            items = tuple(fix(v) for v in value)
            return value if all(a is b for a, b in zip(items, value, strict=True)) else items
        if is_dataclass(value) and not isinstance(value, type):
            changes = {}
            for f in fields(value):
                old = getattr(value, f.name)
                new = fix(old)
                if new is not old:
                    changes[f.name] = new
            return replace(value, **changes) if changes else value
        return value

    out = fix(record)
    return out, count  # type: ignore[return-value]
