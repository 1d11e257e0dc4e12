"""The normalized records every stage shares. Sources produce them; nothing downstream sees platform data."""

from __future__ import annotations

import functools
import json
import re
import types
import typing
from collections.abc import Callable
from dataclasses import MISSING, asdict, dataclass, field, fields, is_dataclass, replace
from datetime import UTC, datetime
from typing import IO, Any, Literal, TypeVar

from migrator.runtime import LazyModule

hashlib = LazyModule("hashlib")  # OpenSSL's libcrypto (4 MB) loads on the first digest: a conversion worker takes none

_R = TypeVar("_R")
PostKind = Literal["post", "page"]
PostStatus = Literal["live", "draft"]


@dataclass(frozen=True, slots=True)
class KnownPost:
    """What the manifest recorded of a migrated post, handed to its source on a resync."""

    id: str
    updated: str | None = None  # the source's modification time, as recorded (ISO 8601)
    etag: str | None = None  # the post page's HTTP validators, for a conditional GET
    last_modified: str | None = None
    comment_count: int | None = None  # the source's comment count when the post was read (a resync compares)


# old path -> what the manifest recorded of the post there
Known = dict[str, KnownPost]


@dataclass(frozen=True)
class Unreadable:
    """Why a source could not read a post: ``skipped`` (it cannot be migrated at all: protected, deleted;
    recorded, not retried) or ``failed`` (an error: retried on the next run)."""

    reason: str
    skipped: bool = False


@dataclass(frozen=True)
class Blog:
    platform: str  # the source's name (sources.names())
    url: str  # the blog's origin, e.g. "https://blog.example.com" ("" when an export does not say)
    blog_id: str = ""
    title: str = ""
    description: str = ""
    timezone: str | None = None  # IANA name when the platform says (export settings), else None
    locale: str = ""  # the blog's language setting when the platform says (export settings), e.g. "en_US"


@dataclass(frozen=True, slots=True)  # an export's comments are all held while its posts are read: no __dict__
class Comment:
    id: str
    author: str
    published: datetime
    text: str  # plain text, line breaks kept
    parent: str | None = None  # the comment this one replies to
    author_url: str | None = None  # the author's homepage, when the platform gives one


_NOT_FINGERPRINTED = frozenset({"etag", "last_modified", "reading", "comment_count", "unreadable", "comments"})


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
    unreadable: Unreadable | None = None  # set by a source when the post cannot be read
    etag: str | None = None  # the post page's HTTP validators, for a conditional GET next time
    last_modified: str | None = None
    comments: tuple[Comment, ...] = ()
    # which of the platform's inputs this reading of the post comes from ("" the live blog, "backup" an
    # archive): a post already written from another reading is not rewritten from this one unless that one
    # was incomplete, is older, or the post moved between drafts, posts and pages (manifest.keeps_reading)
    reading: str = ""
    comment_count: int | None = None  # the platform's own count of the post's comments (secret ones too)

    @property
    def error(self) -> str | None:
        """Why the post could not be read (None: it was)."""
        return self.unreadable.reason if self.unreadable else None

    @property
    def skip(self) -> bool:
        """The post cannot be migrated at all (recorded as skipped, not retried)."""
        return bool(self.unreadable and self.unreadable.skipped)

    def fingerprint(self) -> str:
        """sha256 of everything the source said about the post: changes iff the source changed. What two
        sources of one blog write differently for the same post does not count: a time's UTC offset (an
        export's times are UTC, the feed's carry the blog's offset) and the order of labels."""
        # the fields as asdict() gives them (without its deep copy of the body: the only nested records are
        # the comments); what is not what the source says about the post is left out
        data = {name: getattr(self, name) for name in _field_names(Post) if name not in _NOT_FINGERPRINTED}
        data["error"], data["skip"] = self.error, self.skip  # as it always was fingerprinted
        data["published"] = _instant(self.published)
        data["updated"] = _instant(self.updated)
        data["tags"], data["categories"] = sorted(self.tags), sorted(self.categories)
        data["comments"] = [{**asdict(c), "published": _instant(c.published)} for c in self.comments]
        for c in data["comments"]:
            if c.get("author_url") is None:
                c.pop("author_url")  # as before the field existed: a resync after an upgrade changes nothing
        blob = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _instant(value: datetime | None) -> str | None:
    """A time as its UTC instant (``2024-03-02T00:15:00+00:00`` for ``09:15+09:00``); a naive one as written."""
    if value is None:
        return None
    return (value.astimezone(UTC) if value.tzinfo is not None else value).isoformat()


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
    source: str | None = None  # where the bytes came from when not downloaded ("takeout": the archive)

    def to_json(self) -> dict:
        """The manifest's entry (keyed by ``url`` outside it): every other field, in the fields' order;
        ``source`` only when set (a download's record is as it always was)."""
        out = record_json(self, omit=("url",))
        if not self.source:
            out.pop("source", None)
        return out


