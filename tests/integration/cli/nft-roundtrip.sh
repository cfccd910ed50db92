#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The text --print-ruleset prints is what nft itself prints for that table: load it into a
# throwaway network namespace with `nft -f` and list it back.
set -euo pipefail
daemon=$1 src=$2
source "$(dirname "$0")/../lib/harness.sh"
pc_init "${PC_TEST_NAME:-cli-nft-roundtrip}"
pc_require nft
pc_setup_box
for cfg in router nas; do
    "$daemon" --print-ruleset --config "$src/conf/examples/$cfg.toml" \
        --assume-enabled ssh,smb,nfs,ftp,dsm,vpn-openvpn,high-availability >"$PC_TMP/want.nft"
    pc_in_box nft -f "$PC_TMP/want.nft"
    pc_in_box nft list table inet portcullis >"$PC_TMP/got.nft"
    diff -u "$PC_TMP/want.nft" "$PC_TMP/got.nft"
    pc_in_box nft delete table inet portcullis
    echo "ok: $cfg"
done
