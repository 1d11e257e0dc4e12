"""The migration manifest (``DIR/.migrator/manifest.json``) and the pure resync planner.

Durability: the manifest is written atomically (temp file, fsync, ``os.replace``). Between two full
writes, each finished post or asset is appended to ``journal.jsonl``; ``load`` replays the journal, ignoring
a torn last line. A plain manifest appends and fsyncs each record as it comes; a ``grouped`` one (a
migration's) keeps them until :meth:`Manifest.commit`, which appends them all with one fsync once the files
they name are on disk (see ``FileSink.commit``): a killed run loses at most the records since the last
group commit, and the next run redoes those posts (adopting the files they left).
"""

from __future__ import annotations

import errno
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from migrator.errors import OutputError
from migrator.models import AssetRecord, BadRecord, PostRecord, record_from_json

VERSION = 1
DIRNAME = ".migrator"


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"
    DELETED = "deleted"
    FAILED = "failed"
    SKIPPED = "skipped"


def plan(
    source_sha256: str,
    entry: PostRecord | None,
    on_disk_sha256: str | None,
    *,
    force: bool = False,
    retry: bool = False,
    render_key: str | None = None,
) -> Action:
    """What to do with one post (pure).

    - no entry: create
    - source unchanged, file as we wrote it, nothing to retry: unchanged
    - source unchanged but the file was edited by hand: unchanged (the edit is kept)
    - the file is gone: update (write it again)
    - source changed (or a retry is due) and the file is as we wrote it: update
    - source changed and the file was edited since: conflict (update with ``force``)
    - the render settings changed (``render_key``): as if the source had changed
    """
    if entry is None or entry.path is None or entry.output_sha256 is None:
        return Action.CREATE
    if on_disk_sha256 is None:
        return Action.UPDATE
    edited = on_disk_sha256 != entry.output_sha256
    changed = source_sha256 != entry.source_sha256 or retry or entry.status == "failed"
    if render_key and entry.render_key and render_key != entry.render_key:
        changed = True  # rendered with other settings (format, front matter, clean rules...)
    if not changed:
        return Action.UNCHANGED
    if edited and not force:
        return Action.CONFLICT
    return Action.UPDATE


def keeps_reading(
    entry: PostRecord | None,
    reading: str,
    updated: datetime | None,
    *,
    on_disk: bool,
    retry: bool,
    moved: bool,
) -> bool:
    """Whether a post written from another reading of it (the live blog, a backup archive: ``reading``) is
    kept as it is instead of being rendered again from this one (pure). It is kept unless it is not there
    (failed, skipped, its file gone), it lacks something this reading may fill (an image that failed:
    ``retry``), the post moved between drafts, posts and pages (``moved``), or this reading is newer (its
    ``updated`` is later than the recorded one). Two readings of one post never take turns rewriting it."""
    if entry is None or entry.status != "ok" or (entry.reading or "") == reading:
        return False
    if not on_disk or retry or moved:
        return False
    if updated is not None and entry.updated:
        try:
            recorded = datetime.fromisoformat(entry.updated)
        except ValueError:
            return True
        if recorded.tzinfo is not None and updated.tzinfo is not None and updated > recorded:
            return False
    return True


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _current_umask()  # read once at start-up (os.umask is process-wide, so never while threads write)


def _atomic_write(path: Path, data: bytes | Iterable[bytes], tmp_dir: Path | None = None) -> None:
    """Write ``path`` all at once: a temp file (in ``tmp_dir``, where a killed run's leftovers are swept at
    the next start, else beside ``path``), fsync, then ``os.replace``. ``data`` may come in pieces."""
    path.parent.mkdir(parents=True, exist_ok=True)
    where = path.parent
    if tmp_dir is not None:
        tmp_dir.mkdir(parents=True, exist_ok=True)
        where = tmp_dir
    fd, tmp = tempfile.mkstemp(prefix=path.name[:100] + ".", suffix=".tmp", dir=where)
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # as any file the user creates (mkstemp makes 0600)
        with os.fdopen(fd, "wb") as f:
            for piece in [data] if isinstance(data, bytes) else data:
                f.write(piece)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str, tmp_dir: Path | None = None) -> None:
    try:
        _atomic_write(path, text.encode("utf-8"), tmp_dir)
    except OSError as e:
        if tmp_dir is None or e.errno != errno.EXDEV:
            raise
        _atomic_write(path, text.encode("utf-8"))  # that folder is another file system: a temp file beside it


