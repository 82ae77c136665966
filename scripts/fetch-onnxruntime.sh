#!/usr/bin/env bash
# Fetches ONNX Runtime from package registries only, into .deps/onnxruntime/:
#   include/  the C API headers, extracted from Debian trixie's libonnxruntime-dev .deb
#             (downloaded with a private apt state folder; nothing from trixie is installed)
#   lib/      libonnxruntime.so.<ver> from the PyPI `onnxruntime` wheel, sha256-verified.
# Idempotent: does nothing when both are present.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/.deps/onnxruntime"

ORT_VERSION="1.23.2"
ORT_WHEEL="onnxruntime-${ORT_VERSION}-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl"
ORT_WHEEL_SHA256="da44b99206e77734c5819aa2142c69e64f3b46edc3bd314f6a45a932defc0b3e"
DEB_PACKAGE="libonnxruntime-dev"
DEB_SUITE="trixie"

if [ -f "$dest/include/onnxruntime_c_api.h" ] && [ -f "$dest/lib/libonnxruntime.so" ]; then
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$dest/include" "$dest/lib"

if [ ! -f "$dest/include/onnxruntime_c_api.h" ]; then
  echo "==> ONNX Runtime headers from Debian ${DEB_SUITE} (${DEB_PACKAGE})"
  apt_dir="$work/apt"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/etc"
  echo "deb http://deb.debian.org/debian ${DEB_SUITE} main" > "$apt_dir/etc/sources.list"
  apt_opts=(-o "Dir::State=$apt_dir" -o "Dir::State::Lists=$apt_dir/lists"
            -o "Dir::Cache=$apt_dir/cache" -o "Dir::Etc::SourceList=$apt_dir/etc/sources.list"
            -o "Dir::Etc::SourceParts=/dev/null" -o "Dir::State::status=/dev/null"
            -o "APT::Sandbox::User=root" -o "Debug::NoLocking=1")
  apt-get "${apt_opts[@]}" -qq update
  (cd "$work" && apt-get "${apt_opts[@]}" -qq download "$DEB_PACKAGE")
  dpkg-deb -x "$work"/${DEB_PACKAGE}_*.deb "$work/deb"
  cp "$work"/deb/usr/include/onnxruntime/onnxruntime_c_api.h "$dest/include/"
fi

if [ ! -f "$dest/lib/libonnxruntime.so" ]; then
  echo "==> ONNX Runtime ${ORT_VERSION} shared library from PyPI"
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.11 \
    --implementation cp --platform manylinux_2_27_x86_64 "onnxruntime==${ORT_VERSION}" -d "$work/wheel"
  wheel="$work/wheel/$ORT_WHEEL"
  echo "${ORT_WHEEL_SHA256}  $wheel" | sha256sum -c --quiet -
  python3 - "$wheel" "$dest/lib" "$ORT_VERSION" <<'PY'
import sys, zipfile, os
wheel, out, ver = sys.argv[1:]
name = f"onnxruntime/capi/libonnxruntime.so.{ver}"
with zipfile.ZipFile(wheel) as z, z.open(name) as src, open(os.path.join(out, f"libonnxruntime.so.{ver}"), "wb") as dst:
    dst.write(src.read())
PY
  ln -sf "libonnxruntime.so.${ORT_VERSION}" "$dest/lib/libonnxruntime.so"
fi
echo "==> ONNX Runtime ready in $dest"
