"""The snapshot's companion: its tables as memory-mappable Arrow IPC files, shared by every process.

Next to each published ``snapshot-<id>.sqlite`` the publisher writes a directory
``snapshot-<id>.frames/`` holding one uncompressed Arrow IPC file (Feather v2) per data table,
in the dtypes the app computes with, and ``manifest.json``: the snapshot's ``meta``, each file's
size, row count and SHA-256, the SQLite file's size and SHA-256, and the checks the publisher ran
before writing it. SQLite stays the published contract and the download; the companion is what
the app serves from.

Every process *maps* the files read-only (:func:`open_companion`): the pages live once in the OS
page cache, however many workers and however many swaps, and a swap costs the checksums
(~0.06 CPU-s for 54 MB at full scale; once per machine with a records directory: :mod:`snapshot.checksums`)
plus building a few small derived columns. A companion that is truncated,
corrupt, of another snapshot or of another format is refused with :class:`CompanionError`.

Snapshots published by older code have no companion: the app builds one once into a writable
cache directory (:func:`build_companion`, the snapshot directory itself may be read-only).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Callable, Sequence
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dashboard_app import __version__
from dashboard_app.snapshot import schema, table_chunks
from dashboard_app.snapshot.checksums import Verifier, sha256_file
from dashboard_app.snapshot.datadir import BUILD_PREFIX, fsync_path
from dashboard_app.snapshot.model import SnapshotError, format_utc

COMPANION_SUFFIX = ".frames"
MANIFEST_FILE = "manifest.json"
FORMAT = "neo-explorer-frames"
FORMAT_VERSION = 1
TABLE_NAMES: tuple[str, ...] = tuple(t.name for t in schema.TABLES if t.name != "meta")
"""Every data table of the current schema; a companion holds those of its snapshot's version."""


def table_names(meta: dict[str, str]) -> tuple[str, ...]:
    """The data tables a snapshot with this ``meta`` has (a version-1 file has fewer)."""
    try:
        return tuple(t.name for t in schema.tables_of(schema.version_of(meta)) if t.name != "meta")
    except ValueError as exc:
        raise CompanionError(str(exc)) from None


MAX_MANIFEST_BYTES = 1 << 20


class CompanionError(SnapshotError):
    """A companion cannot be trusted (missing file, wrong size or checksum, other snapshot or format)."""


def companion_path(snapshot_path: Path, directory: Path | None = None) -> Path:
    """Where the companion of ``snapshot_path`` lives: beside it, or in ``directory`` (a cache)."""
    snapshot_path = Path(snapshot_path)
    name = snapshot_path.name.removesuffix(".sqlite") + COMPANION_SUFFIX
    return (Path(directory) if directory is not None else snapshot_path.parent) / name


def snapshot_id_of(snapshot_path: Path) -> str:
    """The id a snapshot file name carries (``snapshot-<id>.sqlite``), or the bare stem otherwise."""
    return Path(snapshot_path).name.removesuffix(".sqlite").removeprefix("snapshot-")


# --- writing ---------------------------------------------------------------------------------


def _arrow_column(series: pd.Series) -> Any:
    """One column as an Arrow array that maps back without a copy (floats keep NaN: no validity bitmap)."""
    import pyarrow as pa

    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        indices = pa.array(codes, mask=codes < 0)
        dictionary = pa.array(series.cat.categories.astype(str).tolist(), pa.large_string())
        return pa.DictionaryArray.from_arrays(indices, dictionary)
    if isinstance(dtype, pd.DatetimeTZDtype):
        return pa.array(series.dt.tz_convert("UTC").array.asi8, pa.timestamp(dtype.unit, tz="UTC"))
    if isinstance(dtype, np.dtype) and dtype.kind in "iuf":
        return pa.array(series.to_numpy())
    if pd.api.types.is_string_dtype(dtype):
        return pa.array(series.to_numpy(dtype=object, na_value=None), pa.large_string())
    raise CompanionError(f"column {series.name} has dtype {dtype}, which the companion cannot hold")


