#!/usr/bin/env bash
# Loan benchmark (issue 5) on the 1,000,000-customer demo bank with 2,000 RMs, on SQLite and on
# PostgreSQL: one `POST /loans/batch` of 1,000,000 NDJSON rows streamed by curl over loopback (rows/s
# over the request's whole time, flags included), then one month-end `POST /evaluations` over every
# loan (seconds), and the server's peak resident memory (VmHWM) over both.
#
#   tests/bench/loans.sh
#   BENCH_CUSTOMERS=100000 BENCH_RMS=200 BENCH_ROWS=100000 BENCH_BACKENDS=sqlite tests/bench/loans.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

customers="${BENCH_CUSTOMERS:-1000000}"
rms="${BENCH_RMS:-2000}"
rows="${BENCH_ROWS:-1000000}"
as_of="${BENCH_AS_OF:-2026-11-30}"
backends="${BENCH_BACKENDS:-sqlite postgres}"
pg_admin="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
port=18183
base="http://127.0.0.1:$port"
password="bench-admin-password"

if [ -z "${BENCH_BIN:-}" ]; then cargo build --release --locked -p rmdesk; fi
# BENCH_BIN measures another build (a side-by-side with an earlier commit).
bin="${BENCH_BIN:-$PWD/target/release/rmdesk}"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

report=()
for backend in $backends; do
  case "$backend" in
    sqlite) url="sqlite://$work/sqlite/rmdesk.sqlite3"; mkdir -p "$work/sqlite" ;;
    postgres)
      # The server and the database share the host: loopback without TLS, as a deployment on one
      # machine would run it (over a network: sslmode=verify-full). TLS here costs both processes
      # about a tenth of the two cores.
      url="${pg_admin%/*}/rmdesk_bench?sslmode=disable"
      psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS rmdesk_bench WITH (FORCE)" -c "CREATE DATABASE rmdesk_bench"
      ;;
    *) echo "unknown backend $backend" >&2; exit 2 ;;
  esac
  export DATABASE_URL="$url" RMDESK_DATA_DIR="$work/$backend" RMDESK_ADMIN_PASSWORD="$password" RMDESK_BIND="127.0.0.1:$port"
  mkdir -p "$RMDESK_DATA_DIR"

  echo "== $backend: rmdesk demo --customers $customers --rms $rms"
  "$bin" demo --bare --customers "$customers" --rms "$rms" > "$work/$backend-demo.log" 2>&1
  tail -n 1 "$work/$backend-demo.log"
  python3 tests/bench/loans_file.py "$url" "$rows" "$as_of" "$work/loans.ndjson"
  size_mb=$(( $(stat -c %s "$work/loans.ndjson") / 1048576 ))

  "$bin" serve > "$work/$backend-serve.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -sf "$base/ready" >/dev/null && break; sleep 0.2; done
  token=$(curl -sf -X POST "$base/api/v1/auth/token" -H 'content-type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$password\"}" | python3 -c 'import sys, json; print(json.load(sys.stdin)["access_token"])')

  curl -sS --fail-with-body -o "$work/import.json" -w '%{time_total}\n' -X POST "$base/api/v1/loans/batch" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/x-ndjson' \
    --data-binary @"$work/loans.ndjson" > "$work/import.time"
  import_s=$(cat "$work/import.time")
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print({k: (len(v) if isinstance(v, list) else v) for k, v in r.items()})' "$work/import.json"
  curl -sS --fail-with-body -o "$work/evaluation.json" -w '%{time_total}\n' -X POST "$base/api/v1/evaluations" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"as_of\": \"$as_of\"}" > "$work/evaluation.time"
  eval_s=$(cat "$work/evaluation.time")
  python3 tests/bench/phases.py "$work/$backend-serve.log" "loan import"
  python3 tests/bench/phases.py "$work/$backend-serve.log" "evaluation"
  summary=$(python3 tests/bench/evaluation_summary.py "$work/evaluation.json")
  echo "evaluation: $summary"
  hwm_kb=$(awk '/VmHWM/ {print $2}' /proc/$server/status)
  kill -TERM "$server"; wait "$server" || true

  rate=$(awk -v n="$rows" -v s="$import_s" 'BEGIN { printf "%.0f", n / s }')
  report+=("| $backend | $rows ($size_mb MiB) | $import_s s | **$rate rows/s** | **$eval_s s** | $summary | $((hwm_kb / 1024)) MiB |")
done

echo
echo "| database | NDJSON rows | import | import rate | month-end evaluation | evaluated | server peak RSS |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${report[@]}"
