"""The ``mpc_sbn``-shaped source tables, assembled from the generator's decisions.

Columns and order follow :mod:`dashboard_app.sky.source_schema` exactly.
Text columns are pandas ``str`` (Arrow-backed; missing = NaN, i.e. NULL),
timestamps ``datetime64[us]`` naive UTC, numbers float64 (NaN = NULL),
integers int64 (nullable ``Int64`` where NULLs occur), booleans bool.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dashboard_app.definitions import DEPRECATED_FLAG, DISCOVERY_FLAG
from dashboard_app.sky.observations import Observations, band_codes
from dashboard_app.sky.population import DAY_US
from dashboard_app.sky.roster import Roster, obscodes_frame
from dashboard_app.sky.source_schema import SOURCE_TABLES_BY_NAME
from dashboard_app.sky.tracklets import FILED_NONE, FILED_PRIMARY, FILED_SECONDARY

_B62 = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype="uint8")
_B36 = _B62[:36]
STR = pd.StringDtype("pyarrow", na_value=np.nan)
TEXT = pa.large_string()  # what pandas "str" stores: building it directly avoids a copy
PENDING_DAYS = 10
PHOTOGRAPHIC_BEFORE_US = 788_918_400_000_000  # 1995-01-01
GAIA_FROM_US = 1_451_606_400_000_000  # 2016-01-01


def str_series(values) -> pd.Series:
    """A pandas ``str`` Series from a pyarrow array or a sequence (None → missing)."""
    arr = values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(values, type=TEXT, from_pandas=True)
    return pd.Series(arr, dtype=STR)


def encode(values: np.ndarray, width: int, alphabet: np.ndarray = _B62) -> pa.Array:
    """Fixed-width base-``len(alphabet)`` codes of non-negative integers, as an Arrow string array."""
    base = len(alphabet)
    # Two digits at a time: a table of every digit pair as one uint16 (first character at the lower address).
    pairs = np.stack(np.meshgrid(alphabet, alphabet, indexing="ij"), axis=-1).reshape(-1, 2)
    pair16 = np.ascontiguousarray(pairs).view("uint16").ravel()
    v = np.asarray(values, "int64")
    n_pairs, odd = divmod(width, 2)
    chars = np.empty((len(v), width), dtype="uint8")
    body = np.empty((len(v), n_pairs), dtype="uint16")
    for j in range(n_pairs - 1, -1, -1):
        q = v // (base * base)
        body[:, j] = np.take(pair16, v - q * (base * base))
        v = q
    chars[:, odd:] = body.view("uint8").reshape(len(v), 2 * n_pairs)
    if odd:
        chars[:, 0] = np.take(alphabet, v % base)
    offsets = np.arange(0, (len(chars) + 1) * width, width, dtype="int64")
    return pa.LargeStringArray.from_buffers(len(chars), pa.py_buffer(offsets), pa.py_buffer(chars))


def scramble(values: np.ndarray, salt: int, modulus: int) -> np.ndarray:
    """Distinct integers in [0, modulus) for distinct values < modulus (ids that look random, never collide)."""
    # Multiplication by a number coprime to the modulus is a bijection: codes stay unique.
    return (np.asarray(values, "int64") * 1_000_003 + salt) % modulus


def _arrow(strings) -> pa.Array:
    return strings if isinstance(strings, pa.Array) else pa.array(list(strings), type=TEXT, from_pandas=True)


def _take(strings, idx: np.ndarray) -> pa.Array:
    return _arrow(strings).take(pa.array(np.asarray(idx, "int64")))


def take_or_null(strings, idx: np.ndarray, valid: np.ndarray) -> pa.Array:
    """``strings[idx]`` where ``valid``, NULL elsewhere."""
    valid = np.asarray(valid, bool)
    index = pa.array(np.where(valid, idx, 0).astype("int64"), mask=~valid)
    return _arrow(strings).take(index)


def _if_else(mask: np.ndarray, yes, no) -> pa.Array:
    """Text ``yes`` where ``mask``, else ``no`` (each a str, None = NULL, or an Arrow array)."""
    yes = yes if isinstance(yes, pa.Array) else pa.scalar(yes, TEXT)
    no = no if isinstance(no, pa.Array) else pa.scalar(no, TEXT)
    return pc.if_else(pa.array(np.asarray(mask, bool)), yes, no)


def _choose(mask: np.ndarray, yes: str | None, no: str | None) -> pd.Series:
    """A text column: ``yes`` where ``mask``, else ``no`` (None = NULL)."""
    return str_series(_if_else(mask, yes, no))


def _char(mask: np.ndarray, char: str) -> pd.Series:
    return _choose(mask, char, None)


def _digits(chars: np.ndarray, col: int, values: np.ndarray, width: int) -> None:
    """Write non-negative integers ``values`` as zero-padded decimal text into ``chars[:, col:col + width]``."""
    v = np.asarray(values, "int64")
    for j in range(width - 1, -1, -1):
        chars[:, col + j] = 48 + v % 10
        v = v // 10


def obs80_bits(t_us: np.ndarray, ra: np.ndarray, dec: np.ndarray) -> pa.Array:
    """``obs80_bit``: columns 16–56 of the 80-column record, i.e. date, RA and Dec as published.

    ``YYYY MM DD.ddddddHH MM SS.sss+DD MM SS.ss`` (41 characters: date to 1e-6 day, RA to
    1 ms of time, Dec to 0.01"). Two rows of one object and station with the same text are
    the same observation published twice.
    """
    n = len(t_us)
    t = np.asarray(t_us, "int64")
    day_us = 86_400_000_000
    days = np.floor_divide(t, day_us)
    d = days.astype("datetime64[D]")
    years = d.astype("datetime64[Y]")
    months = d.astype("datetime64[M]")
    frac = np.minimum(np.rint((t - days * day_us) / day_us * 1e6).astype("int64"), 999_999)
    chars = np.full((n, 41), 32, dtype="uint8")
    _digits(chars, 0, years.astype("int64") + 1970, 4)
    _digits(chars, 5, (months - years.astype("datetime64[M]")).astype("int64") + 1, 2)
    _digits(chars, 8, (d - months.astype("datetime64[D]")).astype("int64") + 1, 2)
    chars[:, 10] = 46
    _digits(chars, 11, frac, 6)
    ra_ms = np.rint(np.mod(np.asarray(ra, "float64"), 360.0) / 15.0 * 3_600_000).astype("int64") % 86_400_000
    _digits(chars, 17, ra_ms // 3_600_000, 2)
    _digits(chars, 20, ra_ms // 60_000 % 60, 2)
    _digits(chars, 23, ra_ms // 1000 % 60, 2)
    chars[:, 25] = 46
    _digits(chars, 26, ra_ms % 1000, 3)
    dec = np.asarray(dec, "float64")
    dec_cs = np.rint(np.abs(dec) * 360_000).astype("int64")
    chars[:, 29] = np.where(dec < 0, 45, 43)
    _digits(chars, 30, dec_cs // 360_000, 2)
    _digits(chars, 33, dec_cs // 6000 % 60, 2)
    _digits(chars, 36, dec_cs // 100 % 60, 2)
    chars[:, 38] = 46
    _digits(chars, 39, dec_cs % 100, 2)
    offsets = np.arange(0, (n + 1) * 41, 41, dtype="int64")
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(chars)))


def obs_sbn(
    obs: Observations,
    ids: np.ndarray,
    order: np.ndarray,
    trk: pd.DataFrame,
    trkid_codes: pa.Array,
    objects: pd.DataFrame,
    sec_unpacked: list[str],
    now_us: int,
    roster: Roster,
    seed: int,
) -> pd.DataFrame:
    """The ``obs_sbn`` frame in ``id`` order (``order`` = observation rows sorted by id)."""
    o = order
    rows = obs.trk[o]
    obj = obs.obj[o]
    col = {name: trk[name].to_numpy()[rows] for name in ("provid_kind", "permid_filed", "sec", "itf", "file_as")}
    col |= {name: trk[name].to_numpy()[rows] for name in ("padded", "empty_permid", "empty_trkid", "empty_band")}
    kind = col["provid_kind"]
    permid_ok = col["permid_filed"] & objects["numbered"].to_numpy()[obj]
    primary = objects["provid"].tolist()
    filed_as = np.where(col["file_as"] >= 0, col["file_as"], obj)  # another object's designation (a trap)
    provid_primary = take_or_null(primary, filed_as, kind == FILED_PRIMARY)
    provid_primary = pc.if_else(
        pa.array(col["padded"]),
        pc.binary_join_element_wise(provid_primary, pa.scalar(" ", TEXT), pa.scalar("", TEXT)),
        provid_primary,
    )
    provid_secondary = take_or_null(sec_unpacked, col["sec"], kind == FILED_SECONDARY)
    provid = pc.if_else(pa.array(kind == FILED_SECONDARY), provid_secondary, provid_primary)
    assert not np.any((kind == FILED_NONE) & ~permid_ok & ~col["itf"])
    trk_key = trk["trk_key"].to_numpy()[rows]
    trkid = take_or_null(trkid_codes, trk_key, trk_key >= 0)
    trkid = _if_else(col["empty_trkid"] & (trk_key < 0), "", trkid)
    permid = take_or_null(objects["permid"].tolist(), obj, permid_ok)
    permid = _if_else(col["empty_permid"] & ~permid_ok, "", permid)
    band = _take(band_codes(), obs.band[o])
    band = _if_else(col["empty_band"], "", band)
    trksub = encode(scramble(rows, seed * 7 + 3, 36**7), 7, _B36)
    t = obs.t[o]
    itf = col["itf"]
    status = _if_else(itf, "I", _if_else(t > now_us - PENDING_DAYS * DAY_US, "p", "P"))
    frame = pd.DataFrame(
        {
            "id": ids[o],
            "trksub": str_series(trksub),
            "trkid": str_series(trkid),
            "obsid": str_series(encode(scramble(ids[o], seed * 13 + 5, 62**10), 10)),
            "obs80_bit": str_series(obs80_bits(t, obs.ra[o], obs.dec[o])),
            "permid": str_series(permid),
            "provid": str_series(provid),
            "stn": str_series(_take(roster.codes.tolist(), obs.stn[o])),
            "mode": _choose(t < PHOTOGRAPHIC_BEFORE_US, "PHO", "CCD"),
            "obstime": t.astype("datetime64[us]"),
            "ra": obs.ra[o],
            "dec": obs.dec[o],
            "mag": obs.mag[o],
            "band": str_series(band),
            "astcat": _choose(t < GAIA_FROM_US, "UCAC4", "Gaia2"),
            "disc": _char(obs.disc[o], DISCOVERY_FLAG),
            "deprecated": _char(obs.deprecated[o], DEPRECATED_FLAG),
            "status": str_series(status),
        }
    )
    return frame[list(SOURCE_TABLES_BY_NAME["obs_sbn"].column_names)]


def _timestamps(us: np.ndarray) -> np.ndarray:
    return (np.asarray(us, "int64") // 1_000_000 * 1_000_000).astype("datetime64[us]")


def _padded(objects: pd.DataFrame, column: str, pattern: str) -> list:
    """``objects[column]`` as a list, formatted with ``pattern`` (stray spaces) where ``padded_names``."""
    values = objects[column].tolist()
    if "padded_names" not in objects:
        return values
    return [pattern.format(v) if pad else v for v, pad in zip(values, objects["padded_names"].tolist(), strict=True)]


def orbit_type(q: np.ndarray, e: np.ndarray) -> np.ndarray:
    """MPC orbit_type_int from q and e (Atira 0, Aten 1, Apollo 2, Amor 3, Mars crosser 10, main belt 11)."""
    a = q / (1 - e)
    big_q = a * (1 + e)
    return np.select(
        [(a < 1) & (big_q < 0.983), a < 1, q < 1.017, q < 1.3, (q > 1.3) & (q < 1.666) & (a < 3.2)],
        [0, 1, 2, 3, 10],
        default=11,
    )


def mpc_orbits(objects: pd.DataFrame, nobs: np.ndarray, now_us: int, rng: np.random.Generator) -> pd.DataFrame:
    """One row per object with an orbit (``in_orbits``), ids in random order."""
    o = objects[objects["in_orbits"].to_numpy()].reset_index()
    n = len(o)
    q, e = o["q"].to_numpy(), o["e"].to_numpy()
    otype = pd.array(orbit_type(q, e), dtype="Int64")
    otype[(rng.random(n) < 0.35) | (q == 1.30)] = pd.NA  # about a third NULL in the real table; 1.30: no class
    a = np.where(rng.random(n) < 0.43, np.round(q / (1 - e), 6), np.nan)
    created = np.minimum(o["desig_t"].to_numpy() + 20 * DAY_US, now_us - DAY_US)
    updated = np.maximum(created, now_us - (rng.random(n) * 400 * DAY_US).astype("int64"))
    frame = pd.DataFrame(
        {
            "id": rng.permutation(n).astype("int64") + 1,
            "packed_primary_provisional_designation": str_series(o["packed"].tolist()),
            "unpacked_primary_provisional_designation": str_series(_padded(o, "provid", " {}")),
            "q": q,
            "e": e,
            "i": o["i"].to_numpy(),
            "node": o["node"].to_numpy(),
            "argperi": o["argperi"].to_numpy(),
            "a": a,
            "h": o["h"].to_numpy(),
            "g": np.where(np.isnan(o["h"].to_numpy()), np.nan, 0.15),
            "epoch_mjd": np.full(n, 61000.0),
            "earth_moid": np.where(rng.random(n) < 0.3, np.round(np.abs(rng.normal(0, 0.15, n)), 6), np.nan),
            "orbit_type_int": otype,
            "nopp": pd.array(np.maximum(1, (now_us - o["t_disc"].to_numpy()) // (400 * DAY_US)), dtype="Int64"),
            "nobs_total": pd.array(nobs[o["index"].to_numpy()], dtype="Int64"),
            "created_at": _timestamps(created),
            "updated_at": _timestamps(updated),
        }
    )
    frame = frame.sort_values("id", kind="stable").reset_index(drop=True)
    return frame[list(SOURCE_TABLES_BY_NAME["mpc_orbits"].column_names)]


def numbered_identifications(objects: pd.DataFrame, now_us: int) -> pd.DataFrame:
    """One row per numbered object with an orbit, in number order."""
    o = objects[(objects["numbered"] & objects["in_orbits"]).to_numpy()]
    o = o.assign(num=o["permid"].astype("int64")).sort_values("num")
    created = _timestamps(np.minimum(o["t_disc"].to_numpy() + 3 * 365 * DAY_US, now_us - DAY_US))
    frame = pd.DataFrame(
        {
            "id": np.arange(1, len(o) + 1, dtype="int64"),
            "packed_primary_provisional_designation": str_series(o["packed"].tolist()),
            "unpacked_primary_provisional_designation": str_series(_padded(o, "provid", "{} ")),
            "permid": str_series(_padded(o, "permid", " {}")),
            "created_at": created,
            "updated_at": created,
        }
    )
    return frame[list(SOURCE_TABLES_BY_NAME["numbered_identifications"].column_names)]


def current_identifications(
    objects: pd.DataFrame, secondaries: pd.DataFrame, sec_unpacked: list[str], sec_packed: list[str], now_us: int
) -> pd.DataFrame:
    """Primary = secondary for objects without secondaries, one row per secondary otherwise."""
    des = objects[objects["designated"].to_numpy()].reset_index()
    has_sec = np.isin(des["index"].to_numpy(), secondaries["obj"].to_numpy())
    alone = des[~has_sec]
    sec_obj = objects.loc[secondaries["obj"].to_numpy()]
    prim_u = [*alone["provid"].tolist(), *sec_obj["provid"].tolist()]
    prim_p = [*alone["packed"].tolist(), *sec_obj["packed"].tolist()]
    numbered = np.concatenate([alone["numbered"].to_numpy(), sec_obj["numbered"].to_numpy()]).astype(bool)
    t = np.concatenate([alone["desig_t"].to_numpy(), secondaries["t"].to_numpy()])
    padded = sec_obj["padded_names"].to_numpy(bool) if "padded_names" in sec_obj else np.zeros(len(sec_obj), bool)
    sec_pad = padded.tolist()  # a secondary designation with a trailing space
    frame = pd.DataFrame(
        {
            "id": np.arange(1, len(prim_u) + 1, dtype="int64"),
            "packed_primary_provisional_designation": str_series(prim_p),
            "unpacked_primary_provisional_designation": str_series(prim_u),
            "packed_secondary_provisional_designation": str_series([*alone["packed"].tolist(), *sec_packed]),
            "unpacked_secondary_provisional_designation": str_series(
                [
                    *alone["provid"].tolist(),
                    *[f"{des} " if pad else des for des, pad in zip(sec_unpacked, sec_pad, strict=True)],
                ]
            ),
            "numbered": numbered,
            "object_type": pd.array(np.zeros(len(prim_u), dtype="int64"), dtype="Int64"),
            "published": pd.array(np.full(len(prim_u), 2), dtype="Int64"),
            "created_at": _timestamps(np.minimum(t, now_us - DAY_US)),
            "updated_at": _timestamps(np.minimum(t + 30 * DAY_US, now_us - DAY_US)),
        }
    )
    return frame[list(SOURCE_TABLES_BY_NAME["current_identifications"].column_names)]


def obscodes() -> pd.DataFrame:
    """The ``obscodes`` frame (every roster code except the planted missing ones)."""
    return obscodes_frame()[list(SOURCE_TABLES_BY_NAME["obscodes"].column_names)]
