#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks, builds, and runs every test (offline, on the
# committed fixtures under Tests/Fixtures).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
swift build --build-tests
swift test --skip-build