@dataclass(frozen=True)
class LocalCopy:
    """An image the source holds itself (a Takeout's album photo): the asset store copies it, the way it
    downloads one (same name, same checks), instead of fetching it."""

    name: str  # where it is, for messages
    size: int  # its size in bytes, as the source knows it
    open: Callable[[], IO[bytes]]  # a stream of its bytes (the caller closes it)
    origin: str  # recorded as the asset's ``source``
    only: bool = False  # the source's own file, with no copy on the web: when it is unusable, nothing is downloaded


@dataclass(frozen=True, slots=True)  # one per post in memory: slots, no __dict__ (100,000 of them)
class PostRecord:
    """The manifest's entry for one source post."""

    source_url: str | None
    title: str
    updated: str | None
    source_sha256: str
    path: str | None
    output_sha256: str | None
    status: Literal["ok", "failed", "conflict", "deleted", "skipped"]
    assets: tuple[str, ...] = field(default=(), metadata={"items": "URLs"})
    error: str | None = None
    kind: str = "post"
    render_key: str | None = None  # sha256 of the settings the file was rendered with (format, front matter...)
    etag: str | None = None  # the source page's validators (platforms read page by page)
    last_modified: str | None = None
    fallback: dict | None = None  # the loss guard wrote HTML: {"format", "reason", "lost_words"[, "blocks"]}
    reading: str | None = None  # the reading the file was written from (Post.reading; None: the live blog)
    comment_count: int | None = None  # the source's comment count when the post was read (a resync compares)

    def to_json(self) -> dict:
        """The manifest's entry: every field, in the fields' order."""
        return record_json(self)


def _packed(value: object) -> object:
    """A sha256 as it is read back from the manifest, written in 64 lowercase hex digits, held as its 32
    bytes (65 bytes, not 113: two a post); anything else (``""``, None, a digest written otherwise) as it is,
    so that reading the field gives back exactly what was set."""
    if type(value) is str and len(value) == 64 and value.islower():
        try:
            digest = bytes.fromhex(value)
        except ValueError:
            return value
        if len(digest) == 32:  # fromhex skips white space: "ab cd..." stays text
            return digest
    return value


class _HexDigest:
    """A slot that stores a sha256 hex digest as bytes and reads it back as the same hex text: every reader
    (``plan``, ``to_json``, ``replace``, ``==``) sees the text it always saw, the manifest's bytes do not
    change."""

    __slots__ = ("slot",)

    def __init__(self, slot: Any) -> None:
        self.slot = slot  # the member descriptor the dataclass made for the field

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = self.slot.__get__(obj, owner)
        return value.hex() if type(value) is bytes else value

    def __set__(self, obj: object, value: object) -> None:
        self.slot.__set__(obj, _packed(value))

    def __delete__(self, obj: object) -> None:
        self.slot.__delete__(obj)


for _name in ("source_sha256", "output_sha256"):  # 100,000 posts: 9.6 MB less
    setattr(PostRecord, _name, _HexDigest(PostRecord.__dict__[_name]))


@dataclass
class RunStats:
    """Counts for the summary table; mutable while a run goes on."""

    actions: dict[str, int] = field(default_factory=dict)
    images_downloaded: int = 0
    images_reused: int = 0
    images_failed: int = 0
    images_from_archive: int = 0  # copied from the source's own archive (a Takeout's albums), not downloaded
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
    notes: list[str] = field(default_factory=list)  # what a dry run would also do (not a problem)

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


# --- records as JSON: driven by the dataclasses' fields ----------------------------------------------------


class BadRecord(ValueError):
    """A record read from JSON has a field of the wrong type."""


def record_json(rec: Any, omit: tuple[str, ...] = ()) -> dict:
    """A record as JSON: every field but ``omit``, in the fields' order, tuples as lists."""
    out = {}
    for name in _field_names(type(rec)):
        if name not in omit:
            value = getattr(rec, name)
            out[name] = list(value) if isinstance(value, tuple) else value
    return out


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _optional(tp: Any) -> tuple[Any, bool]:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0], len(args) < len(typing.get_args(tp))
    return tp, False


