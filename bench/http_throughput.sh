#!/usr/bin/env bash
# HTTP throughput of an authenticated small JSON endpoint (GET /api/v1/auth/me with a bearer
# token) against the hello-world handler (/bench/hello) of the same server, in the same run,
# with `wrk -t2 -c64` on this machine. Prints both rates, latencies and the ratio.
set -euo pipefail
CUSTOS=${CUSTOS_BIN:-build/dev/custos}
DURATION=${DURATION:-10s}
DATABASE=${DATABASE:-}
data=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT
db_flag=()
[ -n "$DATABASE" ] && db_flag=(--database "$DATABASE")
"$CUSTOS" init --data-dir "$data" "${db_flag[@]}" --demo >/dev/null
"$CUSTOS" serve --data-dir "$data" "${db_flag[@]}" --http-port 0 --set http.enable_bench_routes=true \
  --log-level warn ${SERVER_FLAGS:-} >"$data/out" 2>"$data/err" &
server_pid=$!
for _ in $(seq 100); do grep -q listening "$data/out" 2>/dev/null && break; sleep 0.1; done
port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$data/out" | grep -o '[0-9]*$')
token=$(curl -s -X POST "http://127.0.0.1:$port/api/v1/auth/login" \
  -d '{"username":"coder","password":"custos-demo-pass"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

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
