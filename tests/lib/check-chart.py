#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# check-chart.py - assertions on the manifests `helm template` rendered from
# helm/credwatch: least privilege (no privileged, exact capabilities,
# read-only host paths except storage, RBAC get/list/watch on pods), the
# backend token as a file only, probes, config file keys.
#
#   check-chart.py PROFILE RENDERED.yaml
# PROFILE: default | all (tests/fixtures/helm/all-values.yaml) | token-value
# Prints each failed check and exits 1 if any failed.
import json
import re
import sys

try:
    import yaml
except ImportError:
    sys.exit("check-chart: python3 yaml module missing: install the Debian package python3-yaml (make deps)")

profile, path = sys.argv[1], sys.argv[2]
docs = [d for d in yaml.safe_load_all(open(path)) if d]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


def by_kind(kind):
    return [d for d in docs if d["kind"] == kind]


def one(kind, name_suffix=None):
    found = [d for d in by_kind(kind)
             if name_suffix is None or d["metadata"]["name"].endswith(name_suffix)]
    check(len(found) == 1, f"exactly one {kind} {name_suffix or ''} (found {len(found)})")
    return found[0] if found else {}


def walk(node, fn, where=""):
    if isinstance(node, dict):
        for k, v in node.items():
            fn(k, v, f"{where}.{k}")
            walk(v, fn, f"{where}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk(v, fn, f"{where}[{i}]")


# Known agent options (DESIGN.md command line); the config file uses the same names.
CLI_KEYS = {"config", "host-root", "watch", "rules", "output", "output-format", "events",
            "dump", "findings", "backend", "backend-format", "backend-token-file",
            "backend-ca", "spool", "kubeconfig", "node-name", "cluster-name", "listen",
            "duration", "catalog"}

expected_kinds = {
    "default": {"ServiceAccount", "ConfigMap", "ClusterRole", "ClusterRoleBinding", "DaemonSet",
                "NetworkPolicy"},
    "token-value": {"ServiceAccount", "ConfigMap", "ClusterRole", "ClusterRoleBinding",
                    "DaemonSet", "Secret", "NetworkPolicy"},
    "all": {"ServiceAccount", "ConfigMap", "ClusterRole", "ClusterRoleBinding", "DaemonSet",
            "Service", "ServiceMonitor", "NetworkPolicy"},
}[profile]
check({d["kind"] for d in docs} == expected_kinds,
      f"rendered kinds {sorted({d['kind'] for d in docs})} == {sorted(expected_kinds)}")

# --- nothing privileged anywhere -------------------------------------------------
def no_privilege(k, v, where):
    if k in ("privileged", "hostPID", "hostNetwork", "hostIPC", "allowPrivilegeEscalation"):
        check(v is False, f"{where} is {v!r}, want false")
    if k == "add" and isinstance(v, list):
        check("SYS_ADMIN" not in v and "ALL" not in v, f"{where} adds {v}")
walk(docs, no_privilege)

ds = one("DaemonSet")
pod = ds["spec"]["template"]["spec"]
check(len(pod["containers"]) == 1, "one container")
c = pod["containers"][0]
sc = c["securityContext"]

# --- container security ------------------------------------------------------------
want_caps = ["BPF", "PERFMON", "DAC_READ_SEARCH"] + (["SYS_RESOURCE"] if profile == "all" else [])
check(sc.get("capabilities", {}).get("drop") == ["ALL"], f"capabilities.drop {sc.get('capabilities')}")
check(sc.get("capabilities", {}).get("add") == want_caps,
      f"capabilities.add {sc.get('capabilities', {}).get('add')} == {want_caps}")
check(sc.get("privileged") is False, "privileged: false is explicit")
check(sc.get("readOnlyRootFilesystem") is True, "readOnlyRootFilesystem: true")
check(sc.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation: false")
check(sc.get("runAsUser") == 0, "runAsUser: 0 (capabilities are granted to root only)")
want_seccomp = "Localhost" if profile == "all" else "RuntimeDefault"
check(pod["securityContext"]["seccompProfile"]["type"] == want_seccomp,
      f"pod seccompProfile {pod['securityContext']['seccompProfile']}")
check(pod.get("hostPID") is False and pod.get("hostNetwork") is False, "no host namespaces")
check(pod.get("automountServiceAccountToken") is True, "agent pod mounts its own SA token")

# --- volumes: host paths read-only except storage -----------------------------------
vols = {v["name"]: v for v in pod["volumes"]}
mounts = {m["name"]: m for m in c["volumeMounts"]}
check(set(vols) == set(mounts), f"every volume is mounted once: {sorted(vols)} vs {sorted(mounts)}")
host = {n: v["hostPath"]["path"] for n, v in vols.items() if "hostPath" in v}
want_host = {"/var/lib/kubelet", "/var/log/pods", "/var/log/containers", "/etc/kubernetes", "/proc",
             "/sys/fs/cgroup", "/sys/kernel/btf", "/sys/kernel/tracing",
             "/sys/devices/virtual/dmi/id", "/run/containerd/io.containerd.runtime.v2.task",
             # catalog.hostPaths: where the credential catalog looks
             "/etc/rancher", "/var/lib/rancher", "/var/lib/etcd", "/var/lib/kube-proxy",
             "/etc/ssh", "/root", "/home", "/etc/gitlab-runner"}
if profile == "all":
    want_host |= {"/root/.kube", "/home"}
    check("emptyDir" in vols["storage"] and vols["storage"]["emptyDir"]["sizeLimit"] == "2Gi",
          "storage is an emptyDir of 2Gi")
else:
    want_host |= {"/var/lib/credwatch"}
    check(vols["storage"]["hostPath"] == {"path": "/var/lib/credwatch", "type": "DirectoryOrCreate"},
          "storage is hostPath /var/lib/credwatch")
check(set(host.values()) == want_host, f"host paths {sorted(host.values())} == {sorted(want_host)}")
for name, m in mounts.items():
    if name == "storage":
        check(not m.get("readOnly"), "storage mount is writable")
        check(m["mountPath"] == "/var/lib/credwatch", "storage at /var/lib/credwatch")
    else:
        check(m.get("readOnly") is True, f"mount {name} ({m['mountPath']}) is readOnly")
    if name in host and name != "storage":
        want_at = {"/sys/kernel/tracing": "/sys/kernel/tracing",
                   "/sys/devices/virtual/dmi/id": "/host/sys/class/dmi/id"}.get(
                       host[name], "/host" + host[name])
        check(m["mountPath"] == want_at, f"{host[name]} mounted at {want_at}, not {m['mountPath']}")
    check(m.get("mountPropagation") in (None, "HostToContainer"),
          f"mount {name}: no Bidirectional propagation")
check(mounts["host-kubelet"].get("mountPropagation") == "HostToContainer",
      "kubelet dir propagates new pod mounts into the agent")
check(mounts.get("runtime-rootfs-0", {}).get("mountPropagation") == "HostToContainer",
      "the runtime's rootfs dir propagates new containers' root filesystems into the agent")

# --- the metrics port admits only the configured scrapers ---------------------------
for np in by_kind("NetworkPolicy"):
    spec = np["spec"]
    tmpl_labels = ds["spec"]["template"]["metadata"]["labels"]
    check(spec["podSelector"]["matchLabels"] == ds["spec"]["selector"]["matchLabels"] and
          all(tmpl_labels.get(k) == v for k, v in spec["podSelector"]["matchLabels"].items()),
          f"NetworkPolicy selects the agent pods: {spec['podSelector']}")
    check(spec["policyTypes"] == ["Ingress"], f"NetworkPolicy restricts ingress only: {spec['policyTypes']}")
    for rule in spec.get("ingress") or []:
        check(rule.get("ports") == [{"port": "metrics", "protocol": "TCP"}],
              f"NetworkPolicy admits the metrics port only: {rule.get('ports')}")
        check(rule.get("from"), "NetworkPolicy ingress rule names its peers (no open rule)")

# --- identity, args, env: the token is a file, never an env var ---------------------
check(c["args"] == ["--config", "/etc/credwatch/credwatch.yaml", "--host-root", "/host",
                    "--node-name", "$(NODE_NAME)"], f"args {c['args']}")
check(c.get("env") == [{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
      f"env is exactly NODE_NAME from the downward API: {c.get('env')}")
check("envFrom" not in c, "no envFrom")
def no_secret_env(k, v, where):
    check(k not in ("secretKeyRef", "secretRef") , f"{where}: a Secret reaches the environment")
walk(docs, no_secret_env)

cm = one("ConfigMap", ds["metadata"]["name"]) if profile != "all" else \
    [d for d in by_kind("ConfigMap") if d["metadata"]["name"] == ds["metadata"]["name"]][0]
cfg = yaml.safe_load(cm["data"]["credwatch.yaml"])
check(set(cfg) <= CLI_KEYS, f"config keys are agent options: {sorted(set(cfg) - CLI_KEYS)}")
check(cfg["host-root"] == "/host", "config host-root /host")
if profile == "all":	# the image's catalog first, then customCatalog's files
    check(cfg.get("catalog") == ["/etc/credwatch/catalog.d", "/etc/credwatch/catalog.custom.d"],
          f"catalog {cfg.get('catalog')}")
else:
    check("catalog" not in cfg, "no catalog key without customCatalog: the image's default")
port = c["ports"][0]["containerPort"]
check(c["ports"][0]["name"] == "metrics", "port named metrics")
check(cfg["listen"].endswith(f":{port}"), f"listen {cfg['listen']} uses containerPort {port}")

if profile == "default":
    check("backend" not in cfg and "backend-token-file" not in cfg, "no backend by default")
    check("backend-token" not in vols, "no token volume without a backend token")
    check(cfg["rules"] == ["/etc/credwatch/rules/credwatch_rules.yaml"], f"rules {cfg['rules']}")
    check(cfg["listen"] == "0.0.0.0:8080", "listen 0.0.0.0:8080")
else:
    tv = vols.get("backend-token", {}).get("secret", {})
    check(tv.get("defaultMode") == 0o400, f"token file mode 0400: {tv.get('defaultMode')}")
    check(tv.get("items") and tv["items"][0]["path"] == "token", "token file named token")
    check(mounts.get("backend-token", {}).get("mountPath") == "/etc/credwatch/secrets",
          "token mounted at /etc/credwatch/secrets")
    check(cfg.get("backend-token-file") == "/etc/credwatch/secrets/token", "backend-token-file")
    if profile == "all":
        check(tv.get("secretName") == "audit-token" and tv["items"][0]["key"] == "api-token",
              "existing Secret and key are used")
        check(cfg["backend-format"] == "falcosidekick", "backend-format")
        check(cfg["backend-ca"] == "/etc/credwatch/backend-ca/ca.crt", "backend-ca path")
        check(cfg["spool"] == "/var/lib/credwatch/spool" and cfg["dump"] == "/var/lib/credwatch/dumps",
              "spool and dump under storage")
        rules_cm = [d for d in by_kind("ConfigMap") if d["metadata"]["name"].endswith("-rules")][0]
        check(cfg["rules"] == ["/etc/credwatch/rules/credwatch_rules.yaml"] +
              [f"/etc/credwatch/rules.d/{k}" for k in sorted(rules_cm["data"])],
              f"custom rules follow the defaults: {cfg['rules']}")
        check(mounts["custom-rules"]["mountPath"] == "/etc/credwatch/rules.d", "rules.d mount")
        check(cfg["watch"] == ["/root/.kube", "/home"], "extra watch paths in config")
        check(cfg["findings"] == "-", "config.extra keys pass through")
    else:
        secret = one("Secret")
        check(secret["data"]["token"] == "czNjcjN0LXRva2Vu", "created Secret holds the token")
        check(tv.get("secretName") == secret["metadata"]["name"], "token volume uses it")
        # the value must appear only in the Secret
        for d in docs:
            if d is not secret:
                check("s3cr3t-token" not in yaml.safe_dump(d) and "czNjcjN0LXRva2Vu" not in yaml.safe_dump(d),
                      f"{d['kind']}/{d['metadata']['name']} does not contain the token")

# --- probes and resources -------------------------------------------------------------
for probe, want in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz"),
                    ("startupProbe", "/healthz")):
    p = c.get(probe, {}).get("httpGet", {})
    check(p.get("path") == want and p.get("port") == "metrics", f"{probe} GET {want} on metrics: {p}")
if profile == "default":
    want_res = {"requests": {"cpu": "100m", "memory": "128Mi"},
                "limits": {"cpu": "100m", "memory": "128Mi"}}
    check(c["resources"] == want_res, f"resources {c['resources']}")
    check(pod["tolerations"] == [{"operator": "Exists"}], "tolerates every taint by default")
    check(ds["spec"]["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
          "RollingUpdate maxUnavailable 1")
    check("priorityClassName" not in pod, "no priorityClassName by default")
else:
    check(ds["spec"]["updateStrategy"]["rollingUpdate"]["maxUnavailable"] in (1, "10%"), "maxUnavailable")

# --- RBAC: exactly get/list/watch on pods ------------------------------------------------
sa = one("ServiceAccount")
check(sa.get("automountServiceAccountToken") is False, "SA does not automount for other users")
check(pod["serviceAccountName"] == sa["metadata"]["name"], "pod uses the chart's SA")
role = one("ClusterRole")
want_rules = [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}]
if profile == "all":
    want_rules.append({"apiGroups": [""], "resources": ["nodes"], "verbs": ["get"]})
check(role["rules"] == want_rules, f"ClusterRole rules {role['rules']}")
binding = one("ClusterRoleBinding")
check(binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                             "name": role["metadata"]["name"]}, "binding refers to the role")
check(binding["subjects"] == [{"kind": "ServiceAccount", "name": sa["metadata"]["name"],
                               "namespace": sa["metadata"]["namespace"]}], "binding subject is only the SA")
check(not any(k in ("Role", "RoleBinding") for k in (d["kind"] for d in docs)), "no namespaced roles")

# --- metrics service, monitor and dashboard (all) -------------------------------------------
if profile == "all":
    pod_labels = ds["spec"]["template"]["metadata"]["labels"]
    svc = one("Service")
    check(all(pod_labels.get(k) == v for k, v in svc["spec"]["selector"].items()),
          "Service selects the agent pods")
    check(svc["spec"]["clusterIP"] == "None", "headless Service")
    sm = one("ServiceMonitor")
    check(all(svc["metadata"]["labels"].get(k) == v
              for k, v in sm["spec"]["selector"]["matchLabels"].items()), "ServiceMonitor selects the Service")
    check(sm["spec"]["endpoints"][0]["port"] == "metrics", "ServiceMonitor scrapes the metrics port")
    check(sm["metadata"]["labels"].get("release") == "kube-prometheus-stack", "ServiceMonitor labels")
    dash = [d for d in by_kind("ConfigMap") if d["metadata"]["name"].endswith("-dashboard")][0]
    check(dash["metadata"]["namespace"] == "monitoring", "dashboard namespace")
    dj = json.loads(dash["data"]["credwatch.json"])
    exprs = [t["expr"] for p in dj["panels"] for t in p.get("targets", [])]
    check(len(exprs) >= 10, "dashboard has panels")
    used = set(re.findall(r"credwatch_[a-z0-9_]+", " ".join(exprs)))
    families = set(re.findall(r'"(credwatch_[a-z0-9_]+)"', open("user/metrics.c").read()))
    check(used and used <= families, f"dashboard metrics exist in user/metrics.c: {sorted(used - families)}")
    for want in ("credwatch_events_total", "credwatch_alerts_total", "credwatch_kernel_drops_total",
                 "credwatch_backend_acked_total", "credwatch_spool_bytes"):
        check(want in used, f"dashboard shows {want}")
    check(pod["priorityClassName"] == "system-node-critical", "priorityClassName")
    check(pod["securityContext"]["appArmorProfile"] == {"type": "Unconfined"}, "appArmorProfile")

for f in failures:
    print(f"FAIL [{profile}] {f}")
print(f"check-chart [{profile}]: {len(failures)} failed")
sys.exit(1 if failures else 0)
