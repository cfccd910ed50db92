#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The D-Bus API driven with busctl on a private bus, as an admin would: every property, every
# method, the signals, introspection, the errors, and the same mutating calls as an
# unprivileged user. The daemon runs for real in its own network namespace (nftables there) and
# a peer namespace sends real traffic over a veth pair.
set -euo pipefail
daemon=$1 src=$2
source "$(dirname "$0")/../lib/harness.sh"
pc_init "${PC_TEST_NAME:-api-busctl}"
pc_require nft python3 setpriv dbus-daemon dbus-send busctl
tmp=$PC_TMP
ok() { pc_log "ok: $*"; }

# --- network: box 198.18.0.1 <-> peer 198.18.0.2 over a veth pair
pc_setup_netns

# --- a private system-like bus with our policy file installed
mkdir -p "$tmp/state"
bus_template=$src/tests/integration/api/private-bus.conf.in
pc_start_bus "$bus_template" "$src/conf/dbus/org.portcullis1.conf"
addr=$PC_BUS_ADDRESS
B=(busctl --address="$addr")
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)

write_config() {
    cat >"$tmp/p.toml" <<CFG
mode = "enforce"
bus = "$addr"
catalog_dirs = ["$src/conf/catalog.d"]
state_dir = "$tmp/state"
[systemd]
enabled = false
[always]
services = ["ssh"]
CFG
}
write_config

start_daemon() {
    # nsenter execs the daemon: the pid tracked is the daemon's own. Both runs log to daemon.log.
    pc_spawn --append daemon nsenter --net="/run/netns/$PC_NETNS" -- "$daemon" --config "$tmp/p.toml"
    daemon_pid=$PC_LAST_PID
    for _ in $(seq 100); do
        "${B[@]}" get-property org.portcullis1 /org/portcullis1 org.portcullis1.Manager Generation \
            >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    pc_fail "daemon did not come up on the bus"
}
# A clean stop exits 0 (under the sanitizer build that includes "no leaks").
stop_daemon() { pc_stop "$daemon_pid" TERM || pc_fail "the daemon exited with status $? on SIGTERM"; }

