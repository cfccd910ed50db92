#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real traffic over a veth pair from a peer namespace: in enforce mode an open TCP port connects
# (IPv4 and IPv6, which also needs the neighbour-discovery rule) and a closed one does not, and
# the drop is counted; in monitor mode the closed port connects too and the counter still counts.
source "$(dirname "$0")/lib.sh"
pc_setup_box
setup_peer
write_config enforce
listen_box "$PC_BOX_IP4:8080" "$PC_BOX_IP4:9090" "[$PC_BOX_IP6]:8080" "[$PC_BOX_IP6]:9090"

# Before any table: everything connects (the listener works).
peer_connects "$PC_BOX_IP4" 9090 || pc_fail "no table yet, but 9090 does not connect"

start_driver --open web
peer_connects "$PC_BOX_IP4" 8080 || pc_fail "enforce: open port 8080 does not connect over IPv4"
peer_connects "$PC_BOX_IP6" 8080 || pc_fail "enforce: open port 8080 does not connect over IPv6"
pass "enforce: open port connects (IPv4, IPv6)"
if peer_connects "$PC_BOX_IP4" 9090; then pc_fail "enforce: closed port 9090 connects over IPv4"; fi
if peer_connects "$PC_BOX_IP6" 9090; then pc_fail "enforce: closed port 9090 connects over IPv6"; fi
pass "enforce: closed port does not connect (IPv4, IPv6)"

dropped=$(q counter)
[[ $dropped -gt 0 ]] || pc_fail "enforce: nothing counted as dropped"
driver_cmd dropped
grep -q "^dropped $dropped\$" "$PC_TMP/driver.log" ||
    pc_fail "backend dropped() disagrees with nft ($dropped): $(grep ^dropped "$PC_TMP/driver.log")"
pass "enforce: $dropped packets counted, and dropped() reads the same"

# Opening 9090 at runtime is a patch; it then connects.
driver_cmd "open web,high"
if peer_connects "$PC_BOX_IP4" 9090; then pc_fail "9090 is not in any service, yet connects"; fi
pc_spawn listen60001 nsenter --net="/run/netns/$PC_NETNS" -- python3 "$HERE/net.py" listen 5 "$PC_BOX_IP4:60001"
sleep 0.3
peer_connects "$PC_BOX_IP4" 60001 || pc_fail "60001 (in 60000-65535) does not connect after opening high"
pass "runtime open: 60000-65535 range connects"

# Monitor mode: the same closed port connects, and is counted.
pc_stop "$DRIVER_PID" || true
before=$(q counter)
start_driver --open web --mode monitor
expect_eq last-verdict "$(q last-verdict)" "accept"
peer_connects "$PC_BOX_IP4" 9090 || pc_fail "monitor: closed port 9090 does not connect"
peer_connects "$PC_BOX_IP6" 9090 || pc_fail "monitor: closed port 9090 does not connect over IPv6"
after=$(q counter)
# The mode change re-created the table, and with it the counter.
[[ $after -gt 0 ]] || pc_fail "monitor: the would-be drop was not counted (before $before, after $after)"
pass "monitor: closed port connects and is counted ($after packets)"
