"""What the benchmark scripts share (standard library only): calls to the API over one kept
connection, and the wrk script that assigns fresh customers, one real assignment per request."""
import json
from http.client import HTTPConnection
from urllib.parse import urlparse


def connect(base, timeout=120):
    host = urlparse(base)
    return HTTPConnection(host.hostname, host.port, timeout=timeout)


def call(conn, method, path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    conn.request(method, "/api/v1" + path, json.dumps(body) if body is not None else None, headers)
    r = conn.getresponse()
    data = r.read()
    return r.status, (json.loads(data) if data else None)


def write_assignments_lua(path, pairs, token):
    """A wrk script: each request assigns the next (customer, RM) pair as primary (each of wrk's two
    threads takes every other pair); past the last pair it asks `/health`."""
    with open(path, "w") as f:
        f.write("local pairs = {\n")
        for customer, rm in pairs:
            f.write(f'{{"{customer}","{rm}"}},\n')
        f.write("}\n")
        f.write(f'local auth = "Bearer {token}"\n')
        f.write("""
local next_thread = 0
function setup(thread) thread:set("index", next_thread); next_thread = next_thread + 1 end
function init(args) count = 0 end
function request()
  local p = pairs[index + count * 2 + 1]
  count = count + 1
  if p == nil then return wrk.format("GET", "/health") end
  local body = '{"customer_id":"' .. p[1] .. '","rm_id":"' .. p[2] .. '","role":"primary"}'
  return wrk.format("POST", "/api/v1/assignments", {["Authorization"] = auth, ["Content-Type"] = "application/json"}, body)
end
""")
