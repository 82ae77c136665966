#!/usr/bin/env bash
# Fetches the OpenVINO execution provider, an ONNX Runtime plugin (`onnxruntime-ep-openvino` from
# PyPI, sha256-verified), into .deps/openvino-ep/: the plugin library and the OpenVINO runtime it
# loads (core, the CPU plugin, the ONNX frontend, TBB). The GPU and NPU plugins are left out: the
# server asks for the CPU device only. Beside the plugin it builds libvma_openvino_any_cpu.so from
# native/vma_openvino_any_cpu.c (against ONNX Runtime's headers, fetched first by
# fetch-onnxruntime.sh): the plugin offers Intel CPUs only, and that forwarding library lets OpenVINO
# run on other x86-64 CPUs too. Optional: without it the server runs on ONNX Runtime's CPU
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
# The forwarding library, rebuilt when missing or older than its source.
build_forwarder() {
  local src="$root/native/vma_openvino_any_cpu.c" out="$dest/libvma_openvino_any_cpu.so"
  local include="$root/.deps/onnxruntime/include"
  if [ -f "$out" ] && [ "$out" -nt "$src" ]; then return 0; fi
  local cc
  cc="$(command -v "${CC:-cc}" || command -v clang || command -v gcc || true)"
  if [ -z "$cc" ] || [ ! -f "$include/onnxruntime_c_api.h" ]; then
    echo "==> no C compiler or ONNX Runtime headers: OpenVINO will run on Intel CPUs only" >&2
    return 0
  fi
  if ! "$cc" -shared -fPIC -O2 -Wall -I"$include" "$src" -o "$out" -ldl; then
    echo "==> $src did not build: OpenVINO will run on Intel CPUs only" >&2
    rm -f "$out"
  fi
}
if [ -f "$dest/$OVEP_VERSION" ]; then
  build_forwarder
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
build_forwarder
touch "$dest/$OVEP_VERSION"
echo "==> OpenVINO execution provider ready in $dest ($(du -sh "$dest" | cut -f1))"
