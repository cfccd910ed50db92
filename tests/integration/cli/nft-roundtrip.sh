#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The text --print-ruleset prints is what nft itself prints for that table: load it into a
# throwaway network namespace with `nft -f` and list it back.
set -euo pipefail
daemon=$1 src=$2
[ "$(id -u)" -eq 0 ] || { echo "skipped: needs root (network namespace)"; exit 77; }
ns=pc-cli-$$
tmp=$(mktemp -d)
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
ip netns add "$ns"
for cfg in router nas; do
    "$daemon" --print-ruleset --config "$src/conf/examples/$cfg.toml" \
        --assume-enabled ssh,smb,nfs,ftp,dsm,vpn-openvpn,high-availability >"$tmp/want.nft"
    nsenter --net="/run/netns/$ns" nft -f "$tmp/want.nft"
    nsenter --net="/run/netns/$ns" nft list table inet portcullis >"$tmp/got.nft"
    diff -u "$tmp/want.nft" "$tmp/got.nft"
    nsenter --net="/run/netns/$ns" nft delete table inet portcullis
    echo "ok: $cfg"
done
