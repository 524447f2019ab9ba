#!/usr/bin/env bash
# Patient/$everything for the patient with the most resources among the Synthea bundles: how much
# the server's peak memory (VmHWM) grows over its resident size before the request, and how long
# the streamed answer takes. DATABASE=postgresql://… runs on PostgreSQL instead of SQLite.
# ONE_PATIENT=1 first rewrites every bundle to belong to one patient (bench/one_patient.py), for
# a record of ~88,000 resources.
set -euo pipefail
cd "$(dirname "$0")/.."
BUNDLES=${BUNDLES:-../shared/data/synthea/bundles}
source bench/lib.sh
if [ "${ONE_PATIENT:-0}" = 1 ]; then
  python3 bench/one_patient.py "$BUNDLES" "$data/one"
  BUNDLES="$data/one"
fi
bench_init --demo --demo-data /nonexistent
bench_import "$BUNDLES" >/dev/null
bench_serve
BASE="http://127.0.0.1:$port" PID=$server_pid BUNDLES="$BUNDLES" python3 - <<'PY'
import gzip, json, os, time, urllib.request
base, pid, folder = os.environ["BASE"], os.environ["PID"], os.environ["BUNDLES"]
def largest_patient():
    best = (0, None)
    for name in os.listdir(folder):
        if "Information" in name:
            continue
        path = os.path.join(folder, name)
        bundle = json.load(gzip.open(path) if name.endswith(".gz") else open(path))
        patient = next((e for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"), None)
        if patient is None:
            continue
        best = max(best, (len(bundle["entry"]), patient["fullUrl"].removeprefix("urn:uuid:")))
        if os.environ.get("ONE_PATIENT") == "1":
            best = (88000, patient["fullUrl"].removeprefix("urn:uuid:"))
            break
    return best
def memory(field):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
entries, patient = largest_patient()
login = urllib.request.Request(base + "/api/v1/auth/login", headers={"Content-Type": "application/json"},
                               data=json.dumps({"username": "clinician", "password": "custos-demo-pass"}).encode())
headers = {"Authorization": "Bearer " + json.load(urllib.request.urlopen(login))["token"]}
urllib.request.urlopen(urllib.request.Request(base + "/fhir/Patient/" + patient, headers=headers)).read()
before = max(memory("VmRSS"), memory("VmHWM"))
start = time.perf_counter()
with urllib.request.urlopen(urllib.request.Request(base + f"/fhir/Patient/{patient}/$everything", headers=headers)) as response:
    size = 0
    while chunk := response.read(1 << 16):
        size += len(chunk)
seconds = time.perf_counter() - start
peak = memory("VmHWM")
print(f"$everything for the largest patient ({entries} bundle entries): {size / 1e6:.1f} MB in {seconds:.2f} s; "
      f"server peak before {before:.1f} MB, after {peak:.1f} MB, growth {peak - before:.1f} MB")
PY
