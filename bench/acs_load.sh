#!/usr/bin/env bash
# ACS HTTP load benchmark (issue 5): IdP-initiated SAML logins posted to
# POST /sso/saml/acs/{connection}. For each backend: start the release server on a fresh
# database, create an organization, a verified domain and a SAML connection
# (allow_idp_initiated, default_redirect_uri on the redirect allow-list) through the
# admin API, pre-sign SAML Responses with a test IdP key using xmlsec1 (an independent signer, as
# tests/fixtures/saml/make_fixtures.sh does), then post each one exactly once:
#   first      $FIRST distinct users, each logging in for the first time (JIT creation)
#   returning  $RETURNING users of the first phase, $LOGINS logins each (JIT update)
# Every Response has its own Response and Assertion ID (a repeated one is a replay) and is
# valid for $VALIDITY seconds from signing, and is posted with RelayState <scenario>-<n>;
# each phase is signed just before it runs (xmlsec1 signs ~25-50 responses/s on 2 busy
# cores). A login counts as successful only when the ACS answers 302 to the redirect URI
# with a `code` and `state` equal to its RelayState (a policy refusal is a 302 too, with
# `error`). Reports throughput, latency percentiles, the answers that were not successful
# logins (and how many were not 302), the load average around each phase, and the rows
# each phase added (events, audit entries, codes, replay-cache rows…) — what a login
# writes.
#
# Usage: bench/acs_load.sh [sqlite|postgres|both|selftest]   (default: both)
#   selftest: no server — generate a key, sign one Response, verify it with xmlsec1 against
#   the pinned certificate only, and check that a changed NameID no longer verifies.
# Env:   FIRST=1000 RETURNING=100 LOGINS=10 CONCURRENCY=16 VALIDITY=600
#        PG_URL=postgres://postgres@127.0.0.1:5432/postgres
#        REDIRECT_ALLOW=api (POST /admin/v1/redirect-uris: each login reads the list from
#        the database) or env (PROVISIOND_ALLOWED_REDIRECT_URIS: no read)
#        PROVISIOND_BIN=<binary> to skip `cargo build --release` (e.g. a debug build)
#        WAIT_IDLE=0 WAIT_MAX=120: before posting, wait (at most WAIT_MAX s) until at least
#        WAIT_IDLE % of the CPU is idle — on a shared machine, so that a phase is not
#        measured while someone else's build holds the cores
# Traffic goes only to 127.0.0.1; every phase is bounded in count; the server is stopped
# by PID and the PostgreSQL database dropped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

FIRST=${FIRST:-1000}
RETURNING=${RETURNING:-100}
LOGINS=${LOGINS:-10}
CONCURRENCY=${CONCURRENCY:-16}
VALIDITY=${VALIDITY:-600}
REDIRECT_ALLOW=${REDIRECT_ALLOW:-api}
WAIT_IDLE=${WAIT_IDLE:-0}
WAIT_MAX=${WAIT_MAX:-120}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
KEY=bench-admin-key-0123456789abcdefghij
DOMAIN=bench.example.com
IDP_ENTITY=https://idp.bench.example.com/saml
REDIRECT=https://app.bench.example.com/sso/callback
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/provisiond-target}"

if (( RETURNING > FIRST )); then echo "RETURNING must not exceed FIRST" >&2; exit 2; fi
if ! command -v xmlsec1 >/dev/null; then
  echo "installing xmlsec1 (Debian package)"
  apt-get install -y xmlsec1 >/dev/null || { apt-get update >/dev/null && apt-get install -y xmlsec1 >/dev/null; }
fi

WORK=$(mktemp -d)
SERVER_PID=
PG_DB=
FAILED=0
# stop_backend: stop the server this script started (by PID) and drop its database.
stop_backend() {
  if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  SERVER_PID=
  if [ -n "$PG_DB" ]; then psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1 || true; fi
  PG_DB=
}
cleanup() { stop_backend; rm -rf "$WORK"; }
trap cleanup EXIT

IDS=(--id-attr:ID urn:oasis:names:tc:SAML:2.0:assertion:Assertion
     --id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:Response)
ASSERTION_SIG="/*[local-name()='Response']/*[local-name()='Assertion']/*[local-name()='Signature']"

