"""Configuration: YAML file -> frozen dataclasses. Unknown keys are errors; CLI > file > defaults.

The core's sections are here; the site generator's (``site:``, ``front_matter:``) are declared by
``jekyll.py``, and each platform's (``<name>:``) by its source module: :data:`Config` has one
field per registered source that has a section (``Source.settings``), so adding a platform adds its
section without an edit here.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from dataclasses import dataclass, field, fields, is_dataclass, make_dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from migrator import sources
from migrator.dates import is_timezone
from migrator.errors import ConfigError
from migrator.jekyll import FrontMatterConfig, SiteConfig, load_yaml
from migrator.urls import normalize_origin

__all__ = ["Config", "FrontMatterConfig", "HttpConfig", "SiteConfig", "load_config", "normalize_origin"]


@dataclass(frozen=True)
class HttpConfig:
    connect_timeout: float = 10.0  # seconds to open a connection
    read_timeout: float = 30.0  # seconds to wait for data
    deadline: float = 120.0  # seconds one attempt may take in all, headers and body (0: no deadline)
    retries: int = 5  # attempts per request (the first one included)
    backoff: float = 1.0  # first backoff in seconds; doubles each retry, with jitter
    backoff_max: float = 60.0  # longest single wait, Retry-After included
    delay: float = 0.0  # minimum seconds between two requests to the same host
    per_host: int = 4  # concurrent requests per host
    per_cdn_host: int = 8  # concurrent requests per host of the platform's image CDN (a browser opens 6 per host)
    max_bytes: int = 50 * 1024 * 1024  # biggest response (decompressed) accepted, pages and images
    user_agent: str | None = None  # default: "migrator/<version> (+https://github.com/migrator)"


@dataclass(frozen=True)
class EmbedsConfig:
    # hosts (and their sub-domains) whose iframes, embeds and <script src> a post may keep, besides the
    # built-in list (YouTube, Vimeo, gist, video and map players...) and the platform's own
    allow_hosts: tuple[str, ...] = ()


@dataclass(frozen=True)
class CleanConfig:
    # Boilerplate removed from every post before conversion: CSS selectors, or "text:<regex>" to drop the
    # smallest block (paragraph, list item, div...) whose text matches.
    remove: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImagesConfig:
    download: bool = True  # download images and relink them (false: keep remote URLs)
    dir: str = "assets/img"  # where images go, one folder per post slug
    files_dir: str = "assets/files"  # where attachments (non-image downloads) go, one folder per post slug


@dataclass(frozen=True)
class CoreConfig:
    """Every setting but the platforms' sections (see :data:`Config`)."""

    out: str | None = None  # the Jekyll site directory (--out)
    platform: str = "auto"  # auto, or a platform's name (the registry's: sources.names())
    format: str = "markdown"  # markdown | html
    # The blog's address(es): the first is the canonical one (exports that do not record it); every one is
    # the same blog for link rewriting (a blog that moved domains). ``origin: URL`` is still accepted.
    origins: tuple[str, ...] = ()
    urls: str = "preserve"  # preserve: permalink = old path; jekyll: site permalinks + redirect_from
    timezone: str | None = None  # the blog's IANA timezone (default: from the export, else the dates' offset)
    dry_run: bool = False
    report: str | None = None
    jobs: int = 4  # parallel downloads
    # processes that convert posts beside the main one (workers.py); None: one per core but one, at most 4,
    # once a run has converted 32 posts; 0: convert in the main process only
    convert_workers: int | None = None
    force: bool = False  # overwrite hand-edited posts on conflict
    prune: bool = False  # remove posts deleted at the source
    allow_private_network: bool = False
    allow_private_hosts: tuple[str, ...] = ()  # host names allowed to be private (a LAN mirror, a test server)
    limit: int | None = None  # migrate at most N posts (for a trial run)
    full: bool = False  # resync: ignore what the last sync knew and read every post again
    comments: bool = True  # save comments (where the platform has them) to _data/comments/<post file name>.yml
    blog: str | None = None  # an export that holds several blogs (a Takeout): the one to migrate (its folder name)
    offline: bool = False  # download nothing: images come from the export's archive only (the rest are listed)
    # an export that does not record which posts are public (a Tistory backup read without --origin): publish
    # every post instead of writing each as a draft (published: false)
    publish_all: bool = False
    verbosity: int = 0  # -1 quiet, 0 normal, 1+ verbose
    http: HttpConfig = field(default_factory=HttpConfig)
    site: SiteConfig = field(default_factory=SiteConfig)
    front_matter: FrontMatterConfig = field(default_factory=FrontMatterConfig)
    images: ImagesConfig = field(default_factory=ImagesConfig)
    clean: CleanConfig = field(default_factory=CleanConfig)
    embeds: EmbedsConfig = field(default_factory=EmbedsConfig)

    def section(self, name: str) -> Any:
        """A platform's section by its name (``cfg.section(name)`` is ``getattr(cfg, name)``)."""
        return getattr(self, name)

    def validate(self) -> Config:
        choices = {
            "platform": ("auto", *sources.names()),
            "format": ("markdown", "html"),
            "urls": ("preserve", "jekyll"),
        }
        for key, allowed in choices.items():
            if getattr(self, key) not in allowed:
                raise ConfigError(f"{key} must be one of {', '.join(allowed)}, not {getattr(self, key)!r}")
        for f in fields(self):  # a section that checks itself (a platform's, front_matter's)
            check = getattr(getattr(self, f.name), "validate", None)
            if is_dataclass(getattr(self, f.name)) and callable(check):
                check()
        for rule in self.clean.remove:
            if rule.startswith("text:"):
                try:
                    re.compile(rule[5:])
                except re.error as e:
                    raise ConfigError(f"clean.remove: {rule!r} is not a valid pattern ({e})") from None
            else:
                from soupsieve import SelectorSyntaxError
                from soupsieve import compile as css

                try:
                    css(rule)
                except SelectorSyntaxError as e:
                    raise ConfigError(f"clean.remove: {rule!r} is not a valid CSS selector ({e.msg})") from None
        if self.jobs < 1:
            raise ConfigError("jobs must be at least 1")
        if self.convert_workers is not None and self.convert_workers < 0:
            raise ConfigError("convert_workers must be 0 or more (or left out: one per core but one)")
        if self.limit is not None and self.limit < 0:
            raise ConfigError("limit must be 0 or more")
        if self.http.deadline < 0:
            raise ConfigError("http.deadline must be 0 (no deadline) or more seconds")
        if self.http.retries < 1 or self.http.per_host < 1:
            raise ConfigError("http.retries and http.per_host must be at least 1")
        origins = tuple(dict.fromkeys(normalize_origin(o) for o in self.origins))
        if origins != self.origins:
            return replace(self, origins=origins).validate()
        if self.timezone and not is_timezone(self.timezone):
            raise ConfigError(f"unknown timezone {self.timezone!r}", "use an IANA name such as Asia/Seoul")
        return self


