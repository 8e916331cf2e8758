"""locust users replaying the recorded traffic model (run by :func:`bench.load.run_users`, not by hand).

Each user is one :class:`bench.traffic_model.Visitor` with its own client address, sent as
``X-Forwarded-For`` (the server trusts 127.0.0.1 as its proxy, ``TRUSTED_PROXY_COUNT=1``), so the
rate limit sees many people, not the load generator. A visit starts with a page load (document,
``/_dash-layout``, ``/_dash-dependencies``) of the tab it enters at; then steps follow in recorded
order with 1–3 s of thinking before each, and a step's requests keep their recorded spacing (a
slider's arrow presses). Static bundles are not fetched (a returning browser has them cached).
Every answer is checked (:func:`bench.traffic_model.check_answer`); every request is appended to the
CSV log named by ``NEO_TRAFFIC_LOG``: wall time, user number, tab, kind, milliseconds, status, error.

Environment: ``NEO_TRAFFIC_MODEL`` (model path), ``NEO_TRAFFIC_LOG`` (CSV path), ``NEO_TRAFFIC_THINK``
(``"1,3"``: think time range in seconds), ``NEO_TRAFFIC_SEED``.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import random
import time
from pathlib import Path
from urllib.parse import quote

import gevent
from locust import FastHttpUser, events, task

from bench.traffic_model import MODEL, Request, TrafficModel, Visitor, check_answer

PAGE_PARAM = "page"  # dashboard_app.web.first_view.PAGE_PARAM (not imported: this runs inside locust)

_MODEL = TrafficModel.load(Path(os.environ.get("NEO_TRAFFIC_MODEL", MODEL)))
_THINK = tuple(float(x) for x in os.environ.get("NEO_TRAFFIC_THINK", "1,3").split(","))
_SEED = int(os.environ.get("NEO_TRAFFIC_SEED", "0"))
_LOG_PATH = os.environ.get("NEO_TRAFFIC_LOG")
_LOG = open(_LOG_PATH, "a", newline="", encoding="utf-8") if _LOG_PATH else None  # noqa: SIM115 (process-long)
_WRITER = csv.writer(_LOG) if _LOG else None
_USER_NUMBERS = itertools.count(1)


def client_address(n: int) -> str:
    """A distinct documentation-range-like address per simulated user (10.x.y.z)."""
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


class TrafficUser(FastHttpUser):
    """One visitor replaying the model."""

    def on_start(self) -> None:
        self.number = next(_USER_NUMBERS)
        self.address = client_address(self.number)
        self.visitor = Visitor(_MODEL, random.Random(_SEED * 100_003 + self.number), _THINK)
        self.page_load(_MODEL.steps[self.visitor.position].tab)

    def page_load(self, tab: str) -> None:
        # The page layout names the page, as shell.js does: it holds the tab's own layout (no routing callback).
        for path in (tab, f"/_dash-layout?{PAGE_PARAM}={quote(tab, safe='')}", "/_dash-dependencies"):
            self.send(Request("GET", path, 0.0), tab, "page")

    @task
    def step(self) -> None:
        gevent.sleep(self.visitor.think())
        step, requests = self.visitor.next_step()
        started = time.monotonic()
        for request in requests:
            if request.static:
                continue
            gevent.sleep(max(0.0, request.at_s - (time.monotonic() - started)))
            self.send(request, step.tab, "callback" if request.is_callback else "page")

    def send(self, request: Request, tab: str, kind: str) -> None:
        headers = {"X-Forwarded-For": self.address}
        name = f"{tab} {kind}"
        t0 = time.monotonic()
        if request.method == "POST":
            headers["Content-Type"] = "application/json"
            ctx = self.client.post(
                request.path, data=json.dumps(request.body), headers=headers, name=name, catch_response=True
            )
        else:
            ctx = self.client.get(request.path, headers=headers, name=name, catch_response=True)
        with ctx as response:
            status = response.status_code or 0
            error = check_answer(request, status, response.text or "") if status else f"no answer: {response.error}"
            if error:
                response.failure(error)
            else:
                response.success()
                if request.is_callback and status == 200:
                    self.visitor.remember(response.text or "")
        if _WRITER:
            ms = (time.monotonic() - t0) * 1000
            _WRITER.writerow([f"{time.time():.3f}", self.number, tab, kind, f"{ms:.1f}", status, error or ""])


@events.quitting.add_listener
def _close_log(**_kwargs: object) -> None:
    if _LOG:
        _LOG.close()
