# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the nftables integration tests. Each test sources this, then calls setup_box (and
# setup_peer for traffic). Everything it creates (network namespaces pc-nft-*, processes, files)
# is removed by the EXIT trap, on success and on failure alike; processes are stopped by the pid
# we started them with, never by name.
set -euo pipefail

if [[ $EUID -ne 0 ]]; then
    echo "SKIP: needs root (creates network namespaces and nftables tables)"
    exit 77
fi
for tool in ip nsenter nft python3; do
    if ! command -v "$tool" >/dev/null; then
        echo "SKIP: $tool is not installed"
        exit 77
    fi
done

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DRIVER=${NFT_DRIVER:?NFT_DRIVER must name the nft-driver binary (ctest sets it)}
if ! "$DRIVER" --probe >/dev/null 2>&1; then
    # A cross build: the driver is for another architecture, and qemu-user cannot open
    # NETLINK_NETFILTER sockets anyway.
    echo "SKIP: $DRIVER does not run on this machine"
    exit 77
fi
TEST=$(basename "$0" .sh)
# Short and unique: several tests (and other engineers' tests) may run at once.
TAG="$(echo "$TEST" | cut -c1-8)-$$"
BOX=pc-nft-$TAG
PEER=pc-nft-p$TAG
WORK=$(mktemp -d "/tmp/pc-nft-$TEST.XXXXXX")
PIDS=()
NAMESPACES=()
BOX_IP=198.18.0.1
PEER_IP=198.18.0.2
BOX_IP6=2001:db8::1
PEER_IP6=2001:db8::2

cleanup() {
    local rc=$?
    set +e
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null
    done
    for ns in "${NAMESPACES[@]}"; do
        ip netns del "$ns" 2>/dev/null
    done
    if [[ $rc -ne 0 && -f $WORK/driver.log ]]; then
        echo "--- driver log"
        cat "$WORK/driver.log"
    fi
    rm -rf "$WORK"
    exit $rc
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*"
    exit 1
}
pass() { echo "ok: $*"; }

in_box() { nsenter --net="/run/netns/$BOX" "$@"; }
in_peer() { nsenter --net="/run/netns/$PEER" "$@"; }

setup_box() {
    ip netns add "$BOX"
    NAMESPACES+=("$BOX")
    in_box ip link set lo up
}

# A veth pair: veth-box in the box namespace, veth-peer in the peer's; test addresses only.
setup_peer() {
    ip netns add "$PEER"
    NAMESPACES+=("$PEER")
    in_peer ip link set lo up
    in_box ip link add veth-box type veth peer name veth-peer netns "$PEER"
    in_box ip addr add "$BOX_IP/24" dev veth-box
    in_box ip -6 addr add "$BOX_IP6/64" dev veth-box nodad
    in_box ip link set veth-box up
    in_peer ip addr add "$PEER_IP/24" dev veth-peer
    in_peer ip -6 addr add "$PEER_IP6/64" dev veth-peer nodad
    in_peer ip link set veth-peer up
}

# The catalogue and config the tests plan from. $1: enforce | monitor.
write_config() {
    mkdir -p "$WORK/catalog.d"
    cat >"$WORK/catalog.d/test.toml" <<'EOF'
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
EOF
    cat >"$WORK/portcullis.toml" <<EOF
mode = "${1:-enforce}"
catalog_dirs = ["catalog.d"]
state_dir = "$WORK/state"

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
EOF
    CONFIG=$WORK/portcullis.toml
}

# Runs the driver once in the box (no --watch); its output goes to stdout and driver.log.
drive() {
    in_box "$DRIVER" --config "$CONFIG" "$@" | tee -a "$WORK/driver.log"
}

# Starts the driver with --watch in the box, in the background.
HANDLED=0
start_driver() {
    HANDLED=0
    rm -f "$WORK/state.txt"
    nsenter --net="/run/netns/$BOX" "$DRIVER" --config "$CONFIG" --watch \
        --cmd "$WORK/cmd.txt" --state "$WORK/state.txt" "$@" >>"$WORK/driver.log" 2>&1 &
    DRIVER_PID=$!
    PIDS+=("$DRIVER_PID")
    wait_until 5 "driver ready" test -f "$WORK/state.txt"
}

# stop_pid PID [SIGNAL]: stops a process we started and forgets it, so the cleanup never signals
# a pid the system may have reused.
stop_pid() {
    local pid=$1 sig=${2:-TERM}
    kill "-$sig" "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    forget_pid "$pid"
}

# forget_pid PID: a process we started has ended (we waited for it).
forget_pid() {
    local pid=$1
    local keep=()
    for p in "${PIDS[@]}"; do
        [[ $p == "$pid" ]] || keep+=("$p")
    done
    PIDS=("${keep[@]}")
}

# Sends commands (one per argument) to the running driver and waits until it has run them.
driver_cmd() {
    printf '%s\n' "$@" >"$WORK/cmd.txt"
    HANDLED=$((HANDLED + 1))
    kill -HUP "$DRIVER_PID"
    wait_until 5 "driver ran: $*" grep -qx "handled=$HANDLED" "$WORK/state.txt"
}

# wait_until SECONDS WHAT COMMAND...: polls COMMAND every 50 ms, fails after SECONDS.
wait_until() {
    local seconds=$1 what=$2
    shift 2
    local tries=$((seconds * 20))
    for ((i = 0; i < tries; i++)); do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.05
    done
    fail "timed out after ${seconds}s waiting for: $what"
}

nft_json() { in_box nft -j list table inet portcullis; }
q() { nft_json | python3 "$HERE/nftjson.py" "$@"; }

expect_eq() {
    local what=$1 got=$2 want=$3
    [[ "$got" == "$want" ]] || fail "$what: got '$got', want '$want'"
}

# Starts a TCP listener in the box on the given ADDR:PORT endpoints (bounded lifetime).
listen_box() {
    nsenter --net="/run/netns/$BOX" python3 "$HERE/net.py" listen 110 "$@" >"$WORK/listen.log" 2>&1 &
    PIDS+=("$!")
    wait_until 5 "listener up" grep -q listening "$WORK/listen.log"
}

peer_connects() { in_peer python3 "$HERE/net.py" connect "$1" "$2" "${3:-1}"; }
