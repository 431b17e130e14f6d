#!/usr/bin/env python3
"""End-to-end adversarial SAML cost (issue #12): a real provisiond server on SQLite, the
inputs of `benches/saml_adversarial.rs` POSTed to its ACS, and the server's CPU time per
request read from /proc/<pid>/stat (utime + stime, all threads, dead ones included).

  bench/adversarial_acs.py [--bin target/release/provisiond] [--posts 30] [--size 160k]

Steps: start the server on a fresh SQLite file (127.0.0.1, a free port), create an
organization, a verified domain (example.com) and a SAML connection pinning the test IdP
certificate (allow_idp_initiated, default_redirect_uri); run the bench binary with
`--write DIR --write-only` and ADV_ACS/ADV_SP/ADV_NOW set to that connection and the
current time, so the valid inputs are really valid there; then for every input POST it
`--posts` times over one keep-alive connection (the first valid login creates the user;
later posts of the same valid Response are refused as replays after full validation) and
report CPU ms per request next to the valid Response of the same size. Bounded: a fixed
number of requests, 127.0.0.1 only; the server is stopped by its PID at the end.
Requires the bench binary built: cargo bench --bench saml_adversarial --no-run.
"""
import argparse
import glob
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEY = "adversarial-bench-admin-key-0123456789"
IDP = "https://idp.adversarial.example/saml"
REDIRECT = "https://app.example.com/sso/callback"
TICK = os.sysconf("SC_CLK_TCK")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is state (field 3); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / TICK


def request(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    return r.status, data


def admin(conn, method, path, payload):
    status, data = request(conn, method, "/admin/v1" + path, json.dumps(payload),
                           {"Authorization": "Bearer " + KEY, "Content-Type": "application/json"})
    if status >= 300:
        sys.exit("admin %s %s: %d %s" % (method, path, status, data[:300]))
    return json.loads(data) if data else None


def main():
    ap = argparse.ArgumentParser()
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    ap.add_argument("--bin", default=os.path.join(target, "release", "provisiond"))
    ap.add_argument("--posts", type=int, default=30)
    ap.add_argument("--size", default="", help="only inputs of this size, e.g. 160k")
    args = ap.parse_args()
    benches = sorted(glob.glob(os.path.join(target, "release", "deps", "saml_adversarial-*")),
                     key=os.path.getmtime)
    benches = [b for b in benches if os.access(b, os.X_OK) and not b.endswith(".d")]
    if not benches:
        sys.exit("build the bench first: cargo bench --bench saml_adversarial --no-run")
    work = tempfile.mkdtemp(prefix="adv-acs-")
    port = free_port()
    base = "http://127.0.0.1:%d" % port
    env = dict(os.environ, DATABASE_URL=os.path.join(work, "bench.db"),
               PROVISIOND_LISTEN="127.0.0.1:%d" % port, PROVISIOND_PUBLIC_URL=base,
               PROVISIOND_BOOTSTRAP_ADMIN_KEY=KEY, PROVISIOND_ALLOWED_REDIRECT_URIS=REDIRECT,
               PROVISIOND_LOG_LEVEL="error")
    log = open(os.path.join(work, "server.log"), "w")
    server = subprocess.Popen([args.bin, "serve"], env=env, stdout=log, stderr=log, cwd=work)
    try:
        conn = None
        for _ in range(200):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                if request(conn, "GET", "/readyz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            sys.exit("server did not become ready; see " + log.name)
        admin(conn, "POST", "/organizations", {"name": "Adversarial", "slug": "adversarial"})
        admin(conn, "POST", "/organizations/adversarial/domains",
              {"domain": "example.com", "verified": True})
        cert = open(os.path.join(ROOT, "tests/fixtures/saml/keys/idp-rsa.crt")).read()
        c = admin(conn, "POST", "/organizations/adversarial/saml-connections", {
            "idp_entity_id": IDP, "idp_sso_url": "https://idp.adversarial.example/sso",
            "idp_certificates": [cert], "allow_idp_initiated": True,
            "default_redirect_uri": REDIRECT})
        inputs = os.path.join(work, "inputs")
        genv = dict(os.environ, ADV_ACS=c["acs_url"], ADV_SP=c["sp_entity_id"],
                    ADV_NOW=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        subprocess.run([benches[-1], "--write", inputs, "--write-only"], env=genv, check=True,
                       stdout=subprocess.DEVNULL)
        path = urllib.parse.urlparse(c["acs_url"]).path
        results = {}
        for f in sorted(os.listdir(inputs)):
            size, _, name = f[:-4].partition("-")
            if args.size and size != args.size:
                continue
            body = "SAMLResponse=" + urllib.parse.quote(open(os.path.join(inputs, f)).read(), safe="")
            statuses = Counter()
            before = cpu_seconds(server.pid)
            for _ in range(args.posts):
                statuses[request(conn, "POST", path, body,
                                 {"Content-Type": "application/x-www-form-urlencoded"})[0]] += 1
            spent = cpu_seconds(server.pid) - before
            results[(size, name)] = (len(body), spent * 1000 / args.posts, statuses)
        print("| size | input | form bytes | answers | server CPU ms/request | valid, same size | ratio |")
        print("|---|---|---|---|---|---|---|")
        worst = (0.0, 0.0)
        for (size, name), (n, ms, st) in sorted(results.items()):
            valid = results.get((size, "valid"), (0, 0.0, None))[1]
            ratio = ms / valid if valid else float("nan")
            if not name.startswith("valid"):
                worst = (max(worst[0], ratio), max(worst[1], ms))
            answers = " ".join("%s×%d" % (k, v) for k, v in sorted(st.items()))
            print("| %s | %s | %d | %s | %.2f | %.2f | %.2f |" % (size, name, n, answers, ms, valid, ratio))
        print("\nworst ratio %.2f, worst CPU %.2f ms/request (%d posts per input, clock tick %d Hz)"
              % (worst[0], worst[1], args.posts, TICK))
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


if __name__ == "__main__":
    main()
