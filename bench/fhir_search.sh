#!/usr/bin/env bash
# Search latency on the imported Synthea set: 200 sequential requests each of
#   Observation?patient=…&code=http://loinc.org|8302-2&date=ge2010-01-01
#   Encounter?patient=…&_revinclude=Condition:encounter
# over 50 patients; prints p50/p95/p99 (audited like every read).
# COPIES=10 loads the bundles ten times over as different patients (bench/synthea_copies.py);
# DATABASE=postgresql://… runs on PostgreSQL instead of SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
CUSTOS=${CUSTOS_BIN:-build/dev/custos}
BUNDLES=${BUNDLES:-../shared/data/synthea/bundles}
data=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT
COPIES=${COPIES:-1}
DATABASE=${DATABASE:-}
db_flag=()
[ -n "$DATABASE" ] && db_flag=(--database "$DATABASE")
folders=("$BUNDLES")
if [ "$COPIES" -gt 1 ]; then
  python3 bench/synthea_copies.py "$BUNDLES" "$data/copies" "$COPIES"
  folders+=("$data/copies")
fi
"$CUSTOS" init --data-dir "$data" "${db_flag[@]}" --demo --demo-data /nonexistent >/dev/null
"$CUSTOS" import fhir --data-dir "$data" "${db_flag[@]}" --log-level warn "${folders[@]}" 2>/dev/null
"$CUSTOS" serve --data-dir "$data" "${db_flag[@]}" --http-port 0 --log-level warn >"$data/out" 2>"$data/err" &
server_pid=$!
for _ in $(seq 100); do grep -q listening "$data/out" 2>/dev/null && break; sleep 0.1; done
port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$data/out" | grep -o '[0-9]*$')
BASE="http://127.0.0.1:$port" python3 - <<'PY'
import json, os, time, urllib.request
base = os.environ["BASE"]
login = urllib.request.Request(base + "/api/v1/auth/login", headers={"Content-Type": "application/json"},
                               data=json.dumps({"username": "clinician", "password": "custos-demo-pass"}).encode())
headers = {"Authorization": "Bearer " + json.load(urllib.request.urlopen(login))["token"]}
def get(path):
    start = time.perf_counter()
    body = urllib.request.urlopen(urllib.request.Request(base + path, headers=headers)).read()
    return (time.perf_counter() - start) * 1000, json.loads(body)
ids = [e["resource"]["id"] for e in get("/fhir/Patient?_count=50&_elements=id")[1]["entry"]]
for name, query in [("Observation?patient&code&date", "/fhir/Observation?patient={}&code=http://loinc.org|8302-2&date=ge2010-01-01"),
                    ("Encounter?patient&_revinclude", "/fhir/Encounter?patient={}&_revinclude=Condition:encounter")]:
    latencies = sorted(get(query.format(ids[i % len(ids)]))[0] for i in range(200))
    print(f"{name}: p50 {latencies[100]:.2f} ms, p95 {latencies[190]:.2f} ms, p99 {latencies[198]:.2f} ms")
PY
