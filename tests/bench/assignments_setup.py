"""Setup and timed calls for tests/bench/assignments.sh (standard library only).

Builds, over the real API: a team of 100 corporate RMs with 20,000 customers assigned with a skew
(for rebalancing) where one RM holds 400 (for the handover); times the handover proposal and
confirm and the rebalancing proposal; writes a wrk script that assigns an assistant to distinct
demo customers, so every request of the throughput run is a real assignment.
"""
import sys
import threading
import time
import urllib.request

import bench_api
from bench_api import call

base, password, lua_path = sys.argv[1], sys.argv[2], sys.argv[3]


def connect():
    return bench_api.connect(base)


conn = connect()
_, tok = call(conn, "POST", "/auth/token", {"username": "admin", "password": password})
token = tok["access_token"]
_, root = call(conn, "GET", "/org-units?kind=head_office", token=token)
root_id = root["items"][0]["id"]
_, branch = call(conn, "POST", "/org-units", {"name": "Bench Branch", "kind": "branch", "parent_id": root_id}, token)
_, team = call(conn, "POST", "/org-units", {"name": "Bench Team", "kind": "team", "parent_id": branch["id"]}, token)
team_id = team["id"]
qualified = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 30 * 86400))

rms = []
for i in range(100):
    s, rm = call(conn, "POST", "/rms", {"employee_no": f"B{i:05d}", "national_id": f"9{i:016d}1", "name": f"Bench RM {i}",
                                        "line": "corporate", "grade": "senior", "org_unit_id": team_id, "qualified_on": qualified}, token)
    assert s == 201, rm
    rms.append(rm["id"])


def worker(indices):
    c = connect()
    for n in indices:
        s, cust = call(c, "POST", "/customers", {"name": f"Bench Customer {n}", "kind": "corporate", "org_unit_id": team_id}, token)
        assert s == 201, cust
        # RM 0 holds 400 (the handover); the others a skewed share (the rebalancing).
        rm = rms[0] if n < 400 else rms[1 + (n * n) % 99 if n % 3 else 1 + n % 9]
        s, a = call(c, "POST", "/assignments", {"customer_id": cust["id"], "rm_id": rm, "role": "primary"}, token)
        assert s == 201, a


threads = [threading.Thread(target=worker, args=(range(k, 20000, 4),)) for k in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()

conn = connect()  # the first one idled past the server's keep-alive during the setup
started = time.perf_counter()
s, handover = call(conn, "POST", "/handovers", {"from_rm_id": rms[0], "reason": "bench"}, token)
propose_ms = (time.perf_counter() - started) * 1000
assert s == 201 and len(handover["moves"]) == 400 and all(m["to_rm_id"] for m in handover["moves"]), handover
started = time.perf_counter()
s, done = call(conn, "POST", f"/handovers/{handover['id']}/confirm", {}, token)
confirm_ms = (time.perf_counter() - started) * 1000
assert s == 200 and done["status"] == "confirmed", done

started = time.perf_counter()
s, proposal = call(conn, "GET", f"/rebalancing/proposals?org_unit_id={team_id}&max_moves=10000", token=token)
rebalancing_ms = (time.perf_counter() - started) * 1000
assert s == 200, proposal
print(f"handover_propose {propose_ms:.0f}")
print(f"handover_confirm {confirm_ms:.0f}")
print(f"rebalancing {rebalancing_ms:.0f} ({proposal['before']['rms']} RMs, {len(proposal['moves'])} moves, "
      f"stddev {proposal['before']['customers_stddev']} -> {proposal['after']['customers_stddev']})")

# Throughput workload: fresh customers of the bench team, each to be assigned once (not key
# accounts, so caps never refuse), to the 99 remaining bench RMs in turn.
fresh_count = int(sys.argv[4]) if len(sys.argv) > 4 else 50000
fresh = [None] * fresh_count


def create(indices):
    c = connect()
    for n in indices:
        s, cust = call(c, "POST", "/customers", {"name": f"Fresh Customer {n}", "kind": "sme", "org_unit_id": team_id}, token)
        assert s == 201, cust
        fresh[n] = cust["id"]


threads = [threading.Thread(target=create, args=(range(k, fresh_count, 8),)) for k in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
bench_api.write_assignments_lua(lua_path, [(customer, rms[1 + n % 99]) for n, customer in enumerate(fresh)], token)
