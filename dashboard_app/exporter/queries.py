"""The exporter's SQL against the real ``mpc_sbn`` tables, one query per stage.

Every query starts from the same common table expressions, so each is
self-contained (it can be EXPLAINed alone) and, inside the export's one
REPEATABLE READ transaction, sees the same rows:

- ``neo``: ``mpc_orbits`` rows with q ≤ the NEO limit, numbered 1..N in binary
  order of the unpacked primary provisional designation, with the number from
  ``numbered_identifications``;
- ``designation``: each NEO's primary and secondary provisional designations
  (``current_identifications``);
- ``discovery``: each NEO's earliest non-deprecated ``disc='*'`` observation,
  filed under its number or (with no number on the observation) one of its
  provisional designations — including the one it had before numbering.

Observations are found by indexed probes only (see ``setup_sql.py``): by
``permid``, by ``provid`` (only rows without a ``permid``: a numbered
observation belongs to its number), by ``trkid``, each bounded in ``obstime``
where a window applies. Nothing scans ``obs_sbn``. Times leave the database as
integer microseconds since 1970 (exact) so windows are compared without
rounding. The definitions' numbers come from ``dashboard_app.definitions`` and
are written into the SQL as literals (they are constants, never user input);
COPY cannot take bind parameters.
"""

from __future__ import annotations

from psycopg import sql

from dashboard_app.definitions import (
    APPARITION_HALF_WINDOW_DAYS,
    DISCOVERY_FLAG,
    NEO_Q_MAX_AU,
    TRACKLET_HALF_WINDOW_HOURS,
)

DEPRECATED_FLAG = "X"
"""``obs_sbn.deprecated`` value of a deprecated observation (never counted)."""

_PROBES = """
    SELECT {outer_cols}, o.*
    FROM {outer_by_des}
    CROSS JOIN LATERAL (
        SELECT {obs_cols} FROM obs_sbn AS o
        WHERE o.provid = d.des AND o.permid IS NULL AND {live}{cond_des}
        OFFSET 0
    ) AS o
    UNION ALL
    SELECT {outer_cols}, o.*
    FROM {outer_by_num}
    CROSS JOIN LATERAL (
        SELECT {obs_cols} FROM obs_sbn AS o
        WHERE o.permid = n.permid AND {live}{cond_num}
        OFFSET 0
    ) AS o
    WHERE n.permid IS NOT NULL
"""


def _probes(outer_cols: str, outer_by_des: str, outer_by_num: str, obs_cols: str, cond: str = "") -> str:
    """Observations of each NEO by two kinds of index probe, one per designation and one per number.

    ``outer_by_des`` must expose ``d.des`` and ``outer_by_num`` ``n.permid``; ``outer_cols``
    are selected from both. ``OFFSET 0`` keeps each probe a parameterised index scan
    executed per outer row, whatever the statistics (never a merge or hash join over
    ``obs_sbn``). An observation with a ``permid`` is found only through its number.
    """
    return (
        _PROBES.replace("{outer_cols}", outer_cols)
        .replace("{outer_by_des}", outer_by_des)
        .replace("{outer_by_num}", outer_by_num)
        .replace("{obs_cols}", obs_cols)
        .replace("{cond_des}", cond)
        .replace("{cond_num}", cond)
    )


_COMMON = (
    """
WITH neo AS (
    SELECT row_number() OVER (ORDER BY o.unpacked_primary_provisional_designation COLLATE "C") AS neo_key,
           o.unpacked_primary_provisional_designation AS provid,
           o.packed_primary_provisional_designation AS packed_provid,
           n.permid, o.q, o.e, o.i, o.h
    FROM mpc_orbits AS o
    LEFT JOIN numbered_identifications AS n
           ON n.unpacked_primary_provisional_designation = o.unpacked_primary_provisional_designation
    WHERE o.q <= {q_max}
),
designation AS (
    SELECT neo_key, provid AS des FROM neo
    UNION
    SELECT neo.neo_key, c.unpacked_secondary_provisional_designation
    FROM neo
    JOIN current_identifications AS c ON c.unpacked_primary_provisional_designation = neo.provid
    WHERE c.unpacked_secondary_provisional_designation IS NOT NULL
),
discovery AS (
    SELECT DISTINCT ON (neo_key) *
    FROM ("""
    + _probes(
        "neo_key",
        "designation AS d",
        "neo AS n",
        "o.id, o.obstime, o.stn, o.trkid, o.ra, o.dec, o.mag, o.band",
        " AND o.disc = {disc}",
    )
    + """) AS candidate
    ORDER BY neo_key, obstime, id
)
"""
)

_USEC = "(extract(epoch FROM {t}) * 1000000)::bigint"

NEOS = """
SELECT n.neo_key, n.provid, n.packed_provid, n.permid, n.q, n.e, n.i, n.h,
       a.id AS disc_obs_id, {disc_us} AS disc_us, a.stn AS disc_stn, a.trkid AS disc_trkid
FROM neo AS n
LEFT JOIN discovery AS a USING (neo_key)
"""
"""Every NEO with its discovery observation (NULLs when it has none): one row per NEO."""

