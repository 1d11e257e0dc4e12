"""File names (pure): slugs and stems that every file system and URL accepts, and the one way a name that
is taken gets a number (``-2``, ``-3``...)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from pathlib import PurePosixPath

_RESERVED = re.compile(r"[\x00-\x1f\x7f/\\?%*:|\"<>#\[\]{}'`^~&$!@=+,;]")
# names Windows refuses for a file whatever its extension (CON, con.md, aux.png...): a clone must survive
_WINDOWS_RESERVED = re.compile(r"^(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$", re.IGNORECASE)


def windows_safe(stem: str) -> str:
    """``stem`` unless Windows reserves it as a device name (``CON``, ``nul``...): then ``stem-``."""
    return stem + "-" if _WINDOWS_RESERVED.match(stem.split(".", 1)[0]) else stem


def truncate_utf8(text: str, max_bytes: int) -> str:
    """The longest prefix of ``text`` whose UTF-8 encoding fits in ``max_bytes`` (never splits a character)."""
    return text.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore")


def sanitize_slug(raw: str, fallback: str = "post") -> str:
    """A file-system- and URL-safe slug: NFC, Hangul and other letters kept, reserved characters removed,
    whitespace to ``-``. Returns ``fallback`` when nothing is left."""
    s = unicodedata.normalize("NFC", raw or "")
    s = _RESERVED.sub("", s)
    s = re.sub(r"\s+", "-", s.strip())
    s = re.sub(r"[^\w.\-]", "", s)
    s = re.sub(r"-{2,}", "-", s)
    s = re.sub(r"\.{2,}", ".", s).strip("-._")
    if s:
        return windows_safe(s)
    return sanitize_slug(fallback, "post") if fallback and fallback != raw else "post"


def safe_stem(name: str, max_len: int = 80) -> str:
    """A file-name stem that is safe on every file system and in a URL path; Hangul and other letters kept."""
    name = unicodedata.normalize("NFC", name)
    name = re.sub(r"[\x00-\x1f\x7f]", "", name)
    name = re.sub(r"[\s]+", "-", name.strip())
    name = re.sub(r"[^\w.\-]", "", name)
    name = re.sub(r"-{2,}", "-", name).strip("-._")
    encoded = name.encode("utf-8")[:max_len]
    stem = encoded.decode("utf-8", errors="ignore").strip("-._")
    return windows_safe(stem) if stem else stem


def first_free(make: Callable[[int], str], free: Callable[[str], bool]) -> str:
    """``make(1)``, else ``make(2)``, ``make(3)``... : the first candidate ``free`` accepts."""
    n = 1
    while True:
        candidate = make(n)
        if free(candidate):
            return candidate
        n += 1


def numbered(stem: str, ext: str, n: int) -> str:
    """``stem.ext`` for the first one, then ``stem-2.ext``, ``stem-3.ext``..."""
    return f"{stem}.{ext}" if n == 1 else f"{stem}-{n}.{ext}"


def unique_path(directory: str, stem: str, ext: str, taken: Callable[[str], bool]) -> str:
    """``dir/stem.ext``, or ``dir/stem-2.ext``, ``-3``... for the first one ``taken`` says is free."""
    return first_free(lambda n: str(PurePosixPath(directory) / numbered(stem, ext, n)), lambda c: not taken(c))
