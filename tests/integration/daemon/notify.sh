#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# sd_notify as systemd's Type=notify sees it: READY=1 only once the table is in the kernel,
# STATUS= lines after commits, WATCHDOG=1 while WATCHDOG_USEC is set, STOPPING=1 on SIGTERM.
set -euo pipefail
source "$(dirname "$0")/common.sh"
pc_init daemon-notify
pc_setup_netns
pc_start_bus
dm_write_catalog
dm_write_config enabled enforce "[always]" 'services = ["pc-web"]'
dm_no_systemd

# The notify socket: records every datagram, and on READY=1 whether the table exists yet.
pc_spawn notify python3 -c '
import socket, subprocess, sys, time
path, netns, backend = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(0.5)
end = time.monotonic() + 60
while time.monotonic() < end:
    try:
        msg = s.recv(4096).decode()
    except socket.timeout:
        continue
    for line in msg.split("\n"):
        extra = ""
        if line == "READY=1":
            # The table (legacy: the chain) must be there before READY=1.
            what = (["iptables-legacy", "-n", "-L", "portcullis"] if backend == "legacy"
                    else ["nft", "list", "table", "inet", "portcullis"])
            r = subprocess.run(["nsenter", "--net=" + netns] + what, capture_output=True)
            extra = " table=" + ("present" if r.returncode == 0 else "missing")
        print("%.3f %s%s" % (time.monotonic(), line, extra), flush=True)
' "$PC_TMP/notify.sock" "/run/netns/$PC_NETNS" "$DM_BACKEND"
pc_wait_for 5 test -S "$PC_TMP/notify.sock" || pc_fail "notify socket"

pc_spawn daemon env NOTIFY_SOCKET="$PC_TMP/notify.sock" WATCHDOG_USEC=400000 \
    nsenter --net="/run/netns/$PC_NETNS" -- "$PORTCULLISD" --config "$PC_TMP/portcullis.toml"
pid=$PC_LAST_PID
pc_wait_for 10 grep -q '^[0-9.]* READY=1' "$PC_TMP/notify.log" || pc_fail "no READY=1"
grep -q 'READY=1 table=present' "$PC_TMP/notify.log" || pc_fail "READY=1 came before the table"
grep -q 'STATUS=enforce: 1 services open, 1 port ranges, generation 1' "$PC_TMP/notify.log" ||
    pc_fail "no STATUS line after the first commit"
# 400 ms watchdog: a keep-alive every 200 ms.
sleep 1.1
n=$(grep -c ' WATCHDOG=1$' "$PC_TMP/notify.log" || true)
[ "$n" -ge 4 ] && [ "$n" -le 8 ] || pc_fail "$n WATCHDOG=1 in ~1.2 s with WATCHDOG_USEC=400000"
pc_stop "$pid" TERM || pc_fail "SIGTERM: non-zero exit"
pc_wait_for 2 grep -q ' STOPPING=1$' "$PC_TMP/notify.log" || pc_fail "no STOPPING=1"
dm_fw_present || pc_fail "the table went away on SIGTERM"
pc_log "ok: READY after the table, STATUS, $n watchdog pings, STOPPING, table kept"
dm_pass
