"""URL helpers every module shares (pure, no platform knowledge): absolute URLs, the http/https twin of a
URL, ``srcset`` candidates, a blog's origin, host matching, and the path form the redirect map keys on."""

from __future__ import annotations

import fnmatch
import re
import unicodedata
from urllib.parse import quote, unquote, urljoin, urlsplit

from migrator.errors import ConfigError

# the characters Jekyll leaves unescaped in a URL it generates (Jekyll::URL.escape_path), and "%" so an
# already escaped path is not escaped twice
_URL_SAFE = "/-._~!$&'()*+,;=:@%"


def absolute_url(url: str, base: str | None) -> str | None:
    """``url`` made absolute against ``base`` (a protocol-relative URL is https); None for what is not a
    fetchable http(s) address (``data:``, ``javascript:``, ``mailto:``, a fragment, no base for a relative one)."""
    url = (url or "").strip()
    if not url or url.startswith(("data:", "javascript:", "mailto:", "#", "about:", "blob:")):
        return None
    if url.startswith("//"):
        return "https:" + url
    if "://" in url:
        return url if url.split("://", 1)[0].lower() in ("http", "https") else None
    if not base:
        return None
    return urljoin(base.rstrip("/") + "/", url)


def other_scheme(url: str) -> str:
    """``url`` with http and https swapped (how a link finds the image its https twin downloaded)."""
    head, sep, rest = url.partition("://")
    if not sep or head.lower() not in ("http", "https"):
        return url
    return ("http" if head.lower() == "https" else "https") + "://" + rest


def srcset_urls(srcset: str) -> list[str]:
    """The URLs of a ``srcset`` attribute (each candidate is 'URL [descriptor]')."""
    out = []
    for candidate in re.split(r",\s+", srcset.strip()):
        url = candidate.strip().split(" ")[0].strip().rstrip(",")
        if url:
            out.append(url)
    return out


def normalize_origin(value: str) -> str:
    """``blog.example.com`` or ``https://blog.example.com/`` -> ``https://blog.example.com``."""
    text = value.strip()
    parts = urlsplit(text if "://" in text else "https://" + text)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in text:
        raise ConfigError(f"origin {value!r} is not a blog address", "use a URL such as https://blog.example.com")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def origin_of(url: str) -> str:
    """``https://host:port`` of ``url`` (its scheme and network location, nothing else)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def site_host(url: str | None) -> str:
    """The host a blog is known by: lower case, without a leading ``www.`` or ``m.`` (the mobile site)."""
    host = (urlsplit(url or "").hostname or "").lower()
    for prefix in ("www.", "m."):
        if host.startswith(prefix) and host.count(".") > 1:
            host = host[len(prefix) :]
    return host


def host_matches(host: str, patterns: tuple[str, ...]) -> bool:
    """``host`` matches one of the glob ``patterns`` (``*.cdn.example.com``), case-insensitively."""
    host = host.lower()
    return any(fnmatch.fnmatchcase(host, p.lower()) for p in patterns)


def on_domains(url: str, domains: tuple[str, ...]) -> bool:
    """``url`` is http(s) (or protocol-relative) on one of ``domains`` or a sub-domain of one."""
    try:
        parts = urlsplit(url.strip() if not url.startswith("//") else "https:" + url.strip())
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    return any(host == h or host.endswith("." + h) for h in (x.lower().lstrip(".") for x in domains))


def domains_pattern(domains: tuple[str, ...]) -> re.Pattern[str] | None:
    """A regex that finds absolute URLs on ``domains`` (or their sub-domains) in text; None for no domains."""
    if not domains:
        return None
    alts = "|".join(re.escape(d.lower()) for d in domains)
    return re.compile(rf"https?://(?:[\w-]+\.)*(?:{alts})/[^\s\"'<>)]+", re.IGNORECASE)


def normalize_path(path: str) -> str:
    """An old URL's path as the redirect map keys it: no query or fragment (``?m=1`` goes), percent-decoded
    (as UTF-8 when it decodes), NFC, no repeated or trailing slashes."""
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
