#!/usr/bin/env bash
# Checks the deployment files in deploy/:
#   - `kabuto config deploy/` (Dockerfile, Kubernetes manifests) finds nothing HIGH or CRITICAL
#     beyond the exceptions deploy/.kabutoignore.yaml lists with their reasons (the runtime
#     enforcer is privileged by design);
#   - the Helm chart's templates read only values that values.yaml defines, and every value
#     there is read by a template (a typo in either would render silently as empty);
#   - when helm or kubectl is installed: the chart renders (the server alone, and with the kube
#     enforcer fail open, fail closed and standalone) and the kustomizations build (the kube
#     enforcer with and without its components, the runtime enforcer with and without its
#     server component), and `kabuto config` passes on the output
#     (Kabuto reads rendered charts only); the enforcer's failurePolicy and --fail-closed agree.
# Usage: scripts/check-deploy.sh   (KABUTO=path/to/kabuto, default target/debug/kabuto)
set -euo pipefail
cd "$(dirname "$0")/.."
kabuto=${KABUTO:-target/debug/kabuto}
chart=deploy/helm/kabuto
gate_exit=3 # distinct from kabuto's own failure exit code (1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The report (which also lists the chart's unrendered templates as unreadable, as expected) is
# shown only when the gate fails.
config_gate() {
  local status=0
  "$kabuto" config --quiet --severity HIGH,CRITICAL --exit-code "$gate_exit" \
    --ignorefile deploy/.kabutoignore.yaml \
    --output "$work/report.txt" "$1" || status=$?
  case $status in
    0) echo "ok: kabuto config $1: nothing HIGH or CRITICAL" ;;
    "$gate_exit") cat "$work/report.txt"; echo "FAIL: HIGH or CRITICAL findings in $1" >&2; return 1 ;;
    *) echo "FAIL: kabuto config $1 exited with $status" >&2; return 1 ;;
  esac
}

# The kube enforcer's two failure switches must agree: failurePolicy Fail in every webhook
# exactly when the pods run with --fail-closed (one value, kubeEnforcer.failClosed, or the
# fail-closed component, sets both).
check_fail_policy() {
  local file=$1 want=$2 flag=no want_flag=no policies
  grep -q -- '- --fail-closed' "$file" && flag=yes
  [[ $want == Fail ]] && want_flag=yes
  policies=$(grep -o 'failurePolicy: [A-Za-z]*' "$file" | sort -u)
  if [[ $policies != "failurePolicy: $want" || $flag != "$want_flag" ]]; then
    echo "FAIL: $file: failurePolicy ${policies//failurePolicy: /}, --fail-closed $flag; expected $want" >&2
    return 1
  fi
  echo "ok: $(basename "$file"): failurePolicy $want and --fail-closed agree"
}

config_gate deploy/

python3 - "$chart" <<'PY'
"""Compares the .Values paths the templates use with the keys values.yaml defines.

values.yaml is read by indentation (no YAML library needed): `key:` lines build the paths;
list items and block scalars do not define addressable keys and are skipped.
"""
import pathlib, re, sys

chart = pathlib.Path(sys.argv[1])
key_line = re.compile(r"^( *)([A-Za-z0-9_-]+):(.*)$")
defined, stack, skip_deeper_than = set(), [], None
for line in (chart / "values.yaml").read_text().splitlines():
    if not line.strip() or line.lstrip().startswith("#"):
        continue
    indent = len(line) - len(line.lstrip())
    if skip_deeper_than is not None and indent > skip_deeper_than:
        continue
    skip_deeper_than = None
    match = key_line.match(line)
    if not match:
        continue  # a list item
    stack = [(i, k) for i, k in stack if i < indent] + [(indent, match.group(2))]
    defined.add(".".join(k for _, k in stack))
    if match.group(3).split("#")[0].strip() in ("|", "|-", ">", ">-"):
        skip_deeper_than = indent

used = {}
for path in sorted((chart / "templates").iterdir()):
    for n, line in enumerate(path.read_text().splitlines(), 1):
        for ref in re.findall(r"\.Values((?:\.[A-Za-z0-9_]+)+)", line):
            used.setdefault(ref[1:], f"{path}:{n}")

errors = [f"{where}: .Values.{ref} is not in values.yaml"
          for ref, where in sorted(used.items()) if ref not in defined]
