#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The FTP helper: an FTP service whose catalogue entry names helpers = ["ftp"] works in passive
# mode over IPv4 (PASV) and IPv6 (EPSV) although its data ports are never opened: the conntrack
# helper reads the control connection and lets the data connection in as related. The same
# server on a port of a service without the helper gets its control connection through but its
# data connection dropped; and the passive ports stay closed to anything else.
set -euo pipefail
source "$(dirname "$0")/common.sh"
pc_init daemon-ftp
pc_setup_netns
pc_start_bus
mkdir -p "$PC_TMP/catalog.d"
cat >"$PC_TMP/catalog.d/50-ftp.toml" <<'CAT'
[[service]]
id = "pc-ftp"
name = "Test FTP, with the helper"
ports = ["2121/tcp"]
helpers = ["ftp"]

[[service]]
id = "pc-ftp-bare"
name = "Test FTP, without the helper"
ports = ["2122/tcp"]
CAT
dm_write_config enabled enforce "[always]" 'services = ["pc-ftp", "pc-ftp-bare"]'
dm_no_systemd
for port in 2121 2122; do
    pc_spawn "ftp$port" nsenter "--net=/run/netns/$PC_NETNS" -- \
        python3 "$DM_DIR/ftp.py" serve "$port" 120 $((port * 20))
    pc_wait_for 5 grep -q listening "$PC_TMP/ftp$port.log" || pc_fail "ftp server $port"
done
dm_start_daemon

ftp_get() { pc_in_peer python3 "$DM_DIR/ftp.py" get "$@"; }
pc_wait_for 2 ftp_get "$PC_BOX_IP4" 2121 || pc_fail "passive FTP over IPv4 (PASV) through the helper failed"
pc_log "ok: passive FTP over IPv4 through the helper"
ftp_get "$PC_BOX_IP6" 2121 || pc_fail "passive FTP over IPv6 (EPSV) through the helper failed"
pc_log "ok: passive FTP over IPv6 through the helper"

# Without the helper, the control connection is let in, the data connection is not.
dm_connect 2122 || pc_fail "the control port of the service without the helper is closed"
if ftp_get "$PC_BOX_IP4" 2122 2>/dev/null; then
    pc_fail "passive FTP worked without the helper: the data ports must be open"
fi
pc_log "ok: without the helper, the data connection is dropped"

# The passive range itself is not open to anyone.
dm_listen 42430
dm_expect_closed 1 "a port of the passive range" 42430
dm_pass
