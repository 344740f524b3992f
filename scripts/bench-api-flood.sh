#!/usr/bin/env bash
# Findings 1 and 2 of the hardening issue, against a running node: starts a
# small demo consortium (four member processes on 127.0.0.1, release build),
# floods bank-a's client API with stalled request bodies and then with one
# caller's long polls, and reports how fast /v1/status and another caller's
# signed read were answered meanwhile. Exits non-zero if any status request
# took over a second. Stops the consortium at the end.
#   scripts/bench-api-flood.sh [--seconds N] [--stalled N] [--polls N] [--json]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p credence-cli >&2
dir=$(mktemp -d)
export CREDENCE_PASSPHRASE=${CREDENCE_PASSPHRASE:-credence-demo}
./target/release/credence demo --dir "$dir/demo" --subjects 40 --no-verify --keep-running --json \
  >"$dir/demo.json" 2>"$dir/demo.err" || { cat "$dir/demo.err" >&2; exit 1; }
pids=$(grep -o 'kill [0-9 ]*' "$dir/demo.err" | head -1 | cut -c6-)
trap 'kill $pids 2>/dev/null || true; rm -rf "$dir"' EXIT
./target/release/credence bench flood --dir "$dir/demo" "$@"
