#!/usr/bin/env python3
"""Posts each form body of a file exactly once to an ACS URL and reports throughput,
latency percentiles and the answers that were not the expected status.

  acs_post.py <acs_url> <bodies_file> [concurrency=16] [expect=302]

Exactly once matters: every body carries its own assertion, and a second POST of it is a
replay that the server must refuse. (wrk cycles through its requests for a duration,
which would turn a login benchmark into a replay benchmark.) Standard library only:
one keep-alive HTTP/1.1 connection per worker thread, redirects not followed.
"""
import http.client
import queue
import sys
import threading
import time
import urllib.parse
from collections import Counter


def main():
    url = urllib.parse.urlsplit(sys.argv[1])
    with open(sys.argv[2], encoding="ascii") as f:
        bodies = [line.rstrip("\n") for line in f if line.strip()]
    concurrency = int(sys.argv[3]) if len(sys.argv) > 3 else 16
    expect = int(sys.argv[4]) if len(sys.argv) > 4 else 302
    path = url.path + ("?" + url.query if url.query else "")

    work = queue.SimpleQueue()
    for b in bodies:
        work.put(b)
    latencies, statuses, samples = [], Counter(), {}
    lock = threading.Lock()

    def worker():
        conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=60)
        mine, codes = [], Counter()
        while True:
            try:
                body = work.get_nowait()
            except queue.Empty:
                break
            t0 = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers={
                    "Content-Type": "application/x-www-form-urlencoded"})
                res = conn.getresponse()
                text = res.read()
                status = res.status
                if res.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException) as e:
                status, text = "error:%s" % type(e).__name__, b""
                conn.close()
                conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=60)
            mine.append(time.perf_counter() - t0)
            codes[status] += 1
            if status != expect:
                with lock:
                    samples.setdefault(status, text[:300])
        conn.close()
        with lock:
            latencies.extend(mine)
            statuses.update(codes)

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

    bad = sum(n for s, n in statuses.items() if s != expect)
    print("  requests   %d in %.2fs, %d workers" % (len(latencies), elapsed, concurrency))
    print("  throughput %.1f req/s" % (len(latencies) / elapsed if elapsed else 0))
    print("  latency ms p50 %.1f  p90 %.1f  p99 %.1f  max %.1f"
          % (pct(50), pct(90), pct(99), latencies[-1] * 1000 if latencies else float("nan")))
    print("  non-%d    %d  %s" % (expect, bad, dict(statuses)))
    for status, text in samples.items():
        print("  sample %s: %r" % (status, text))
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
