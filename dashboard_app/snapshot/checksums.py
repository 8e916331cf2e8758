"""Files checked against their SHA-256 once per machine, not once per process.

Every process that maps a snapshot's companion or a derived value checks each file against the SHA-256 its
manifest records: at full scale 54 MB of companion and 25 MB of derived arrays, ~0.09 CPU-s per process, and
after a swap the master and every worker did it at the same moment, beside the requests they serve. A
:class:`Verifier` given a records directory (a snapshot's directory in the app's own cache, mode 0700) hashes
a file once and leaves a record naming the checksum and the file's identity (device, inode, size, mtime and
ctime, in nanoseconds); another process finding that record for the same unchanged file trusts it instead of
hashing again. Any write to a file changes its ctime, which no process can set back, so a file changed after
it was hashed (in place, even with its size and mtime restored) or replaced by another is hashed again. A
file changed too shortly before it was hashed is not recorded (:func:`settled`: a later change could carry
the same timestamp); nor is one whose identity changed while it was hashed. Processes verifying the same
snapshot take turns (a lock in the records directory), so the first hashes and the others read its records.
Without a usable records directory every file is hashed, as before.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import time
from pathlib import Path
from types import TracebackType

log = logging.getLogger(__name__)

_CHUNK = 1 << 20
RECORD_PREFIX = ".sha256-"
LOCK_FILE = ".verify.lock"
SETTLE_NS = 20_000_000
"""A file changed less than this before it was looked at is hashed but not recorded: the kernel's file
timestamps advance a clock tick at a time (at most 10 ms), so a change right after could carry the same ctime."""
COARSE_SETTLE_NS = 2_000_000_000
"""The same for a file system keeping whole seconds (FAT keeps 2 s)."""


def settled(ctime_ns: int, now_ns: int) -> bool:
    """Whether a file last changed at ``ctime_ns`` and looked at ``now_ns`` may be recorded: any later change
    gets a later ctime."""
    coarse = ctime_ns % 1_000_000_000 == 0
    return ctime_ns + (COARSE_SETTLE_NS if coarse else SETTLE_NS) <= now_ns


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _identity(st: os.stat_result) -> tuple[int, ...]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _record_name(expected: str, identity: tuple[int, ...]) -> str:
    return RECORD_PREFIX + expected + "-" + "-".join(str(part) for part in identity)


def _usable(records: Path) -> bool:
    """A directory of this user's that no other user can write: its records are trusted."""
    try:
        st = records.stat()
    except OSError:
        return False
    return st.st_uid == os.getuid() and not st.st_mode & 0o022


class Verifier:
    """Checks files against their expected SHA-256 (:meth:`matches`), reading and leaving records in ``records``
    (module docstring); a context manager holding the records' lock, so processes verifying at once take turns."""

    def __init__(self, records: Path | None):
        self.records = Path(records) if records is not None and _usable(Path(records)) else None
        self.hashed = 0
        self.trusted = 0
        self._lock_fd: int | None = None

    def __enter__(self) -> Verifier:
        if self.records is not None:
            try:
                fd = os.open(self.records / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError as exc:
                log.warning("checksums: cannot use the records in %s (%s); hashing every file", self.records, exc)
                self.records = None
                return self
            fcntl.flock(fd, fcntl.LOCK_EX)  # released by close (or by the process's death)
            self._lock_fd = fd
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def matches(self, path: Path, expected: str) -> bool:
        """Whether the file at ``path`` has the SHA-256 ``expected``: trusted from a record of this same unchanged
        file, or hashed now (and recorded when it matches). OSError when it cannot be read."""
        looked_ns = time.time_ns()
        before = os.stat(path)
        identity = _identity(before)
        if self.records is not None and (self.records / _record_name(expected, identity)).exists():
            self.trusted += 1
            return True
        self.hashed += 1
        if sha256_file(path) != expected:
            return False
        if self.records is not None and settled(before.st_ctime_ns, looked_ns) and _identity(os.stat(path)) == identity:
            try:
                (self.records / _record_name(expected, identity)).touch(mode=0o600)
            except OSError as exc:  # a full disk: the next process hashes it too, nothing worse
                log.debug("checksums: cannot record %s in %s: %s", path.name, self.records, exc)
        return True
