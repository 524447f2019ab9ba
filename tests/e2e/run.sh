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

if [[ ! -x "$CUSTOS_BIN" ]]; then
  echo "run.sh: no custos binary at $CUSTOS_BIN (build it, or set CUSTOS_BIN)" >&2
  exit 2
fi
if [[ ! -d web/node_modules ]]; then
  npm --prefix web ci --no-audit --no-fund
fi
if [[ "${CUSTOS_E2E_SKIP_BUILD:-0}" != 1 || ! -f web/dist/index.html ]]; then
  npm --prefix web run build
fi

DATA_DIR="$(mktemp -d "${TMPDIR:-/tmp}/custos-e2e-data.XXXXXX")"
LOG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/custos-e2e-logs.XXXXXX")"
SERVER_PID=""

cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$DATA_DIR" "$LOG_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$CUSTOS_BIN" init --data-dir "$DATA_DIR" --demo >"$LOG_DIR/init.log" 2>&1 || {
  echo "run.sh: custos init failed:" >&2
  cat "$LOG_DIR/init.log" >&2
  exit 1
}

"$CUSTOS_BIN" serve --data-dir "$DATA_DIR" --http-port 0 --web-dir web/dist --demo \
  >"$LOG_DIR/server.out" 2>"$LOG_DIR/server.err" &
SERVER_PID=$!

CUSTOS_URL=""
for _ in $(seq $((STARTUP_TIMEOUT_SECONDS * 10))); do
  CUSTOS_URL="$(grep -h -o 'listening on http://127\.0\.0\.1:[0-9]*' "$LOG_DIR/server.out" "$LOG_DIR/server.err" \
    2>/dev/null | head -n 1 | sed 's/^listening on //' || true)"
  [[ -n "$CUSTOS_URL" ]] && break
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "run.sh: custos serve exited before listening:" >&2
    cat "$LOG_DIR/server.out" "$LOG_DIR/server.err" >&2
    exit 1
  fi
  sleep 0.1
done
if [[ -z "$CUSTOS_URL" ]]; then
  echo "run.sh: custos serve did not say 'listening on http://127.0.0.1:PORT' within ${STARTUP_TIMEOUT_SECONDS}s:" >&2
  cat "$LOG_DIR/server.out" "$LOG_DIR/server.err" >&2
  exit 1
fi
echo "run.sh: custos serving at $CUSTOS_URL"
export CUSTOS_URL

status=0
npm --prefix web run e2e || status=$?
if [[ $status -ne 0 ]]; then
  echo "run.sh: e2e failed; last lines of the server's log:" >&2
  tail -n 40 "$LOG_DIR/server.err" "$LOG_DIR/server.out" >&2 || true
fi
exit $status