MISSING_COUNTS = (
    """
, missing AS MATERIALIZED (
    SELECT n.neo_key, n.permid FROM neo AS n
    WHERE NOT EXISTS (SELECT FROM discovery AS a WHERE a.neo_key = n.neo_key)
),
missing_designation AS MATERIALIZED (
    SELECT neo_key, d.des FROM missing JOIN designation AS d USING (neo_key)
)
SELECT neo_key, count(*) AS n_obs
FROM ("""
    + _probes("neo_key", "missing_designation AS d", "missing AS n", "o.id")
    + """) AS found
GROUP BY neo_key
"""
)
"""Non-deprecated observation counts of the NEOs without a discovery observation."""

TRACKLETS = """
SELECT a.neo_key, o.id, {obs_us} AS t_us, o.ra, o.dec, o.mag, o.band, a.ra AS disc_ra
FROM discovery AS a
CROSS JOIN LATERAL (
    SELECT o.id, o.obstime, o.ra, o.dec, o.mag, o.band FROM obs_sbn AS o
    WHERE o.trkid = a.trkid
      AND o.obstime BETWEEN a.obstime - {trk_half} AND a.obstime + {trk_half}
      AND {live}
    OFFSET 0
) AS o
WHERE a.trkid IS NOT NULL
UNION ALL
SELECT a.neo_key, a.id, {disc_us} AS t_us, a.ra, a.dec, a.mag, a.band, a.ra AS disc_ra
FROM discovery AS a
WHERE a.trkid IS NULL
"""
"""Observations of each discovery tracklet (same trkid, ±12 h; the discovery alone without trkid)."""

APPARITION_OBSERVATIONS = (
    """
SELECT neo_key, stn, trkid, id, {dt_us} AS dt_us
FROM ("""
    + _probes(
        "neo_key, a.obstime AS disc_obstime",
        "discovery AS a JOIN designation AS d USING (neo_key)",
        "discovery AS a JOIN neo AS n USING (neo_key)",
        "o.id, o.stn, o.trkid, o.obstime",
        " AND o.obstime BETWEEN a.obstime - {app_half} AND a.obstime + {app_half}",
    )
    + """) AS o
"""
)
"""Every non-deprecated observation of each NEO within ±200 days of its discovery: station, trkid, Δt (µs).

Streamed to the exporter, which counts tracklets and observations per window in
NumPy (``tables.apparitions_table``): PostgreSQL's FILTER aggregates over millions
of rows cost more than sending the rows.
"""


STATIONS = """
SELECT obscode AS stn, name, longitude, rhocosphi, rhosinphi
FROM obscodes
"""
"""The observatory codes (a small table)."""

NEWEST_OBSERVATION = """
SELECT {newest_us} FROM obs_sbn
"""
"""The newest observation time in ``obs_sbn`` (one backward step of the obstime index)."""


def _live(alias: str = "o") -> sql.Composable:
    return sql.SQL("({a}.deprecated IS NULL OR {a}.deprecated <> {flag})").format(
        a=sql.Identifier(alias), flag=sql.Literal(DEPRECATED_FLAG)
    )


def _params() -> dict[str, sql.Composable]:
    return {
        "q_max": sql.Literal(NEO_Q_MAX_AU),
        "disc": sql.Literal(DISCOVERY_FLAG),
        "live": _live(),
        "trk_half": sql.SQL("make_interval(secs => {})").format(sql.Literal(round(TRACKLET_HALF_WINDOW_HOURS * 3600))),
        "app_half": sql.SQL("make_interval(days => {})").format(sql.Literal(APPARITION_HALF_WINDOW_DAYS)),
        "disc_us": sql.SQL(_USEC.format(t="a.obstime")),
        "obs_us": sql.SQL(_USEC.format(t="o.obstime")),
        "dt_us": sql.SQL(_USEC.format(t="obstime - disc_obstime")),
        "newest_us": sql.SQL(_USEC.format(t="max(obstime)")),
    }


def compose(body: str, *, common: bool = True) -> sql.Composed:
    """The stage query ``body`` (one of this module's constants), after the common CTEs when ``common``."""
    text = (_COMMON + body) if common else body
    params = _params()
    return sql.SQL(text.strip()).format(**{k: v for k, v in params.items() if "{" + k + "}" in text})


def stage_queries() -> dict[str, sql.Composed]:
    """Stage name → its composed query (what the exporter runs, and what the plan check EXPLAINs)."""
    return {
        "neos": compose(NEOS),
        "missing": compose(MISSING_COUNTS),
        "tracklets": compose(TRACKLETS),
        "apparitions": compose(APPARITION_OBSERVATIONS),
        "stations": compose(STATIONS, common=False),
        "newest": compose(NEWEST_OBSERVATION, common=False),
    }
