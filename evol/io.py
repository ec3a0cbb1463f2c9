"""Reading and writing records: append-only JSONL journals and atomic final writes."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from evol.errors import DataError, EvolError

# filesystem faults a user can fix (and then resume): errno -> what to tell them
STORAGE_CAUSES = {
    errno.ENOSPC: "no space left on device", errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system", errno.EACCES: "permission denied", errno.EPERM: "permission denied",
    errno.ENOTDIR: "a parent of it is a file, not a directory", errno.EEXIST: "a file is in the way",
    errno.EISDIR: "it is a directory", errno.EIO: "input/output error",
}


class StorageError(EvolError):
    """The run directory (or another output) cannot be written: disk full, read-only, no permission, ...

    One line names the path and the cause; fix the cause and rerun the same command to resume.
    """

    exit_code = 5

    def __init__(self, path: str, cause: str, *, text: str | None = None) -> None:
        self.path, self.cause = path, cause
        super().__init__(text or f"{path}: cannot write: {cause}; fix that and rerun the same command to resume")

    @classmethod
    def plain(cls, path: str, cause: str) -> StorageError:
        """A fault on a path not known to be written (an input read, a socket bound): its path and cause only."""
        return cls(path, cause, text=f"{path}: {cause}")


class WriteError(OSError):
    """An OSError met while writing `filename` (the file meant, never a temp file beside it)."""


SQLITE_CAUSES = {"disk is full": STORAGE_CAUSES[errno.ENOSPC], "readonly database": "read-only database",
                 "unable to open database": "cannot open the database file", "disk I/O error": "input/output error"}


def storage_error(exc: BaseException, where: str | Path = "the run directory") -> StorageError | None:
    """The StorageError an OSError (or a SQLite error: the response cache) stands for; None when `exc` is
    not a filesystem fault a user can fix. `where` names the place when the error itself does not."""
    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, sqlite3.Error):
        cause = next((c for text, c in SQLITE_CAUSES.items() if text in str(exc)), None)
        return StorageError(f"{where} (SQLite)", cause) if cause else None
    if not isinstance(exc, OSError) or exc.errno not in STORAGE_CAUSES:
        return None
    return StorageError(str(exc.filename if exc.filename is not None else where), STORAGE_CAUSES[exc.errno])


def write_json_best_effort(path: Path, obj: Any, *fallbacks: Any) -> bool:
    """Write `obj` atomically; on a full disk, rewrite the existing file in place, but only with a text that
    fits in the bytes the file already has (so no new block is needed and the file is never left cut off):
    `obj` indented, `obj` compact, then each of `fallbacks` (smaller objects) compact. Returns False when
    none fitted, leaving the old file as it was: the caller is already reporting a filesystem fault."""
    try:
        atomic_write_json(path, obj)
        return True
    except OSError:
        pass
    try:
        room = path.stat().st_size
    except OSError:
        return False
    texts = [json.dumps(obj, ensure_ascii=False, indent=2) + "\n"]
    texts += [json.dumps(o, ensure_ascii=False, separators=(",", ":")) + "\n" for o in (obj, *fallbacks)]
    for text in texts:
        data = text.encode("utf-8")
        if len(data) > room:
            continue
        try:
            with path.open("r+b") as fh:
                fh.write(data)
                fh.truncate()
            return True
        except OSError:
            return False
    return False


# What a failed run's manifest keeps when the disk has no room for the whole of it.
MANIFEST_ESSENTIALS = ("status", "failure", "config_digest", "data_digest", "data_config", "evol_version")


def write_manifest(path: Path, manifest: dict[str, Any], failure: StorageError | None = None) -> None:
    """Write a run's manifest at its end; after a filesystem fault its status is `failed`, with the reason,
    written as best it can be (a full disk may still take a rewrite in place)."""
    if failure is not None:
        manifest = {**manifest, "status": "failed", "failure": str(failure)}
    essentials = {k: manifest[k] for k in MANIFEST_ESSENTIALS if k in manifest}
    if not write_json_best_effort(path, manifest, essentials, {"status": manifest.get("status")}):
        raise failure or StorageError(str(path), "cannot be written")


def dumps(record: dict[str, Any]) -> str:
    """One record as a compact, key-order-stable JSON line (no trailing newline)."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def parse_json(
    text: str | bytes, where: str | Path, *, first_line: int = 1, error: type[Exception] = DataError
) -> Any:
    """``json.loads`` whose error names the place: ``WHERE:LINE: not valid JSON (why)``.

    ``first_line`` is the file line that ``text`` starts on (a JSONL line's number). A text cut off at its
    end is reported at its last line with content, not at the line after its trailing newline.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        pos = min(exc.pos, len(exc.doc.rstrip()))
        raise error(f"{where}:{first_line + exc.doc.count(chr(10), 0, pos)}: not valid JSON ({exc.msg})") from None


def read_jsonl(path: str | Path, *, tolerate_partial_tail: bool = False) -> Iterator[dict[str, Any]]:
    """Yield the records of a JSONL file; a malformed line is a DataError naming file and line.

    With ``tolerate_partial_tail`` a last line without its newline (a write cut by a crash) is ignored.
    """
    path = Path(path)
    with path.open("rb") as fh:
        lines = fh.read().split(b"\n")
    last = len(lines) - 1
    for lineno, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            if tolerate_partial_tail and lineno - 1 == last:
                return
            raise DataError(f"{path}:{lineno}: not valid JSON ({exc})") from None
        if not isinstance(record, dict):
            raise DataError(f"{path}:{lineno}: expected a JSON object, got {type(record).__name__}")
        yield record


def repair_jsonl_tail(path: Path) -> None:
    """Cut a trailing partial line left by a crash, so appends start on a clean line."""
    if not path.exists():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        path.write_bytes(data[: data.rfind(b"\n") + 1])


class JsonlAppender:
    """Append records to a JSONL journal, flushing each line as it is written."""

    def __init__(self, path: str | Path, *, fsync: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        repair_jsonl_tail(self.path)
        self._fh = self.path.open("ab", buffering=0)  # unbuffered: a failed write leaves nothing to flush later
        self._fsync = fsync

    def write(self, record: dict[str, Any]) -> None:
        """Append one line; a filesystem fault names the journal (a partial line is cut on resume)."""
        data = memoryview((dumps(record) + "\n").encode("utf-8"))
        try:
            while data:
                data = data[self._fh.write(data) or 0:]
            if self._fsync:
                os.fsync(self._fh.fileno())
        except OSError as exc:
            raise WriteError(exc.errno, exc.strerror, str(self.path)) from None

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> JsonlAppender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_writer(path: str | Path) -> Iterator[BinaryIO]:
    """A binary file handle whose content replaces `path` only when the block finishes without error.

    Readers see either the old or the new file, never a half-written one (temp file, fsync, rename).
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteError(exc.errno, exc.strerror, exc.filename or str(path.parent)) from None  # the folder in the way
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise WriteError(exc.errno, exc.strerror, str(path)) from None  # the file meant, not the temp one
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; final files get the usual permissions
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise WriteError(exc.errno, exc.strerror, str(path)) from None  # name the file meant, not the temp one
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    with atomic_writer(path) as fh:
        fh.write(data)


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | Path, obj: Any, *, indent: int | None = 2) -> None:
    atomic_write_text(path, json.dumps(obj, ensure_ascii=False, indent=indent) + "\n")


def atomic_write_jsonl(path: str | Path, records: Iterable[dict[str, Any]]) -> int:
    """Write all records as JSONL atomically; returns the count."""
    lines = [dumps(r) for r in records]
    atomic_write_text(path, "".join(line + "\n" for line in lines))
    return len(lines)


def read_json_or_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Load a dataset file that is either a JSON list of objects or JSONL."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file")
    head = path.open("rb").read(64).lstrip()
    if head.startswith(b"["):
        data = parse_json(path.read_bytes(), path)
        for i, rec in enumerate(data):
            if not isinstance(rec, dict):
                raise DataError(f"{path}: record {i} is not a JSON object")
        return data
    return list(read_jsonl(path))
