// SPDX-License-Identifier: Apache-2.0
// validate-manifests.mjs - offline validation of rendered Kubernetes
// manifests against the Kubernetes OpenAPI schemas (kubernetes-models, and
// its prometheus-operator models for the ServiceMonitor). There is no API
// server here, so `kubectl apply --dry-run=client` cannot run.
//
//   node tests/lib/validate-manifests.mjs FILE.yaml   (or - for stdin)
//
// Every document must be of a known apiVersion/kind; an unknown kind is an
// error, never a skip. Checked: types, required fields, enums, formats and
// patterns of the OpenAPI schema. Not checked: unknown field names (the
// generated validators allow them); test_helm.sh asserts the fields that
// matter by name instead. Prints one line per document and exits 1 on any
// failure. Resolves modules from build/tools/npm (tests/lib/get-helm.sh),
// or from $CREDWATCH_NPM_PREFIX.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const prefix = process.env.CREDWATCH_NPM_PREFIX ||
	path.join(here, "..", "..", "build", "tools", "npm");
const require = createRequire(path.join(prefix, "node_modules", "_"));

let yaml;
try {
	yaml = require("js-yaml");
} catch (e) {
	console.error(`validate-manifests: js-yaml not found under ${prefix}: run tests/lib/get-helm.sh`);
	process.exit(2);
}

// apiVersion/kind -> module path of its model class.
const MODELS = {
	"v1/ServiceAccount": "kubernetes-models/v1/ServiceAccount",
	"v1/ConfigMap": "kubernetes-models/v1/ConfigMap",
	"v1/Secret": "kubernetes-models/v1/Secret",
	"v1/Service": "kubernetes-models/v1/Service",
	"apps/v1/DaemonSet": "kubernetes-models/apps/v1/DaemonSet",
	"networking.k8s.io/v1/NetworkPolicy": "kubernetes-models/networking.k8s.io/v1/NetworkPolicy",
	"rbac.authorization.k8s.io/v1/ClusterRole": "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole",
	"rbac.authorization.k8s.io/v1/ClusterRoleBinding": "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding",
	"monitoring.coreos.com/v1/ServiceMonitor": "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor",
};

const file = process.argv[2];
if (!file) {
	console.error("usage: validate-manifests.mjs FILE.yaml|-");
	process.exit(2);
}
const text = readFileSync(file === "-" ? 0 : file, "utf8");
let failed = 0, count = 0;
for (const doc of yaml.loadAll(text)) {
	if (doc === null || doc === undefined)
		continue;
	count++;
	const key = `${doc.apiVersion}/${doc.kind}`;
	const name = `${doc.kind}/${doc.metadata?.name ?? "?"}`;
	const mod = MODELS[key];
	if (!mod) {
		console.log(`FAIL ${name}: no schema for ${key}`);
		failed++;
		continue;
	}
	const m = require(mod);
	const Model = m[doc.kind] || m.default;
	try {
		new Model(doc).validate();
		console.log(`ok   ${name}`);
	} catch (e) {
		console.log(`FAIL ${name}: ${e.message.split("\n").join(" ")}`);
		failed++;
	}
}
if (count === 0) {
	console.log("FAIL no manifests in input");
	failed++;
}
console.log(`${count} manifests, ${failed} failed`);
process.exit(failed ? 1 : 0);
