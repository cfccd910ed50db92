#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# systemctl --user enable --now opens the service's port for a client in the peer namespace
# within a second; disable --now closes it; daemon-reexec and daemon-reload lose nothing.
# PreviewRuleset says what the kernel holds.
set -euo pipefail
source "$(dirname "$0")/common.sh"
pc_init daemon-enable
dm_sandbox_with_systemd
dm_write_config enabled-or-active
dm_listen
dm_start_daemon
dm_expect_closed 1 "nothing enabled yet"

pc_systemctl enable --now pc-web.service
dm_expect_open 1 "enable --now"
dm_preview_matches
[ "$(dm_prop EnabledServices)" = 'as 1 "pc-web"' ] || pc_fail "EnabledServices: $(dm_prop EnabledServices)"
reason=$(pc_busctl get-property org.portcullis1 /org/portcullis1/service/pc_2dweb org.portcullis1.Service Reason)
[ "$reason" = 's "unit pc-web.service enabled"' ] || pc_fail "Reason: $reason"

pc_systemctl disable --now pc-web.service
dm_expect_closed 1 "disable --now"

# Re-executing systemd drops and re-creates its bus presence: nothing may be lost.
pc_systemctl enable --now pc-web.service
dm_expect_open 1 "enable --now again"
pc_systemctl daemon-reexec
pc_wait_for 10 pc_busctl status org.freedesktop.systemd1 || pc_fail "systemd did not come back"
for _ in 1 2 3 4 5; do dm_connect || pc_fail "port closed across daemon-reexec"; sleep 0.1; done
pc_systemctl disable --now pc-web.service
dm_expect_closed 1 "disable --now after daemon-reexec"

pc_systemctl daemon-reload
pc_systemctl enable --now pc-web.service
dm_expect_open 1 "enable --now after daemon-reload"

# A template instance matches the catalogue's pc-vpn@.service.
dm_listen 18443
pc_systemctl enable --now pc-vpn@home.service
dm_expect_open 1 "template instance enable --now" 18443
reason=$(pc_busctl get-property org.portcullis1 /org/portcullis1/service/pc_2dvpn org.portcullis1.Service Reason)
[ "$reason" = 's "unit pc-vpn@home.service enabled"' ] || pc_fail "template Reason: $reason"
pc_systemctl disable --now pc-vpn@home.service
dm_expect_closed 1 "template instance disable --now" 18443
dm_connect || pc_fail "pc-web closed along with the template"
dm_pass