make_idp_key() {
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/idp.key" -out "$WORK/idp.crt" \
    -days 2 -subj "/CN=bench IdP signing" 2>/dev/null
}

# sign_all <dir>: every <dir>/*.tmpl → <dir>/*.xml (assertion signature, RSA-SHA256, exc-c14n).
sign_all() {
  local dir=$1
  export IDP_KEY="$WORK/idp.key,$WORK/idp.crt" ASSERTION_SIG
  find "$dir" -name '*.tmpl' -print0 | xargs -0 -n 50 -P "$(nproc)" bash -c '
    for t in "$@"; do
      xmlsec1 --sign --privkey-pem "$IDP_KEY" \
        --id-attr:ID urn:oasis:names:tc:SAML:2.0:assertion:Assertion \
        --id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:Response \
        --node-xpath "$ASSERTION_SIG" --output "${t%.tmpl}.xml" "$t" 2>/dev/null \
        || { echo "xmlsec1 cannot sign $t" >&2; exit 1; }
    done' _
}

# verify <file>: independent check with the pinned certificate only (KeyInfo not trusted).
verify() {
  xmlsec1 --verify --pubkey-cert-pem "$WORK/idp.crt" --enabled-key-data x509 "${IDS[@]}" \
    --node-xpath "$ASSERTION_SIG" "$1" >/dev/null 2>&1
}

# generate <scenario> <acs_url> <sp_entity_id> <user_prefix> <users> <logins_per_user>
generate() {
  local scenario=$1 acs=$2 audience=$3 prefix=$4 users=$5 per_user=$6 n
  rm -rf "$WORK/$scenario"; mkdir -p "$WORK/$scenario"
  n=$(python3 bench/acs_responses.py templates "$WORK/$scenario" "$scenario" "$acs" "$audience" \
        "$IDP_ENTITY" "$DOMAIN" "$prefix" "$users" "$per_user" "$VALIDITY")
  sign_all "$WORK/$scenario"
  verify "$(find "$WORK/$scenario" -name '*.xml' | head -n 1)" \
    || { echo "xmlsec1 cannot verify a signed $scenario response" >&2; exit 1; }
  python3 bench/acs_responses.py bodies "$WORK/$scenario" "$scenario" "$WORK/$scenario.bodies" >/dev/null
  echo "  $scenario: $n responses signed and verified"
}

selftest() {
  make_idp_key
  local acs=https://sp.bench.example.com/sso/saml/acs/c1 aud=https://sp.bench.example.com/sso/saml/metadata/c1
  generate selftest "$acs" "$aud" user- 2 1
  local a b
  a=$(find "$WORK/selftest" -name '*.xml' | sort | head -n 1)
  b=$(find "$WORK/selftest" -name '*.xml' | sort | tail -n 1)
  python3 -c 'import re,sys; ids={re.search(r"<saml2:Assertion [^>]*ID=\"([^\"]+)\"", open(f).read()).group(1) for f in sys.argv[1:]}; sys.exit(len(ids) != 2)' "$a" "$b" \
    || { echo "assertion IDs are not distinct" >&2; exit 1; }
  sed 's/>user-0</>user-1</' "$a" > "$WORK/tampered.xml"
  if verify "$WORK/tampered.xml"; then echo "a changed NameID still verifies" >&2; exit 1; fi
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/other.key" -out "$WORK/other.crt" \
    -days 1 -subj "/CN=other" 2>/dev/null
  if xmlsec1 --verify --pubkey-cert-pem "$WORK/other.crt" --enabled-key-data x509 "${IDS[@]}" \
      --node-xpath "$ASSERTION_SIG" "$a" >/dev/null 2>&1; then
    echo "verifies with an unrelated certificate" >&2; exit 1
  fi
  [ "$(wc -l < "$WORK/selftest.bodies")" -eq 2 ] || { echo "expected 2 bodies" >&2; exit 1; }
  head -c 13 "$WORK/selftest.bodies" | grep -qx 'SAMLResponse=' || { echo "bad body" >&2; exit 1; }
  echo "selftest ok: signed with xmlsec1, verified with the pinned certificate only;"
  echo "  tampered NameID and unrelated certificate refused; distinct assertion IDs"
}

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
# cpu_idle: % of all cores idle over the next 2 s (from /proc/stat). Taken after signing,
# with the server idle, it shows what other work on the machine leaves to the benchmark
# (the load average still carries the signing of the minute before).
cpu_idle() {
  python3 -c 'import time
def t():
    v = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return sum(v), v[3] + v[4]
a, ia = t(); time.sleep(2); b, ib = t()
print("%.0f" % (100.0 * (ib - ia) / max(1, b - a)))'
}

