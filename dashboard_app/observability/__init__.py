"""Operations: Prometheus metrics (``/metrics``, issue #19) and optional Sentry error reports.

- ``families.py``: the metrics recorded per request and per worker (names, labels, buckets);
- ``recorder.py``: records requests and syncs the store's and memo cache's counters into them;
- ``callbacks.py``: bounded labels (tab, callback, chart) for Dash callbacks;
- ``collectors.py``: facts read at scrape time (exporter status, served snapshot, memory);
- ``multiprocess.py``: prometheus_client's multiprocess mode under gunicorn and its hooks;
- ``errors.py``: Sentry, scrubbed of personal data.

The Flask side is ``dashboard_app/web/metrics.py``; who may read ``/metrics`` is ``web/operator.py``.
"""
