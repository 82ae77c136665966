#!/usr/bin/env bash
# Installs everything a fresh Debian 12 machine (with the Swift toolchain) lacks to build and run
# the server: the image codec -dev packages and ONNX Runtime (see fetch-onnxruntime.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
need=()
for pkg in pkg-config libturbojpeg0-dev libpng-dev libwebp-dev zlib1g-dev python3 python3-pip curl; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
# python3/pip may come from elsewhere (pyenv); only install the Debian ones when absent.
if command -v python3 >/dev/null && python3 -m pip --version >/dev/null 2>&1; then
  need=("${need[@]/python3-pip}"); need=("${need[@]/python3}")
fi
command -v curl >/dev/null && need=("${need[@]/curl}")
pkgs=(); for p in "${need[@]}"; do [ -n "$p" ] && pkgs+=("$p"); done
if [ ${#pkgs[@]} -gt 0 ]; then
  echo "==> apt-get install ${pkgs[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi
bash "$root/scripts/fetch-onnxruntime.sh"
