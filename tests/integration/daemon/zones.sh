#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Zones by interface and by source, over IPv4 and IPv6: lan is the veth to the peer, restricted
# to 198.18.0.0/25 and 2001:db8::/120; wan is a second veth to a second peer. pc-web opens in
# lan only (the default zone), pc-vpn in both.
set -euo pipefail
source "$(dirname "$0")/common.sh"
pc_init daemon-zones
pc_setup_netns
pc_start_bus
WAN_NS=${PC_PREFIX}-wan
WAN_IF=${PC_PREFIX}w
pc_add_netns "$WAN_NS"
ip -n "$PC_NETNS" link add "$WAN_IF" type veth peer name "${PC_PREFIX}x" netns "$WAN_NS"
ip -n "$PC_NETNS" addr add 198.18.1.1/24 dev "$WAN_IF"
ip -n "$PC_NETNS" addr add 2001:db8:1::1/64 dev "$WAN_IF" nodad
ip -n "$PC_NETNS" link set "$WAN_IF" up
ip -n "$WAN_NS" addr add 198.18.1.2/24 dev "${PC_PREFIX}x"
ip -n "$WAN_NS" addr add 2001:db8:1::2/64 dev "${PC_PREFIX}x" nodad
ip -n "$WAN_NS" link set "${PC_PREFIX}x" up
# A second address of the lan peer, on the link but outside lan's sources.
ip -n "$PC_PEER_NETNS" addr add 198.18.0.200/24 dev "$PC_PEER_IF"
ip -n "$PC_PEER_NETNS" addr add 2001:db8::1:2/64 dev "$PC_PEER_IF" nodad

dm_write_catalog
dm_write_config enabled enforce \
    "[zones.lan]" "interfaces = [\"$PC_BOX_IF\"]" \
    'sources = ["198.18.0.0/25", "2001:db8::/120"]' "default = true" \
    "[zones.wan]" "interfaces = [\"$WAN_IF\"]" \
    "[services.pc-vpn]" 'zones = ["lan", "wan"]' \
    "[always]" 'services = ["pc-web", "pc-vpn"]'
dm_no_systemd
dm_listen
dm_listen 18443
dm_start_daemon

# try FROM-NAMESPACE HOST PORT SOURCE: 0 connected, else not.
try() { nsenter "--net=/run/netns/$1" -- python3 "$DM_DIR/connect.py" "$2" "$3" 0.3 "$4"; }
# expect open|dropped WHAT NS HOST PORT SOURCE
expect() {
    local want=$1 what=$2 rc=0
    shift 2
    if [ "$want" = open ]; then
        pc_wait_for 1 try "$@" || pc_fail "$what: $3 from $4 should connect"
    else
        try "$@" || rc=$?
        [ "$rc" -eq 1 ] || pc_fail "$what: $3 from $4 should be dropped (connect said $rc)"
    fi
    pc_log "ok: $what: $want"
}
P=$PC_PEER_NETNS
expect open "lan, in its sources" "$P" "$PC_BOX_IP4" 18080 198.18.0.2
expect open "lan, in its sources, IPv6" "$P" "$PC_BOX_IP6" 18080 2001:db8::2
expect open "lan, pc-vpn" "$P" "$PC_BOX_IP4" 18443 198.18.0.2
expect dropped "lan interface, source outside lan" "$P" "$PC_BOX_IP4" 18080 198.18.0.200
expect dropped "lan interface, source outside lan, IPv6" "$P" "$PC_BOX_IP6" 18080 2001:db8::1:2
expect dropped "lan interface, source outside lan, pc-vpn" "$P" "$PC_BOX_IP4" 18443 198.18.0.200
expect open "wan, pc-vpn" "$WAN_NS" 198.18.1.1 18443 198.18.1.2
expect open "wan, pc-vpn, IPv6" "$WAN_NS" 2001:db8:1::1 18443 2001:db8:1::2
expect dropped "wan, pc-web (lan only)" "$WAN_NS" 198.18.1.1 18080 198.18.1.2
expect dropped "wan, pc-web (lan only), IPv6" "$WAN_NS" 2001:db8:1::1 18080 2001:db8:1::2
ports=$(dm_prop OpenPorts)
want='a(ssqq) 3 "lan" "tcp" 18080 18080 "lan" "tcp" 18443 18443 "wan" "tcp" 18443 18443'
[ "$ports" = "$want" ] || pc_fail "OpenPorts: $ports"
dm_pass
