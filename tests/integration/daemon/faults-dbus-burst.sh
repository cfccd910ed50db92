#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 10,000 D-Bus calls in a burst from 4 clients at once (property reads, Explain, and SetOverride
# toggles of one service per client): every call is answered, the daemon's memory stays bounded,
# and afterwards the kernel and the stored overrides hold exactly the last override of each
# client. Prints the call latencies (median, p99, max) and the RSS before and after.
set -euo pipefail
source "$(dirname "$0")/common.sh"
pc_init daemon-dbus-burst
dm_sandbox_with_systemd
for i in 0 1 2 3; do
    cat >>"$PC_TMP/catalog.d/50-test.toml" <<CAT

[[service]]
id = "pc-b$i"
name = "Burst test service $i"
vendor = "local"
category = "test"
ports = ["$((18101 + i))/tcp"]
units = ["pc-b$i.service"]
CAT
done
dm_write_config enabled-or-active
dm_start_daemon
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$DM_DAEMON_PID/status"; }
# Warm up (first use of each path), so "before" is the working set, not the start-up one.
for i in 0 1 2 3; do
    pc_busctl call org.portcullis1 /org/portcullis1 org.portcullis1.Manager SetOverride ss "pc-b$i" open
done
rss_before=$(rss)

start=$(date +%s%N)
pids=()
for i in 0 1 2 3; do
    pc_spawn "client$i" timeout 120 python3 "$DM_DIR/dbus-burst.py" "$PC_SESSION_BUS" "$i" 2500 "pc-b$i"
    pids+=("$PC_LAST_PID")
done
for i in 0 1 2 3; do
    pc_reap "${pids[i]}" || pc_fail "client $i failed: $(tail -c 300 "$PC_TMP/client$i.log")"
done
took=$((($(date +%s%N) - start) / 1000000))
rss_after=$(rss)
pc_alive "$DM_DAEMON_PID" || pc_fail "the daemon died in the burst"

errors=$(cat "$PC_TMP"/client*.log | awk '/^errors:/ { n += $2 } END { print n + 0 }')
[ "$errors" -eq 0 ] || pc_fail "$errors calls answered with an error"
stats=$(cat "$PC_TMP"/client*.log | sed -n 's/^latencies_ms: //p' | tr ' ' '\n' | sort -g |
    awk '{ a[NR] = $1 } END { printf "%d %.2f %.2f %.2f", NR, a[int(NR * 0.5)], a[int(NR * 0.99)], a[NR] }')
read -r calls p50 p99 max <<<"$stats"
[ "$calls" -eq 10000 ] || pc_fail "$calls calls answered, want 10000"
pc_log "figures: $calls calls from 4 clients in $took ms; latency median $p50 ms, p99 $p99 ms, max $max ms"
pc_log "figures: RSS before $rss_before kB, after $rss_after kB"
[ "$rss_after" -lt $((rss_before * 2 + 4096)) ] ||
    pc_fail "RSS grew from $rss_before kB to $rss_after kB (bound: 2x + 4 MB)"
pc_busctl get-property org.portcullis1 /org/portcullis1 org.portcullis1.Manager Mode >/dev/null ||
    pc_fail "the daemon does not answer after the burst"

# Even clients ended on open, odd ones on closed: the kernel and the file must agree.
fw=$(dm_fw_state)
stored=$(cat "$PC_TMP/portcullis-state/overrides.toml")
for i in 0 1 2 3; do
    port=$((18101 + i))
    if [ $((i % 2)) -eq 0 ]; then want=open; else want=closed; fi
    grep -q "pc-b$i = \"$want\"" <<<"$stored" || pc_fail "stored override of pc-b$i is not $want: $stored"
    if [ $want = open ]; then
        grep -qw "$port" <<<"$fw" || pc_fail "pc-b$i: port $port not in the firewall: $fw"
    else
        ! grep -qw "$port" <<<"$fw" || pc_fail "pc-b$i: port $port still in the firewall: $fw"
    fi
done
pc_log "ok: the kernel and the stored overrides hold each client's last override"
dm_pass
