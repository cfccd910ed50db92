# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Helpers of the daemon's end-to-end tests, on top of ../lib/harness.sh: the real portcullisd in
# the box network namespace, a listener there, and connects from the peer namespace.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"

: "${PORTCULLISD:?PORTCULLISD must name the daemon binary (ctest sets it)}"
DM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DM_PORT=18080

# A local catalogue: one service on 18080/tcp provided by pc-web.service, and a template one.
dm_write_catalog() {
    mkdir -p "$PC_TMP/catalog.d"
    cat >"$PC_TMP/catalog.d/50-test.toml" <<CAT
[[service]]
id = "pc-web"
name = "Test web service"
vendor = "local"
category = "test"
ports = ["$DM_PORT/tcp"]
units = ["pc-web.service"]
packages = ["PcWeb"]

[[service]]
id = "pc-vpn"
name = "Test template service"
vendor = "local"
category = "test"
ports = ["18443/tcp"]
units = ["pc-vpn@.service"]
CAT
}

# dm_write_config OPEN_WHEN [MODE] [EXTRA TOML...]
dm_write_config() {
    local open_when=$1 mode=${2:-enforce}
    shift 2 || shift $#
    cat >"$PC_TMP/portcullis.toml" <<CFG
mode = "$mode"
bus = "${PC_SESSION_BUS:-${PC_BUS_ADDRESS:-user}}"
catalog_dirs = ["$PC_TMP/catalog.d"]
state_dir = "$PC_TMP/portcullis-state"
backend = "$DM_BACKEND"
[legacy]
check_seconds = $DM_CHECK_SECONDS
[systemd]
open_when = "$open_when"
CFG
    local line
    for line in "$@"; do printf '%s\n' "$line" >>"$PC_TMP/portcullis.toml"; done
}

# A unit that only runs (the listener is ours, so the port's fate is the firewall's alone).
dm_write_units() {
    pc_write_unit pc-web.service <<'UNIT'
[Unit]
Description=portcullis test service
[Service]
ExecStart=/bin/sleep 300
[Install]
WantedBy=default.target
UNIT
    pc_write_unit pc-vpn@.service <<'UNIT'
[Unit]
Description=portcullis test template %i
[Service]
ExecStart=/bin/sleep 300
[Install]
WantedBy=default.target
UNIT
    pc_systemctl daemon-reload
}

# The usual sandbox: box and peer namespaces, a real systemd --user, the test catalogue and
# units.
dm_sandbox_with_systemd() {
    pc_setup_netns
    pc_start_systemd_user
    dm_write_catalog
    dm_write_units
}

# Switches the systemd watcher off in the config (tests of the other sources).
dm_no_systemd() { sed -i 's/^\[systemd\]$/[systemd]\nenabled = false/' "$PC_TMP/portcullis.toml"; }

# dm_start_daemon [ARGS...]: the daemon in the box; waits for its first commit.
dm_start_daemon() {
    pc_spawn daemon pc_run_in_box "$PORTCULLISD" --config "$PC_TMP/portcullis.toml" "$@"
    DM_DAEMON_PID=$PC_LAST_PID
    pc_wait_for 15 grep -q 'ready:' "$PC_TMP/daemon.log" || pc_fail "the daemon never became ready"
}

# dm_listen [PORT]: a listener in the box on PORT (default 18080).
dm_listen() {
    pc_spawn "listener${1:-$DM_PORT}" nsenter "--net=/run/netns/$PC_NETNS" -- \
        python3 "$DM_DIR/listen.py" "${1:-$DM_PORT}" 300
    pc_wait_for 5 grep -q listening "$PC_TMP/listener${1:-$DM_PORT}.log" || pc_fail "listener did not start"
}

# dm_connect [PORT] [HOST]: one connect from the peer; 0 connected, 1 dropped, 2 refused.
dm_connect() { pc_in_peer python3 "$DM_DIR/connect.py" "${2:-$PC_BOX_IP4}" "${1:-$DM_PORT}" 0.2; }
dm_dropped() {
    local rc=0
    dm_connect "$@" || rc=$?
    [ "$rc" -eq 1 ]
}

