"""Shared test fixtures: the local fixture server (a stand-in for Blogger on 127.0.0.1) and CLI runners."""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
sys.path.insert(0, str(FIXTURES))

from server import FixtureBlog, FixtureServer  # noqa: E402
from tistory_site import TistoryBlog  # noqa: E402

from migrator.cli import main  # noqa: E402

EXAMPLE_CONFIG = FIXTURES / "example-config.yaml"
TISTORY_CONFIG = FIXTURES / "tistory-config.yaml"


@pytest.fixture
def blog() -> FixtureBlog:
    return FixtureBlog()


@pytest.fixture
def server(blog: FixtureBlog):
    with FixtureServer(blog) as s:
        yield s


@pytest.fixture
def quiet_server(blog: FixtureBlog):
    """The fixture blog without its scripted 429/500 faults."""
    with FixtureServer(blog, faults={}) as s:
        yield s


class Result:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def __repr__(self) -> str:
        return f"Result(code={self.code}, out={self.out[-2000:]!r}, err={self.err[-2000:]!r})"


@pytest.fixture
def cli(capsys):
    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def migrate(cli, tmp_path):
    """Run ``migrator migrate`` on the fixture server with the example config; returns (result, site)."""

    def run(server: FixtureServer, *extra: str, out: Path | None = None) -> tuple[Result, Path]:
        site = out or tmp_path / "site"
        res = cli("migrate", server.url, "--out", site, "--config", EXAMPLE_CONFIG, *extra)
        return res, site

    return run


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree_snapshot(root: Path) -> dict[str, tuple[str, int]]:
    """{relative path: (sha256, mtime_ns)} for every file outside .migrator/."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and ".migrator" not in p.relative_to(root).parts:
            out[str(p.relative_to(root))] = (sha256_file(p), p.stat().st_mtime_ns)
    return out


def jekyll_available() -> bool:
    return shutil.which("jekyll") is not None


@pytest.fixture
def tblog() -> TistoryBlog:
    return TistoryBlog()


@pytest.fixture
def tserver(tblog: TistoryBlog):
    with FixtureServer(tblog, faults={}) as s:
        yield s
