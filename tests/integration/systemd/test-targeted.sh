#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# After its first resync the watcher asks systemd only about the units whose files changed
# (found in the unit directories systemd publishes), never for every unit's file state again:
# that list costs systemd seconds with thousands of units enabled. Changes made every way an
# admin makes them are still seen: enable, disable, link, a template instance, a symlink made
# by hand before a daemon-reload, a directory that did not exist at the start.
set -euo pipefail
source "$(dirname "$0")/common.sh"
pc_init "${PC_TEST_NAME:-systemd-targeted}"
pc_start_systemd_user

sd_simple_unit pc-a.service
sd_simple_unit pc-b.service
sd_simple_unit pc-t@.service
mkdir -p "$PC_TMP/elsewhere"
sd_simple_unit pc-linked.service "$PC_TMP/elsewhere"
pc_systemctl daemon-reload

# Every call the watcher makes to systemd's Manager, as the bus sees it.
pc_spawn calls pc_run_in_box stdbuf -oL dbus-monitor --session \
    "type='method_call',interface='org.freedesktop.systemd1.Manager'"
pc_wait_for 5 grep -q 'member=NameLost' "$PC_TMP/calls.log" || pc_fail "dbus-monitor did not start"
full_lists() { grep -c 'member=ListUnitFiles' "$PC_TMP/calls.log" || true; }

sd_start_driver pc-a.service pc-b.service pc-t@.service pc-linked.service
sd_expect 2 "unit=pc-a.service file=disabled active=inactive"
[ "$(full_lists)" -eq 1 ] || pc_fail "$(full_lists) full lists of unit files at the start"

pc_systemctl enable pc-a.service # the first enable makes default.target.wants/
sd_expect 2 "unit=pc-a.service file=enabled active=inactive"
pc_systemctl enable pc-t@one.service
sd_expect 2 "unit=pc-t@one.service file=enabled active=inactive"
pc_systemctl link "$PC_TMP/elsewhere/pc-linked.service"
sd_expect 2 "unit=pc-linked.service file=linked active=inactive"
pc_systemctl disable pc-a.service
sd_expect 2 "unit=pc-a.service file=disabled active=inactive"
# A symlink made by hand is seen at the next reload, as systemd itself sees it.
ln -s "$PC_UNIT_DIR/pc-b.service" "$PC_UNIT_DIR/default.target.wants/pc-b.service"
pc_systemctl daemon-reload
sd_expect 2 "unit=pc-b.service file=enabled active=inactive"
# The runtime unit directory does not exist until the first --runtime enable.
pc_systemctl enable --runtime pc-t@two.service
sd_expect 2 "unit=pc-t@two.service file=enabled-runtime active=inactive"
pc_systemctl start pc-a.service
sd_expect 2 "unit=pc-a.service file=disabled active=active"

n=$(full_lists)
[ "$n" -eq 1 ] || pc_fail "the watcher listed every unit file $n times; once (at the start) is the rule"
asked=$(grep -c 'member=GetUnitFileState' "$PC_TMP/calls.log" || true)
pc_log "ok: one full list at the start; then $asked GetUnitFileState calls for 7 changes"
exit 0
