#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Attack: a local user on a jump host points the places discovery looks at
# in their own home somewhere else, to make the agent watch what they choose:
#   ~/.kube/config   -> /etc/ld.so.cache        every dynamically linked program
#   ~/.kube/prod.yaml -> ../../../../etc/ld.so.cache   start would be an event
#   ~/.config/gcloud -> /usr/share              60,000 unrelated files as cloud
#   ~/.kube/configs  -> /usr/share              credentials, filling the map
# and piles 3,000 files into ~/.kube/config.d to fill it from inside the home,
# and plants a kubeconfig of their own in alice's ~/.kube (left writable by
# her group) for the agent to watch as hers.
# Real agent, real eBPF; the host's real /etc/ld.so.cache is bind-mounted into
# the fixture root (in this script's own mount namespace), so a program's
# open of it is exactly the open the attack wants reported. An honest user's
# kubeconfig, and one behind a link inside her own home, must stay watched.
# Defence: discovery resolves every catalog path inside --host-root and
# follows a user's links only to files of the same home
# (user/discovery/safepath.c, SAFEPATH_FOLLOW_WITHIN), and bounds files per
# catalog entry and home (user/discovery/catalog_scan.c, max); a file under a home
# counts only if the home's owner or root owns it (catalog_scan.c consider()).
# Each refusal is a finding while it lasts (discovery_refused,
# foreign_owned_credential). To watch it fail:
# in resolve() of user/discovery/safepath.c remove the check
# `if (followed && !is_within(w->logical, within)) return -EXDEV;` - then
# ld.so.cache and /usr/share files enter the map and starting /bin/true is
# an event; or in consider() of user/discovery/catalog_scan.c remove the owner
# check (`res.st.st_uid != s->t->uid && res.st.st_uid != 0`) - then the
# planted file is watched as alice's.
set -eu
. "$(dirname "$0")/../lib/preamble.sh"	# repository root, BUILD, free_port, fail, ...
. tests/lib/fixture.sh
. tests/lib/agent.sh
. tests/lib/kubelet.sh
kubelet_isolate "$@"
need_tracefs
[ -x "$BUILD/itests/watched" ] || make -s "$BUILD/itests/watched" >/dev/null
WATCHED=$BUILD/itests/watched

test_tmpdir rt-homelink
ROOT=$T/node
cleanup() {
	set +e
	agent_stop
	umount "$ROOT/etc/ld.so.cache" 2>/dev/null
}
on_exit cleanup

# The node: the real ld.so.cache inode at /etc/ld.so.cache of the fixture root
mkdir -p "$ROOT/etc" "$ROOT/usr/share"
: >"$ROOT/etc/ld.so.cache"
mount --bind /etc/ld.so.cache "$ROOT/etc/ld.so.cache"
printf 'root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\nmallory:x:1001:1001::/home/mallory:/bin/sh\n' \
	>"$ROOT/etc/passwd"
# /usr/share: 60,000 files, among them names the gcloud entry looks for
python3 - "$ROOT/usr/share" <<'EOF'
import os, sys
base = sys.argv[1]
for d in range(100):
    p = os.path.join(base, "pkg%03d" % d, "doc")
    os.makedirs(p)
    for f in range(600):
        open(os.path.join(p, "f%03d" % f), "w").close()
for name in ["credentials.db", "access_tokens.db", "application_default_credentials.json",
             "config", "prod.yaml"]:
    open(os.path.join(base, name), "w").write("not a credential\n")
EOF

# The honest user
mkdir -p "$ROOT/home/alice/.kube" "$ROOT/home/alice/dotfiles"
fixture_marker >"$ROOT/home/alice/.kube/config"
fixture_marker >"$ROOT/home/alice/dotfiles/staging.yaml"
ln -s ../dotfiles/staging.yaml "$ROOT/home/alice/.kube/staging.yaml"
chown -R 1000:1000 "$ROOT/home/alice"
chmod -R go-rwx "$ROOT/home/alice"
chmod g+rwx "$ROOT/home/alice/.kube"	# shared with her team: mallory is in it

# The attacker, in their own home
M=$ROOT/home/mallory
mkdir -p "$M/.kube/config.d" "$M/.config"
ln -s /etc/ld.so.cache "$M/.kube/config"
ln -s ../../../../../../../../etc/ld.so.cache "$M/.kube/prod.yaml"
ln -s /usr/share "$M/.config/gcloud"
ln -s /usr/share "$M/.kube/configs"
python3 -c '
import sys
for i in range(3000):
    open("%s/f%04d.yaml" % (sys.argv[1], i), "w").close()' "$M/.kube/config.d"
chown -R -h 1001:1001 "$M"
fixture_marker >"$ROOT/home/alice/.kube/team.yaml"	# mallory's, pointing at her server
chown 1001:1001 "$ROOT/home/alice/.kube/team.yaml"

