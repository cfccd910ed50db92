#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Two services share a port: it opens with the first, stays open while either is enabled, and
# closes with the last; OpenPorts shows the overlapping ranges merged into one.
set -euo pipefail
source "$(dirname "$0")/common.sh"
pc_init daemon-overlap
dm_sandbox_with_systemd
cat >>"$PC_TMP/catalog.d/50-test.toml" <<CAT

[[service]]
id = "pc-web2"
name = "Second test web service"
vendor = "local"
category = "test"
ports = ["$DM_PORT/tcp", "18081-18090/tcp"]
units = ["pc-web2.service"]
CAT
pc_write_unit pc-web2.service <<'UNIT'
[Service]
ExecStart=/bin/sleep 300
[Install]
WantedBy=default.target
UNIT
pc_systemctl daemon-reload
dm_write_config enabled-or-active
dm_listen
dm_listen 18085
dm_start_daemon

pc_systemctl enable --now pc-web.service pc-web2.service
dm_expect_open 1 "both enabled"
dm_expect_open 1 "the second one's range" 18085
ports=$(dm_prop OpenPorts)
[ "$ports" = 'a(ssqq) 1 "any" "tcp" 18080 18090' ] || pc_fail "OpenPorts not merged: $ports"

pc_systemctl disable --now pc-web.service
pc_wait_for 2 grep -q 'closed pc-web$' "$PC_TMP/daemon.log" || pc_fail "pc-web was not closed"
for _ in 1 2 3 4 5; do
    dm_connect || pc_fail "$DM_PORT closed while pc-web2 still needs it"
    sleep 0.1
done
pc_log "ok: the shared port stays open while one service still needs it"

pc_systemctl disable --now pc-web2.service
dm_expect_closed 1 "the last one disabled"
dm_expect_closed 1 "its range" 18085
[ "$(dm_prop OpenPorts)" = 'a(ssqq) 0' ] || pc_fail "OpenPorts: $(dm_prop OpenPorts)"
dm_pass
