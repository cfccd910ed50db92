#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# SetOverride is the admin's order: the port is closed when the call returns, even while the
# systemd watcher waits for systemd (here systemd is frozen in the middle of a daemon-reload,
# as a reload of thousands of units keeps it busy for seconds). It used to return at once and
# close the port only when systemd came back.
set -euo pipefail
source "$(dirname "$0")/common.sh"
pc_init daemon-override-reload
pc_setup_netns
pc_start_systemd_user
dm_write_catalog
dm_write_units
dm_write_config enabled enforce
# A few hundred more units, so that the reload lasts long enough to be caught.
mkdir -p "$PC_UNIT_DIR/default.target.wants"
for ((i = 0; i < 800; i++)); do
    printf '[Service]\nExecStart=/bin/sleep 300\n[Install]\nWantedBy=default.target\n' \
        >"$PC_UNIT_DIR/pc-extra$i.service"
    ln -s "$PC_UNIT_DIR/pc-extra$i.service" "$PC_UNIT_DIR/default.target.wants/pc-extra$i.service"
done
pc_systemctl enable pc-web.service
pc_systemctl daemon-reload
dm_listen
dm_start_daemon
dm_expect_open 5 "pc-web.service enabled"

# Catch systemd in its reload: Reloading(true) has been sent, Reloading(false) has not.
pc_spawn monitor pc_run_in_box stdbuf -oL dbus-monitor --session \
    "type='signal',interface='org.freedesktop.systemd1.Manager',member='Reloading'"
pc_wait_for 5 grep -q 'member=NameLost' "$PC_TMP/monitor.log" || pc_fail "dbus-monitor did not start"
pc_spawn reload pc_run_in_box systemctl --user daemon-reload
reload_pid=$PC_LAST_PID
pc_wait_for 10 grep -q 'boolean true' "$PC_TMP/monitor.log" || pc_fail "no Reloading(true)"
kill -STOP "$PC_SYSTEMD_PID"
# A stopped systemd would not even see the cleanup's SIGTERM.
trap 'rc=$?; kill -CONT "$PC_SYSTEMD_PID" 2>/dev/null; (exit $rc); pc_cleanup' EXIT
grep -q 'boolean false' "$PC_TMP/monitor.log" && pc_fail "the reload ended before systemd was frozen"
sleep 0.3 # the daemon has read Reloading(true) by now: its watcher waits for the reload's end

start=$(date +%s%N)
pc_busctl call org.portcullis1 /org/portcullis1 org.portcullis1.Manager SetOverride ss pc-web closed
took=$((($(date +%s%N) - start) / 1000000))
# The call has returned: the port is closed in the kernel now, not later.
dm_nft list set inet portcullis any_tcp | grep -q "$DM_PORT" &&
    pc_fail "SetOverride returned (after $took ms) but port $DM_PORT is still in the set"
dm_dropped || pc_fail "SetOverride returned but port $DM_PORT still connects"
[ "$(dm_prop EnabledServices)" = 'as 0' ] || pc_fail "EnabledServices $(dm_prop EnabledServices)"
pc_log "ok: closed when SetOverride returned ($took ms), systemd frozen mid-reload"

# systemd resumes: the reload ends, the watcher follows again, and the order stays in force.
kill -CONT "$PC_SYSTEMD_PID"
pc_reap "$reload_pid" || pc_fail "daemon-reload failed"
pc_wait_for 10 grep -q 'boolean false' "$PC_TMP/monitor.log" || pc_fail "no Reloading(false)"
dm_stays_closed 0.5 "after the reload, the override still holds"
pc_busctl call org.portcullis1 /org/portcullis1 org.portcullis1.Manager SetOverride ss pc-web auto
dm_expect_open 2 "auto: back to what systemd says (enabled)"
pc_log "passed"
