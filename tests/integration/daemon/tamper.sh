#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Tamper and heal: whatever someone else does to what the daemon made is put back (nftables: on
# the change event, within a second; legacy: at the next check, every check_seconds), with the
# open port open and the closed one dropped again. For legacy, that includes a rewrite of the
# whole filter table the way DSM's firewall does it: DSM's rules stay, our jump goes first again.
# The daemon's own changes are never taken for tampering. A Reload that changes check_seconds
# (legacy) takes effect at once.
set -euo pipefail
source "$(dirname "$0")/common.sh"
pc_init daemon-tamper
pc_setup_netns
pc_start_bus
dm_write_catalog
dm_write_config enabled enforce "[always]" 'services = ["pc-web"]'
dm_no_systemd
dm_listen
dm_listen 18099
dm_start_daemon
dm_expect_open 1 "before any tampering"
state=$(dm_fw_state)
repairs() { grep -c 'restored' "$PC_TMP/daemon.log" || true; }
same_state() { [ "$(dm_fw_state)" = "$state" ]; }

# heal WHAT COMMAND...: tamper, then the same firewall again within DM_HEAL_SECS.
heal() {
    local what=$1 before t0
    shift
    before=$(repairs)
    t0=$(date +%s%N)
    pc_in_box "$@" >/dev/null
    pc_wait_for "$DM_HEAL_SECS" same_state ||
        pc_fail "$what: not restored within $DM_HEAL_SECS s: $(diff <(echo "$state") <(dm_fw_state))"
    pc_log "ok: $what: restored in $((($(date +%s%N) - t0) / 1000000)) ms"
    [ "$(repairs)" -gt "$before" ] || pc_fail "$what: the repair was not logged"
    dm_connect || pc_fail "$what: the open port is closed after the repair"
    dm_dropped 18099 || pc_fail "$what: the closed port is open after the repair"
}

if [ "$DM_BACKEND" = legacy ]; then
    heal "jump removed from INPUT" iptables-legacy -D INPUT -j portcullis
    heal "chain flushed" iptables-legacy -F portcullis
    # A rule of someone else's put before our jump: ours goes first again, theirs stays.
    before=$(repairs)
    dm_ipt -I INPUT 1 -p tcp --dport 9999 -j ACCEPT
    jump_first() { [ "$(dm_ipt -S INPUT | sed -n 2p)" = "-A INPUT -j portcullis" ]; }
    pc_wait_for "$DM_HEAL_SECS" jump_first || pc_fail "our jump is not first again: $(dm_ipt -S INPUT)"
    [ "$(repairs)" -gt "$before" ] || pc_fail "moving our jump first again was not logged"
    dm_ipt -S INPUT | grep -q -- '--dport 9999 -j ACCEPT' || pc_fail "the other rule went away"
    dm_ipt -D INPUT -p tcp --dport 9999 -j ACCEPT
    pc_log "ok: a rule put before our jump: ours first again, theirs kept"
    heal "a rule of ours replaced" iptables-legacy -R portcullis 1 -j RETURN
    heal "IPv6 chain flushed" ip6tables-legacy -F portcullis
    heal "FTP helper rule flushed" iptables-legacy -t raw -F portcullis
    heal "member deleted" ipset del pc_any_tcp "$DM_PORT"
    heal "member added" ipset add pc_any_tcp 9999
    heal "set flushed" ipset flush pc_any_tcp
    # DSM's firewall rewrites the filter table whole (iptables-restore without --noflush): our
    # chain and the jump go; its own rules must stay, after our jump.
    cat >"$PC_TMP/dsm.rules" <<'RULES'
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:DSM_FIREWALL - [0:0]
-A INPUT -j DSM_FIREWALL
-A DSM_FIREWALL -s 198.18.0.0/15 -p tcp -m tcp --dport 5000 -j RETURN
COMMIT
RULES
    heal "DSM-style rewrite of the filter table" iptables-legacy-restore "$PC_TMP/dsm.rules"
    dm_ipt -S INPUT | grep -qx -- '-A INPUT -j DSM_FIREWALL' || pc_fail "DSM's jump is gone"
    [ "$(dm_ipt -S INPUT | sed -n 2p)" = "-A INPUT -j portcullis" ] ||
        pc_fail "our jump is not first: $(dm_ipt -S INPUT)"
    dm_ipt -S DSM_FIREWALL | grep -q -- '--dport 5000' || pc_fail "DSM's rule is gone"
    pc_log "ok: DSM's rules kept, ours first"
else
    heal "table deleted" nft delete table inet portcullis
    heal "chain flushed" nft flush chain inet portcullis input
    heal "element deleted" nft delete element inet portcullis any_tcp "{ $DM_PORT }"
    heal "element added" nft add element inet portcullis any_tcp '{ 9999 }'
    heal "rule added" nft add rule inet portcullis input tcp dport 7777 accept
fi

# Our own changes are not tampering: a change and a reload bring no repair.
before=$(repairs)
pc_busctl call org.portcullis1 /org/portcullis1 org.portcullis1.Manager SetOverride ss pc-vpn open
dm_listen 18443
dm_expect_open 1 "an override of our own" 18443
kill -HUP "$DM_DAEMON_PID"
sleep $((DM_CHECK_SECONDS * 2))
[ "$(repairs)" = "$before" ] || pc_fail "the daemon's own change was taken for tampering"
pc_log "ok: own changes raise no repair"

# legacy: a reload that changes [legacy] check_seconds changes how often it looks, at once.
if [ "$DM_BACKEND" = legacy ]; then
    reload_with() {
        sed -i "s/^check_seconds = .*/check_seconds = $1/" "$PC_TMP/portcullis.toml"
        pc_busctl call org.portcullis1 /org/portcullis1 org.portcullis1.Manager Reload >/dev/null
    }
    state=$(dm_fw_state) # with pc-vpn open
    reload_with 60
    dm_ipt -F portcullis
    sleep 3
    [ "$(dm_fw_state)" != "$state" ] || pc_fail "repaired within 3 s with check_seconds = 60"
    t0=$(date +%s%N)
    reload_with 1
    pc_wait_for "$DM_HEAL_SECS" same_state || pc_fail "not repaired after check_seconds went back to 1"
    pc_log "ok: check_seconds 60 -> 1 on Reload: repaired $((($(date +%s%N) - t0) / 1000000)) ms after it"
fi
dm_pass