M=(org.portcullis1 /org/portcullis1 org.portcullis1.Manager)
prop() { "${B[@]}" --json=short get-property "${M[@]}" "$1" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["data"]))'; }
call() { "${B[@]}" --json=short call "${M[@]}" "$@" | python3 -c 'import json,sys; d=json.load(sys.stdin)["data"]; print(json.dumps(d))'; }
dbus_error() { # AS PATH IFACE.METHOD ARGS...: the error NAME of a call made with dbus-send
    local as=$1; shift
    local run=()
    [ "$as" = nobody ] && run=("${NOBODY[@]}")
    { "${run[@]}" dbus-send --bus="$addr" --print-reply --reply-timeout=5000 \
        --dest=org.portcullis1 "$@" 2>&1 || true; } | sed -n 's/^Error \([^:]*\):.*/\1/p'
}
nftset() { pc_in_box nft -j list set inet portcullis "$1" | python3 -c '
import json, sys
out = []
for o in json.load(sys.stdin)["nftables"]:
    for e in o.get("set", {}).get("elem", []):
        r = e["range"] if isinstance(e, dict) else None
        out.append("%s-%s" % (r[0], r[1]) if r else str(e))
print(" ".join(out))'; }

start_daemon
catalog_size=$("$daemon" --print-catalog --config "$tmp/p.toml" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
version=$("$daemon" --version | awk '{print $2}')

# --- every property
[ "$(prop Version)" = "\"$version\"" ] || pc_fail "Version $(prop Version)"
[ "$(prop Mode)" = '"enforce"' ] || pc_fail "Mode"
[ "$(prop Generation)" = 1 ] || pc_fail "Generation $(prop Generation)"
[ "$(prop CatalogSize)" = "$catalog_size" ] || pc_fail "CatalogSize $(prop CatalogSize) != $catalog_size"
[ "$(prop EnabledServices)" = '["ssh"]' ] || pc_fail "EnabledServices $(prop EnabledServices)"
[ "$(prop OpenPorts)" = '[["any", "tcp", 22, 22]]' ] || pc_fail "OpenPorts $(prop OpenPorts)"
[ "$(prop LastError)" = '""' ] || pc_fail "LastError"
[ "$(prop Backend)" = '"nftables"' ] || pc_fail "Backend"
dropped0=$(prop Dropped)
ok "properties: Version $version, $catalog_size services, Dropped $dropped0"

# --- tree and introspection
tree=$("${B[@]}" tree --list org.portcullis1)
n=$(grep -c '^/org/portcullis1/service/' <<<"$tree")
[ "$n" -eq "$catalog_size" ] || pc_fail "tree lists $n service objects, want $catalog_size"
grep -qx /org/portcullis1/service/ds_2daudio <<<"$tree" || pc_fail "escaped path for ds-audio missing"
"${B[@]}" introspect org.portcullis1 /org/portcullis1 | grep -q '^\.Applied *signal *tasas' || pc_fail "Applied not introspected"
intro=$("${B[@]}" introspect org.portcullis1 /org/portcullis1/service/smb)
for p in Id Name Vendor Category Ports OptionalPorts Units Packages Zones Open Reason SetOverride; do
    grep -q "^\.$p " <<<"$intro" || pc_fail "service introspection lacks $p"
done
S=(org.portcullis1 /org/portcullis1/service/smb org.portcullis1.Service)
[ "$("${B[@]}" get-property "${S[@]}" Id)" = 's "smb"' ] || pc_fail "smb Id"
[ "$("${B[@]}" get-property "${S[@]}" Open)" = 'b false' ] || pc_fail "smb Open"
# The introspection data checked into conf/dbus/ is what the daemon serves.
"${B[@]}" introspect --xml-interface org.portcullis1 /org/portcullis1 >"$tmp/manager.xml"
"${B[@]}" introspect --xml-interface org.portcullis1 /org/portcullis1/service/ssh >"$tmp/service.xml"
# conf/dbus/*.xml is what the daemon serves plus what sd-bus cannot serve: the licence line, a
# DocString on every member and the Privileged mark on the root-only methods. Take those away
# and the rest must be exactly what busctl sees.
served() {
    grep -v -e '^<!-- SPDX-License-Identifier' -e 'org.freedesktop.DBus.DocString' \
        -e 'org.freedesktop.systemd1.Privileged' "$1"
}
diff -u <(served "$src/conf/dbus/org.portcullis1.Manager.xml") "$tmp/manager.xml" ||
    pc_fail "manager introspection differs from conf/dbus/org.portcullis1.Manager.xml"
diff -u <(served "$src/conf/dbus/org.portcullis1.Service.xml") "$tmp/service.xml" ||
    pc_fail "service introspection differs from conf/dbus/org.portcullis1.Service.xml"
# Every method that needs root says so in the checked-in interface description.
for m in SetOverride Reload SetOverrideConfirmed ReloadConfirmed Confirm; do
    sed -n "/<method name=\"$m\">/,/<\/method>/p" "$src/conf/dbus/org.portcullis1.Manager.xml" |
        grep -q 'org.freedesktop.systemd1.Privileged' || pc_fail "Manager.$m lacks the Privileged annotation"
done
ok "tree ($n objects) and introspection"

# --- ListServices
ls_json=$(call ListServices)
python3 - "$ls_json" "$catalog_size" <<'PY'
import json, sys
rows = json.loads(sys.argv[1])[0]
assert len(rows) == int(sys.argv[2]), len(rows)
ssh = [r for r in rows if r[0] == "ssh"][0]
assert ssh[3] is True and ssh[4] == "always", ssh
assert all(len(r) == 5 for r in rows)
PY
ok "ListServices"

# --- signals: watch the bus while an admin opens smb
# (stderr apart: monitor.log must hold nothing but the JSON messages)
pc_spawn monitor sh -c 'exec "$@" 2>/dev/null' sh "${B[@]}" --json=short monitor --match "sender=org.portcullis1"
mon=$PC_LAST_PID
sleep 0.5
"${B[@]}" call "${S[@]}" SetOverride s open
[ "$(nftset any_tcp)" = "22 139 445" ] || pc_fail "after opening smb, any_tcp is '$(nftset any_tcp)'"
"${B[@]}" call "${M[@]}" SetOverride ss smb open # no change: no signal
sleep 0.5
pc_stop "$mon" || true
python3 - "$tmp/monitor.log" <<'PY'
import json, sys
msgs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
sigs = [m for m in msgs if m.get("type") == "signal"]
applied = [m for m in sigs if m["member"] == "Applied"]
assert len(applied) == 1, applied
gen, opened, closed = applied[0]["payload"]["data"]
assert (gen, opened, closed) == (2, ["smb"], []), applied[0]["payload"]
pc = [m for m in sigs if m["member"] == "PropertiesChanged" and m["path"] == "/org/portcullis1"]
assert len(pc) == 1, f"{len(pc)} PropertiesChanged on the manager, want exactly 1"
changed = pc[0]["payload"]["data"][1]
assert set(changed) == {"Generation", "EnabledServices", "OpenPorts"}, changed
svc = [m for m in sigs if m["member"] == "PropertiesChanged" and m["path"] == "/org/portcullis1/service/smb"]
assert len(svc) == 1 and set(svc[0]["payload"]["data"][1]) == {"Open", "Reason"}, svc
others = [m for m in sigs if m["member"] == "PropertiesChanged" and m["path"] not in
          ("/org/portcullis1", "/org/portcullis1/service/smb")]
assert not others, others
print("signals:", len(sigs))
PY
ok "Applied and PropertiesChanged once per transaction, none when nothing changed"

# --- a burst: every change is Applied, PropertiesChanged is paced (at most one per 50 ms
# after the first two) and its last one carries the final values
pc_spawn monitor-burst sh -c 'exec "$@" 2>/dev/null' sh "${B[@]}" --json=short monitor --match "sender=org.portcullis1"
mon=$PC_LAST_PID
sleep 0.5
t0=$(date +%s%N)
for i in $(seq 1 20); do
    if [ $((i % 2)) = 1 ]; then state=closed; else state=open; fi
    "${B[@]}" call "${M[@]}" SetOverride ss smb "$state"
done
burst_ms=$((($(date +%s%N) - t0) / 1000000))
sleep 0.5
pc_stop "$mon" || true
[ "$(nftset any_tcp)" = "22 139 445" ] || pc_fail "after the burst (ending on open), any_tcp is '$(nftset any_tcp)'"
python3 - "$tmp/monitor-burst.log" "$burst_ms" <<'PY'
import json, sys
msgs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
burst_ms = int(sys.argv[2])
sigs = [m for m in msgs if m.get("type") == "signal"]
applied = [m for m in sigs if m["member"] == "Applied"]
assert len(applied) == 20, f"{len(applied)} Applied for 20 changes"
pc = [m for m in sigs if m["member"] == "PropertiesChanged" and m["path"] == "/org/portcullis1"]
most = 2 + burst_ms // 50 + 2
assert 1 <= len(pc) <= min(most, 19), f"{len(pc)} PropertiesChanged for 20 changes in {burst_ms} ms (at most {most})"
last = pc[-1]["payload"]["data"][1]
assert "smb" in last["EnabledServices"]["data"], last["EnabledServices"]
assert last["Generation"]["data"] == applied[-1]["payload"]["data"][0], (last["Generation"], applied[-1])
print(f"20 changes in {burst_ms} ms: {len(pc)} PropertiesChanged on the manager")
PY

# --- Explain
[ "$(call Explain sq tcp 445)" = '[[["any", "smb", "override"]]]' ] || pc_fail "Explain 445: $(call Explain sq tcp 445)"
[ "$(call Explain sq tcp 22)" = '[[["any", "ssh", "always"]]]' ] || pc_fail "Explain 22"
[ "$(call Explain sq udp 445)" = '[[]]' ] || pc_fail "Explain udp 445 should be closed"
ok "Explain"

# --- PreviewRuleset is what nft lists
call PreviewRuleset | python3 -c 'import json,sys; print(json.load(sys.stdin)[0], end="")' >"$tmp/preview.nft"
pc_in_box nft list table inet portcullis | sed 's/packets [0-9]* bytes [0-9]*/packets 0 bytes 0/' >"$tmp/live.nft"
diff -u "$tmp/live.nft" "$tmp/preview.nft" || pc_fail "PreviewRuleset differs from nft list table"
ok "PreviewRuleset matches nft list table"

# --- Audit: a listener on an open port, one on a closed port, one on loopback
pc_spawn audit-listeners nsenter --net="/run/netns/$PC_NETNS" -- python3 -c '
import socket, time
socks = []
for addr, port in (("0.0.0.0", 445), ("0.0.0.0", 8080), ("127.0.0.1", 8081)):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port)); s.listen(); socks.append(s)
time.sleep(30)'
lst=$PC_LAST_PID
sleep 0.5
audit=$(call Audit)
pc_kill "$lst"
python3 - "$audit" <<'PY'
import json, sys
rows = json.loads(sys.argv[1])[0]
assert ["tcp", 445, "0.0.0.0", ["any"]] in rows, rows
assert ["tcp", 8080, "0.0.0.0", []] in rows, rows
assert not any(r[1] == 8081 for r in rows), rows
PY
ok "Audit"

