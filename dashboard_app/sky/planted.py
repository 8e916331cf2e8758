"""Tricky cases planted in every synthetic sky, each recorded so tests can find it.

Every case is its own object built explicitly (a few dozen objects whatever
the scale): numbered objects whose discovery is filed under the provisional
designation, discoveries and follow-up filed under secondary designations,
several ``disc='*'`` flags, NEOs with no discovery, deprecated observations
(one an earlier discovery flag), q exactly 1.30 and just above, H sentinels,
discovery observations without ``trkid``, one-observation and zero-span
tracklets, observations exactly at ±12 h / ±W / ±200 d and one second beyond,
stations missing from ``obscodes``, an object with no orbit, space-based and
geocentric discoveries, and a discovery tracklet across RA 0°.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dashboard_app.definitions import APPARITION_HALF_WINDOW_DAYS, APPARITION_WINDOWS_DAYS, TRACKLET_HALF_WINDOW_HOURS
from dashboard_app.sky import tracklets as tk
from dashboard_app.sky.population import DAY_US, HOUR_US, discovery_objects
from dashboard_app.sky.roster import Roster

SECOND_US = 1_000_000
MINUTE_US = 60 * SECOND_US
FOLLOWUP_CODES = (
    "H21", "Z84", "J95", "Q62", "T12", "807", "568", "I52", "G84", "E10", "F65", "W88", "L01", "K91", "Y00",
    "Z80", "309", "926", "I89", "J04", "W85", "W86", "A17", "B04", "Q59", "U69", "G32", "E13", "T09", "T14",
    "L65", "Y66",
)  # fmt: skip


OTHER_ORBIT = {"q": 1.85, "e": 0.12, "neo": False}
"""Orbit overrides that make a planted object a main-belt object (q > 1.30: not a NEO)."""


@dataclass
class Planted:
    """The planted objects, their tracklets (local object indexes), secondaries and the record of cases."""

    objects: pd.DataFrame
    tracklets: pd.DataFrame
    secondaries: pd.DataFrame  # obj (local), t
    records: pd.DataFrame  # case, obj (local), trk (local, -1), pos, note


@dataclass
class _Builder:
    rng: np.random.Generator
    roster: Roster
    base: pd.DataFrame
    objects: list[dict] = field(default_factory=list)
    tracklets: list[dict] = field(default_factory=list)
    secondaries: list[tuple[int, int]] = field(default_factory=list)
    records: list[tuple[str, int, int, int, str]] = field(default_factory=list)

    def neo(self, case: str, note: str = "", **overrides) -> int:
        """A new planted object (from the next base NEO, with ``overrides``), recorded under ``case``."""
        row = self.base.iloc[len(self.objects)].to_dict()
        row.update(has_discovery=True, in_orbits=True, designated=True, neo=True, numbered=False)
        row.update(padded_names=False, resembles=-1)
        for key in ("disc_stn",):
            if key in overrides and isinstance(overrides[key], str):
                overrides[key] = self.roster.index(overrides[key])
        row.update(overrides)
        row["desig_t"] = row.get("desig_t", row["t_disc"])
        self.objects.append(row)
        obj = len(self.objects) - 1
        self.records.append((case, obj, -1, 0, note))
        return obj

    def t0(self, obj: int) -> int:
        return int(self.objects[obj]["t_disc"])

    def tracklet(self, obj: int, stn: int | str | None = None, t: int | None = None, **cols) -> int:
        """A tracklet of ``obj`` from ``stn`` (default: its discoverer) anchored at ``t`` (default: discovery)."""
        o = self.objects[obj]
        stn = o["disc_stn"] if stn is None else stn
        stn = self.roster.index(stn) if isinstance(stn, str) else stn
        cols.setdefault("permid_filed", bool(o["numbered"]))
        cols.setdefault("n", 3)
        cols.setdefault("step", 20 * MINUTE_US)
        self.tracklets.append({"obj": obj, "stn": int(stn), "t_anchor": self.t0(obj) if t is None else int(t), **cols})
        return len(self.tracklets) - 1

    def discovery(self, obj: int, **cols) -> int:
        """The discovery tracklet: its anchor observation is the discovery (flagged unless ``disc_pos`` says)."""
        cols.setdefault("n", 4)
        cols.setdefault("k_anchor", 0)
        cols.setdefault("disc_pos", cols["k_anchor"])
        return self.tracklet(obj, role=tk.ROLE_DISCOVERY, **cols)

    def followups(self, obj: int, count: int = 3, **cols) -> list[int]:
        """``count`` ordinary follow-up tracklets from other stations, 0.6 d apart and more."""
        out = []
        for j in range(count):
            code = FOLLOWUP_CODES[(obj + 3 * j) % len(FOLLOWUP_CODES)]
            t = self.t0(obj) + int((0.6 + 4.3 * j) * DAY_US)
            out.append(self.tracklet(obj, code, t, **cols))
        return out

    def secondary(self, obj: int, t: int) -> int:
        self.secondaries.append((obj, int(t)))
        return len(self.secondaries) - 1

    def record(self, case: str, obj: int, trk: int, pos: int = 0, note: str = "") -> None:
        self.records.append((case, obj, trk, pos, note))


def _base(rng: np.random.Generator, roster: Roster, now_us: int) -> pd.DataFrame:
    """Ordinary NEOs to start the planted ones from: ground discoverers, discovered 2010–2024."""
    cand = discovery_objects(rng, roster, 600, now_us)
    ok = (cand["year"].between(2010, 2024)) & roster.ground[cand["disc_stn"]] & roster.in_obscodes[cand["disc_stn"]]
    ok &= cand["h"].between(18, 24)
    return cand[ok.to_numpy()].reset_index(drop=True)


def build(rng: np.random.Generator, roster: Roster, now_us: int) -> Planted:
    """Build every planted case (a fixed set, independent of scale)."""
    b = _Builder(rng, roster, _base(rng, roster, now_us))
    P, S, N = tk.FILED_PRIMARY, tk.FILED_SECONDARY, tk.FILED_NONE

    for variant in range(2):
        o = b.neo("numbered_disc_under_provisional", numbered=True)
        d = b.discovery(o, permid_filed=False, provid_kind=P)
        b.followups(o, 4, permid_filed=True, provid_kind=P if variant == 0 else N)
        b.record("numbered_disc_under_provisional", o, d, 0, "discovery filed with permid NULL")

    o = b.neo("disc_under_secondary")
    t0 = b.t0(o)
    b.objects[o]["desig_t"] = t0 - int(3 * 365.25 * DAY_US)
    b.tracklet(o, t=t0 - int(3 * 365.25 * DAY_US), n=3, provid_kind=P)
    b.tracklet(o, FOLLOWUP_CODES[5], t0 - int((3 * 365.25 - 2) * DAY_US), n=2, provid_kind=P)
    s = b.secondary(o, t0)
    d = b.discovery(o, provid_kind=S, sec=s)
    b.followups(o, 3, provid_kind=S, sec=s)
    b.record("disc_under_secondary", o, d, 0, "discovery filed under the secondary designation")

    o = b.neo("followup_under_secondary")
    t0 = b.t0(o)
    b.discovery(o)
    s = b.secondary(o, t0 + 5 * DAY_US)
    for dt in (5, 9):
        tr = b.tracklet(o, FOLLOWUP_CODES[0], t0 + dt * DAY_US, n=3, provid_kind=S, sec=s)
        b.record("followup_under_secondary", o, tr, 0, f"+{dt} d, filed under the secondary designation")

    o = b.neo("several_disc_flags", "flags on a follow-up tracklet the next day and a month later")
    t0 = b.t0(o)
    d = b.discovery(o)
    b.record("several_disc_flags", o, d, 0, "earliest flag: the discovery")
    b.record("several_disc_flags", o, b.tracklet(o, FOLLOWUP_CODES[1], t0 + DAY_US, disc_pos=0), 0, "later flag")
    b.record("several_disc_flags", o, b.tracklet(o, FOLLOWUP_CODES[2], t0 + 30 * DAY_US, n=2, disc_pos=1), 1, "later")
    o = b.neo("several_disc_flags", "numbered; a later flag filed under the number only", numbered=True)
    t0 = b.t0(o)
    d = b.discovery(o, n=5, k_anchor=2, provid_kind=P, permid_filed=False)
    b.record("several_disc_flags", o, d, 2, "earliest flag: the discovery (third in its tracklet)")
    tr = b.tracklet(o, t=t0 + DAY_US, n=3, disc_pos=0, permid_filed=True, provid_kind=N)
    b.record("several_disc_flags", o, tr, 0, "later flag under the number only")

    o = b.neo("missing_no_disc_flag", has_discovery=False)
    b.tracklet(o, n=4)
    b.followups(o, 2)
    b.neo("missing_no_observations", has_discovery=False)
    o = b.neo("missing_only_deprecated_flag", has_discovery=False)
    b.record("missing_only_deprecated_flag", o, b.tracklet(o, n=1, disc_pos=0, deprecated=True), 0, "deprecated")
    b.tracklet(o, t=b.t0(o) + HOUR_US, n=3)
    b.followups(o, 2)
    o = b.neo("missing_numbered", has_discovery=False, numbered=True)
    b.tracklet(o, n=3, permid_filed=True, provid_kind=N)

    o = b.neo("deprecated_earlier_disc")
    t0 = b.t0(o)
    dep = b.tracklet(o, t=t0 - 3 * DAY_US, n=1, disc_pos=0, deprecated=True)
    b.record("deprecated_earlier_disc", o, dep, 0, "deprecated disc='*' three days before the discovery")
    d = b.discovery(o, n=3)
    b.record("deprecated_earlier_disc", o, d, 0, "the real discovery")
    mem = b.tracklet(o, t=t0 + 10 * MINUTE_US, n=1, trk_share=d, role=tk.ROLE_DISCOVERY_MEMBER, deprecated=True)
    b.record("deprecated_in_discovery_tracklet", o, mem, 0, "same trkid, deprecated: not in the tracklet")
    b.followups(o, 2)
    only = b.tracklet(o, FOLLOWUP_CODES[31], t0 + 2 * DAY_US, n=2, deprecated=True)
    b.record("deprecated_only_station", o, only, 0, "a station with only deprecated observations: no apparition row")

    o = b.neo("q_exactly_1_30", q=1.30)
    b.discovery(o)
    b.followups(o, 2)
    o = b.neo("q_just_above_1_30", q=1.3000001, neo=False)
    b.discovery(o)
    b.followups(o, 2)

    for h, case in ((0.0, "h_sentinel_zero"), (-9.99, "h_sentinel_negative"), (np.nan, "h_null")):
        o = b.neo(case, h=h)
        b.discovery(o)
        b.followups(o, 1)

    o = b.neo("disc_without_trkid")
    d = b.discovery(o, n=3, has_trkid=False)
    b.record("disc_without_trkid", o, d, 0, "tracklet = the discovery observation alone")
    b.followups(o, 2)
    o = b.neo("single_obs_tracklet")
    b.discovery(o, n=1)
    o = b.neo("zero_span_tracklet", "two observations at the same time: rate and angle NULL")
    b.discovery(o, n=2, step=0)

    o = b.neo("tracklet_12h_boundary")
    t0 = b.t0(o)
    d = b.discovery(o, n=3, k_anchor=1)
    half = int(TRACKLET_HALF_WINDOW_HOURS * HOUR_US)
    for off, member in ((-half, True), (half, True), (-half - SECOND_US, False), (half + SECOND_US, False)):
        role = tk.ROLE_DISCOVERY_MEMBER if member else tk.ROLE_OTHER
        tr = b.tracklet(o, t=t0 + off, n=1, trk_share=d, role=role)
        note = f"{off / HOUR_US:+.6f} h, same trkid: {'in' if member else 'out of'} the tracklet"
        b.record("tracklet_12h_boundary", o, tr, 0, note)

    o = b.neo("window_boundaries")
    t0 = b.t0(o)
    b.discovery(o)
    own = roster.codes[b.objects[o]["disc_stn"]]
    codes = [c for c in FOLLOWUP_CODES if c != own]  # one station per boundary observation, none the discoverer
    j = 0
    for w in APPARITION_WINDOWS_DAYS:
        for sign in (1, -1):
            for beyond in (0, SECOND_US):
                off = sign * (w * DAY_US + beyond)
                tr = b.tracklet(o, codes[j], t0 + off, n=1)
                j += 1
                where = "exactly" if not beyond else "1 s beyond"
                b.record(f"window_{'post' if sign > 0 else 'pre'}_{w}", o, tr, 0, f"{where} {sign * w:+d} d")
    assert max(APPARITION_WINDOWS_DAYS) == APPARITION_HALF_WINDOW_DAYS

    o = b.neo("disc_station_not_in_obscodes", disc_stn="E31")
    b.discovery(o)
    b.followups(o, 2)
    o = b.neo("followup_station_not_in_obscodes")
    b.discovery(o)
    b.record("followup_station_not_in_obscodes", o, b.tracklet(o, "E30", b.t0(o) + 2 * DAY_US), 0, "station E30")

    o = b.neo("observed_without_orbit", in_orbits=False)
    b.discovery(o)
    b.followups(o, 2)

    o = b.neo("space_based_discovery", disc_stn="C51")
    b.discovery(o, mag_missing=True)
    b.followups(o, 2)
    o = b.neo("geocentric_discovery", disc_stn="500")
    b.discovery(o)

    o = b.neo("tracklet_across_ra_zero", ra0=359.99, dec0=2.0, pa=90.0, rate=2.0)
    b.discovery(o, n=4, step=25 * MINUTE_US)
    b.followups(o, 1)

    _plant_traps(b)

    objects = pd.DataFrame(b.objects)
    objects["planted"] = True
    trk = pd.concat([tk.frame(1, **row) for row in b.tracklets], ignore_index=True)
    sec = pd.DataFrame(b.secondaries, columns=["obj", "t"]).astype("int64")
    rec = pd.DataFrame(b.records, columns=["case", "obj", "trk", "pos", "note"])
    return Planted(objects, trk, sec, rec)


def _plant_traps(b: _Builder) -> None:
    """The real table's traps: empty strings, duplicates, ties, borrowed numbers, stray spaces, look-alikes."""
    o = b.neo("empty_permid", "observations carry permid '' instead of NULL: found by designation")
    b.discovery(o, empty_permid=True)
    b.followups(o, 2, empty_permid=True)

    first = b.neo("empty_trkid_pair", "trkid '' on two unrelated discoveries 2 h apart: two tracklets of one")
    d = b.discovery(first, n=3, has_trkid=False, empty_trkid=True)
    b.record("empty_trkid_pair", first, d, 0, "discovery with trkid ''")
    second = b.neo("empty_trkid_pair", t_disc=b.t0(first) + 2 * HOUR_US, disc_stn=b.objects[first]["disc_stn"])
    d = b.discovery(second, n=3, has_trkid=False, empty_trkid=True)
    b.record("empty_trkid_pair", second, d, 0, "discovery with trkid '', same station, 2 h later")
    for obj in (first, second):
        b.followups(obj, 1, has_trkid=False, empty_trkid=True)

    o = b.neo("empty_band", "band '' on the discovery tracklet: no band (treated as V)")
    b.discovery(o, empty_band=True)

    o = b.neo("duplicate_discovery", "the discovery tracklet published twice, both copies flagged")
    d = b.discovery(o, n=4)
    b.record("duplicate_discovery", o, d, 0, "the first copy: the discovery (lower id)")
    copy = b.tracklet(o, n=4, duplicate_of=d, trk_share=d, extra_delay=tk.DUPLICATE_DELAY_US)
    b.record("duplicate_discovery", o, copy, 0, "the second copy: same obs80_bit and station, never counted")
    b.followups(o, 2)

    o = b.neo(
        "duplicate_followup",
        "numbered; a follow-up observation also filed a second time under the number",
        numbered=True,
    )
    b.discovery(o, permid_filed=False)
    (fu,) = b.followups(o, 1, permid_filed=False, n=3)
    src = b.tracklets[fu]
    copy = b.tracklet(
        o,
        src["stn"],
        src["t_anchor"],
        n=1,
        duplicate_of=fu,
        dup_start=1,
        trk_share=fu,
        permid_filed=True,
        provid_kind=tk.FILED_NONE,
        extra_delay=tk.DUPLICATE_DELAY_US,
    )
    b.record("duplicate_followup", o, copy, 0, "copy of the follow-up's second row, under the number: counted once")

    o = b.neo("simultaneous_disc_flags", "two stations flag observations at the same instant")
    t0 = b.t0(o)
    d = b.discovery(o, n=3)
    b.record("simultaneous_disc_flags", o, d, 0, "received first (lower id): the discovery")
    rival = b.tracklet(o, FOLLOWUP_CODES[3], t0, n=2, disc_pos=0, extra_delay=tk.DUPLICATE_DELAY_US)
    b.record("simultaneous_disc_flags", o, rival, 0, "same time, received later (higher id): not the discovery")

    neo = b.neo("another_objects_number", "an earlier flag filed under this NEO's designation and another's number")
    t0 = b.t0(neo)
    other = b.neo("another_objects_number", "a numbered main-belt object", numbered=True, **OTHER_ORBIT)
    b.discovery(other, permid_filed=True)
    b.discovery(neo)
    lent = b.tracklet(other, t=t0 - DAY_US, n=2, disc_pos=0, permid_filed=True, file_as=neo)
    b.record("another_objects_number", neo, lent, 0, "provid of this NEO, permid of the other: the other's")
    c = b.neo("another_objects_number", "numbered NEO; a follow-up filed under a main-belt designation", numbered=True)
    b.discovery(c, permid_filed=False)
    mb = b.neo(
        "another_objects_number", "a main-belt object whose designation a NEO's follow-up carries", **OTHER_ORBIT
    )
    b.discovery(mb)
    own = b.tracklet(c, FOLLOWUP_CODES[4], b.t0(c) + 3 * DAY_US, permid_filed=True, file_as=mb)
    b.record("another_objects_number", c, own, 0, "permid of this NEO, provid of the main-belt object: this NEO's")

    o = b.neo(
        "padded_designations",
        "leading/trailing spaces in mpc_orbits and the identification tables",
        numbered=True,
        padded_names=True,
    )
    t0 = b.t0(o)
    b.discovery(o, permid_filed=False)
    s = b.secondary(o, t0 + 6 * DAY_US)
    tr = b.tracklet(o, FOLLOWUP_CODES[6], t0 + 6 * DAY_US, provid_kind=tk.FILED_SECONDARY, sec=s)
    b.record("padded_designations", o, tr, 0, "filed under the secondary, listed with a trailing space")
    b.followups(o, 1, permid_filed=True, provid_kind=tk.FILED_NONE)

    o = b.neo("padded_observation", "obs_sbn.provid with a trailing space: matched exactly, so no one's")
    t0 = b.t0(o)
    b.discovery(o)
    pad = b.tracklet(o, FOLLOWUP_CODES[7], t0 - 2 * DAY_US, n=2, disc_pos=0, padded=True)
    b.record("padded_observation", o, pad, 0, "earlier flag under '<provid> ': not the discovery, not counted")
    b.followups(o, 1)

    neo = b.neo("resembling_designation", "a NEO and a main-belt object whose designation extends the NEO's")
    b.discovery(neo)
    b.followups(neo, 1)
    look = b.neo("resembling_designation", "main-belt look-alike", resembles=neo, **OTHER_ORBIT)
    b.discovery(look, stn=b.objects[neo]["disc_stn"], t=b.t0(neo) - HOUR_US)
