#!/usr/bin/env bash
# Fuzzes the server against its own OpenAPI document (bench/fuzz.py): makes a small venv with
# schemathesis outside the repository (no torch), builds the server (debug: the same code paths,
# minutes faster to build), and runs the open server, then the server with API keys.
#   bash bench/fuzz.sh [--cases 50] [--seconds 240] [--seed N]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="${FUZZ_VENV:-$HOME/.venvs/vision-models-api-fuzz}"
if [ ! -x "$venv/bin/schemathesis" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "schemathesis>=4.32,<5"
fi
swift build --product vision-models-api
binary="$root/.build/debug/vision-models-api"
status=0
python3 bench/fuzz.py --schemathesis "$venv/bin/schemathesis" --binary "$binary" "$@" || status=1
python3 bench/fuzz.py --schemathesis "$venv/bin/schemathesis" --binary "$binary" --keys "$@" || status=1
exit $status
