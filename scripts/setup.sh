#!/usr/bin/env bash
# Installs what building and testing Credence needs on Debian 12 (run as root
# or with sudo available). Idempotent: skips what is already there.
#   - Debian packages: the C toolchain, age, and for the desktop app the
#     Tauri 2 / WebKitGTK 4.1 development packages, Xvfb and WebKitWebDriver;
#   - tauri-driver (crates.io) for the end-to-end tests;
#   - the UI's npm packages (ui/package-lock.json) and the built UI (ui/dist),
#     which the desktop app embeds at compile time.
set -euo pipefail
# Everything set-up says goes to stderr: callers' stdout stays theirs
# (`scripts/demo.sh --cli --json` prints JSON and nothing else).
exec 1>&2
cd "$(dirname "$0")/.."
need=()
for p in build-essential pkg-config age file python3 \
  libwebkit2gtk-4.1-dev libjavascriptcoregtk-4.1-dev libsoup-3.0-dev libgtk-3-dev \
  libayatana-appindicator3-dev librsvg2-dev libxdo-dev libssl-dev \
  xvfb xauth webkit2gtk-driver; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
command -v node >/dev/null || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi
command -v cargo >/dev/null || { echo "cargo (Rust 1.88 or newer) is required: https://rustup.rs" >&2; exit 1; }
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "Node.js 20 or newer is required to build the UI (found $(node --version))" >&2
  exit 1
fi
if ! command -v tauri-driver >/dev/null; then
  cargo install tauri-driver --version 2.1.0 --locked
fi
# The UI: install the versions package-lock.json pins, then build ui/dist.
# `npm install --no-save` rather than `npm ci`: the lock holds only the
# platform builds the registry serves for the pinned rollup/esbuild versions,
# and `npm ci` refuses a lock without every optional platform package.
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  (cd ui && npm install --no-save --no-audit --no-fund)
fi
(cd ui && npm run --silent build >/dev/null)
