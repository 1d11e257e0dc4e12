"""Pure parts of assets, manifest and config."""

import json

import pytest

from migrator.assets import (
    ImageRef,
    absolute_url,
    extension_for,
    find_images,
    image_key,
    name_stem,
    other_scheme,
    safe_stem,
    sniff_extension,
    srcset_urls,
    unique_path,
)
from migrator.config import load_config
from migrator.errors import ConfigError
from migrator.manifest import Action, Manifest, plan
from migrator.models import AssetRecord, PostRecord

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 20
GIF = b"GIF89a" + b"\x00" * 20
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 "


@pytest.mark.parametrize(
    ("head", "ext"),
    [(PNG, "png"), (JPG, "jpg"), (GIF, "gif"), (WEBP, "webp"), (b"<svg xmlns=", "svg"), (b"<html>", None), (b"", None)],
)
def test_sniff_extension(head, ext):
    assert sniff_extension(head) == ext


def test_extension_comes_from_the_bytes_not_the_url():
    assert extension_for(PNG, "image/jpeg", "https://x/photo.jpg") == "png"
    assert extension_for(b"????", "image/gif", "https://x/y") == "gif"
    assert extension_for(b"????", None, "https://t1.daumcdn.net/cfile/tistory/ABC") == "bin"


@pytest.mark.parametrize(
    ("url", "hint", "stem"),
    [
        ("https://x/img/b/R29vZ2xl/K/s0/My%20Photo.png", None, "My-Photo"),
        ("https://x/img/a/AVvXsEhKEY=s0", None, "AVvXsEhKEY"),  # Blogger's size suffix, as its source reads it
        ("https://blog.kakaocdn.net/dn/a/b/c/img.png", "여행 사진.jpg", "여행-사진"),
        ("https://x/img.png", None, "img"),
        ("https://x/../../etc/passwd", None, "passwd"),
    ],
)
def test_name_stem(url, hint, stem):
    from migrator.sources.blogger import image_name

    assert name_stem(url, hint, image_name) == stem


def test_safe_stem_is_bounded():
    assert len(safe_stem("가" * 100).encode()) <= 80


def test_unique_path_numbers_collisions():
    taken = {"assets/img/p/img.png", "assets/img/p/img-2.png"}
    assert unique_path("assets/img/p", "img", "png", taken.__contains__) == "assets/img/p/img-3.png"


def test_find_images_in_document_order_without_duplicates():
    html = (
        '<a href="https://h/a-big.png"><img src="https://h/a.png" srcset="https://h/a.png 1x, https://h/a2.png 2x"></a>'
        '<img src="/rel/b.jpg" data-filename="원본.jpg"><img src="data:image/png;base64,xx"><img src="https://h/a.png">'
        '<a href="https://h/page.html">text only</a><a href="https://h/page.html"><img src="https://h/c.gif"></a>'
    )
    refs = find_images(html, "https://blog.example.com/2020/01/p.html")
    assert refs == [
        ImageRef("https://h/a-big.png"),  # the link (usually the larger file) comes first in the document
        ImageRef("https://h/a.png"),
        ImageRef("https://h/a2.png"),
        ImageRef("https://blog.example.com/rel/b.jpg", "원본.jpg"),
        ImageRef("https://h/c.gif"),
    ]


def test_an_image_linked_over_http_and_shown_over_https_is_one_image():
    html = (
        '<a href="http://h.bp.blogspot.com/-a/b/s0/a.png"><img src="https://h.bp.blogspot.com/-a/b/s0/a.png"></a>'
        '<img src="HTTPS://H.BP.BLOGSPOT.COM/-a/b/s0/a.png">'  # the same again, case aside
        '<img src="http://other/b.png"><a href="https://other/b.png">the same, https second</a>'
        '<a href="http://other/c.png"><img src="https://other/c.png?x=1"></a>'  # a different URL: two images
    )
    refs = find_images(html, None)
    assert [r.url for r in refs] == [
        "https://h.bp.blogspot.com/-a/b/s0/a.png",  # kept in its place, downloaded over https
        "http://other/b.png",  # only an <a> with an image in it is an image link: this one stays http
        "http://other/c.png",
        "https://other/c.png?x=1",
    ]
    assert image_key("http://H/x.png") == image_key("https://h/x.png") != image_key("https://h/x.png?a")
    assert other_scheme("http://h/x") == "https://h/x" and other_scheme("https://h/x") == "http://h/x"
    assert other_scheme("ftp://h/x") == "ftp://h/x"


def test_srcset_and_absolute_urls():
    assert srcset_urls("a.png 1x, b.png 2x") == ["a.png", "b.png"]
    assert absolute_url("//h/x.png", None) == "https://h/x.png"
    assert absolute_url("javascript:alert(1)", "https://b/") is None
    assert absolute_url("x.png", None) is None


def rec(**kw) -> PostRecord:
    base = dict(source_url="u", title="t", updated=None, source_sha256="S", path="_posts/p.md", output_sha256="O",
                status="ok")
    base.update(kw)
    return PostRecord(**base)


