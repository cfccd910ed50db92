#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A template pattern ("pc-tpl@.service") follows every instance; the template itself is not a
# unit; an instance that is neither loaded nor enabled leaves the map.
set -euo pipefail
source "$(dirname "$0")/common.sh"
pc_init "${PC_TEST_NAME:-systemd-template}"
pc_start_systemd_user

pc_write_unit pc-tpl@.service <<'UNIT'
[Unit]
Description=portcullis test template %i

[Service]
ExecStart=/bin/sleep infinity

[Install]
WantedBy=default.target
UNIT
pc_systemctl daemon-reload
sd_start_driver --bus user pc-tpl@.service

pc_systemctl enable --now pc-tpl@bar.service
sd_expect 1 "unit=pc-tpl@bar.service file=enabled active=active"

pc_systemctl start pc-tpl@baz.service
sd_expect 1 "unit=pc-tpl@baz.service file=disabled active=active"
sd_map_lacks_unit 'pc-tpl@\.service' || pc_fail "the template itself is in the map"

pc_systemctl stop pc-tpl@baz.service
sd_expect_gone 2 'pc-tpl@baz\.service'
sd_expect 1 "unit=pc-tpl@bar.service file=enabled active=active"

pc_systemctl disable --now pc-tpl@bar.service
sd_expect_gone 2 'pc-tpl@bar\.service'

# Enabled but not started: a .wants symlink, and default.target keeps the instance loaded.
pc_systemctl enable pc-tpl@qux.service
sd_expect 1 "unit=pc-tpl@qux.service file=enabled active=inactive"
pc_log "on_change calls: $(sd_changes)"
exit 0
