#!/usr/bin/env bash
# Sets up, builds and opens the desktop app on the demo consortium in
# ./demo-out (removed first): press "Start demo consortium" on its first
# screen (four members, 1,000 borrowers; passphrase credence-demo).
#   scripts/demo.sh --cli [ARGS]   runs the same demo in the terminal instead
#                                  (extra arguments go to `credence demo`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ "${1:-}" = "--cli" ]; then
  shift
  cargo build --release --locked -p credence-cli >&2
  rm -rf demo-out
  exec ./target/release/credence demo --dir demo-out "$@"
fi
cargo build --locked -p credence-desktop
rm -rf demo-out
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "No display: run this from a desktop session, or use scripts/demo.sh --cli" >&2
  exit 1
fi
exec ./target/debug/credence-desktop --demo-dir demo-out "$@"
