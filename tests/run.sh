#!/usr/bin/env bash
# Command 2: runs every test.
#
#   1. starts the local Kafka and PostgreSQL if they are not up (installing
#      them on a fresh machine), and stops them again at the end if it did;
#   2. checks the proto contract (buf lint, format, breaking changes) and
#      validates the deployment manifests offline (deploy/check/run.sh);
#   3. checks formatting and lints (cargo fmt, cargo clippy -D warnings);
#   4. runs the unit tests and the end-to-end tests against the real stack.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../deploy/local/env.sh"
cd "$LEDGER_ROOT"

stack="$LEDGER_ROOT/deploy/local/stack.sh"
# Captured first: with pipefail, `status | grep -q` could fail on SIGPIPE.
before="$("$stack" status)"
if grep -q stopped <<<"$before"; then
    started_here=1
    trap '"$stack" down' EXIT
fi
"$stack" up

log "proto contract"
proto/check.sh

log "deployment manifests (Kubernetes, compose), validated offline"
deploy/check/run.sh

log "formatting and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

log "unit and end-to-end tests"
# The dashboard's tests drive Debian's chromium (tests/tests/dashboard.rs).
deploy/local/install.sh browser
# The suite's own Kafka login: everything under test namespaces, nothing of
# the production topics (deploy/local/kafka/acls.txt).
kafka_login ledger-tests
# PostgreSQL's superuser: tests make a database each, owned by the projector's
# role; each service then logs in with its own role (tests/src/lib.rs).
LEDGER_DATABASE_URL="$(pg_url ledger)"
export LEDGER_DATABASE_URL
results="$(mktemp)"
cargo test --workspace --locked 2>&1 | tee "$results"
# One closing line for the whole run (cargo prints one per test binary,
# the last of which is often an empty doc-test run).
awk '/^test result:/ { passed += $4; failed += $6 } END { printf "tests: %d passed, %d failed\n", passed, failed }' "$results"
rm -f "$results"

if [ "${started_here:-0}" = 1 ]; then
    log "stopping the stack this run started"
fi
