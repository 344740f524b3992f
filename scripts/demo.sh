#!/usr/bin/env bash
# Sets up, builds and runs the demo consortium (four members, 1,000 borrowers)
# in ./demo-out (removed first). Extra arguments go to `credence demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --locked -p credence-cli
rm -rf demo-out
./target/release/credence demo --dir demo-out "$@"
