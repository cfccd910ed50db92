#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 100 instances started in one systemctl call, then stopped: the watcher settles into the right
# map with far fewer on_change calls than units (it publishes only when nothing is pending).
set -euo pipefail
source "$(dirname "$0")/common.sh"
pc_init "${PC_TEST_NAME:-systemd-burst}"
pc_start_systemd_user

pc_write_unit pc-burst@.service <<'UNIT'
[Service]
ExecStart=/bin/sleep infinity
UNIT
pc_systemctl daemon-reload
sd_start_driver pc-burst@.service

count_active() {
    local m
    m=$(sd_last_map)
    grep -c 'active=active$' <<<"$m" || true
}
units=()
for i in $(seq 1 100); do units+=("pc-burst@$i.service"); done

before=$(sd_changes)
t0=$(date +%s%N)
pc_systemctl start "${units[@]}"
pc_wait_for 10 eval '[ "$(count_active)" -eq 100 ]' || pc_fail "not all 100 seen active: $(count_active)"
t1=$(date +%s%N)
started=$(($(sd_changes) - before))
pc_log "100 starts: $started on_change calls, all seen $(((t1 - t0) / 1000000)) ms after systemctl began"

before=$(sd_changes)
pc_systemctl stop "${units[@]}"
pc_wait_for 10 eval '[ -z "$(sd_last_map)" ] && [ "$(sd_changes)" -gt '"$before"' ]' ||
    pc_fail "instances still in the map after stopping them"
stopped=$(($(sd_changes) - before))
pc_log "100 stops: $stopped on_change calls"
[ "$started" -le 25 ] || pc_fail "$started on_change calls for 100 starts: not coalesced"
[ "$stopped" -le 25 ] || pc_fail "$stopped on_change calls for 100 stops: not coalesced"
exit 0
