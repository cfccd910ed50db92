#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# backend = "auto" on a kernel without nf_tables, simulated at the probe seam (the daemon's
# --simulate-missing, since this kernel has nf_tables): the legacy backend, end to end, with the
# same D-Bus answers as nftables gives; no nftables table anywhere. And when neither backend can
# work, one line that says what is missing and what provides it, exit status 70, nothing touched.
set -euo pipefail
source "$(dirname "$0")/common.sh"
pc_init daemon-backend-choice
pc_setup_netns
pc_start_bus
dm_write_catalog
dm_write_config enabled enforce "[always]" 'services = ["pc-web"]'
sed -i 's/^backend = .*/backend = "auto"/' "$PC_TMP/portcullis.toml"
dm_no_systemd
dm_listen
dm_listen 18099

# The answers an admin gets, one per line.
answers() {
    local m=(org.portcullis1 /org/portcullis1 org.portcullis1.Manager)
    local p
    for p in Mode CatalogSize EnabledServices OpenPorts LastError; do
        echo "$p: $(pc_busctl get-property "${m[@]}" "$p")"
    done
    echo "ListServices: $(pc_busctl call "${m[@]}" ListServices)"
    echo "Explain: $(pc_busctl call "${m[@]}" Explain sq tcp "$DM_PORT")"
    echo "Explain closed: $(pc_busctl call "${m[@]}" Explain sq tcp 18099)"
}

# 1. No nf_tables: auto picks legacy.
dm_start_daemon --simulate-missing nf_tables
grep -q 'kernel: nftables incomplete, missing nf_tables' "$PC_TMP/daemon.log" ||
    pc_fail "the probe result was not logged"
[ "$(dm_prop Backend)" = 's "legacy"' ] || pc_fail "Backend: $(dm_prop Backend)"
dm_expect_open 1 "legacy: the open port"
dm_expect_closed 1 "legacy: the closed port" 18099
[ -z "$(dm_nft list tables)" ] || pc_fail "nftables tables exist: $(dm_nft list tables)"
dm_ipt -n -L portcullis >/dev/null || pc_fail "no iptables chain"
legacy=$(answers)
pc_stop "$DM_DAEMON_PID" TERM || pc_fail "the legacy daemon did not exit 0 on SIGTERM"
pc_log "ok: auto without nf_tables runs the legacy backend"

# 2. The same box with nf_tables: auto picks nftables, and the API answers the same.
mv "$PC_TMP/daemon.log" "$PC_TMP/daemon-legacy.log"
dm_start_daemon
[ "$(dm_prop Backend)" = 's "nftables"' ] || pc_fail "Backend: $(dm_prop Backend)"
nft=$(answers)
[ "$legacy" = "$nft" ] || pc_fail "the D-Bus answers differ: legacy
$legacy
nftables
$nft"
pc_stop "$DM_DAEMON_PID" TERM || pc_fail "the nftables daemon did not exit 0 on SIGTERM"
pc_log "ok: the same D-Bus answers from both backends"

# 3. Neither: one actionable line, status 70, the firewall as it was.
before=$(dm_ruleset)
rc=0
pc_run_in_box "$PORTCULLISD" --config "$PC_TMP/portcullis.toml" \
    --simulate-missing nf_tables,bitmap:port >"$PC_TMP/neither.log" 2>&1 || rc=$?
[ "$rc" -eq 70 ] || pc_fail "neither backend: exit $rc, want 70"
errors=$(grep '^<3>' "$PC_TMP/neither.log")
[ "$(wc -l <<<"$errors")" -eq 1 ] || pc_fail "want one error line: $errors"
want='<3>no firewall backend: neither firewall backend can work here: nftables needs nf_tables (CONFIG_NF_TABLES, module nf_tables); the legacy backend needs ip_set type bitmap:port (CONFIG_IP_SET_BITMAP_PORT, module ip_set_bitmap_port). Load the module (modprobe NAME) or use a kernel built with the option, then start again'
[ "$errors" = "$want" ] || pc_fail "the message: $errors"
[ "$(dm_ruleset)" = "$before" ] || pc_fail "a daemon without a backend touched the firewall"
pc_log "ok: neither backend: exit 70 and one line"

# 4. --probe tells the same without starting anything.
pc_in_box "$PORTCULLISD" --probe --config "$PC_TMP/portcullis.toml" \
    --simulate-missing nf_tables >"$PC_TMP/probe.log" || pc_fail "--probe failed: $(cat "$PC_TMP/probe.log")"
grep -q '^backend = "auto" picks: legacy$' "$PC_TMP/probe.log" || pc_fail "--probe: $(cat "$PC_TMP/probe.log")"
rc=0
pc_in_box "$PORTCULLISD" --probe --config "$PC_TMP/portcullis.toml" \
    --simulate-missing nf_tables,ip_set >"$PC_TMP/probe2.log" || rc=$?
[ "$rc" -eq 69 ] || pc_fail "--probe with no backend: exit $rc, want 69"
pc_log "ok: --probe"
pc_log "passed"
