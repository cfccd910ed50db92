#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# open_when = "enabled" follows the unit file state only; "active" follows the running state
# only. Switched with SIGHUP (the same path as D-Bus Reload).
set -euo pipefail
source "$(dirname "$0")/common.sh"
pc_init daemon-openwhen
dm_sandbox_with_systemd
dm_listen
dm_write_config enabled
dm_start_daemon

pc_systemctl enable pc-web.service
dm_expect_open 1 "enabled: enable (not started)"
pc_systemctl disable pc-web.service
dm_expect_closed 1 "enabled: disable"
pc_systemctl start pc-web.service
dm_stays_closed 1 "enabled: started but not enabled"
pc_systemctl stop pc-web.service

dm_write_config active
kill -HUP "$DM_DAEMON_PID"
pc_wait_for 5 grep -q 'reloaded:' "$PC_TMP/daemon.log" || pc_fail "SIGHUP did not reload"
pc_systemctl start pc-web.service
dm_expect_open 1 "active: start"
pc_systemctl stop pc-web.service
dm_expect_closed 1 "active: stop"
pc_systemctl enable pc-web.service
dm_stays_closed 1 "active: enabled but not running"
dm_pass
