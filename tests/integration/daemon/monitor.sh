#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Monitor mode lets everything through and counts what it would drop (D-Bus Dropped, read from
# the kernel's counter); a reload to enforce drops it, over IPv4 and IPv6, and Dropped goes on
# counting.
set -euo pipefail
source "$(dirname "$0")/common.sh"
pc_init daemon-monitor
pc_setup_netns
pc_start_bus
dm_write_catalog
dm_write_config enabled monitor "[always]" 'services = ["pc-web"]'
dm_no_systemd
dm_listen
dm_listen 18099
dm_start_daemon

dropped() { dm_prop Dropped | awk '{print $2}'; }
# What the kernel itself counts in the final rule (the nft counter, or the iptables rule's).
kernel_dropped() {
    if [ "$DM_BACKEND" = legacy ]; then
        local v4 v6
        v4=$(dm_ipt -L portcullis -v -x -n | tail -1 | awk '{print $1}')
        v6=$(pc_in_box ip6tables-legacy -L portcullis -v -x -n | tail -1 | awk '{print $1}')
        echo $((v4 + v6))
    else
        dm_nft list counter inet portcullis dropped | awk '/packets/ {print $2}'
    fi
}

[ "$(dm_prop Mode)" = 's "monitor"' ] || pc_fail "Mode: $(dm_prop Mode)"
before=$(dropped)
dm_connect 18099 || pc_fail "monitor: a closed port must still connect (IPv4)"
dm_connect 18099 "$PC_BOX_IP6" || pc_fail "monitor: a closed port must still connect (IPv6)"
after=$(dropped)
[ "$after" -ge $((before + 2)) ] || pc_fail "monitor: Dropped went from $before to $after"
# The same counter: what the kernel says lies between two reads of Dropped (the peer's own
# multicast traffic may add a packet at any time).
kernel=$(kernel_dropped)
again=$(dropped)
[ "$after" -le "$kernel" ] && [ "$kernel" -le "$again" ] ||
    pc_fail "Dropped read $after then $again, the kernel counts $kernel"
pc_log "ok: monitor lets 18099 through and counts it (Dropped $before -> $after, as the kernel)"

dm_write_config enabled enforce "[always]" 'services = ["pc-web"]'
dm_no_systemd
kill -HUP "$DM_DAEMON_PID"
pc_wait_for 5 test "$(dm_prop Mode)" = 's "enforce"' || pc_fail "the reload did not switch to enforce"
dm_expect_closed 1 "enforce: the closed port (IPv4)" 18099
pc_wait_for 1 dm_dropped 18099 "$PC_BOX_IP6" || pc_fail "enforce: 18099 connects over IPv6"
dm_expect_open 1 "enforce: the open port (IPv4)"
dm_connect "$DM_PORT" "$PC_BOX_IP6" || pc_fail "enforce: the open port does not connect (IPv6)"
now=$(dropped)
[ "$now" -gt 0 ] || pc_fail "enforce: nothing counted as dropped"
dm_dropped 18099 || pc_fail "18099 connected"
[ "$(dropped)" -gt "$now" ] || pc_fail "Dropped did not count a dropped connect"
pc_log "ok: enforce drops 18099 over IPv4 and IPv6 and counts it (Dropped $(dropped))"
dm_pass
