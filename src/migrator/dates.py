"""Dates (pure): reading the forms sources give (ISO 8601, RFC 2822), the blog's own timezone, and the
timezone names the config and the exports hold."""

from __future__ import annotations

from datetime import datetime
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def parse_iso(value: str | None) -> datetime | None:
    """An ISO 8601 date (``2024-03-02T09:15:00.000+09:00``), else None."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        return None


def parse_rfc2822(value: str | None) -> datetime | None:
    """An RFC 2822 date as RSS and HTTP write it (``Sat, 02 Mar 2024 09:15:00 +0900``), else None."""
    if not value:
        return None
    try:
        return parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None


def parse_any(value: str | None) -> datetime | None:
    """ISO 8601, else RFC 2822: the two forms feeds use."""
    return parse_iso(value) or parse_rfc2822(value)


def is_timezone(name: str | None) -> bool:
    """``name`` is an IANA timezone this machine knows (``Asia/Seoul``)."""
    if not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def valid_timezone(name: str | None) -> str | None:
    """``name`` when it is a known IANA timezone, else None."""
    return name if name and is_timezone(name) else None


def local_date(dt: datetime, tz: str | None) -> datetime:
    """The date in the blog's own timezone (when known), else as the source gave it."""
    if tz and dt.tzinfo is not None:
        return dt.astimezone(ZoneInfo(tz))
    return dt
