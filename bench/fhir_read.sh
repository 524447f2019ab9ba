#!/usr/bin/env bash
# GET /fhir/Patient/{id} (authenticated, audited) against the hello-world handler on the same
# server in the same run, wrk -t2 -c64. Loads the demo patients first.
# DATABASE=postgresql://… runs on PostgreSQL instead of SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
CUSTOS=${CUSTOS_BIN:-build/dev/custos}
DURATION=${DURATION:-10s}
data=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT
DATABASE=${DATABASE:-}
db_flag=()
[ -n "$DATABASE" ] && db_flag=(--database "$DATABASE")
"$CUSTOS" init --data-dir "$data" "${db_flag[@]}" --demo >/dev/null
"$CUSTOS" serve --data-dir "$data" "${db_flag[@]}" --http-port 0 --set http.enable_bench_routes=true ${EXTRA_SETTINGS:-} --log-level warn \
  >"$data/out" 2>"$data/err" &
server_pid=$!
for _ in $(seq 100); do grep -q listening "$data/out" 2>/dev/null && break; sleep 0.1; done
port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$data/out" | grep -o '[0-9]*$')
token=$(curl -s -X POST "http://127.0.0.1:$port/api/v1/auth/login" \
  -d '{"username":"clinician","password":"custos-demo-pass"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
id=$(curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:$port/fhir/Patient?_count=1" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["entry"][0]["resource"]["id"])')
run() {
  local name=$1; shift
  wrk -t2 -c64 -d"$DURATION" --latency "$@" >"$data/$name.txt"
  echo "$name: $(awk '/Requests\/sec/ {print $2}' "$data/$name.txt") req/s, p50 $(awk '$1=="50%" {print $2}' "$data/$name.txt"), p99 $(awk '$1=="99%" {print $2}' "$data/$name.txt")" >&2
  awk '/Requests\/sec/ {print $2}' "$data/$name.txt"
}
hello=$(run hello "http://127.0.0.1:$port/bench/hello")
read=$(run fhir_read -H "Authorization: Bearer $token" "http://127.0.0.1:$port/fhir/Patient/$id")
python3 -c "print(f'ratio fhir read/hello = {float($read)/float($hello):.2f}')"
