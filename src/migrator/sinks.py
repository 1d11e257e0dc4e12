"""Where rendered files go. ``FileSink`` writes atomically and never outside ``out``; ``DryRunSink``
records what would be written and touches nothing."""

from __future__ import annotations

import difflib
import hashlib
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

    def read(self, rel: str) -> str | None:
        try:
            return inside(self.out, rel).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def sha(self, rel: str) -> str | None:
        try:
            data = inside(self.out, rel).read_bytes()
        except OSError:
            return None
        return hashlib.sha256(data).hexdigest()

    def exists(self, rel: str) -> bool:
        return inside(self.out, rel).exists()

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
        self.would_write: set[str] = set()  # the paths a real run would write (not their texts, nor their
        self.would_remove: list[str] = []  # hashes: a dry run of a huge blog stays small)

    def write(self, rel: str, text: str) -> None:
        inside(self.out, rel)
        self.would_write.add(rel)

    def write_if_absent(self, rel: str, text: str) -> bool:
        if self.exists(rel):
            return False
        self.would_write.add(rel)
        return True

    def remove(self, rel: str) -> None:
        self.would_remove.append(rel)


def unified_diff(old: str | None, new: str, path: str) -> str | None:
    if old is None:
        return None
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}")
    text = "".join(lines)
    return text or None
