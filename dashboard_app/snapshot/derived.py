"""Per-snapshot derived arrays computed once per machine and memory-mapped by every process.

Some analyses start from arrays derived from a whole snapshot (the Discovery Circumstances tab's
per-NEO columns and hover text, the Sites tab's station index): megabytes at full scale, the same
for every worker and every user. Kept in each worker's memo they cost that much per worker; here
the first process that needs them computes them and writes them as ``.npy`` files into the cache
directory (``FRAMES_CACHE_DIR``), and every process maps them read-only, so their pages live once
in the page cache like the snapshot's own frames.

A value is a dataclass whose fields are numpy arrays, nested dataclasses of the same kind, or small
JSON values (tuples of strings, numbers); or a DataFrame of numeric and categorical columns. Text
arrays (``dtype=object`` of ``str``) are stored as fixed-width unicode arrays, which map too, and
come back as such (``"U"`` dtype: index them, or ``tolist()``, as before). The files of one value
sit in a directory named for the snapshot, the value and a fingerprint of this package's code, with
a manifest recording each file's dtype, shape and SHA-256: a file that does not match is refused
and the value rebuilt; a value whose directory cannot be written (read-only or full disk) is
computed in this process instead, with a warning.
"""

from __future__ import annotations

import dataclasses
import fcntl
import functools
import hashlib
import json
import logging
import os
import secrets
import shutil
import typing
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from dashboard_app.snapshot.checksums import Verifier, sha256_file

log = logging.getLogger(__name__)

T = TypeVar("T")

DERIVED_DIR = "derived"
"""Subdirectory of the cache directory holding one directory per snapshot."""
MANIFEST = "manifest.json"
_BUILDING = ".building-"


class DerivedError(Exception):
    """Derived files that cannot be trusted (missing, another shape or checksum) or a value they cannot hold."""


