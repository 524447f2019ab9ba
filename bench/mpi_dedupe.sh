#!/usr/bin/env bash
# `custos mpi evaluate` on FEBRL3/4, dsgen 100k and dsgen 1M, with and without SSN: one line per
# run (precision, recall, F1, pair completeness, seconds, ...) plus wall time and peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/dev}
FEBRL=tests/data/febrl
SHARED=../shared/data/febrl
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() {  # name, then custos mpi evaluate arguments
  local name=$1
  shift
  for ssn in with without; do
    local extra=()
    [[ $ssn == without ]] && extra=(--ignore-column soc_sec_id)
    /usr/bin/time -f "%e %M" -o "$work/time" "$BUILD/custos" mpi evaluate "$@" "${extra[@]}" \
      >"$work/line"
    read -r wall rss <"$work/time"
    printf '%-12s %-12s %s wall=%ss peak_rss=%dMB\n' "$name" "${ssn}_ssn" "$(cat "$work/line")" \
      "$wall" $((rss / 1024))
  done
}

run febrl3 --records $FEBRL/dataset3.csv --truth $FEBRL/febrl3.pairs.csv
run febrl4 --records $FEBRL/dataset4a.csv --link-to $FEBRL/dataset4b.csv \
  --truth $FEBRL/febrl4.pairs.csv
run dsgen_100k --records $SHARED/generated/dsgen_100k.csv \
  --truth $SHARED/truth/generated_dsgen_100k.pairs.csv
# The 1M set ships without a truth file; derive it from the rec_id encoding.
python3 bench/mpi_truth_pairs.py $SHARED/generated/dsgen_1m.csv.gz "$work/dsgen_1m.pairs.csv"
run dsgen_1m --records $SHARED/generated/dsgen_1m.csv.gz --truth "$work/dsgen_1m.pairs.csv"
