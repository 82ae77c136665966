#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks, builds, and runs every test (offline, on the
# committed fixtures under Tests/Fixtures).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
swift build --build-tests
# A throwaway PostgreSQL server on loopback for the job-store tests (they fail, not skip, without one).
pg="$(mktemp -d)"
trap 'bash scripts/postgres-test-server.sh stop "$pg"; rm -rf "$pg"' EXIT
JOBS_TEST_DATABASE_URL="$(bash scripts/postgres-test-server.sh start "$pg")"
export JOBS_TEST_DATABASE_URL
swift test --skip-build
