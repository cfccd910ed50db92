#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --print-ruleset for 5 services and for the whole catalogue has the same rules: services and
# ports only ever become set elements.
set -euo pipefail
daemon=$1 src=$2
cfg=$src/conf/examples/router.toml
all=$("$daemon" --print-catalog --config "$cfg" | python3 -c 'import json,sys; print(",".join(s["id"] for s in json.load(sys.stdin)))')
five=ssh,smb,nfs,dsm,vpn-openvpn
rules() { sed -n '/policy accept;/,/^\t}/p' | sed '1d;$d'; }
r5=$("$daemon" --print-ruleset --config "$cfg" --assume-enabled "$five" | rules)
rall=$("$daemon" --print-ruleset --config "$cfg" --assume-enabled "$all" | rules)
n5=$(wc -l <<<"$r5") nall=$(wc -l <<<"$rall")
echo "rules with 5 services: $n5; with all $(tr ',' '\n' <<<"$all" | wc -l) services: $nall"
[ "$n5" -eq "$nall" ] || { echo "FAIL: rule counts differ"; exit 1; }
[ "$r5" = "$rall" ] || { echo "FAIL: rules differ"; diff <(echo "$r5") <(echo "$rall"); exit 1; }
# And the sets really differ: the whole catalogue opens more.
e5=$("$daemon" --print-ruleset --config "$cfg" --assume-enabled "$five" | grep -c elements || true)
eall=$("$daemon" --print-ruleset --config "$cfg" --assume-enabled "$all" | grep -o ',' | wc -l)
[ "$eall" -gt 100 ] || { echo "FAIL: the full catalogue opened too little ($eall)"; exit 1; }
echo "ok ($e5 non-empty sets with 5 services)"