# phase <backend> <db_url> <scenario> <title> <acs> <audience> <users> <logins_per_user>
phase() {
  local backend=$1 db_url=$2 scenario=$3 title=$4 t0=$SECONDS before
  shift 4
  echo "## $backend: $title — signing (valid ${VALIDITY}s)"
  generate "$scenario" "$1" "$2" user- "$3" "$4"
  echo "  signing took $((SECONDS - t0))s"
  if (( SECONDS - t0 > VALIDITY / 2 )); then
    echo "  warning: signing used more than half of the validity window; lower the counts" >&2
  fi
  before=$(count_rows "$backend" "$db_url")
  echo "## $backend: $title — posting each once, $CONCURRENCY workers"
  local idle t1=$SECONDS
  idle=$(cpu_idle)
  while (( idle < WAIT_IDLE && SECONDS - t1 < WAIT_MAX )); do idle=$(cpu_idle); done
  if (( SECONDS - t1 > 2 )); then echo "  waited $((SECONDS - t1))s for CPU idle >= ${WAIT_IDLE}%"; fi
  echo "  before: CPU idle ${idle}% of $(nproc) cores over 2 s, load average $(loadavg)"
  python3 bench/acs_post.py "$1" "$WORK/$scenario.bodies" "$REDIRECT" "$CONCURRENCY" || FAILED=1
  echo "  after:  load average $(loadavg)"
  echo "  rows added: $(row_delta "$before" "$(count_rows "$backend" "$db_url")")"
}

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

admin() { # admin <method> <path> [json]
  curl -fsS -X "$1" "$BASE/admin/v1$2" -H "Authorization: Bearer $KEY" \
    -H 'Content-Type: application/json' ${3:+-d "$3"}
}

# count_rows <backend> <db_url>: "table=count …" for the tables a login writes.
ROW_TABLES="users user_emails identities role_assignments events audit_entries sso_codes saml_replay_cache"
count_rows() {
  local sql="" t
  for t in $ROW_TABLES; do sql="$sql${sql:+ UNION ALL }SELECT '$t', count(*) FROM $t"; done
  if [ "$1" = postgres ]; then psql "$2" -qAt -F= -c "$sql" | tr '\n' ' '
  else python3 -c "import sqlite3,sys; print(' '.join('%s=%d' % r for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2])))" "$2" "$sql"
  fi
}
# row_delta "<before>" "<after>": the difference per table.
row_delta() {
  python3 -c 'import sys
b = dict(kv.split("=") for kv in sys.argv[1].split())
a = dict(kv.split("=") for kv in sys.argv[2].split())
print(" ".join("%s+%d" % (t, int(a[t]) - int(b[t])) for t in a))' "$1" "$2"
}
rows_of() { # rows_of <table> "<count_rows output>"
  python3 -c 'import sys; print(dict(kv.split("=") for kv in sys.argv[2].split())[sys.argv[1]])' "$1" "$2"
}

