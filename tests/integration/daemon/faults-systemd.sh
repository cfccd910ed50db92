#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The systemd manager dies (SIGKILL) and a new one takes its place, as when a user manager is
# restarted: everything in its cgroup goes with it, the bus daemon included, as systemd does for
# a stopped user@.service. While no manager runs, the daemon keeps the table exactly as it was
# (it does not know what changed, so it changes nothing); a unit disabled on disk meanwhile is
# seen once the new manager is on the new bus; and it follows the new manager from then on.
set -euo pipefail
source "$(dirname "$0")/common.sh"
pc_init daemon-faults-systemd
dm_sandbox_with_systemd
dm_write_config enabled-or-active
dm_listen
dm_listen 18443
pc_systemctl enable --now pc-web.service
dm_start_daemon
dm_expect_open 1 "enabled before the manager dies"
fw_before=$(dm_fw_state)

# The manager and everything it started go; the daemon stays (it is not one of its units here).
old=$PC_SYSTEMD_PID
kill -KILL "$old"
pc_reap "$old" || true
PC_SYSTEMD_PID=
pc_remove_cgroups
pc_alive "$DM_DAEMON_PID" || pc_fail "the daemon died with the systemd manager"
sleep 1
[ "$(dm_fw_state)" = "$fw_before" ] || pc_fail "losing systemd changed the table"
dm_connect || pc_fail "port $DM_PORT closed while no manager ran"
pc_log "ok: the table stayed as it was while no manager ran"

# Changed on disk while nobody watched: the new manager does not start pc-web, and it is no
# longer enabled.
rm "$PC_UNIT_DIR/default.target.wants/pc-web.service"

pc_start_systemd_user
[ "$PC_SYSTEMD_PID" != "$old" ] || pc_fail "the new manager has the old pid"
answers() { [ "$(dm_prop Mode)" = 's "enforce"' ]; }
pc_wait_for 15 answers || pc_fail "the daemon does not answer on the new bus: $(dm_prop Mode 2>&1)"
dm_expect_closed 10 "disabled on disk while no manager ran"
pc_systemctl enable --now pc-vpn@a.service
dm_expect_open 3 "a unit enabled under the new manager" 18443
pc_systemctl disable --now pc-vpn@a.service
dm_expect_closed 3 "disabled under the new manager" 18443
pc_alive "$DM_DAEMON_PID" || pc_fail "the daemon died"
dm_pass
