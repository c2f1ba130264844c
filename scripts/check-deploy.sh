#!/usr/bin/env bash
# Checks the deployment files in deploy/:
#   - `kabuto config deploy/` (Dockerfile, Kubernetes manifests) finds nothing HIGH or CRITICAL;
#   - the Helm chart's templates read only values that values.yaml defines, and every value
#     there is read by a template (a typo in either would render silently as empty);
#   - when helm or kubectl is installed: the chart renders and `kabuto config` passes on the
#     output (Kabuto reads rendered charts only), and the kustomization builds.
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
    --output "$work/report.txt" "$1" || status=$?
  case $status in
    0) echo "ok: kabuto config $1: nothing HIGH or CRITICAL" ;;
    "$gate_exit") cat "$work/report.txt"; echo "FAIL: HIGH or CRITICAL findings in $1" >&2; return 1 ;;
    *) echo "FAIL: kabuto config $1 exited with $status" >&2; return 1 ;;
  esac
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
  config_gate "$rendered"
else
  echo "note: helm not installed; the chart was not rendered"
fi
if command -v kubectl >/dev/null; then
  kubectl kustomize deploy/kubernetes >/dev/null
  echo "ok: kubectl kustomize deploy/kubernetes"
fi
