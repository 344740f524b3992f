#!/usr/bin/env bash
# Sets up and runs every test: the workspace's Rust tests, the UI's unit tests,
# and the desktop app end to end (real window under Xvfb, over WebDriver).
# Screenshots and timings of the end-to-end run land in target/e2e/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
(cd ui && npm test)
# One build for everything: `--all-targets` resolves features exactly as
# `cargo test` does, so the tests and the end-to-end run share its artifacts
# (a plain `cargo build -p ...` would resolve them differently and rebuild
# most dependencies). It also builds the desktop app and the `credence` binary.
cargo build --workspace --all-targets --locked
cargo test --workspace --locked "$@"
xvfb-run -a -s "-screen 0 1280x1024x24" npm --prefix ui run e2e
