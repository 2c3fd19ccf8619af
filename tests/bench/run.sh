#!/usr/bin/env bash
# Load benchmark (issue 2): GET /api/v1/customers/{id} with a valid token against the demo bank,
# as a ratio to GET /health of the same binary in the same run, on SQLite and on PostgreSQL; and the
# time `rmdesk demo` takes to build the data set. Real HTTP from wrk on loopback, bounded in time.
#
#   tests/bench/run.sh                      # 1,000,000 customers, 15 s per measurement
#   BENCH_CUSTOMERS=100000 BENCH_DURATION=5 tests/bench/run.sh
#   BENCH_BACKENDS=sqlite tests/bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

customers="${BENCH_CUSTOMERS:-1000000}"
duration="${BENCH_DURATION:-15}"
connections="${BENCH_CONNECTIONS:-32}"
backends="${BENCH_BACKENDS:-sqlite postgres}"
pg_admin="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
port=18181
base="http://127.0.0.1:$port"
password="bench-admin-password"

command -v wrk >/dev/null || { apt-get update && apt-get install -y --no-install-recommends wrk; }
cargo build --release --locked -p rmdesk
bin="$PWD/target/release/rmdesk"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

req_per_sec() { awk '/^Requests\/sec:/ {print $2}' "$1"; }
# p99 in milliseconds from wrk's latency distribution (us, ms or s)
p99_ms() {
  awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } print v }' "$1"
}

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

  echo "== $backend: rmdesk demo --customers $customers"
  started=$(date +%s.%N)
  "$bin" demo --bare --customers "$customers" > "$work/$backend-demo.log" 2>&1
  demo_seconds=$(awk -v a="$(date +%s.%N)" -v b="$started" 'BEGIN { printf "%.1f", a - b }')
  tail -n 1 "$work/$backend-demo.log"

  "$bin" serve > "$work/$backend-serve.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -sf "$base/ready" >/dev/null && break; sleep 0.2; done
  rss_idle_kb=$(awk '/VmRSS/ {print $2}' /proc/$server/status)

  token=$(curl -sf -X POST "$base/api/v1/auth/token" -H 'content-type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$password\"}" | python3 -c 'import sys, json; print(json.load(sys.stdin)["access_token"])')
  # Customer ids spread over every team of the bank (not just the first rows inserted).
  python3 - "$base" "$token" > "$work/ids.lua" <<'PY'
import json, sys, urllib.request
base, token = sys.argv[1], sys.argv[2]
def get(path):
    req = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token})
    return json.load(urllib.request.urlopen(req))
ids = []
for team in get("/api/v1/org-units?kind=team&limit=500")["items"]:
    ids += [c["id"] for c in get(f"/api/v1/customers?org_unit_id={team['id']}&limit=40")["items"]]
print("local ids = {" + ",".join(f'"{i}"' for i in ids) + "}")
print(f'local auth = "Bearer {token}"')
print('request = function() return wrk.format("GET", "/api/v1/customers/" .. ids[math.random(#ids)], {["Authorization"] = auth}) end')
PY
  # Check the script answers 200 before measuring.
  first_id=$(awk -F'"' '/^local ids/ {print $2; exit}' "$work/ids.lua")
  test "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$base/api/v1/customers/$first_id")" = 200

  wrk -t2 -c"$connections" -d"${duration}s" --latency "$base/health" > "$work/health.txt"
  wrk -t2 -c"$connections" -d"${duration}s" --latency -s "$work/ids.lua" "$base" > "$work/customer.txt"
  grep -q "Non-2xx" "$work/customer.txt" && { echo "non-2xx answers during the customer run" >&2; cat "$work/customer.txt"; exit 1; }
  rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$server/status)
  kill -TERM "$server"; wait "$server" || true

  h_rps=$(req_per_sec "$work/health.txt"); c_rps=$(req_per_sec "$work/customer.txt")
  h_p99=$(p99_ms "$work/health.txt"); c_p99=$(p99_ms "$work/customer.txt")
  ratio=$(awk -v a="$c_rps" -v b="$h_rps" 'BEGIN { printf "%.3f", a / b }')
  p99_ratio=$(awk -v a="$c_p99" -v b="$h_p99" 'BEGIN { printf "%.1f", a / b }')
  report+=("| $backend | $customers | $demo_seconds s | $h_rps | $h_p99 ms | $c_rps | $c_p99 ms | **$ratio** | $p99_ratio x | $((rss_idle_kb / 1024)) / $((rss_kb / 1024)) MiB |")
done

echo
echo "wrk -t2 -c$connections -d${duration}s on loopback, server and load generator sharing $(nproc) cores"
echo "| database | customers | demo build | /health req/s | /health p99 | customer req/s | customer p99 | req/s ratio | p99 ratio | RSS idle / loaded |"
echo "|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${report[@]}"
