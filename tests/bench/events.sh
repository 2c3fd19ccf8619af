#!/usr/bin/env bash
# Events-out benchmark (issue 21), on SQLite and PostgreSQL: `POST /assignments` under wrk (each
# request a real primary assignment, a 201) without a subscription and then with one webhook
# subscription to `assignment.started` whose receiver is a local HTTP server; the throughput of
# both, their ratio (the added cost per write of delivering), the events delivered per second from
# the first commit to the last receipt, and the latency from commit to receipt; then the deliverer's
# own pace: a backlog written while the subscription is disabled, sent when it is enabled again.
#   tests/bench/events.sh            BENCH_BACKENDS=sqlite tests/bench/events.sh
# The cost of the outbox itself (written with every change, subscribed or not): the first run alone
# against a binary built before it, e.g.
#   BENCH_BIN=/tmp/before/target/release/rmdesk BENCH_ONLY_PLAIN=1 tests/bench/events.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

duration="${BENCH_DURATION:-5}"
connections="${BENCH_CONNECTIONS:-32}"
fresh="${BENCH_FRESH_CUSTOMERS:-8000}"
backends="${BENCH_BACKENDS:-sqlite postgres}"
pg_admin="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
port=18186
receiver_port=18187
base="http://127.0.0.1:$port"
password="bench-admin-password"

command -v wrk >/dev/null || { apt-get update && apt-get install -y --no-install-recommends wrk; }
if [ -z "${BENCH_BIN:-}" ]; then cargo build --release --locked -p rmdesk; fi
bin="${BENCH_BIN:-$PWD/target/release/rmdesk}"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

report=()
for backend in $backends; do
  case "$backend" in
    sqlite) url="sqlite://$work/sqlite/rmdesk.sqlite3"; mkdir -p "$work/sqlite" ;;
    postgres)
      url="${pg_admin%/*}/rmdesk_bench_events?sslmode=disable"
      psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS rmdesk_bench_events WITH (FORCE)" -c "CREATE DATABASE rmdesk_bench_events"
      ;;
    *) echo "unknown backend $backend" >&2; exit 2 ;;
  esac
  export DATABASE_URL="$url" RMDESK_DATA_DIR="$work/$backend" RMDESK_ADMIN_PASSWORD="$password" RMDESK_BIND="127.0.0.1:$port" \
    RMDESK_WEBHOOK_ALLOWED_HOSTS="127.0.0.1" RMDESK_JOBS=off
  mkdir -p "$RMDESK_DATA_DIR"
  "$bin" serve > "$work/$backend-serve.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -sf "$base/ready" >/dev/null && break; sleep 0.2; done
  python3 tests/bench/events_run.py "$base" "$password" "$work" "$duration" "$connections" "$fresh" "$receiver_port" > "$work/out.txt"
  cat "$work/out.txt"
  kill -TERM "$server"; wait "$server" || true
  field() { awk -v k="$1" -v n="$2" '$1 == k {print $n}' "$work/out.txt"; }
  report+=("| $backend | $(field plain 3) | $(field subscribed 3) | **$(field ratio 2)** | $(field delivered 2) ($(field delivered 3)/s) | $(field drain_after_load_s 2) s | $(field latency_ms 3) ms | $(field latency_ms 5) ms | $(field backlog 2) in $(field backlog 3)/s |")
done

echo
echo "| database | POST /assignments req/s, no subscription | with one subscription | ratio | events delivered (per second, commit to receipt) | still delivering after the load | latency p50 | p95 | a backlog sent at once |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${report[@]}"