@pytest.mark.parametrize(
    ("source", "entry", "disk", "force", "retry", "action"),
    [
        ("S", None, None, False, False, Action.CREATE),
        ("S", rec(), "O", False, False, Action.UNCHANGED),
        ("S", rec(), "EDITED", False, False, Action.UNCHANGED),  # hand edit, source unchanged: kept
        ("S2", rec(), "O", False, False, Action.UPDATE),
        ("S2", rec(), "EDITED", False, False, Action.CONFLICT),
        ("S2", rec(), "EDITED", True, False, Action.UPDATE),
        ("S", rec(), None, False, False, Action.UPDATE),  # file gone: written again
        ("S", rec(), "O", False, True, Action.UPDATE),  # an image failed last time: retried
        ("S", rec(status="failed"), "O", False, False, Action.UPDATE),
    ],
)
def test_plan(source, entry, disk, force, retry, action):
    assert plan(source, entry, disk, force=force, retry=retry) == action


def test_manifest_round_trip_and_journal_replay(tmp_path):
    m = Manifest.load(tmp_path)
    m.record_post("1", rec())
    m.record_asset(AssetRecord(url="https://h/a.png", path="assets/img/p/a.png", sha256="x", bytes=3))
    # not saved yet: a kill now keeps what the journal holds
    with open(m.journal_path, "a") as f:
        f.write('{"post": "2", "rec": {"tit')  # a torn last line
    again = Manifest.load(tmp_path)
    assert set(again.posts) == {"1"} and again.assets["https://h/a.png"].path == "assets/img/p/a.png"
    m.save(finished=True)
    assert not m.journal_path.exists()
    data = json.loads(m.path.read_text())
    assert list(data) == ["version", "source", "last_sync", "posts", "assets"]
    assert data["posts"]["1"]["status"] == "ok" and data["last_sync"]


def test_config_unknown_key_is_an_error(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("blogger:\n  max_resluts: 5\n")
    with pytest.raises(ConfigError, match="unknown config key blogger.max_resluts"):
        load_config(p)


def test_config_precedence_cli_over_file_over_default(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("jobs: 8\nformat: html\nhttp:\n  delay: 0.5\n")
    cfg = load_config(p, {"jobs": 2})
    assert (cfg.jobs, cfg.format, cfg.http.delay, cfg.platform) == (2, "html", 0.5, "auto")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("jobs: many\n", "jobs must be a whole number"),
        ("format: pdf\n", "format must be one of"),
        ("timezone: Mars/Base\n", "unknown timezone"),
        ("- a\n- b\n", "must be a mapping"),
        ("jobs: [\n", "not valid YAML"),
    ],
)
def test_config_errors_are_clear(tmp_path, text, message):
    p = tmp_path / "c.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(p)


def test_config_example_documents_every_key_with_its_default():
    import dataclasses
    from pathlib import Path

    from migrator.config import Config

    path = Path(__file__).parent.parent / "config.example.yaml"
    assert dataclasses.asdict(load_config(path)) == dataclasses.asdict(Config())
    text = path.read_text()

    def keys(obj, prefix=""):
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            yield f.name
            if dataclasses.is_dataclass(value):
                yield from keys(value)

    for key in keys(Config()):
        assert f"\n{key}:" in text or f"  {key}:" in text, f"{key} is not in config.example.yaml"


def test_every_cli_flag_has_a_config_twin():
    from migrator.cli import _FLAG_KEYS, build_parser

    migrate = build_parser()._subparsers._group_actions[0].choices["migrate"]
    flags = {a.dest for a in migrate._actions if a.option_strings and a.dest not in ("help", "config", "verbose", "quiet")}
    assert flags == set(_FLAG_KEYS)


def test_records_serialise_every_field():
    import dataclasses

    rec_fields = {f.name for f in dataclasses.fields(PostRecord)}
    assert set(rec().to_json()) == rec_fields
    fields = {f.name for f in dataclasses.fields(AssetRecord)}
    assert set(AssetRecord(url="u", source="takeout").to_json()) | {"url"} == fields
    assert "source" not in AssetRecord(url="u").to_json()  # written only when set: a download's record is as before


def test_the_manifest_is_written_piece_by_piece_as_json_dumps_writes_it(tmp_path):
    import json

    from migrator.manifest import Manifest

    m = Manifest(tmp_path)
    expected = lambda: (json.dumps(m.to_json(), ensure_ascii=False, indent=2) + "\n").encode()  # noqa: E731
    assert b"".join(m.json_pieces()) == expected()  # empty sections
    m.source = {"platform": "blogger", "url": "https://x.blogspot.com"}
    m.posts["2"] = rec()
    m.posts["1"] = PostRecord("u", 'quote " newline \n \u2028 한글', None, "s", "p", "o", "ok", assets=("a", "b"),
                              fallback={"format": "html", "nested": [1, {"x": []}]})  # fmt: skip
    m.assets["https://h/한글 이미지.png"] = AssetRecord(url="https://h/한글 이미지.png", error="a\nb", source="takeout")
    assert b"".join(m.json_pieces()) == expected()
    m.save()
    assert (tmp_path / ".migrator/manifest.json").read_bytes() == expected()