# dm_expect_open SECS WHAT [PORT]: a connect from the peer succeeds within SECS seconds.
dm_expect_open() {
    local start=$(date +%s%N)
    pc_wait_for "$1" dm_connect "${3:-$DM_PORT}" || pc_fail "$2: port ${3:-$DM_PORT} not open within $1 s"
    pc_log "ok: $2: open after $((($(date +%s%N) - start) / 1000000)) ms"
}

# dm_expect_closed SECS WHAT [PORT]: connects from the peer are dropped within SECS seconds.
dm_expect_closed() {
    local start=$(date +%s%N)
    pc_wait_for "$1" dm_dropped "${3:-$DM_PORT}" || pc_fail "$2: port ${3:-$DM_PORT} not closed within $1 s"
    pc_log "ok: $2: closed after $((($(date +%s%N) - start) / 1000000)) ms"
}

# dm_stays_closed SECS WHAT [PORT]: every connect for SECS seconds (0.5 is fine) is dropped.
dm_stays_closed() {
    local ms end
    ms=$(awk -v s="$1" 'BEGIN { printf "%d", s * 1000 }')
    end=$(($(date +%s%N) + ms * 1000000))
    while [ "$(date +%s%N)" -lt "$end" ]; do
        dm_dropped "${3:-$DM_PORT}" || pc_fail "$2: port ${3:-$DM_PORT} opened"
    done
    pc_log "ok: $2: stayed closed for $1 s"
}

dm_nft() { nsenter "--net=/run/netns/$PC_NETNS" -- nft "$@"; }

# The daemon's API on the session bus, as an admin would call it.
dm_prop() { pc_busctl get-property org.portcullis1 /org/portcullis1 org.portcullis1.Manager "$@"; }

# --- the backend under test ---------------------------------------------------------------------
# Every daemon test runs twice (tests/integration/daemon.cmake): PORTCULLIS_BACKEND=nftables and
# =legacy (ip sets + iptables-legacy). These helpers look at the firewall the way an admin of that
# backend would: nft, or ipset and iptables-legacy-save.
DM_BACKEND=${PORTCULLIS_BACKEND:-nftables}
case $DM_BACKEND in
nftables | legacy) ;;
*)
    echo "PORTCULLIS_BACKEND must be nftables or legacy, not '$DM_BACKEND'" >&2
    exit 2
    ;;
esac
# Legacy iptables and ipset send no events: the daemon checks every check_seconds (1 in tests),
# so a repair takes up to that plus the check itself. nftables repairs on the event.
DM_CHECK_SECONDS=1
if [ "$DM_BACKEND" = legacy ]; then
    DM_HEAL_SECS=3
    pc_require ipset iptables-legacy-save ip6tables-legacy-save
else
    DM_HEAL_SECS=1
fi

dm_ipt() { pc_in_box iptables-legacy "$@"; }
dm_ipset() { pc_in_box ipset "$@"; }

# Our sets, one block each, without what changes by itself (memory size, references).
dm_sets() {
    local s
    for s in $(dm_ipset list -n | grep '^pc[_-]' | sort); do
        dm_ipset list "$s" | grep -Ev '^(Size in memory|References):'
    done
}

# Our part of iptables and ip6tables (the chain and the jumps to it), without counters.
dm_chains() {
    local save
    for save in iptables-legacy-save ip6tables-legacy-save; do
        pc_in_box "$save" | grep -E 'portcullis|^\*'
    done
}

