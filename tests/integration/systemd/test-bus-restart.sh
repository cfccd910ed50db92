#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The bus goes away and comes back. The watcher keeps its map meanwhile (no on_change), reports
# connected=0, reconnects with backoff, and resyncs: a change made while it was deaf is seen.
# systemd --user survives its bus and rejoins when its dbus.service runs again.
set -euo pipefail
source "$(dirname "$0")/common.sh"
pc_init "${PC_TEST_NAME:-systemd-bus-restart}"
pc_start_systemd_user

sd_simple_unit pc-alpha.service
pc_systemctl daemon-reload
pc_systemctl enable --now pc-alpha.service
sd_start_driver --bus "$PC_SESSION_BUS" pc-alpha.service
sd_expect 2 "unit=pc-alpha.service file=enabled active=active"

# 1. An orderly stop of the bus, socket included: reconnects fail until it is back.
before=$(sd_changes)
pc_systemctl stop dbus.socket dbus.service
sd_wait_state 3 0 0 || pc_fail "watcher did not notice the bus going away"
# systemctl talks to systemd over its private socket, which needs no bus.
pc_systemctl stop pc-alpha.service
sleep 1 # let the backoff grow past its first steps
[ "$(sd_changes)" = "$before" ] || pc_fail "the map changed while the bus was gone"
sd_map_has "unit=pc-alpha.service file=enabled active=active" || pc_fail "map not kept"
kill -0 "$PC_SYSTEMD_PID" || pc_fail "systemd --user died with its bus"
pc_systemctl start dbus.socket
# The watcher's next attempt activates dbus.service; systemd joins; Subscribe; resync.
sd_expect 8 "unit=pc-alpha.service file=enabled active=inactive"
sd_wait_state 2 1 0 || pc_fail "not connected after the bus came back"
pc_systemctl start pc-alpha.service
sd_expect 1 "unit=pc-alpha.service file=enabled active=active"

# 2. The bus daemon crashes; its socket stays (held by systemd), so the next connection
#    activates a new one at once.
before=$(sd_changes)
pc_systemctl kill --signal=KILL dbus.service
sd_wait_state 3 0 0 || pc_fail "watcher did not notice the bus daemon dying"
sd_wait_state 8 1 0 || pc_fail "not reconnected after the bus daemon died"
[ "$(sd_changes)" = "$before" ] || pc_fail "on_change after a reconnect that changed nothing"
pc_systemctl disable --now pc-alpha.service
sd_expect 2 "unit=pc-alpha.service file=disabled active=inactive"
pc_log "on_change calls: $(sd_changes)"
exit 0
