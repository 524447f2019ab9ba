#!/usr/bin/env bash
# Intake search through the API: POST /fhir/Patient/$match (the registrar's search before create,
# authenticated and audited) with RECORDS patients indexed (default: all of dsgen 1M), wrk -t2
# with 8 and then 2 connections (CONNECTIONS="8 2"),
# each request a different person typed without SSN. Prints the import, the index load at start,
# and the latency percentiles.
#   RECORDS=../shared/data/febrl/generated/dsgen_100k.csv bench/mpi_intake.sh   (quicker)
# DATABASE=postgresql://… runs on PostgreSQL instead of SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
RECORDS=${RECORDS:-../shared/data/febrl/generated/dsgen_1m.csv.gz}
DURATION=${DURATION:-20s}
source bench/lib.sh
bench_init --demo
python3 bench/febrl_patients.py "$RECORDS" "$data/patients.ndjson.gz" "$data/queries.ndjson" 2000
echo "import: $(bench_import "$data/patients.ndjson.gz")" >&2
start=$(date +%s.%N)
bench_serve
python3 -c "print(f'server ready (patient index loaded) in {$(date +%s.%N) - $start:.1f} s')" >&2
grep -o '"rss_mb":[0-9.]*' "$data/out" >&2 || true
echo "server RSS after load: $(ps -o rss= -p "$server_pid" | awk '{printf "%.0f MB", $1/1024}')" >&2
token=$(bench_login registrar)
cat >"$data/match.lua" <<LUA
local bodies = {}
for line in io.lines("$data/queries.ndjson") do bodies[#bodies + 1] = line end
local counter = 0
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $token"
wrk.headers["Content-Type"] = "application/fhir+json"
request = function()
  counter = counter + 1
  return wrk.format(nil, "/fhir/Patient/\$match", nil, bodies[(counter % #bodies) + 1])
end
LUA
# Eight registrars searching without pause saturate the two cores (latency is then mostly
# queueing); two show the latency of a busy desk below saturation.
for connections in ${CONNECTIONS:-8 2}; do
  wrk -t2 -c"$connections" -d"$DURATION" --latency -s "$data/match.lua" \
    "http://127.0.0.1:$port" >"$data/wrk.txt"
  echo "Patient/\$match, $connections connections: $(awk '/Requests\/sec/ {print $2}' "$data/wrk.txt") req/s, p50 $(awk '$1=="50%" {print $2}' "$data/wrk.txt"), p90 $(awk '$1=="90%" {print $2}' "$data/wrk.txt"), p99 $(awk '$1=="99%" {print $2}' "$data/wrk.txt")"
  grep -E "Non-2xx" "$data/wrk.txt" || true
done
echo "server RSS after the run: $(ps -o rss= -p "$server_pid" | awk '{printf "%.0f MB", $1/1024}')" >&2
