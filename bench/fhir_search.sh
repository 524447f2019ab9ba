#!/usr/bin/env bash
# Search latency on the imported Synthea set: 200 sequential requests each of
#   Observation?patient=…&code=http://loinc.org|8302-2&date=ge2010-01-01
#   Encounter?patient=…&_revinclude=Condition:encounter
# over 50 patients; prints p50/p95/p99 (audited like every read).
# COPIES=10 loads the bundles ten times over as different patients (bench/synthea_copies.py);
# DATABASE=postgresql://… runs on PostgreSQL instead of SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
BUNDLES=${BUNDLES:-../shared/data/synthea/bundles}
COPIES=${COPIES:-1}
source bench/lib.sh
folders=("$BUNDLES")
if [ "$COPIES" -gt 1 ]; then
  python3 bench/synthea_copies.py "$BUNDLES" "$data/copies" "$COPIES"
  folders+=("$data/copies")
fi
bench_init --demo --demo-data /nonexistent
bench_import "${folders[@]}"
bench_serve
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
