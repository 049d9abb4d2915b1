#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The credential catalog and `credwatch inventory` from the command line:
#   - a broken catalog file is FILE:LINE on stderr and exit 2, for
#     --list-watched, the agent (before any BPF is loaded) and the inventory;
#   - a user's catalog file is picked up without rebuilding: its entry finds
#     its file (--list-watched names the entry), a shipped entry it switches
#     off finds nothing, and a file dropped into the catalog directory counts;
#   - the inventory of a jump host with several users' kubeconfigs, an
#     over-readable key, a registry login and another user's file in a home
#     gives each its verdict; --fail-on high exits 3, --fail-on critical 0;
#   - the agent (real eBPF) writes the same findings, same ids, on that node;
#   - no output of any of it (stdout, stderr, JSON, text, -v) holds a byte
#     of a credential: every fixture credential is a unique CWMARKER line;
#   - neither the inventory nor --list-watched opens a credential at all, not
#     even O_PATH (strace: no open returns a descriptor of a CWMARKER file).
set -u
. "$(dirname "$0")/../lib/preamble.sh"	# repository root, BUILD, free_port, fail, ...
. tests/lib/fixture.sh
. tests/lib/agent.sh
. tests/lib/catalog-tree.sh
CW=$BUILD/credwatch
test_tmpdir catinv
on_exit agent_stop
ROOT=$T/root
mkdir -p "$ROOT"

# --- a broken catalog ----------------------------------------------------------
printf -- '- entry: good\n  kind: ssh\n  paths: [/x]\n- entry: bad\n  kind: ssh\n  follow: sideways\n  paths: [/y]\n' \
	>"$T/bad.yaml"
for args in "--list-watched --host-root $ROOT" "--host-root $ROOT --duration 1" \
	    "inventory --host-root $ROOT"; do
	# shellcheck disable=SC2086
	"$CW" $args --catalog "$T/bad.yaml" >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" = 2 ] || fail "credwatch $args with a broken catalog exited $rc: $(cat "$T/err")"
	grep -q "$T/bad.yaml:6: follow: one of none, entry, home, atomic-writer" "$T/err" ||
		fail "credwatch $args: no FILE:LINE error: $(cat "$T/err")"
	! grep -qi "bpf\|sensor" "$T/err" || fail "credwatch $args loaded BPF first: $(cat "$T/err")"
done
echo "ok   a broken catalog: FILE:LINE, exit 2 (list-watched, agent, inventory)"

# --- a user's entries, no rebuild ---------------------------------------------
mkdir -p "$ROOT/opt/acme" "$ROOT/home/dave"
fixture_marker >"$ROOT/opt/acme/deploy.key"
fixture_marker >"$ROOT/home/dave/.vault-token"
printf -- '- entry: acme-deploy-key\n  kind: ssh\n  paths: [/opt/acme/deploy.key]\n- entry: vault-token\n  enabled: false\n' \
	>"$T/user.yaml"
"$CW" --list-watched --host-root "$ROOT" >"$T/before" 2>"$T/err" || fail "list-watched: $(cat "$T/err")"
grep -q "^token .*vault-token .* /home/dave/.vault-token$" "$T/before" ||
	fail "the shipped vault-token entry did not find it: $(cat "$T/before")"
! grep -q /opt/acme "$T/before" || fail "found /opt/acme without the user's entry"
"$CW" --list-watched --host-root "$ROOT" --catalog catalog --catalog "$T/user.yaml" \
	>"$T/after" 2>"$T/err" || fail "list-watched with a user's catalog: $(cat "$T/err")"
grep -q "^ssh .*acme-deploy-key .* /opt/acme/deploy.key$" "$T/after" ||
	fail "the user's entry was not picked up: $(cat "$T/after")"
