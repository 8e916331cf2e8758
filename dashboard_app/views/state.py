"""View state: the declarative list of a tab's controls, their parsers, defaults and URL form.

A :class:`View` names a tab's controls once. The same declaration parses the URL
query (``layout(**query)``), parses callback values (tolerating tampered payloads),
restores defaults for Reset, writes the URL query string and names CSV files.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

if TYPE_CHECKING:
    from dashboard_app.snapshot.model import Snapshot

SETTLE_MS = 350
"""How long the page waits after the last step of a settling control (a slider's arrow key) before it
asks the server to draw: a person nudging a slider sends one request, not one per step."""

Parser = Callable[[Any, "Snapshot | None"], Any]
"""``parse(raw, snapshot) -> value``: raw is URL text or a callback value; raises ValueError/TypeError on junk."""


class ControlValueError(ValueError):
    """A control value (from the URL or a callback payload) is not one the control accepts."""


@dataclass(frozen=True)
class Control:
    """One control of a tab: its URL key, default and parser.

    ``default`` is a value or ``default(snapshot) -> value`` for data-dependent defaults
    (e.g. the newest discovery year). ``parse(raw, snapshot)`` returns the normalised
    value or raises; :meth:`View.parse` then falls back to the default. ``encode(value)``
    gives the URL / file-name text (``str`` unless given). ``settle`` marks a control whose value
    changes in small steps (a slider's arrow keys): the page waits until the steps pause before it
    asks the server to draw (:data:`SETTLE_MS`).
    """

    name: str
    default: Any
    parse: Parser
    encode: Callable[[Any], str] = str
    settle: bool = False

    def default_for(self, snapshot: Snapshot | None) -> Any:
        """The default value, computed from the snapshot when the default depends on the data."""
        return self.default(snapshot) if callable(self.default) else self.default

    def value_for(self, raw: Any, snapshot: Snapshot | None) -> Any:
        """Parse ``raw``; a missing, junk or out-of-range value gives the default (never raises)."""
        if raw is None:
            return self.default_for(snapshot)
        try:
            return self.parse(raw, snapshot)
        except (ValueError, TypeError, KeyError, IndexError, OverflowError):
            return self.default_for(snapshot)


@dataclass(frozen=True)
class View:
    """A tab's controls and the ids of its shared widgets (URL location, Reset button, charts).

    ``tab`` namespaces every id (``"<tab>-<control>"`` for controls, so ``<label for>`` works;
    dicts ``{"type": ..., "tab": ..., "index": ...}`` for chart widgets).
    """

    tab: str
    controls: tuple[Control, ...]

    def __post_init__(self) -> None:
        names = [c.name for c in self.controls]
        if len(set(names)) != len(names):
            raise ValueError(f"view {self.tab!r} has duplicate control names: {names}")

    # --- ids -------------------------------------------------------------------
    def control_id(self, name: str) -> str:
        """Component id of control ``name`` (a plain string, so labels can point at it)."""
        if name not in self.names:
            raise KeyError(f"view {self.tab!r} has no control {name!r}")
        return f"{self.tab}-{name}"

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.controls)

    @property
    def url_id(self) -> dict[str, str]:
        """Id of the tab's ``dcc.Store`` holding the drawn view's query string (the URL is replaced to match)."""
        return {"type": "view-url", "tab": self.tab}

    @property
    def request_id(self) -> dict[str, str]:
        """Id of the tab's ``dcc.Store`` holding the control values the page asks the server to draw."""
        return {"type": "view-request", "tab": self.tab}

    @property
    def drawn_id(self) -> dict[str, str]:
        """Id of the tab's ``dcc.Store`` holding the values the charts were last drawn for (CSV files follow it)."""
        return {"type": "view-drawn", "tab": self.tab}

    @property
    def shown_id(self) -> dict[str, str]:
        """Id of the tab's ``dcc.Store`` holding a digest of what each chart shows (unchanged ones are not resent)."""
        return {"type": "view-shown", "tab": self.tab}

    @property
    def config_id(self) -> dict[str, str]:
        """Id of the tab's ``dcc.Store`` telling the browser the control names, defaults and settling controls."""
        return {"type": "view-config", "tab": self.tab}

    @property
    def reset_id(self) -> dict[str, str]:
        """Id of the tab's Reset button."""
        return {"type": "view-reset", "tab": self.tab}

    def graph_id(self, index: str) -> dict[str, str]:
        """Id of chart ``index``'s ``dcc.Graph``."""
        return {"type": "view-graph", "tab": self.tab, "index": index}

    def packed_id(self, index: str) -> dict[str, str]:
        """Id of chart ``index``'s ``dcc.Store`` of the server's answer that the browser draws (``client`` charts)."""
        return {"type": "view-packed", "tab": self.tab, "index": index}

    def csv_button_id(self, index: str) -> dict[str, str]:
        """Id of chart ``index``'s CSV button."""
        return {"type": "view-csv", "tab": self.tab, "index": index}

    def message_id(self, name: str) -> str:
        """Id of the line under control ``name`` that says how a typed value was corrected."""
        return f"{self.control_id(name)}-message"

    def grid_id(self, index: str) -> dict[str, str]:
        """Id of table ``index``'s ``AgGrid``."""
        return {"type": "view-grid", "tab": self.tab, "index": index}

    def grid_csv_button_id(self, index: str) -> dict[str, str]:
        """Id of table ``index``'s CSV button (the grid exports what it shows, in the browser)."""
        return {"type": "view-grid-csv", "tab": self.tab, "index": index}

    def download_id(self, index: str) -> dict[str, str]:
        """Id of chart ``index``'s ``dcc.Download``."""
        return {"type": "view-download", "tab": self.tab, "index": index}

    def note_id(self, index: str) -> dict[str, str]:
        """Id of the sentence under chart ``index`` (empty-state reason, callouts)."""
        return {"type": "view-note", "tab": self.tab, "index": index}

    # --- values ----------------------------------------------------------------
    def defaults(self, snapshot: Snapshot | None) -> dict[str, Any]:
        """Every control's default for this snapshot."""
        return {c.name: c.default_for(snapshot) for c in self.controls}

    def parse(self, raw: Mapping[str, Any] | None, snapshot: Snapshot | None) -> dict[str, Any]:
        """Normalised values of every control from URL query values or callback values.

        Unknown keys are ignored; missing or junk values give the default. Never raises.
        """
        raw = raw if isinstance(raw, Mapping) else {}
        return {c.name: c.value_for(raw.get(c.name), snapshot) for c in self.controls}

    def jsonable(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """``values`` as a component property holds them (tuples become lists), in control order."""
        return {name: list(v) if isinstance(v, tuple) else v for name, v in ((n, values[n]) for n in self.names)}

    def browser_config(self, snapshot: Snapshot | None) -> dict[str, Any]:
        """What ``assets/views.js`` needs: control names and ids, defaults (for Reset), settling controls."""
        return {
            "tab": self.tab,
            "names": list(self.names),
            "defaults": self.jsonable(self.defaults(snapshot)),
            "settle": [self.control_id(c.name) for c in self.controls if c.settle],
            "settle_ms": SETTLE_MS,
            "numbers": {c.name: list(b) for c in self.controls if (b := integer_bounds(c)) is not None},
        }

    def query_string(self, values: Mapping[str, Any], snapshot: Snapshot | None) -> str:
        """URL query (``?a=1&b=2``, or ``""``) for the values that differ from the defaults."""
        parsed = self.parse(values, snapshot)
        defaults = self.defaults(snapshot)
        pairs = [(c.name, c.encode(parsed[c.name])) for c in self.controls if parsed[c.name] != defaults[c.name]]
        return "?" + urlencode(pairs) if pairs else ""

    def file_name(
        self,
        chart: str,
        values: Mapping[str, Any],
        snapshot: Snapshot | None,
        ext: str = "csv",
        *,
        uses: Sequence[str] | None = None,
    ) -> str:
        """A download file name stating the filters the chart depends on (``uses``; default every control),
        e.g. ``discoveries-by-year_years-2000-2024_size-all.csv``."""
        parsed = self.parse(values, snapshot)
        shown = [c for c in self.controls if uses is None or c.name in uses]
        parts = [chart] + [f"{c.name}-{c.encode(parsed[c.name])}" for c in shown]
        stem = "_".join(_slug(p) for p in parts)
        return f"{stem}.{ext}"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.+-]+", "-", text).strip("-") or "x"


# --- parsers -----------------------------------------------------------------------
# Each factory's parser carries ``accepts(snapshot) -> dict``: the accepted values, for the data API's
# 400 answers and its documentation (:func:`accepted_values`).


def _accepting(parse: Parser, accepts: Callable[[Snapshot | None], dict[str, Any]]) -> Parser:
    parse.accepts = accepts  # type: ignore[attr-defined]
    return parse


def accepted_values(control: Control, snapshot: Snapshot | None) -> dict[str, Any]:
    """What ``control`` accepts in a URL, as JSON-ready facts (``values``; ``min``/``max``; ``form``; ``text``).

    Bounds that come from the data are given for ``snapshot``, or described when it is None. A custom
    parser without ``accepts`` is described by its docstring's first line.
    """
    accepts = getattr(control.parse, "accepts", None)
    if accepts is not None:
        return dict(accepts(snapshot))
    doc = (control.parse.__doc__ or "").strip()
    return {"text": doc.splitlines()[0] if doc else "see the page's control"}


def choice(*allowed: str) -> Parser:
    """Parser accepting one of ``allowed`` (exact text)."""

    def parse(raw: Any, _snapshot: Snapshot | None) -> str:
        if isinstance(raw, str) and raw in allowed:
            return raw
        raise ControlValueError(f"expected one of {allowed}, got {raw!r}")

    return _accepting(parse, lambda _snapshot: {"text": f"one of {', '.join(allowed)}", "values": list(allowed)})


def _number(raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise ControlValueError(f"not a number: {raw!r}")
    value = float(raw)
    if not math.isfinite(value):
        raise ControlValueError(f"not a finite number: {raw!r}")
    return value


def integer(lo: int, hi: int) -> Parser:
    """Parser of an integer in ``[lo, hi]`` (URL text or number; floats must be whole).

    A control with this parser is drawn with :func:`~dashboard_app.views.components.number_control`:
    the page corrects a typed value outside the range (with a message) before it asks for a chart.
    """

    def parse(raw: Any, _snapshot: Snapshot | None) -> int:
        value = _number(raw)
        if value != int(value) or not lo <= value <= hi:
            raise ControlValueError(f"expected an integer in [{lo}, {hi}], got {raw!r}")
        return int(value)

    parse.bounds = (lo, hi)  # type: ignore[attr-defined]
    return _accepting(parse, lambda _snapshot: {"text": f"an integer from {lo} to {hi}", "min": lo, "max": hi})


def integer_bounds(control: Control) -> tuple[int, int] | None:
    """The ``[lo, hi]`` of an integer control (one parsed by :func:`integer`), else None."""
    return getattr(control.parse, "bounds", None)


_RANGE_TEXT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(?:-|\.\.|,|~)\s*(-?\d+(?:\.\d+)?)\s*$")


def _pair(raw: Any) -> tuple[float, float]:
    if isinstance(raw, str):
        m = _RANGE_TEXT.match(raw)
        if not m:
            raise ControlValueError(f"not a range: {raw!r}")
        return _number(m.group(1)), _number(m.group(2))
    if isinstance(raw, Sequence) and len(raw) == 2:
        return _number(raw[0]), _number(raw[1])
    raise ControlValueError(f"not a range: {raw!r}")


def number_range(
    bounds: tuple[float, float] | Callable[[Snapshot | None], tuple[float, float]], step: float | None = None
) -> Parser:
    """Parser of a ``(lo, hi)`` pair within bounds (fixed or from the snapshot), clamped, lo ≤ hi.

    URL form ``lo-hi``; callback form ``[lo, hi]``. Values snap to ``step`` from the lower bound.
    A range wholly outside the bounds is junk (→ default); a partly outside one is clamped.
    """

    def parse(raw: Any, snapshot: Snapshot | None) -> tuple[float, float]:
        lo_b, hi_b = bounds(snapshot) if callable(bounds) else bounds
        a, b = sorted(_pair(raw))
        if b < lo_b or a > hi_b:
            raise ControlValueError(f"range {raw!r} outside [{lo_b}, {hi_b}]")
        a, b = max(a, lo_b), min(b, hi_b)
        if step:
            a = lo_b + round((a - lo_b) / step) * step
            b = lo_b + round((b - lo_b) / step) * step
        return (round(a, 6), round(b, 6))

    def accepts(snapshot: Snapshot | None) -> dict[str, Any]:
        facts: dict[str, Any] = {"form": "lo-hi", "step": step}
        if callable(bounds) and snapshot is None:
            return {**facts, "text": "a range lo-hi within the snapshot's data (clamped to it)"}
        lo_b, hi_b = bounds(snapshot) if callable(bounds) else bounds
        return {**facts, "text": f"a range lo-hi within {lo_b:g}-{hi_b:g} (clamped to it)", "min": lo_b, "max": hi_b}

    return _accepting(parse, accepts)


def year_range(bounds: Callable[[Snapshot | None], tuple[int, int]]) -> Parser:
    """Parser of an inclusive ``(first, last)`` year pair within the snapshot's bounds."""
    inner = number_range(bounds, step=1)

    def parse(raw: Any, snapshot: Snapshot | None) -> tuple[int, int]:
        a, b = inner(raw, snapshot)
        return (int(a), int(b))

    def accepts(snapshot: Snapshot | None) -> dict[str, Any]:
        if snapshot is None:
            return {"form": "first-last", "text": "years first-last within the snapshot's discovery years"}
        lo, hi = bounds(snapshot)
        return {"form": "first-last", "text": f"years first-last within {lo}-{hi}", "min": lo, "max": hi}

    return _accepting(parse, accepts)


def encode_range(value: tuple[float, float]) -> str:
    """URL text of a range: ``2000-2024`` or ``17.5-22``."""
    return "-".join(f"{v:g}" for v in value)


def this_year() -> int:
    """The current UTC year: only a fallback bound when no snapshot is loaded."""
    return datetime.now(UTC).year
