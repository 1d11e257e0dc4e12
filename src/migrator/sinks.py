"""Where rendered files go. ``FileSink`` writes atomically and never outside ``out``; ``DryRunSink``
records what would be written and touches nothing."""

from __future__ import annotations

import difflib
import errno
import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from migrator.errors import OutputError
from migrator.manifest import _UMASK, _atomic_write, atomic_write_text


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def inside(out: Path, rel: str, known: set[tuple[str, str]] | None = None) -> Path:
    """``out / rel``, refusing anything that would land outside ``out`` (absolute paths, ``..``, links).
    ``known``: the (site, folder) pairs a caller (one run's sink or asset store) has found to be real
    folders inside the site (a folder whose resolved path is its own path: no link on the way); such a folder
    is not resolved again, only the file itself when it is a link (resolving every path was 70 µs, ten times
    a post; this is 7 µs). A new folder directly in a known one is checked by itself: not a link (a post's
    image folder no longer resolves the whole path, about 30 system calls, three times)."""
    if not rel or rel.startswith(("/", "\\")) or "\x00" in rel:
        raise OutputError(f"refusing to write {rel!r}: not a relative path inside the site")
    folder, _, name = rel.rpartition("/")
    base = str(out)
    key = (base, folder)
    if known is not None and name not in ("", ".", ".."):
        if key in known:
            if not os.path.islink(os.path.join(base, rel)):
                return out / rel
        elif _new_in_known(base, folder, known) and not os.path.islink(os.path.join(base, rel)):
            if os.path.isdir(os.path.join(base, folder)):
                _remember(known, base, folder)
            return out / rel
    root = out.resolve()
    target = (out / rel).resolve()
    if target != root and root not in target.parents:
        raise OutputError(f"refusing to write {rel!r}: it would land outside {out}")
    if known is not None and folder and ".." not in folder.split("/") and name not in ("", ".", ".."):
        parent = out / folder
        if not parent.is_symlink() and parent.is_dir() and parent.resolve() == target.parent == root / folder:
            _remember(known, base, folder)
    return out / rel


def _new_in_known(base: str, folder: str, known: set[tuple[str, str]]) -> bool:
    """``folder``'s parent is a known real folder and ``folder`` itself is a plain name that is not a link
    (it may not exist yet: it would be made inside the known one)."""
    up, _, last = folder.rpartition("/")
    if not folder or last in (".", "..") or "\\" in last or (base, up) not in known:
        return False
    return not os.path.islink(os.path.join(base, folder))


def _remember(known: set[tuple[str, str]], base: str, folder: str) -> None:
    """``folder`` and every folder above it (its resolved path is its own: none of them is a link)."""
    if len(known) > 4096:
        known.clear()  # a big site's thousands of image folders: memory stays bounded
    while folder:
        known.add((base, folder))
        folder = folder.rpartition("/")[0]


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


_SYNCFS: list = []  # [libc's syncfs, or None], looked up on first use


def _syncfs():  # type: ignore[no-untyped-def]
    if not _SYNCFS:
        try:
            import ctypes

            fn = ctypes.CDLL(None, use_errno=True).syncfs  # Linux; elsewhere there is none
            fn.argtypes = [ctypes.c_int]
        except (OSError, AttributeError):
            fn = None
        _SYNCFS.append(fn)
    return _SYNCFS[0]


def sync_folder(folder: Path, files: list[Path]) -> None:
    """Make the data of ``files`` (and of anything else written on ``folder``'s file system) durable: one
    ``syncfs`` where there is one (Linux), else an fsync of each file."""
    syncfs = _syncfs()
    if syncfs is not None:
        fd = os.open(folder, os.O_RDONLY)
        try:
            if syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    for path in files:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_temp(tmp_dir: Path, name: str, data: bytes) -> Path:
    """A new temp file in ``tmp_dir`` holding ``data`` (not yet synced), named after ``name``."""
    fd, tmp = tempfile.mkstemp(prefix=name[:100] + ".", suffix=".tmp", dir=tmp_dir)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # as any file the user creates (mkstemp makes 0600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


