#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Commit-confirmed and WouldLockOut, as an admin working over the network sees them:
# SetOverrideConfirmed closes the port in the kernel at once and, unconfirmed, opens it again
# after the timeout (RolledBack, overrides.toml as before); Confirm keeps it; ReloadConfirmed
# puts the old config back from memory; one at a time; the errors. Then a real session: a peer
# connected to the box, and D-Bus calls made from below the process holding that connection
# (as busctl runs below sshd): a plain SetOverride or Reload that would close its port fails
# with WouldLockOut, the confirmed variant applies and rolls back; the same call from elsewhere
# is allowed.
set -euo pipefail
source "$(dirname "$0")/common.sh"
pc_init daemon-confirmed
pc_require dbus-send
pc_setup_netns
pc_start_bus
dm_write_catalog
dm_write_config enabled enforce "[always]" 'services = ["pc-vpn"]'
dm_no_systemd
cp "$PC_TMP/portcullis.toml" "$PC_TMP/always-vpn.toml"
dm_listen
dm_start_daemon

M=(org.portcullis1 /org/portcullis1 org.portcullis1.Manager)
call() { pc_busctl call "${M[@]}" "$@"; }
# dsend METHOD ARGS...: dbus-send, which prints the error's name (busctl prints the message only).
dsend() {
    pc_run_in_box dbus-send --session --print-reply --dest=org.portcullis1 /org/portcullis1 \
        "org.portcullis1.Manager.$1" "${@:2}" 2>&1 || true
}
# (The listing is read whole first: grep -q ending early would fail the pipe under pipefail.)
in_set() {
    local set
    if [ "$DM_BACKEND" = legacy ]; then
        set=$(dm_ipset list pc_any_tcp | sed -n '/^Members:/,$p') || return 2
    else
        set=$(dm_nft list set inet portcullis any_tcp) || return 2
    fi
    grep -qw "$1" <<<"$set"
}
not_in_set() {
    local rc=0
    in_set "$1" || rc=$?
    [ "$rc" -eq 1 ]
}
overrides=$PC_TMP/portcullis-state/overrides.toml
now_ms() { echo $(($(date +%s%N) / 1000000)); }
rolled_back_count() { grep -c '"member":"RolledBack"' "$PC_TMP/monitor.log" || true; }

pc_box_argv busctl --user --json=short monitor --match "type='signal',member='RolledBack'"
pc_spawn monitor sh -c 'exec "$@" 2>/dev/null' sh "${PC_ARGV[@]}"
sleep 0.5

# --- SetOverrideConfirmed, not confirmed: closed at once, open again after 2 s
call SetOverride ss pc-web open
in_set "$DM_PORT" || pc_fail "SetOverride open: $DM_PORT not in any_tcp"
cp "$overrides" "$PC_TMP/overrides.before"
start=$(now_ms)
call SetOverrideConfirmed ssu pc-web closed 2
not_in_set "$DM_PORT" || pc_fail "SetOverrideConfirmed closed: $DM_PORT still in the kernel when the call returned"
dm_dropped || pc_fail "SetOverrideConfirmed closed: a connect from the peer got through"
grep -qx 'pc-web = "closed"' "$overrides" || pc_fail "overrides.toml not written: $(cat "$overrides")"
[ "$(dm_prop PendingConfirm)" = "u 2" ] || pc_fail "PendingConfirm: $(dm_prop PendingConfirm), want u 2"
# (At 1.2 s: PendingConfirm rounds up, and the deadline was set a moment after `start`.)
sleep "$(awk -v ms=$((start + 1200 - $(now_ms))) 'BEGIN { print (ms > 0 ? ms / 1000 : 0) }')"
not_in_set "$DM_PORT" || pc_fail "open again at ~1 s, before the 2 s deadline"
[ "$(dm_prop PendingConfirm)" = "u 1" ] || pc_fail "PendingConfirm at ~1 s: $(dm_prop PendingConfirm), want u 1"
pc_wait_for 10 in_set "$DM_PORT" || pc_fail "not rolled back within 10 s"
took=$(($(now_ms) - start))
[ "$took" -ge 1900 ] || pc_fail "rolled back after $took ms, before the 2 s deadline"
pc_log "ok: SetOverrideConfirmed closed at once, rolled back after $took ms"
dm_expect_open 1 "after the rollback"
cmp -s "$PC_TMP/overrides.before" "$overrides" || pc_fail "overrides.toml after the rollback: $(cat "$overrides")"
[ "$(dm_prop PendingConfirm)" = "u 0" ] || pc_fail "PendingConfirm after the rollback: $(dm_prop PendingConfirm)"
pc_wait_for 2 test "$(rolled_back_count)" = 1 || pc_fail "no RolledBack signal: $(cat "$PC_TMP/monitor.log")"
generation=$(dm_prop Generation)
grep '"member":"RolledBack"' "$PC_TMP/monitor.log" | grep -q "\"data\":\\[${generation#t }\\]" ||
    pc_fail "RolledBack does not carry Generation ($generation): $(cat "$PC_TMP/monitor.log")"
