#!/usr/bin/env bash
# Performance benchmark (issue 6): the monthly run (X-1 scores of every RM, ranks inside unit and line,
# X-2 items 3, 5 and 6 over 12 months) for 2,000 RMs with 12 months of metrics, on SQLite and on
# PostgreSQL, over real HTTP against a demo bank (100,000 customers and their loans by default).
#
#   tests/bench/performance.sh
#   BENCH_BACKENDS=sqlite tests/bench/performance.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

customers="${BENCH_CUSTOMERS:-100000}"
rms="${BENCH_RMS:-2000}"
year="${BENCH_YEAR:-2025}"
backends="${BENCH_BACKENDS:-sqlite postgres}"
pg_admin="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
port=18184
base="http://127.0.0.1:$port"
password="bench-admin-password"

cargo build --release --locked -p rmdesk
bin="$PWD/target/release/rmdesk"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

report=()
for backend in $backends; do
  case "$backend" in
    sqlite) url="sqlite://$work/sqlite/rmdesk.sqlite3"; mkdir -p "$work/sqlite" ;;
    postgres)
      url="${pg_admin%/*}/rmdesk_bench"
      psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS rmdesk_bench WITH (FORCE)" -c "CREATE DATABASE rmdesk_bench"
      ;;
    *) echo "unknown backend $backend" >&2; exit 2 ;;
  esac
  export DATABASE_URL="$url" RMDESK_DATA_DIR="$work/$backend" RMDESK_ADMIN_PASSWORD="$password" RMDESK_BIND="127.0.0.1:$port"
  mkdir -p "$RMDESK_DATA_DIR"
  "$bin" demo --bare --customers "$customers" --rms "$rms" > "$work/$backend-demo.log" 2>&1
  tail -n 1 "$work/$backend-demo.log"
  "$bin" serve > "$work/$backend-serve.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -sf "$base/ready" >/dev/null && break; sleep 0.2; done
  result=$(python3 tests/bench/performance_run.py "$base" "$password" "$year")
  echo "$backend: $result"
  hwm_kb=$(awk '/VmHWM/ {print $2}' /proc/$server/status)
  kill -TERM "$server"; wait "$server" || true
  report+=("| $backend | $result | $((hwm_kb / 1024)) MiB |")
done

echo
echo "| database | result | server peak RSS |"
echo "|---|---|---|"
printf '%s\n' "${report[@]}"
