#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The state directory read-only, full, then missing when SetOverride is called: the call fails
# with a clear D-Bus error, and neither the rules in the kernel nor the stored overrides change.
# Once the directory is usable again, the same call works. The directory is a tiny tmpfs in the
# daemon's mount namespace (root ignores permission bits, so chmod would prove nothing).
set -euo pipefail
source "$(dirname "$0")/common.sh"
pc_init daemon-statedir
dm_sandbox_with_systemd
dm_write_config enabled-or-active
state=$PC_TMP/portcullis-state
mkdir -p "$state"
pc_run_in_box mount -t tmpfs -o size=16k,mode=755 pcstate "$state"
dm_listen
dm_start_daemon
call() { pc_busctl call org.portcullis1 /org/portcullis1 org.portcullis1.Manager "$@"; }
stored() { pc_run_in_box cat "$state/overrides.toml" 2>/dev/null || echo "(no file)"; }
call SetOverride ss pc-web open
dm_expect_open 1 "override open, state dir writable"
fw_before=$(dm_fw_state)
ov_before=$(stored)
grep -q 'pc-web = "open"' <<<"$ov_before" || pc_fail "override not stored: $ov_before"

# expect_refused WHAT: SetOverride closed fails with a D-Bus error naming the state file, and
# changes nothing.
expect_refused() {
    local out rc=0
    out=$(call SetOverride ss pc-web closed 2>&1) || rc=$?
    [ "$rc" -ne 0 ] || pc_fail "$1: SetOverride succeeded"
    grep -qi 'overrides' <<<"$out" || pc_fail "$1: the error does not name the overrides file: $out"
    [ "$(dm_fw_state)" = "$fw_before" ] || pc_fail "$1: the rules changed"
    [ "$(stored)" = "$ov_before" ] || pc_fail "$1: the stored overrides changed: $(stored)"
    dm_connect || pc_fail "$1: port $DM_PORT no longer connects"
    pc_alive "$DM_DAEMON_PID" || pc_fail "$1: the daemon died"
    pc_log "ok: $1: refused ($out), rules and stored overrides unchanged"
}

pc_run_in_box mount -o remount,ro "$state"
expect_refused "state dir read-only"
pc_run_in_box mount -o remount,rw "$state"

# Full: fill the tmpfs (bounded by its 16 KiB).
pc_run_in_box dd if=/dev/zero of="$state/fill" bs=4k count=64 2>/dev/null || true
expect_refused "state dir full"
pc_run_in_box rm -f "$state/fill"

# Missing (someone removed it, and with it the stored overrides): the rules in the kernel stay
# as they are; the call either fails clearly or makes the directory and stores the override
# whole, never half of it.
pc_run_in_box umount "$state"
rmdir "$state"
rc=0
out=$(call SetOverride ss pc-web closed 2>&1) || rc=$?
if [ "$rc" -ne 0 ]; then
    [ "$(dm_fw_state)" = "$fw_before" ] || pc_fail "state dir missing: refused, but the rules changed"
    pc_log "ok: state dir missing: refused ($out), rules unchanged"
else
    grep -q 'pc-web = "closed"' <<<"$(stored)" || pc_fail "state dir missing: call succeeded, nothing stored"
    dm_expect_closed 1 "state dir missing: the directory was made again and the override applied"
    call SetOverride ss pc-web open
    dm_expect_open 1 "back to open"
fi
pc_alive "$DM_DAEMON_PID" || pc_fail "state dir missing: the daemon died"
mkdir -p "$state"

# Usable again: the same call works and is stored.
call SetOverride ss pc-web closed
dm_expect_closed 1 "override closed once the state dir is usable"
grep -q 'pc-web = "closed"' <<<"$(stored)" || pc_fail "override not stored: $(stored)"
pc_log "ok: state dir usable again: SetOverride works"
dm_pass
