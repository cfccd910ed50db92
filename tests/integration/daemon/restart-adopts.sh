#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kill -9 of the daemon leaves the last ruleset in place; a restarted daemon adopts it without
# a gap: a client connecting in a loop across the kill and the restart never fails. And someone
# deleting the table is repaired (within a second; legacy: within check_seconds).
set -euo pipefail
source "$(dirname "$0")/common.sh"
pc_init daemon-restart
dm_sandbox_with_systemd
dm_write_config enabled-or-active
dm_listen
pc_systemctl enable --now pc-web.service
dm_start_daemon
dm_expect_open 1 "enabled before the start"
table_before=$(dm_fw_state)

# A client connects every 20 ms for the whole restart (bounded: at most 600 attempts).
pc_spawn client bash -c "
    for i in \$(seq 600); do
        nsenter --net=/run/netns/$PC_PEER_NETNS -- python3 '$DM_DIR/connect.py' $PC_BOX_IP4 $DM_PORT 0.5 ||
            { echo FAILED at attempt \$i; exit 1; }
        [ -e '$PC_TMP/stop-client' ] && { echo ok after \$i; exit 0; }
        sleep 0.02
    done; echo ok after 600"
client=$PC_LAST_PID
sleep 0.5
pc_stop "$DM_DAEMON_PID" KILL || true
[ "$(dm_fw_state)" = "$table_before" ] || pc_fail "kill -9 changed the table"
sleep 0.5
mv "$PC_TMP/daemon.log" "$PC_TMP/daemon-first.log"
dm_start_daemon
sleep 0.5
touch "$PC_TMP/stop-client"
pc_reap "$client" || pc_fail "a connect failed during the restart: $(cat "$PC_TMP/client.log")"
pc_log "ok: no failed connect across kill -9 and restart ($(cat "$PC_TMP/client.log"))"
[ "$(dm_fw_state)" = "$table_before" ] || pc_fail "the restart changed the table"

# Someone else deletes the table (legacy: the jump, the chain's rules and the sets' members):
# restored within a second (legacy: within check_seconds and the check).
dm_remove_fw
pc_wait_for "$DM_HEAL_SECS" dm_fw_present || pc_fail "not restored within $DM_HEAL_SECS s"
pc_wait_for "$DM_HEAL_SECS" grep -q 'restored' "$PC_TMP/daemon.log" || pc_fail "the repair was not logged"
dm_expect_open 1 "after the repair"
same_state() { [ "$(dm_fw_state)" = "$table_before" ]; }
pc_wait_for "$DM_HEAL_SECS" same_state || pc_fail "repair restored something else"
dm_pass
