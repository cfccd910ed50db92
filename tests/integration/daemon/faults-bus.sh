#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon's outside world restarts under it: systemd --user re-executes itself
# (daemon-reexec), and the dbus-daemon is killed with SIGKILL and socket-activated again. After
# each, the daemon is still there, answers on the bus again (its name re-registered), follows
# systemd, and the table never lost what was open.
set -euo pipefail
source "$(dirname "$0")/common.sh"
pc_init daemon-faults-bus
dm_sandbox_with_systemd
dm_write_config enabled-or-active
dm_listen
dm_listen 18443
pc_systemctl enable --now pc-web.service
dm_start_daemon
dm_expect_open 1 "enabled before the faults"
fw_before=$(dm_fw_state)

answers() { [ "$(dm_prop Mode)" = 's "enforce"' ]; }

# daemon-reexec: the subscription must be renewed, or later changes go unseen.
pc_systemctl daemon-reexec
[ "$(dm_fw_state)" = "$fw_before" ] || pc_fail "daemon-reexec changed the table"
pc_systemctl start pc-vpn@a.service
dm_expect_open 3 "a unit started after daemon-reexec" 18443
pc_systemctl stop pc-vpn@a.service
dm_expect_closed 3 "stopped after daemon-reexec" 18443
pc_alive "$DM_DAEMON_PID" || pc_fail "the daemon died in daemon-reexec"

# The bus daemon dies (SIGKILL); the next client activates a new one through dbus.socket.
pc_systemctl kill --signal=KILL dbus.service
sleep 0.5
[ "$(dm_fw_state)" = "$fw_before" ] || pc_fail "losing the bus changed the table"
dm_connect || pc_fail "port $DM_PORT closed while the bus was gone"
pc_wait_for 15 answers || pc_fail "the daemon does not answer on the new bus: $(dm_prop Mode 2>&1)"
pc_alive "$DM_DAEMON_PID" || pc_fail "the daemon died with the bus"
pc_log "ok: the daemon answers on the restarted bus"
pc_busctl call org.portcullis1 /org/portcullis1 org.portcullis1.Manager SetOverride ss pc-vpn open
dm_expect_open 1 "SetOverride over the restarted bus" 18443
pc_busctl call org.portcullis1 /org/portcullis1 org.portcullis1.Manager SetOverride ss pc-vpn auto
dm_expect_closed 1 "override removed over the restarted bus" 18443
# And it follows systemd again (its watcher reconnected and resynced).
pc_systemctl disable --now pc-web.service
dm_expect_closed 10 "a unit disabled after the bus restart"
pc_alive "$DM_DAEMON_PID" || pc_fail "the daemon died"
dm_pass
