"""Censoring-aware follow-up shares: Kaplan–Meier over NEOs that have not all had the time.

A NEO discovered 10 days before the data time cannot show a 30-day follow-up yet; counting it as
"never followed up" biases the plain share down for recent years. Here each NEO is *followed* from
its discovery until its first follow-up (the event) or until it is censored: at the data time (the
newest observation in the snapshot) or at the end of the apparition, whichever comes first
(``definitions.FOLLOWUP_CENSORING``). The Kaplan–Meier estimate comes from statsmodels
(``SurvfuncRight``, Greenwood standard errors); the pointwise 95 % band uses the log(−log)
transform, so it stays inside 0–100 %. Pure functions over arrays and frames.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
from scipy.stats import norm
from statsmodels.duration.survfunc import SurvfuncRight

from dashboard_app.definitions import APPARITION_HALF_WINDOW_DAYS

DAY_NS = 86_400 * 10**9
CONFIDENCE = 0.95
KM_COLUMNS = ["days", "at_risk", "km_pct", "km_low95", "km_high95"]


def censoring_days(disc_time: pd.Series, data_time: datetime | None) -> np.ndarray:
    """Days each NEO could be followed up: data time − discovery time, capped at the apparition's end.

    ``disc_time`` is ``datetime64[ns, UTC]``; with no data time the apparition end alone applies.
    """
    cap = float(APPARITION_HALF_WINDOW_DAYS)
    if data_time is None:
        return np.full(len(disc_time), cap)
    data_ns = pd.Timestamp(data_time).as_unit("ns").value
    disc_ns = disc_time.dt.tz_convert("UTC").array.as_unit("ns").asi8
    return np.clip((data_ns - disc_ns) / DAY_NS, 0.0, cap)


def followup_durations(
    neo_ids: np.ndarray, censor_days: np.ndarray, event_ids: np.ndarray, event_days: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(duration, observed) per NEO: its follow-up delay when it has one, else its censoring time.

    ``neo_ids``/``censor_days`` list the eligible NEOs; ``event_ids``/``event_days`` the delays of
    the event (e.g. the first different project) for the NEOs that have one (at most one each).
    """
    neo_ids, event_ids = np.asarray(neo_ids, dtype="int64"), np.asarray(event_ids, dtype="int64")
    size = int(max(neo_ids.max(initial=-1), event_ids.max(initial=-1))) + 1
    event = np.full(size, np.nan)
    event[event_ids] = np.asarray(event_days, dtype="float64")
    delay = event[neo_ids]
    observed = ~np.isnan(delay)
    return np.where(observed, delay, np.asarray(censor_days, dtype="float64")), observed


def followup_km(
    eligible: pd.DataFrame, delays: pd.DataFrame, censor_by_id: np.ndarray, days: np.ndarray, rank: int = 1
) -> pd.DataFrame:
    """Kaplan–Meier share of eligible NEOs followed up by at least ``rank`` other projects within t days.

    ``censor_by_id[neo_id]`` is each NEO's censoring time (:func:`censoring_days`); ``delays`` has
    neo_id, delay, rank (``followup.followup_delays``). Columns as :func:`kaplan_meier`.
    """
    ids = eligible["neo_id"].to_numpy()
    events = delays.loc[delays["rank"] == rank]
    duration, observed = followup_durations(
        ids, censor_by_id[ids], events["neo_id"].to_numpy(), events["delay"].to_numpy()
    )
    return kaplan_meier(duration, observed, days)


def censor_by_neo_id(discoveries: pd.DataFrame, data_time: datetime | None) -> np.ndarray:
    """Censoring days indexed by neo_id (NaN where no NEO has that id)."""
    ids = discoveries["neo_id"].to_numpy()
    out = np.full(int(ids.max(initial=-1)) + 1, np.nan)
    out[ids] = censoring_days(discoveries["disc_time"], data_time)
    return out


def kaplan_meier(duration: np.ndarray, observed: np.ndarray, days: np.ndarray) -> pd.DataFrame:
    """Kaplan–Meier share with the event by each of ``days`` (%), with its pointwise 95 % band.

    Columns: days; at_risk (NEOs still followed at that time: duration ≥ days); km_pct (100·(1 − S));
    km_low95, km_high95 (log(−log) band of S, as shares). Empty input gives NaN shares.
    """
    duration = np.asarray(duration, dtype="float64")
    observed = np.asarray(observed, dtype=bool)
    days = np.asarray(days, dtype="float64")
    at_risk = len(duration) - np.searchsorted(np.sort(duration), days, side="left")
    if len(duration) == 0:
        nan = np.full(days.shape, np.nan)
        return pd.DataFrame(dict(zip(KM_COLUMNS, [days, at_risk, nan, nan, nan], strict=True)))
    if not observed.any():
        surv, sigma = np.ones(days.shape), np.zeros(days.shape)
    else:
        fit = SurvfuncRight(duration, observed.astype("float64"))
        step = np.searchsorted(fit.surv_times, days, side="right") - 1  # last event time ≤ t
        before = step < 0
        step = np.maximum(step, 0)
        surv = np.where(before, 1.0, fit.surv_prob[step])
        with np.errstate(divide="ignore", invalid="ignore"):
            sigma = np.where(before, 0.0, fit.surv_prob_se[step] / fit.surv_prob[step])  # √Greenwood sum
    low_s, high_s = loglog_band(surv, sigma)
    return pd.DataFrame(
        {
            "days": days,
            "at_risk": at_risk.astype("int64"),
            "km_pct": 100.0 * (1.0 - surv),
            "km_low95": 100.0 * (1.0 - high_s),
            "km_high95": 100.0 * (1.0 - low_s),
        }
    )


def loglog_band(surv: np.ndarray, sigma: np.ndarray, confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise band of a survival estimate S by the log(−log) transform.

    ``sigma`` is √(Σ d / (n (n − d))) (Greenwood's relative standard error). S ∈ {0, 1} has no
    spread on that scale: the band collapses onto S there.
    """
    z = norm.ppf(0.5 + confidence / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_s = np.log(surv)
        spread = z * sigma / log_s  # negative: log S < 0
        low = surv ** np.exp(-spread)
        high = surv ** np.exp(spread)
    degenerate = (surv >= 1.0) | (surv <= 0.0) | ~np.isfinite(sigma)
    return np.where(degenerate, surv, low), np.where(degenerate, surv, high)


def not_yet_due(eligible: pd.DataFrame, delays: pd.DataFrame, censor_by_id: np.ndarray, days: float) -> int:
    """Eligible NEOs with no follow-up yet that could not have been followed for ``days`` days.

    These are the NEOs the plain share counts as "never followed up within ``days``" although the
    data end (or the apparition ends) sooner: Kaplan–Meier counts them only while they were observable.
    """
    ids = eligible["neo_id"].to_numpy()
    followed = np.isin(ids, delays.loc[delays["rank"] == 1, "neo_id"].to_numpy())
    return int(((~followed) & (censor_by_id[ids] < days)).sum())
