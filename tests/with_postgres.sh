#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup() and on_signal() run from traps
# Usage: tests/with_postgres.sh COMMAND [ARGS...]
#
# Runs COMMAND with a throw-away PostgreSQL 15 and CUSTOS_TEST_POSTGRES_URL pointing at an empty
# database `custos_test` in it. The cluster lives in a fresh temporary directory, listens on a
# free port on 127.0.0.1 (and a unix socket in that directory), trusts local connections and runs
# without fsync (with PG_DURABLE=1, with PostgreSQL's durable defaults, shared_buffers=256MB and
# wal_init_zero=off, as the benchmarks run it). It is stopped and deleted afterwards, whether
# COMMAND succeeds, fails or the script is interrupted. Exits with COMMAND's status.
#
# When run as root (as CI does) the server runs as the `postgres` system user, since PostgreSQL
# refuses to run as root; otherwise as the current user. Needs no TTY and no stdin.
set -euo pipefail

if [[ $# -eq 0 ]]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi

pg_bin="${CUSTOS_PG_BIN:-/usr/lib/postgresql/15/bin}"
if [[ ! -x "$pg_bin/initdb" ]]; then
  echo "with_postgres: no PostgreSQL 15 in $pg_bin (install postgresql-15, e.g. with 'make deps')" >&2
  exit 1
fi

if [[ "$(id -u)" -eq 0 ]]; then
  pg_user=postgres
  as_pg=(setpriv --reuid=postgres --regid=postgres --init-groups --)
else
  pg_user="$(id -un)"
  as_pg=()
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/custos-pg-XXXXXX")"
data="$tmp/data"
log="$tmp/server.log"
started=0

cleanup() {
  local status=$?
  trap - EXIT INT TERM HUP
  if [[ $started -eq 1 ]]; then
    (cd "$tmp" && "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$data" -m fast -w -t 20 stop) \
      </dev/null >/dev/null 2>&1 ||
      (cd "$tmp" && "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$data" -m immediate -w -t 10 stop) \
        </dev/null >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
# On a signal, stop the command (if it runs) before cleaning up. It runs in the background so that
# `wait` can be interrupted, and background commands ignore SIGINT: it is sent SIGTERM.
child=""
on_signal() {
  if [[ -n "$child" ]]; then
    kill -TERM "$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
  fi
  exit "$1"
}
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
trap 'on_signal 129' HUP

if [[ ${#as_pg[@]} -gt 0 ]]; then
  chown "$pg_user:" "$tmp"
fi

# Runs a PostgreSQL program as the server's user, from a directory that user can read.
pg() { (cd "$tmp" && "${as_pg[@]}" "$@") </dev/null; }

if ! pg "$pg_bin/initdb" -D "$data" -U "$pg_user" --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
    --no-sync --no-instructions >"$tmp/initdb.log" 2>&1; then
  echo "with_postgres: initdb failed:" >&2
  cat "$tmp/initdb.log" >&2
  exit 1
fi

# A free port: ask the kernel for one (bind to port 0); another process may take it before the
# server does, so a failed start is retried with a new port.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' \
    2>/dev/null || echo $((20000 + RANDOM % 40000))
}

settings="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
# wal_init_zero=off: a new cluster creates each 16 MB log segment as the log reaches it, and by
# default fills it with zeros first, inside the commit that crossed into it, which every other
# commit then waits for (10-25 ms here, about once a second under the read benchmark). A
# cluster in service mostly recycles old segments instead. Without the zeros the segment's blocks
# are allocated by the writes themselves, and fdatasync makes that allocation durable with them.
[ "${PG_DURABLE:-0}" = 1 ] && settings="-c shared_buffers=256MB -c wal_init_zero=off"
port=""
for _ in 1 2 3 4 5; do
  candidate="$(free_port)"
  if pg "$pg_bin/pg_ctl" -D "$data" -l "$log" -w -t 30 -s \
      -o "-c listen_addresses=127.0.0.1 -p $candidate -c unix_socket_directories='$tmp' \
          $settings" start >/dev/null 2>&1; then
    port="$candidate"
    started=1
    break
  fi
  # A half-started server (it may still be running) must not survive into the next attempt.
  pg "$pg_bin/pg_ctl" -D "$data" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
done
if [[ -z "$port" ]]; then
  echo "with_postgres: PostgreSQL did not start:" >&2
  cat "$log" >&2 2>/dev/null || true
  exit 1
fi

if ! "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U "$pg_user" custos_test </dev/null >&2; then
  echo "with_postgres: createdb failed" >&2
  exit 1
fi

export CUSTOS_TEST_POSTGRES_URL="postgresql://$pg_user@127.0.0.1:$port/custos_test"
echo "with_postgres: PostgreSQL 15 at $CUSTOS_TEST_POSTGRES_URL (data in $tmp)" >&2

"$@" <&0 &
child=$!
set +e
wait "$child"
status=$?
set -e
child=""
exit "$status"
