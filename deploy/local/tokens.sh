#!/usr/bin/env bash
# Makes the local stack's bearer tokens, once: one per role, each in
# .stack/tokens/<name> (readable by you only), and the services' tokens file
# .stack/tokens.conf, which holds their SHA-256 only (see docs/api.md).
#
#   deploy/local/tokens.sh        prints the tokens file's path
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

dir="$LEDGER_STATE_DIR/tokens"
conf="$LEDGER_STATE_DIR/tokens.conf"
mkdir -p "$dir"
chmod 700 "$dir"

# name, roles, source system (integrators and holders of personal data act
# for theirs only; * for any)
callers=(
    "controller controller -"
    "ops ops,controller -"
    "integrator integrator,persons demo"
    "gateway integrator *"
    "dpo persons *"
)

{
    echo "# sha256(token) name roles [source system] -- made by deploy/local/tokens.sh"
    for entry in "${callers[@]}"; do
        read -r name roles source <<<"$entry"
        if [ ! -s "$dir/$name" ]; then
            python3 -c 'import secrets; print(secrets.token_urlsafe(32))' >"$dir/$name"
            chmod 600 "$dir/$name"
        fi
        hash="$(tr -d '\n' <"$dir/$name" | sha256sum | cut -d' ' -f1)"
        if [ "$source" = "-" ]; then source=""; fi
        echo "$hash $name $roles $source"
    done
} >"$conf.partial"
mv "$conf.partial" "$conf"
echo "$conf"
