#!/usr/bin/env bash
# Installs what the local stack needs and is not on a fresh machine, caching
# everything: Kafka's jars (Maven Central, through Maven), PostgreSQL's server
# (Debian's packages), OpenSSL's headers for librdkafka (Debian's packages)
# and buf (npm), used to lint the proto contract; `browser` adds what the
# dashboard's tests need (chromium, playwright-core).
# Running it again does nothing once everything is there.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else die "need root to run: $*"; fi
}

install_kafka() {
    if [ -f "$LEDGER_KAFKA_LIB/kafka_2.13-$LEDGER_KAFKA_VERSION.jar" ] \
        && [ -f "$LEDGER_KAFKA_LIB/kafka-tools-$LEDGER_KAFKA_VERSION.jar" ]; then
        return
    fi
    command -v mvn >/dev/null || die "Maven (mvn) is required to fetch Kafka"
    log "fetching Kafka $LEDGER_KAFKA_VERSION from Maven Central"
    local tmp="$LEDGER_KAFKA_LIB.partial"
    rm -rf "$tmp"
    mvn -q -B -f "$LEDGER_ROOT/deploy/local/kafka/pom.xml" \
        -Dkafka.version="$LEDGER_KAFKA_VERSION" \
        dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp"
    rm -rf "$LEDGER_KAFKA_LIB"
    mv "$tmp" "$LEDGER_KAFKA_LIB"
}

pg_bindir() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

install_postgres() {
    if [ -n "$(pg_bindir)" ] && [ -x "$(pg_bindir)/initdb" ]; then
        return
    fi
    log "installing PostgreSQL from Debian's packages"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    [ -x "$(pg_bindir)/initdb" ] || die "PostgreSQL installed but initdb not found"
}

# librdkafka is built with TLS and SCRAM against the system's OpenSSL.
install_libssl() {
    if command -v pkg-config >/dev/null && pkg-config --exists openssl; then
        return
    fi
    log "installing OpenSSL's headers (libssl-dev, pkg-config) from Debian's packages"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libssl-dev pkg-config >/dev/null
}

install_buf() {
    local version=1.75.0
    local dir="$LEDGER_CACHE_DIR/buf-$version"
    if [ -x "$dir/node_modules/.bin/buf" ]; then
        return
    fi
    command -v npm >/dev/null || die "npm is required to install buf"
    log "installing buf $version from npm"
    mkdir -p "$dir"
    npm install --silent --no-audit --no-fund --prefix "$dir" "@bufbuild/buf@$version" >/dev/null
}

# The dashboard's tests: Debian's chromium (never a browser download), and
# playwright-core to drive it, from npm at the versions tests/browser pins.
install_browser() {
    if [ ! -x /usr/bin/chromium ]; then
        log "installing chromium from Debian's packages"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
    fi
    local dir="$LEDGER_ROOT/tests/browser"
    # node_modules is installed again whenever the lock file changes.
    if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.installed-from-lock" 2>/dev/null; then
        command -v npm >/dev/null || die "npm is required for the browser tests"
        log "installing the browser tests' packages from npm (tests/browser/package-lock.json)"
        (cd "$dir" && npm ci --no-audit --no-fund --silent --cache "$LEDGER_CACHE_DIR/npm")
        cp "$dir/package-lock.json" "$dir/node_modules/.installed-from-lock"
    fi
}

command -v java >/dev/null || die "Java 17 is required to run Kafka"
mkdir -p "$LEDGER_CACHE_DIR"
case "${1:-all}" in
    kafka) install_kafka ;;
    postgres) install_postgres ;;
    buf) install_buf ;;
    libssl) install_libssl ;;
    browser) install_browser ;;
    all) install_kafka; install_postgres; install_buf; install_libssl ;;
    *) die "usage: install.sh [kafka|postgres|buf|libssl|browser|all]" ;;
esac
