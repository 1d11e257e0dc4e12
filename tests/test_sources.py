"""The source registry (gallery-dl's extractor tests are the model): every source's ``example`` routes to
it, recognising an input makes no request beyond the one page the core fetches and what each source declares
in ``probes``, and the CLI's and the config's platform choices are the registry's."""

from __future__ import annotations

import json
from dataclasses import fields, is_dataclass

import pytest

from migrator import sources
from migrator.config import Config, load_config
from migrator.errors import ConfigError, FetchError, NotABlogError
from migrator.sources import SOURCES, find_source, looks_like_a_file, page_url
from migrator.sources.base import BaseSource, Source

CLASS_PART = [
    "name", "title", "example", "example_response", "settings", "probes", "embed_hosts", "cdn_domains", "old_urls", "redirect_formats",
    "matches_url", "matches_page", "probe", "reads_file", "open_url", "open_file",
]  # fmt: skip
INSTANCE_PART = [
    "posts", "is_platform_image", "asset_key", "asset_headers", "internal_path", "aliases", "image_name",
    "incomplete", "listed_ids", "expected_total", "origin", "origins",
]  # fmt: skip


class Got:
    def __init__(self, url: str, body: str) -> None:
        self.url, self.content, self.status = url, body.encode(), 200

    def text(self) -> str:
        return self.content.decode()


class RecordingHttp:
    """Answers the URLs it is given, 404 for anything else, and records every request."""

    def __init__(self, pages: dict[str, str] | None = None) -> None:
        self.pages = pages or {}
        self.asked: list[str] = []

    def get(self, url: str, **kw) -> Got:
        self.asked.append(url)
        if url not in self.pages:
            raise FetchError(f"{url}: HTTP 404", url=url, status_code=404)
        return Got(url, self.pages[url])


@pytest.fixture
def opened(monkeypatch):
    """Opening a source returns which class was picked (recognition only: nothing is read)."""
    for src in SOURCES:
        monkeypatch.setattr(src, "open_url", classmethod(lambda cls, url, cfg, http: cls))
        monkeypatch.setattr(src, "open_file", classmethod(lambda cls, path, cfg, http=None: cls))


def declared(src: type[BaseSource], url: str) -> list[str]:
    return [p.format(url=url) for p in src.probes]


def test_the_registry_names_each_platform_once():
    assert len({s.name for s in SOURCES}) == len(SOURCES) and all(s.name and s.title and s.example for s in SOURCES)
    assert sources.names() == tuple(s.name for s in SOURCES)
    for src in SOURCES:
        assert sources.by_name(src.name) is src
    assert sources.by_name("nope") is None


@pytest.mark.parametrize("src", SOURCES, ids=lambda s: s.name)
def test_every_source_declares_the_contract(src):
    missing = [n for n in CLASS_PART + INSTANCE_PART if not hasattr(src, n)]
    assert not missing, missing
    assert all(callable(getattr(src, n)) for n in ("posts", "is_platform_image", "internal_path", "aliases"))
    assert issubclass(src, BaseSource) and isinstance(Source, type)


def _write_example_file(name: str, path) -> None:
    """The example input of a source read from a file, written by that platform's fixture."""
    if name == "tistory_backup":
        from tistory_backup import write_backup

        write_backup(path, only={1})
    else:
        raise AssertionError(f"no fixture writes the example file of {name}")


@pytest.mark.parametrize("src", SOURCES, ids=lambda s: s.name)
def test_every_example_routes_to_its_source(src, opened, tmp_path, monkeypatch):
    """An example that the URL alone recognises costs no request; one that needs the page or a probe costs
    exactly those the core and the sources tried before it declare; a file is recognised by reading it."""
    if looks_like_a_file(src.example):
        monkeypatch.chdir(tmp_path)
        _write_example_file(src.name, tmp_path / src.example)
        http = RecordingHttp()
        assert find_source(src.example, load_config(None), http) is src and http.asked == []
        return
    url = src.example.rstrip("/")
    answer = src.example_response  # what a source recognised by an answer is served, where it asks
    http = RecordingHttp({u: answer for u in [page_url(url), *declared(src, url)]} if answer else {})
    assert find_source(src.example, load_config(None), http) is src
    if src.matches_url(src.example):
        assert http.asked == []
    else:
        allowed = [page_url(url)] + [p for s in SOURCES for p in declared(s, url)]
        assert http.asked and set(http.asked) <= set(allowed), http.asked


BLOGGER_FEED = json.dumps({"feed": {"generator": {"$t": "Blogger"}, "id": {"$t": "tag:blogger.com,1999:blog-1"}}})


