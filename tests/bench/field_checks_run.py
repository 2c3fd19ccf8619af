"""Setup and timed listings for tests/bench/field_checks.sh (standard library only)."""
import json
import statistics
import sys
import threading
import time
from http.client import HTTPConnection
from urllib.parse import urlparse

base, password, backend = sys.argv[1], sys.argv[2], sys.argv[3]
host = urlparse(base)


def connect():
    return HTTPConnection(host.hostname, host.port, timeout=120)


def call(conn, method, path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    conn.request(method, "/api/v1" + path, json.dumps(body) if body is not None else None, headers)
    r = conn.getresponse()
    data = r.read()
    return r.status, (json.loads(data) if data else None)


conn = connect()
_, t = call(conn, "POST", "/auth/token", {"username": "admin", "password": password})
admin = t["access_token"]
_, root = call(conn, "GET", "/org-units?kind=head_office", token=admin)
_, team = call(conn, "POST", "/org-units", {"name": "Bench Team", "kind": "team", "parent_id": root["items"][0]["id"]}, admin)
team_id = team["id"]
qualified = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 30 * 86400))
leads = []
for i in range(10):
    _, rm = call(conn, "POST", "/rms", {"employee_no": f"F{i}", "national_id": f"8{i:016d}1", "name": f"RM {i}", "line": "corporate",
                                       "grade": "senior", "org_unit_id": team_id, "qualified_on": qualified}, admin)
    _, _ = call(conn, "POST", "/users", {"username": f"rm{i}", "password": "bench-password-1", "display_name": f"RM {i}",
                                         "roles": ["rm"], "org_unit_id": team_id, "rm_id": rm["id"]}, admin)
    _, tok = call(conn, "POST", "/auth/token", {"username": f"rm{i}", "password": "bench-password-1"})
    customers = []
    for n in range(50):
        _, c = call(conn, "POST", "/customers", {"name": f"C{i}-{n}", "kind": "corporate", "org_unit_id": team_id}, admin)
        call(conn, "POST", "/assignments", {"customer_id": c["id"], "rm_id": rm["id"], "role": "primary"}, admin)
        customers.append(c["id"])
    leads.append((rm["id"], tok["access_token"], customers))

kinds = ["site_visit", "post_loan_inspection", "anomaly_review", "pre_loan_investigation"]


def submit(lead):
    rm_id, token, customers = lead
    c = connect()
    for n in range(1000):
        s, r = call(c, "POST", "/field-checks", {"customer_id": customers[n % 50], "kind": kinds[n % 4], "lead_rm_id": rm_id,
                                                 "performed_at": f"2026-{1 + n % 10:02d}-{1 + n % 28:02d}T10:00:00Z", "findings": "routine"}, token)
        assert s == 201, r


threads = [threading.Thread(target=submit, args=(lead,)) for lead in leads]
for th in threads:
    th.start()
for th in threads:
    th.join()

conn = connect()
queries = {
    "unit, 500 per page": f"/field-checks?org_unit_id={team_id}&limit=500",
    "unit + kind": f"/field-checks?org_unit_id={team_id}&kind=post_loan_inspection&limit=500",
    "unit + RM + period": f"/field-checks?org_unit_id={team_id}&rm_id={leads[3][0]}&from=2026-03-01T00:00:00Z&to=2026-07-01T00:00:00Z&limit=500",
    "unit + status + kind, 50": f"/field-checks?org_unit_id={team_id}&status=completed&kind=anomaly_review",
}
for name, path in queries.items():
    times = []
    for _ in range(20):
        started = time.perf_counter()
        s, page = call(conn, "GET", path, token=admin)
        times.append((time.perf_counter() - started) * 1000)
        assert s == 200 and page["items"], page
    print(f"| {backend} | {name} | {statistics.median(times):.1f} ms | {max(times):.1f} ms |")
_, everything = call(conn, "GET", f"/field-checks?org_unit_id={team_id}&limit=1", token=admin)
