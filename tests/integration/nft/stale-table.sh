#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A table left by an older layout is replaced in ONE transaction (`nft monitor` shows its delete
# and the new table under a single generation), so an open port keeps connecting throughout; a
# table with the right rules but wrong elements is patched, never flushed.
source "$(dirname "$0")/lib.sh"
pc_setup_box
setup_peer
write_config enforce
listen_box "$PC_BOX_IP4:8080" "$PC_BOX_IP4:9090"

# An "older version": other set names, other rules; it too lets 8080 in and drops the rest.
pc_in_box nft -f - <<'EOF'
table inet portcullis {
	set open_ports {
		type inet_service
		flags interval
		elements = { 22, 8080, 9090 }
	}
	chain input {
		type filter hook input priority filter; policy accept;
		ct state established,related accept
		tcp dport @open_ports accept
		counter drop
	}
}
EOF
peer_connects "$PC_BOX_IP4" 9090 || pc_fail "the stale table should let 9090 in"
old_handle=$(q handle)

pc_spawn monitor nsenter --net="/run/netns/$PC_NETNS" -- timeout 30 nft monitor
monitor_pid=$PC_LAST_PID
sleep 0.3
pc_spawn loop nsenter --net="/run/netns/$PC_PEER_NETNS" -- python3 "$HERE/net.py" loop "$PC_BOX_IP4" 8080 1.5 0.01
loop_pid=$PC_LAST_PID
sleep 0.5

out=$(drive --open web)
[[ $out == *"commit ok"*"rebuilt=1"*"replaced table inet portcullis"* ]] || pc_fail "stale table: $out"
pass "$out"
wait_until 3 "nft monitor saw our transaction" grep -q '(nft-driver)' "$PC_TMP/monitor.log"
pc_reap "$loop_pid" || true
pc_stop "$monitor_pid" || true

# Everything since the previous generation line belongs to our one transaction.
txn=$(awk '/^# new generation/ { if (/\(nft-driver\)/) { print buf; found++ } buf = ""; next }
           { buf = buf $0 "\n" } END { if (found != 1) print "GENERATIONS=" found }' \
    "$PC_TMP/monitor.log")
[[ $txn != *GENERATIONS=* ]] || pc_fail "expected exactly one transaction by the driver: $(cat "$PC_TMP/monitor.log")"
[[ $txn == *"delete table inet portcullis"* ]] || pc_fail "the old table was not deleted in our transaction: $txn"
[[ $txn == *"add table inet portcullis"* ]] || pc_fail "the new table was not added in our transaction: $txn"
[[ $txn == *"add set inet portcullis lan_tcp"* ]] || pc_fail "the sets were not added in our transaction: $txn"
[[ $txn == *"add rule inet portcullis input"* ]] || pc_fail "the rules were not added in our transaction: $txn"
pass "old table deleted and new table created in one generation"

loop=$(cat "$PC_TMP/loop.log")
[[ $loop =~ attempts=([0-9]+)\ failures=0 ]] || pc_fail "connects failed during the replacement: $loop"
pass "no failed connect to 8080 during the replacement ($loop)"

[[ $(q handle) != "$old_handle" ]] || pc_fail "the table was not re-created"
expect_eq sets "$(q sets)" "helper_ftp,lan_icmp,lan_ifaces,lan_src4,lan_src6,lan_tcp,lan_udp,wan_icmp,wan_ifaces,wan_tcp,wan_udp"
if peer_connects "$PC_BOX_IP4" 9090; then pc_fail "9090 still open after the replacement"; fi
pass "old set and rules are gone"

# Right rules, one rule missing (as an older version without the ftp helper would have left it):
# another layout, replaced.
pc_in_box "$DRIVER" --config "$CONFIG" --open web --print | grep -v 'ct helper set' >"$PC_TMP/older.nft"
pc_in_box nft delete table inet portcullis
pc_in_box nft -f "$PC_TMP/older.nft"
out=$(drive --open web)
[[ $out == *"rebuilt=1"*"replaced"*"rules, want"* ]] || pc_fail "table missing a rule: $out"
pass "a table missing one rule is replaced: $out"

# Right layout, wrong elements: patched in place, the counter kept.
pc_in_box nft add element inet portcullis lan_tcp '{ 9999, 20000-20010 }'
pc_in_box nft delete element inet portcullis lan_tcp '{ 8080 }'
handle=$(q handle)
out=$(drive --open web)
[[ $out == *"commit ok"*"rebuilt=0"*"adopted"* ]] || pc_fail "wrong elements: $out"
expect_eq "table handle" "$(q handle)" "$handle"
expect_eq lan_tcp "$(q elements lan_tcp)" "8080"
pass "a table with the right layout and wrong elements is patched: $out"
