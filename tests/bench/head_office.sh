#!/usr/bin/env bash
# Head-office scale (issue 22): every screen and list a head-office risk officer opens, as p50/p95
# of a timed loop over HTTP next to `GET /health` of the same server in the same run, on the
# 1,000,000-customer demo bank on SQLite and PostgreSQL; the dashboard's pages' first loads in
# Chromium (tests/bench/pages.mjs) when the dashboard is built. Also the time the demo takes.
#
#   tests/bench/head_office.sh
#   BENCH_CUSTOMERS=100000 BENCH_BACKENDS=sqlite tests/bench/head_office.sh
#   BENCH_CUSTOMERS=10000000 BENCH_BACKENDS=postgres BENCH_DEMO_FLAGS=--bare tests/bench/head_office.sh
# BENCH_JOBS=off measures with no scheduler in the server (a bare bank's first start catches up its
# calendar: at 10,000,000 customers the expiry sweep's handover proposals hold the audit chain for
# many minutes and the whole-bank evaluation waits behind them).
# BENCH_KEEP=1 keeps the bank (PostgreSQL database rmdesk_bench_ho_<customers>, SQLite file
# /var/tmp/rmdesk_bench_ho_<customers>.sqlite3) and reuses it next time.
set -euo pipefail
cd "$(dirname "$0")/../.."

customers="${BENCH_CUSTOMERS:-1000000}"
backends="${BENCH_BACKENDS:-sqlite postgres}"
demo_flags="${BENCH_DEMO_FLAGS:-}"
repeat="${BENCH_REPEAT:-40}"
pg_admin="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
port=18188
base="http://127.0.0.1:$port"
password="bench-admin-password"

if [ -z "${BENCH_BIN:-}" ]; then cargo build --release --locked -p rmdesk; fi
bin="${BENCH_BIN:-$PWD/target/release/rmdesk}"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

for backend in $backends; do
  build=1
  case "$backend" in
    sqlite)
      if [ -n "${BENCH_KEEP:-}" ]; then
        file="/var/tmp/rmdesk_bench_ho_$customers.sqlite3"
        [ -f "$file" ] && build=0
      else
        file="$work/sqlite/rmdesk.sqlite3"; mkdir -p "$work/sqlite"
      fi
      url="sqlite://$file"
      ;;
    postgres)
      db="rmdesk_bench_ho_$customers"
      url="${pg_admin%/*}/$db?sslmode=disable"
      if [ -n "${BENCH_KEEP:-}" ] && psql -qAt "$pg_admin" -c "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
        build=0
      else
        psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
      fi
      ;;
    *) echo "unknown backend $backend" >&2; exit 2 ;;
  esac
  # A fixed search key, so that a kept bank's national-ID hashes match the next run's server.
  export RMDESK_JOBS="${BENCH_JOBS:-on}" DATABASE_URL="$url" RMDESK_DATA_DIR="$work/$backend" RMDESK_ADMIN_PASSWORD="$password" RMDESK_BIND="127.0.0.1:$port" RMDESK_SEARCH_KEY="bench-search-key-of-at-least-32-characters"
  mkdir -p "$RMDESK_DATA_DIR"
  if [ "$build" = 1 ]; then
    echo "== $backend: rmdesk demo --customers $customers $demo_flags"
    started=$(date +%s.%N)
    # shellcheck disable=SC2086
    "$bin" demo --customers "$customers" $demo_flags > "$work/$backend-demo.log" 2>&1
    echo "demo built in $(awk -v a="$(date +%s.%N)" -v b="$started" 'BEGIN { printf "%.1f", a - b }') s: $(tail -n 1 "$work/$backend-demo.log")"
  fi
  "$bin" serve > "$work/$backend-serve.log" 2>&1 &
  server=$!
  for _ in $(seq 1 600); do curl -sf "$base/ready" >/dev/null && break; sleep 0.5; done
  curl -sf "$base/ready" >/dev/null || { echo "the server did not start" >&2; tail -n 5 "$work/$backend-serve.log" >&2; exit 1; }
  analyze_url=""; [ "$backend" = postgres ] && analyze_url="$url"
  BENCH_ANALYZE_URL="$analyze_url" python3 tests/bench/head_office_run.py "$base" "$password" "$backend, $customers customers" "$repeat"
  if [ -d frontend/dist ] && [ -d frontend/node_modules/playwright-core ]; then
    BENCH_BASE="$base" BENCH_USER=risk.officer BENCH_PASSWORD="$password" node tests/bench/pages.mjs || true
  fi
  kill "$server"; wait "$server" 2>/dev/null || true
done
