"""The exporter's SQL against the real ``mpc_sbn`` tables: small tables once, ``obs_sbn`` by batched probes.

The discovery step runs once per export. The session is read-only (no temporary
tables), so the keys live client-side: the small tables (``mpc_orbits``,
``numbered_identifications``, ``current_identifications``) are read once and the
exporter numbers the NEOs itself; every later query gets a batch of NEOs back as
literal arrays (``unnest(ARRAY[...])``) and probes ``obs_sbn`` per designation,
per number or per ``trkid``, bounded in ``obstime`` where a window applies:

- :data:`DISCOVERY` — each NEO's earliest non-deprecated ``disc='*'`` observation
  (ties: lowest ``id``), filed under its number or (with no number on the
  observation) one of its provisional designations;
- :data:`MISSING_OBSERVATIONS` — the observations of NEOs without one (counted client-side);
- :data:`TRACKLETS` — observations with the discovery's ``trkid`` within ±12 h;
- :data:`OBSERVATIONS` — every observation of each NEO, all time (apparitions, lifetime, site depth);
- :data:`OBS80_BITS` — ``obs80_bit`` of the few rows that may be duplicates.

Each probe is a ``LATERAL`` subquery with ``OFFSET 0``, so PostgreSQL executes it
as a parameterised index scan per outer row whatever its statistics say: nothing
ever scans ``obs_sbn``. Empty strings in ``permid``, ``trkid`` and ``band`` mean
NULL (:data:`~dashboard_app.definitions.EMPTY_TEXT_RULE`). Times leave the database
as integer microseconds since 1970 and come back as exact timestamp text, so windows
are compared without rounding. Constants come from ``dashboard_app.definitions``
and are written into the SQL as literals (COPY cannot take bind parameters).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from psycopg import sql

from dashboard_app.definitions import (
    DEPRECATED_FLAG,
    DISCOVERY_FLAG,
    NEO_Q_MAX_AU,
    TRACKLET_HALF_WINDOW_HOURS,
)

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "mpc_orbits": (
        "unpacked_primary_provisional_designation", "packed_primary_provisional_designation", "q", "e", "i", "h",
    ),
    "numbered_identifications": ("unpacked_primary_provisional_designation", "permid"),
    "current_identifications": (
        "unpacked_primary_provisional_designation", "unpacked_secondary_provisional_designation",
    ),
    "obs_sbn": (
        "id", "trkid", "obs80_bit", "permid", "provid", "stn", "obstime", "ra", "dec", "mag", "band", "disc",
        "deprecated",
    ),
    "obscodes": ("obscode", "name", "longitude", "rhocosphi", "rhosinphi", "observations_type"),
}  # fmt: skip
"""Table → the columns the export's queries read (checked by ``export --check``)."""

_USEC = "(extract(epoch FROM {t}) * 1000000)::bigint"
_LIVE = "(o.deprecated IS NULL OR o.deprecated <> {deprecated})"
_UNNUMBERED = "(o.permid IS NULL OR o.permid = '')"
"""An observation filed without a number (the optional tier's partial index has exactly this predicate)."""
_NUMBERED = "o.permid <> ''"
_OBS_TIME = "(o.obstime + interval '0 s')"
"""``o.obstime`` in window conditions, written so that no plan can probe the replica's obstime index with the
window (a ±200-day range of every object's observations, intersected per NEO, reads millions of index entries on
the real table); the window stays a filter on the rows a designation, number or trkid probe found."""
"""Written beside ``o.permid = n.permid`` so the planner can use an index WHERE permid <> ''."""

NEOS = """
SELECT btrim(o.unpacked_primary_provisional_designation) AS provid,
       btrim(o.packed_primary_provisional_designation) AS packed_provid,
       NULLIF(btrim(n.permid), '') AS permid, o.q, o.e, o.i, o.h
FROM mpc_orbits AS o
LEFT JOIN numbered_identifications AS n
       ON btrim(n.unpacked_primary_provisional_designation) = btrim(o.unpacked_primary_provisional_designation)
WHERE o.q <= {q_max}
"""
"""Every NEO (``mpc_orbits`` row with q ≤ the limit) with its number; designations trimmed."""

SECONDARY_DESIGNATIONS = """
SELECT DISTINCT btrim(c.unpacked_primary_provisional_designation) AS provid,
       btrim(c.unpacked_secondary_provisional_designation) AS des
FROM current_identifications AS c
JOIN mpc_orbits AS o
  ON btrim(o.unpacked_primary_provisional_designation) = btrim(c.unpacked_primary_provisional_designation)
WHERE o.q <= {q_max} AND btrim(c.unpacked_secondary_provisional_designation) <> ''
"""
"""(NEO designation, secondary designation) pairs from ``current_identifications``."""

