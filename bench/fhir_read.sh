#!/usr/bin/env bash
# GET /fhir/Patient/{id} (authenticated, audited) against the hello-world handler on the same
# server in the same run, wrk -t2 -c64. Loads the demo patients first.
# DATABASE=postgresql://… runs on PostgreSQL instead of SQLite.
# The two take turns, ROUNDS times DURATION each: this machine's speed drifts from one moment to
# the next, and turns give both the same share of fast and slow moments.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-3}
source bench/lib.sh
bench_init --demo
SERVER_FLAGS="--set http.enable_bench_routes=true ${SERVER_FLAGS:-}" bench_serve
token=$(bench_login clinician)
id=$(curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:$port/fhir/Patient?_count=1" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["entry"][0]["resource"]["id"])')
# CPU time (user + system, clock ticks) so far: the server's; PostgreSQL's (every `postgres`
# process on the machine, so run no other cluster); the whole machine's and its idle time.
server_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
database_ticks() {
  local total=0 pid
  for pid in $(pgrep -x postgres); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
machine_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9, $5 + $6}' /proc/stat; }
# per_request NAME TICKS: TICKS in µs per request of the wrk run NAME.
per_request() {
  awk -v t="$2" -v hz="$(getconf CLK_TCK)" '/requests in/ {printf "%.1f", t / hz * 1e6 / $1}' \
    "$data/$1.txt"
}
run() {
  local name=$1; shift
  local server database machine idle server2 database2 machine2 idle2
  server=$(server_ticks) database=$(database_ticks)
  read -r machine idle < <(machine_ticks)
  wrk -t2 -c64 -d"$DURATION" --latency "$@" >"$data/$name.txt"
  server2=$(server_ticks) database2=$(database_ticks)
  read -r machine2 idle2 < <(machine_ticks)
  # CPU per request is steadier than throughput on a machine whose speed varies from run to run.
  # On PostgreSQL the database's CPU and the machine's idle time per request show where a
  # request's time goes (idle: the cores waited, for an fsync or a round trip).
  local cpu
  cpu="server CPU $(per_request "$name" $((server2 - server))) µs/request"
  [ -n "$DATABASE" ] && cpu+=", PostgreSQL CPU $(per_request "$name" $((database2 - database))) µs"
  cpu+=", machine idle $(per_request "$name" $((idle2 - idle))) of"
  cpu+=" $(per_request "$name" $((machine2 - machine))) µs"
  echo "$name: $(awk '/Requests\/sec/ {print $2}' "$data/$name.txt") req/s, p50 $(awk '$1=="50%" {print $2}' "$data/$name.txt"), p99 $(awk '$1=="99%" {print $2}' "$data/$name.txt"), $cpu" >&2
  awk '/Requests\/sec/ {print $2}' "$data/$name.txt"
}
# A first, unmeasured run warms the caches and prepares the statements.
wrk -t2 -c64 -d2s -H "Authorization: Bearer $token" "http://127.0.0.1:$port/fhir/Patient/$id" \
  >/dev/null
hellos=() reads=()
for round in $(seq "$ROUNDS"); do
  hellos+=("$(run "hello-$round" "http://127.0.0.1:$port/bench/hello")")
  reads+=("$(run "fhir_read-$round" -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$port/fhir/Patient/$id")")
done
python3 - "${hellos[*]}" "${reads[*]}" <<'PY'
import sys
hellos = [float(x) for x in sys.argv[1].split()]
reads = [float(x) for x in sys.argv[2].split()]
rounds = ", ".join(f"{r / h:.2f}" for h, r in zip(hellos, reads))
print(f"ratio fhir read/hello = {sum(reads) / sum(hellos):.2f} (by round: {rounds})")
PY
