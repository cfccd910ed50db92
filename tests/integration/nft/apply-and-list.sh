#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Applies a plan and reads it back with `nft -j list`: sets and elements (65535 edge included),
# rule count, objects; the table means exactly what render_nft() prints (a table loaded from that
# text with `nft -f` lists the same, and the backend adopts it without sending anything); a later
# change is a patch, not a rebuild.
source "$(dirname "$0")/lib.sh"
pc_setup_box
write_config enforce

out=$(drive --open web,dns,ftp,high)
[[ $out == *"commit ok"*"rebuilt=1"*"created table inet portcullis"* ]] || pc_fail "first commit: $out"
pass "created: $out"

expect_eq lan_tcp "$(q elements lan_tcp)" "21,53,8080,60000-65535"
expect_eq lan_udp "$(q elements lan_udp)" "53"
expect_eq wan_tcp "$(q elements wan_tcp)" "8080"
expect_eq wan_udp "$(q elements wan_udp)" ""
expect_eq helper_ftp "$(q elements helper_ftp)" "21"
expect_eq lan_ifaces "$(q elements lan_ifaces)" "br0,veth-box"
expect_eq lan_src4 "$(q elements lan_src4)" "198.18.0.0/15"
expect_eq lan_src6 "$(q elements lan_src6)" "2001:db8::/32"
expect_eq lan_icmp "$(q elements lan_icmp)" "icmp,ipv6-icmp"
expect_eq sets "$(q sets)" "helper_ftp,lan_icmp,lan_ifaces,lan_src4,lan_src6,lan_tcp,lan_udp,wan_icmp,wan_ifaces,wan_tcp,wan_udp"
expect_eq helper "$(q helper)" "ftp tcp inet"
expect_eq counter "$(q counter)" "0"
expect_eq last-verdict "$(q last-verdict)" "drop"
want_rules=$(pc_in_box "$DRIVER" --config "$CONFIG" --open web,dns,ftp,high --print |
    awk '/policy accept;/ { inside = 1; next } inside && /^\t}/ { inside = 0 } inside' | wc -l)
expect_eq "rule count" "$(q rules)" "$want_rules"
pass "sets, elements, objects and $want_rules rules as planned"

# Same meaning as render_nft(): load the text into a second namespace and compare the listings.
pc_in_box "$DRIVER" --config "$CONFIG" --open web,dns,ftp,high --print >"$PC_TMP/render.nft"
REF=$PC_PREFIX-ref
pc_add_netns "$REF"
nsenter --net="/run/netns/$REF" nft -f "$PC_TMP/render.nft"
nsenter --net="/run/netns/$REF" nft -j list table inet portcullis |
    python3 "$HERE/nftjson.py" canon >"$PC_TMP/ref.canon"
q canon >"$PC_TMP/ours.canon"
if ! diff -u "$PC_TMP/ref.canon" "$PC_TMP/ours.canon"; then
    pc_fail "nft list of our table differs from the table render_nft() describes"
fi
pass "nft list matches render_nft() (loaded with nft -f) item for item"

# Incremental: closing dns, ftp and high touches only elements; the table is not re-created.
handle=$(q handle)
out=$(drive --open web)
[[ $out == *"commit ok"*"rebuilt=0"*"adopted"* ]] || pc_fail "patch commit: $out"
expect_eq "table handle after a patch" "$(q handle)" "$handle"
expect_eq lan_tcp "$(q elements lan_tcp)" "8080"
expect_eq lan_udp "$(q elements lan_udp)" ""
expect_eq helper_ftp "$(q elements helper_ftp)" ""
pass "patched in place: $out"

# Nothing to change: nothing sent.
out=$(drive --open web)
[[ $out == *"commit ok"*"messages=0"* ]] || pc_fail "no-op commit sent something: $out"
pass "no-op commit sends no batch"

# A new mode is a new chain: rebuilt in one transaction.
out=$(drive --open web --mode monitor)
[[ $out == *"commit ok"*"rebuilt=1"*"replaced"* ]] || pc_fail "mode change: $out"
expect_eq last-verdict "$(q last-verdict)" "accept"
pass "mode change rebuilt the table: $out"

# A table that nft loaded from render_nft() text is adopted as is: our encoding and nft's agree
# expression for expression, so the backend finds nothing to send.
pc_in_box nft delete table inet portcullis
pc_in_box nft -f "$PC_TMP/render.nft"
out=$(drive --open web,dns,ftp,high)
[[ $out == *"commit ok"*"rebuilt=0"*"messages=0"* ]] || pc_fail "adopting nft's own table: $out"
pass "adopted the table nft -f made from render_nft() without a message"
