#!/usr/bin/env bash
# Fetches the OpenVINO execution provider, an ONNX Runtime plugin (`onnxruntime-ep-openvino` from
# PyPI, sha256-verified), into .deps/openvino-ep/: the plugin library and the OpenVINO runtime it
# loads (core, the CPU plugin, the ONNX frontend, TBB). The GPU and NPU plugins are left out: the
# server asks for the CPU device only. Optional: without it the server runs on ONNX Runtime's CPU
# provider as before (set SKIP_OPENVINO_EP=1 to skip). Idempotent.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${1:-$root/.deps/openvino-ep}"

OVEP_VERSION="1.8.1"
OVEP_WHEEL="onnxruntime_ep_openvino-${OVEP_VERSION}-py3-none-manylinux_2_28_x86_64.whl"
OVEP_WHEEL_SHA256="3832643158c8c187fcab6db661cde2a8c06a2b3559d95d0f2411ac0e51c5e924"

if [ "${SKIP_OPENVINO_EP:-0}" = "1" ]; then
  echo "==> OpenVINO execution provider skipped (SKIP_OPENVINO_EP=1)"
  exit 0
fi
if [ -f "$dest/$OVEP_VERSION" ]; then
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "==> OpenVINO execution provider ${OVEP_VERSION} (onnxruntime-ep-openvino from PyPI)"
python3 -m pip download -q --no-deps --only-binary=:all: --platform manylinux_2_28_x86_64 \
  "onnxruntime-ep-openvino==${OVEP_VERSION}" -d "$work"
echo "${OVEP_WHEEL_SHA256}  $work/$OVEP_WHEEL" | sha256sum -c --quiet -
rm -rf "$dest" && mkdir -p "$dest"
python3 - "$work/$OVEP_WHEEL" "$dest" <<'PY'
import os, sys, zipfile
wheel, out = sys.argv[1:]
skip = ("gpu_plugin", "npu_plugin", "tbbmalloc_proxy", "openvino_plugin.so.")
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        name = os.path.basename(info.filename)
        if info.filename.startswith("onnxruntime_ep_openvino/") and ".so" in name and not any(s in name for s in skip):
            with z.open(info) as src, open(os.path.join(out, name), "wb") as dst:
                dst.write(src.read())
        elif name == "third-party-programs.txt":
            with z.open(info) as src, open(os.path.join(out, "LICENSES-third-party.txt"), "wb") as dst:
                dst.write(src.read())
PY
touch "$dest/$OVEP_VERSION"
echo "==> OpenVINO execution provider ready in $dest ($(du -sh "$dest" | cut -f1))"