@functools.cache
def code_fingerprint() -> str:
    """A short hash of this package's Python sources: derived files of other code are never read."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def snapshot_dir(cache_dir: Path, snapshot_id: str) -> Path:
    """The directory holding the derived values of one snapshot."""
    return Path(cache_dir) / DERIVED_DIR / snapshot_id


def records_dir(cache_dir: Path, snapshot_id: str) -> Path | None:
    """Where the checksum records of a snapshot's files go (:mod:`snapshot.checksums`): its directory of derived
    values, created if needed, so they are removed with it; None when the cache directory cannot be used."""
    directory = snapshot_dir(cache_dir, snapshot_id)
    try:
        own_directory(Path(cache_dir))
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except (OSError, DerivedError) as exc:
        log.debug("checksum records of snapshot %s: cannot use %s (%s)", snapshot_id, directory, exc)
        return None
    return directory


def remove_others(cache_dir: Path, keep: str) -> int:
    """Delete the derived values of every snapshot but ``keep`` (after a switch); how many were removed.

    A process still serving an older snapshot keeps its mappings (Linux frees the pages when unmapped).
    """
    root = Path(cache_dir) / DERIVED_DIR
    removed = 0
    with suppress(FileNotFoundError):
        for path in root.iterdir():
            if path.name != keep and path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
                removed += 1
    return removed


# --- flattening a dataclass of arrays into files, and back -------------------------------------------


def _flatten(value: Any, prefix: str, arrays: dict[str, np.ndarray], attrs: dict[str, Any]) -> None:
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        raise DerivedError(f"{type(value).__name__} is not a dataclass")
    for f in dataclasses.fields(value):
        name, item = prefix + f.name, getattr(value, f.name)
        if dataclasses.is_dataclass(item):
            _flatten(item, name + ".", arrays, attrs)
        elif isinstance(item, np.ndarray):
            arrays[name] = _storable(name, item)
        elif item is None or isinstance(item, (str, int, float, bool, tuple)):
            attrs[name] = list(item) if isinstance(item, tuple) else item
        else:
            raise DerivedError(f"field {name} is a {type(item).__name__}; derived files hold arrays and JSON values")


def _storable(name: str, array: np.ndarray) -> np.ndarray:
    if array.dtype.kind in "biufcmMSU":
        return array
    if array.dtype == object and pd.api.types.infer_dtype(array, skipna=False) in ("string", "empty"):
        return array.astype(str) if len(array) else np.array([], dtype="U1")
    raise DerivedError(f"array {name} has dtype {array.dtype}, which a mapped file cannot hold")


def _flatten_frame(frame: pd.DataFrame, arrays: dict[str, np.ndarray], attrs: dict[str, Any]) -> None:
    """A frame with a default index and numeric or categorical columns: each column an array (codes for a
    categorical, whose categories go to ``attrs``)."""
    if not isinstance(frame.index, pd.RangeIndex) or frame.index.start != 0 or frame.index.step != 1:
        raise DerivedError("a frame must have the default index 0..n-1")
    attrs["columns"] = [str(c) for c in frame.columns]
    for name in frame.columns:
        column = frame[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            if not all(isinstance(c, str) for c in column.cat.categories):
                raise DerivedError(f"column {name} has categories that are not text")
            arrays[str(name)] = column.cat.codes.to_numpy()
            attrs[f"categories.{name}"] = [str(c) for c in column.cat.categories]
        elif isinstance(column.dtype, np.dtype) and column.dtype.kind in "biuf":
            arrays[str(name)] = column.to_numpy()
        else:
            raise DerivedError(f"column {name} has dtype {column.dtype}, which a mapped file cannot hold")


def _rebuild_frame(arrays: dict[str, np.ndarray], attrs: dict[str, Any]) -> pd.DataFrame:
    columns: dict[str, Any] = {}
    for name in attrs["columns"]:
        categories = attrs.get(f"categories.{name}")
        values = arrays[name]
        if categories is not None:
            values = pd.Categorical.from_codes(values, categories=categories, validate=False)
        columns[name] = pd.Series(values, copy=False)
    return pd.DataFrame(columns, copy=False)  # columns of one dtype each stay views of the mapping


def _rebuild(cls: type[T], prefix: str, arrays: dict[str, np.ndarray], attrs: dict[str, Any]) -> T:
    if cls is pd.DataFrame:
        return _rebuild_frame(arrays, attrs)
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        name, hint = prefix + f.name, hints.get(f.name)
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            kwargs[f.name] = _rebuild(hint, name + ".", arrays, attrs)
        elif name in arrays:
            kwargs[f.name] = arrays[name]
        else:
            item = attrs[name]
            kwargs[f.name] = tuple(item) if isinstance(item, list) else item
    return cls(**kwargs)


# --- writing and mapping ------------------------------------------------------------------------------


def write_value(value: Any, dest: Path) -> None:
    """Write ``value`` (a dataclass of arrays, or a frame) as the directory ``dest``: built beside it, renamed
    into place. Not fsynced: the cache is rebuilt when a file does not match its manifest."""
    arrays: dict[str, np.ndarray] = {}
    attrs: dict[str, Any] = {}
    if isinstance(value, pd.DataFrame):
        _flatten_frame(value, arrays, attrs)
    else:
        _flatten(value, "", arrays, attrs)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f"{_BUILDING}{os.getpid()}-{secrets.token_hex(4)}")
    tmp.mkdir()
    try:
        files = {}
        for i, (name, array) in enumerate(arrays.items()):
            path = tmp / f"{i:02d}.npy"
            np.save(path, np.ascontiguousarray(array), allow_pickle=False)
            files[name] = {"file": path.name, "dtype": array.dtype.str, "shape": list(array.shape)}
            files[name]["sha256"] = sha256_file(path)
        manifest = {"type": f"{type(value).__module__}.{type(value).__qualname__}", "arrays": files, "attrs": attrs}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
        os.rename(tmp, dest)  # atomic; fails when another process got there first (its files are the same)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def map_value(cls: type[T], directory: Path, *, verify: bool = True, verifier: Verifier | None = None) -> T:
    """The value written in ``directory``, its arrays mapped read-only; :class:`DerivedError` when untrustworthy.

    The checksums are checked by ``verifier`` (once per machine with its records), else hashed; ``verify=False``
    skips them (for files this process has just written and hashed).
    """
    verifier = verifier if verifier is not None else Verifier(None)
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        expected = f"{cls.__module__}.{cls.__qualname__}"
        if manifest.get("type") != expected:
            raise DerivedError(f"{directory} holds a {manifest.get('type')}, not a {expected}")
        arrays = {}
        for name, entry in manifest["arrays"].items():
            path = directory / str(entry["file"])
            if "/" in entry["file"] or (verify and not verifier.matches(path, str(entry["sha256"]))):
                raise DerivedError(f"{path} does not match its SHA-256 in the manifest")
            mapped = np.load(path, mmap_mode="r", allow_pickle=False)
            if mapped.dtype.str != entry["dtype"] or list(mapped.shape) != entry["shape"]:
                raise DerivedError(f"{path} holds {mapped.dtype.str} {mapped.shape}, the manifest says otherwise")
            arrays[name] = np.asarray(mapped)  # a plain read-only ndarray over the mapping
        return _rebuild(cls, "", arrays, manifest["attrs"])
    except DerivedError:
        raise
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DerivedError(f"cannot read the derived value in {directory}: {exc}") from exc


def owned(cache_dir: Path) -> bool:
    """Files another user could have written are never mapped (they could claim any content)."""
    try:
        return cache_dir.stat().st_uid == os.getuid()
    except OSError:
        return False


def own_directory(cache_dir: Path) -> None:
    """Create the cache directory (mode 0700) if needed; :class:`DerivedError` when another user owns it."""
    cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not owned(cache_dir):
        raise DerivedError(f"the cache directory {cache_dir} belongs to another user; not used")


def shared_value(cache_dir: Path, snapshot_id: str, name: str, cls: type[T], compute: Callable[[], T]) -> T:
    """``compute()`` for this snapshot, computed once per machine and mapped by every process.

    The first process to ask computes it under a lock and writes it (removing the files other code
    wrote under ``name``); the others wait, then map it. Files that do not match their manifest are
    replaced. When the cache cannot be written, the value
    is computed here and returned as it is (in this process's memory), with a warning.
    """
    directory = snapshot_dir(cache_dir, snapshot_id)
    dest = directory / f"{name}-{code_fingerprint()}"
    if (dest / MANIFEST).is_file() and owned(Path(cache_dir)):
        with suppress(DerivedError), Verifier(directory) as verifier:
            return map_value(cls, dest, verifier=verifier)
    try:
        own_directory(Path(cache_dir))
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    except (OSError, DerivedError) as exc:
        log.warning(
            "derived %s of snapshot %s: cannot use %s (%s); computed in this process", name, snapshot_id, directory, exc
        )
        return compute()
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if (dest / MANIFEST).is_file():
            try:
                with Verifier(directory) as verifier:
                    return map_value(cls, dest, verifier=verifier)
            except DerivedError as exc:
                log.warning("derived %s of snapshot %s refused (%s); rebuilding it", name, snapshot_id, exc)
                shutil.rmtree(dest, ignore_errors=True)
        for stale in directory.glob(f"{name}-*"):  # written by other code (a deploy, an edit) or left by a crash
            shutil.rmtree(stale, ignore_errors=True)
        value = compute()
        try:
            write_value(value, dest)
            return map_value(cls, dest, verify=False)  # hashed as written, a moment ago
        except (OSError, DerivedError) as exc:
            log.warning(
                "derived %s of snapshot %s: cannot write it to %s (%s); kept in this process",
                name,
                snapshot_id,
                dest,
                exc,
            )
            return value
    finally:
        os.close(fd)
