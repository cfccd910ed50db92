#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Faults around the daemon's own files: an overrides file damaged on disk at start (the daemon
# starts, the file is moved aside, LastError says so); a broken config on SIGHUP (nothing
# changes, LastError has the position); then 100 SIGHUPs within a second with the config fixed
# (the daemon lives, the table is right, LastError is cleared, and it still follows systemd).
set -euo pipefail
source "$(dirname "$0")/common.sh"
pc_init daemon-faults-reload
dm_sandbox_with_systemd
dm_write_config enabled-or-active
state=$PC_TMP/portcullis-state
mkdir -p "$state"
printf '[overrides]\npc-web = "open"\npc-vpn = "sideways\n' >"$state/overrides.toml"
dm_listen
dm_start_daemon
pc_alive "$DM_DAEMON_PID" || pc_fail "a damaged overrides file stopped the daemon"
ls "$state"/overrides.toml.corrupt-* >/dev/null 2>&1 || pc_fail "the damaged file was not moved aside: $(ls "$state")"
grep -q 'damaged' <<<"$(dm_prop LastError)" || pc_fail "LastError does not say so: $(dm_prop LastError)"
dm_expect_open 1 "the override that parses was kept"
pc_log "ok: damaged overrides file at start: moved aside, LastError $(dm_prop LastError)"
fw_before=$(dm_fw_state)

# A broken config on SIGHUP: nothing changes, LastError names the place.
cp "$PC_TMP/portcullis.toml" "$PC_TMP/good.toml"
sed -i 's/^mode = "enforce"$/mode = "enforcing"/' "$PC_TMP/portcullis.toml"
kill -HUP "$DM_DAEMON_PID"
has_position() { grep -q 'portcullis.toml:1:8' <<<"$(dm_prop LastError)"; }
pc_wait_for 5 has_position || pc_fail "bad config on SIGHUP: LastError $(dm_prop LastError)"
[ "$(dm_fw_state)" = "$fw_before" ] || pc_fail "a broken config on SIGHUP changed the rules"
pc_alive "$DM_DAEMON_PID" || pc_fail "a broken config on SIGHUP stopped the daemon"
pc_log "ok: bad config on SIGHUP: rules unchanged, LastError $(dm_prop LastError)"

# The fixed config, and a storm of 100 SIGHUPs (kill is a shell builtin: well under a second).
cp "$PC_TMP/good.toml" "$PC_TMP/portcullis.toml"
start=$(date +%s%N)
for _ in $(seq 100); do kill -HUP "$DM_DAEMON_PID"; done
took=$((($(date +%s%N) - start) / 1000000))
cleared() { [ "$(dm_prop LastError)" = 's ""' ]; }
pc_wait_for 15 cleared || pc_fail "LastError not cleared after the storm: $(dm_prop LastError)"
pc_alive "$DM_DAEMON_PID" || pc_fail "the daemon died in the SIGHUP storm"
[ "$(dm_fw_state)" = "$fw_before" ] || pc_fail "the storm changed the rules: $(dm_fw_state)"
dm_connect || pc_fail "port $DM_PORT closed after the storm"
pc_log "ok: 100 SIGHUPs in $took ms: daemon alive, rules unchanged, LastError cleared"

# Still following systemd: the template service's port opens on its instance.
pc_systemctl start pc-vpn@a.service
dm_listen 18443
dm_expect_open 2 "a unit started after the storm" 18443
dm_pass