leaves = {p for p in defined if not any(q.startswith(p + ".") for q in defined)}
errors += [f"{chart}/values.yaml: {leaf} is read by no template" for leaf in sorted(leaves)
           if not any(leaf == u or leaf.startswith(u + ".") for u in used)]
for e in errors:
    print("FAIL:", e, file=sys.stderr)
if errors:
    sys.exit(1)
print(f"ok: {len(used)} value paths used by the chart's templates, all in values.yaml")
PY

if command -v helm >/dev/null; then
  rendered=$work/rendered
  mkdir "$rendered"
  helm template kabuto "$chart" >"$rendered/default.yaml"
  helm template kabuto "$chart" --set store.postgres.existingSecret=pg \
    --set tls.existingSecret=tls --set replicaCount=2 >"$rendered/postgres-tls.yaml"
  # The kube enforcer: fail open with generated certificates (a caBundle and a TLS Secret
  # named in values), fail closed with cert-manager and every option, standalone alone.
  enforcer=(--set kubeEnforcer.enabled=true)
  helm template kabuto "$chart" "${enforcer[@]}" --set kubeEnforcer.tls.caBundle=Y2E= \
    --set kubeEnforcer.tls.existingSecret=tls >"$rendered/kube-enforcer-open.yaml"
  helm template kabuto "$chart" "${enforcer[@]}" --set kubeEnforcer.failClosed=true \
    --set kubeEnforcer.certManager.enabled=true --set kubeEnforcer.blockUnregistered=true \
    --set 'kubeEnforcer.excludeNamespaces={monitoring}' --set kubeEnforcer.server.caSecret=ca \
    --set kubeEnforcer.registryAuth.existingSecret=registry >"$rendered/kube-enforcer-closed.yaml"
  helm template kabuto "$chart" "${enforcer[@]}" --set server.enabled=false \
    --set kubeEnforcer.certManager.enabled=true --set kubeEnforcer.standalone.enabled=true \
    --set kubeEnforcer.standalone.dbUrl=https://db.invalid/kabuto.db \
    --set-string 'kubeEnforcer.standalone.policies.policy\.yaml=name: p' \
    >"$rendered/kube-enforcer-standalone.yaml"
  check_fail_policy "$rendered/kube-enforcer-open.yaml" Ignore
  check_fail_policy "$rendered/kube-enforcer-closed.yaml" Fail
  config_gate "$rendered"
else
  echo "note: helm not installed; the chart was not rendered"
fi
if command -v kubectl >/dev/null; then
  kubectl kustomize deploy/kubernetes >/dev/null
  echo "ok: kubectl kustomize deploy/kubernetes"
  # The kube enforcer with no component and with all of them (a throwaway kustomization that
  # enables them; kustomize takes only relative paths).
  kustomized=$work/kustomized
  mkdir -p "$kustomized/all"
  kubectl kustomize deploy/kubernetes/kube-enforcer >"$kustomized/kube-enforcer.yaml"
  base=$(realpath --relative-to="$kustomized/all" deploy/kubernetes/kube-enforcer)
  printf 'resources: [%s]\ncomponents: [%s]\n' "$base" \
    "$base/cert-manager, $base/fail-closed, $base/standalone, $base/registry-auth" \
    >"$kustomized/all/kustomization.yaml"
  kubectl kustomize "$kustomized/all" >"$kustomized/kube-enforcer-all.yaml"
  rm -r "$kustomized/all"
  # The runtime enforcer alone and with its server component.
  kubectl kustomize deploy/kubernetes/enforcer >"$kustomized/kabuto-enforcer.yaml"
  mkdir "$kustomized/all"
  base=$(realpath --relative-to="$kustomized/all" deploy/kubernetes/enforcer)
  printf 'resources: [%s]\ncomponents: [%s]\n' "$base" "$base/server" >"$kustomized/all/kustomization.yaml"
  kubectl kustomize "$kustomized/all" >"$kustomized/kabuto-enforcer-server.yaml"
  rm -r "$kustomized/all"
  grep -q -- '- --server' "$kustomized/kabuto-enforcer-server.yaml" \
    || { echo "FAIL: the enforcer's server component adds no --server" >&2; exit 1; }
  echo "ok: kubectl kustomize deploy/kubernetes/enforcer, alone and with its server component"
  check_fail_policy "$kustomized/kube-enforcer.yaml" Ignore
  check_fail_policy "$kustomized/kube-enforcer-all.yaml" Fail
  config_gate "$kustomized"
fi