HPORT=$(free_port)
agent_start "$T/agent" --host-root "$ROOT" --events "$T/events.ndjson" --output "$T/alerts.json" \
	--listen "127.0.0.1:$HPORT" --findings "$T/findings.ndjson" --findings-interval 1 \
	--state-dir "$T/state"

# 1. the honest user's credentials are watched, the link inside her home too
"$WATCHED" "$AGENT_PID" has "$ROOT/home/alice/.kube/config" "$ROOT/home/alice/.kube/staging.yaml" ||
	fail "the honest user's kubeconfigs are not watched"
# 2. nothing the attacker pointed at is
"$WATCHED" "$AGENT_PID" lacks -t 0 /etc/ld.so.cache "$ROOT/usr/share/credentials.db" \
	"$ROOT/usr/share/access_tokens.db" "$ROOT/usr/share/prod.yaml" \
	"$ROOT/usr/share/pkg000/doc/f000" "$ROOT/usr/share/pkg099/doc/f599" ||
	fail "discovery followed the attacker's links out of their home"
"$WATCHED" "$AGENT_PID" lacks -t 0 "$ROOT/home/alice/.kube/team.yaml" ||
	fail "a file mallory planted in alice's home is watched as alice's"
# 3. the map stays small: 2 + at most the entry's bound from config.d
n=$("$WATCHED" "$AGENT_PID" count)
[ "$n" -le 300 ] || fail "$n credentials watched: the attacker's files fill the map"
# 4. each refusal is reported once, naming the catalog entry
for p in "$M/.kube/config" "$M/.kube/prod.yaml" "$M/.config/gcloud" "$M/.kube/configs"; do
	grep -q "catalog entry '.*': ${p#"$ROOT"}[^:]*: a symlink .* leads out of where the entry may follow it" \
		"$AGENT_ERR" || fail "no refusal logged for ${p#"$ROOT"}: $(grep refus "$AGENT_ERR")"
done
grep -q "catalog entry 'user-kubeconfigs': in home /home/mallory: 2744 more files than the entry's max of 256: not watched" \
	"$AGENT_ERR" || fail "the entry's bound was not reported"
v=$(agent_metric_reaches "$HPORT" 'credwatch_discovery_refused_total{reason="outside"}' 4) ||
	fail "credwatch_discovery_refused_total{reason=\"outside\"}: $v"
v=$(agent_metric_reaches "$HPORT" 'credwatch_discovery_refused_total{reason="entry_bound"}' 2744) ||
	fail "credwatch_discovery_refused_total{reason=\"entry_bound\"}: $v"

# 5. starting dynamically linked programs is no event; a read of alice's kubeconfig is
ldino=$(stat -L -c %i /etc/ld.so.cache)
for _ in $(seq 20); do /bin/true; done
cat "$ROOT/home/alice/.kube/config" >/dev/null
for _ in $(seq 300); do
	grep -q '"cred.path":"/home/alice/.kube/config"' "$T/events.ndjson" 2>/dev/null && break
	sleep 0.1
done
grep -q '"cred.path":"/home/alice/.kube/config"' "$T/events.ndjson" ||
	fail "the control read of alice's kubeconfig never became an event"
if grep -q "\"fd.ino\":$ldino[,}]" "$T/events.ndjson"; then
	fail "a program's open of /etc/ld.so.cache was reported: $(grep -c "\"fd.ino\":$ldino" "$T/events.ndjson") events"
fi
agent_stop || fail "the agent did not exit cleanly: $(tail -3 "$AGENT_ERR")"

# 6. each refusal is an open finding: links out of the home, the bound, the planted file
python3 - "$T/findings.ndjson" <<'EOF' || fail "refusal findings: $(cat "$T/findings.ndjson")"
import json, sys
last = {}
for line in open(sys.argv[1]):
    f = json.loads(line)
    last[f["id"]] = f
opened = [f for f in last.values() if f["status"] == "open"]
def has(type_, path, **ev):	# path, or a directory above it ending in "/"
    for f in opened:
        p = f["resource"]["path"]
        if f["type"] == type_ and (p == path or path.endswith("/") and p.startswith(path)) \
           and all(f["evidence"].get(k) == v for k, v in ev.items()):
            return f
    raise AssertionError("no open %s for %s %s" % (type_, path, ev))
for p in ["/home/mallory/.kube/config", "/home/mallory/.kube/prod.yaml",
          "/home/mallory/.config/gcloud/", "/home/mallory/.kube/configs"]:
    has("discovery_refused", p, reason="outside", watched=False)
has("discovery_refused", "/home/mallory/", reason="entry_bound", catalog_entry="user-kubeconfigs")
f = has("foreign_owned_credential", "/home/alice/.kube/team.yaml", uid=1001, home_uid=1000)
assert f["severity"] == "high", f
EOF
echo "test_home_symlink_escape: ok ($n watched; /usr/share, ld.so.cache refused)"
