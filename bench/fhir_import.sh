#!/usr/bin/env bash
# Import of all Synthea bundles (shared/data/synthea/bundles: 302 files, ~88,000 resources) into a
# fresh SQLite database, with validation, search indexing and audit. Prints custos's own summary.
set -euo pipefail
cd "$(dirname "$0")/.."
CUSTOS=${CUSTOS_BIN:-build/dev/custos}
BUNDLES=${BUNDLES:-../shared/data/synthea/bundles}
DATABASE=${DATABASE:-}
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
db_flag=()
[ -n "$DATABASE" ] && db_flag=(--database "$DATABASE")
"$CUSTOS" init --data-dir "$data" "${db_flag[@]}" >/dev/null
"$CUSTOS" import fhir --data-dir "$data" "${db_flag[@]}" --log-level warn "$BUNDLES" 2>/dev/null
