#!/usr/bin/env bash
# HTTP throughput of an authenticated small JSON endpoint (GET /api/v1/auth/me with a bearer
# token) against the hello-world handler (/bench/hello) of the same server, in the same run,
# with `wrk -t2 -c64` on this machine. Prints both rates, latencies and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
source bench/lib.sh
bench_init --demo
SERVER_FLAGS="--set http.enable_bench_routes=true ${SERVER_FLAGS:-}" bench_serve
token=$(bench_login coder)

run() {  # name, then wrk arguments
  local name=$1; shift
  wrk -t2 -c64 -d"$DURATION" --latency "$@" >"$data/$name.txt"
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$data/$name.txt")
  p50=$(awk '$1=="50%" {print $2}' "$data/$name.txt")
  p99=$(awk '$1=="99%" {print $2}' "$data/$name.txt")
  local non2xx
  non2xx=$(awk '/Non-2xx/ {print $5}' "$data/$name.txt")
  echo "$name: ${rps} req/s, p50 ${p50}, p99 ${p99}${non2xx:+, NON-2xx: $non2xx}" >&2
  echo "$rps"
}
curl -sf "http://127.0.0.1:$port/bench/hello" >/dev/null
curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/auth/me" >/dev/null
hello=$(run hello "http://127.0.0.1:$port/bench/hello")
me=$(run auth_me -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/auth/me")
python3 -c "print(f'ratio authenticated/hello = {float($me)/float($hello):.2f}')"