# --- Dropped counts a real packet to a closed port
pc_in_peer python3 -c '
import socket
s = socket.socket(); s.settimeout(0.5)
try:
    s.connect(("198.18.0.1", 9)); raise SystemExit("port 9 should be closed")
except (socket.timeout, TimeoutError): pass' || pc_fail "connect to a closed port did not time out"
dropped1=$(prop Dropped)
[ "$dropped1" -gt "$dropped0" ] || pc_fail "Dropped did not grow ($dropped0 -> $dropped1)"
ok "Dropped $dropped0 -> $dropped1"

# --- errors
gen_before=$(prop Generation)
E=(/org/portcullis1 org.portcullis1.Manager.SetOverride)
[ "$(dbus_error root "${E[@]}" string:ssh string:closed)" = org.portcullis1.Error.WouldLockOut ] || pc_fail WouldLockOut
[ "$(dbus_error root "${E[@]}" string:nope string:open)" = org.portcullis1.Error.UnknownService ] || pc_fail UnknownService
[ "$(dbus_error root "${E[@]}" string:smb string:wide-open)" = org.freedesktop.DBus.Error.InvalidArgs ] || pc_fail "bad state"
[ "$(dbus_error root /org/portcullis1 org.portcullis1.Manager.Explain string:sctp uint16:1)" = org.freedesktop.DBus.Error.InvalidArgs ] || pc_fail "bad proto"
[ "$(dbus_error root /org/portcullis1 org.portcullis1.Manager.Explain string:tcp uint16:0)" = org.freedesktop.DBus.Error.InvalidArgs ] || pc_fail "port 0"
[ "$(dbus_error root /org/portcullis1 org.portcullis1.Manager.Explain string:tcp)" = org.freedesktop.DBus.Error.InvalidArgs ] || pc_fail "missing arg"
[ "$(dbus_error root /org/portcullis1/service/nope org.portcullis1.Service.SetOverride string:open)" = org.freedesktop.DBus.Error.UnknownObject ] || pc_fail "unknown object"
[ "$(prop Generation)" = "$gen_before" ] || pc_fail "errors changed the generation ($gen_before -> $(prop Generation))"
ok "errors: WouldLockOut, UnknownService, InvalidArgs"

