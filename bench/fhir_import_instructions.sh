#!/usr/bin/env bash
# Instructions an import executes, counted by valgrind (callgrind): unlike its time, the count
# does not change with the machine's speed, so two builds compare on one run each. Imports the
# first BUNDLES (30) Synthea bundles in name order into a fresh SQLite database; CUSTOS_BIN picks
# the binary; OUT=file keeps callgrind's profile for callgrind_annotate. Counts user-space
# instructions only: waits, the kernel's work and cache misses are not in it, nor which thread
# bounds the import, so confirm a change with timed runs (bench/fhir_import.sh) too.
set -euo pipefail
cd "$(dirname "$0")/.."
BUNDLES=${BUNDLES:-30}
source bench/lib.sh
bench_init
mkdir "$data/bundles"
find ../shared/data/synthea/bundles -name '*.json.gz' | sort | head -n "$BUNDLES" |
  xargs -I{} cp {} "$data/bundles/"
valgrind --tool=callgrind --callgrind-out-file="$data/callgrind.out" \
  "$CUSTOS" import fhir --data-dir "$data" --log-level warn "$data/bundles" 2>"$data/valgrind.txt" >/dev/null
awk '/Collected/ {print "instructions: " $4}' "$data/valgrind.txt"
if [ -n "${OUT:-}" ]; then cp "$data/callgrind.out" "$OUT"; fi
