"""Loads N users into a SCIM directory over HTTP (16 keep-alive connections), writes
their ids to a file, and reports the create throughput. Bounded: exactly N requests."""
import http.client
import json
import sys
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

base, token, count, ids_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
url = urllib.parse.urlparse(base)
WORKERS = 16


def worker(start: int) -> list:
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    ids = []
    for i in range(start, count, WORKERS):
        body = json.dumps({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": f"user-{i}@bench.example.com",
            "name": {"givenName": f"Given{i}", "familyName": f"Family{i}"},
            "emails": [{"value": f"user-{i}@bench.example.com", "type": "work", "primary": True}],
            "externalId": f"ext-{i}",
            "active": True,
        })
        conn.request("POST", "/scim/v2/Users", body, {
            "Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"})
        res = conn.getresponse()
        data = res.read()
        if res.status != 201:
            raise SystemExit(f"create {i}: {res.status} {data[:200]!r}")
        ids.append(json.loads(data)["id"])
    return ids


started = time.time()
with ThreadPoolExecutor(WORKERS) as pool:
    all_ids = [i for ids in pool.map(worker, range(WORKERS)) for i in ids]
elapsed = time.time() - started
with open(ids_path, "w") as f:
    f.write("\n".join(all_ids))
print(f"loaded {len(all_ids)} users in {elapsed:.1f} s ({len(all_ids) / elapsed:.0f} creates/s, Python client)")
