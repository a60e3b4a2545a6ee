"""``LocalStore``: the Store port (``shared.ports``) over a directory on the local disk.

Writes go to a temporary file first and are linked (immutable objects: the first complete write
wins) or renamed (pointers) into place, so a reader never sees half an object. An immutable
object's seal is kept in a hidden sidecar, ``.<name>.seal``, which listings and globs such as ``*.csv`` skip. Any
operating-system failure (full disk, read-only or missing directory) is a ``StorageError``
in one line naming the object, the store and ``DIPWATCH_STORAGE``.
"""
from __future__ import annotations

import fcntl
import json
import os
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Mapping

from shared.adapters.object_keys import STALE_TEMPORARY_SECONDS, check_key, etag_of, failure, quarantine_key
from shared.errors import ImmutableObjectError, ObjectNotFound, PointerConflict
from shared.ports import MUST_NOT_EXIST

_TEMPORARY_SUFFIX = ".tmp"
#: What a sidecar holds when it cannot be read: a seal that never verifies.
_UNREADABLE_SEAL = {"sha256": "unreadable", "rows": "unreadable"}


def _sidecar(path: Path) -> Path:
    return path.parent / f".{path.name}.seal"


class LocalStore:
    """A directory on the local disk. Atomic writes by temporary file plus link or rename."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.location = str(self.root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            raise ObjectNotFound(key) from None
        except OSError as error:
            raise failure("read", key, self.location, error) from None

    def get_with_etag(self, key: str) -> tuple[bytes, str]:
        data = self.get(key)
        return data, etag_of(data)

    def get_with_metadata(self, key: str) -> tuple[bytes, dict[str, str]]:
        data = self.get(key)
        return data, self._metadata(self._path(key))

    @staticmethod
    def _metadata(path: Path) -> dict[str, str]:
        """What the object's sidecar holds: {} when it has none, a seal that never verifies when
        the sidecar is unreadable."""
        try:
            document = json.loads(_sidecar(path).read_bytes())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return dict(_UNREADABLE_SEAL)
        if not isinstance(document, dict):
            return dict(_UNREADABLE_SEAL)
        return {str(name): str(value) for name, value in document.items()}

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def _entries(self, prefix: str) -> Iterator[tuple[str, os.DirEntry[str]]]:
        """Each object under ``prefix`` (hidden files skipped) with its directory entry, walked
        with ``os.scandir``: the entries' types need no stat of their own (a daily run lists the
        window's few hundred days of objects twice)."""
        folder = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        pending = [(self.root / folder, f"{folder}/" if folder else "")]
        while pending:
            directory, relative = pending.pop()
            try:
                with os.scandir(directory) as listing:
                    entries = list(listing)
            except (FileNotFoundError, NotADirectoryError):
                continue  # no such folder: nothing stored under it (or it went meanwhile)
            for entry in entries:
                key = relative + entry.name
                if entry.is_dir():
                    pending.append((Path(entry.path), f"{key}/"))
                elif not entry.name.startswith(".") and entry.is_file() and key.startswith(prefix):
                    yield key, entry

    def list(self, prefix: str) -> list[str]:
        try:
            return sorted(key for key, _entry in self._entries(prefix))
        except OSError as error:
            raise failure("list", prefix or "/", self.location, error) from None

    def versions(self, prefix: str) -> dict[str, str]:
        """Each key's size and modification time: any write to the file changes them (its seal
        does not: a fault that keeps the seal must still be seen), and a copy of the directory
        that keeps times (``cp -a``, ``rsync -a``) keeps them."""
        found = {}
        try:
            for key, entry in sorted(self._entries(prefix), key=lambda item: item[0]):
                try:
                    stat = entry.stat()
                except FileNotFoundError:
                    continue  # moved while we looked
                found[key] = f"{stat.st_size}-{stat.st_mtime_ns}"
        except OSError as error:
            raise failure("list", prefix or "/", self.location, error) from None
        return found

    def _temporary(self, path: Path, data: bytes) -> Path:
        """``data`` in a fsynced temporary file beside ``path``; removed again if writing fails."""
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=_TEMPORARY_SUFFIX)
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
        return Path(name)

    def _replace(self, path: Path, data: bytes) -> None:
        temporary = self._temporary(path, data)
        try:
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)

    def put_immutable(self, key: str, data: bytes, metadata: Mapping[str, str] | None = None) -> bool:
        path = self._path(key)
        try:
            temporary = self._temporary(path, data)
            try:
                # link() fails if the name exists, so the first complete write wins atomically.
                os.link(temporary, path)
                written = True
            except FileExistsError:
                if path.read_bytes() != data:
                    raise ImmutableObjectError(f"{key} already exists with different content; history is never rewritten") from None
                written = False
            finally:
                temporary.unlink(missing_ok=True)
            # The seal follows the object: a kill between the two leaves an object without a
            # sidecar, read as one written before seals (checked by its structure) and sealed by
            # the next write of the same bytes.
            if metadata and self._metadata(path) != dict(metadata):
                self._replace(_sidecar(path), json.dumps(dict(metadata), sort_keys=True).encode())
            return written
        except OSError as error:
            raise failure("write", key, self.location, error) from None

    @contextmanager
    def _locked(self, path: Path) -> Iterator[None]:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.parent / f".{path.name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def put_pointer(self, key: str, data: bytes, expected_etag: str | None = None) -> str:
        path = self._path(key)
        try:
            with self._locked(path):
                if expected_etag is not None:
                    current = etag_of(path.read_bytes()) if path.is_file() else MUST_NOT_EXIST
                    if current != expected_etag:
                        raise PointerConflict(f"{key} changed concurrently; expected ETag {expected_etag or 'none'}")
                self._replace(path, data)
        except OSError as error:
            raise failure("write", key, self.location, error) from None
        return etag_of(data)

    def quarantine(self, key: str, note: bytes) -> str:
        path = self._path(key)
        target_key = quarantine_key(key)
        target = self._path(target_key)
        try:
            if not path.is_file():
                raise ObjectNotFound(key)
            target.parent.mkdir(parents=True, exist_ok=True)
            # The note first: a kill never leaves a quarantined object without its reason.
            self._replace(target.with_name(f"{target.name}.note.json"), note)
            try:
                os.rename(path, target)
            except FileNotFoundError:
                raise ObjectNotFound(key) from None  # another process moved it first
            seal = _sidecar(path)
            if seal.is_file():
                os.replace(seal, target.with_name(f"{target.name}.seal"))
        except OSError as error:
            raise failure("quarantine", key, self.location, error) from None
        return target_key

    def sweep_temporary(self, max_age_seconds: float = STALE_TEMPORARY_SECONDS) -> int:
        """Remove temporary files older than ``max_age_seconds`` that killed writers left behind."""
        removed = 0
        cutoff = time.time() - max_age_seconds
        for folder, _dirs, names in os.walk(self.root):
            for name in names:
                if name.startswith(".") and name.endswith(_TEMPORARY_SUFFIX):
                    path = Path(folder) / name
                    try:
                        if path.stat().st_mtime < cutoff:
                            path.unlink()
                            removed += 1
                    except OSError:
                        continue  # gone already, or a read-only store: nothing to clean
        return removed

    def expire(self, prefix: str, max_age_seconds: float) -> int:
        """Remove the objects under ``prefix`` last written more than ``max_age_seconds`` ago,
        each with its seal (what S3's lifecycle rule does to the stage's bucket)."""
        removed = 0
        cutoff = time.time() - max_age_seconds
        for key in self.list(prefix):
            path = self._path(key)
            try:
                if path.stat().st_mtime >= cutoff:
                    continue
                path.unlink()
                _sidecar(path).unlink(missing_ok=True)
                removed += 1
            except OSError:
                continue  # removed by another run meanwhile, or a read-only store: left as it is
        return removed

    def presigned_url(self, key: str, expires_in: int) -> str | None:
        return None
