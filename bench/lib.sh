# Sourced by the bench scripts: a throw-away data folder and custos server, removed on exit.
#
#   CUSTOS_BIN   the binary (build/dev/custos)
#   DATABASE     postgresql://… to run on PostgreSQL instead of SQLite in the data folder
#   SERVER_FLAGS more `custos serve` arguments, e.g. "--set http.worker_threads=4"
#
# bench_init ARGS…   `custos init` (and sets $data, $db_flag); bench_custos CMD ARGS… runs a
# one-word subcommand on the same data; bench_serve starts the server and sets $port and $server_pid;
# bench_login USER prints a bearer token.
CUSTOS=${CUSTOS_BIN:-build/dev/custos}
DATABASE=${DATABASE:-}
data=$(mktemp -d)
server_pid=""
db_flag=()
[ -n "$DATABASE" ] && db_flag=(--database "$DATABASE")
bench_cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$data"
}
trap bench_cleanup EXIT

bench_custos() {
  local command=$1; shift
  "$CUSTOS" "$command" --data-dir "$data" "${db_flag[@]}" "$@"
}

bench_init() { bench_custos init "$@" >/dev/null; }

# bench_import FILES… : `custos import fhir` into the same data (prints its summary line).
bench_import() {
  "$CUSTOS" import fhir --data-dir "$data" "${db_flag[@]}" --log-level warn "$@" 2>/dev/null
}

bench_serve() {
  # shellcheck disable=SC2086  # SERVER_FLAGS is a list of words
  # (The binary itself, not bench_custos: $server_pid must be the server's own process.)
  "$CUSTOS" serve --data-dir "$data" "${db_flag[@]}" --http-port 0 --log-level warn \
    ${SERVER_FLAGS:-} >"$data/out" 2>"$data/err" &
  server_pid=$!
  # Up to five minutes: with a million patients the server first loads the patient index.
  for _ in $(seq 3000); do
    grep -q listening "$data/out" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$data/err" >&2; echo "server exited" >&2; return 1; }
    sleep 0.1
  done
  port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$data/out" | grep -o '[0-9]*$')
  [ -n "$port" ] || { echo "server not listening after 5 minutes" >&2; return 1; }
}

bench_login() {
  curl -s -X POST "http://127.0.0.1:$port/api/v1/auth/login" \
    -d "{\"username\":\"$1\",\"password\":\"custos-demo-pass\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
