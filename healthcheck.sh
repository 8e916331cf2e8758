#!/bin/sh
# Container health check: GET http://127.0.0.1:$PORT/health with Python's standard library (slim images have
# no curl). Prints one line; exit 0 only on HTTP 200 within HEALTHCHECK_TIMEOUT seconds (default 3), else 1.
exec python -c '
import os, sys, urllib.error, urllib.request

port = os.environ.get("PORT", "8050")
url = f"http://127.0.0.1:{port}/health"
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via an HTTP(S)_PROXY
try:
    with opener.open(url, timeout=float(os.environ.get("HEALTHCHECK_TIMEOUT", "3"))) as response:
        status = response.status
except urllib.error.HTTPError as exc:
    status = exc.code
except (OSError, ValueError) as exc:
    print(f"unhealthy: {url}: {exc}")
    sys.exit(1)
verdict = "healthy" if status == 200 else "unhealthy"
print(f"{verdict}: {url} answered HTTP {status}")
sys.exit(0 if status == 200 else 1)
'
