#!/usr/bin/env python3
"""Posts each form body of a file exactly once to an ACS URL and reports throughput,
latency percentiles and every answer that was not a successful login.

  acs_post.py <acs_url> <bodies_file> <redirect_uri> [concurrency=16]

A successful login is what POST /sso/saml/acs/{connection} answers for one: 302 to
<redirect_uri>?code=…&state=<the body's RelayState>. A policy refusal is a 302 too, to
<redirect_uri>?error=<reason>&…, so the status alone proves nothing: the Location is
checked, and refusals are counted by their `error`. A failed verification is provisiond's
HTML error page (403/404/400/500).

Exactly once matters: every body carries its own assertion, and a second POST of it is a
replay that the server must refuse. (wrk cycles through its requests for a duration,
which would turn a login benchmark into a replay benchmark.) Standard library only:
one keep-alive HTTP/1.1 connection per worker thread, redirects not followed.
Exit status 1 when any answer was not a successful login.
"""
import http.client
import queue
import sys
import threading
import time
import urllib.parse
from collections import Counter


def verdict(status, location, relay_state, redirect_uri):
    """`ok`, or a short label of what went wrong with this answer."""
    if status != 302:
        return "status %s" % status
    base, _, query = (location or "").partition("?")
    if base != redirect_uri:
        return "302 elsewhere"
    params = urllib.parse.parse_qs(query)
    if "error" in params:
        return "302 error=%s" % params["error"][0]
    if not params.get("code", [""])[0]:
        return "302 without code"
    if params.get("state", [None])[0] != relay_state:
        return "302 wrong state"
    return "ok"


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    url = urllib.parse.urlsplit(sys.argv[1])
    with open(sys.argv[2], encoding="ascii") as f:
        bodies = [line.rstrip("\n") for line in f if line.strip()]
    redirect_uri = sys.argv[3]
    concurrency = int(sys.argv[4]) if len(sys.argv) > 4 else 16
    path = url.path + ("?" + url.query if url.query else "")

    work = queue.SimpleQueue()
    for b in bodies:
        work.put(b)
    latencies, verdicts, samples = [], Counter(), {}
    lock = threading.Lock()

    def worker():
        conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=60)
        mine, seen = [], Counter()
        while True:
            try:
                body = work.get_nowait()
            except queue.Empty:
                break
            relay_state = urllib.parse.parse_qs(body).get("RelayState", [None])[0]
            t0 = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers={
                    "Content-Type": "application/x-www-form-urlencoded"})
                res = conn.getresponse()
                text = res.read()
                status, location = res.status, res.getheader("Location")
                if res.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException) as e:
                status, location, text = "error:%s" % type(e).__name__, None, b""
                conn.close()
                conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=60)
            mine.append(time.perf_counter() - t0)
            v = verdict(status, location, relay_state, redirect_uri)
            seen[v] += 1
            if v != "ok":
                with lock:
                    samples.setdefault(v, (location or text[:300]))
        conn.close()
        with lock:
            latencies.extend(mine)
            verdicts.update(seen)

    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start

    latencies.sort()

    def pct(p):
        if not latencies:
            return float("nan")
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    non_302 = sum(n for v, n in verdicts.items() if not v.startswith(("ok", "302")))
    failed = sum(n for v, n in verdicts.items() if v != "ok")
    print("  requests   %d in %.2fs, %d workers" % (len(latencies), elapsed, concurrency))
    print("  throughput %.1f logins/s" % (len(latencies) / elapsed if elapsed else 0))
    print("  latency ms p50 %.1f  p90 %.1f  p99 %.1f  max %.1f"
          % (pct(50), pct(90), pct(99), latencies[-1] * 1000 if latencies else float("nan")))
    print("  logins ok  %d   not ok %d   non-302 %d   %s"
          % (verdicts.get("ok", 0), failed, non_302, dict(verdicts)))
    for v, sample in samples.items():
        print("  sample %s: %r" % (v, sample))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