# dm_preview_matches: PreviewRuleset is what the kernel holds. nftables: the text nft lists.
# legacy: the ip sets and chains its text makes when fed to ipset restore and
# ip(6)tables-legacy-restore in an empty namespace are those of the box.
dm_preview_matches() {
    local preview
    preview=$(pc_busctl --json=short call org.portcullis1 /org/portcullis1 \
        org.portcullis1.Manager PreviewRuleset | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0], end="")')
    if [ "$DM_BACKEND" = nftables ]; then
        diff -u <(dm_nft list table inet portcullis | sed 's/packets [0-9]* bytes [0-9]*/packets 0 bytes 0/') \
            <(printf '%s\n' "$preview") || pc_fail "PreviewRuleset differs from nft list table"
    else
        local ns=${PC_PREFIX}-preview part
        local -a tool
        [ -e "/run/netns/$ns" ] || pc_add_netns "$ns"
        for part in ipset iptables ip6tables; do
            case $part in
            ipset) tool=(ipset restore) ;;
            iptables) tool=(iptables-legacy-restore --noflush) ;;
            ip6tables) tool=(ip6tables-legacy-restore --noflush) ;;
            esac
            printf '%s\n' "$preview" | awk -v part="$part" '
                /^# ip sets/ { on = part == "ipset"; next }
                /^# iptables-restore/ { on = part == "iptables"; next }
                /^# ip6tables-restore/ { on = part == "ip6tables"; next }
                on' | nsenter "--net=/run/netns/$ns" -- "${tool[@]}" ||
                pc_fail "the $part part of PreviewRuleset does not restore: $preview"
        done
        # A hash set's initval is random at creation.
        diff -u <(dm_sets | sed 's/ initval 0x[0-9a-f]*//'; dm_chains) \
            <(PC_NETNS=$ns dm_sets | sed 's/ initval 0x[0-9a-f]*//'; PC_NETNS=$ns dm_chains) ||
            pc_fail "what PreviewRuleset makes differs from the box's ip sets and chains"
    fi
    pc_log "ok: PreviewRuleset is what the kernel holds"
}

# dm_fw_state: what the daemon made, as text that changes only when its rules or members do.
dm_fw_state() {
    if [ "$DM_BACKEND" = legacy ]; then
        dm_sets
        dm_chains
    else
        dm_nft list table inet portcullis | sed 's/packets [0-9]* bytes [0-9]*//'
    fi
}

# dm_fw_present: the daemon's table (or chain and jump) is in the kernel.
dm_fw_present() {
    if [ "$DM_BACKEND" = legacy ]; then
        dm_ipt -S INPUT 2>/dev/null | grep -qx -- '-A INPUT -j portcullis' &&
            dm_ipset list -n | grep -qx pc_helper_ftp
    else
        dm_nft list table inet portcullis >/dev/null 2>&1
    fi
}

# dm_ruleset: the whole firewall of the box namespace, whoever made it.
dm_ruleset() {
    dm_nft list ruleset
    if [ "$DM_BACKEND" = legacy ]; then
        dm_ipset list | grep -v '^Size in memory:'
        # Without the built-in chains' counters, which any packet moves.
        pc_in_box iptables-legacy-save | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//'
        pc_in_box ip6tables-legacy-save | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//'
    fi
}

# dm_remove_fw: someone removes what the daemon made (nft delete table; for legacy the jump,
# the chain's rules and the members of every set of ours).
dm_remove_fw() {
    if [ "$DM_BACKEND" = legacy ]; then
        dm_ipt -D INPUT -j portcullis
        dm_ipt -F portcullis
        local s
        for s in $(dm_ipset list -n | grep '^pc_'); do dm_ipset flush "$s"; done
    else
        dm_nft delete table inet portcullis
    fi
}

# dm_pass: the last line of every daemon test. A legacy run must not have created any
# nftables table: the point of that backend is a kernel without nf_tables.
dm_pass() {
    if [ "$DM_BACKEND" = legacy ]; then
        local tables
        tables=$(dm_nft list tables)
        [ -z "$tables" ] || pc_fail "the legacy backend created nftables tables: $tables"
        pc_log "ok: no nftables table in the box"
    fi
    pc_log "passed ($DM_BACKEND)"
}
