"""Provisional designations (unpacked '2024 AB12' and packed 'K24A12B') and MPC numbers.

A designation encodes the half-month of its date (A–Y without I) and an order
within that half-month (second letter A–Z without I, then a cycle count).
:func:`assign` hands out unique designations for many requests at once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# One home for the packed format's alphabets: the app's designation parser (user input) reads what this writes.
from dashboard_app.designations import BASE62 as _CYCLE_LETTERS
from dashboard_app.designations import CENTURY_LETTERS, HALF_MONTH_LETTERS, ORDER_LETTERS

DAY_US = 86_400_000_000
NUMBER_SPAN = 1_600_000  # numbers spread over about this range, as minor planets interleave with NEOs
MAX_ORDER = 25 * 620  # packed cycle count runs 0..619


def unpacked(year: int, half_month: int, order: int) -> str:
    """Unpacked designation, e.g. ``unpacked(2024, 0, 301) == '2024 AB12'``."""
    cycle, letter = divmod(order, 25)
    return f"{year} {HALF_MONTH_LETTERS[half_month]}{ORDER_LETTERS[letter]}{cycle if cycle else ''}"


def packed(year: int, half_month: int, order: int) -> str:
    """Packed designation, e.g. ``packed(2024, 0, 301) == 'K24A12B'``."""
    cycle, letter = divmod(order, 25)
    cycle_code = f"{cycle:02d}" if cycle < 100 else f"{_CYCLE_LETTERS[cycle // 10]}{cycle % 10}"
    head = f"{CENTURY_LETTERS[year // 100]}{year % 100:02d}{HALF_MONTH_LETTERS[half_month]}"
    return f"{head}{cycle_code}{ORDER_LETTERS[letter]}"


def half_month_of(times_us: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(year, half-month index 0..23) of UTC times given in microseconds since 1970."""
    t = np.asarray(times_us, "int64").astype("datetime64[us]")
    year = t.astype("datetime64[Y]").astype("int64") + 1970
    month = t.astype("datetime64[M]").astype("int64") % 12
    day = (t.astype("datetime64[D]") - t.astype("datetime64[M]")).astype("int64") + 1
    return year, 2 * month + (day >= 16)


def assign(times_us: np.ndarray, rng: np.random.Generator, spacing: int = 6) -> tuple[list[str], list[str]]:
    """Unique (unpacked, packed) designations for requests dated ``times_us``.

    Requests in the same half-month get increasing orders in time order, spaced
    by a random 1..``spacing`` so the sequence looks like a slice of a busy
    designation stream.
    """
    year, half = half_month_of(times_us)
    n = len(year)
    order_in_time = np.lexsort((np.asarray(times_us), half, year))
    y_s, h_s = year[order_in_time], half[order_in_time]
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = (y_s[1:] != y_s[:-1]) | (h_s[1:] != h_s[:-1])
    steps = rng.integers(1, spacing + 1, size=n)
    cum = np.cumsum(steps)
    group_start = np.maximum.accumulate(np.where(new_group, np.arange(n), 0))
    base = cum[group_start] - steps[group_start]
    orders_sorted = cum - base - 1
    orders = np.empty(n, dtype="int64")
    orders[order_in_time] = orders_sorted
    if n and orders.max() >= MAX_ORDER:
        raise ValueError("too many designations in one half-month for the packed format")
    unp = [unpacked(int(y), int(h), int(o)) for y, h, o in zip(year, half, orders, strict=True)]
    pkd = [packed(int(y), int(h), int(o)) for y, h, o in zip(year, half, orders, strict=True)]
    return unp, pkd


def name_objects(objects: pd.DataFrame, secondary_times: np.ndarray, rng: np.random.Generator):
    """Set ``provid``/``packed`` of designated objects (from ``desig_t``); return the secondaries' designations.

    Returns ``(unpacked, packed)`` lists for the secondaries, in the order of ``secondary_times``.
    """
    designated = np.flatnonzero(objects["designated"].to_numpy())
    times = np.concatenate([objects["desig_t"].to_numpy()[designated], np.asarray(secondary_times, "int64")])
    unp, pkd = assign(times, rng)
    for column, values in (("provid", unp), ("packed", pkd)):
        full = np.full(len(objects), None, dtype=object)
        full[designated] = values[: len(designated)]
        objects[column] = full
    return unp[len(designated) :], pkd[len(designated) :]


def number_objects(objects: pd.DataFrame, rng: np.random.Generator) -> None:
    """Set ``permid`` (text) of designated objects chosen to be ``numbered``, increasing with numbering time."""
    numbered = objects["numbered"].to_numpy() & objects["designated"].to_numpy()
    objects["numbered"] = numbered
    idx = np.flatnonzero(numbered)
    lag = rng.uniform(1.5, 8.0, len(idx)) * 365.25 * DAY_US  # numbered a few years after discovery
    by_time = idx[np.argsort(objects["t_disc"].to_numpy()[idx] + lag, kind="stable")]
    gaps = rng.integers(1, max(2, NUMBER_SPAN // max(len(idx), 1)), len(idx))
    permid = np.full(len(objects), None, dtype=object)
    permid[by_time] = (1_000 + np.cumsum(gaps)).astype(str)
    objects["permid"] = permid


def parse(unpacked_designation: str) -> tuple[int, int, int]:
    """(year, half-month index, order) of an unpacked designation such as '2024 AB12'."""
    year, code = unpacked_designation.split(" ")
    cycle = int(code[2:]) if len(code) > 2 else 0
    return int(year), HALF_MONTH_LETTERS.index(code[0]), cycle * 25 + ORDER_LETTERS.index(code[1])


def rename_look_alikes(objects: pd.DataFrame, secondaries: list[str]) -> None:
    """Give each object with ``resembles`` ≥ 0 a designation that extends that object's (a trap for prefix matching).

    '2019 AB1' → '2019 AB10' (or '2019 AB100', …): the cycle count with digits appended, never
    a designation already in use.
    """
    rows = np.flatnonzero(objects["resembles"].to_numpy() >= 0)
    taken = set(objects["provid"].dropna()) | set(secondaries)
    for row in rows:
        year, half, order = parse(objects.at[objects.at[row, "resembles"], "provid"])
        cycle, letter = divmod(order, 25)
        for digits in ("0", "00", "1", "01", "2"):
            new_cycle = int(f"{cycle or ''}{digits}" or 0)
            if 0 < new_cycle < MAX_ORDER // 25 and unpacked(year, half, new_cycle * 25 + letter) not in taken:
                break
        else:
            raise ValueError("no free look-alike designation")
        objects.at[row, "provid"] = unpacked(year, half, new_cycle * 25 + letter)
        objects.at[row, "packed"] = packed(year, half, new_cycle * 25 + letter)
        taken.add(objects.at[row, "provid"])