grep -q 'not confirmed in time: rolled back override pc-web (back to open)' "$PC_TMP/daemon.log" ||
    pc_fail "the rollback was not logged"
pc_log "ok: RolledBack($generation), overrides.toml as before, PendingConfirm 0"

# --- the same, confirmed: it stays
call SetOverrideConfirmed ssu pc-web closed 2
call Confirm
[ "$(dm_prop PendingConfirm)" = "u 0" ] || pc_fail "PendingConfirm after Confirm: $(dm_prop PendingConfirm)"
sleep 2.5
not_in_set "$DM_PORT" || pc_fail "confirmed, but rolled back anyway"
grep -qx 'pc-web = "closed"' "$overrides" || pc_fail "confirmed, but overrides.toml: $(cat "$overrides")"
[ "$(rolled_back_count)" = 1 ] || pc_fail "a RolledBack signal after Confirm"
pc_log "ok: Confirm kept the change past its deadline"
call SetOverride ss pc-web open

# --- one at a time; the errors
call SetOverrideConfirmed ssu pc-web closed 60
[ "$(dm_prop PendingConfirm)" = "u 60" ] || pc_fail "PendingConfirm: $(dm_prop PendingConfirm), want u 60"
out=$(dsend SetOverrideConfirmed string:pc-web string:auto uint32:5)
grep -q '^Error org.portcullis1.Error.ConfirmPending: a confirmed change is already waiting for Confirm() (rolled back in [0-9]* s)' <<<"$out" ||
    pc_fail "a second SetOverrideConfirmed: $out"
out=$(dsend ReloadConfirmed uint32:5)
grep -q '^Error org.portcullis1.Error.ConfirmPending' <<<"$out" || pc_fail "ReloadConfirmed while one waits: $out"
call Confirm
out=$(dsend Confirm)
[ "$out" = "Error org.portcullis1.Error.NothingToConfirm: no confirmed change is waiting for Confirm()" ] ||
    pc_fail "Confirm with none waiting: $out"
for s in 0 3601; do
    out=$(dsend SetOverrideConfirmed string:pc-web string:open "uint32:$s")
    [ "$out" = "Error org.freedesktop.DBus.Error.InvalidArgs: seconds must be in 1-3600, not $s" ] ||
        pc_fail "seconds $s: $out"
    out=$(dsend ReloadConfirmed "uint32:$s")
    grep -q '^Error org.freedesktop.DBus.Error.InvalidArgs: seconds must be in 1-3600' <<<"$out" ||
        pc_fail "ReloadConfirmed seconds $s: $out"
done
out=$(dsend SetOverrideConfirmed string:nope string:open uint32:5)
grep -q '^Error org.portcullis1.Error.UnknownService' <<<"$out" || pc_fail "unknown service: $out"
[ "$(dm_prop PendingConfirm)" = "u 0" ] || pc_fail "a failed call left something waiting"
call SetOverride ss pc-web open
pc_log "ok: ConfirmPending, NothingToConfirm, InvalidArgs"

# --- ReloadConfirmed with a config that drops pc-vpn: rolled back from memory
in_set 18443 || pc_fail "pc-vpn ([always]) not open"
dm_write_config enabled enforce
dm_no_systemd
call ReloadConfirmed u 2
pc_wait_for 2 not_in_set 18443 || pc_fail "ReloadConfirmed: 18443 still open"
# The files change again: the rollback must not read them.
dm_write_config enabled enforce "[always]" 'services = ["pc-web", "pc-vpn"]' 'mode = "enforcing"'
pc_wait_for 10 in_set 18443 || pc_fail "ReloadConfirmed: not rolled back within 10 s"
pc_wait_for 2 test "$(rolled_back_count)" = 2 || pc_fail "no RolledBack after ReloadConfirmed"
grep -q 'rolled back reload' "$PC_TMP/daemon.log" || pc_fail "the reload's rollback was not logged"
[ "$(dm_prop LastError)" = 's ""' ] || pc_fail "LastError after the rollback: $(dm_prop LastError)"
cp "$PC_TMP/always-vpn.toml" "$PC_TMP/portcullis.toml"
pc_log "ok: ReloadConfirmed rolled back to the config from before"

