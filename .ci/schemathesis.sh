#!/usr/bin/env bash
# Contract fuzzing: schemathesis (pinned in .ci/schemathesis-requirements.txt, installed
# into a venv outside the clone) against a live server on a fresh SQLite database, with
# an admin key, for a bounded time. Fails on any 5xx and on any response that does not
# conform to the server's own /openapi.json (status code, content type, body schema).
#
# A seeded organization is handed to every `{org}` path parameter, so the generated
# requests reach the handlers behind the organization lookup instead of stopping at 404;
# the admin API, the app API and SCIM are each called with their own credential. Deleting
# that organization is left out (it would end the run's SCIM token and every `{org}` call
# after it; tests/api covers it).
#
# Usage: .ci/schemathesis.sh  (PROVISIOND_BIN: the server binary, default target/debug)
#        SCHEMATHESIS_MAX_TIME: seconds of generation (default 150)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${PROVISIOND_BIN:-${CARGO_TARGET_DIR:-target}/debug/provisiond}"
[ -x "$bin" ] || { echo "schemathesis: no binary at $bin (build first)" >&2; exit 1; }
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
max_time="${SCHEMATHESIS_MAX_TIME:-150}"

venv="${PROVISIOND_SCHEMATHESIS_VENV:-$HOME/.cache/provisiond-schemathesis-venv}"
if ! cmp -s .ci/schemathesis-requirements.txt "$venv/installed-requirements.txt"; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r .ci/schemathesis-requirements.txt
  cp .ci/schemathesis-requirements.txt "$venv/installed-requirements.txt"
fi
echo "$("$venv/bin/schemathesis" --version)"

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
admin_key="schemathesis-admin-key-$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
(cd "$work" && exec env -u DATABASE_URL PROVISIOND_LISTEN="127.0.0.1:$port" \
  PROVISIOND_BOOTSTRAP_ADMIN_KEY="$admin_key" PROVISIOND_LOG_LEVEL=warn \
  "$bin" >"$work/out.log" 2>"$work/err.log") &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "$base/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "$base/readyz" >/dev/null

json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
org=$(curl -fsS -X POST "$base/admin/v1/organizations" -H "Authorization: Bearer $admin_key" \
  -H 'Content-Type: application/json' -d '{"name": "Schemathesis", "slug": "schemathesis"}' | json_field id)

app_key=$(curl -fsS -X POST "$base/admin/v1/api-keys" -H "Authorization: Bearer $admin_key" \
  -H 'Content-Type: application/json' -d '{"name": "schemathesis app", "kind": "app"}' | json_field key)
scim_token=$(curl -fsS -X POST "$base/admin/v1/organizations/$org/scim-directories" \
  -H "Authorization: Bearer $admin_key" -H 'Content-Type: application/json' -d '{}' | json_field token)

# Each area is called with its own credential (an admin key is refused on the app API and
# on SCIM, so one global header would leave those handlers untested behind a 401).
cat >"$work/schemathesis.toml" <<EOF
headers = { Authorization = "Bearer $admin_key" }
[parameters]
"path.org" = "$org"

[[operations]]
include-path-regex = "^/(api/v1/|sso/token$)"
headers = { Authorization = "Bearer $app_key" }

[[operations]]
include-path-regex = "^/scim/v2/"
headers = { Authorization = "Bearer $scim_token" }
EOF

status=0
# Run from the scratch directory: schemathesis leaves a .schemathesis/ folder where it runs.
(cd "$work" && exec "$venv/bin/schemathesis" --no-color --config-file "$work/schemathesis.toml" run "$base/openapi.json" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-time "$max_time" --workers 1 --max-examples 25 --seed 1 \
  --suppress-health-check all --generation-database none \
  --exclude-operation-id delete_organization) || status=$?
if [ "$status" -ne 0 ]; then
  echo "schemathesis failed (exit $status); server stderr:" >&2
  tail -n 50 "$work/err.log" >&2
  exit "$status"
fi
if grep -q 'panicked' "$work/err.log"; then
  echo "the server panicked during the run:" >&2
  grep -A5 'panicked' "$work/err.log" >&2
  exit 1
fi
echo "schemathesis: no server errors, every response conforms to /openapi.json"