# --- unprivileged callers: reads work, mutations are refused and change nothing
before=$(pc_in_box nft list table inet portcullis)
[ "$("${NOBODY[@]}" "${B[@]}" get-property "${M[@]}" EnabledServices)" = 'as 2 "smb" "ssh"' ] || pc_fail "nobody cannot read"
[ "$(dbus_error nobody "${E[@]}" string:smb string:closed)" = org.freedesktop.DBus.Error.AccessDenied ] || pc_fail "nobody SetOverride"
[ "$(dbus_error nobody /org/portcullis1/service/smb org.portcullis1.Service.SetOverride string:closed)" = org.freedesktop.DBus.Error.AccessDenied ] || pc_fail "nobody service SetOverride"
[ "$(dbus_error nobody /org/portcullis1 org.portcullis1.Manager.Reload)" = org.freedesktop.DBus.Error.AccessDenied ] || pc_fail "nobody Reload"
[ "$(dbus_error nobody /org/portcullis1 org.portcullis1.Manager.SetOverrideConfirmed string:smb string:closed uint32:5)" = org.freedesktop.DBus.Error.AccessDenied ] || pc_fail "nobody SetOverrideConfirmed"
[ "$(dbus_error nobody /org/portcullis1 org.portcullis1.Manager.ReloadConfirmed uint32:5)" = org.freedesktop.DBus.Error.AccessDenied ] || pc_fail "nobody ReloadConfirmed"
[ "$(dbus_error nobody /org/portcullis1 org.portcullis1.Manager.Confirm)" = org.freedesktop.DBus.Error.AccessDenied ] || pc_fail "nobody Confirm"
out=$("${NOBODY[@]}" "${B[@]}" call "${M[@]}" SetOverride ss smb closed 2>&1 || true)
[ "$out" = "Call failed: Access denied" ] || pc_fail "busctl as nobody: $out"
[ "$(prop Generation)" = "$gen_before" ] || pc_fail "an unprivileged call changed the generation"
[ "$(pc_in_box nft list table inet portcullis)" = "$before" ] || pc_fail "an unprivileged call changed the ruleset"
# The policy file: only root may own the name.
owner=$({ "${NOBODY[@]}" "${B[@]}" call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus RequestName su org.portcullis1 4 2>&1 || true; })
grep -q 'Access denied\|not allowed' <<<"$owner" || pc_fail "nobody could ask for the name: $owner"
ok "unprivileged: reads yes; SetOverride, Reload and owning the name no"