# --- WouldLockOut: the caller's own session
# lan admits only addresses the peer does not have: a reload to it closes 18080 for the peer.
dm_write_config enabled enforce "[always]" 'services = ["pc-vpn"]' \
    "[zones.lan]" 'sources = ["198.19.0.0/16"]' "default = true"
dm_no_systemd
mv "$PC_TMP/portcullis.toml" "$PC_TMP/zoned.toml"
cp "$PC_TMP/always-vpn.toml" "$PC_TMP/portcullis.toml"
pc_kill "${PC_PID_listener18080:?}" # (set by pc_spawn in dm_listen)
cat >"$PC_TMP/admin.sh" <<SH
dbus-send --session --print-reply --dest=org.portcullis1 /org/portcullis1 org.portcullis1.Manager.SetOverride string:pc-web string:closed 2>&1
echo "override rc=\$?"
cp "$PC_TMP/zoned.toml" "$PC_TMP/portcullis.toml"
dbus-send --session --print-reply --dest=org.portcullis1 /org/portcullis1 org.portcullis1.Manager.Reload 2>&1
echo "reload rc=\$?"
cp "$PC_TMP/always-vpn.toml" "$PC_TMP/portcullis.toml"
busctl --user call ${M[*]} SetOverrideConfirmed ssu pc-web closed 2 2>&1
echo "confirmed rc=\$?"
SH
pc_spawn holder pc_run_in_box python3 "$DM_DIR/hold-session.py" "$DM_PORT" "$PC_TMP/admin.sh" "$PC_TMP/release" 60
pc_wait_for 5 grep -q listening "$PC_TMP/holder.log" || pc_fail "the session holder did not start"
pc_spawn client nsenter "--net=/run/netns/$PC_PEER_NETNS" -- python3 "$DM_DIR/stay-connected.py" "$PC_BOX_IP4" "$DM_PORT" 60
pc_wait_for 10 grep -q 'script exit' "$PC_TMP/holder.log" || pc_fail "the admin's calls did not finish"
closed_at=$(now_ms)
not_in_set "$DM_PORT" || pc_fail "SetOverrideConfirmed from the session did not close $DM_PORT"
want="Error org.portcullis1.Error.WouldLockOut: this change closes $DM_PORT/tcp to new connections from $PC_PEER_IP4, the port of your own session from $PC_PEER_IP4:"
[ "$(grep -cF "$want" "$PC_TMP/holder.log")" = 2 ] || pc_fail "no WouldLockOut for SetOverride and Reload: $(cat "$PC_TMP/holder.log")"
grep -q '^override rc=1$' "$PC_TMP/holder.log" || pc_fail "SetOverride did not fail"
grep -q '^reload rc=1$' "$PC_TMP/holder.log" || pc_fail "Reload did not fail"
grep -q '^confirmed rc=0$' "$PC_TMP/holder.log" || pc_fail "SetOverrideConfirmed failed: $(cat "$PC_TMP/holder.log")"
grep -q 'reload refused: this change closes' "$PC_TMP/daemon.log" || pc_fail "the refused reload was not logged"
pc_log "ok: WouldLockOut for SetOverride and Reload from the session; the confirmed variant applied"
# The established session itself lives on (the ruleset accepts established traffic).
pc_wait_for 5 grep -q '^got bye' "$PC_TMP/client.log" || pc_fail "the session broke when its port closed"
pc_wait_for 10 in_set "$DM_PORT" || pc_fail "the session's port was not rolled back"
pc_log "ok: the session's port open again $(($(now_ms) - closed_at)) ms after the calls ended"
[ "$(dm_prop Mode)" = 's "enforce"' ] || pc_fail "Mode changed"
in_set 18443 || pc_fail "the refused reload changed the rules"

# The same SetOverride from a process that does not hold the session: allowed.
call SetOverride ss pc-web closed
not_in_set "$DM_PORT" || pc_fail "SetOverride closed from outside the session was not applied"
touch "$PC_TMP/release"
pc_wait_for 5 grep -q released "$PC_TMP/holder.log" || pc_fail "the holder did not let go"
pc_log "ok: the same order from outside the session applies"

lates=$(grep -o '[0-9-]* ms after the deadline' "$PC_TMP/daemon.log" | awk '{ print $1 }' | tr '\n' ' ')
pc_log "rollbacks fired this many ms after their deadlines: $lates"
dm_pass