@functools.cache
def _kind(tp: Any) -> tuple[Any, bool, Any]:
    """(the type without None, whether None is allowed, its typing origin), once per type."""
    tp, optional = _optional(tp)
    return tp, optional, typing.get_origin(tp)


@functools.cache
def _checker(tp: Any) -> Callable[[str, Any, str], Any]:
    """The check of one field type, made once per type: ``check(name, value, items)`` is ``value`` as the field
    holds it, or BadRecord for a wrong type (None is read as the field's nothing: no text, no list, zero (None
    for an optional number: not known), no mapping). Hashing a ``Literal[...]`` to look its kind up on every
    field was a sixth of a manifest's load."""
    tp, optional, origin = _kind(tp)
    if origin is Literal:
        allowed = typing.get_args(tp)

        def literal(name: str, value: Any, items: str) -> Any:
            if value not in allowed:
                raise BadRecord(f"{name} {value!r} is not one of {', '.join(allowed)}")
            return value

        return literal
    if tp is str:
        return _check_text
    if origin is tuple:
        return _check_list
    if tp is int:
        return _check_optional_int if optional else _check_int
    if origin is dict or tp is dict:
        return _check_mapping
    return _as_it_is


def _check_text(name: str, value: Any, items: str) -> Any:
    if value is not None and not isinstance(value, str):
        raise BadRecord(f"{name} is {type(value).__name__}, not text")
    return value


def _check_list(name: str, value: Any, items: str) -> Any:
    if not isinstance(value or [], list) or not all(isinstance(a, str) for a in value or []):
        raise BadRecord(f"{name} is not a list of {items}")
    return tuple(value or ())


def _check_int(name: str, value: Any, items: str) -> Any:
    if not isinstance(value or 0, int) or isinstance(value, bool):
        raise BadRecord(f"{name} is {value!r}, not a number")
    return int(value or 0)


def _check_optional_int(name: str, value: Any, items: str) -> Any:
    return None if value is None else _check_int(name, value, items)


def _check_mapping(name: str, value: Any, items: str) -> Any:
    return value if isinstance(value, dict) else None  # a mapping the tool wrote, or nothing


def _as_it_is(name: str, value: Any, items: str) -> Any:
    return value


@functools.cache
def _schema(cls: type) -> tuple[dict[str, Any], tuple[Any, ...]]:
    """A record class's type hints and fields, read once (get_type_hints per record was most of a no-op
    resync's manifest load)."""
    return typing.get_type_hints(cls), fields(cls)


@functools.cache
def _plan(cls: type) -> tuple[tuple[str, Callable[[str, Any, str], Any], str, Any, Any, bool], ...]:
    """Per field of a record class, once: (name, its check, what its items are, the value an absent field is
    read as, or the factory that makes it, whether it is plain text: taken as it is when it is a str or None)."""
    hints, cls_fields = _schema(cls)
    plan = []
    for f in cls_fields:
        base, optional, origin = _kind(hints[f.name])
        factory = f.default_factory if f.default_factory is not MISSING else None
        default = f.default if f.default is not MISSING else (None if optional else "")
        plan.append((f.name, _checker(hints[f.name]), f.metadata.get("items", "text"), default, factory, base is str))
    return tuple(plan)


def record_from_json(cls: type[_R], data: Any, given: dict | None = None, missing: dict | None = None) -> _R:
    """A record from its JSON, every field's type checked (BadRecord names the first one wrong). ``given``:
    fields that are not in the JSON (its key); ``missing``: what an absent field is read as, where that is not
    the field's default (else None, or "" for required text)."""
    if not isinstance(data, dict):
        raise BadRecord(f"the record is {type(data).__name__}, not an object")
    values = dict(given or {})
    for name, check, items, default, factory, text in _plan(cls):
        if name in values:
            continue
        if name in data:
            raw = data[name]
        elif missing and name in missing:
            raw = missing[name]
        elif factory is not None:
            raw = factory()
        else:
            raw = default
        if text and (raw is None or raw.__class__ is str):
            values[name] = raw  # what the check would return, without the call (most fields, most records)
        else:
            values[name] = check(name, raw, items)
    return cls(**values)
