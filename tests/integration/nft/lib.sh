# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# The nftables tests' own helpers, on top of ../lib/harness.sh (which owns the namespaces, the
# processes, the temp dir and their cleanup, on success and on failure alike): the nft-driver in
# the box, the catalogue and config it plans from, and queries of the table it made. Each test
# sources this, then calls pc_setup_box (and pc_setup_peer veth-box veth-peer for traffic: the
# config names veth-box).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"

TEST=$(basename "$0" .sh)
pc_init "nft-$TEST"
pc_require nft python3

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DRIVER=${NFT_DRIVER:?NFT_DRIVER must name the nft-driver binary (ctest sets it)}
if ! "$DRIVER" --probe >/dev/null 2>&1; then
    # A cross build: the driver is for another architecture, and qemu-user cannot open
    # NETLINK_NETFILTER sockets anyway.
    pc_skip "$DRIVER does not run on this machine"
fi

pass() { pc_log "ok: $*"; }

# The veth pair between box and peer, with the names the config below gives the lan zone.
setup_peer() { pc_setup_peer veth-box veth-peer; }

# The catalogue and config the tests plan from. $1: enforce | monitor.
write_config() {
    mkdir -p "$PC_TMP/catalog.d"
    cat >"$PC_TMP/catalog.d/test.toml" <<'TOML'
[[service]]
id = "web"
name = "Web"
ports = ["8080/tcp"]

[[service]]
id = "alt"
name = "Alternative web"
ports = ["8050/tcp"]

[[service]]
id = "dns"
name = "DNS"
ports = ["53/tcp", "53/udp"]

[[service]]
id = "ftp"
name = "FTP"
ports = ["21/tcp"]
helpers = ["ftp"]

[[service]]
id = "high"
name = "High ports"
ports = ["60000-65535/tcp", "icmp", "icmpv6"]
TOML
    cat >"$PC_TMP/portcullis.toml" <<TOML
mode = "${1:-enforce}"
catalog_dirs = ["catalog.d"]
state_dir = "$PC_TMP/state"

[systemd]
enabled = false

[zones.lan]
interfaces = ["veth-box", "br0"]
sources = ["198.18.0.0/15", "2001:db8::/32"]
default = true

[zones.wan]
interfaces = ["eth1"]

[services.web]
zones = ["lan", "wan"]
TOML
    CONFIG=$PC_TMP/portcullis.toml
}

# Runs the driver once in the box (no --watch); its output goes to stdout and driver.log.
drive() {
    pc_in_box "$DRIVER" --config "$CONFIG" "$@" | tee -a "$PC_TMP/driver.log"
}

# Starts the driver with --watch in the box, in the background (driver.log is appended to).
HANDLED=0
start_driver() {
    HANDLED=0
    rm -f "$PC_TMP/state.txt"
    pc_spawn --append driver nsenter --net="/run/netns/$PC_NETNS" -- "$DRIVER" --config "$CONFIG" \
        --watch --cmd "$PC_TMP/cmd.txt" --state "$PC_TMP/state.txt" "$@"
    DRIVER_PID=$PC_LAST_PID
    wait_until 5 "driver ready" test -f "$PC_TMP/state.txt"
}

# Sends commands (one per argument) to the running driver and waits until it has run them.
driver_cmd() {
    printf '%s\n' "$@" >"$PC_TMP/cmd.txt"
    HANDLED=$((HANDLED + 1))
    kill -HUP "$DRIVER_PID"
    wait_until 5 "driver ran: $*" grep -qx "handled=$HANDLED" "$PC_TMP/state.txt"
}

# wait_until SECONDS WHAT COMMAND...: polls COMMAND every 50 ms, fails after SECONDS.
wait_until() {
    local seconds=$1 what=$2
    shift 2
    pc_wait_for "$seconds" "$@" || pc_fail "timed out after ${seconds}s waiting for: $what"
}

nft_json() { pc_in_box nft -j list table inet portcullis; }
q() { nft_json | python3 "$HERE/nftjson.py" "$@"; }

expect_eq() {
    local what=$1 got=$2 want=$3
    [[ "$got" == "$want" ]] || pc_fail "$what: got '$got', want '$want'"
}

# Starts a TCP listener in the box on the given ADDR:PORT endpoints (bounded lifetime).
listen_box() {
    pc_spawn listen nsenter --net="/run/netns/$PC_NETNS" -- python3 "$HERE/net.py" listen 110 "$@"
    wait_until 5 "listener up" grep -q listening "$PC_TMP/listen.log"
}

peer_connects() { pc_in_peer python3 "$HERE/net.py" connect "$1" "$2" "${3:-1}"; }
