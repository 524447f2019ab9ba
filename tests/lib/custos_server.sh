# Sourced by the test runners (tests/e2e/run.sh, tests/fhir-clients/run.sh): a throw-away custos
# server with the demo data, stopped and removed on exit.
#
#   custos_server_start NAME [extra `custos serve` arguments]
#
# needs CUSTOS_BIN (and STARTUP_TIMEOUT_SECONDS, default 30); sets DATA_DIR, LOG_DIR, SERVER_PID
# and CUSTOS_URL, and installs an EXIT trap that stops the server and removes both folders.
# `custos_server_logs` prints the end of the server's log (for failures).

custos_server_stop() {
  if [[ -n "${SERVER_PID:-}" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "${DATA_DIR:-}" "${LOG_DIR:-}"
}

custos_server_logs() {
  tail -n 40 "$LOG_DIR/server.err" "$LOG_DIR/server.out" >&2 || true
}

custos_server_start() {
  local name=$1
  shift
  if [[ ! -x "$CUSTOS_BIN" ]]; then
    echo "$name: no custos binary at $CUSTOS_BIN (build it, or set CUSTOS_BIN)" >&2
    exit 2
  fi
  DATA_DIR="$(mktemp -d "${TMPDIR:-/tmp}/custos-$name-data.XXXXXX")"
  LOG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/custos-$name-logs.XXXXXX")"
  SERVER_PID=""
  trap custos_server_stop EXIT
  trap 'exit 130' INT TERM

  "$CUSTOS_BIN" init --data-dir "$DATA_DIR" --demo >"$LOG_DIR/init.log" 2>&1 || {
    echo "$name: custos init failed:" >&2
    cat "$LOG_DIR/init.log" >&2
    exit 1
  }
  "$CUSTOS_BIN" serve --data-dir "$DATA_DIR" --http-port 0 --demo "$@" \
    >"$LOG_DIR/server.out" 2>"$LOG_DIR/server.err" &
  SERVER_PID=$!

  CUSTOS_URL=""
  for _ in $(seq $((${STARTUP_TIMEOUT_SECONDS:-30} * 10))); do
    CUSTOS_URL="$(grep -h -o 'listening on http://127\.0\.0\.1:[0-9]*' "$LOG_DIR/server.out" \
      2>/dev/null | head -n 1 | sed 's/^listening on //' || true)"
    [[ -n "$CUSTOS_URL" ]] && break
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "$name: custos serve exited before listening:" >&2
      cat "$LOG_DIR/server.out" "$LOG_DIR/server.err" >&2
      exit 1
    fi
    sleep 0.1
  done
  if [[ -z "$CUSTOS_URL" ]]; then
    echo "$name: custos serve did not say 'listening on http://127.0.0.1:PORT' in time:" >&2
    cat "$LOG_DIR/server.out" "$LOG_DIR/server.err" >&2
    exit 1
  fi
  echo "$name: custos serving at $CUSTOS_URL"
  export CUSTOS_URL
}