# The whole configuration: the core's settings, then one section per platform that has one, named after
# after it, its dataclass the one the platform's source declares (``Source.settings``).
Config = make_dataclass(
    "Config",
    [(name, section, field(default_factory=section)) for name, section in sources.sections().items()],
    bases=(CoreConfig,),
    frozen=True,
)
Config.__module__ = __name__
Config.__doc__ = "The configuration: :class:`CoreConfig` plus one field per platform section (``cfg.<name>``)."


def _compat(data: dict[str, Any]) -> dict[str, Any]:
    """Older spellings: ``origin: URL`` (one address) becomes ``origins: [URL]``; a lone string is a list."""
    data = dict(data)
    merged: list[Any] = []
    for key in ("origin", "origins"):
        value = data.pop(key, None)
        if value is None:
            continue
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise ConfigError(f"{key} must be a URL or a list of URLs")
        merged += value
    if merged:
        data["origins"] = merged
    return data


def _coerce(value: Any, tp: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a mapping")
        return _build(tp, value, where + ".")
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        non_none = [a for a in args if a is not type(None)]
        return _coerce(value, non_none[0], where)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where} must be a list")
        return tuple(_coerce(v, args[0], where) for v in value)
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a mapping")
        return {str(k): (None if v is None else str(v)) for k, v in value.items()}
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where} must be a whole number")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where} must be a number")
        return float(value)
    if tp is str:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ConfigError(f"{where} must be text")
        return str(value)
    return value


def _build(cls: type, data: dict, prefix: str = "") -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(
            f"unknown config key {prefix}{unknown[0]}",
            f"known keys here: {', '.join(sorted(known))}",
        )
    kwargs = {k: _coerce(v, hints[k], prefix + k) for k, v in data.items()}
    return cls(**kwargs)


def load_config(path: str | Path | None, overrides: dict[str, Any] | None = None) -> Config:
    """Defaults, then the YAML file, then ``overrides`` (CLI flags; dotted keys allowed)."""
    data: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as e:
            raise ConfigError(f"cannot read config file {p}: {e.strerror or e}") from None
        try:
            loaded = load_yaml(text)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark else ""
            raise ConfigError(f"config file {p} is not valid YAML{where}") from None
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"config file {p} must be a mapping of keys to values")
        data = _compat(loaded)
    cfg = _build(Config, data)
    for key, value in (overrides or {}).items():
        cfg = _override(cfg, key.split("."), value)
    return cfg.validate()


def _override(obj: Any, parts: list[str], value: Any) -> Any:
    name = parts[0]
    if name not in {f.name for f in fields(obj)}:
        raise ConfigError(f"unknown setting {'.'.join(parts)}")
    if len(parts) == 1:
        return replace(obj, **{name: value})
    return replace(obj, **{name: _override(getattr(obj, name), parts[1:], value)})


def as_dict(cfg: Config) -> dict:
    return dataclasses.asdict(cfg)
