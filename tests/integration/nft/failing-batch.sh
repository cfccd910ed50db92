#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# All or nothing. A batch the kernel refuses (a rule that names a set that does not exist, in a
# rebuild that begins by deleting the table) changes nothing at all, the error names the message
# that failed, and the backend still knows what is applied. A patch that meets an element someone
# added behind its back fails whole (EEXIST) and is redone as one rebuild.
source "$(dirname "$0")/lib.sh"
pc_setup_box
write_config enforce
start_driver --open web --no-heal

before=$(nft_json)
driver_cmd bad
line=$(grep '^commit-bad' "$PC_TMP/driver.log")
[[ $line == *"FAILED error=-2 "* ]] || pc_fail "the bad batch was not refused with ENOENT: $line"
[[ $line == *"NFT_MSG_NEWRULE input #"*"@no_such_set"*"No such file or directory"* ]] ||
    pc_fail "the error does not name the failing message: $line"
pass "refused: $line"
after=$(nft_json)
[[ "$before" == "$after" ]] || pc_fail "the kernel changed although the batch failed:
$(diff <(echo "$before" | python3 -m json.tool) <(echo "$after" | python3 -m json.tool))"
pass "kernel unchanged (same handles, same elements, same rules)"

driver_cmd verify "open web,dns"
grep -q '^verify same$' "$PC_TMP/driver.log" || pc_fail "backend lost track: $(grep ^verify "$PC_TMP/driver.log")"
[[ $(tail -1 "$PC_TMP/driver.log") == "commit ok"*"rebuilt=0"* ]] ||
    pc_fail "a patch after the failure: $(tail -1 "$PC_TMP/driver.log")"
expect_eq lan_tcp "$(q elements lan_tcp)" "53,8080"
pass "the backend still patches from what is really applied"

# Someone adds 8040-8060 behind our back (self-healing is off in this driver); opening 8050
# then overlaps it: the kernel refuses the patch (EEXIST), nothing of it applies, and the
# backend redoes the change as one rebuild from the desired layout.
pc_in_box nft add element inet portcullis lan_tcp '{ 8040-8060 }'
driver_cmd "open web,dns,alt"
line=$(tail -1 "$PC_TMP/driver.log")
[[ $line == "commit ok"*"rebuilt=1"*"NFT_MSG_NEWSETELEM lan_tcp: File exists"*"rebuilt it" ]] ||
    pc_fail "overlapping patch: $line"
expect_eq lan_tcp "$(q elements lan_tcp)" "53,8050,8080"
driver_cmd verify
[[ $(grep -c '^verify same$' "$PC_TMP/driver.log") -eq 2 ]] || pc_fail "verify after the rebuild"
pass "an overlapping patch failed whole and was redone as a rebuild: $line"
