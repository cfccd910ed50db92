#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Self-healing: whatever someone else does to the table (delete it, flush the chain, delete or add
# an element, flush the whole ruleset), the backend hears it through nf_tables events and puts the
# last committed table back within a second. Its own commits never trigger a repair, and changes
# to other tables are none of its business.
source "$(dirname "$0")/lib.sh"
pc_setup_box
write_config enforce
start_driver --open web,dns
want_tcp="53,8080"
expect_eq lan_tcp "$(q elements lan_tcp)" "$want_tcp"
rules=$(q rules)

repairs() { grep -c '^repair ok' "$PC_TMP/driver.log" || true; }
table_back() { [[ "$(q elements lan_tcp 2>/dev/null)" == "$want_tcp" && "$(q rules)" == "$rules" ]]; }

# heal WHAT COMMAND...: tamper, then wait at most one second for the table to be whole again.
heal() {
    local what=$1
    shift
    local before
    before=$(repairs)
    local t0
    t0=$(date +%s%N)
    pc_in_box "$@"
    wait_until 1 "repair after: $what" table_back
    local ms=$((($(date +%s%N) - t0) / 1000000))
    wait_until 1 "repair logged after: $what" test "$(repairs)" -gt "$before"
    pass "$what: repaired in ${ms} ms"
}

heal "nft delete table" nft delete table inet portcullis
heal "nft flush chain" nft flush chain inet portcullis input
heal "nft delete element" nft delete element inet portcullis lan_tcp '{ 8080 }'
heal "nft add element" nft add element inet portcullis lan_tcp '{ 9999 }'
heal "nft add rule" nft add rule inet portcullis input tcp dport 7777 accept
heal "nft flush ruleset" nft flush ruleset

# Our own commits (a patch and a rebuild) are not tampering.
before=$(repairs)
driver_cmd "open web"
want_tcp="8080"
expect_eq lan_tcp "$(q elements lan_tcp)" "$want_tcp"
sleep 0.3
driver_cmd verify
expect_eq "repairs after our own commit" "$(repairs)" "$before"
grep -q '^verify same$' "$PC_TMP/driver.log" || pc_fail "verify after our commit: $(grep ^verify "$PC_TMP/driver.log")"
pass "own commits raise no repair"

# Another table is not ours.
pc_in_box nft add table inet someone-else
pc_in_box nft add chain inet someone-else c
sleep 0.3
expect_eq "repairs after another table changed" "$(repairs)" "$before"
pc_in_box nft list table inet someone-else >/dev/null || pc_fail "the other table was touched"
pass "other tables are left alone"
