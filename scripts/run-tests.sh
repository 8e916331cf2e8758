#!/usr/bin/env bash
# Run the whole pytest suite; "no tests collected" (exit 5) is a failure, never success.
set -uo pipefail
.venv/bin/python -m pytest "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "run-tests: pytest collected no tests: failing" >&2
  exit 1
fi
exit "$rc"
