"""The run of tests/bench/events.sh (standard library only; wrk for the load).

Over the real API: a team of 99 RMs and two sets of fresh customers. Then `POST /assignments` under
wrk without any subscription, then with one subscription to `assignment.started` whose receiver is
an HTTP server in this process; every request of both runs is a real primary assignment (a 201).
Reports both throughputs, their ratio, and for the second run the events delivered per second from
the first commit to the last receipt and the latency from commit (`occurred_at`, the server runs on
the system clock) to receipt.
"""
import json
import os
import subprocess
import sys
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import bench_api
from bench_api import call

base, password, work, duration, connections, fresh_count, receiver_port = sys.argv[1:8]
fresh_count = int(fresh_count)


def connect():
    return bench_api.connect(base)


conn = connect()
_, tok = call(conn, "POST", "/auth/token", {"username": "admin", "password": password})
token = tok["access_token"]
_, root = call(conn, "GET", "/org-units?kind=head_office", token=token)
root_id = root["items"][0]["id"]
_, branch = call(conn, "POST", "/org-units", {"name": "Events Branch", "kind": "branch", "parent_id": root_id}, token)
_, team = call(conn, "POST", "/org-units", {"name": "Events Team", "kind": "team", "parent_id": branch["id"]}, token)
team_id = team["id"]
qualified = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 30 * 86400))
rms = []
for i in range(99):
    s, rm = call(conn, "POST", "/rms", {"employee_no": f"V{i:05d}", "national_id": f"8{i:016d}1", "name": f"Events RM {i}",
                                        "line": "corporate", "grade": "senior", "org_unit_id": team_id, "qualified_on": qualified}, token)
    assert s == 201, rm
    rms.append(rm["id"])

phases = 1 if os.environ.get("BENCH_ONLY_PLAIN") else 3
fresh = [None] * (phases * fresh_count)


def create(indices):
    c = connect()
    for n in indices:
        s, cust = call(c, "POST", "/customers", {"name": f"Events Customer {n}", "kind": "sme", "org_unit_id": team_id}, token)
        assert s == 201, cust
        fresh[n] = cust["id"]


threads = [threading.Thread(target=create, args=(range(k, len(fresh), 8),)) for k in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()


def lua(path, customers):
    bench_api.write_assignments_lua(path, [(c, rms[n % 99]) for n, c in enumerate(customers)], token)


def wrk(script, name):
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "-s", script, base],
                         check=True, capture_output=True, text=True).stdout
    with open(f"{work}/{name}.txt", "w") as f:
        f.write(out)
    assert "Non-2xx" not in out, out
    requests = int(next(line.split()[0] for line in out.splitlines() if "requests in" in line))
    assert requests <= fresh_count, f"the run outgrew the fresh customers ({requests} requests)"
    rate = float(next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec:")))
    return requests, rate


lua(f"{work}/plain.lua", fresh[:fresh_count])
lua(f"{work}/subscribed.lua", fresh[fresh_count:2 * fresh_count])
lua(f"{work}/backlog.lua", fresh[2 * fresh_count:])
plain_requests, plain_rate = wrk(f"{work}/plain.lua", "plain")
if os.environ.get("BENCH_ONLY_PLAIN"):
    print(f"plain {plain_requests} {plain_rate:.0f}")
    sys.exit(0)

received = []
lock = threading.Lock()


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keeps the connection, as a production receiver would

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        at = time.time()
        event = json.loads(body)
        with lock:
            received.append((at, event["sequence"], event["occurred_at"]))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", int(receiver_port)), Receiver)
threading.Thread(target=server.serve_forever, daemon=True).start()
s, hook = call(connect(), "POST", "/webhooks", {"url": f"http://127.0.0.1:{receiver_port}/hook",
                                               "event_types": ["assignment.started"]}, token)
assert s == 201, hook
subscribed_requests, subscribed_rate = wrk(f"{work}/subscribed.lua", "subscribed")
wrk_done = time.time()
# wrk counts the answers it read; requests in flight when it stopped were committed too. Wait until
# at least every answered one arrived and nothing more comes for 3 s.
deadline = time.time() + 600
last_count, quiet_since = -1, time.time()
while time.time() < deadline:
    with lock:
        count = len(received)
    if count != last_count:
        last_count, quiet_since = count, time.time()
    elif count >= subscribed_requests and time.time() - quiet_since > 3:
        break
    time.sleep(0.1)
server.shutdown()
server.server_close()
with lock:
    live = list(received)
assert len(live) >= subscribed_requests, f"{len(live)} of {subscribed_requests} events arrived"
# The deliverer's own pace: a backlog made while the subscription is disabled, then sent at once.
admin = connect()
s, hook = call(admin, "PATCH", f"/webhooks/{hook['id']}", {"status": "disabled", "version": hook["version"]}, token)
assert s == 200, hook
backlog_requests, _ = wrk(f"{work}/backlog.lua", "backlog")
time.sleep(1)
with lock:
    before_backlog = len(received)
server = ThreadingHTTPServer(("127.0.0.1", int(receiver_port)), Receiver)
threading.Thread(target=server.serve_forever, daemon=True).start()
enabled = time.time()
s, hook = call(connect(), "PATCH", f"/webhooks/{hook['id']}", {"status": "active", "version": hook["version"]}, token)
assert s == 200, hook
last_count, quiet_since = -1, time.time()
while time.time() < enabled + 600:
    with lock:
        count = len(received) - before_backlog
    if count != last_count:
        last_count, quiet_since = count, time.time()
    elif count >= backlog_requests and time.time() - quiet_since > 3:
        break
    time.sleep(0.1)
server.shutdown()
server.server_close()
with lock:
    backlog = received[before_backlog:]
assert len(backlog) >= backlog_requests, f"{len(backlog)} of {backlog_requests} backlog events arrived"
backlog_rate = len(backlog) / (max(r[0] for r in backlog) - enabled)
assert [r[1] for r in backlog] == sorted({r[1] for r in backlog}), "the backlog in order, each once"


sequences = [r[1] for r in live]
assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences), "in order, each once"


def instant(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


first_commit = min(instant(r[2]) for r in live)
last_receipt = max(r[0] for r in live)
latencies = sorted((r[0] - instant(r[2])) * 1000 for r in live)
p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
print(f"plain {plain_requests} {plain_rate:.0f}")
print(f"subscribed {subscribed_requests} {subscribed_rate:.0f}")
print(f"ratio {subscribed_rate / plain_rate:.3f}")
print(f"delivered {len(live)} {len(live) / (last_receipt - first_commit):.0f}")
print(f"drain_after_load_s {max(0.0, last_receipt - wrk_done):.1f}")
print(f"backlog {len(backlog)} {backlog_rate:.0f}")
print(f"latency_ms p50 {p(0.5):.0f} p95 {p(0.95):.0f} max {latencies[-1]:.0f}")
