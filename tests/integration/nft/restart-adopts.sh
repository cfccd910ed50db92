#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kill -9 leaves the table in place; a new process adopts it without re-creating it (same table
# handle, counter kept, nothing sent when nothing changed) while a client keeps connecting to an
# open port and sees no failure; and a restart with another set of services patches elements only.
source "$(dirname "$0")/lib.sh"
pc_setup_box
setup_peer
write_config enforce
listen_box "$PC_BOX_IP4:8080" "$PC_BOX_IP4:9090"

start_driver --open web
peer_connects "$PC_BOX_IP4" 8080 || pc_fail "open port does not connect"
if peer_connects "$PC_BOX_IP4" 9090; then pc_fail "closed port connects"; fi
handle=$(q handle)
dropped=$(q counter)
[[ $dropped -gt 0 ]] || pc_fail "nothing counted"

# A client connecting every 20 ms for 3 s across the restart.
pc_spawn loop nsenter --net="/run/netns/$PC_PEER_NETNS" -- python3 "$HERE/net.py" loop "$PC_BOX_IP4" 8080 3 0.02
loop_pid=$PC_LAST_PID
sleep 0.5

pc_stop "$DRIVER_PID" KILL || true
pc_in_box nft list table inet portcullis >/dev/null || pc_fail "the table went away with the process"
expect_eq "table handle after kill -9" "$(q handle)" "$handle"
pass "kill -9 left the table in place"
sleep 0.5

start_driver --open web
grep -q 'commit ok.*rebuilt=0 messages=0 .*adopted table inet portcullis' "$PC_TMP/driver.log" ||
    pc_fail "restart did not adopt: $(tail -1 "$PC_TMP/driver.log")"
expect_eq "table handle after restart" "$(q handle)" "$handle"
[[ $(q counter) -ge $dropped ]] || pc_fail "the counter was reset"
pass "restarted process adopted the table, sending nothing"

pc_reap "$loop_pid" || true
loop=$(cat "$PC_TMP/loop.log")
[[ $loop =~ attempts=([0-9]+)\ failures=([0-9]+) ]] || pc_fail "connect loop printed: $loop"
attempts=${BASH_REMATCH[1]}
failures=${BASH_REMATCH[2]}
[[ $attempts -ge 50 ]] || pc_fail "only $attempts connects in 3 s"
expect_eq "failed connects across the restart ($attempts attempts)" "$failures" "0"
pass "no failed connect in $attempts attempts across kill -9 and restart"

# The self-healing of the new process works (its event socket is its own).
pc_in_box nft delete table inet portcullis
wait_until 1 "repair by the restarted process" pc_in_box nft list set inet portcullis lan_tcp
pass "restarted process heals"

# Restart with other services: adopted and patched, not rebuilt.
pc_stop "$DRIVER_PID" KILL || true
handle=$(q handle)
start_driver --open web,dns
grep -q 'commit ok.*rebuilt=0 .*adopted table inet portcullis (. sets patched)' "$PC_TMP/driver.log" ||
    pc_fail "restart with changes did not patch: $(tail -1 "$PC_TMP/driver.log")"
expect_eq "table handle" "$(q handle)" "$handle"
expect_eq lan_tcp "$(q elements lan_tcp)" "53,8080"
pass "restart with another open set patched the elements"
