#!/usr/bin/env bash
# Install the system packages the test suite needs (PostgreSQL server, Chromium and its driver, the linter
# for shell scripts, and redis-server for the replicas' shared rate-limit store) when this machine allows
# it; otherwise say exactly what to install and fail.
set -euo pipefail

need=()
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v shellcheck >/dev/null 2>&1 || need+=(shellcheck)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: installing ${need[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
  exit 0
fi
echo "system-deps: missing system packages: ${need[*]}" >&2
echo "system-deps: install them (Debian/Ubuntu: sudo apt-get install ${need[*]}) and run again." >&2
exit 1
