#!/usr/bin/env bash
# `make bench`: the figures of docs/BENCHMARKS.md, measured on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=build/dev
EVENTS=${EVENTS:-1000000}

echo "== audit appends inside transactions (SQLite, WAL)"
"$BUILD/bench/audit_bench" --benchmark_min_time=3 --benchmark_counters_tabular=true

echo "== custos audit verify over $EVENTS events"
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
"$BUILD/bench/audit_fill" "$data" "$EVENTS"
for run in 1 2 3; do "$BUILD/custos" audit verify --data-dir "$data" --log-level warn; done

echo "== HTTP: authenticated GET /api/v1/auth/me vs hello world, wrk -t2 -c64"
bench/http_throughput.sh

echo "== FHIR import of the Synthea bundles (issue 3)"
bench/fhir_import.sh
bench/fhir_import_instructions.sh

echo "== FHIR read: GET /fhir/Patient/{id} vs hello world, wrk -t2 -c64 (issue 3)"
bench/fhir_read.sh

echo "== FHIR search latency on the imported Synthea set, once and ten times over (issue 3)"
bench/fhir_search.sh
COPIES=10 bench/fhir_search.sh

echo "== Patient/\$everything: server memory growth, largest patient and all records as one (issue 3)"
bench/fhir_everything.sh
ONE_PATIENT=1 bench/fhir_everything.sh

echo "== The issue 3 figures on PostgreSQL (durable settings)"
for script in fhir_import.sh fhir_read.sh fhir_search.sh fhir_everything.sh; do
  PG_DURABLE=1 tests/with_postgres.sh bash -c "DATABASE=\$CUSTOS_TEST_POSTGRES_URL bench/$script"
done

echo "== Master patient index: custos mpi evaluate on FEBRL and dsgen (issue 4)"
bench/mpi_dedupe.sh

echo "== Intake search in process with 1,000,000 patients indexed (issue 4)"
"$BUILD/bench/mpi_index_bench"

echo "== Intake search through the API: POST /fhir/Patient/\$match with 1,000,000 patients (issue 4)"
bench/mpi_intake.sh
PG_DURABLE=1 tests/with_postgres.sh bash -c "DATABASE=\$CUSTOS_TEST_POSTGRES_URL bench/mpi_intake.sh"