# what an entry that lacks its status is read as: failed (retried), never ok
_MISSING = {"status": "failed"}
# the fields whose few values every record repeats: one string each, not one per record (a 100,000-post
# manifest held 100,000 copies of its render key)
_SHARED = ("status", "kind", "render_key", "reading")


def _post_from(d: dict[str, Any]) -> PostRecord:
    if isinstance(d, dict):
        d = {k: sys.intern(v) if k in _SHARED and isinstance(v, str) else v for k, v in d.items()}
    return record_from_json(PostRecord, d, missing=_MISSING)


WHOLE_BYTES = 8 << 20  # a manifest up to this size (about 4,000 posts and their images) is parsed whole


class _Irregular(Exception):
    """The manifest is not as :meth:`Manifest.json_pieces` writes it (or not valid): read it whole."""


_SPACE = re.compile(r"[ \t\n\r]*")


class _JsonStream:
    """A JSON text read a megabyte at a time: the members of an object one by one, each value decoded alone
    (``raw_decode`` on the buffered text, refilled when a value runs past its end)."""

    chunk = 1 << 20

    def __init__(self, f: IO[str], chunk: int = 1 << 20) -> None:
        self.f = f
        self.chunk = chunk
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.decoder = json.JSONDecoder()

    def _fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.f.read(self.chunk)
        if not chunk:
            self.eof = True
            return False
        self.buf = self.buf[self.pos :] + chunk
        self.pos = 0
        return True

    def peek(self) -> str:
        """The next character that is not white space ("" at the end of the text)."""
        while True:
            self.pos = _SPACE.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._fill():
                return ""

    def value(self) -> Any:
        self.peek()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError:
                if self._fill():
                    continue
                raise _Irregular from None
            if end == len(self.buf) and self._fill():
                continue  # a number may go on in the next piece
            self.pos = end
            return value

    def _take(self, expected: str) -> str:
        c = self.peek()
        if c not in expected or not c:
            raise _Irregular
        self.pos += 1
        return c

    def members(self) -> Iterator[str]:
        """The keys of the object that starts here; the caller reads each one's value before the next."""
        self._take("{")
        if self.peek() == "}":
            self.pos += 1
            return
        while True:
            key = self.value()
            if not isinstance(key, str):
                raise _Irregular
            self._take(":")
            yield key
            if self._take(",}") == "}":
                return


def top_level(path: Path, until: str | None = None) -> Any:
    """``json.loads(path.read_text(encoding="utf-8"))`` without the records: the manifest's top-level members
    but ``posts`` and ``assets`` (each record read and checked as JSON, one at a time, then dropped), or, for a
    file not laid out as an object (or not valid JSON as the stream reads it), exactly what ``json.loads``
    gives or raises. A 100,000-post manifest read whole was 240 MB to find the recorded ``source``.

    ``until``: stop once that member is read (the members before it, and it): the header's ``source`` is the
    second line of the file, so finding it reads nothing else (the rest is not checked then)."""
    try:
        with open(path, encoding="utf-8") as f:
            js = _JsonStream(f, 1 << 20 if until is None else 1 << 14)
            if js.peek() != "{":
                raise _Irregular
            top: dict[str, Any] = {}
            for key in js.members():
                if key in ("posts", "assets") and js.peek() == "{":
                    for _ in js.members():
                        js.value()
                    top[key] = {}
                else:
                    top[key] = js.value()
                if key == until:
                    return top
            if js.peek() != "":
                raise _Irregular
            return top
    except _Irregular:
        return json.loads(path.read_text(encoding="utf-8"))


