"""Timed calls for tests/bench/performance.sh (standard library only).

Over the real API of a demo bank: records 12 months of metrics for every RM (arrays of 2,000 rows),
verified complaints for 1% of the RMs (X-2.3), then runs months 1..11 and times each, and times the
12th month's run (scores, ranks inside unit and line, X-2 items 3, 5 and 6 over 12 months of history).
Prints one JSON line.
"""
import json
import random
import sys
import time
from http.client import HTTPConnection
from urllib.parse import urlparse

base, password, year = sys.argv[1], sys.argv[2], int(sys.argv[3])
host = urlparse(base)
conn = HTTPConnection(host.hostname, host.port, timeout=600)


def call(method, path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    conn.request(method, "/api/v1" + path, json.dumps(body) if body is not None else None, headers)
    r = conn.getresponse()
    data = r.read()
    if r.status >= 300:
        raise SystemExit(f"{method} {path}: {r.status} {data[:500]!r}")
    return json.loads(data) if data else None


token = call("POST", "/auth/token", {"username": "admin", "password": password})["access_token"]
rms, cursor = [], None
while True:
    page = call("GET", "/rms?limit=500" + (f"&cursor={cursor}" if cursor else ""), token=token)
    rms += [r["id"] for r in page["items"] if r["status"] == "active"]
    cursor = page["next_cursor"]
    if not cursor:
        break
rng = random.Random(year)
started = time.time()
for month in range(1, 13):
    rows = [{"rm_id": rm, "month": f"{year}-{month:02d}",
             "new_loan_accounts": rng.randrange(0, 8),
             "new_loan_amount": f"{rng.randrange(0, 2_000_000)}.00",
             "managed_accounts_increase": rng.randrange(-2, 6),
             "savings_daily_avg_net_increase": f"{rng.randrange(-50_000, 400_000)}.00",
             "corporate_daily_avg_net_increase": f"{rng.randrange(-50_000, 900_000)}.00",
             "new_bank_cards": rng.randrange(0, 20), "payroll_customers_under_50": rng.randrange(0, 2),
             "personal_ebank": rng.randrange(0, 12), "corporate_ebank": rng.randrange(0, 3),
             "pos_merchants": rng.randrange(0, 4)} for rm in rms]
    for i in range(0, len(rows), 2000):
        call("POST", "/performance/metrics", rows[i:i + 2000], token)
metrics_s = time.time() - started

customers = call("GET", "/customers?limit=1", token=token)["items"]
for rm in rng.sample(rms, max(1, len(rms) // 100)):
    for day in (f"{year}-03-01", f"{year}-07-01", f"{year}-11-01"):
        call("POST", "/complaints", {"customer_id": customers[0]["id"], "rm_id": rm, "received_on": day,
                                     "verified": True, "summary": "bench"}, token)

earlier = []
for month in range(1, 12):
    t = time.time()
    call("POST", "/performance/runs", {"month": f"{year}-{month:02d}"}, token)
    earlier.append(round(time.time() - t, 2))
t = time.time()
run = call("POST", "/performance/runs", {"month": f"{year}-12"}, token)
final_s = time.time() - t
triggers = {}
for c in run["cases_opened"]:
    triggers[c["trigger"]] = triggers.get(c["trigger"], 0) + 1
print(json.dumps({"rms": len(rms), "metrics_rows": 12 * len(rms), "metrics_seconds": round(metrics_s, 1),
                  "months_1_11_seconds": earlier, "month_12_seconds": round(final_s, 2),
                  "scored": run["scored"], "cases_opened": triggers}))
