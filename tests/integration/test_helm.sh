#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_helm.sh - the Helm chart with the real helm binary: lint, render with
# default, all-options and token-value values, offline OpenAPI validation of
# every manifest, least-privilege assertions (tests/lib/check-chart.py), the
# schema and template refusing bad values, and the README listing every value.
# Needs node, npm, unzip and python3-yaml (make deps); nothing is skipped.
set -euo pipefail
# PyYAML comes from Debian's python3-yaml (make deps): use Debian's python3,
# whatever python3 comes first in PATH.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
cd "$(dirname "$0")/../.."

chart=helm/credwatch
all=tests/fixtures/helm/all-values.yaml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

bin=$(tests/lib/get-helm.sh)
helm=$bin/helm
echo "helm: $("$helm" version --short)"

ok()   { echo "ok   $*"; }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

run() {	# description, command...: the command must succeed
	local what=$1; shift
	if "$@" >"$tmp/out" 2>&1; then ok "$what"; else fail "$what"; sed 's/^/     /' "$tmp/out"; fi
}

# --- lint and render ---------------------------------------------------------
run "helm lint (defaults)" "$helm" lint --strict "$chart"
run "helm lint (all options)" "$helm" lint --strict "$chart" -f "$all"

render() {	# name, helm template args...
	local name=$1; shift
	if "$helm" template credwatch "$chart" --namespace credwatch "$@" >"$tmp/$name.yaml" 2>"$tmp/$name.err"; then
		ok "helm template ($name)"
	else
		fail "helm template ($name)"; sed 's/^/     /' "$tmp/$name.err"
	fi
}
render default
render all -f "$all"
render token-value --set backend.url=https://audit.example.com --set backend.token.value=s3cr3t-token

for name in default all token-value; do
	run "OpenAPI validation of every manifest ($name)" \
		node tests/lib/validate-manifests.mjs "$tmp/$name.yaml"
	run "least-privilege checks ($name)" "$PY" tests/lib/check-chart.py "$name" "$tmp/$name.yaml"
done

# NOTES.txt: helm shows it only on install, which needs a cluster; render a
# copy of it through tpl as an ordinary template instead.
cp -r "$chart" "$tmp/chart"
cp "$chart/templates/NOTES.txt" "$tmp/chart/notes.txt"
printf '%s\n' 'notes: |' '  {{- tpl (.Files.Get "notes.txt") . | nindent 2 }}' \
	>"$tmp/chart/templates/notes-under-test.yaml"
if "$helm" template credwatch "$tmp/chart" --namespace credwatch -f "$all" \
	--show-only templates/notes-under-test.yaml >"$tmp/notes" 2>&1 &&
   grep -q "rollout status daemonset/credwatch-all" "$tmp/notes" &&
   grep -q "shipped to https://audit.example.com:8443/v1/alerts" "$tmp/notes" &&
   ! grep -q "<no value>" "$tmp/notes"; then
	ok "NOTES.txt renders"
else
	fail "NOTES.txt renders"; sed 's/^/     /' "$tmp/notes"
fi

# --- bad values fail at template time, naming the value ------------------------
reject() {	# expected message fragment, helm template args...
	local want=$1; shift
	if "$helm" template credwatch "$chart" "$@" >"$tmp/rej.out" 2>&1; then
		fail "accepted bad values: $*"
	elif ! grep -qF -- "$want" "$tmp/rej.out"; then
		fail "rejected $* without naming '$want':"; sed 's/^/     /' "$tmp/rej.out"
	else
		ok "rejects $* ($want)"
	fi
}
reject "resources"                  --set resources=big
reject "resources.limits.cpu"       --set resources.limits.cpu=lots
reject "resources.requests.memory"  --set resources.requests.memory=-5Mi
reject "backend.format"             --set backend.format=splunk
reject "backend.url"                --set backend.url=ftp://audit.example.com
reject "backend.url"                --set "backend.url=https://a b"
reject "health.port"                --set health.port=-1
reject "health.port"                --set health.port=70000
reject "health.bindAddress"         --set health.bindAddress=127.0.0.1
reject "probes.timeoutSeconds"      --set probes.timeoutSeconds=0
reject "probes.livenessFailureThreshold" --set probes.livenessFailureThreshold=-3
reject "terminationGracePeriodSeconds" --set terminationGracePeriodSeconds=-1
reject "updateStrategy.maxUnavailable" --set updateStrategy.maxUnavailable=0
reject "updateStrategy.maxUnavailable" --set updateStrategy.maxUnavailable=150%
reject "storage.type"               --set storage.type=pvc
reject "storage.hostPath"           --set storage.hostPath=/
reject "storage.hostPath"           --set storage.hostPath=relative/dir
reject "extraWatchPaths.0"          --set 'extraWatchPaths[0]=/root/../etc'
reject "customRules"                --set customRules.rules\\.txt=x
reject "customCatalog"              --set customCatalog.cat\\.txt=x
reject "catalog.hostPaths.0"        --set 'catalog.hostPaths[0]=/'
reject "config.extra.catalog"       --set config.extra.catalog=/x
reject "securityContext.seccompProfile" --set securityContext.seccompProfile=none
reject "securityContext.memlockCapability" --set securityContext.memlockCapability=yes
reject "image.pullPolicy"           --set image.pullPolicy=Sometimes
reject "image.digest"               --set image.digest=latest
reject "config.outputFormat"        --set config.outputFormat=xml
reject "config.output"              --set config.output=/etc/alerts.json
reject "tolerations.0.operator"     --set 'tolerations[0].operator=Maybe'
reject "Additional property"        --set privileged=true
reject "Additional property"        --set securityContext.privileged=true
reject "Additional property"        --set rbac.verbs=create
reject "config.extra.backend"       --set config.extra.backend=https://x
reject "serviceAccount.name is required" --set serviceAccount.create=false
reject "seccompLocalhostProfile is required" --set securityContext.seccompProfile=Localhost

# --- the agent accepts the config file the chart renders ---------------------------
for name in default all token-value; do
	"$PY" - "$tmp/$name.yaml" "$tmp/$name.credwatch.yaml" <<'PY'
import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d["kind"] == "ConfigMap" and "credwatch.yaml" in d.get("data", {}):
        open(sys.argv[2], "w").write(d["data"]["credwatch.yaml"])
PY
	run "agent accepts the rendered config ($name)" \
		"${BUILD:-build}/credwatch" --config "$tmp/$name.credwatch.yaml" --print-config
done

# --- documentation --------------------------------------------------------------
run "README lists every value with its # -- comment" \
	"$PY" tests/lib/chart-values.py check "$chart/values.yaml" "$chart/README.md"
run "dashboard is valid JSON" python3 -c "import json,sys; json.load(open(sys.argv[1]))" \
	"$chart/dashboards/credwatch.json"

echo "test_helm: $fails failed"
[ "$fails" -eq 0 ]
