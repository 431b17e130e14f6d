#!/usr/bin/env python3
"""Fails when Cargo.toml's `rust-version` is not the true minimum the lock file needs.

Reads `cargo metadata --format-version 1 --locked` on stdin (every package the lock
file resolves, for every target platform, dev-dependencies included) and checks:
  1. provisiond declares a `rust-version`;
  2. no locked package declares a higher one (else the stated toolchain cannot build);
  3. the running toolchain (`rustc --version`, passed as argv[1]) is not older than ours.
Only one toolchain is installed in CI, so this is how the stated minimum is kept true:
a `cargo update` that pulls in a crate needing a newer Rust fails here, not on a
user's machine.
"""
import json
import re
import sys


def parse(v):
    """'1.95' / '1.88.0' -> (1, 95, 0)."""
    parts = [int(p) for p in re.findall(r"\d+", v)[:3]]
    return tuple(parts + [0] * (3 - len(parts)))


def main():
    meta = json.load(sys.stdin)
    root_ids = set(meta.get("workspace_members", []))
    ours = [p for p in meta["packages"] if p["id"] in root_ids]
    if len(ours) != 1 or not ours[0].get("rust_version"):
        print("Cargo.toml must declare `rust-version` for provisiond", file=sys.stderr)
        return 1
    declared = ours[0]["rust_version"]
    too_new = sorted(
        (parse(p["rust_version"]), p["name"], p["version"], p["rust_version"])
        for p in meta["packages"]
        if p["id"] not in root_ids
        and p.get("rust_version")
        and parse(p["rust_version"]) > parse(declared)
    )
    if too_new:
        print(
            f"Cargo.toml says rust-version = \"{declared}\", but locked dependencies need more:",
            file=sys.stderr,
        )
        for _, name, version, rv in too_new:
            print(f"  {name} {version} needs Rust {rv}", file=sys.stderr)
        print(
            "Raise rust-version (and the README's toolchain line) or pin older versions.",
            file=sys.stderr,
        )
        return 1
    if len(sys.argv) > 1:
        m = re.search(r"rustc (\d+\.\d+\.\d+)", sys.argv[1])
        if m and parse(m.group(1)) < parse(declared):
            print(f"{sys.argv[1].strip()} is older than rust-version {declared}", file=sys.stderr)
            return 1
    highest = max(
        (p["rust_version"] for p in meta["packages"] if p.get("rust_version")), key=parse
    )
    print(f"rust-version {declared}: no locked dependency needs more (highest: {highest})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