! grep -q vault-token "$T/after" || fail "a switched-off entry still found: $(cat "$T/after")"
# a file dropped into a catalog directory is read too
mkdir -p "$T/catalog.d" && cp catalog/*.yaml "$T/user.yaml" "$T/catalog.d/"
mv "$T/catalog.d/user.yaml" "$T/catalog.d/90-user.yaml"
"$CW" --list-watched --host-root "$ROOT" --catalog "$T/catalog.d" >"$T/dir" 2>"$T/err" ||
	fail "list-watched with a catalog dir: $(cat "$T/err")"
grep -q "acme-deploy-key .* /opt/acme/deploy.key$" "$T/dir" || fail "catalog dir: $(cat "$T/dir")"
echo "ok   a user's catalog file is picked up without rebuilding"

# --- the jump host ------------------------------------------------------------
rm -rf "$ROOT" && mkdir -p "$ROOT/etc"
catalog_tree "$ROOT" jump-host
printf 'root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/bash\nbob:x:1001:1001::/home/bob:/bin/bash\n' \
	>"$ROOT/etc/passwd"
chown -R 1000:1000 "$ROOT/home/alice"
chown -R 1001:1001 "$ROOT/home/bob"
find "$ROOT" -type f -name '*' -exec chmod 0600 {} +	# credentials as they should be...
chmod 0644 "$ROOT/etc/passwd"
chmod 0644 "$ROOT/home/alice/.ssh/id_rsa"		# over-readable key
chmod 0640 "$ROOT/home/alice/.docker/config.json"	# group can read the registry login
fixture_marker >"$ROOT/home/alice/.kube/from-bob.yaml"	# bob's file in alice's home
chown 1001:1001 "$ROOT/home/alice/.kube/from-bob.yaml"
chmod 0600 "$ROOT/home/alice/.kube/from-bob.yaml"

"$CW" inventory --host-root "$ROOT" --json --node-name jump-1 >"$T/inv.json" 2>"$T/inv.err" ||
	fail "inventory --json exited $?: $(cat "$T/inv.err")"
python3 - "$T/inv.json" <<'EOF' || fail "inventory verdicts"
import json, sys
doc = json.load(open(sys.argv[1]))
creds = {c["path"]: c for c in doc["credentials"]}
def check(path, kind, entry, verdicts, severity, user):
    c = creds.get(path)
    assert c, "missing " + path
    assert c["kind"] == kind and c["entry"] == entry, (path, c["kind"], c["entry"])
    assert c["verdicts"] == verdicts, (path, c["verdicts"])
    assert c["severity"] == severity, (path, c["severity"])
    if user:
        assert c["owner"]["type"] == "home" and c["owner"]["user"] == user, (path, c["owner"])
check("/home/alice/.kube/config", "kubeconfig", "user-kubeconfigs", [], None, "alice")
check("/home/alice/.kube/prod.yaml", "kubeconfig", "user-kubeconfigs", [], None, "alice")
check("/home/bob/.kube/config", "kubeconfig", "user-kubeconfigs", [], None, "bob")
check("/home/alice/.ssh/id_rsa", "ssh", "user-ssh-keys", ["world_readable"], "high", "alice")
check("/home/alice/.docker/config.json", "registry", "docker-config", ["group_readable"], "medium", "alice")
check("/home/alice/.kube/from-bob.yaml", "kubeconfig", "user-kubeconfigs",
      ["owned_by_another_user"], "high", "alice")
assert creds["/home/alice/.kube/from-bob.yaml"]["user"] == "bob"
assert creds["/home/alice/.kube/from-bob.yaml"]["watched"] is False
for path in ["/home/alice/.ssh/id_rsa.pub", "/home/alice/.ssh/known_hosts",
             "/home/alice/.kube/cache/discovery/10.0.0.1_6443/servergroups.json"]:
    assert path not in creds, "public " + path
types = sorted(f["type"] for f in doc["findings"])
assert types == ["exposed_host_credential", "exposed_host_credential",
                 "foreign_owned_credential"], types
for f in doc["findings"]:
    assert f["id"].startswith("cwf-") and f["node"] == "jump-1", f
    assert f["resource"]["path"] in creds, f
    assert f["id"] in creds[f["resource"]["path"]]["findings"], f
EOF
"$CW" inventory --host-root "$ROOT" --fail-on high >"$T/inv.txt" 2>"$T/inv.txt.err"
rc=$?
[ "$rc" = 3 ] || fail "--fail-on high exited $rc, expected 3: $(cat "$T/inv.txt.err")"
"$CW" inventory --host-root "$ROOT" --fail-on critical -v >"$T/inv2.txt" 2>"$T/inv2.err"
rc=$?
[ "$rc" = 0 ] || fail "--fail-on critical exited $rc, expected 0: $(cat "$T/inv2.err")"
grep -q "owned by uid 1001, not by the home's owner" "$T/inv2.err" ||
	fail "-v does not log the refusal: $(cat "$T/inv2.err")"
"$CW" inventory --fail-on sometimes >/dev/null 2>"$T/e"; rc=$?
[ "$rc" = 2 ] && grep -q "fail-on: 'sometimes'" "$T/e" || fail "bad --fail-on: $rc $(cat "$T/e")"
"$CW" inventory --bogus >/dev/null 2>"$T/e"; rc=$?
[ "$rc" = 2 ] && grep -q "unknown option '--bogus'" "$T/e" || fail "bad option: $rc $(cat "$T/e")"
"$CW" inventory --help >"$T/h" 2>&1 && grep -q -- "--fail-on SEVERITY" "$T/h" || fail "--help"
echo "ok   inventory of a jump host: verdicts, --fail-on, usage errors"

# --- the agent's findings are the inventory's ---------------------------------
need_tracefs
agent_start "$T/agent" --host-root "$ROOT" --node-name jump-1 --output /dev/null \
	--findings "$T/agent-findings.ndjson" --findings-interval 1 --state-dir "$T/state"
agent_stop || fail "agent exit: $(tail -3 "$AGENT_ERR")"
python3 - "$T/inv.json" "$T/agent-findings.ndjson" <<'EOF' || fail "agent and inventory differ"
import json, sys
inv = {(f["type"], f["id"]) for f in json.load(open(sys.argv[1]))["findings"]}
agent = {(f["type"], f["id"]) for f in map(json.loads, open(sys.argv[2]))
         if f["status"] == "open"}
assert inv and inv <= agent, (sorted(inv - agent), sorted(agent))
EOF
echo "ok   the agent's findings on that node have the inventory's types and ids"

# --- never a credential's bytes -----------------------------------------------
for f in "$T"/inv* "$T/before" "$T/after" "$T/dir" "$T/agent-findings.ndjson" "$T/agent.stderr"; do
	if grep -q CWMARKER "$f"; then fail "$f holds a credential's bytes"; fi
done
echo "ok   no output holds a credential (CWMARKER)"

# --- never a credential opened ------------------------------------------------
for args in "inventory --json" "--list-watched"; do
	# shellcheck disable=SC2086
	# LeakSanitizer cannot run under ptrace: the sanitizer stage's build skips it here
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	strace -f -qq -y -o "$T/strace" -e trace=open,openat,openat2,creat,open_by_handle_at \
		"$CW" $args --host-root "$ROOT" >/dev/null 2>"$T/strace.err" ||
		fail "strace credwatch $args: $(cat "$T/strace.err")"
	python3 - "$T/strace" "$ROOT" <<'EOF' || fail "credwatch $args opened a credential"
import re, sys
trace, root = sys.argv[1], sys.argv[2]
opened, bad = 0, []
for line in open(trace, errors="replace"):
    m = re.search(r"\) = \d+<(.*)>$", line.rstrip("\n"))
    if not m:
        continue
    opened += 1
    path = m.group(1)
    if not path.startswith(root + "/"):
        continue
    try:
        with open(path, "rb") as f:
            if b"CWMARKER" in f.read(4096):
                bad.append(line.strip())
    except (IsADirectoryError, PermissionError, FileNotFoundError):
        pass
assert opened > 10, "strace saw %d opens: is it tracing?" % opened
assert not bad, "\n".join(bad[:5])
EOF
done
echo "ok   neither the inventory nor discovery opens a credential (strace)"
echo "test_catalog_inventory: ok"
