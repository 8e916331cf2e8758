#!/bin/sh
# Container entrypoint (tini is PID 1 and forwards signals to what this script execs).
#   serve [GUNICORN ARGS]  (default) check the settings, build the synthetic demo snapshot when DATA_DIR holds
#                          none (unless DEMO_IF_EMPTY=false), then exec gunicorn with gunicorn.conf.py
#   export [ARGS]          exec the nightly exporter: neo-explorer export ARGS
#   anything else          exec'd as given (e.g. `neo-explorer status`, `sh`)
# A bad setting stops the container with one line naming it and exit code 2 (dashboard_app/exit_codes.py).
set -eu

# The commit the image was built from (written at build time) unless the environment names one; /health shows it.
if [ -z "${GIT_COMMIT:-}" ] && [ -r /app/GIT_COMMIT ]; then
  GIT_COMMIT=$(cat /app/GIT_COMMIT)
  export GIT_COMMIT
fi

# Settings check and, on an empty DATA_DIR, the demo snapshot (dashboard_app/startup.py); its lines go to stdout
# as JSON log lines (LOG_FORMAT), like everything else the container prints.
preflight() {
  python -m dashboard_app.startup
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
