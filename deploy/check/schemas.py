#!/usr/bin/env python3
"""Helpers of deploy/check/run.sh: schema conversion, reporting, policy, breakage.

    schemas.py core WHEEL VER OUT    Kubernetes JSON schemas for kubeconform
    schemas.py crds OUT CORE CRD...  CustomResourceDefinitions -> JSON schemas
    schemas.py report                kubeconform's JSON output -> one line a file
    schemas.py policy ROOT FILE...   the ledger's own rules on the manifests
    schemas.py break CASE IN OUT     a deliberately broken copy, for the self-test

Every subcommand works offline on files already on disk. The approach of
`core` and `crds` follows kubeconform's openapi2jsonschema.py (strict
`additionalProperties: false` wherever properties are listed, int-or-string
as a choice of types) but is written for this project, with two additions:
the root of each custom resource is strict too, and its `metadata` is checked
against Kubernetes' own ObjectMeta, so a misspelt `lables:` is caught there as
everywhere else.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import yaml


# --------------------------------------------------------------------------
# core: the Kubernetes kinds
# --------------------------------------------------------------------------

DEFS_REF = re.compile(r'"\$ref": "/api/_definitions\.json#')


def core(wheel: Path, version: str, out: Path) -> None:
    """Extracts the strict, local-reference schemas of one Kubernetes version.

    The kubernetes-validate package ships them for every recent Kubernetes
    version under `kubernetes_validate/kubernetes-json-schema/vX.Y.Z-local-strict/`,
    one file per kind named as kubeconform expects (`deployment-apps-v1.json`).
    They name their definitions `/api/_definitions.json#/$defs/...` against an
    `$id` on the web, which kubeconform would resolve to a URL: dropping the
    `$id` and making the reference relative keeps every lookup inside `out`.
    """
    import zipfile

    prefix = f"kubernetes_validate/kubernetes-json-schema/v{version}-local-strict/"
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.namelist():
            if not member.startswith(prefix) or not member.endswith(".json"):
                continue
            data = json.loads(archive.read(member))
            data.pop("$id", None)
            text = DEFS_REF.sub('"$ref": "_definitions.json#', json.dumps(data))
            if "/api/_definitions.json" in text:
                sys.exit(f"{member}: a reference to /api/_definitions.json was left")
            (out / member[len(prefix):]).write_text(text)
            count += 1
    if count == 0:
        sys.exit(f"{wheel} has no schemas for Kubernetes {version}")
    print(f"{count} Kubernetes {version} schemas in {out}")


# --------------------------------------------------------------------------
# crds: custom resources (Strimzi, CloudNativePG, Prometheus operator)
# --------------------------------------------------------------------------

OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


def strict(node):
    """Returns `node` converted from a CRD's OpenAPI v3 schema to JSON schema."""
    if isinstance(node, list):
        return [strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: strict(value) for key, value in node.items()}
    if node.pop("x-kubernetes-int-or-string", False) or node.get("format") == "int-or-string":
        node.pop("type", None)
        node.pop("format", None)
        node["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.pop("nullable", False) and isinstance(node.get("type"), str):
        node["type"] = [node["type"], "null"]
    preserve = node.get("x-kubernetes-preserve-unknown-fields") is True
    if "properties" in node and "additionalProperties" not in node and not preserve:
        node["additionalProperties"] = False
    return node


def crd_schemas(doc: dict, core_dir: Path, out: Path) -> list[Path]:
    group = doc["spec"]["group"]
    kind = doc["spec"]["names"]["kind"]
    written = []
    for version in doc["spec"]["versions"]:
        schema = version.get("schema", {}).get("openAPIV3Schema")
        if schema is None:
            continue
        schema = strict(schema)
        props = schema.setdefault("properties", {})
        # apiVersion and kind are implicit in every CRD: make them exact.
        props["apiVersion"] = {"type": "string", "enum": [f"{group}/{version['name']}"]}
        props["kind"] = {"type": "string", "enum": [kind]}
        props["metadata"] = {
            "$ref": os.path.relpath(core_dir / "_definitions.json", out / group)
            + f"#/$defs/{OBJECT_META}"
        }
        schema["additionalProperties"] = False
        schema.setdefault("required", [])
        for field in ("apiVersion", "kind", "metadata"):
            if field not in schema["required"]:
                schema["required"].append(field)
        target = out / group / f"{kind.lower()}_{version['name']}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(schema, indent=1))
        written.append(target)
    return written


def crds(out: Path, core_dir: Path, files: list[str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    total = 0
    for name in files:
        with open(name) as handle:
            for doc in yaml.safe_load_all(handle):
                if not doc or doc.get("kind") != "CustomResourceDefinition":
                    continue
                for path in crd_schemas(doc, core_dir.resolve(), out.resolve()):
                    total += 1
                    print(f"  {path.relative_to(out.resolve())}")
    if total == 0:
        sys.exit("no CustomResourceDefinition found")
    print(f"{total} custom resource schemas in {out}")


# --------------------------------------------------------------------------
# report: kubeconform's JSON output, one line per file
# --------------------------------------------------------------------------


def report() -> None:
    raw = sys.stdin.read()
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        print(raw)
        sys.exit("kubeconform's output is not JSON")
    by_file: dict[str, list[dict]] = {}
    for res in data.get("resources", []):
        if not res.get("kind") and res.get("status") in ("", "statusEmpty"):
            res["status"] = "statusEmpty"  # a document of comments only
        by_file.setdefault(res["filename"], []).append(res)
    bad = 0
    for filename in sorted(by_file):
        results = by_file[filename]
        failed = [r for r in results if r["status"] not in ("statusValid", "statusEmpty")]
        kinds = sorted({r.get("kind", "?") for r in results if r["status"] != "statusEmpty"})
        count = sum(1 for r in results if r["status"] != "statusEmpty")
        if failed:
            bad += 1
            print(f"FAIL  {filename}  ({len(failed)} of {count} resources invalid)")
            for r in failed:
                print(f"        {r.get('kind')}/{r.get('name')}: {r.get('msg')}")
                for err in r.get("validationErrors") or []:
                    print(f"          at {err.get('path') or '/'}: {err.get('msg')}")
        else:
            print(f"ok    {filename}  ({count} resources: {', '.join(kinds)})")
    if not by_file:
        sys.exit("kubeconform checked no file")
    sys.exit(1 if bad else 0)


# --------------------------------------------------------------------------
# policy: the ledger's own rules, which no schema knows
# --------------------------------------------------------------------------

# Names read by something other than the Rust services.
OTHER_ENV = re.compile(
    r"^(RUST_LOG|PG(USER|PASSWORD|SSLMODE|SSLROOTCERT|APPNAME)|POSTGRES_\w+|KAFKA_\w+|CLUSTER_ID)$"
)
SECRET_NAME = re.compile(r"PASSWORD|TOKEN|SECRET|_KEY$")
# The single writers: one instance each, never two at once.
SINGLE_WRITERS = {"grants", "workforce", "centres", "obligations", "inbound"}
# The emitting services: each signs its events with a key of its own
# (docs/security.md), a Secret ledger-signing-<context> (compose: the secret
# signing_<context>.pem) that no other program mounts.
EMITTERS = ("grants", "workforce", "centres", "obligations")
SIGNING_SECRET = "ledger-signing-"
COMPOSE_SIGNING_SECRET = re.compile(r"^signing_(\w+)\.pem$")
PRIVATE_KEY_PEM = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")


def ledger_env_names(root: Path) -> set[str]:
    """Every LEDGER_* variable the services read, from their sources."""
    names = set()
    for path in (root / "services").rglob("*.rs"):
        text = path.read_text(errors="replace")
        names.update(re.findall(r'env\s*=\s*"(LEDGER_[A-Z0-9_]+)"', text))
        names.update(re.findall(r'env::var(?:_os)?\("(LEDGER_[A-Z0-9_]+)"\)', text))
    return names


def containers_of(doc: dict) -> list[dict]:
    spec = doc.get("spec") or {}
    if doc.get("kind") == "CronJob":
        spec = spec.get("jobTemplate", {}).get("spec", {})
    pod = (spec.get("template") or {}).get("spec") or {}
    return list(pod.get("containers") or []) + list(pod.get("initContainers") or [])


# Secrets the image's entrypoint reads from a file (deploy/compose/entrypoint.sh):
# NAME_FILE=/run/secrets/x exports NAME with the file's content.
FILE_INDIRECT = {"PGPASSWORD", "LEDGER_INBOUND_TOKEN", "LEDGER_KAFKA_SASL_PASSWORD",
                 "LEDGER_PERSON_KEYS_DATABASE_URL"}
# Kubernetes puts a variable defined above into another's value as $(NAME).
SUBSTITUTION = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")
# The password of a URL's user information (scheme://user:password@host).
URL_PASSWORD = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#@:]*:([^/?#@]*)@")


def substitutions(where: str, envs: list[dict], problems: list[str]) -> set[str]:
    """Names put into another variable's value as $(NAME); each must be
    defined above its use, or Kubernetes leaves the text as it is."""
    fed, defined = set(), set()
    for env in envs:
        for ref in SUBSTITUTION.findall(env.get("value") or ""):
            if ref not in defined:
                problems.append(f"{where}: {env['name']} uses $({ref}), which no variable above it defines")
            fed.add(ref)
        defined.add(env["name"])
    return fed


def check_env(where: str, name: str, value, known: set[str], problems: list[str],
              fed: set[str] | None = None) -> None:
    """`value` is the inline value, None when it comes from a secret; `fed`,
    on Kubernetes, the names substituted into other variables (compose: None)."""
    base = name
    if name.endswith("_FILE") and name[: -len("_FILE")] in FILE_INDIRECT:
        base = name[: -len("_FILE")]
    elif SECRET_NAME.search(name) and not name.endswith("_FILE") and value is not None:
        problems.append(f"{where}: {name} has an inline value; use a secret")
    url = URL_PASSWORD.match(value) if isinstance(value, str) else None
    if url and url.group(1):
        refs = SUBSTITUTION.findall(url.group(1))
        from_secret = fed is not None and SUBSTITUTION.sub("", url.group(1)) == "" and refs
        if not from_secret:
            problems.append(f"{where}: {name} carries a password inline; use a secret")
    if fed and base in fed and value is None:
        return  # a Secret's value, put into another variable: no program reads it by name
    if base.startswith("LEDGER_"):
        if base not in known:
            problems.append(f"{where}: {name} is read by no service (not in services/*/src)")
    elif not OTHER_ENV.match(base):
        problems.append(f"{where}: {name} is not a variable this deployment knows")


def pod_of(doc: dict) -> dict:
    spec = doc.get("spec") or {}
    if doc.get("kind") == "CronJob":
        spec = spec.get("jobTemplate", {}).get("spec", {})
    return (spec.get("template") or {}).get("spec") or {}


def signing_volumes(pod: dict) -> dict[str, tuple[str, dict]]:
    """Volume name -> (signing key Secret, its secret source) of a pod."""
    found = {}
    for volume in pod.get("volumes") or []:
        sources = [volume["secret"]] if "secret" in volume else []
        sources += [s["secret"] for s in (volume.get("projected") or {}).get("sources") or [] if "secret" in s]
        for source in sources:
            name = source.get("secretName") or source.get("name") or ""
            if name.startswith(SIGNING_SECRET):
                found[volume.get("name")] = (name, source)
    return found


def check_signing_k8s(doc: dict, where: str, problems: list[str]) -> None:
    """Each emitting service mounts its own signing key, read-only, readable
    by the pod alone; no other pod mounts one, and none gets one as a variable."""
    pod = pod_of(doc)
    containers = containers_of(doc)
    if not pod or not containers:
        return
    component = ((doc.get("metadata") or {}).get("labels") or {}).get("app.kubernetes.io/name")
    emitter = doc.get("kind") == "Deployment" and component in EMITTERS
    volumes = signing_volumes(pod)
    for c in containers:
        refs = [((e.get("valueFrom") or {}).get("secretKeyRef") or {}).get("name") for e in c.get("env") or []]
        refs += [(e.get("secretRef") or {}).get("name") for e in c.get("envFrom") or []]
        for ref in refs:
            if ref and ref.startswith(SIGNING_SECRET):
                problems.append(f"{where}: container {c.get('name')} takes the signing key Secret {ref} "
                                "into a variable; mount it as a file")
        env = {e["name"]: e.get("value") for e in c.get("env") or []}
        if "LEDGER_KEYS_DIR" in env:
            problems.append(f"{where}: LEDGER_KEYS_DIR hands one program every writer's private key "
                            "(ledger-seed --via direct, for the local stack only)")
        if not emitter and "LEDGER_SIGNING_KEY_FILE" in env:
            problems.append(f"{where}: container {c.get('name')} sets LEDGER_SIGNING_KEY_FILE; "
                            "only an emitting service signs")
    if not emitter:
        for secret, _ in volumes.values():
            owner = secret[len(SIGNING_SECRET):]
            problems.append(f"{where}: mounts the signing key Secret {secret}, which only the {owner} service may mount")
        return
    own = f"{SIGNING_SECRET}{component}"
    for volume, (secret, source) in volumes.items():
        if secret != own:
            problems.append(f"{where}: mounts the signing key Secret {secret}, not its own ({own})")
            continue
        modes = [source.get("defaultMode", 0o644)] + [i["mode"] for i in source.get("items") or [] if "mode" in i]
        if any(mode & 0o007 for mode in modes):
            problems.append(f"{where}: the signing key volume {volume} is readable by others (mode {oct(max(modes))})")
    own_volumes = [v for v, (s, _) in volumes.items() if s == own]
    if not own_volumes:
        problems.append(f"{where}: an emitting service must mount its own signing key Secret {own}")
        return
    for c in containers:
        env = {e["name"]: e.get("value") for e in c.get("env") or []}
        mounts = [m for m in c.get("volumeMounts") or [] if m.get("name") in own_volumes]
        if "LEDGER_SIGNING_KEY_FILE" not in env:
            if mounts:
                problems.append(f"{where}: container {c.get('name')} mounts {own} but sets no LEDGER_SIGNING_KEY_FILE")
            continue
        if "LEDGER_TRUSTED_KEYS_FILE" not in env:
            problems.append(f"{where}: container {c.get('name')} sets no LEDGER_TRUSTED_KEYS_FILE (the key ring)")
        path = env["LEDGER_SIGNING_KEY_FILE"] or ""
        inside = [m for m in mounts if path.startswith(m.get("mountPath", "").rstrip("/") + "/")]
        if not inside:
            problems.append(f"{where}: LEDGER_SIGNING_KEY_FILE={path} is not in the mount of Secret {own}")
        elif not all(m.get("readOnly") for m in inside):
            problems.append(f"{where}: the signing key Secret {own} must be mounted readOnly")
    if not any("LEDGER_SIGNING_KEY_FILE" in {e["name"] for e in c.get("env") or []} for c in containers):
        problems.append(f"{where}: an emitting service must set LEDGER_SIGNING_KEY_FILE (it does not start without)")


def policy_k8s(docs: list[dict], known: set[str], problems: list[str]) -> None:
    for doc in docs:
        meta = doc.get("metadata") or {}
        kind, name = doc.get("kind"), meta.get("name") or meta.get("generateName")
        where = f"{kind}/{name}"
        if kind == "Secret":
            problems.append(f"{where}: secrets are created outside the manifests, never committed")
        check_signing_k8s(doc, where, problems)
        for c in containers_of(doc):
            fed = substitutions(f"{where} {c.get('name')}", c.get("env") or [], problems)
            for env in c.get("env") or []:
                value = None if "valueFrom" in env else env.get("value", "")
                check_env(f"{where} {c.get('name')}", env["name"], value, known, problems, fed)
            if kind == "Deployment":
                for probe in ("readinessProbe", "livenessProbe"):
                    if probe not in c:
                        problems.append(f"{where}: container {c.get('name')} has no {probe}")
                res = c.get("resources") or {}
                if not res.get("requests") or not res.get("limits"):
                    problems.append(f"{where}: container {c.get('name')} lacks requests or limits")
        if kind == "Deployment":
            component = (doc["metadata"].get("labels") or {}).get("app.kubernetes.io/name")
            if component in SINGLE_WRITERS:
                spec = doc.get("spec") or {}
                if spec.get("replicas") != 1:
                    problems.append(f"{where}: a single writer must have replicas: 1")
                if (spec.get("strategy") or {}).get("type") != "Recreate":
                    problems.append(f"{where}: a single writer must use strategy Recreate")


def policy_compose(doc: dict, known: set[str], problems: list[str]) -> None:
    for svc, spec in (doc.get("services") or {}).items():
        env = spec.get("environment") or {}
        if isinstance(env, list):
            env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
        for name, value in env.items():
            check_env(f"service {svc}", name, value, known, problems)
        if "healthcheck" not in spec and spec.get("profiles") is None and svc != "kafka-init":
            problems.append(f"service {svc}: no healthcheck")
        if svc in SINGLE_WRITERS and "container_name" not in spec:
            problems.append(f"service {svc}: a single writer needs container_name (forbids --scale)")
        for dep in spec.get("depends_on") or {}:
            if dep not in doc["services"]:
                problems.append(f"service {svc}: depends on {dep}, which is not a service")
        for secret in spec.get("secrets") or []:
            name = secret if isinstance(secret, str) else secret.get("source")
            if name not in (doc.get("secrets") or {}):
                problems.append(f"service {svc}: secret {name} is not declared")
        for volume in spec.get("volumes") or []:
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume.get("source", "")
            if source and not source.startswith((".", "/")) and source not in (doc.get("volumes") or {}):
                problems.append(f"service {svc}: volume {source} is not declared")
        check_signing_compose(svc, spec, env, problems)
        for name, value in env.items():
            if name.endswith("_FILE") and isinstance(value, str) and value.startswith("/run/secrets/"):
                mounted = {s if isinstance(s, str) else s.get("target") or s.get("source")
                           for s in spec.get("secrets") or []}
                if value[len("/run/secrets/"):] not in mounted:
                    problems.append(f"service {svc}: {name} points at a secret it does not mount")


def check_signing_compose(svc: str, spec: dict, env: dict, problems: list[str]) -> None:
    """Each emitting service mounts its own signing key; no other service any."""
    mounted = {}
    for secret in spec.get("secrets") or []:
        source = secret if isinstance(secret, str) else secret.get("source")
        target = secret if isinstance(secret, str) else secret.get("target") or source
        if COMPOSE_SIGNING_SECRET.match(source or ""):
            mounted[source] = target if str(target).startswith("/") else f"/run/secrets/{target}"
    if "LEDGER_KEYS_DIR" in env:
        problems.append(f"service {svc}: LEDGER_KEYS_DIR hands one program every writer's private key "
                        "(ledger-seed --via direct, for the local stack only)")
    if svc not in EMITTERS:
        for source in mounted:
            owner = COMPOSE_SIGNING_SECRET.match(source).group(1)
            problems.append(f"service {svc}: mounts the signing key {source}, which only {owner} may mount")
        if "LEDGER_SIGNING_KEY_FILE" in env:
            problems.append(f"service {svc}: sets LEDGER_SIGNING_KEY_FILE; only an emitting service signs")
        return
    own = f"signing_{svc}.pem"
    for source in mounted:
        if source != own:
            problems.append(f"service {svc}: mounts the signing key {source}, not its own ({own})")
    if own not in mounted:
        problems.append(f"service {svc}: an emitting service must mount its own signing key {own}")
    elif env.get("LEDGER_SIGNING_KEY_FILE") != mounted[own]:
        problems.append(f"service {svc}: LEDGER_SIGNING_KEY_FILE must be {mounted[own]}, its own key")
    if "LEDGER_TRUSTED_KEYS_FILE" not in env:
        problems.append(f"service {svc}: sets no LEDGER_TRUSTED_KEYS_FILE (the key ring)")


def matches(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def cross_references(docs: list[dict]) -> tuple[int, list[str]]:
    """References between resources of the manifests: each must land."""
    problems: list[str] = []
    checked = 0
    by_kind: dict[str, dict[str, dict]] = {}
    for doc in docs:
        name = (doc.get("metadata") or {}).get("name")
        if name:
            by_kind.setdefault(doc.get("kind"), {})[name] = doc
    pods = {name: (d["spec"]["template"]["metadata"].get("labels") or {})
            for name, d in by_kind.get("Deployment", {}).items()}
    for name, svc in by_kind.get("Service", {}).items():
        checked += 1
        if not any(matches(svc["spec"].get("selector") or {}, labels) for labels in pods.values()):
            problems.append(f"Service/{name} selects no Deployment's pods")
    for name, pdb in by_kind.get("PodDisruptionBudget", {}).items():
        checked += 1
        selector = (pdb["spec"].get("selector") or {}).get("matchLabels") or {}
        if not any(matches(selector, labels) for labels in pods.values()):
            problems.append(f"PodDisruptionBudget/{name} selects no Deployment's pods")
    for name, hpa in by_kind.get("HorizontalPodAutoscaler", {}).items():
        checked += 1
        if hpa["spec"]["scaleTargetRef"]["name"] not in by_kind.get("Deployment", {}):
            problems.append(f"HorizontalPodAutoscaler/{name} scales no Deployment of these manifests")
    for name, ing in by_kind.get("Ingress", {}).items():
        for rule in ing["spec"].get("rules") or []:
            for path in (rule.get("http") or {}).get("paths") or []:
                checked += 1
                backend = path["backend"]["service"]
                svc = by_kind.get("Service", {}).get(backend["name"])
                ports = [p.get("name") for p in (svc or {}).get("spec", {}).get("ports") or []]
                if svc is None or backend["port"].get("name") not in ports:
                    problems.append(f"Ingress/{name}: no Service {backend['name']} with port {backend['port']}")
    for name, mon in by_kind.get("ServiceMonitor", {}).items():
        checked += 1
        selector = mon["spec"]["selector"].get("matchLabels") or {}
        if not any(matches(selector, s["metadata"].get("labels") or {}) for s in by_kind.get("Service", {}).values()):
            problems.append(f"ServiceMonitor/{name} selects no Service")
    users = set(by_kind.get("KafkaUser", {}))
    claims = set(by_kind.get("PersistentVolumeClaim", {}))
    topics = {(d.get("spec") or {}).get("topicName") or name
              for name, d in by_kind.get("KafkaTopic", {}).items()}
    # The inbound gateway reads the inbound topic of each source system its
    # rules name and answers on that system's results topic (it refuses to
    # start without them); each system is also a Kafka user. The base names
    # are no topics any more.
    for base in ("ledger.inbound.v1", "ledger.results.v1"):
        checked += 1
        if base in topics:
            problems.append(f"KafkaTopic {base}: inbound and results topics are per source system ({base}.<system>)")
    for doc in docs:
        if doc.get("kind") not in ("Deployment", "Job", "CronJob"):
            continue
        for c in containers_of(doc):
            env = {e["name"]: e.get("value") for e in c.get("env") or []}
            if "LEDGER_INBOUND_ALLOW" not in env:
                continue
            namespace = env.get("LEDGER_TOPIC_NAMESPACE") or ""
            prefix = f"{namespace}." if namespace else ""
            where = f"{doc['kind']}/{doc['metadata'].get('name')}"
            for rule in (env["LEDGER_INBOUND_ALLOW"] or "").split(";"):
                if not rule.strip():
                    continue
                checked += 1
                system = rule.split("=", 1)[0].strip()
                if not re.fullmatch(r"[a-z0-9_-]{1,64}", system):
                    problems.append(f"{where}: LEDGER_INBOUND_ALLOW names {system!r}, not a source system")
                    continue
                for topic in (f"{prefix}ledger.inbound.v1.{system}", f"{prefix}ledger.results.v1.{system}"):
                    if topic not in topics:
                        problems.append(f"{where}: source system {system} has no KafkaTopic {topic}")
                if system not in users:
                    problems.append(f"{where}: source system {system} is no KafkaUser of these manifests")
    for doc in docs:
        where = f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name') or doc['metadata'].get('generateName')}"
        spec = doc.get("spec") or {}
        if doc.get("kind") == "CronJob":
            spec = spec["jobTemplate"]["spec"]
        pod = (spec.get("template") or {}).get("spec") if "template" in spec else None
        if not pod:
            continue
        for volume in pod.get("volumes") or []:
            if "persistentVolumeClaim" in volume:
                checked += 1
                if volume["persistentVolumeClaim"]["claimName"] not in claims:
                    problems.append(f"{where}: claims {volume['persistentVolumeClaim']['claimName']}, not declared")
        for c in containers_of(doc):
            env = {e["name"]: e for e in c.get("env") or []}
            user = (env.get("LEDGER_KAFKA_SASL_USERNAME") or {}).get("value")
            if user is None:
                continue
            checked += 1
            ref = ((env.get("LEDGER_KAFKA_SASL_PASSWORD") or {}).get("valueFrom") or {}).get("secretKeyRef") or {}
            if user not in users:
                problems.append(f"{where}: Kafka user {user} is no KafkaUser of these manifests")
            elif ref.get("name") != user or ref.get("key") != "password":
                problems.append(f"{where}: the Kafka password must come from Secret {user}, key password")
    return checked, problems


def policy(root: Path, files: list[str]) -> None:
    known = ledger_env_names(root)
    if not known:
        sys.exit(f"no LEDGER_* variable found under {root}/services")
    bad = 0
    all_docs: list[dict] = []
    for name in files:
        problems: list[str] = []
        docs = []
        try:
            with open(name) as handle:
                text = handle.read()
            if PRIVATE_KEY_PEM.search(text):
                problems.append("holds a private key inline; keys are Secrets made outside the manifests")
            docs = [d for d in yaml.safe_load_all(text) if d]
            if len(docs) == 1 and "services" in docs[0] and "kind" not in docs[0]:
                policy_compose(docs[0], known, problems)
            else:
                policy_k8s(docs, known, problems)
        except (OSError, yaml.YAMLError, AttributeError, KeyError, TypeError) as err:
            problems.append(f"cannot be read: {' '.join(str(err).split())}")
        if not any(p.startswith("cannot be read") for p in problems):
            all_docs.extend(d for d in docs if isinstance(d, dict) and "kind" in d)
        shown = os.path.relpath(name, root)
        if problems:
            bad += 1
            print(f"FAIL  {shown}")
            for p in problems:
                print(f"        {p}")
        else:
            print(f"ok    {shown}")
    if len(files) > 1 and all_docs:
        checked, problems = cross_references(all_docs)
        if problems:
            bad += 1
            print(f"FAIL  references between the manifests ({len(problems)} of {checked} broken)")
            for p in problems:
                print(f"        {p}")
        else:
            print(f"ok    references between the manifests ({checked}: selectors, claims, backends, Kafka users, source systems and their topics)")
    sys.exit(1 if bad else 0)


# --------------------------------------------------------------------------
# break: deliberately broken copies for the self-test
# --------------------------------------------------------------------------


def mutate(docs: list[dict], kind: str, change) -> None:
    for doc in docs:
        if doc and doc.get("kind") == kind:
            change(doc)
            return
    sys.exit(f"no {kind} to break")


def set_path(doc: dict, path: list[str], value) -> None:
    for key in path[:-1]:
        doc = doc[key]
    doc[path[-1]] = value


CASES = {
    # A core kind with a wrong type: replicas must be an integer.
    "deployment-replicas": ("Deployment", ["spec", "replicas"], "three"),
    # Strimzi: replicas left over from the v1beta2 API, unknown in v1.
    "kafka-unknown-field": ("Kafka", ["spec", "kafka", "replicas"], 3),
    # CloudNativePG: a misspelt field in the backup configuration.
    "cluster-unknown-field": ("Cluster", ["spec", "backup", "retentionPolcy"], "30d"),
    # The ledger's own rule: an environment variable no service reads.
    "policy-unknown-env": None,
    # Compose: a key the compose specification does not have.
    "compose-unknown-key": None,
    # Signing keys: a writer given another's key; a reader given a writer's.
    "policy-foreign-signing-key": None,
    "policy-signing-key-elsewhere": None,
    "compose-signing-key-elsewhere": None,
    # A database password written into its URL instead of taken from a Secret.
    "policy-inline-url-password": None,
}


def breakage(case: str, src: str, dst: str) -> None:
    with open(src) as handle:
        docs = list(yaml.safe_load_all(handle))
    if case == "policy-unknown-env":
        def add_env(doc):
            doc["spec"]["template"]["spec"]["containers"][0]["env"].append(
                {"name": "LEDGER_GRANTS_LISTEN_ADDR", "value": "0.0.0.0:8080"}
            )
        mutate(docs, "Deployment", add_env)
    elif case == "compose-unknown-key":
        docs[0]["services"]["grants"]["restart_policy"] = "always"
    elif case == "policy-foreign-signing-key":
        def other_key(doc):
            for volume in doc["spec"]["template"]["spec"]["volumes"]:
                if (volume.get("secret") or {}).get("secretName", "").startswith(SIGNING_SECRET):
                    volume["secret"]["secretName"] = f"{SIGNING_SECRET}grants"
        mutate(docs, "Deployment", other_key)
    elif case == "policy-signing-key-elsewhere":
        def add_key(doc):
            pod = doc["spec"]["template"]["spec"]
            pod["volumes"].append({"name": "signing-key", "secret": {
                "secretName": f"{SIGNING_SECRET}grants", "defaultMode": 0o440}})
            pod["containers"][0]["volumeMounts"].append(
                {"name": "signing-key", "mountPath": "/etc/ledger/signing", "readOnly": True})
        mutate(docs, "Deployment", add_key)
    elif case == "compose-signing-key-elsewhere":
        docs[0]["services"]["projector"]["secrets"].append("signing_grants.pem")
    elif case == "policy-inline-url-password":
        def inline_password(doc):
            for env in doc["spec"]["template"]["spec"]["containers"][0]["env"]:
                if env["name"] == "LEDGER_PERSON_KEYS_DATABASE_URL":
                    env["value"] = env["value"].replace("$(PERSON_KEYS_PGPASSWORD)", "hunter2")
                    return
            sys.exit("no LEDGER_PERSON_KEYS_DATABASE_URL to break")
        mutate(docs, "Deployment", inline_password)
    elif case in CASES:
        kind, path, value = CASES[case]
        mutate(docs, kind, lambda doc: set_path(doc, path, value))
    else:
        sys.exit(f"unknown case {case}")
    with open(dst, "w") as handle:
        yaml.safe_dump_all(docs, handle, sort_keys=False)


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "core" and len(args) == 3:
        core(Path(args[0]), args[1], Path(args[2]))
    elif cmd == "crds" and len(args) >= 3:
        crds(Path(args[0]), Path(args[1]), args[2:])
    elif cmd == "report" and not args:
        report()
    elif cmd == "policy" and len(args) >= 2:
        policy(Path(args[0]), args[1:])
    elif cmd == "break" and len(args) == 3:
        breakage(*args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    try:
        main(sys.argv)
    except Exception:  # a bug here must never read as "all valid"
        import traceback

        traceback.print_exc()
        sys.exit(3)
