#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Against fake-systemd (an old systemd without the *ByPatterns methods, as on Synology DSM, on
# a private bus): the fallback to ListUnits/ListUnitFiles; a manager that comes up after the
# watcher; UnitNew, PropertiesChanged (values and invalidation), UnitRemoved, Reloading; the
# Service interface's PropertiesChanged ignored; and a manager that goes away (the map is kept)
# and comes back with another state (re-Subscribe, resync).
set -euo pipefail
source "$(dirname "$0")/common.sh"
: "${PC_FAKE_SYSTEMD:?PC_FAKE_SYSTEMD must name the fake-systemd binary (ctest sets it)}"
pc_init "${PC_TEST_NAME:-systemd-fake-manager}"
pc_start_bus
mkfifo "$PC_TMP/fake.in"

fake() { echo "$*" >"$PC_TMP/fake.in"; }
# shellcheck disable=SC2317 # called through pc_wait_for
fake_log_has() { grep -qxF "$1" "$PC_TMP/$2.log"; }
start_fake() { # NAME [INIT-FILE]
    pc_spawn "$1" "$PC_FAKE_SYSTEMD" --bus "$PC_BUS_ADDRESS" --commands "$PC_TMP/fake.in" ${2:+--init "$2"}
    FAKE_PID=$PC_LAST_PID
    pc_wait_for 5 fake_log_has ready "$1" || pc_fail "fake-systemd did not start"
}
map_since() { # lines of maps printed after line N of driver.log
    tail -n +"$(($1 + 1))" "$PC_TMP/driver.log" | grep '^unit=' || true
}

# 1. The watcher first, with nobody owning org.freedesktop.systemd1.
pc_spawn driver "$PC_WATCH_DRIVER" --bus "$PC_BUS_ADDRESS" pc-a.service pc-b.service vpn@.service
sd_wait_state 5 0 0 || pc_fail "watcher should wait, disconnected and settled"

start_fake fake1
pc_wait_for 5 fake_log_has subscribers=1 fake1 || pc_fail "watcher did not subscribe to a late manager"
sd_wait_state 5 1 0 || pc_fail "watcher not connected to the late manager"

fake file pc-a.service enabled
sd_expect 2 "unit=pc-a.service file=enabled active=inactive"
fake load pc-a.service active
sd_expect 2 "unit=pc-a.service file=enabled active=active"
fake active pc-a.service deactivating
fake active pc-a.service inactive
sd_expect 2 "unit=pc-a.service file=enabled active=inactive"

mark=$(wc -l <"$PC_TMP/driver.log")
fake service pc-a.service active # another interface: not ActiveState of the Unit
fake file pc-b.service disabled
sd_expect 2 "unit=pc-b.service file=disabled active=inactive"
! map_since "$mark" | grep -q 'pc-a.service file=enabled active=active' ||
    pc_fail "a Service-interface PropertiesChanged was taken for the unit's ActiveState"

# Template instances: no file of their own in ListUnitFiles; GetUnitFileState knows.
fake file vpn@.service disabled
fake file vpn@home.service enabled
fake load vpn@home.service active
sd_expect 2 "unit=vpn@home.service file=enabled active=active"
sd_map_lacks_unit 'vpn@\.service' || pc_fail "the template itself is in the map"

# Invalidation without a value: the watcher asks.
fake quiet pc-a.service active
fake invalidate pc-a.service
sd_expect 2 "unit=pc-a.service file=enabled active=active"

fake unload vpn@home.service
sd_expect 2 "unit=vpn@home.service file=enabled active=inactive"

# A change no signal announces, then a daemon-reload: the resync finds it.
fake quiet pc-b.service active
fake reload
sd_expect 2 "unit=pc-b.service file=disabled active=active"

# 2. The manager goes away: the map stays, nothing is announced.
before=$(sd_changes)
pc_kill "$FAKE_PID"
sd_wait_state 3 0 0 || pc_fail "watcher did not notice the manager leaving"
sleep 0.3
[ "$(sd_changes)" = "$before" ] || pc_fail "the map changed while the manager was away"
sd_expect 0 "unit=pc-a.service file=enabled active=active"

# 3. It comes back with another state, before any command: Subscribe again, resync.
printf '%s\n' "file pc-a.service disabled" "file pc-b.service enabled" \
    "quiet pc-b.service active" >"$PC_TMP/init2"
start_fake fake2 "$PC_TMP/init2"
pc_wait_for 5 fake_log_has subscribers=1 fake2 || pc_fail "watcher did not subscribe again"
sd_expect 3 "unit=pc-a.service file=disabled active=inactive"
sd_expect 1 "unit=pc-b.service file=enabled active=active"
sd_expect_gone 1 'vpn@home\.service'
fake active pc-b.service inactive
sd_expect 2 "unit=pc-b.service file=enabled active=inactive"
pc_log "on_change calls: $(sd_changes)"
exit 0