# --- Reload: a broken config changes nothing and says where
cp "$tmp/p.toml" "$tmp/p.good"
printf '[zones.lan]\ninterfaces = ["%s"]\nsources = ["198.18.0.1/24"]\n' "$PC_BOX_IF" >>"$tmp/p.toml"
before=$(pc_in_box nft list table inet portcullis)
err=$("${B[@]}" call "${M[@]}" Reload 2>&1 || true)
[ "$(dbus_error root /org/portcullis1 org.portcullis1.Manager.Reload)" = org.portcullis1.Error.InvalidConfig ] || pc_fail "Reload error name"
grep -q "$tmp/p.toml:11:12: bad source" <<<"$err" || pc_fail "Reload error lacks FILE:LINE:COLUMN: $err"
grep -q "$tmp/p.toml:11:12: bad source" <<<"$(prop LastError)" || pc_fail "LastError: $(prop LastError)"
[ "$(pc_in_box nft list table inet portcullis)" = "$before" ] || pc_fail "a broken reload changed the ruleset"
[ "$(prop EnabledServices)" = '["smb", "ssh"]' ] || pc_fail "a broken reload changed the state"
cp "$tmp/p.good" "$tmp/p.toml"
"${B[@]}" call "${M[@]}" Reload
[ "$(prop LastError)" = '""' ] || pc_fail "LastError not cleared"
ok "Reload: InvalidConfig with position, nothing changed; fixed file reloads"

# --- overrides survive a restart, and the table is adopted
[ -f "$tmp/state/overrides.toml" ] || pc_fail "no overrides file"
grep -q '^smb = "open"' "$tmp/state/overrides.toml" || pc_fail "override not persisted"
stop_daemon
pc_in_box nft list table inet portcullis >/dev/null || pc_fail "the table went away with the daemon"
start_daemon
[ "$(prop EnabledServices)" = '["smb", "ssh"]' ] || pc_fail "override lost over a restart"
[ "$(nftset any_tcp)" = "22 139 445" ] || pc_fail "restart changed any_tcp: $(nftset any_tcp)"
"${B[@]}" call "${S[@]}" SetOverride s auto
[ "$(prop EnabledServices)" = '["ssh"]' ] || pc_fail "auto did not close smb"
grep -q smb "$tmp/state/overrides.toml" && pc_fail "auto left smb in the overrides file"
ok "overrides persist across restarts; auto removes them"
# --- the bus goes away and comes back: the API reconnects by itself, the firewall never waits
pc_stop_bus
sleep 0.3
kill -0 "$daemon_pid" || pc_fail "the daemon died with the bus"
grep -q 'lost the bus' "$tmp/daemon.log" || pc_fail "the daemon did not notice the bus going away"
pc_start_bus "$bus_template" "$src/conf/dbus/org.portcullis1.conf"
for _ in $(seq 100); do
    "${B[@]}" get-property "${M[@]}" Generation >/dev/null 2>&1 && break
    sleep 0.05
done
[ "$(prop EnabledServices)" = '["ssh"]' ] || pc_fail "no API after the bus came back"
ok "the API reconnects after the bus restarts"
echo "all D-Bus API checks passed"
