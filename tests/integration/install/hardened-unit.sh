#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon under the unit file that ships (every sandboxing directive of the generated
# portcullisd.service), started by a real systemd (the sandbox's systemd --user, inside the
# box's network namespace). Only ExecStart (this build's binary and a test config) and, in a
# drop-in, BindPaths= for the test's temp dir and the binary (PrivateTmp= would hide them)
# differ. It must:
# become ready (Type=notify), build its table, accept SetOverride from root and write the
# override with mode 0600 (UMask=0077), refuse SetOverride from nobody (the uid check reads the
# caller's credentials, which ProtectProc=invisible must not hide), reload, and stop with
# status 0.
# Usage: hardened-unit.sh PORTCULLISD UNIT_FILE SOURCE_DIR
set -euo pipefail
daemon=$1 unit=$2 src=$3
source "$(dirname "$0")/../lib/harness.sh"
pc_init "${PC_TEST_NAME:-hardened-unit}"
pc_require nft setpriv dbus-daemon dbus-send busctl systemctl
[ -f "$unit" ] || pc_fail "no generated unit at $unit"

pc_setup_box
# The daemon's bus: system-like, with the shipped policy, so that nobody may call it.
pc_start_bus "$src/tests/integration/api/private-bus.conf.in" "$src/conf/dbus/org.portcullis1.conf"
pc_start_systemd_user
B=(busctl --address="$PC_BUS_ADDRESS")
M=(org.portcullis1 /org/portcullis1 org.portcullis1.Manager)
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)

# StateDirectory=portcullis of a user manager is $XDG_STATE_HOME/portcullis.
state=$PC_TMP/state/portcullis
mkdir -p "$state"
# A copy of the catalogue in the temp dir: a source tree under /tmp is hidden by PrivateTmp=.
cp -r "$src/conf/catalog.d" "$PC_TMP/catalog.d"
cat >"$PC_TMP/p.toml" <<CFG
mode = "enforce"
bus = "$PC_BUS_ADDRESS"
catalog_dirs = ["$PC_TMP/catalog.d"]
state_dir = "$state"
[systemd]
enabled = false
[always]
services = ["ssh"]
CFG

grep -q '^ExecStart=' "$unit" || pc_fail "$unit has no ExecStart="
sed "s|^ExecStart=.*|ExecStart=$daemon --config $PC_TMP/p.toml|" "$unit" | pc_write_unit portcullisd.service
mkdir -p "$PC_UNIT_DIR/portcullisd.service.d"
# The binary too: a build tree under /tmp (a CI checkout) is hidden by PrivateTmp= as well.
printf '[Service]\nBindPaths=%s\nBindReadOnlyPaths=%s\n' "$PC_TMP" "$daemon" \
    >"$PC_UNIT_DIR/portcullisd.service.d/test.conf"
# A directive this sandbox's systemd cannot apply even to /bin/true (some kernels and
# containers refuse the mounts ProtectKernelLogs=, ProtectHome= or ProtectKernelTunables= make:
# status 226/NAMESPACE) is switched off for the test, and said so; every other one stays.
while IFS='=' read -r key value; do
    case $key in '' | '#'* | '['* | Exec* | Type | Restart* | WatchdogSec) continue ;; esac
    if ! pc_run_in_box systemd-run --user --wait --quiet -p "$key=$value" /bin/true >/dev/null 2>&1; then
        pc_log "this sandbox's systemd cannot apply $key=$value here, even to /bin/true: off for this test"
        case $value in yes | strict | invisible | pid) off=no ;; *) off="" ;; esac
        printf '%s=%s\n' "$key" "$off" >>"$PC_UNIT_DIR/portcullisd.service.d/test.conf"
    fi
done < <(sed -n '/^\[Service\]/,/^\[/p' "$unit")
pc_systemctl daemon-reload
for key in ProtectProc ProcSubset PrivateDevices SystemCallFilter UMask CapabilityBoundingSet; do
    pc_log "unit: $(pc_systemctl show -p "$key" portcullisd.service)"
done
[ "$(pc_systemctl show -p ProtectProc --value portcullisd.service)" = invisible ] ||
    pc_fail "the unit under test does not have ProtectProc=invisible"

# Type=notify: start returns once the daemon sent READY=1, after its first commit.
timeout 30 nsenter -t "$PC_SYSTEMD_PID" -m -- env XDG_RUNTIME_DIR="$PC_RUNTIME_DIR" \
    systemctl --user start portcullisd.service || {
    pc_systemctl status portcullisd.service >&2 || true
    pc_run_in_box journalctl --user -u portcullisd.service --no-pager >&2 || true
    pc_fail "portcullisd.service did not start under the shipped sandbox"
}
pc_log "ok: started, $(pc_systemctl show -p ActiveState -p SubState portcullisd.service | tr '\n' ' ')"
pc_in_box nft list table inet portcullis >"$PC_TMP/table.txt" || pc_fail "no table inet portcullis"
grep -q 'counter name "dropped" drop' "$PC_TMP/table.txt" || pc_fail "the table does not drop"
grep -q 'elements = { 22 }' <(sed -n '/set any_tcp/,/}/p' "$PC_TMP/table.txt") ||
    pc_fail "ssh ([always]) is not open: $(cat "$PC_TMP/table.txt")"
pc_log "ok: table inet portcullis built, enforce, 22/tcp open"

# Root's SetOverride opens the port and is written with mode 0600.
"${B[@]}" call "${M[@]}" SetOverride ss smb open || pc_fail "SetOverride as root failed"
set_text=$(pc_in_box nft list set inet portcullis any_tcp)
[[ $set_text == *139* ]] || pc_fail "smb's 139/tcp is not open: $set_text"
mode=$(stat -c %a "$state/overrides.toml") || pc_fail "no $state/overrides.toml"
[ "$mode" = 600 ] || pc_fail "overrides.toml has mode $mode, want 600 (UMask=0077)"
pc_log "ok: SetOverride as root: 139/tcp open, overrides.toml mode 600"

# nobody is refused: its uid comes from the bus, ProtectProc=invisible notwithstanding.
err=$("${NOBODY[@]}" dbus-send --bus="$PC_BUS_ADDRESS" --print-reply --reply-timeout=5000 \
    --dest=org.portcullis1 /org/portcullis1 org.portcullis1.Manager.SetOverride \
    string:nfs string:open 2>&1 || true)
[[ $err == *org.freedesktop.DBus.Error.AccessDenied* ]] ||
    pc_fail "SetOverride as nobody was not refused with AccessDenied: $err"
set_text=$(pc_in_box nft list set inet portcullis any_tcp)
[[ $set_text != *2049* ]] || pc_fail "nobody's SetOverride opened nfs: $set_text"
pc_log "ok: SetOverride as nobody: AccessDenied"

"${B[@]}" call "${M[@]}" Reload || pc_fail "Reload failed under the sandbox"
[ "$("${B[@]}" get-property "${M[@]}" LastError)" = 's ""' ] || pc_fail "LastError after Reload"
pc_log "ok: Reload"

pc_systemctl stop portcullisd.service
status=$(pc_systemctl show -p ExecMainStatus --value portcullisd.service)
[ "$status" = 0 ] || pc_fail "the daemon exited with status $status under the sandbox"
pc_in_box nft list table inet portcullis >/dev/null || pc_fail "the table went away on stop"
pc_log "ok: stopped with status 0; the table stays"