def resync_since(
    source: dict[str, str], last_sync: str | None, *, platform: str | None, full: bool = False
) -> datetime | None:
    """The last complete sync, as a manifest's header tells it (``source`` and ``last_sync``): the moment a
    resync of ``platform`` may ask "what changed since", or None when every post must be read (a first run,
    ``--full``, a previous run that was limited or incomplete, another platform). The records can still say
    no (a post that failed is read again): that is the pipeline's part of the decision."""
    if full or not last_sync or source.get("complete") != "yes" or source.get("platform") != platform:
        return None
    try:
        return datetime.fromisoformat(last_sync)
    except ValueError:
        return None


def _asset_from(url: str, d: dict[str, Any]) -> AssetRecord:
    return record_from_json(AssetRecord, d, given={"url": url}, missing=_MISSING)


_SCALAR = json.JSONEncoder(ensure_ascii=False).encode


def indented_json(value: Any, level: int = 0) -> str:
    """``json.dumps(value, ensure_ascii=False, indent=2)`` as it reads ``level`` levels deep, byte for byte,
    with the C encoder doing each scalar (json's indenting encoder is pure Python: it was most of the time
    of a no-op resync's manifest save)."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        if not all(isinstance(k, str) for k in value):
            return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + "  " * level)
        pad = "\n" + "  " * (level + 1)
        body = ",".join(f"{pad}{_SCALAR(k)}: {indented_json(v, level + 1)}" for k, v in value.items())
        return "{" + body + "\n" + "  " * level + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        pad = "\n" + "  " * (level + 1)
        body = ",".join(f"{pad}{indented_json(v, level + 1)}" for v in value)
        return "[" + body + "\n" + "  " * level + "]"
    return _SCALAR(value)


class Manifest:
    def __init__(self, out: Path, *, readonly: bool = False) -> None:
        self.out = out
        self.readonly = readonly
        self.source: dict[str, str] = {}
        self.last_sync: str | None = None
        self.posts: dict[str, PostRecord] = {}
        self.assets: dict[str, AssetRecord] = {}
        self._journal = None
        self.files_as_read: tuple[tuple[int, int, int] | None, ...] = ()
        self.grouped = False  # records wait in memory for commit() (see the module's docstring)
        self._pending: list[str] = []
        # the file as read (its stat, source and last_sync) while no record has changed since: save() then
        # rewrites only the header (a no-op resync re-serialised every record to move last_sync)
        self._as_read: tuple[tuple[int, int, int], dict[str, str], str | None, int, int] | None = None

    @property
    def dir(self) -> Path:
        return self.out / DIRNAME

    @property
    def path(self) -> Path:
        return self.dir / "manifest.json"

    @property
    def journal_path(self) -> Path:
        return self.dir / "journal.jsonl"

    @classmethod
    def load(cls, out: Path, *, readonly: bool = False) -> Manifest:
        m = cls(out, readonly=readonly)
        m.files_as_read = m._files_state()  # before reading: a write meanwhile shows as a change
        if m.path.exists():
            try:
                if m.path.stat().st_size <= WHOLE_BYTES:  # small: one C parse is faster than the stream
                    m._load_whole(keep_as_read=True)
                    return m._replay_journal()
                m._stream()
            except _Irregular:  # not as the tool writes it: read whole, for the exact error (or a hand edit)
                m.posts, m.assets = {}, {}
                m._load_whole()
            except (OSError, ValueError) as e:
                raise OutputError(
                    f"cannot read {m.path}: {e}", "restore it from version control, or move it away to start over"
                ) from None
        return m._replay_journal()

    def _files_state(self) -> tuple[tuple[int, int, int] | None, ...]:
        """(size, modification time, inode) of the manifest and of its journal, None for one that is not there."""
        out: list[tuple[int, int, int] | None] = []
        for path in (self.path, self.journal_path):
            try:
                st = path.stat()
                out.append((st.st_size, st.st_mtime_ns, st.st_ino))
            except OSError:
                out.append(None)
        return tuple(out)

    def changed_on_disk(self) -> bool:
        """Whether the manifest or its journal changed since :meth:`load` read them (another run wrote them
        before this one took the site's lock)."""
        return self._files_state() != self.files_as_read

    def _replay_journal(self) -> Manifest:
        if self.journal_path.exists():
            with open(self.journal_path, encoding="utf-8", errors="replace") as f:
                for line in f:  # line by line: a killed big run's journal is never one string in memory
                    self._replay(line)
        return self

    def _replay(self, line: str) -> None:
        self._as_read = None  # a killed run's records: the whole manifest is written again
        try:
            rec = json.loads(line)
            if not isinstance(rec, dict) or not isinstance(rec.get("post", rec.get("asset")), str):
                return
            if "post" in rec:
                self.posts[rec["post"]] = _post_from(rec["rec"])
            elif "asset" in rec:
                self.assets[rec["asset"]] = _asset_from(rec["asset"], rec["rec"])
        except (ValueError, KeyError, TypeError):
            return  # a torn last line from a kill, or a line that is not ours: the run redoes it

    def _load_whole(self, keep_as_read: bool = False) -> None:
        """The manifest read as one JSON document, every record checked. ``keep_as_read``: remember the file
        as read, for a save that changes no record (:meth:`_header_swapped` checks its header's bytes)."""
        try:
            with open(self.path, "rb") as f:
                st = os.fstat(f.fileno())
                data = json.loads(f.read().decode("utf-8"))
        except (OSError, ValueError) as e:
            raise OutputError(
                f"cannot read {self.path}: {e}",
                "restore it from version control, or move it away to start over",
            ) from None
        if not isinstance(data, dict) or data.get("version") != VERSION:
            raise OutputError(f"{self.path} is not a version-{VERSION} migrator manifest")
        self._read(data)
        if keep_as_read:
            self._remember_as_read(st)

    def _stream(self) -> None:
        """The manifest read record by record (:class:`_JsonStream`): a 100,000-post manifest (75 MB) was one
        string and then one tree of dicts in memory, 210 MB at the peak before its records were built.
        Anything :meth:`_read` would refuse raises _Irregular (read whole again, for its exact message)."""
        top: dict[str, Any] = {}
        with open(self.path, encoding="utf-8") as f:
            st = os.fstat(f.fileno())
            js = _JsonStream(f)
            if js.peek() != "{":
                raise _Irregular
            for key in js.members():
                if key not in ("posts", "assets"):
                    top[key] = js.value()
                    continue
                if js.peek() != "{":
                    raise _Irregular
                records: dict[str, Any] = {}
                for rid in js.members():
                    value = js.value()
                    try:
                        records[rid] = _post_from(value) if key == "posts" else _asset_from(rid, value)
                    except BadRecord:
                        raise _Irregular from None
                top[key] = records
            if js.peek() != "":
                raise _Irregular  # text after the object (json.loads says where)
        if top.get("version") != VERSION:
            raise _Irregular
        for key, kind in (("source", dict), ("last_sync", str)):
            if top.get(key) is not None and not isinstance(top[key], kind):
                raise _Irregular
        self.source = {str(k): str(v) for k, v in (top.get("source") or {}).items()}
        self.last_sync = top.get("last_sync")
        self.posts = top.get("posts") or {}
        self.assets = top.get("assets") or {}
        self._remember_as_read(st)

    def _read(self, data: dict[str, Any]) -> None:
        """The manifest's sections, every record checked: a wrong type is one clear error, not a crash."""
        where = self.path
        hint = "restore it from version control, or move it away to start over"
        for key, kind in (("source", dict), ("posts", dict), ("assets", dict), ("last_sync", str)):
            if data.get(key) is not None and not isinstance(data[key], kind):
                raise OutputError(f"{where}: {key} is {type(data[key]).__name__}, not {kind.__name__}", hint)
        self.source = {str(k): str(v) for k, v in (data.get("source") or {}).items()}
        self.last_sync = data.get("last_sync")
        for k, v in (data.get("posts") or {}).items():
            try:
                self.posts[k] = _post_from(v)
            except BadRecord as e:
                raise OutputError(f"{where}: post {k!r} is not a valid record: {e}", hint) from None
        for k, v in (data.get("assets") or {}).items():
            try:
                self.assets[k] = _asset_from(k, v)
            except BadRecord as e:
                raise OutputError(f"{where}: image {k!r} is not a valid record: {e}", hint) from None

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "source": dict(self.source),
            "last_sync": self.last_sync,
            "posts": {k: self.posts[k].to_json() for k in sorted(self.posts)},
            "assets": {k: self.assets[k].to_json() for k in sorted(self.assets)},
        }

    def _remember_as_read(self, st: os.stat_result) -> None:
        """The file (``st``) holds exactly the records in memory now: a save may copy them (_header_swapped)."""
        stat = (st.st_size, st.st_mtime_ns, st.st_ino)
        self._as_read = (stat, dict(self.source), self.last_sync, len(self.posts), len(self.assets))

    def _header(self, source: dict[str, str], last_sync: str | None) -> bytes:
        """The lines of the manifest before its records (as :meth:`json_pieces` writes them)."""
        lines = (("version", VERSION), ("source", source), ("last_sync", last_sync))
        return b"{\n" + b"".join(f'  "{key}": {indented_json(value, 1)},\n'.encode() for key, value in lines)

    def _header_swapped(self) -> Iterator[bytes] | None:
        """The manifest's bytes when no record changed since it was read or written: a new header, then the
        records copied from the file as they are (the tool wrote them, and read them back unchanged; a record
        formatted by hand stays as it is). None when anything changed, or the file is not as it was read
        (then the whole manifest is serialised)."""
        if self._as_read is None:
            return None
        stat, source, last_sync, n_posts, n_assets = self._as_read
        if (n_posts, n_assets) != (len(self.posts), len(self.assets)):
            return None
        old_head = self._header(source, last_sync)
        try:
            f = open(self.path, "rb")  # noqa: SIM115 - closed by the generator below
        except OSError:
            return None
        st = os.fstat(f.fileno())
        if (st.st_size, st.st_mtime_ns, st.st_ino) != stat or f.read(len(old_head)) != old_head:
            f.close()
            return None
        new_head = self._header(dict(self.source), self.last_sync)

        def pieces() -> Iterator[bytes]:
            with f:
                yield new_head
                while chunk := f.read(1 << 20):
                    yield chunk

        return pieces()

    def json_pieces(self) -> Iterator[bytes]:
        """The bytes of ``json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n"``, record by
        record: a big site's manifest (22 MB for 10,000 posts and 30,000 images) is never one string, nor
        one tree of dicts, in memory (a checkpoint of it was 85 MB more at the peak)."""

        dump = indented_json

        yield self._header(dict(self.source), self.last_sync)
        for key, records, end in (("posts", self.posts, ",\n"), ("assets", self.assets, "\n")):
            if not records:
                yield f'  "{key}": {{}}{end}'.encode()
                continue
            yield f'  "{key}": {{\n'.encode()
            ids = sorted(records)
            for n, rid in enumerate(ids):
                comma = "," if n < len(ids) - 1 else ""
                yield f"    {dump(rid, 2)}: {dump(records[rid].to_json(), 2)}{comma}\n".encode()
            yield f"  }}{end}".encode()
        yield b"}\n"

    def _append(self, obj: dict[str, Any]) -> None:
        if self.readonly:
            return
        self._pending.append(json.dumps(obj, ensure_ascii=False, sort_keys=True) + "\n")
        if not self.grouped:
            self.commit()

    @property
    def pending(self) -> int:
        """Records not yet in the journal (a grouped manifest's, until :meth:`commit`)."""
        return len(self._pending)

    def commit(self) -> None:
        """Append the records made since the last commit to the journal, in one write and one fsync. Call it
        once the files they name are on disk for good: a record is never read back before its file."""
        if self.readonly or not self._pending:
            return
        lines, self._pending = "".join(self._pending), []
        try:
            if self._journal is None:
                self.dir.mkdir(parents=True, exist_ok=True)
                self._journal = open(self.journal_path, "a", encoding="utf-8")  # noqa: SIM115
            self._journal.write(lines)
            self._journal.flush()
            os.fsync(self._journal.fileno())
        except OSError as e:
            raise OutputError(
                f"cannot write {self.journal_path}: {e.strerror or e}", "check free space and permissions"
            ) from e

    def record_post(self, post_id: str, rec: PostRecord) -> None:
        """Record a post; call only once its file is on disk."""
        self.posts[post_id] = rec
        self._as_read = None
        self._append({"post": post_id, "rec": rec.to_json()})

    def record_asset(self, rec: AssetRecord) -> None:
        self.assets[rec.url] = rec
        self._as_read = None
        self._append({"asset": rec.url, "rec": rec.to_json()})

    def drop_asset(self, url: str) -> AssetRecord:
        """Forget an image's record (pruned); the next save writes the manifest without it."""
        self._as_read = None
        return self.assets.pop(url)

    def save(self, *, finished: bool = False, as_of: datetime | None = None) -> None:
        """Write the whole manifest atomically, then drop the journal it now contains. ``finished``: the run
        is done, and ``last_sync`` is now, or ``as_of`` when the source is older (an export's content is as
        of when it was made: the next resync asks for what changed since then)."""
        if self.readonly:
            return
        if finished:
            now = datetime.now(UTC)
            if as_of is not None and as_of.tzinfo is not None and as_of < now:
                now = as_of.astimezone(UTC)
            self.last_sync = now.replace(microsecond=0).isoformat()
        try:
            _atomic_write(self.path, self._header_swapped() or self.json_pieces(), self.dir / "tmp")
            st = self.path.stat()
        except OSError as e:
            raise OutputError(f"cannot write {self.path}: {e.strerror or e}", "check free space and permissions") from e
        # the file now holds exactly the records in memory: the next save may copy them again
        self._remember_as_read(st)
        self._pending = []  # the manifest holds them now
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        self.journal_path.unlink(missing_ok=True)

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None


