#!/usr/bin/env bash
# Sets up and runs every test: the workspace's Rust tests, the UI's unit tests,
# and the desktop app end to end (real window under Xvfb, over WebDriver).
# Screenshots and timings of the end-to-end run land in target/e2e/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
(cd ui && npm test)
cargo test --workspace --locked "$@"
cargo build --locked -p credence-desktop -p credence-cli
xvfb-run -a -s "-screen 0 1280x1024x24" npm --prefix ui run e2e
