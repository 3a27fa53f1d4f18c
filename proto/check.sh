#!/usr/bin/env bash
# Checks the published contract: lint, formatting, and no breaking change
# against the last released image (proto/releases/, newest version).
#
# To release a new contract version, after review:
#   buf build proto -o proto/releases/vX.Y.Z.binpb
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../deploy/local/env.sh"
"$LEDGER_ROOT/deploy/local/install.sh" buf
BUF="$LEDGER_CACHE_DIR/buf-1.75.0/node_modules/.bin/buf"
cd "$LEDGER_ROOT/proto"

last_release="$(ls releases/*.binpb | sort -V | tail -n 1)"
$BUF lint
$BUF format --diff --exit-code
$BUF breaking --against "$last_release"
echo "proto: lint, format and breaking checks passed (against $last_release)"
