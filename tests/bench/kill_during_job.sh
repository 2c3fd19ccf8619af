#!/usr/bin/env bash
# Issue 18: `kill -9` during a long job, then a restart. Builds the 1,000,000-customer demo bank
# with 2,000 RMs, imports the month's loan file (1,000,000 NDJSON rows, as tests/bench/loans.sh),
# then starts the server with its scheduler just after the month end's close (22:00:30 in
# Beijing): it catches the month up and starts the R-4 evaluations. While the month end's
# evaluation over every loan is `running`, the server is killed with SIGKILL and started again. Checks: the killed run
# is `interrupted`, the retry `succeeded`, each checkpoint has one stored evaluation, and no
# customer holds two unresolved flags of one kind (nothing counted twice).
#
#   tests/bench/kill_during_job.sh
#   BENCH_CUSTOMERS=100000 BENCH_RMS=200 BENCH_ROWS=100000 tests/bench/kill_during_job.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

customers="${BENCH_CUSTOMERS:-1000000}"
rms="${BENCH_RMS:-2000}"
rows="${BENCH_ROWS:-1000000}"
port=18185
base="http://127.0.0.1:$port"
password="bench-admin-password"

cargo build --release --locked -p rmdesk
bin="$PWD/target/release/rmdesk"
work="$(mktemp -d)"
trap 'kill -9 $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
db="$work/rmdesk.sqlite3"
export DATABASE_URL="sqlite://$db" RMDESK_DATA_DIR="$work" RMDESK_ADMIN_PASSWORD="$password" \
  RMDESK_BIND="127.0.0.1:$port" RUST_LOG=info

# Signing in writes (the throttle, the audit log): on SQLite it waits while a job's transaction
# holds the one writer, and may be answered 503; so it is tried again.
token() {
  for _ in $(seq 1 120); do
    if curl -sf -X POST "$base/api/v1/auth/token" -H 'content-type: application/json' \
      -d "{\"username\":\"admin\",\"password\":\"$password\"}" -o "$work/token.json"; then
      python3 -c 'import sys, json; print(json.load(open(sys.argv[1]))["access_token"])' "$work/token.json"
      return 0
    fi
    sleep 0.5
  done
  return 1
}
ready() { for _ in $(seq 1 1500); do curl -sf "$base/ready" >/dev/null && return 0; sleep 0.2; done; return 1; }

echo "== rmdesk demo --customers $customers --rms $rms"
RMDESK_NOW=2026-11-30T04:00:00Z "$bin" demo --bare --customers "$customers" --rms "$rms" > "$work/demo.log" 2>&1
tail -n 1 "$work/demo.log"
python3 tests/bench/loans_file.py "sqlite://$db" "$rows" 2026-11-30 "$work/loans.ndjson"

echo "== the month's loan file, imported during the 30th (scheduler off)"
RMDESK_NOW=2026-11-30T04:00:00Z RMDESK_JOBS=off "$bin" serve > "$work/import.log" 2>&1 &
server=$!
ready
curl -sS --fail-with-body -o /dev/null -w 'import: %{time_total} s\n' -X POST "$base/api/v1/loans/batch" \
  -H "Authorization: Bearer $(token)" -H 'Content-Type: application/x-ndjson' --data-binary @"$work/loans.ndjson"
kill -TERM "$server"; wait "$server" || true

echo "== the server starts after the 30th closed; killed with SIGKILL during an R-4 evaluation"
RMDESK_NOW=2026-11-30T14:00:30Z RMDESK_JOB_TICK_SECONDS=1 "$bin" serve > "$work/first.log" 2>&1 &
server=$!
ready
tok=$(token)
killed=""
for _ in $(seq 1 2400); do
  killed=$(curl -sf "$base/api/v1/jobs/runs?job=r4_evaluation&status=running" -H "Authorization: Bearer $tok" |
    python3 -c 'import sys, json; print(next((r["business_date"] for r in json.load(sys.stdin)["items"] if r["business_date"] == "2026-11-30"), ""))' 2>/dev/null || true)
  [ -n "$killed" ] && break
  sleep 0.1
done
[ -n "$killed" ] || { echo "the month end's R-4 evaluation was not seen running" >&2; exit 1; }
sleep 2
kill -9 "$server"; wait "$server" 2>/dev/null || true
echo "killed during the R-4 evaluation of $killed"

echo "== restarted"
started=$(date +%s.%N)
RMDESK_NOW=2026-11-30T14:01:00Z RMDESK_JOB_TICK_SECONDS=1 "$bin" serve > "$work/second.log" 2>&1 &
server=$!
ready
tok=$(token)
for _ in $(seq 1 2400); do
  done_30=$(curl -sf "$base/api/v1/jobs/runs?job=r4_evaluation&status=succeeded&limit=500" -H "Authorization: Bearer $tok" |
    python3 -c 'import sys, json; print(sum(1 for r in json.load(sys.stdin)["items"] if r["business_date"] == "2026-11-30"))' 2>/dev/null || true)
  [ "$done_30" = "1" ] && break
  sleep 0.25
done
echo "the month end evaluated $(python3 -c "import time; print(round(time.time() - $started, 1))") s after the restart began"
curl -sf "$base/api/v1/jobs/runs?job=r4_evaluation&limit=500" -H "Authorization: Bearer $tok" | python3 -c '
import sys, json
runs = json.load(sys.stdin)["items"]
for r in sorted(runs, key=lambda r: (r["business_date"], r["attempt"])):
    print(r["business_date"], "attempt", r["attempt"], r["status"], r.get("counts") or r.get("error"))
killed = sys.argv[1]
attempts = sorted((r["attempt"], r["status"]) for r in runs if r["business_date"] == killed)
assert attempts == [(1, "interrupted"), (2, "succeeded")], attempts
' "$killed"
kill -TERM "$server"; wait "$server" || true
python3 - "$db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
twice = db.execute("SELECT as_of, count(*) FROM evaluations GROUP BY as_of, org_path HAVING count(*) > 1").fetchall()
assert not twice, f"an evaluation stored twice: {twice}"
double = db.execute("""SELECT customer_id, kind, count(*) FROM flags WHERE status <> 'resolved' AND customer_id IS NOT NULL
                       GROUP BY customer_id, kind HAVING count(*) > 1""").fetchall()
assert not double, f"flags counted twice: {double[:5]}"
flags = db.execute("SELECT kind, count(*) FROM flags GROUP BY kind ORDER BY kind").fetchall()
checks = db.execute("SELECT count(*) FROM required_checks WHERE source = 'R-4'").fetchone()[0]
print("evaluations stored once each; flags by kind:", dict(flags), "; R-4 required checks:", checks)
EOF
echo "kill -9 during a job: the run was retried and completed, nothing counted twice"
