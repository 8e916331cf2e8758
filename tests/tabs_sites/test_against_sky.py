"""Follow-up by station on the published synthetic snapshot against the sky's own knowledge.

The generator knows every observation's object, station, tracklet and Δt from discovery. The
per-station NEOs, tracklets and observations of every scope are recounted here straight from those
observations (a tracklet: the observations of one NEO × station with one trkid, or a lone observation
without one) and compared with what the tab's CSV holds, for all three metrics.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard_app.definitions import APPARITION_HALF_WINDOW_DAYS, DEPRECATED_FLAG
from dashboard_app.snapshot.model import load_snapshot
from dashboard_app.tabs import sites

H = APPARITION_HALF_WINDOW_DAYS


@pytest.fixture(scope="module")
def snapshot(snapshot_file):
    return load_snapshot(snapshot_file)


@pytest.fixture(scope="module")
def years(snapshot) -> list[int]:
    d = snapshot.discoveries["disc_year"]
    return [int(d.min()), int(d.max())]


@pytest.fixture(scope="module")
def observed(synthetic_sky, snapshot) -> pd.DataFrame:
    """Every observation of a discovered NEO that counts, at any time, by a station other than its discoverer:
    provid, stn, tracklet key, dt_days.

    The sky's ``counted`` flag covers the apparition only, so all time is recounted from the source by the
    definitions: deprecated rows never count, and rows of one object with the same station and obs80_bit are
    one observation (the lowest id). Inside ±200 d this must give exactly the sky's counted rows."""
    k = synthetic_sky.knowledge
    rows = k.loc[k["owner_is_neo"] & k["dt_days"].notna(), ["id", "owner", "dt_days", "counted"]]
    source = synthetic_sky.source["obs_sbn"][["id", "stn", "trkid", "obs80_bit", "deprecated"]]
    rows = rows.merge(source, on="id").rename(columns={"owner": "provid"})
    rows = rows.loc[rows["deprecated"].astype(object).fillna("").astype(str).str.strip() != DEPRECATED_FLAG]
    rows = rows.sort_values("id").drop_duplicates(["provid", "stn", "obs80_bit"], keep="first")
    inside = rows["dt_days"].abs() <= H
    assert set(rows.loc[inside, "id"]) == set(k.loc[k["owner_is_neo"] & k["counted"], "id"])
    disc = snapshot.discoveries.assign(provid=snapshot.discoveries["provid"].astype(str))
    rows = rows.merge(disc[["provid", "disc_stn"]].astype({"disc_stn": str}), on="provid")
    rows["stn"] = rows["stn"].astype(str)
    trkid = rows["trkid"].astype(object)
    lone = trkid.isna() | (trkid.astype(str).str.strip() == "")
    rows["trk"] = np.where(lone, "obs-" + rows["id"].astype(str), trkid.astype(str))
    return rows.loc[rows["stn"] != rows["disc_stn"]]


def recount(rows: pd.DataFrame) -> dict[str, tuple[int, int, int]]:
    """{station: (NEOs, tracklets, observations)} of the given observations."""
    g = rows.groupby("stn")
    neos = g["provid"].nunique()
    trk = rows.drop_duplicates(["provid", "stn", "trk"]).groupby("stn").size()
    obs = g.size()
    return {s: (int(neos[s]), int(trk[s]), int(obs[s])) for s in neos.index}


def expected(observed: pd.DataFrame, scope: str, window: int = H, precovery: bool = False):
    dt = observed["dt_days"]
    if scope == "apparition":
        inside = dt.abs() <= window if precovery else (dt >= 0) & (dt <= window)
        return recount(observed.loc[inside])
    if scope == "alltime":
        return recount(observed)
    # Recovery: the NEO × station pairs seen more than 200 d after discovery; their NEOs, the tracklets with no
    # observation inside ±200 d, and the observations outside ±200 d.
    later = observed.loc[dt > H, ["provid", "stn"]].drop_duplicates()
    pairs = observed.merge(later, on=["provid", "stn"])
    outside = pairs["dt_days"].abs() > H
    touched = pairs.loc[~outside, ["provid", "stn", "trk"]].drop_duplicates()
    wholly = pairs.loc[outside].merge(touched, how="left", indicator=True, on=["provid", "stn", "trk"])
    wholly = wholly.loc[wholly["_merge"] == "left_only"]
    neos = later.groupby("stn")["provid"].nunique()
    trk = wholly.drop_duplicates(["provid", "stn", "trk"]).groupby("stn").size()
    obs = pairs.loc[outside].groupby("stn").size()
    return {s: (int(neos[s]), int(trk.get(s, 0)), int(obs.get(s, 0))) for s in neos.index}


def computed(snapshot, values) -> dict[str, tuple[int, int, int]]:
    v = sites.VIEW.parse(values, snapshot)
    frame, _comment = sites.TAB.charts[0].csv(v, snapshot)
    frame = frame.loc[frame["neos"] > 0]
    return {s: (n, t, o) for s, n, t, o in frame[["stn", "neos", "tracklets", "observations"]].to_numpy().tolist()}


@pytest.mark.parametrize(
    ("scope", "window", "precovery"),
    [
        ("apparition", 200, False),
        ("apparition", 200, True),
        ("apparition", 7, False),
        ("apparition", 29, True),
        ("alltime", 200, False),
        ("recovery", 200, False),
    ],
)
def test_every_scope_counts_what_the_sky_knows_for_every_metric(snapshot, observed, years, scope, window, precovery):
    values = {"years": years, "scope": scope, "window": str(window), "side": "any" if precovery else "post"}
    values |= {"shown": "all"}
    want = expected(observed, scope, window, precovery)
    assert want, "the sky has follow-up in this scope"
    assert computed(snapshot, values) == want
    for metric in ("neos", "tracklets", "observations"):
        frame, _ = sites.TAB.charts[0].csv(sites.VIEW.parse(values | {"metric": metric}, snapshot), snapshot)
        got = dict(zip(frame["stn"], frame["value"], strict=True))
        index = ("neos", "tracklets", "observations").index(metric)
        assert {s: got[s] for s in want} == {s: c[index] for s, c in want.items()}


def test_the_summary_counts_neos_and_median_sites_per_neo_from_the_sky(snapshot, observed, years):
    values = sites.VIEW.parse({"years": years, "shown": "all"}, snapshot)
    frame, _ = sites.TAB.charts[1].csv(values, snapshot)
    got = dict(frame.to_numpy().tolist())
    inside = observed.loc[(observed["dt_days"] >= 0) & (observed["dt_days"] <= H)]
    per_neo = inside.groupby("provid")["stn"].nunique()
    all_neos = snapshot.discoveries["provid"].astype(str)
    counts = per_neo.reindex(all_neos, fill_value=0).to_numpy()
    assert got["NEOs in the selection"] == len(all_neos)
    assert got["NEOs followed up by a site shown"] == int((counts > 0).sum())
    assert got["Median follow-up sites per NEO"] == pytest.approx(float(np.median(counts)))
    assert got["Sites with follow-up"] == inside["stn"].nunique()


def test_recovery_really_happens_in_the_sky(observed):
    """The recovery scope is exercised: the sky has stations that observed NEOs in later apparitions."""
    assert (observed["dt_days"] > H).sum() > 100 and (observed["dt_days"] < -H).sum() > 10
