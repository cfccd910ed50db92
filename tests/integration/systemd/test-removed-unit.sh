#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A unit file removed + daemon-reload: a stopped unit leaves the map; a running one stays (with
# no file state) until it stops.
set -euo pipefail
source "$(dirname "$0")/common.sh"
pc_init "${PC_TEST_NAME:-systemd-removed-unit}"
pc_start_systemd_user

sd_simple_unit pc-idle.service
sd_simple_unit pc-busy.service
pc_systemctl daemon-reload
pc_systemctl enable pc-idle.service
pc_systemctl enable --now pc-busy.service
sd_start_driver pc-idle.service pc-busy.service
sd_expect 2 "unit=pc-idle.service file=enabled active=inactive"
sd_expect 1 "unit=pc-busy.service file=enabled active=active"

pc_systemctl disable pc-idle.service
rm -f "$PC_UNIT_DIR/pc-idle.service"
pc_systemctl daemon-reload
sd_expect_gone 2 'pc-idle\.service'

rm -f "$PC_UNIT_DIR/pc-busy.service" "$PC_UNIT_DIR/default.target.wants/pc-busy.service"
pc_systemctl daemon-reload
sd_expect 2 "unit=pc-busy.service file=- active=active"
pc_systemctl stop pc-busy.service
sd_expect_gone 2 'pc-busy\.service'

# And back: a new file appears (no systemctl enable, just a reload) and is started.
sd_simple_unit pc-idle.service
pc_systemctl daemon-reload
sd_expect 2 "unit=pc-idle.service file=disabled active=inactive"
pc_systemctl start pc-idle.service
sd_expect 1 "unit=pc-idle.service file=disabled active=active"
pc_log "on_change calls: $(sd_changes)"
exit 0
