"""Where rendered files go. ``FileSink`` writes atomically and never outside ``out``; ``DryRunSink``
records what would be written and touches nothing."""

from __future__ import annotations

import difflib
import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from migrator.errors import OutputError
from migrator.manifest import atomic_write_text


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def inside(out: Path, rel: str) -> Path:
    """``out / rel``, refusing anything that would land outside ``out`` (absolute paths, ``..``, links)."""
    if not rel or rel.startswith(("/", "\\")) or "\x00" in rel:
        raise OutputError(f"refusing to write {rel!r}: not a relative path inside the site")
    root = out.resolve()
    target = (out / rel).resolve()
    if target != root and root not in target.parents:
        raise OutputError(f"refusing to write {rel!r}: it would land outside {out}")
    return out / rel


def check_dirs(out: Path, dirs: tuple[str, ...]) -> None:
    """Refuse a site where a folder the tool writes (or one above it) is a plain file, or a link that leads
    outside ``out``: images, the manifest or temp files would land (or be deleted) there."""
    root = out.resolve()
    for rel in dirs:
        parts = [p for p in rel.strip("/").split("/") if p]
        for i in range(1, len(parts) + 1):
            sub = "/".join(parts[:i])
            path = out / sub
            if not (path.exists() or path.is_symlink()):
                break
            target = path.resolve()
            if target != root and root not in target.parents:
                raise OutputError(
                    f"refusing to use {path}: it links to {target}, outside {out}",
                    "replace the link with a real folder (or remove it), then run again",
                )
            if not path.is_dir():
                raise OutputError(
                    f"{path} is a file, but migrator keeps a folder there",
                    "move the file away, then run again",
                )


class FileSink:
    dry_run = False

    def __init__(self, out: Path) -> None:
        self.out = out
        self._plain: set[str] = set()  # files a walk of this run found plain, inside, and reached without a link

    def _path(self, rel: str) -> Path:
        return self.out / rel if rel in self._plain else inside(self.out, rel)

    def read(self, rel: str) -> str | None:
        try:
            return self._path(rel).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def sha(self, rel: str) -> str | None:
        try:
            data = self._path(rel).read_bytes()
        except OSError:
            return None
        return hashlib.sha256(data).hexdigest()

    def exists(self, rel: str) -> bool:
        return inside(self.out, rel).exists()

    def missing(self, rels: Iterable[str]) -> list[str]:
        """Those of ``rels`` that :meth:`exists` says are not there, in their order, walking each top folder
        once (a no-op resync of a big site asked once per file, and resolved every path on the way). Only a
        plain file reached through plain folders of the site is taken from the walk; anything else (absent,
        a link, a folder that cannot be read) gets the per-file check."""
        rels = list(rels)
        plain: set[str] = set()
        for top in sorted({r.split("/", 1)[0] for r in rels if "/" in r}):
            plain |= self._plain_files(top)
        self._plain = {rel for rel in rels if rel in plain}  # reads of them this run need not resolve again
        del plain
        return [rel for rel in rels if rel not in self._plain and not self.exists(rel)]

    def _plain_files(self, top: str) -> set[str]:
        """The paths (from the site) of the plain files under the plain folder ``top`` of the site, links and
        what is behind them left out; empty when the folder is not one."""
        found: set[str] = set()
        try:
            path = inside(self.out, top)
            if path.is_symlink() or not path.is_dir():
                return found
        except OutputError:
            return found
        for folder, _dirs, files in os.walk(path):  # links to folders are not followed
            rel = os.path.relpath(folder, self.out).replace(os.sep, "/")
            for name in files:
                if not os.path.islink(os.path.join(folder, name)):
                    found.add(f"{rel}/{name}")
        return found

    def write(self, rel: str, text: str) -> None:
        target = inside(self.out, rel)
        try:
            atomic_write_text(target, text, self.out / ".migrator" / "tmp")
        except OSError as e:
            raise OutputError(f"cannot write {target}: {e.strerror or e}", "check free space and permissions") from e

    def write_if_absent(self, rel: str, text: str) -> bool:
        if self.exists(rel):
            return False
        self.write(rel, text)
        return True

    def remove(self, rel: str) -> None:
        inside(self.out, rel).unlink(missing_ok=True)


class DryRunSink(FileSink):
    """Reads the real site, writes nothing; remembers what a real run would write."""

    dry_run = True

    def __init__(self, out: Path) -> None:
        super().__init__(out)
        self.would_write: dict[str, str] = {}  # path -> sha256 of what a real run would write (not the text:
        self.would_remove: list[str] = []  # a dry run of a huge blog stays small)

    def write(self, rel: str, text: str) -> None:
        inside(self.out, rel)
        self.would_write[rel] = sha256_text(text)

    def write_if_absent(self, rel: str, text: str) -> bool:
        if self.exists(rel):
            return False
        self.would_write[rel] = sha256_text(text)
        return True

    def remove(self, rel: str) -> None:
        self.would_remove.append(rel)


def unified_diff(old: str | None, new: str, path: str) -> str | None:
    if old is None:
        return None
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}")
    text = "".join(lines)
    return text or None