@pytest.mark.parametrize(
    ("url", "pages", "expected", "requests"),
    [
        ("https://name.blogspot.com", {}, "blogger", []),
        ("name.blogspot.co.uk", {}, "blogger", []),
        ("https://name.tistory.com/", {}, "tistory", []),
        # a custom domain: the page's markers, one request
        ("https://blog.example.com", {"https://blog.example.com/": "<meta content='blogger' name='generator'>"},
         "blogger", ["https://blog.example.com/"]),
        ("https://blog.example.com", {"https://blog.example.com/": "<script>window.T.config = {}</script>"},
         "tistory", ["https://blog.example.com/"]),
        # a page that says nothing: Blogger's declared probe of its feed
        ("https://blog.example.com", {"https://blog.example.com/feeds/posts/default?alt=json&max-results=1": BLOGGER_FEED},
         "blogger", ["https://blog.example.com/", "https://blog.example.com/feeds/posts/default?alt=json&max-results=1"]),
    ],
)
def test_routing_table(url, pages, expected, requests, opened):
    http = RecordingHttp(pages)
    assert find_source(url, load_config(None), http).name == expected
    assert http.asked == requests


def test_a_page_no_source_recognises_is_not_a_blog_after_the_declared_requests_only(opened):
    http = RecordingHttp({"https://blog.example.com/": "<html>hello</html>"})
    with pytest.raises(NotABlogError, match="does not look like a") as e:
        find_source("https://blog.example.com", load_config(None), http)
    url = "https://blog.example.com"
    assert http.asked == [page_url(url)] + [p for s in SOURCES for p in declared(s, url)]
    assert "--platform blogger" in e.value.hint


def test_the_not_a_blog_hint_names_only_the_platforms_that_read_an_address():
    from migrator.sources import _reads_urls

    http = RecordingHttp({"https://blog.example.com/": "<html>hello</html>"})
    with pytest.raises(NotABlogError) as e:
        find_source("https://blog.example.com", load_config(None), http)
    for src in SOURCES:
        assert (f"--platform {src.name} " in e.value.hint + " ") is _reads_urls(src), (src.name, e.value.hint)
    assert [s.name for s in SOURCES if not _reads_urls(s)] == ["tistory_backup"]  # a file's reader only


def test_an_unreachable_blog_keeps_the_reason_its_request_gave(opened):
    """A refusal with its own advice (a private address: --allow-private-network; a CA bundle that cannot be
    read: REQUESTS_CA_BUNDLE) keeps that advice when the platform is being recognised."""
    from migrator.errors import BlockedAddressError, SourceError

    class Refusing(RecordingHttp):
        def get(self, url, **kw):  # type: ignore[no-untyped-def]
            raise BlockedAddressError("blog.example.com resolves to the non-public address 10.0.0.1",
                                      "pass --allow-private-network if this is really wanted", url=url)

    with pytest.raises(SourceError, match="cannot reach") as e:
        find_source("https://blog.example.com", load_config(None), Refusing())
    assert "--allow-private-network" in e.value.hint


def test_a_word_that_is_no_source_names_every_kind_of_address():
    from migrator.errors import UsageError

    with pytest.raises(UsageError, match="neither an existing file nor a blog URL") as e:
        find_source("nope", load_config(None), RecordingHttp())
    for src in SOURCES:
        if "://" in src.example:
            assert src.example in e.value.hint


def test_platform_and_recorded_platform_skip_recognition(opened):
    for src in SOURCES:
        http = RecordingHttp()
        assert find_source("https://blog.example.com", load_config(None, {"platform": src.name}), http) is src
        assert find_source("https://blog.example.com", load_config(None), http, known_platform=src.name) is src
        assert http.asked == []


def test_cli_and_config_choices_come_from_the_registry():
    from migrator.cli import build_parser

    migrate = build_parser()._subparsers._group_actions[0].choices["migrate"]
    platform = next(a for a in migrate._actions if a.dest == "platform")
    assert list(platform.choices) == ["auto", *sources.names()]
    with pytest.raises(ConfigError, match="platform must be one of auto, " + ", ".join(sources.names())):
        load_config(None, {"platform": "wordpress"})


def test_each_platform_section_is_a_config_key(tmp_path):
    cfg = Config()
    names = {f.name for f in fields(cfg)}
    for name, section in sources.sections().items():
        assert name in names and is_dataclass(getattr(cfg, name)) and isinstance(getattr(cfg, name), section)
        assert cfg.section(name) is getattr(cfg, name)
        first = fields(section)[0]
        p = tmp_path / f"{name}.yaml"
        p.write_text(f"{name}:\n  nope: 1\n")
        with pytest.raises(ConfigError, match=f"unknown config key {name}.nope"):
            load_config(p)
        assert getattr(load_config(None, {f"{name}.{first.name}": first.default}).section(name), first.name) == first.default