run_backend() {
  local backend=$1 db_url
  if [ "$backend" = postgres ]; then
    PG_DB="provisiond_acs_bench_$$"
    psql "$PG_URL" -qc "CREATE DATABASE $PG_DB" >/dev/null
    db_url="${PG_URL%/*}/$PG_DB"
  else
    db_url="$WORK/bench-$$.db"
  fi
  local p env_allow=; p=$(port)
  BASE="http://127.0.0.1:$p"
  if [ "$REDIRECT_ALLOW" = env ]; then env_allow=$REDIRECT; fi
  DATABASE_URL="$db_url" PROVISIOND_LISTEN="127.0.0.1:$p" PROVISIOND_PUBLIC_URL="$BASE" \
    PROVISIOND_BOOTSTRAP_ADMIN_KEY="$KEY" PROVISIOND_ALLOWED_REDIRECT_URIS="$env_allow" \
    PROVISIOND_LOG_LEVEL=warn "$BIN" serve 2>"$WORK/$backend.log" &
  SERVER_PID=$!
  for _ in $(seq 1 100); do curl -fs "$BASE/readyz" >/dev/null && break; sleep 0.1; done
  curl -fs "$BASE/readyz" >/dev/null || { echo "server did not become ready" >&2; cat "$WORK/$backend.log" >&2; exit 1; }

  admin POST /organizations '{"name":"ACS Bench","slug":"acsbench"}' >/dev/null
  # IdP-initiated logins go to the connection's default_redirect_uri, which the ACS
  # checks against the allow-list at every login (the connection API does not).
  if [ "$REDIRECT_ALLOW" = api ]; then
    admin POST /redirect-uris "{\"uri\":\"$REDIRECT\"}" >/dev/null
  fi
  admin POST /organizations/acsbench/domains "{\"domain\":\"$DOMAIN\",\"verified\":true}" >/dev/null
  local body conn
  body=$(python3 -c 'import json,sys; print(json.dumps({
      "idp_entity_id": sys.argv[1], "idp_sso_url": "https://idp.bench.example.com/sso",
      "idp_certificates": [open(sys.argv[2]).read()], "attribute_preset": "okta",
      "allow_idp_initiated": True, "default_redirect_uri": sys.argv[3]}))' \
      "$IDP_ENTITY" "$WORK/idp.crt" "$REDIRECT")
  conn=$(admin POST /organizations/acsbench/saml-connections "$body")
  local acs aud
  acs=$(json_field acs_url <<<"$conn")
  aud=$(json_field sp_entity_id <<<"$conn")

  # One login first: the endpoint must answer 302 to the allow-listed redirect with a code.
  echo "## $backend: probe login"
  generate probe "$acs" "$aud" probe- 1 1
  local probe_out code location
  probe_out=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -X POST "$acs" \
    -H 'Content-Type: application/x-www-form-urlencoded' --data "@$WORK/probe.bodies")
  code=${probe_out%% *}; location=${probe_out#* }
  if [ "$code" != 302 ] || [[ "$location" != "$REDIRECT?code="*"&state=probe-0" ]]; then
    echo "## $backend: ACS answered $code (Location: ${location:-none}); expected 302 to $REDIRECT?code=…&state=probe-0"
    echo "   Setup, signing and xmlsec1 verification worked; no load was sent."
    stop_backend
    return 3
  fi

  phase "$backend" "$db_url" first "first logins ($FIRST users)" "$acs" "$aud" "$FIRST" 1
  phase "$backend" "$db_url" returning "returning users ($RETURNING users x $LOGINS logins)" \
    "$acs" "$aud" "$RETURNING" "$LOGINS"
  local users; users=$(rows_of users "$(count_rows "$backend" "$db_url")")
  echo "## $backend: users in the database: $users (expected $((FIRST + 1)))"
  [ "$users" -eq $((FIRST + 1)) ] || FAILED=1
  if grep -q . "$WORK/$backend.log"; then
    echo "## $backend: server log (warnings and errors), last lines:"; tail -n 5 "$WORK/$backend.log"
  fi

  stop_backend
  rm -rf "$WORK/probe" "$WORK/first" "$WORK/returning"
  return $FAILED
}

prepare_server() {
  if [ -n "${PROVISIOND_BIN:-}" ]; then BIN=$PROVISIOND_BIN
  else cargo build --release --quiet; BIN="$CARGO_TARGET_DIR/release/provisiond"; fi
  make_idp_key
}

case "${1:-both}" in
  selftest) selftest ;;
  sqlite) prepare_server; run_backend sqlite ;;
  postgres) prepare_server; run_backend postgres ;;
  # Each backend in its own process, so that `set -e` stays in force inside it.
  both) rc=0; "$0" sqlite || rc=$?; "$0" postgres || rc=$?; exit $rc ;;
  *) echo "usage: $0 [sqlite|postgres|both|selftest]" >&2; exit 2 ;;
esac
