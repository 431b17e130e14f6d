#!/usr/bin/env bash
# Runs README.md's tour as written, against a freshly started server on a fresh SQLite
# database, and fails unless it ends with a successful code exchange. So the README
# cannot drift from the code.
#
# What is run: every fenced block of the "## A five-minute tour" section.
#   ```sh server  -> started in the background, `cargo run --release` replaced by the
#                    binary CI built ($PROVISIOND_BIN, default target/debug/provisiond);
#   ```sh         -> concatenated in order and run by one `bash -euo pipefail` (so
#                    variables carry over), with `curl` failing on any HTTP error status.
# The ```sh blocks elsewhere in the README must be exactly `cargo run --release` and
# `cargo test`, which .ci/run's other steps run; a new one fails here until it is covered.
# `localhost:8080` is rewritten to a free port so the run never meets another server.
#
# Usage: .ci/readme_tour.sh [README.md]
set -euo pipefail
cd "$(dirname "$0")/.."
readme="${1:-README.md}"
bin="${PROVISIOND_BIN:-${CARGO_TARGET_DIR:-target}/debug/provisiond}"
[ -x "$bin" ] || { echo "readme tour: no binary at $bin (build first)" >&2; exit 1; }
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Split the README into the tour's server block, its command blocks, and the rest.
python3 - "$readme" "$work" <<'PY'
import re, sys, pathlib
text = pathlib.Path(sys.argv[1]).read_text()
out = pathlib.Path(sys.argv[2])
section = None
blocks = []  # (section, info, body)
lines = text.split("\n")
i = 0
while i < len(lines):
    line = lines[i]
    if line.startswith("## "):
        section = line[3:].strip()
    m = re.match(r"^```(\S*)\s*(.*)$", line)
    if m and m.group(1):
        info = (m.group(1) + " " + m.group(2)).strip()
        body = []
        i += 1
        while i < len(lines) and lines[i] != "```":
            body.append(lines[i])
            i += 1
        blocks.append((section, info, "\n".join(body)))
    i += 1
tour = [b for b in blocks if b[0] == "A five-minute tour"]
servers = [b for b in tour if b[1] == "sh server"]
commands = [b for b in tour if b[1] == "sh"]
others = [b for b in tour if b[1] not in ("sh", "sh server")]
outside = [b[2].strip() for b in blocks if b[0] != "A five-minute tour" and b[1].split()[0] == "sh"]
errors = []
if len(servers) != 1:
    errors.append(f"the tour needs exactly one ```sh server block, found {len(servers)}")
if not commands:
    errors.append("the tour has no ```sh blocks")
if others:
    errors.append(f"unknown block kinds in the tour: {[b[1] for b in others]}")
if sorted(outside) != ["cargo run --release", "cargo test"]:
    errors.append(f"```sh blocks outside the tour that CI does not run: {outside}")
if errors:
    sys.exit("readme tour: " + "; ".join(errors))
(out / "server.sh").write_text(servers[0][2] + "\n")
script = []
for n, (_, _, body) in enumerate(commands):
    script.append(body)
    script.append(f"printf '\\n@@tour block {n + 1} done@@\\n'")
(out / "tour.sh").write_text("\n".join(script) + "\n")
PY

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
grep -q 'cargo run --release' "$work/server.sh" || { echo "readme tour: the server block does not run 'cargo run --release'" >&2; exit 1; }
sed -i "s#cargo run --release#exec \"$bin\"#; s#localhost:8080#localhost:$port#g" "$work/server.sh"
sed -i "s#localhost:8080#localhost:$port#g" "$work/tour.sh"

mkdir "$work/run"
(cd "$work/run" && exec env -u DATABASE_URL -u PROVISIOND_DATABASE_URL \
  PROVISIOND_LISTEN="127.0.0.1:$port" PROVISIOND_PUBLIC_URL="http://localhost:$port" \
  bash -eu "$work/server.sh" >"$work/server.log" 2>&1) &
server_pid=$!
for _ in $(seq 1 150); do
  if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then break; fi
  sleep 0.1
done

echo "readme tour: server on port $port; running $(grep -c '@@tour block' "$work/tour.sh") blocks"
status=0
(cd "$work/run" && bash -euo pipefail -c '
  curl() { command curl --fail-with-body "$@"; }
  source "$1"' tour "$work/tour.sh") >"$work/out.log" 2>"$work/err.log" || status=$?
if [ "$status" -ne 0 ]; then
  echo "readme tour: a command failed (exit $status). Output:" >&2
  tail -n 40 "$work/out.log" >&2; cat "$work/err.log" >&2
  echo "--- server log:" >&2; tail -n 20 "$work/server.log" >&2
  exit 1
fi

# The tour ends with the code exchange: the last block's last line is the profile.
python3 - "$work/out.log" <<'PY'
import json, re, sys
outputs = re.split(r"\n@@tour block \d+ done@@\n", open(sys.argv[1]).read())
lines = [l for l in outputs[-2].split("\n") if l.strip()] if len(outputs) > 1 else []
try:
    profile = json.loads(lines[-1])
except (IndexError, ValueError):
    sys.exit(f"readme tour: the tour does not end with the code exchange's JSON: {lines[-1:]}")
ok = (profile.get("is_new_user") is True and profile.get("user", {}).get("id")
      and profile.get("organization", {}).get("slug") == "acme")
if not ok:
    sys.exit(f"readme tour: the final code exchange did not return the new user's profile: {profile}")
print(f"readme tour: ended with a code exchange for user {profile['user']['id']} "
      f"in {profile['organization']['slug']} (groups {profile.get('groups')})")
PY
