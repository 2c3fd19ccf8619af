#!/usr/bin/env bash
# Go-live import benchmark (issue 20): 2,000 RMs, 1,000,000 customers (GBK CSV, Chinese headers)
# and 1,200,000 assignment rows of history, each file dry-run then applied with `rmdesk import` on
# SQLite and on PostgreSQL; seconds, rows/s and the process's peak resident memory (GNU time).
#
#   tests/bench/imports.sh
#   BENCH_CUSTOMERS=100000 BENCH_BACKENDS=sqlite tests/bench/imports.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

customers="${BENCH_CUSTOMERS:-1000000}"
rms="${BENCH_RMS:-2000}"
backends="${BENCH_BACKENDS:-sqlite postgres}"
pg_admin="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
password="bench-admin-password"
today="${BENCH_TODAY:-2026-11-30}"

[ -x /usr/bin/time ] || { apt-get update && apt-get install -y --no-install-recommends time; }
if [ -z "${BENCH_BIN:-}" ]; then cargo build --release --locked -p rmdesk; fi
# BENCH_BIN measures another build (a side-by-side with an earlier commit).
bin="${BENCH_BIN:-$PWD/target/release/rmdesk}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 tests/bench/import_files.py "$work/files" "$customers" "$rms" "$today"
ls -l "$work/files"

report=()
for backend in $backends; do
  case "$backend" in
    sqlite) url="sqlite://$work/sqlite/rmdesk.sqlite3"; mkdir -p "$work/sqlite" ;;
    postgres)
      url="${pg_admin%/*}/rmdesk_bench_import"
      psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS rmdesk_bench_import WITH (FORCE)" -c "CREATE DATABASE rmdesk_bench_import"
      ;;
  esac
  export DATABASE_URL="$url" RMDESK_DATA_DIR="$work/$backend" RMDESK_ADMIN_PASSWORD="$password" RMDESK_NOW="${today}T04:00:00Z"
  mkdir -p "$RMDESK_DATA_DIR"
  for step in org_units:org_units.ndjson rms:rms.csv customers:customers.csv assignments:assignments.csv; do
    kind="${step%%:*}"; file="$work/files/${step#*:}"
    for mode in dry-run apply; do
      flag=""; [ "$mode" = dry-run ] && flag="--dry-run"
      /usr/bin/time -f "%e %M" -o "$work/time" "$bin" import --kind "$kind" "$file" $flag > "$work/report.json" 2> "$work/stderr" \
        || { cat "$work/report.json" "$work/stderr" >&2; exit 1; }
      read -r secs kib < "$work/time"
      rows=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['rows_read'])" "$work/report.json")
      line=$(printf "%-8s %-11s %-7s %9s rows %7.1f s %9.0f rows/s peak %5.0f MiB" "$backend" "$kind" "$mode" "$rows" "$secs" "$(echo "$rows / ($secs + 0.001)" | bc -l)" "$(echo "$kib / 1024" | bc -l)")
      echo "$line"; report+=("$line")
    done
  done
  # The same files again change nothing.
  "$bin" import --kind assignments "$work/files/assignments.csv" > "$work/again.json"
  python3 - "$work/again.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["inserted"] == 0 and r["unchanged"] == r["rows_read"], r
print(f"re-apply: {r['unchanged']} rows unchanged, {r['inserted']} inserted")
PY
done
printf '%s\n' "" "Go-live import, $customers customers, $rms RMs:" "${report[@]}"
