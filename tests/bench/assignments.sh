#!/usr/bin/env bash
# Assignment-engine benchmark (issue 3), on SQLite and PostgreSQL:
#  - handover of an RM with 400 customers: proposal and confirm, each timed over HTTP;
#  - rebalancing proposal for a team of 100 RMs and 20,000 customers;
#  - concurrent POST /assignments (a primary for a fresh customer: every request a real 201) as a
#    ratio to GET /health of the same binary in the same run.
#   tests/bench/assignments.sh            BENCH_BACKENDS=sqlite tests/bench/assignments.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

duration="${BENCH_DURATION:-5}"
connections="${BENCH_CONNECTIONS:-32}"
backends="${BENCH_BACKENDS:-sqlite postgres}"
pg_admin="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
port=18182
base="http://127.0.0.1:$port"
password="bench-admin-password"

command -v wrk >/dev/null || { apt-get update && apt-get install -y --no-install-recommends wrk; }
cargo build --release --locked -p rmdesk
bin="$PWD/target/release/rmdesk"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
req_per_sec() { awk '/^Requests\/sec:/ {print $2}' "$1"; }

report=()
for backend in $backends; do
  case "$backend" in
    sqlite) url="sqlite://$work/sqlite/rmdesk.sqlite3"; mkdir -p "$work/sqlite" ;;
    postgres)
      url="${pg_admin%/*}/rmdesk_bench_assign"
      psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS rmdesk_bench_assign WITH (FORCE)" -c "CREATE DATABASE rmdesk_bench_assign"
      ;;
  esac
  export DATABASE_URL="$url" RMDESK_DATA_DIR="$work/$backend" RMDESK_ADMIN_PASSWORD="$password" RMDESK_BIND="127.0.0.1:$port"
  mkdir -p "$RMDESK_DATA_DIR"
  "$bin" serve > "$work/$backend-serve.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -sf "$base/ready" >/dev/null && break; sleep 0.2; done

  # Setup over the API, then the timed handover and rebalancing calls; writes the wrk script.
  python3 tests/bench/assignments_setup.py "$base" "$password" "$work/assign.lua" "${BENCH_FRESH_CUSTOMERS:-50000}" > "$work/timings.txt"
  cat "$work/timings.txt"
  wrk -t2 -c"$connections" -d"${duration}s" "$base/health" > "$work/health.txt"
  wrk -t2 -c"$connections" -d"${duration}s" -s "$work/assign.lua" "$base" > "$work/assign.txt"
  if grep -q "Non-2xx" "$work/assign.txt"; then echo "refused assignments during the run:" >&2; cat "$work/assign.txt" >&2; exit 1; fi
  # Every request must have been a real assignment: the list of fresh customers must not run out.
  assigned=$(awk '/requests in/ {print $1}' "$work/assign.txt")
  if [ "$assigned" -gt "${BENCH_FRESH_CUSTOMERS:-50000}" ]; then echo "the run outgrew the fresh customers ($assigned requests)" >&2; exit 1; fi
  kill -TERM "$server"; wait "$server" || true

  h=$(req_per_sec "$work/health.txt"); a=$(req_per_sec "$work/assign.txt")
  ratio=$(awk -v a="$a" -v b="$h" 'BEGIN { printf "%.3f", a / b }')
  report+=("| $backend | $(awk '/^handover_propose/ {print $2}' "$work/timings.txt") ms | $(awk '/^handover_confirm/ {print $2}' "$work/timings.txt") ms | $(awk '/^rebalancing/ {print $2}' "$work/timings.txt") ms | $h | $a | **$ratio** |")
done

echo
echo "| database | handover proposal (400 customers) | handover confirm | rebalancing (100 RMs, 20,000 customers) | /health req/s | POST /assignments req/s | ratio |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${report[@]}"
