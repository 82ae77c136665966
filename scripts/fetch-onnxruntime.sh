#!/usr/bin/env bash
# Fetches ONNX Runtime from package registries only, into .deps/onnxruntime/:
#   include/  the C API headers (onnxruntime_c_api.h and the onnxruntime_ep_c_api.h it includes),
#             extracted from Debian's libonnxruntime-dev .deb, downloaded with a private apt state
#             folder (nothing from that suite is installed)
#   lib/      libonnxruntime.so.<ver> from the PyPI `onnxruntime` wheel, sha256-verified.
# The C API is versioned and append-only: the server asks the library for the header's
# ORT_API_VERSION, which any library at least as new provides. No registry ships the C header of
# the newest wheel, so the header is Debian's newest (experimental), never newer than the library.
# Idempotent: does nothing when the wanted library and header are present.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/.deps/onnxruntime"

ORT_VERSION="1.32.0"
ORT_WHEEL="onnxruntime-${ORT_VERSION}-cp311-cp311-manylinux_2_28_x86_64.whl"
ORT_WHEEL_SHA256="5a34fc4dfeb5a7b4a74c95dcba1e773d722abda720b474edf1b0c419dc6d163d"
DEB_PACKAGE="libonnxruntime-dev"
# The newest header first; if experimental has moved on from it, sid's (older, still valid).
DEB_CHOICES=("experimental 1.27.1+dfsg-1 27" "sid 1.23.2+dfsg-6.1 23")

header_api() { sed -n 's/^#define ORT_API_VERSION \([0-9]*\).*/\1/p' "$dest/include/onnxruntime_c_api.h" 2>/dev/null; }
# The header and every header it includes in quotes (1.27's includes onnxruntime_ep_c_api.h).
have_header() {
  [ -f "$dest/include/onnxruntime_c_api.h" ] && [ "$(header_api)" -ge 23 ] 2>/dev/null || return 1
  local inc
  for inc in $(sed -n 's/^#include "\(.*\)"/\1/p' "$dest/include/onnxruntime_c_api.h"); do
    [ -f "$dest/include/$inc" ] || return 1
  done
}
have_library() { [ -f "$dest/lib/libonnxruntime.so.${ORT_VERSION}" ] \
  && [ "$(readlink "$dest/lib/libonnxruntime.so")" = "libonnxruntime.so.${ORT_VERSION}" ]; }

if have_header && have_library; then
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$dest/include" "$dest/lib"

if ! have_header; then
  apt_dir="$work/apt"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/etc"
  printf 'deb http://deb.debian.org/debian %s main\n' experimental sid > "$apt_dir/etc/sources.list"
  apt_opts=(-o "Dir::State=$apt_dir" -o "Dir::State::Lists=$apt_dir/lists"
            -o "Dir::Cache=$apt_dir/cache" -o "Dir::Etc::SourceList=$apt_dir/etc/sources.list"
            -o "Dir::Etc::SourceParts=/dev/null" -o "Dir::State::status=/dev/null"
            -o "APT::Sandbox::User=root" -o "Debug::NoLocking=1")
  apt-get "${apt_opts[@]}" -qq update
  got=""
  for choice in "${DEB_CHOICES[@]}"; do
    read -r suite version api <<<"$choice"
    if (cd "$work" && apt-get "${apt_opts[@]}" -qq download "${DEB_PACKAGE}=${version}" 2>/dev/null); then
      echo "==> ONNX Runtime C headers ${version} (API ${api}) from Debian ${suite} (${DEB_PACKAGE})"
      got="$version"; break
    fi
  done
  [ -n "$got" ] || { echo "no ${DEB_PACKAGE} of ${DEB_CHOICES[*]} in Debian's archive" >&2; exit 1; }
  dpkg-deb -x "$work"/${DEB_PACKAGE}_*.deb "$work/deb"
  rm -f "$dest/include"/*.h
  cp "$work"/deb/usr/include/onnxruntime/onnxruntime_*c_api.h "$dest/include/"
  have_header || { echo "the ${got} headers are incomplete" >&2; exit 1; }
fi

if ! have_library; then
  rm -f "$dest"/lib/libonnxruntime.so*
  echo "==> ONNX Runtime ${ORT_VERSION} shared library from PyPI"
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.11 \
    --implementation cp --platform manylinux_2_28_x86_64 "onnxruntime==${ORT_VERSION}" -d "$work/wheel"
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
