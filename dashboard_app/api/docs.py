"""The data API's documentation, generated from the code: ``python -m dashboard_app.api.docs > docs/api.md``.

Endpoints, parameters (from each tab's ``views.View``), charts and their columns (names and types
from running each chart's CSV builder on the synthetic sky :data:`DOC_SEED` / :data:`DOC_SCALE`, meanings
and units from the builder's own "Columns:" line). A test regenerates it and fails when
``docs/api.md`` differs, so the page cannot drift from the code. The app serves the same text for
the snapshot it is serving at ``/api/v1/docs/api.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dashboard_app.api import charts
from dashboard_app.api.charts import DataTab
from dashboard_app.api.responses import MAX_AGE_S
from dashboard_app.api.routes import PREFIX, SEARCH_LIMIT_MAX
from dashboard_app.designations import MAX_INPUT_CHARS
from dashboard_app.snapshot.model import Snapshot

DOC_SEED = 20260329
DOC_SCALE = 0.01
"""The synthetic sky the column lists are generated from (the test suite's small sky)."""

INTRO = f"""# Data API

Generated from the code by `python -m dashboard_app.api.docs > docs/api.md`; a test fails when this
file and the code disagree. A running site serves the same page at `{PREFIX}/docs/api.md`.

Every chart of the dashboard has its numbers at a stable URL that takes **the page's own query
parameters**: copy a view's URL, put `{PREFIX}` in front of its path and `/<chart>.csv` or
`/<chart>.json` after it, and you get that view's numbers. The CSV is byte for byte the chart's
CSV download; the JSON holds the same frame with the filters echoed. The API is read-only and
needs no key.

## Conventions

- **Snapshot headers.** Every answer carries `X-Snapshot-Id` (the data snapshot it was computed
  from) and `X-Data-Time` (the newest observation in the data, ISO 8601 UTC).
- **Caching.** `ETag` is the snapshot id; send it back in `If-None-Match` and an unchanged answer
  is `304 Not Modified` (also for the `"<id>:gzip"` form of compressed answers). Answers may be cached
  for {MAX_AGE_S} s (`Cache-Control: public, max-age={MAX_AGE_S}`); a new snapshot is published nightly.
- **Filters.** Parameters left out take the page's defaults. JSON answers echo every filter
  (`filters`, and `query`: the page's query string for this view); CSV answers state them in their
  comment lines and in the `X-Filters` header (every parameter, defaults included).
- **Errors** are JSON: `{{"status", "error", "message", ...}}`. An unknown, repeated or unacceptable
  parameter is a `400` whose `accepted` field lists what is accepted; an unknown path or NEO is a
  `404`; `503` while no snapshot is loaded.
- **Rate limit.** Requests are limited per client address like the page's chart updates (the
  site's `RATE_LIMIT`, counted separately); over it, `429` with `Retry-After`. For everything at
  once, download the snapshot file.
- **Other sites** may read the API from scripts (`Access-Control-Allow-Origin: *`).
- **CSV** files are UTF-8 with `#` comment lines first (pandas: `pd.read_csv(url, comment="#")`).
"""

ENDPOINTS: tuple[tuple[str, str], ...] = (
    (f"{PREFIX}/", "what the API offers: every tab, chart, parameter and link, for the current snapshot"),
    (f"{PREFIX}/<tab>?<query>", "a tab's charts with their CSV and JSON URLs for that view"),
    (f"{PREFIX}/<tab>/<chart>.csv?<query>", "the chart's numbers as CSV (the chart's download)"),
    (
        f"{PREFIX}/<tab>/<chart>.json?<query>",
        "the same as JSON: `filters`, `query`, `description`, `links`, `columns` (name, type), "
        "`rows` (lists in column order), `snapshot`",
    ),
    (f"{PREFIX}/neo/<designation>", "one NEO, see [Single NEOs](#single-neos)"),
    (
        f"{PREFIX}/search?q=<text>&limit=<n>",
        f"NEOs whose designation, packed designation or number starts with `text` (1–{MAX_INPUT_CHARS} "
        f"characters; `limit` 1–{SEARCH_LIMIT_MAX}, default 8)",
    ),
    (
        f"{PREFIX}/snapshot",
        "the snapshot file: `file`, `bytes`, `sha256`, `schema_version`, times, row counts, `download` and "
        "`schema` URLs",
    ),
    (
        f"{PREFIX}/snapshot/<file>",
        "the SQLite snapshot itself (range and conditional requests; `latest.sqlite` redirects to the current file)",
    ),
    (f"{PREFIX}/docs/api.md", "this page"),
    (f"{PREFIX}/docs/snapshot-schema.md", "the snapshot schema (`docs/snapshot-schema.md`)"),
)

NEO_INTRO = f"""`{PREFIX}/neo/<designation>` takes a designation in any common form: `2024 YR4` (or `2024_YR4`,
`2024yr4`), packed `K24Y04R`, a number `99942` or `(99942)`, survey designations `2040 P-L`. Its
page is `/neo/<designation>`. The JSON holds exactly what the page shows:"""

NEO_FIELDS: tuple[tuple[str, str], ...] = (
    (
        "`designation`, `provid`, `packed_provid`, `permid`, `slug`",
        "display name, primary provisional designation, packed form, number (null when unnumbered), "
        "path segment of its page",
    ),
    ("`status`", "`discovered`, or `no_discovery` for NEOs without a discovery observation"),
    ("`orbit`", "`q_au`, `e`, `i_deg`, `h_mag` (null = unknown) and `size_class` (`order`, `label`, `h_min`, `h_max`)"),
    (
        "`discovery`",
        "`obs_id`, `time_utc`, `year`, `station` (`code`, `name`, `project`), `trkid`, `tracklet` (`n_obs`, "
        "`ra_deg`, `dec_deg`, `v_mag`, `rate_deg_per_day`, `pa_deg`; rate and angle null for a zero time span)",
    ),
    (
        "`circumstances`",
        "`solar_elongation_deg` (signed: + evening, − morning), `sky`, `sun_altitude_deg` (null for space-based "
        "sites), `twilight`, `moon_elongation_deg`, `moon_illuminated_fraction`",
    ),
    (
        "`apparition`",
        "`half_window_days`, `windows_days`, `stations`: one per station that observed it in the apparition, "
        "earliest first (`station`, `discoverer`, `first_dt_days` (negative = precovery), `first_post_dt_days`, "
        "`precovery`, `counts` of `obs` and `tracklets` per window, `post` discovery and `any` side, `followup` "
        "under the `project` and `station` rules); `followup`: per rule `rule`, `stations`, `projects`, `first`",
    ),
    ("`no_discovery`", "for `no_discovery` NEOs: `n_obs` and the `reason`"),
    ("`not_in_snapshot`", "columns the snapshot being served lacks (an older schema); their fields are null"),
    ("`links`, `snapshot`", "the page and JSON URLs; the snapshot id, data time and schema version"),
)


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _parameters(tab: DataTab) -> list[str]:
    lines = ["| Parameter | Default | Accepted |", "|---|---|---|"]
    for name, facts in charts.accepted_parameters(tab.view, None).items():
        default = f"`{facts['default']}`" if facts["default"] is not None else "from the data (its full range)"
        accepted = ", ".join(f"`{v}`" for v in facts["values"]) if "values" in facts else facts.get("text", "")
        lines.append(f"| `{name}` | {default} | {_cell(accepted)} |")
    return lines


def _columns_line(comment: str | None) -> str:
    for line in (comment or "").splitlines():
        if line.startswith("Columns:"):
            return line.removeprefix("Columns:").strip()
    return ""


def _chart(tab: DataTab, chart: charts.Chart, snapshot: Snapshot) -> list[str]:
    values = tab.view.defaults(snapshot)
    frame, comment = charts.chart_frame(chart, values, snapshot)
    base = f"{PREFIX}/{tab.slug}/{chart.index}"
    lines = [f"#### `{chart.index}`", "", f"`{base}.csv` · `{base}.json` (CSV file name `{chart.file}_…csv`)", ""]
    meaning = _columns_line(comment)
    if meaning:
        lines += [f"Columns: {meaning}", ""]
    lines += ["| Column | Type |", "|---|---|"]
    lines += [f"| `{c}` | {charts.column_type(frame[c])} |" for c in frame.columns]
    return [*lines, ""]


def markdown(tabs: Sequence[DataTab], snapshot: Snapshot) -> str:
    """The whole documentation page for ``tabs``, with column lists from ``snapshot``."""
    lines = [INTRO.rstrip(), "", "## Endpoints", "", "| Endpoint | Answer |", "|---|---|"]
    lines += [f"| `GET {_cell(path)}` | {_cell(text)} |" for path, text in ENDPOINTS]
    lines += ["", "## Single NEOs", "", NEO_INTRO, "", "| Field | Meaning |", "|---|---|"]
    lines += [f"| {_cell(field)} | {_cell(text)} |" for field, text in NEO_FIELDS]
    lines += ["", "## Charts", ""]
    lines.append("Each tab's parameters are its page's URL query parameters; each chart has a CSV and a JSON URL.")
    lines.append("")
    for tab in tabs:
        lines += [f"### {tab.name}: `{PREFIX}/{tab.slug}`", "", f"Page: `{tab.path}`.", ""]
        lines += [*_parameters(tab), ""]
        for chart in tab.charts:
            lines += _chart(tab, chart, snapshot)
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:  # pragma: no cover - exercised by the docs test through markdown()
    """Print the page for the synthetic sky :data:`DOC_SEED` / :data:`DOC_SCALE`."""
    import tempfile
    from pathlib import Path

    from dashboard_app.app import tab_modules
    from dashboard_app.sky import generate
    from dashboard_app.snapshot.model import load_snapshot
    from dashboard_app.snapshot.publish import publish

    with tempfile.TemporaryDirectory() as tmp:
        path = publish(Path(tmp), generate(DOC_SEED, DOC_SCALE).build, max_row_drop=None).path
        print(markdown(charts.data_tabs(tab_modules()), load_snapshot(path)), end="")


if __name__ == "__main__":  # pragma: no cover
    main()