def test_indented_json_is_json_dumps_indent_2_byte_for_byte():
    import json
    import random

    from migrator.manifest import indented_json

    rnd = random.Random(7)
    alphabet = ['a', '"', "\\", "\n", "\t", "\x00", "\x7f", "\u2028", "한", "\U0001f600", "/", " "]

    def value(depth: int):
        kind = rnd.randrange(9 if depth < 4 else 6)
        if kind == 0:
            return "".join(rnd.choice(alphabet) for _ in range(rnd.randrange(6)))
        if kind == 1:
            return rnd.randrange(-10**12, 10**12)
        if kind == 2:
            return rnd.choice([0.1, -2.5e-300, 1e300, 3.0, float("nan"), float("inf")])
        if kind == 3:
            return rnd.choice([True, False, None])
        if kind in (4, 5):
            return ""
        if kind in (6, 7):
            return [value(depth + 1) for _ in range(rnd.randrange(4))]
        return {"".join(rnd.choice(alphabet) for _ in range(3)): value(depth + 1) for _ in range(rnd.randrange(4))}

    for _ in range(3000):
        v, level = value(0), rnd.randrange(4)
        assert indented_json(v, level) == json.dumps(v, ensure_ascii=False, indent=2).replace("\n", "\n" + "  " * level)
    assert indented_json({1: "a", None: [()]}) == json.dumps({1: "a", None: [()]}, ensure_ascii=False, indent=2)


@pytest.mark.parametrize("whole_bytes", [0, 8 << 20])
def test_a_save_with_no_record_changed_rewrites_only_the_header_and_the_bytes_are_a_full_saves(
    tmp_path, monkeypatch, whole_bytes
):
    """A no-op resync moves last_sync only: the records are copied from the file, not serialised again, and
    the file is byte for byte what a full save writes. Any change, or a file not as it was read, writes
    the whole manifest."""
    import json
    from datetime import UTC, datetime

    import migrator.manifest as mm

    monkeypatch.setattr(mm, "WHOLE_BYTES", whole_bytes)  # a manifest streamed, or (small) read whole
    m = Manifest.load(tmp_path)
    m.source = {"platform": "blogger", "url": "https://x.blogspot.com", "complete": "yes"}
    for i in range(30):
        m.record_post(str(i), rec())
        m.record_asset(AssetRecord(url=f"https://h/{i}.png", path=f"assets/img/p/{i}.png", sha256="x", bytes=3))
    m.save(finished=True, as_of=datetime(2020, 1, 1, tzinfo=UTC))

    def full() -> bytes:
        return (json.dumps(m.to_json(), ensure_ascii=False, indent=2) + "\n").encode()

    serialised: list[int] = []
    real = mm.Manifest.json_pieces

    def counting(self):  # noqa: ANN001
        serialised.append(1)
        return real(self)

    again = Manifest.load(tmp_path)
    m = again
    try:
        mm.Manifest.json_pieces = counting
        again.save(finished=True)  # nothing changed: the header only
        assert serialised == [] and json.loads(again.path.read_text())["last_sync"] != "2020-01-01T00:00:00+00:00"
        serialised.clear()
        mm.Manifest.json_pieces = real
        assert again.path.read_bytes() == full()
        mm.Manifest.json_pieces = counting
        again.source = {**again.source, "complete": "no"}  # the header changed: still copied, the new header
        again.save(finished=True)
        assert serialised == []
        mm.Manifest.json_pieces = real
        assert again.path.read_bytes() == full()
        mm.Manifest.json_pieces = counting
        again.drop_asset("https://h/3.png")  # a record went: serialised
        again.save(finished=True)
        assert serialised == [1] and "https://h/3.png" not in json.loads(again.path.read_text())["assets"]
        serialised.clear()
        third = Manifest.load(tmp_path)
        m = third
        third.path.write_text(third.path.read_text().replace('"version": ', '"version":  '))  # a hand edit
        third.save(finished=True)
        assert serialised == [1]
        mm.Manifest.json_pieces = real
        assert third.path.read_bytes() == full()
    finally:
        mm.Manifest.json_pieces = real


@pytest.mark.parametrize("argv", [
    ["migrate", "https://x.blogspot.com", "--out", "site", "-q", "--jobs", "8"],
    ["migrate", "feed.atom", "--out", "migrate", "--dry-run", "--report", "r.html"],
    ["redirects", "site", "--format", "nginx"], ["status", "site"], ["verify", "site", "--build"],
    ["publish", "site", "--github-pages"], ["localize", "site", "--dry-run"],
])
def test_the_parser_built_for_one_command_reads_it_as_the_whole_one_does(argv):
    """A run builds only its own subcommand's options: what it parses is what the whole parser parses."""
    from migrator.cli import _command_of, build_parser

    assert _command_of(argv) == argv[0]
    assert vars(build_parser(_command_of(argv)).parse_args(argv)) == vars(build_parser().parse_args(argv))


def test_a_help_asked_before_the_command_is_the_whole_help():
    from migrator.cli import _command_of

    assert _command_of(["--help", "migrate"]) is None and _command_of(["-h"]) is None and _command_of([]) is None
    assert _command_of(["migrate", "--help"]) == "migrate"
