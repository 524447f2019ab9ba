#!/usr/bin/env bash
# GET /fhir/Patient/{id} (authenticated, audited) against the hello-world handler on the same
# server in the same run, wrk -t2 -c64. Loads the demo patients first.
# DATABASE=postgresql://… runs on PostgreSQL instead of SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
source bench/lib.sh
bench_init --demo
SERVER_FLAGS="--set http.enable_bench_routes=true ${SERVER_FLAGS:-}" bench_serve
token=$(bench_login clinician)
id=$(curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:$port/fhir/Patient?_count=1" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["entry"][0]["resource"]["id"])')
# Server CPU time (user + system, clock ticks) so far.
server_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
run() {
  local name=$1; shift
  local before after
  before=$(server_ticks)
  wrk -t2 -c64 -d"$DURATION" --latency "$@" >"$data/$name.txt"
  after=$(server_ticks)
  # CPU per request is steadier than throughput on a machine whose speed varies from run to run.
  local cpu
  cpu=$(awk -v t="$((after - before))" -v hz="$(getconf CLK_TCK)" \
    '/requests in/ {printf "%.1f", t / hz * 1e6 / $1}' "$data/$name.txt")
  echo "$name: $(awk '/Requests\/sec/ {print $2}' "$data/$name.txt") req/s, p50 $(awk '$1=="50%" {print $2}' "$data/$name.txt"), p99 $(awk '$1=="99%" {print $2}' "$data/$name.txt"), server CPU $cpu µs/request" >&2
  awk '/Requests\/sec/ {print $2}' "$data/$name.txt"
}
hello=$(run hello "http://127.0.0.1:$port/bench/hello")
read=$(run fhir_read -H "Authorization: Bearer $token" "http://127.0.0.1:$port/fhir/Patient/$id")
python3 -c "print(f'ratio fhir read/hello = {float($read)/float($hello):.2f}')"