def _write_table(frame: pd.DataFrame, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.ipc as ipc

    table = pa.table({str(c): _arrow_column(frame[c]) for c in frame.columns})
    with pa.OSFile(str(path), "wb") as sink, ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    fsync_path(path)


def _map_table(path: Path) -> pd.DataFrame:
    """One companion file mapped back as the app maps it (no checksum: the caller just wrote it)."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    return _frame(ipc.open_file(pa.memory_map(str(path), "r")).read_all())


def assert_same_table(mapped: pd.DataFrame, expected: pd.DataFrame) -> None:
    """``assert_frame_equal(mapped, expected, check_exact=True)``, column by column.

    Categorical columns are compared as dtype (categories in order) and codes, which is what
    ``assert_frame_equal`` checks too, without its per-row object copy of the values.
    """
    pd.testing.assert_index_equal(mapped.columns, expected.columns, exact=True)
    pd.testing.assert_series_equal(mapped.dtypes, expected.dtypes)
    pd.testing.assert_index_equal(mapped.index, expected.index, exact=True)
    for name in expected.columns:
        left, right = mapped[name], expected[name]
        if isinstance(right.dtype, pd.CategoricalDtype):
            np.testing.assert_array_equal(left.cat.codes.to_numpy(), right.cat.codes.to_numpy(), err_msg=name)
        else:
            pd.testing.assert_series_equal(left, right, check_exact=True)


def write_companion(
    snapshot_path: Path,
    dest: Path,
    *,
    checks: Sequence[str],
    chunk_rows: int = table_chunks.CHUNK_ROWS,
) -> dict[str, Any]:
    """Write the companion of the (validated) SQLite file ``snapshot_path`` as the directory ``dest``.

    Builds in a temporary directory beside ``dest`` one table at a time: reads the table from
    SQLite in chunks of ``chunk_rows`` rows into storage dtypes (``table_chunks``), writes its
    Arrow file, maps the file back and compares it with the table read, and frees both before
    the next table, so memory is bounded by the largest table, not the snapshot. Then verifies
    the whole directory as a reader does (:func:`open_companion`) and renames it into place.
    ``checks`` names the validation the caller ran on the SQLite file (recorded in the manifest).
    Returns the manifest.
    """
    snapshot_path, dest = Path(snapshot_path), Path(dest)
    meta = table_chunks.read_meta(snapshot_path)
    snapshot_id = snapshot_id_of(dest.with_suffix(".sqlite"))
    if meta.get("snapshot_id") != snapshot_id:
        raise CompanionError(f"{snapshot_path.name} holds snapshot {meta.get('snapshot_id')}, not {snapshot_id}")
    tmp = dest.with_name(f"{BUILD_PREFIX}{os.getpid()}-{secrets.token_hex(4)}{COMPANION_SUFFIX}")
    tmp.mkdir()
    try:
        os.chmod(tmp, 0o775)  # group-writable from the start: another UID of the group may clean it up
        files = {}
        for name in table_names(meta):
            path = tmp / f"{name}.arrow"
            frame = table_chunks.read_table(snapshot_path, meta, name, chunk_rows=chunk_rows)
            _write_table(frame, path)
            try:
                assert_same_table(_map_table(path), frame)
            except AssertionError as exc:
                raise CompanionError(f"the companion's {name} differs from the SQLite table: {exc}") from None
            files[name] = {
                "file": path.name,
                "rows": len(frame),
                "bytes": path.stat().st_size,
                "sha256": sha256_file(path),
            }
            del frame
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "snapshot_id": snapshot_id,
            "schema_version": meta.get("schema_version"),
            "sqlite": {
                "file": dest.with_suffix(".sqlite").name,
                "bytes": snapshot_path.stat().st_size,
                "sha256": sha256_file(snapshot_path),
            },
            "tables": files,
            "meta": meta,
            "written": {"utc": format_utc(datetime.now(UTC)), "by": f"neo-explorer {__version__}"},
            "checks": [*checks, "every table mapped back equals the SQLite table"],
        }
        with open(tmp / MANIFEST_FILE, "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        open_companion(tmp, snapshot_id=snapshot_id, snapshot_path=snapshot_path)  # as a reader will
        for path in tmp.iterdir():
            os.chmod(path, 0o444)
        os.chmod(tmp, 0o775)  # group-writable: another UID of the group may remove it (retention)
        fsync_path(tmp)
        os.rename(tmp, dest)
        fsync_path(dest.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def remove_companion(path: Path) -> bool:
    """Delete a companion directory (retention, clean-up); True when something was removed."""
    if not path.is_dir():
        return False
    with suppress(OSError):
        os.chmod(path, 0o775)  # a directory made read-only by hand
    shutil.rmtree(path)
    return True


# --- reading ---------------------------------------------------------------------------------


def read_manifest(directory: Path) -> dict[str, Any]:
    """The companion's manifest (format checked), or :class:`CompanionError`."""
    path = Path(directory) / MANIFEST_FILE
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_MANIFEST_BYTES + 1)
    except OSError as exc:
        raise CompanionError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(raw) > MAX_MANIFEST_BYTES:
        raise CompanionError(f"{path} is larger than {MAX_MANIFEST_BYTES} bytes")
    try:
        manifest = json.loads(raw)
    except ValueError as exc:
        raise CompanionError(f"{path} is not JSON: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CompanionError(f"{path} is not a {FORMAT} manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise CompanionError(
            f"{path} has format version {manifest.get('format_version')!r}; this code reads {FORMAT_VERSION}"
        )
    if not isinstance(manifest.get("tables"), dict) or not isinstance(manifest.get("meta"), dict):
        raise CompanionError(f"{path} lacks its tables or meta")
    return manifest


def open_companion(
    directory: Path, *, snapshot_id: str, snapshot_path: Path | None = None, verifier: Verifier | None = None
) -> tuple[dict[str, str], dict[str, pd.DataFrame]]:
    """Verify the companion in ``directory`` and map its tables: ``(meta, frames)`` in storage dtypes.

    Refused (:class:`CompanionError`) when it is of another snapshot or format, a file is missing,
    has another size or checksum than the manifest says, or its row counts disagree with ``meta``;
    with ``snapshot_path``, also when that SQLite file's size differs from the recorded one. The checksums
    are checked by ``verifier`` (once per machine with its records: :mod:`snapshot.checksums`), else hashed.
    """
    verifier = verifier if verifier is not None else Verifier(None)
    import pyarrow as pa
    import pyarrow.ipc as ipc

    directory = Path(directory)
    manifest = read_manifest(directory)
    meta = {str(k): str(v) for k, v in manifest["meta"].items()}
    if manifest.get("snapshot_id") != snapshot_id or meta.get("snapshot_id") != snapshot_id:
        raise CompanionError(
            f"{directory.name} belongs to snapshot {manifest.get('snapshot_id')}, not {snapshot_id}: refused"
        )
    if snapshot_path is not None:
        recorded = (manifest.get("sqlite") or {}).get("bytes")
        size = Path(snapshot_path).stat().st_size
        if recorded != size:
            raise CompanionError(f"{Path(snapshot_path).name} has {size} bytes, its companion recorded {recorded}")
    try:
        counts = {str(k): int(v) for k, v in json.loads(meta.get("row_counts", "{}")).items()}
    except (ValueError, TypeError, AttributeError):
        raise CompanionError(f"{directory.name}: meta row_counts is not a JSON object of integers") from None
    frames = {}
    for name in table_names(meta):
        entry = manifest["tables"].get(name)
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str) or "/" in entry["file"]:
            raise CompanionError(f"{directory.name}: the manifest lists no file for {name}")
        path = directory / entry["file"]
        try:
            size = path.stat().st_size
            if size != entry.get("bytes"):
                raise CompanionError(
                    f"{directory.name}/{path.name} has {size} bytes, the manifest says {entry.get('bytes')}"
                )
            if not verifier.matches(path, str(entry.get("sha256"))):
                raise CompanionError(f"{directory.name}/{path.name} does not match its SHA-256 in the manifest")
            table = ipc.open_file(pa.memory_map(str(path), "r")).read_all()
        except OSError as exc:
            raise CompanionError(f"cannot read {directory.name}/{path.name}: {exc.strerror or exc}") from exc
        except pa.ArrowException as exc:
            raise CompanionError(f"{directory.name}/{path.name} is not a readable Arrow file: {exc}") from exc
        if table.num_rows != entry.get("rows") or table.num_rows != counts.get(name):
            raise CompanionError(
                f"{directory.name}/{path.name} has {table.num_rows} rows; manifest {entry.get('rows')}, "
                f"meta {counts.get(name)}"
            )
        frames[name] = _frame(table)
    return meta, frames


