"""Background for the synthetic sky: the other minor planets that make up 99 % of the real replica.

The real ``mpc_sbn`` holds ~35 other objects per NEO and ~100 observations of other
objects per NEO observation, plus ITF (``status='I'``) and pending (``'p'``) rows.
This module generates that background *inside PostgreSQL* (``generate_series`` and
a hash for randomness, deterministic for a seed), at ``factor`` × those proportions:
main-belt objects, Mars crossers and a few comet-like orbits (q > 1.30 au, never a
NEO), numbered or not, with designations that resemble the NEOs' (same years and
half-months, longer cycle counts, e.g. ``2019 AB1`` / ``2019 AB100``) but never equal
one; their observations carry the real table's traps (``permid ''``, ``trkid ''``,
``band ''``, deprecated rows) and are interleaved with the NEO observations in the
table's physical order, as ingestion by time would leave them.

The background never touches a NEO's answers: no NEO designation, number or trkid
is reused (background trkids are 9 characters, the sky's 8), so an export with and
without it must be identical (``tests/exporter/test_background.py``). It is filler
for the planner and the page counts (``bench/export_setup.py``), not truth.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard_app.definitions import DEPRECATED_FLAG, DISCOVERY_FLAG

OBJECTS_PER_NEO = 35.0
"""Other objects per NEO in the real replica (~1.5 M orbits for ~44,000 NEOs)."""
OBSERVATIONS_PER_NEO_OBSERVATION = 100.0
"""Observations of other objects per NEO observation (~530 M rows, ~5 M of them NEO observations)."""
ITF_SHARE = 0.02
"""Share of the background rows that are unlinked ITF tracklets (``status = 'I'``)."""
MEAN_TRACKLET = 3.5
FIRST_YEAR, LAST_YEAR = 1990, 2025
ORDER_BASE = 100 * 25
"""Background designations start at cycle count 100 (the sky's NEOs stay far below)."""
MAX_ORDER = 620 * 25
STATION_WEIGHTS: dict[str, int] = {
    "G96": 22, "F51": 18, "F52": 9, "T08": 7, "T05": 7, "W68": 5, "M22": 5, "703": 5, "I41": 5, "704": 4,
    "691": 2, "C51": 1, "Q62": 1, "H21": 1, "J95": 1, "Z84": 1, "568": 1, "I52": 1, "807": 1, "T12": 1,
    "W84": 1, "V00": 1,
}  # fmt: skip
"""Stations of background tracklets (relative weights: mostly the big surveys)."""
BANDS = ("G", "G", "V", "w", "w", "o", "o", "c", "r", "g", "i", "R", "", None)


@dataclass(frozen=True)
class BackgroundPlan:
    """How much background to generate, and the id ranges it may use."""

    factor: float
    objects: int
    observations: int
    seed: int
    first_orbit_id: int
    first_number_id: int
    first_identification_id: int
    first_obs_id: int
    now: str  # the sky's data time (UTC, 'YYYY-MM-DD HH:MM:SS')

    @property
    def tracklets(self) -> int:
        return max(round(self.observations * (1 - ITF_SHARE) / MEAN_TRACKLET) - self.objects, 0)

    @property
    def itf_tracklets(self) -> int:
        return round(self.observations * ITF_SHARE / MEAN_TRACKLET)


def plan(factor: float, sky, seed: int | None = None) -> BackgroundPlan:
    """The background for ``sky`` at ``factor`` × the real proportions (0 → none)."""
    src = sky.source
    n_neo = len(sky.truth["discoveries"]) + len(sky.truth["missing_discoveries"])
    return BackgroundPlan(
        factor=factor,
        objects=round(factor * OBJECTS_PER_NEO * n_neo),
        observations=round(factor * OBSERVATIONS_PER_NEO_OBSERVATION * len(src["obs_sbn"])),
        seed=sky.seed if seed is None else seed,
        first_orbit_id=int(src["mpc_orbits"]["id"].max()) + 1,
        first_number_id=int(src["numbered_identifications"]["id"].max()) + 1,
        first_identification_id=int(src["current_identifications"]["id"].max()) + 1,
        first_obs_id=int(src["obs_sbn"]["id"].max()) + 1,
        now=sky.meta["newest_observation_utc"][:19].replace("T", " "),
    )


def _stations() -> list[str]:
    return [code for code, weight in STATION_WEIGHTS.items() for _ in range(weight)]


def _array(values) -> str:
    items = ", ".join("NULL" if v is None else "'" + v.replace("'", "''") + "'" for v in values)
    return f"ARRAY[{items}]::text[]"


def object_statements(p: BackgroundPlan) -> list[str]:
    """SQL that creates ``bg_obj`` (one row per background object) and adds them to the small tables."""
    stations = _stations()
    return [
        # u(x, salt): a uniform number in [0, 1) from a hash (deterministic, parallel-safe).
        f"""CREATE FUNCTION pg_temp.u(bigint, integer) RETURNS double precision LANGUAGE sql IMMUTABLE AS
            $$ SELECT (hashint8extended($1, {p.seed} * 1000 + $2) & 9007199254740991)::float8
                      / 9007199254740992.0 $$""",
        f"""CREATE TEMP TABLE bg_obj AS
            WITH raw AS (
                SELECT k,
                       {LAST_YEAR} - floor(({LAST_YEAR} - {FIRST_YEAR} + 1) * pg_temp.u(k, 1) ^ 2)::int AS year,
                       floor(24 * pg_temp.u(k, 2))::int AS half,
                       pg_temp.u(k, 3) AS kind, pg_temp.u(k, 4) AS r4, pg_temp.u(k, 5) AS r5
                FROM generate_series(1, {p.objects}) AS k
            ), ordered AS (
                SELECT *, ({ORDER_BASE} + row_number() OVER (PARTITION BY year, half ORDER BY k) - 1)::int AS ord
                FROM raw
            )
            SELECT k, year, half, ord, r4 < 0.55 AS numbered,
                   CASE WHEN kind < 0.85 THEN 1.7 + 1.5 * r5 WHEN kind < 0.99 THEN 1.3001 + 0.36 * r5
                        ELSE 1.31 + 3.0 * r5 END AS q,
                   CASE WHEN kind < 0.85 THEN 0.02 + 0.28 * r4 WHEN kind < 0.99 THEN 0.2 + 0.4 * r4
                        ELSE 0.5 + 0.45 * r4 END AS e,
                   year || ' ' || substr('ABCDEFGHJKLMNOPQRSTUVWXY', half + 1, 1)
                        || substr('ABCDEFGHJKLMNOPQRSTUVWXYZ', ord % 25 + 1, 1) || (ord / 25) AS provid,
                   CASE WHEN year < 2000 THEN 'J' ELSE 'K' END || lpad((year % 100)::text, 2, '0')
                        || substr('ABCDEFGHJKLMNOPQRSTUVWXY', half + 1, 1)
                        || substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
                                  ord / 250 + 1, 1) || (ord / 25 % 10)
                        || substr('ABCDEFGHJKLMNOPQRSTUVWXYZ', ord % 25 + 1, 1) AS packed,
                   make_timestamp(year, 1 + half / 2, 1 + 15 * (half % 2), 0, 0, 0)
                        + make_interval(secs => floor(14 * 86400 * r5)) AS t_disc,
                   ({_array(stations)})[1 + floor(pg_temp.u(k, 6) * {len(stations)})::int] AS disc_stn
            FROM ordered""",
        f"""DO $$ BEGIN
              IF (SELECT max(ord) FROM bg_obj) >= {MAX_ORDER} THEN
                RAISE EXCEPTION 'too many background objects in one half-month for the packed format';
              END IF;
            END $$""",
        # Numbers: the lowest ones the sky does not use, in object order.
        f"""CREATE TEMP TABLE bg_number AS
            WITH free AS (
                SELECT n, row_number() OVER (ORDER BY n) AS rn
                FROM generate_series(1, {p.objects} + (SELECT count(*) FROM numbered_identifications) + 1) AS n
                WHERE NOT EXISTS (SELECT FROM numbered_identifications AS ni WHERE ni.permid = n::text)
            ), wanted AS (
                SELECT k, row_number() OVER (ORDER BY k) AS rn FROM bg_obj WHERE numbered
            )
            SELECT wanted.k, free.n::text AS permid FROM wanted JOIN free USING (rn)""",
        "CREATE UNIQUE INDEX ON bg_number (k)",
        "ANALYZE bg_obj",
        f"""INSERT INTO mpc_orbits (id, packed_primary_provisional_designation,
                                   unpacked_primary_provisional_designation,
                                   q, e, i, node, argperi, a, h, g, epoch_mjd, orbit_type_int, nopp, nobs_total,
                                   created_at, updated_at)
            SELECT {p.first_orbit_id} + k - 1, packed, provid,
                   round(q::numeric, 6)::float8, round(e::numeric, 6)::float8,
                   round((30 * pg_temp.u(k, 7) ^ 2)::numeric, 4)::float8,
                   round((360 * pg_temp.u(k, 8))::numeric, 4)::float8,
                   round((360 * pg_temp.u(k, 9))::numeric, 4)::float8,
                   CASE WHEN pg_temp.u(k, 10) < 0.43 THEN round((q / (1 - e))::numeric, 6)::float8 END,
                   round((12 + 7 * pg_temp.u(k, 11))::numeric, 2)::float8, 0.15, 61000.0,
                   CASE WHEN pg_temp.u(k, 12) < 0.65 THEN CASE WHEN q < 1.666 THEN 10 ELSE 11 END END,
                   1 + ({LAST_YEAR} - year) / 2, 0, t_disc + interval '20 days', t_disc + interval '400 days'
            FROM bg_obj""",
        f"""INSERT INTO numbered_identifications (id, packed_primary_provisional_designation,
                                                 unpacked_primary_provisional_designation, permid,
                                                 created_at, updated_at)
            SELECT {p.first_number_id} + row_number() OVER (ORDER BY b.k) - 1, b.packed, b.provid, n.permid,
                   b.t_disc + interval '3 years', b.t_disc + interval '3 years'
            FROM bg_obj AS b JOIN bg_number AS n USING (k)""",
        f"""INSERT INTO current_identifications (id, packed_primary_provisional_designation,
                                                unpacked_primary_provisional_designation,
                                                packed_secondary_provisional_designation,
                                                unpacked_secondary_provisional_designation, numbered, object_type,
                                                published, created_at, updated_at)
            SELECT {p.first_identification_id} + k - 1, packed, provid, packed, provid, numbered, 0, 2,
                   t_disc, t_disc + interval '30 days'
            FROM bg_obj""",
    ]


def tracklet_statements(p: BackgroundPlan) -> list[str]:
    """SQL that creates ``bg_trk``: one row per background tracklet with its time and ingestion key.

    Each object's discovery tracklet (its first row flagged ``disc='*'``), then tracklets of
    random objects, then ITF tracklets. ``ingest_us`` (tracklet time plus a reporting delay)
    orders the final table as ingestion by time would.
    """
    stations = _stations()
    n_linked = p.objects + p.tracklets
    return [
        f"""CREATE UNLOGGED TABLE bg_trk AS
            WITH trk AS (
                SELECT j,
                       CASE WHEN j <= {p.objects} THEN j
                            ELSE 1 + floor(pg_temp.u(j, 20) * {p.objects})::bigint END AS k,
                       j > {n_linked} AS itf,
                       2 + floor(4 * pg_temp.u(j, 21))::int AS n,
                       make_interval(secs => 900 + floor(900 * pg_temp.u(j, 22))) AS step,
                       pg_temp.u(j, 23) AS r_trkid, pg_temp.u(j, 24) AS r_file, pg_temp.u(j, 25) AS r_band,
                       ({_array(stations)})[1 + floor(pg_temp.u(j, 26) * {len(stations)})::int] AS stn,
                       360 * pg_temp.u(j, 27) AS ra0, 60 * pg_temp.u(j, 28) - 30 AS dec0,
                       15 + 6 * pg_temp.u(j, 29) AS mag0
                FROM generate_series(1, {n_linked + p.itf_tracklets}) AS j
            )
            SELECT trk.*, b.provid, n.permid, t0,
                   (extract(epoch FROM t0) * 1000000)::bigint + (86400000000 * 3 * pg_temp.u(trk.j, 32))::bigint
                       AS ingest_us
            FROM trk JOIN bg_obj AS b USING (k) LEFT JOIN bg_number AS n USING (k)
            CROSS JOIN LATERAL (
                SELECT CASE WHEN trk.j <= {p.objects} THEN b.t_disc
                            ELSE timestamp '{FIRST_YEAR + 5}-01-01'
                                 + (timestamp '{p.now}' - interval '2 days' - timestamp '{FIRST_YEAR + 5}-01-01')
                                   * sqrt(pg_temp.u(trk.j, 30)) END AS t0
            ) AS placed""",
        "CREATE INDEX ON bg_trk (ingest_us)",
        "ANALYZE bg_trk",
    ]


def chunk_statement(p: BackgroundPlan, sky_table: str, columns: list[str]) -> str:
    """SQL inserting into ``obs_sbn`` the sky rows of ``sky_table`` and the background rows with
    ``%(lo)s <= ingest_us < %(hi)s``, in ingestion order (run once per time chunk)."""
    bands = _array(BANDS)
    cols = ", ".join(columns)
    return f"""
INSERT INTO obs_sbn ({cols})
SELECT {cols} FROM (
    SELECT {cols}, ingest_us FROM {sky_table} WHERE ingest_us >= %(lo)s AND ingest_us < %(hi)s
    UNION ALL
    SELECT {p.first_obs_id} + t.j * 8 + m AS id,
           'b' || to_hex(t.j) AS trksub,
           CASE WHEN t.r_trkid < 0.01 THEN '' WHEN t.r_trkid < 0.05 AND t.t0 < '2000-01-01' THEN NULL
                ELSE 'B' || lpad(to_hex(t.j), 8, '0') END AS trkid,
           'bg' || to_hex(t.j * 8 + m) AS obsid,
           lpad(to_hex(t.j * 8 + m), 41, '0') AS obs80_bit,  -- unique filler of the real width
           CASE WHEN t.itf THEN NULL WHEN t.permid IS NOT NULL AND t.r_file < 0.8 THEN t.permid
                WHEN t.r_file > 0.95 THEN '' END AS permid,
           CASE WHEN t.itf OR (t.permid IS NOT NULL AND t.r_file < 0.15) THEN NULL ELSE t.provid END AS provid,
           t.stn, 'CCD' AS mode, t.t0 + t.step * m AS obstime,
           round((t.ra0 + m * 0.01)::numeric, 6) AS ra, round(t.dec0::numeric, 6) AS dec,
           round((t.mag0 + 0.1 * m)::numeric, 2) AS mag,
           ({bands})[1 + floor(t.r_band * {len(BANDS)})::int] AS band,
           'Gaia2' AS astcat,
           CASE WHEN t.j <= {p.objects} AND m = 0 THEN '{DISCOVERY_FLAG}' END AS disc,
           CASE WHEN pg_temp.u(t.j * 8 + m, 31) < 0.003 AND NOT (t.j <= {p.objects} AND m = 0)
                THEN '{DEPRECATED_FLAG}' END
               AS deprecated,
           CASE WHEN t.itf THEN 'I' WHEN t.t0 > timestamp '{p.now}' - interval '10 days' THEN 'p' ELSE 'P' END
               AS status,
           t.ingest_us + m AS ingest_us
    FROM bg_trk AS t
    CROSS JOIN LATERAL generate_series(0, t.n - 1) AS m
    WHERE t.ingest_us >= %(lo)s AND t.ingest_us < %(hi)s
) AS rows
ORDER BY ingest_us, id
"""
