#!/usr/bin/env bash
# Make a container engine available for the container tests (tests/container/).
#   - a running Docker engine is used as it is;
#   - otherwise, as root on Debian, ../shared/tools/container-base.sh installs podman, builds the local
#     python:3.11-slim base image (no registry is reachable here) and installs hadolint: several minutes the
#     first time, seconds afterwards;
#   - otherwise it says why the container tests will be skipped and exits 0 (a developer machine without root).
# A set-up that was attempted and failed exits non-zero, so `make test` stops instead of skipping quietly.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
base_script=${CONTAINER_BASE_SCRIPT:-$repo/../shared/tools/container-base.sh}
say() { printf 'container-engine: %s\n' "$*" >&2; }

if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  say "using the running Docker engine"
  exit 0
fi
if [ "$(id -u)" != 0 ] || [ ! -f "$base_script" ]; then
  if command -v podman >/dev/null 2>&1 && podman info >/dev/null 2>&1; then
    say "using podman ($(podman --version))"
  else
    say "WARNING: no Docker engine and no podman, and cannot set one up here" \
      "(needs root and $base_script): the container tests will be SKIPPED"
  fi
  exit 0
fi

t0=$(date +%s)
say "setting up podman and the local base image with $base_script (minutes the first time)"
bash "$base_script" setup
bash "$base_script" lint --version >/dev/null
say "podman ready in $(($(date +%s) - t0)) s"