def _pid_in(fd: int) -> str:
    """The pid a run wrote in the site's lock file ("?" if none)."""
    return os.read(fd, 64).decode("ascii", "replace").strip() or "?"


class SiteLock:
    """An exclusive lock on a site (``.migrator/lock``, holding the pid): a second run on the same ``--out``
    stops with a message naming the first, instead of deleting its temp files. Released when the process
    ends, however it ends (``flock``)."""

    def __init__(self, out: Path) -> None:
        self.path = out / DIRNAME / "lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        import fcntl

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666 & ~_UMASK)
        except OSError as e:
            raise OutputError(f"cannot create {self.path}: {e.strerror or e}", "check the permissions") from e
        for attempt in range(5):
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:  # held: by a run, or for a moment by `status` asking whether one runs
                if attempt < 4:
                    time.sleep(0.02)
                    continue
                holder = _pid_in(fd)
                os.close(fd)
                raise OutputError(
                    f"another migrator run (pid {holder}) is working on {self.path.parent.parent}",
                    "wait for it to finish, or stop it, then run again",
                ) from None
            except OSError as e:  # no locking on this filesystem: say so, do not name a stale pid
                os.close(fd)
                raise OutputError(
                    f"cannot lock {self.path}: {e.strerror or e}",
                    "put the site on a local filesystem that supports file locks",
                ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing releases the lock; the file stays (removing it would race)
            self._fd = None

    @staticmethod
    def holder(out: Path) -> str | None:
        """The pid of the run working on ``out`` now, or None when none is (the lock is only tried: nothing
        is written, and a lock taken here is let go at once)."""
        import fcntl

        path = out / DIRNAME / "lock"
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:  # held by a run (EWOULDBLOCK)
            return _pid_in(fd)
        except OSError:
            return None  # no locking here: nothing can be told
        finally:
            os.close(fd)
        return None
