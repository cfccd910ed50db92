#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# daemon-reload and daemon-reexec: the published state never wavers (no on_change at all, since
# nothing changed), and changes after them are still seen (the subscription was renewed).
set -euo pipefail
source "$(dirname "$0")/common.sh"
pc_init "${PC_TEST_NAME:-systemd-reload-reexec}"
pc_start_systemd_user

sd_simple_unit pc-alpha.service
sd_simple_unit pc-beta.service
pc_systemctl daemon-reload
pc_systemctl enable --now pc-alpha.service
sd_start_driver pc-alpha.service pc-beta.service
sd_expect 2 "unit=pc-alpha.service file=enabled active=active"
sd_expect 1 "unit=pc-beta.service file=disabled active=inactive"

before=$(sd_changes)
owner() { pc_busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
    GetNameOwner s org.freedesktop.systemd1; }

pc_systemctl daemon-reload
sd_wait_state 5 1 0 || pc_fail "not settled after daemon-reload"
[ "$(sd_changes)" = "$before" ] || pc_fail "on_change after a daemon-reload that changed nothing"
pc_systemctl stop pc-alpha.service
sd_expect 1 "unit=pc-alpha.service file=enabled active=inactive"
pc_systemctl start pc-alpha.service
sd_expect 1 "unit=pc-alpha.service file=enabled active=active"

before=$(sd_changes)
old_owner=$(owner)
pid_before=$PC_SYSTEMD_PID
pc_systemctl daemon-reexec
# The same process (exec), a new bus connection.
pc_wait_for 10 eval '[ -n "$(owner 2>/dev/null)" ] && [ "$(owner 2>/dev/null)" != "$old_owner" ]' ||
    pc_fail "systemd did not come back on the bus after daemon-reexec"
pc_log "systemd1: $old_owner -> $(owner)"
kill -0 "$pid_before" || pc_fail "systemd --user died on daemon-reexec"
sd_wait_state 5 1 0 || pc_fail "not connected and settled after daemon-reexec"
grep -q '^state connected=0' "$PC_TMP/driver.log" ||
    pc_log "note: the reexec gap was too short to sample connected=0"
[ "$(sd_changes)" = "$before" ] || pc_fail "on_change after a daemon-reexec that changed nothing"
sd_expect 1 "unit=pc-alpha.service file=enabled active=active"

# Still subscribed: unit signals and UnitFilesChanged arrive from the new process.
pc_systemctl stop pc-alpha.service
sd_expect 1 "unit=pc-alpha.service file=enabled active=inactive"
pc_systemctl enable --now pc-beta.service
sd_expect 1 "unit=pc-beta.service file=enabled active=active"

# A second reexec in a row, with a change made right after it.
pc_systemctl daemon-reexec
pc_systemctl disable --now pc-beta.service
sd_expect 3 "unit=pc-beta.service file=disabled active=inactive"
pc_log "on_change calls: $(sd_changes)"
exit 0
