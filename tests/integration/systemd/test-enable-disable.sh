#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# enable --now / disable --now of a plain unit reach the watcher within a second; a unit that
# does not match the patterns never shows up.
set -euo pipefail
source "$(dirname "$0")/common.sh"
pc_init "${PC_TEST_NAME:-systemd-enable-disable}"
pc_start_systemd_user

sd_simple_unit pc-alpha.service "$PC_DATA_UNIT_DIR" # a vendor unit: masking hides it
sd_simple_unit pc-other.service
pc_systemctl daemon-reload
sd_start_driver pc-alpha.service pc-missing.service
# A unit file that is disabled and stopped is still a unit systemd knows.
sd_expect 2 "unit=pc-alpha.service file=disabled active=inactive"

pc_systemctl enable --now pc-alpha.service pc-other.service
sd_expect 1 "unit=pc-alpha.service file=enabled active=active"

pc_systemctl stop pc-alpha.service
sd_expect 1 "unit=pc-alpha.service file=enabled active=inactive"
pc_systemctl start pc-alpha.service
sd_expect 1 "unit=pc-alpha.service file=enabled active=active"

pc_systemctl disable --now pc-alpha.service
sd_expect 1 "unit=pc-alpha.service file=disabled active=inactive"

pc_systemctl mask pc-alpha.service
sd_expect 1 "unit=pc-alpha.service file=masked active=inactive"
pc_systemctl unmask pc-alpha.service
sd_expect 1 "unit=pc-alpha.service file=disabled active=inactive"

# enable-runtime: a symlink under $XDG_RUNTIME_DIR/systemd/user.
pc_systemctl enable --runtime pc-alpha.service
sd_expect 1 "unit=pc-alpha.service file=enabled-runtime active=inactive"

sd_map_lacks_unit pc-other.service || pc_fail "pc-other.service is not in the patterns"
sd_map_lacks_unit pc-missing.service || pc_fail "pc-missing.service has no unit file"
pc_log "on_change calls: $(sd_changes)"
exit 0
