#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""chart-ctr.py - run the chart's DaemonSet the way the kubelet and
containerd's CRI plugin would, with `ctr run`: translate the rendered pod
spec into ctr options, one per line (read them with `mapfile -t`).

  chart-ctr.py RENDERED.yaml --image REF --id CID --cgroup-parent /kubepods
      --netns PATH --volumes DIR --sa-dir DIR --log-uri URI
      --host PATH=NODEPATH ... --env NAME=VALUE ... --node-name NAME

What is translated, field by field (anything else in the container or pod
spec makes it fail, so a chart change cannot silently escape the test):
  securityContext.capabilities  drop ALL + add: every other capability is
                                dropped (--cap-drop each, --cap-add the rest);
                                runc then sets bounding, permitted, effective
                                exactly to the added set
  readOnlyRootFilesystem        --read-only
  allowPrivilegeEscalation      false: ctr's default no_new_privs (true: fail)
  privileged                    false (true: fail)
  runAsUser/runAsGroup 0        the image's user is 0:0 (anything else: fail)
  seccompProfile RuntimeDefault --seccomp (containerd's default profile, the
                                CRI's RuntimeDefault)
  hostPID / hostNetwork         --with-ns pid:/proc/1/ns/pid / --net-host;
                                otherwise the pod's network namespace --netns
  resources.limits              --memory-limit, --cpu-quota/--cpu-period
  QoS class                     the cgroup: <parent>[/burstable|/besteffort]/pod<uid>/<cid>
  env (value, fieldRef)         --env; spec.nodeName = --node-name
  args with $(VAR)              expanded from env, as the kubelet does
  hostPath volumes              bind mounts of --host PATH=NODEPATH (the
                                test's node tree for kubelet dirs, the real
                                ones for /proc, /sys/...), readOnly -> ro,
                                mountPropagation HostToContainer -> rslave,
                                Bidirectional -> rshared, none -> rprivate
  configMap/secret volumes      files under --volumes DIR/<volume>/ (written
                                by the caller from the rendered objects with
                                --write-volumes), items and subPath honoured
  automountServiceAccountToken  --sa-dir bound at
                                /var/run/secrets/kubernetes.io/serviceaccount
  chart-ctr.py RENDERED.yaml --write-volumes DIR   writes those files

Prints the pod uid it chose on stderr as "pod-uid UID".
"""
import argparse
import base64
import os
import re
import sys
import uuid

import yaml

# Every capability this kernel knows (linux/capability.h, 0..40).
ALL_CAPS = """CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP
LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER
SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE
SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP
MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF
CHECKPOINT_RESTORE""".split()
PROPAGATION = {None: "rprivate", "None": "rprivate", "HostToContainer": "rslave",
               "Bidirectional": "rshared"}


def die(msg):
    sys.exit("chart-ctr: " + msg)


def docs_of(path):
    return [d for d in yaml.safe_load_all(open(path)) if d]


def find(docs, kind, name=None):
    for d in docs:
        if d["kind"] == kind and (name is None or d["metadata"]["name"] == name):
            return d
    die(f"no {kind} {name or ''} in the rendered chart")


def write_volumes(docs, out):
    """Each configMap/secret volume of the DaemonSet as files, as the kubelet projects them."""
    pod = find(docs, "DaemonSet")["spec"]["template"]["spec"]
    for v in pod["volumes"]:
        src = v.get("configMap") or v.get("secret")
        if not src:
            continue
        obj = find(docs, "ConfigMap" if "configMap" in v else "Secret",
                   src.get("name") or src.get("secretName"))
        data = dict(obj.get("data") or {})
        if obj["kind"] == "Secret":
            data = {k: base64.b64decode(x).decode() for k, x in data.items()}
            data.update(obj.get("stringData") or {})
        items = src.get("items") or [{"key": k, "path": k} for k in data]
        d = os.path.join(out, v["name"])
        os.makedirs(d, exist_ok=True)
        for it in items:
            p = os.path.join(d, it["path"])
            with open(p, "w") as f:
                f.write(data[it["key"]])
            os.chmod(p, src.get("defaultMode", 0o644))


def qos(resources):
    req, lim = resources.get("requests") or {}, resources.get("limits") or {}
    if not req and not lim:
        return "besteffort"
    if lim.get("cpu") and lim.get("memory") and all(req.get(k, lim[k]) == lim[k] for k in lim):
        return "guaranteed"
    return "burstable"


def cpu_millis(q):
    return int(q[:-1]) if str(q).endswith("m") else int(float(q) * 1000)


def mem_bytes(q):
    units = {"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "K": 10**3, "M": 10**6, "G": 10**9}
    m = re.fullmatch(r"(\d+)([KMG]i?)?", str(q))
    if not m:
        die(f"memory quantity {q!r}")
    return int(m.group(1)) * units.get(m.group(2), 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rendered")
    ap.add_argument("--write-volumes")
    ap.add_argument("--image")
    ap.add_argument("--id")
    ap.add_argument("--cgroup-parent", default="/kubepods")
    ap.add_argument("--pod-uid")
    ap.add_argument("--netns")
    ap.add_argument("--volumes")
    ap.add_argument("--sa-dir")
    ap.add_argument("--log-uri")
    ap.add_argument("--node-name", default="node-1")
    ap.add_argument("--host", action="append", default=[], help="PATH=NODEPATH")
    ap.add_argument("--env", action="append", default=[], help="NAME=VALUE the kubelet adds")
    a = ap.parse_args()
    docs = docs_of(a.rendered)
    if a.write_volumes:
        write_volumes(docs, a.write_volumes)
        return
    ds = find(docs, "DaemonSet")
    pod = ds["spec"]["template"]["spec"]
    if len(pod["containers"]) != 1 or pod.get("initContainers"):
        die("one container, no init containers expected")
    c = pod["containers"][0]
    sc = c.get("securityContext") or {}
    out = []

    known_pod = {"serviceAccountName", "automountServiceAccountToken", "hostPID", "hostNetwork",
                 "hostIPC", "enableServiceLinks", "terminationGracePeriodSeconds",
                 "securityContext", "tolerations", "containers", "volumes", "priorityClassName",
                 "nodeSelector", "affinity", "imagePullSecrets"}
    extra = set(pod) - known_pod
    if extra:
        die(f"pod spec fields this translation does not know: {sorted(extra)}")
    known_ctr = {"name", "image", "imagePullPolicy", "args", "env", "ports", "securityContext",
                 "resources", "startupProbe", "livenessProbe", "readinessProbe", "volumeMounts"}
    extra = set(c) - known_ctr
    if extra:
        die(f"container fields this translation does not know: {sorted(extra)}")

    # --- security context ---------------------------------------------------------
    if sc.get("privileged"):
        die("privileged container")
    if sc.get("allowPrivilegeEscalation", True):
        out.append("--allow-new-privs")
    if sc.get("readOnlyRootFilesystem"):
        out.append("--read-only")
    if sc.get("runAsUser", 0) != 0 or sc.get("runAsGroup", 0) != 0:
        die("runAsUser/runAsGroup other than 0: the image's user is 0:0")
    caps = sc.get("capabilities") or {}
    if caps.get("drop") != ["ALL"]:
        die(f"capabilities.drop {caps.get('drop')}: expected [ALL]")
    add = [x.upper().removeprefix("CAP_") for x in caps.get("add") or []]
    for cap in ALL_CAPS:
        out += ["--cap-add" if cap in add else "--cap-drop", "CAP_" + cap]
    seccomp = (pod.get("securityContext") or {}).get("seccompProfile", {}).get("type")
    if seccomp == "RuntimeDefault":
        out.append("--seccomp")
    elif seccomp not in (None, "Unconfined"):
        die(f"seccompProfile {seccomp}")
    # --- namespaces ----------------------------------------------------------------
    if pod.get("hostPID"):
        out += ["--with-ns", "pid:/proc/1/ns/pid"]
    if pod.get("hostIPC"):
        out += ["--with-ns", "ipc:/proc/1/ns/ipc"]
    if pod.get("hostNetwork"):
        out.append("--net-host")
    else:
        out += ["--with-ns", "network:" + a.netns]
    # --- resources and cgroup ---------------------------------------------------------
    res = c.get("resources") or {}
    lim = res.get("limits") or {}
    if "memory" in lim:
        out += ["--memory-limit", str(mem_bytes(lim["memory"]))]
    if "cpu" in lim:
        out += ["--cpu-period", "100000", "--cpu-quota", str(cpu_millis(lim["cpu"]) * 100)]
    uid = a.pod_uid or str(uuid.uuid4())
    q = qos(res)
    parent = a.cgroup_parent + ("" if q == "guaranteed" else "/" + q)
    out += ["--cgroup", f"{parent}/pod{uid}/{a.id}"]
    print(f"pod-uid {uid}", file=sys.stderr)
    # --- environment and arguments ---------------------------------------------------
    env = {}
    for e in c.get("env") or []:
        if "value" in e:
            env[e["name"]] = e["value"]
        elif e.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "spec.nodeName":
            env[e["name"]] = a.node_name
        else:
            die(f"env {e['name']}: source not translated")
    for kv in a.env:
        k, v = kv.split("=", 1)
        env.setdefault(k, v)
    for k, v in env.items():
        out += ["--env", f"{k}={v}"]
    # --- mounts ---------------------------------------------------------------------
    hosts = dict(h.split("=", 1) for h in a.host)
    vols = {v["name"]: v for v in pod["volumes"]}
    for m in c.get("volumeMounts") or []:
        v = vols[m["name"]]
        ro = bool(m.get("readOnly"))
        prop = PROPAGATION[m.get("mountPropagation")]
        if "hostPath" in v:
            p = v["hostPath"]["path"]
            src = hosts.get(p)
            if src is None:
                die(f"hostPath {p}: no --host {p}=... given")
            t = v["hostPath"].get("type", "")
            if t == "DirectoryOrCreate":
                os.makedirs(src, exist_ok=True)
            elif not os.path.exists(src):
                if t:
                    die(f"hostPath {p} ({src}) missing and type {t}")
                continue	# type "": kubelet does not check; runc would fail. Absent here.
        elif "configMap" in v or "secret" in v:
            src = os.path.join(a.volumes, m["name"])
        elif "emptyDir" in v:
            src = os.path.join(a.volumes, m["name"])
            os.makedirs(src, exist_ok=True)
        else:
            die(f"volume {m['name']}: kind not translated")
        if m.get("subPath"):
            src = os.path.join(src, m["subPath"])
        opts = ["rbind", prop, "ro" if ro else "rw"]
        out += ["--mount", f"type=bind,src={src},dst={m['mountPath']},options={':'.join(opts)}"]
    if pod.get("automountServiceAccountToken"):
        out += ["--mount", f"type=bind,src={a.sa_dir},"
                "dst=/var/run/secrets/kubernetes.io/serviceaccount,options=rbind:rprivate:ro"]
    out += ["--log-uri", a.log_uri, a.image, a.id]
    # the entrypoint is the image's; args expand $(VAR) from the environment
    out.append("/usr/bin/credwatch")
    for arg in c.get("args") or []:
        out.append(re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda mo: env.get(mo.group(1), mo.group(0)), arg))
    for o in out:
        if "\n" in o:
            die(f"argument with a newline: {o!r}")
        print(o)


if __name__ == "__main__":
    main()