_PROBES = """
    SELECT d.neo_key{outer}, o.*
    FROM unnest({des_keys}::bigint[], {des}::text[]{des_extra}) AS d(neo_key, des{outer_names})
    CROSS JOIN LATERAL (
        SELECT {cols} FROM obs_sbn AS o
        WHERE o.provid = d.des AND {unnumbered} AND {live}{cond}
        OFFSET 0
    ) AS o
    UNION ALL
    SELECT d.neo_key{outer}, o.*
    FROM unnest({num_keys}::bigint[], {numbers}::text[]{num_extra}) AS d(neo_key, permid{outer_names})
    CROSS JOIN LATERAL (
        SELECT {cols} FROM obs_sbn AS o
        WHERE o.permid = d.permid AND {numbered} AND {live}{cond}
        OFFSET 0
    ) AS o
"""


def _probes(cols: str, cond: str = "", *, with_time: bool = False) -> str:
    """Observations of a batch of NEOs by two kinds of index probe: per designation and per number.

    An observation with a number is found only through its number (it belongs to the numbered
    object); one without, only through its designation. ``with_time`` passes each NEO's discovery
    time along as ``d.disc_time`` (for windows).
    """
    extra = {"outer": ", d.disc_time", "outer_names": ", disc_time"} if with_time else {"outer": "", "outer_names": ""}
    text = _PROBES
    for key, value in {
        **extra,
        "des_extra": ", {des_times}::timestamp[]" if with_time else "",
        "num_extra": ", {num_times}::timestamp[]" if with_time else "",
        "cols": cols,
        "cond": cond,
        "unnumbered": _UNNUMBERED,
        "numbered": _NUMBERED,
    }.items():
        text = text.replace("{" + key + "}", value)
    return text


DISCOVERY = (
    """
SELECT DISTINCT ON (neo_key) neo_key, id, {t_us} AS t_us, stn, NULLIF(trkid, '') AS trkid,
       ra, dec, mag, NULLIF(band, '') AS band
FROM ("""
    + _probes("o.id, o.obstime, o.stn, o.trkid, o.ra, o.dec, o.mag, o.band", " AND o.disc = {disc}")
    + """) AS candidate
ORDER BY neo_key, obstime, id
"""
)
"""Each NEO's discovery observation: the earliest live ``disc='*'`` row under any of its names, ties by ``id``."""

MISSING_OBSERVATIONS = (
    """
SELECT neo_key, id, stn, {t_us} AS t_us, obs80_bit
FROM ("""
    + _probes("o.id, o.stn, o.obstime, o.obs80_bit")
    + """) AS found
"""
)
"""Live observations of NEOs without a discovery observation (counted client-side, duplicates once)."""

TRACKLETS = """
SELECT a.neo_key, o.id, {obs_t_us} AS t_us, o.stn, o.ra, o.dec, o.mag, NULLIF(o.band, '') AS band, o.obs80_bit
FROM unnest({keys}::bigint[], {trkids}::text[], {times}::timestamp[]) AS a(neo_key, trkid, obstime)
CROSS JOIN LATERAL (
    SELECT o.id, o.obstime, o.stn, o.ra, o.dec, o.mag, o.band, o.obs80_bit FROM obs_sbn AS o
    WHERE o.trkid = a.trkid
      AND {obs_time} BETWEEN a.obstime - {trk_half} AND a.obstime + {trk_half}
      AND {live}
    OFFSET 0
) AS o
"""
"""Observations of each discovery tracklet (same non-empty ``trkid``, ±12 h of the discovery)."""

OBSERVATIONS = (
    """
SELECT neo_key, id, stn, NULLIF(trkid, '') AS trkid, {dt_us} AS dt_us, mag, NULLIF(band, '') AS band
FROM ("""
    + _probes("o.id, o.stn, o.trkid, o.obstime, o.mag, o.band", with_time=True)
    + """) AS o
"""
)
"""Every live observation of each NEO, all time: station, trkid, Δt (µs) from its discovery, mag, band.

One read serves three tables: the rows within ±200 days give ``apparitions``, all of them
``lifetime``, and their band-corrected magnitudes ``site_depth``. The exporter counts
tracklets and observations per window in NumPy (``tables.window_counts``): PostgreSQL's
FILTER aggregates over millions of rows cost more than sending the rows.
"""

