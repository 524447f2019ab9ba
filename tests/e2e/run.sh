#!/usr/bin/env bash
# Runs the browser tests (web/e2e) against a real custos server with the demo data.
#
#   CUSTOS_BIN=build/dev/custos tests/e2e/run.sh
#
# Needs the custos binary. Installs web/node_modules (npm ci) when missing and builds web/dist
# (skip with CUSTOS_E2E_SKIP_BUILD=1). It makes a temporary data folder, seeds the demo users,
# starts `custos serve` on a free port, runs `npm --prefix web run e2e` with CUSTOS_URL set, and
# always stops the server and removes the folder. Exits with the tests' status.
# Headless: needs no display. Set CUSTOS_SCREENSHOT_DIR to keep screenshots of the dashboard.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

CUSTOS_BIN="${CUSTOS_BIN:-build/dev/custos}"
STARTUP_TIMEOUT_SECONDS="${CUSTOS_STARTUP_TIMEOUT:-30}"

if [[ ! -d web/node_modules ]]; then
  npm --prefix web ci --no-audit --no-fund
fi
if [[ "${CUSTOS_E2E_SKIP_BUILD:-0}" != 1 || ! -f web/dist/index.html ]]; then
  npm --prefix web run build
fi

# shellcheck source=../lib/custos_server.sh
source "$ROOT/tests/lib/custos_server.sh"
custos_server_start e2e --web-dir web/dist

status=0
npm --prefix web run e2e || status=$?
if [[ $status -ne 0 ]]; then
  echo "run.sh: e2e failed; last lines of the server's log:" >&2
  custos_server_logs
fi
exit $status
