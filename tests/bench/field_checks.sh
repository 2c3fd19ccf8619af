#!/usr/bin/env bash
# Field-check listing benchmark (issue 4): 10,000 field checks in one team (submitted over the API
# by the lead's own login), then filtered listings of the unit timed over HTTP, on SQLite and
# PostgreSQL. Target: under 200 ms.
set -euo pipefail
cd "$(dirname "$0")/../.."
backends="${BENCH_BACKENDS:-sqlite postgres}"
pg_admin="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
port=18183
password="bench-admin-password"
cargo build --release --locked -p rmdesk
bin="$PWD/target/release/rmdesk"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
echo "| database | listing | median | max |"
echo "|---|---|---|---|"
for backend in $backends; do
  case "$backend" in
    sqlite) url="sqlite://$work/sqlite/rmdesk.sqlite3"; mkdir -p "$work/sqlite" ;;
    postgres)
      url="${pg_admin%/*}/rmdesk_bench_checks"
      psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS rmdesk_bench_checks WITH (FORCE)" -c "CREATE DATABASE rmdesk_bench_checks" ;;
  esac
  DATABASE_URL="$url" RMDESK_DATA_DIR="$work/$backend" RMDESK_ADMIN_PASSWORD="$password" RMDESK_BIND="127.0.0.1:$port" \
    "$bin" serve > "$work/$backend.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.2; done
  python3 tests/bench/field_checks_run.py "http://127.0.0.1:$port" "$password" "$backend"
  kill -TERM "$server"; wait "$server" || true
done