OBS80_BITS = """
SELECT o.id, o.obs80_bit
FROM unnest({ids}::bigint[]) AS r(id)
CROSS JOIN LATERAL (SELECT o.id, o.obs80_bit FROM obs_sbn AS o WHERE o.id = r.id OFFSET 0) AS o
"""
"""``obs80_bit`` of chosen rows by primary key (the possible duplicates among the apparition rows)."""

STATIONS = """
SELECT obscode AS stn, name, longitude, rhocosphi, rhosinphi, NULLIF(btrim(observations_type), '') AS obs_type
FROM obscodes
"""
"""The observatory codes (a small table)."""

NEWEST_OBSERVATION = """
SELECT {newest_us} FROM obs_sbn
"""
"""The newest observation time in ``obs_sbn`` (one backward step of the obstime index)."""


def _constants() -> dict[str, sql.Composable]:
    return {
        "q_max": sql.Literal(NEO_Q_MAX_AU),
        "disc": sql.Literal(DISCOVERY_FLAG),
        "live": sql.SQL(_LIVE).format(deprecated=sql.Literal(DEPRECATED_FLAG)),
        "trk_half": sql.SQL("make_interval(secs => {})").format(sql.Literal(round(TRACKLET_HALF_WINDOW_HOURS * 3600))),
        "t_us": sql.SQL(_USEC.format(t="obstime")),
        "obs_t_us": sql.SQL(_USEC.format(t="o.obstime")),
        "dt_us": sql.SQL(_USEC.format(t="obstime - disc_time")),
        "newest_us": sql.SQL(_USEC.format(t="max(obstime)")),
        "obs_time": sql.SQL(_OBS_TIME),
    }


def compose(body: str, **arrays: sql.Composable) -> sql.Composed:
    """The query ``body`` (one of this module's constants) with its constants and the given array literals."""
    params = _constants() | arrays
    names = {name for name in params if "{" + name + "}" in body}
    missing = {part.split("}")[0] for part in body.split("{")[1:]} - set(params)
    if missing:
        raise ValueError(f"no value for {sorted(missing)}")
    # The constants hold {…} of their own only as literals, so formatting once is enough.
    return sql.SQL(body.strip()).format(**{k: params[k] for k in names})


def array(values: Sequence | np.ndarray) -> sql.Literal:
    """A literal array of ints or texts (None → NULL), cast in the query (``{x}::bigint[]``)."""
    items = values.tolist() if isinstance(values, np.ndarray) else list(values)
    return sql.Literal(items)


def timestamps(us: Sequence[int] | np.ndarray) -> sql.Literal:
    """A literal array of exact UTC timestamps (``timestamp[]`` text) from integer microseconds since 1970."""
    text = np.datetime_as_string(np.asarray(us, "int64").astype("datetime64[us]"), unit="us")
    return sql.Literal(text.tolist())


def small_table_queries() -> dict[str, sql.Composed]:
    """Stage name → query of the stages that read only small tables (run once per export)."""
    return {
        "neos": compose(NEOS),
        "designations": compose(SECONDARY_DESIGNATIONS),
        "stations": compose(STATIONS),
        "newest": compose(NEWEST_OBSERVATION),
    }


def probe_queries(sample: Mapping[str, Sequence]) -> dict[str, sql.Composed]:
    """Stage name → the batched ``obs_sbn`` query for a ``sample`` batch (what the plan checks EXPLAIN).

    ``sample`` has ``keys``, ``des``, ``numbers`` (one per key, None when unnumbered) and ``times_us``
    (one per key), as :mod:`dashboard_app.exporter.stages` builds them.
    """
    keys = list(sample["keys"])
    des, numbers, times = list(sample["des"]), list(sample["numbers"]), list(sample["times_us"])
    num_idx = [i for i, n in enumerate(numbers) if n]
    probe = {
        "des_keys": array(keys),
        "des": array(des),
        "num_keys": array([keys[i] for i in num_idx]),
        "numbers": array([numbers[i] for i in num_idx]),
    }
    timed = probe | {"des_times": timestamps(times), "num_times": timestamps([times[i] for i in num_idx])}
    return {
        "discovery": compose(DISCOVERY, **probe),
        "missing": compose(MISSING_OBSERVATIONS, **probe),
        "tracklets": compose(
            TRACKLETS, keys=array(keys), trkids=array([f"trk{k}" for k in keys]), times=timestamps(times)
        ),
        "apparitions": compose(OBSERVATIONS, **timed),
        "duplicates": compose(OBS80_BITS, ids=array(keys)),
    }
