#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks, builds a release binary and starts the server on
# its defaults (HOST=0.0.0.0, PORT=8000, HF_ROOT_FOLDER=.; see CONFIG.md). Extra arguments go to
# `vision-models-api serve`, e.g. `bash scripts/serve.sh --port 9000`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
swift build -c release --product vision-models-api
exec "$root/.build/release/vision-models-api" serve "$@"
