#!/usr/bin/env bash
# Generic CI step: scan an image against a policy and translate Kabuto's exit codes.
#   0  the gate passed (or policies failed with audit_on_failure only)
#   4  a policy with fail_cicd failed: block the pipeline
#   1  the scan itself failed (bad input, unreachable registry, broken database)
# Usage: ci/scan.sh IMAGE [POLICY] [REPORT]
set -u

image="${1:?usage: scan.sh IMAGE [POLICY] [REPORT]}"
policy="${2:-policy.yaml}"
report="${3:-kabuto.sarif}"
kabuto="${KABUTO:-kabuto}"

if ! "$kabuto" policy check "$policy"; then
    echo "kabuto: $policy is not a valid policy" >&2
    exit 1
fi

"$kabuto" scan image "$image" --policy "$policy" --format sarif --output "$report"
code=$?

case "$code" in
    0)
        echo "kabuto: $image passes $policy (report: $report)"
        ;;
    4)
        echo "kabuto: $image FAILS $policy; see $report" >&2
        ;;
    *)
        echo "kabuto: the scan of $image failed (exit $code)" >&2
        code=1
        ;;
esac
exit "$code"
