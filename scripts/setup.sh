#!/usr/bin/env bash
# Installs what building and testing Credence needs on Debian 12 (run as root
# or with sudo available). Idempotent: skips what is already there.
set -euo pipefail
need=()
for p in build-essential pkg-config age; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi
command -v cargo >/dev/null || { echo "cargo (Rust 1.87 or newer) is required: https://rustup.rs" >&2; exit 1; }
