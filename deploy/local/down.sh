#!/usr/bin/env bash
# Stops the services and the stack started by deploy/local/up.sh. Data is
# kept; deploy/local/stack.sh reset deletes it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
"$LEDGER_ROOT/deploy/local/services.sh" stop
"$LEDGER_ROOT/deploy/local/stack.sh" down