class FileSink:
    """Writes files into ``out``. ``grouped``: a write goes to a temp file in ``.migrator/tmp`` (read back
    from there meanwhile), and :meth:`commit` makes a group of them durable with one sync, then renames each
    into place: a file is whole whenever it is at its name, as with one fsync per file (the pipeline's
    group commit, see ``manifest.py``)."""

    dry_run = False

    def __init__(self, out: Path, *, grouped: bool = False) -> None:
        self.out = out
        self._plain: set[str] = set()  # files a walk of this run found plain, inside, and reached without a link
        self.grouped = grouped
        self._pending: dict[str, tuple[Path, Path]] = {}  # rel -> (its temp file, where it goes)
        self._known: set[tuple[str, str]] = set()  # folders found inside the site (see inside())
        self._tmp_made = False

    def _where(self, rel: str) -> Path:
        """Where ``rel``'s bytes are now: its pending temp file, else the file itself."""
        pending = self._pending.get(rel)
        if pending:
            return pending[0]
        return self.out / rel if rel in self._plain else inside(self.out, rel, self._known)

    def read(self, rel: str) -> str | None:
        try:
            return self._where(rel).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def sha(self, rel: str) -> str | None:
        try:
            data = self._where(rel).read_bytes()
        except OSError:
            return None
        return hashlib.sha256(data).hexdigest()

    def exists(self, rel: str) -> bool:
        return self._where(rel).exists()

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
        folders = [(str(path), top)]
        while folders:  # the directory entries' own types (no stat per file); links are neither files nor folders
            folder, rel = folders.pop()
            try:
                with os.scandir(folder) as entries:
                    for entry in entries:
                        if entry.is_dir(follow_symlinks=False):
                            folders.append((entry.path, f"{rel}/{entry.name}"))
                        elif entry.is_file(follow_symlinks=False):
                            found.add(f"{rel}/{entry.name}")
            except OSError:
                continue  # a folder that cannot be read: its files get the per-file check
        return found

    def write(self, rel: str, text: str) -> None:
        target = inside(self.out, rel, self._known)
        try:
            if self.grouped:
                self._stage(rel, target, text.encode("utf-8"))
            else:
                atomic_write_text(target, text, self.out / ".migrator" / "tmp")
        except OSError as e:
            raise OutputError(f"cannot write {target}: {e.strerror or e}", "check free space and permissions") from e

    @property
    def pending(self) -> int:
        return len(self._pending)

    def _stage(self, rel: str, target: Path, data: bytes) -> None:
        tmp_dir = self.out / ".migrator" / "tmp"
        if not self._tmp_made:
            tmp_dir.mkdir(parents=True, exist_ok=True)
            self._tmp_made = True
        tmp = write_temp(tmp_dir, target.name, data)
        old = self._pending.pop(rel, None)
        if old is not None:
            old[0].unlink(missing_ok=True)
        self._pending[rel] = (tmp, target)

    def commit(self) -> None:
        """The files written since the last commit, durable (one sync), then each renamed into place."""
        if not self._pending:
            return
        pending = list(self._pending.values())
        try:
            sync_folder(self.out / ".migrator" / "tmp", [tmp for tmp, _ in pending])
        except OSError as e:
            hint = "check free space and permissions"
            raise OutputError(f"cannot write to {self.out}: {e.strerror or e}", hint) from e
        for rel, (tmp, target) in list(self._pending.items()):
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.replace(tmp, target)
                except OSError as e:
                    if e.errno != errno.EXDEV:
                        raise
                    _atomic_write(target, tmp.read_bytes())  # that folder is another file system
                    tmp.unlink(missing_ok=True)
            except OSError as e:
                raise OutputError(
                    f"cannot write {target}: {e.strerror or e}", "check free space and permissions"
                ) from e
            del self._pending[rel]

    def discard(self) -> None:
        """Drop the writes not committed (their temp files go)."""
        for tmp, _ in self._pending.values():
            tmp.unlink(missing_ok=True)
        self._pending.clear()

    def write_if_absent(self, rel: str, text: str) -> bool:
        if self.exists(rel):
            return False
        self.write(rel, text)
        return True

    def remove(self, rel: str) -> None:
        pending = self._pending.pop(rel, None)
        if pending is not None:
            pending[0].unlink(missing_ok=True)
        inside(self.out, rel, self._known).unlink(missing_ok=True)


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
