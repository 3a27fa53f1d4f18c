#!/usr/bin/env bash
# Copies uPlot, at the version package.json pins, into the read API's
# embedded dashboard (services/api/ui/vendor/), with its licence. Run after
# changing the version; the browser tests check the copy is that version's.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
vendor="$here/../../services/api/ui/vendor"
(cd "$here" && npm ci --no-audit --no-fund --silent)
cp "$here/node_modules/uplot/dist/uPlot.iife.min.js" "$here/node_modules/uplot/dist/uPlot.min.css" "$vendor/"
cp "$here/node_modules/uplot/LICENSE" "$vendor/uPlot.LICENSE"
echo "vendored uPlot $(node -p "require('$here/node_modules/uplot/package.json').version") into $vendor"
