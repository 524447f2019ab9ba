#!/usr/bin/env bash
# Import of all Synthea bundles (shared/data/synthea/bundles: 302 files, ~88,000 resources) into a
# fresh SQLite database, with validation, search indexing and audit. Prints custos's own summary.
set -euo pipefail
cd "$(dirname "$0")/.."
BUNDLES=${BUNDLES:-../shared/data/synthea/bundles}
source bench/lib.sh
bench_init
bench_import "$BUNDLES"
