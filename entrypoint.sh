#!/bin/sh
# Container entrypoint (tini is PID 1 and forwards signals to what this script execs).
#   serve [GUNICORN ARGS]  (default) check the settings, build the synthetic demo snapshot when DATA_DIR holds
#                          none (unless DEMO_IF_EMPTY=0), then exec gunicorn with gunicorn.conf.py
#   export [ARGS]          exec the nightly exporter: neo-explorer export ARGS
#   anything else          exec'd as given (e.g. `neo-explorer status`, `sh`)
# A bad setting stops the container with one line naming it and exit code 78 (EX_CONFIG).
set -eu

# The commit the image was built from (written at build time) unless the environment names one; /health shows it.
if [ -z "${GIT_COMMIT:-}" ] && [ -r /app/GIT_COMMIT ]; then
  GIT_COMMIT=$(cat /app/GIT_COMMIT)
  export GIT_COMMIT
fi

# One Python start-up for both steps; messages go to stderr, prefixed so they stand out in the container log.
preflight() {
  python -c '
import os, sys

from dashboard_app.settings import SettingsError, load_settings

try:
    settings = load_settings(os.environ)
except SettingsError as exc:
    print(f"entrypoint: invalid setting: {exc}", file=sys.stderr)
    sys.exit(78)

from dashboard_app.snapshot.publish import current_snapshot_path

data_dir = settings.data_dir
if current_snapshot_path(data_dir) is not None:
    sys.exit(0)
if not settings.demo_if_empty:
    print(f"entrypoint: no snapshot in {data_dir} yet and DEMO_IF_EMPTY=0: "
          "the app starts empty until the exporter publishes one", file=sys.stderr)
    sys.exit(0)
print(f"entrypoint: no snapshot in {data_dir}: building the synthetic demo snapshot", file=sys.stderr)
from dashboard_app.cli import main
from dashboard_app.sky.demo import EXIT_LOCKED

status = main(["demo", str(data_dir)])
if status == EXIT_LOCKED:  # another replica is publishing into the same volume: serve what it publishes
    print(f"entrypoint: another process is publishing into {data_dir}: starting with what it publishes",
          file=sys.stderr)
    status = 0
sys.exit(status)
'
}

command=${1:-serve}
[ "$#" -gt 0 ] && shift
case "$command" in
  serve)
    preflight
    exec gunicorn --config /app/gunicorn.conf.py "$@" dashboard_app.wsgi:server
    ;;
  export)
    exec neo-explorer export "$@"
    ;;
  *)
    exec "$command" "$@"
    ;;
esac
