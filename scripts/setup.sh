#!/usr/bin/env bash
# Installs everything a fresh Debian 12 machine (with the Swift toolchain) lacks to build and run
# the server: the image codec, zlib and SQLite -dev packages, ONNX Runtime (see fetch-onnxruntime.sh)
# and its OpenVINO plugin (fetch-openvino-ep.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
need=()
for pkg in pkg-config libturbojpeg0-dev libpng-dev libwebp-dev zlib1g-dev libsqlite3-dev python3 python3-pip curl; do
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
# The OpenVINO execution provider (an ONNX Runtime plugin; optional, SKIP_OPENVINO_EP=1 skips it).
bash "$root/scripts/fetch-openvino-ep.sh"

# Python tools the tests use to check interoperability with the real huggingface_hub (from PyPI),
# in a venv inside .deps (ignored by git). Not torch: that lives in tools/setup-venv.sh.
HF_HUB_VERSION="2.4.0"
if [ ! -x "$root/.deps/pytools/bin/python" ] || ! "$root/.deps/pytools/bin/python" -c "import huggingface_hub, sys; sys.exit(huggingface_hub.__version__ != '$HF_HUB_VERSION')" 2>/dev/null; then
  echo "==> huggingface_hub $HF_HUB_VERSION for the interoperability tests"
  python3 -m venv "$root/.deps/pytools" 2>/dev/null || {
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv "$root/.deps/pytools"
  }
  "$root/.deps/pytools/bin/pip" install -q "huggingface_hub==$HF_HUB_VERSION"
fi

# Swagger UI for /docs, served by the server itself (no CDN): swagger-ui-dist as packaged on PyPI
# by drf-spectacular-sidecar (static files only; nothing of Django is used). Into .deps/swagger-ui.
SWAGGER_SIDECAR_VERSION="2026.10.1"
if [ ! -f "$root/.deps/swagger-ui/$SWAGGER_SIDECAR_VERSION" ]; then
  echo "==> Swagger UI (drf-spectacular-sidecar $SWAGGER_SIDECAR_VERSION from PyPI) for /docs"
  tmp="$(mktemp -d)"
  python3 -m pip download -q --no-deps --dest "$tmp" "drf-spectacular-sidecar==$SWAGGER_SIDECAR_VERSION"
  rm -rf "$root/.deps/swagger-ui" && mkdir -p "$root/.deps/swagger-ui"
  python3 - "$tmp"/drf_spectacular_sidecar-*.whl "$root/.deps/swagger-ui" <<'PY'
import sys, zipfile, os
wheel, out = sys.argv[1], sys.argv[2]
prefix = "drf_spectacular_sidecar/static/drf_spectacular_sidecar/swagger-ui-dist/"
with zipfile.ZipFile(wheel) as z:
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "LICENSE"):
        with open(os.path.join(out, name), "wb") as f:
            f.write(z.read(prefix + name))
PY
  touch "$root/.deps/swagger-ui/$SWAGGER_SIDECAR_VERSION"
  rm -rf "$tmp"
fi