def _frame(table: Any) -> pd.DataFrame:
    """A DataFrame whose numeric columns and categorical codes are views of the (mapped) Arrow buffers."""
    import pyarrow as pa

    categorical = {}
    for position, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            column = table.column(position)
            array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
            indices = array.indices
            codes = indices.fill_null(-1).to_numpy() if indices.null_count else indices.to_numpy(zero_copy_only=True)
            categories = pd.Index(array.dictionary.to_pandas())
            dtype = pd.CategoricalDtype(categories)
            categorical[field.name] = (position, pd.Categorical.from_codes(codes, dtype=dtype, validate=False))
    # split_blocks: one block per column, so numeric columns stay views instead of being consolidated
    frame = table.drop_columns(list(categorical)).to_pandas(split_blocks=True)
    for name, (position, values) in categorical.items():
        frame.insert(position, name, pd.Series(values, index=frame.index, copy=False))  # a Categorical is copied
    return frame


def build_companion(snapshot_path: Path, cache_dir: Path, *, check: Callable[[Path], Sequence[str]]) -> Path:
    """Build the companion of a snapshot published without one into ``cache_dir`` (once; locked).

    ``check(snapshot_path)`` validates the SQLite file first (raising when it is invalid) and
    returns the names of the checks it ran, recorded in the manifest. Other processes wanting
    the same companion wait on the cache's lock, then find it built. Companions of other
    snapshots and leftovers of killed builds are removed while the lock is held.
    """
    import fcntl

    cache_dir = Path(cache_dir)
    cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if cache_dir.stat().st_uid != os.getuid():
        raise CompanionError(f"the cache directory {cache_dir} belongs to another user; not used")
    dest = companion_path(snapshot_path, cache_dir)
    fd = os.open(cache_dir / ".build.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if dest.is_dir():
            return dest
        for stale in cache_dir.iterdir():
            if stale.name.endswith(COMPANION_SUFFIX) and stale.is_dir():
                remove_companion(stale)  # the cache holds the companion of one snapshot: the current one
        write_companion(snapshot_path, dest, checks=check(snapshot_path))
        return dest
    finally:
        os.close(fd)
