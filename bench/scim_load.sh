#!/usr/bin/env bash
# SCIM HTTP load benchmark (issue 3, item 9). For each backend: start the release server
# on a fresh database, create an organization and a SCIM directory, load $USERS users
# through POST /scim/v2/Users, then measure with wrk for $DURATION each:
#   create (POST /Users), filter by userName, PATCH active=false/true, list pages of 100;
# and print the query plan of a userName filter at that size.
#
# Usage: bench/scim_load.sh [sqlite|postgres|both]   (default: both)
# Env:   USERS=100000 DURATION=15s CONNECTIONS=16 PG_URL=postgres://postgres@127.0.0.1:5432/postgres
#        OPS="create filter patch list" (the wrk phases to run, in order)
# Traffic goes only to 127.0.0.1; every phase is bounded in count or time.
set -euo pipefail
cd "$(dirname "$0")/.."

USERS=${USERS:-100000}
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-16}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
KEY=bench-admin-key-0123456789abcdefghij
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/provisiond-target}"

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)"; apt-get install -y wrk >/dev/null || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi
cargo build --release --quiet
BIN="$CARGO_TARGET_DIR/release/provisiond"
WORK=$(mktemp -d)
# Only our own server: an empty SERVER_PID must not become `kill 0` (the whole process
# group, i.e. whoever started this script).
trap 'if [ -n "${SERVER_PID:-}" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi; rm -rf "$WORK"' EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

run_backend() {
  local backend=$1 db_url
  if [ "$backend" = postgres ]; then
    local name="provisiond_bench_$$"
    psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $name" -qc "CREATE DATABASE $name"
    db_url="${PG_URL%/*}/$name"
  else
    db_url="$WORK/bench.db"
  fi
  local p; p=$(port)
  local base="http://127.0.0.1:$p"
  DATABASE_URL="$db_url" PROVISIOND_LISTEN="127.0.0.1:$p" PROVISIOND_PUBLIC_URL="$base" \
    PROVISIOND_BOOTSTRAP_ADMIN_KEY="$KEY" PROVISIOND_LOG_LEVEL=warn "$BIN" serve 2>"$WORK/$backend.log" &
  SERVER_PID=$!
  for _ in $(seq 1 100); do curl -fs "$base/readyz" >/dev/null && break; sleep 0.1; done
  curl -fs -X POST "$base/admin/v1/organizations" -H "Authorization: Bearer $KEY" \
    -H 'Content-Type: application/json' -d '{"name":"Bench","slug":"bench"}' >/dev/null
  local token
  token=$(curl -fs -X POST "$base/admin/v1/organizations/bench/scim-directories" -H "Authorization: Bearer $KEY" \
    -H 'Content-Type: application/json' -d '{}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

  echo "## $backend: loading $USERS users"
  python3 bench/load_users.py "$base" "$token" "$USERS" "$WORK/ids.txt"

  export BENCH_TOKEN=$token BENCH_USERS=$USERS BENCH_IDS="$WORK/ids.txt"
  for op in ${OPS:-create filter patch list}; do
    echo "## $backend: $op ($DURATION, $CONNECTIONS connections, 2 threads)"
    wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --timeout 10s --latency -s "bench/wrk/$op.lua" "$base" | \
      grep -E "Requests/sec|Latency |50%|99%|Non-2xx|Socket errors" || true
  done

  echo "## $backend: plan of a userName filter at $USERS users"
  local sql="SELECT id FROM users WHERE organization_id = (SELECT id FROM organizations WHERE slug = 'bench') AND state <> 'deprovisioned' AND user_name_lower = 'user-4242@bench.example.com'"
  if [ "$backend" = postgres ]; then
    psql "$db_url" -qAtc "ANALYZE users" -c "EXPLAIN ANALYZE $sql"
  else
    python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); [print(r[-1]) for r in c.execute('EXPLAIN QUERY PLAN ' + sys.argv[2])]" "$db_url" "$sql"
  fi
  kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=
  if [ "$backend" = postgres ]; then psql "$PG_URL" -qc "DROP DATABASE IF EXISTS provisiond_bench_$$"; fi
}

case "${1:-both}" in
  sqlite) run_backend sqlite ;;
  postgres) run_backend postgres ;;
  both) run_backend sqlite; run_backend postgres ;;
  *) echo "usage: $0 [sqlite|postgres|both]" >&2; exit 2 ;;
esac
