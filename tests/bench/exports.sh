#!/usr/bin/env bash
# Export benchmark (issue 7): `GET /api/v1/exports/audit_events?format=ndjson` of the 1,000,000
# `customer.create` events of the demo bank (`rmdesk demo --audit`), read by curl over loopback as an
# auditor (personal data masked on the way out), on SQLite and on PostgreSQL; rows/s over the whole
# request, the server's resident memory before and at its highest during the export (sampled every
# 100 ms), and the time `rmdesk verify-export` takes to check the file offline.
#
#   tests/bench/exports.sh
#   BENCH_CUSTOMERS=100000 BENCH_BACKENDS=sqlite tests/bench/exports.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

customers="${BENCH_CUSTOMERS:-1000000}"
backends="${BENCH_BACKENDS:-sqlite postgres}"
pg_admin="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
port=18185
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
  "$bin" demo --bare --customers "$customers" --audit > "$work/$backend-demo.log" 2>&1
  tail -n 1 "$work/$backend-demo.log"
  "$bin" serve > "$work/$backend-serve.log" 2>&1 &
  server=$!
  for _ in $(seq 1 600); do curl -sf "$base/ready" >/dev/null && break; sleep 0.2; done
  curl -sf "$base/ready" >/dev/null || { echo "the server did not start" >&2; tail -n 5 "$work/$backend-serve.log" >&2; exit 1; }
  token=$(curl -sf -X POST "$base/api/v1/auth/token" -H 'content-type: application/json' \
    -d "{\"username\":\"auditor\",\"password\":\"$password\"}" | python3 -c 'import sys, json; print(json.load(sys.stdin)["access_token"])')
  rss_before=$(awk '/VmRSS/ {print $2}' /proc/$server/status)
  ( peak=0; while kill -0 $server 2>/dev/null; do
      r=$(awk '/VmRSS/ {print $2}' /proc/$server/status 2>/dev/null || echo 0)
      [ "$r" -gt "$peak" ] && peak=$r && echo $peak > "$work/peak"
      sleep 0.1; done ) &
  sampler=$!
  seconds=$(curl -sS --fail-with-body -o "$work/audit.ndjson" -w '%{time_total}' \
    -H "Authorization: Bearer $token" "$base/api/v1/exports/audit_events?format=ndjson")
  sleep 0.3
  kill $sampler 2>/dev/null || true
  peak=$(cat "$work/peak")
  rows=$(($(wc -l < "$work/audit.ndjson") - 1))
  size_mb=$(( $(stat -c %s "$work/audit.ndjson") / 1048576 ))
  grep -c '"national_id":"[0-9]\{18\}"' "$work/audit.ndjson" && { echo "unmasked national id in the export" >&2; exit 1; } || true
  started=$(date +%s.%N)
  "$bin" verify-export "$work/audit.ndjson" > "$work/verify.json"
  verify_s=$(awk -v a="$(date +%s.%N)" -v b="$started" 'BEGIN { printf "%.1f", a - b }')
  kill -TERM "$server"; wait "$server" || true
  rate=$(awk -v n="$rows" -v s="$seconds" 'BEGIN { printf "%.0f", n / s }')
  report+=("| $backend | $rows ($size_mb MiB) | $seconds s | **$rate rows/s** | $((rss_before / 1024)) → $((peak / 1024)) MiB (**+$(((peak - rss_before) / 1024)) MiB**) | $verify_s s, ok |")
done

echo
echo "| database | audit events exported | time | rate | server RSS before → peak | verify-export |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${report[@]}"
