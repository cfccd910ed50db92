#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# portcullis next to Debian's firewalld, in one run (prints figures; not a test). Root; about a
# minute.
#
#   sudo bash bench/firewalld-side-by-side.sh [build/portcullisd]
#   (REPS=5 start-ups, TOGGLES=10 open/close rounds, IDLE=10 seconds)
#
# firewalld is NOT installed on the machine: Debian's packages are fetched with
# `apt-get download` into $FW_CACHE (default /var/cache/portcullis-bench/firewalld/debs) and
# unpacked with dpkg-deb -x into a private root in the temp dir. It runs from there
# (PYTHONPATH, GI_TYPELIB_PATH) with its nftables backend, in a network namespace of its own,
# in a private mount namespace (tmpfs over /run and /var/log), with its configuration in a
# temp copy (--system-config, --default-config), on a private system bus (its own
# dbus-daemon with firewalld's bus policy). There is no polkitd on that bus: firewalld then
# authorizes a caller by uid 0 (firewall/server/decorators.py), and firewall-cmd runs as root.
# portcullisd runs as the other benchmarks run it: in its own network namespace, with a real
# systemd --user in a private mount namespace (tests/integration/lib/harness.sh). Each box has
# a peer namespace over a veth pair; a listener in the box, connects from the peer.
#
# Figures (medians where repeated), portcullis / firewalld:
#   1. start -> ready. The same criterion for both: the daemon answers a property read on its
#      bus saying it is up (firewalld: state = RUNNING, what `firewall-cmd --state` reads;
#      portcullis: Generation >= 1, its first commit) AND its table is in the kernel. Polled
#      every 10 ms by forking busctl and nft: about 20 ms of resolution.
#   2. idle RSS and PSS (/proc/PID/smaps_rollup) of the daemon process.
#   3. the admin's action -> the port reachable from the peer, and back (bench/reach_latency.py).
#      firewalld: `systemctl --user enable --now fw-web.service; firewall-cmd
#      --add-service=pc-web` (runtime); closing: `firewall-cmd --remove-service=pc-web;
#      systemctl --user disable --now fw-web.service`. portcullis: `systemctl --user enable
#      --now pc-web.service` / `disable --now`, nothing else. Same port (18080/tcp), same
#      systemd --user, same listener program.
#   4. nft rules (`nft -a list ruleset` in the box: lines with a handle that are not a table,
#      chain or set) with 5 and 200 services opened on top of each daemon's default.
#   5. idle CPU (utime+stime from /proc/PID/stat) over IDLE seconds, both at the same time.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
PORTCULLISD=$(realpath "${1:-$src/build/portcullisd}")
export PORTCULLISD
REPS=${REPS:-5}
TOGGLES=${TOGGLES:-10}
IDLE=${IDLE:-10}
FW_CACHE=${FW_CACHE:-/var/cache/portcullis-bench/firewalld/debs}
PORT=18080
# Debian's interpreter, the one firewalld's #! names: a python3 earlier in PATH (a pyenv shim is
# a shell script) would add its own start-up to every firewall-cmd call.
PY=/usr/bin/python3
source "$src/tests/integration/daemon/common.sh"
pc_init fw-side-by-side
pc_require apt-get dpkg-deb dbus-daemon busctl nft "$PY"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR] = $1} END {
    if (NR == 0) print "?"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || b + 0 == 0) print "-"; else printf "%.3g", a / b }'; }
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$1/stat"; }
rollup_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/smaps_rollup"; }
# Rules, not containers: every line of `nft -a` with a handle, minus "table/chain/set ... {".
rule_count() { nsenter "--net=/run/netns/$1" -- nft -a list ruleset | grep -E '# handle [0-9]+$' |
    grep -cvE '\{ # handle [0-9]+$' || true; }

# --- firewalld from Debian's packages, in a private root -----------------------------------------
FW_PKGS=(firewalld python3-firewall python3-nftables python3-dbus python3-gi gir1.2-glib-2.0)
# Libraries those link against, fetched too when this machine lacks them.
for lib in libgirepository-1.0.so.1:libgirepository-1.0-1 libdbus-1.so.3:libdbus-1-3 \
    libnftables.so.1:libnftables1; do
    ldconfig -p | grep -q "${lib%%:*}" || FW_PKGS+=("${lib##*:}")
done
mkdir -p "$FW_CACHE"
missing=()
for p in "${FW_PKGS[@]}"; do
    compgen -G "$FW_CACHE/${p}_*.deb" >/dev/null || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    pc_log "apt-get download ${missing[*]} into $FW_CACHE"
    (cd "$FW_CACHE" && timeout 300 apt-get -q -o APT::Sandbox::User=root download "${missing[@]}" >&2) ||
        pc_fail "apt-get download ${missing[*]} failed (is the Debian mirror reachable? apt-get update?)"
fi
FW_ROOT=$PC_TMP/fwroot
mkdir -p "$FW_ROOT"
for p in "${FW_PKGS[@]}"; do
    deb=$(compgen -G "$FW_CACHE/${p}_*.deb" | sort -V | tail -1)
    dpkg-deb -x "$deb" "$FW_ROOT" || pc_fail "dpkg-deb -x $deb"
done
# Byte-compiled, as the packages' postinst (py3compile) leaves them on a real install.
"$PY" -m compileall -q "$FW_ROOT/usr/lib/python3/dist-packages" >/dev/null || pc_fail "compileall"
FW_VERSION=$(dpkg-deb -f "$(compgen -G "$FW_CACHE/firewalld_*.deb" | sort -V | tail -1)" Version)
arch_dir=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
FW_ENV=(env "PYTHONPATH=$FW_ROOT/usr/lib/python3/dist-packages"
    "GI_TYPELIB_PATH=$FW_ROOT/usr/lib/$arch_dir/girepository-1.0"
    "LD_LIBRARY_PATH=$FW_ROOT/usr/lib/$arch_dir")
"${FW_ENV[@]}" "$PY" -c 'import dbus, gi, nftables, firewall.core.fw' ||
    pc_fail "firewalld's python modules do not import from $FW_ROOT (a missing dependency? see above)"

# Its configuration: a temp copy of /etc/firewalld plus our service on port 18080/tcp.
FW_ETC=$PC_TMP/fw-etc
cp -a "$FW_ROOT/etc/firewalld" "$FW_ETC"
cat >"$FW_ETC/services/pc-web.xml" <<XML
<?xml version="1.0" encoding="utf-8"?>
<service><short>pc-web</short><port protocol="tcp" port="$PORT"/></service>
XML
grep -q '^FirewallBackend=nftables' "$FW_ETC/firewalld.conf" || pc_fail "firewalld.conf: not the nftables backend"

# The private system bus: default deny (like the system bus) plus firewalld's own policy.
pc_start_bus "$src/tests/integration/api/private-bus.conf.in" \
    "$FW_ROOT/usr/share/dbus-1/system.d/FirewallD.conf"
FW_ENV+=("DBUS_SYSTEM_BUS_ADDRESS=$PC_BUS_ADDRESS")

# --- the two boxes ---------------------------------------------------------------------------------
pc_setup_netns # portcullis: $PC_NETNS <-> $PC_PEER_NETNS
FW_NS=${PC_PREFIX}-fw
FW_PEER=${PC_PREFIX}-fwp
FW_IP=198.18.1.1
pc_add_netns "$FW_NS"
pc_add_netns "$FW_PEER"
ip -n "$FW_NS" link add "${PC_PREFIX}f" type veth peer name "${PC_PREFIX}g" netns "$FW_PEER" ||
    pc_fail "veth pair for firewalld"
ip -n "$FW_NS" addr add "$FW_IP/24" dev "${PC_PREFIX}f"
ip -n "$FW_PEER" addr add 198.18.1.2/24 dev "${PC_PREFIX}g"
ip -n "$FW_NS" link set "${PC_PREFIX}f" up
ip -n "$FW_PEER" link set "${PC_PREFIX}g" up

pc_start_systemd_user
dm_write_catalog
dm_write_units
# The unit of the firewalld side: the same, under another name (not in portcullis' catalogue).
sed 's/portcullis test service/the firewalld side/' "$PC_UNIT_DIR/pc-web.service" >"$PC_UNIT_DIR/fw-web.service"
pc_systemctl daemon-reload

# pc_config [EXTRA-ALWAYS-IDS...]: the shipped catalogue plus pc-web, ssh always open (what
# firewalld's zone public opens by default: ssh, dhcpv6-client) plus the ids given.
pc_config() {
    local ids='"ssh"' id
    for id in "$@"; do ids+=", \"$id\""; done
    cat >"$PC_TMP/portcullis.toml" <<CFG
mode = "enforce"
bus = "$PC_SESSION_BUS"
catalog_dirs = ["$src/conf/catalog.d", "$PC_TMP/catalog.d"]
state_dir = "$PC_TMP/state"
[always]
services = [$ids]
CFG
}

pc_ready() {
    pc_busctl get-property org.portcullis1 /org/portcullis1 org.portcullis1.Manager Generation 2>/dev/null |
        grep -q '^t [1-9]' && pc_in_box nft list table inet portcullis >/dev/null 2>&1
}
fw_busctl() { busctl --address="$PC_BUS_ADDRESS" "$@"; }
fw_ready() {
    [ "$(fw_busctl get-property org.fedoraproject.FirewallD1 /org/fedoraproject/FirewallD1 \
        org.fedoraproject.FirewallD1 state 2>/dev/null)" = 's "RUNNING"' ] &&
        nsenter "--net=/run/netns/$FW_NS" -- nft list table inet firewalld >/dev/null 2>&1
}
# until_ready T0 SECS CMD...: READY_MS = ms from T0 until CMD succeeds (polled every 10 ms);
# fails after SECS. (A variable, not output: $(...) would run pc_spawn's bookkeeping in a subshell.)
until_ready() {
    local t0=$1 limit=$(($(now_ms) + $2 * 1000))
    shift 2
    until "$@"; do
        [ "$(now_ms)" -lt "$limit" ] || return 1
        sleep 0.01
    done
    READY_MS=$(($(now_ms) - t0))
}

PC_PID=
FW_PID=
pc_up() {
    local t0
    rm -f "$PC_TMP/daemon.log"
    t0=$(now_ms)
    pc_spawn daemon pc_run_in_box "$PORTCULLISD" --config "$PC_TMP/portcullis.toml"
    PC_PID=$PC_LAST_PID
    until_ready "$t0" 60 pc_ready || pc_fail "portcullisd not ready within 60 s"
}
pc_down() {
    pc_kill "$PC_PID"
    PC_PID=
    pc_in_box nft delete table inet portcullis 2>/dev/null || true
}
fw_up() {
    local t0
    t0=$(now_ms)
    # nsenter, unshare, sh and env all exec: the pid is firewalld's python.
    pc_spawn --append firewalld nsenter "--net=/run/netns/$FW_NS" -- unshare --mount --propagation private -- \
        sh -c 'mount -t tmpfs -o mode=755 none /run && mount -t tmpfs none /var/log && exec "$@"' sh \
        "${FW_ENV[@]}" "$PY" "$FW_ROOT/usr/sbin/firewalld" --nofork --nopid --log-target console \
        --system-config "$FW_ETC" --default-config "$FW_ROOT/usr/lib/firewalld"
    FW_PID=$PC_LAST_PID
    until_ready "$t0" 120 fw_ready || pc_fail "firewalld not RUNNING within 120 s"
}
fw_down() {
    pc_kill "$FW_PID" 20
    FW_PID=
    # CleanupOnExit=yes removes its table; in case it did not:
    nsenter "--net=/run/netns/$FW_NS" -- nft flush ruleset 2>/dev/null || true
}
fw_cmd() { nsenter "--net=/run/netns/$FW_NS" -- "${FW_ENV[@]}" "$PY" "$FW_ROOT/usr/bin/firewall-cmd" "$@"; }

# --- 1. start -> ready ------------------------------------------------------------------------------
pc_config
echo "1. start -> ready ($REPS times each, alternating)" >&2
pc_start=() fw_start=()
for ((i = 0; i < REPS; i++)); do
    pc_up
    pc_start+=("$READY_MS")
    pc_down
    fw_up
    fw_start+=("$READY_MS")
    fw_down
done
echo "   portcullis: ${pc_start[*]} ms; firewalld: ${fw_start[*]} ms" >&2

# --- both up, side by side, for the rest ------------------------------------------------------------
pc_up
fw_up
pc_spawn listener-pc nsenter "--net=/run/netns/$PC_NETNS" -- "$PY" "$DM_DIR/listen.py" "$PORT" 3600
pc_spawn listener-fw nsenter "--net=/run/netns/$FW_NS" -- "$PY" "$DM_DIR/listen.py" "$PORT" 3600
pc_wait_for 5 grep -q listening "$PC_TMP/listener-pc.log" || pc_fail "listener (portcullis box)"
pc_wait_for 5 grep -q listening "$PC_TMP/listener-fw.log" || pc_fail "listener (firewalld box)"
sleep 3 # let both settle after their start

# --- 2. idle memory, 5. idle CPU (the same window for both) ------------------------------------------
pc_rss=$(rollup_kib "$PC_PID" Rss) pc_pss=$(rollup_kib "$PC_PID" Pss)
fw_rss=$(rollup_kib "$FW_PID" Rss) fw_pss=$(rollup_kib "$FW_PID" Pss)
echo "2. idle memory: portcullis RSS $pc_rss KiB PSS $pc_pss KiB; firewalld RSS $fw_rss KiB PSS $fw_pss KiB" >&2
pc_cpu0=$(cpu_ms "$PC_PID") fw_cpu0=$(cpu_ms "$FW_PID")
sleep "$IDLE"
pc_idle=$(($(cpu_ms "$PC_PID") - pc_cpu0)) fw_idle=$(($(cpu_ms "$FW_PID") - fw_cpu0))
echo "5. idle CPU over $IDLE s: portcullis $pc_idle ms, firewalld $fw_idle ms" >&2

# --- 3. the admin's action -> reachable from the peer, and back ---------------------------------------
# Each side's commands as a script the helper runs (it enters the box by itself).
q() { printf '%q ' "$@"; }
pc_box_argv systemctl --user enable --now pc-web.service
pc_on=$(q "${PC_ARGV[@]}")
pc_box_argv systemctl --user disable --now pc-web.service
pc_off=$(q "${PC_ARGV[@]}")
pc_box_argv systemctl --user enable --now fw-web.service
fw_unit_on=$(q "${PC_ARGV[@]}")
pc_box_argv systemctl --user disable --now fw-web.service
fw_unit_off=$(q "${PC_ARGV[@]}")
fwc=$(q nsenter "--net=/run/netns/$FW_NS" -- "${FW_ENV[@]}" "$PY" "$FW_ROOT/usr/bin/firewall-cmd")
# shellcheck disable=SC2016 # expanded by the script's bash, at that moment
mark() { printf 'echo "mark %s ${EPOCHREALTIME/./}"\n' "$1"; }
printf 'set -e\n%s >/dev/null 2>&1\n' "$pc_on" >"$PC_TMP/pc-open.sh"
printf 'set -e\n%s >/dev/null 2>&1\n' "$pc_off" >"$PC_TMP/pc-close.sh"
{
    printf 'set -e\n%s >/dev/null 2>&1\n' "$fw_unit_on"
    mark fw0
    printf '%s --add-service=pc-web >/dev/null\n' "$fwc"
    mark fw1
} >"$PC_TMP/fw-open.sh"
{
    echo 'set -e'
    mark fw0
    printf '%s --remove-service=pc-web >/dev/null\n' "$fwc"
    mark fw1
    printf '%s >/dev/null 2>&1\n' "$fw_unit_off"
} >"$PC_TMP/fw-close.sh"
echo "3. admin's action -> port $PORT/tcp reachable from the peer, and back ($TOGGLES rounds each)" >&2
echo "   portcullis (systemctl --user enable --now / disable --now):" >&2
pc_lat=$(pc_in_peer "$PY" "$src/bench/reach_latency.py" "$PC_BOX_IP4" "$PORT" "$TOGGLES" \
    "$PC_TMP/pc-open.sh" "$PC_TMP/pc-close.sh") || pc_fail "portcullis rounds: $pc_lat"
grep -v '^RESULT' <<<"$pc_lat" >&2
echo "   firewalld (systemctl + firewall-cmd --add-service / --remove-service + systemctl):" >&2
fw_lat=$(nsenter "--net=/run/netns/$FW_PEER" -- "$PY" "$src/bench/reach_latency.py" "$FW_IP" "$PORT" \
    "$TOGGLES" "$PC_TMP/fw-open.sh" "$PC_TMP/fw-close.sh") || pc_fail "firewalld rounds: $fw_lat"
grep -v '^RESULT' <<<"$fw_lat" >&2
res() { awk -v k="$2" '$1 == "RESULT" && $2 == k {print $3}' <<<"$1"; }
# Yardstick: what any firewall-cmd call costs here (interpreter start, imports, one bus call).
ver_ms=()
for _ in 1 2 3; do
    t0=$(now_ms)
    fw_cmd --version >/dev/null || pc_fail "firewall-cmd --version"
    ver_ms+=($(($(now_ms) - t0)))
done
fw_ver_med=$(echo "${ver_ms[*]}" | median)
echo "   (yardstick: firewall-cmd --version takes ${ver_ms[*]} ms)" >&2

# --- 4. nft rules with 5 and 200 services -----------------------------------------------------------
mapfile -t fw_svcs < <(grep -L -E '<helper|<module' "$FW_ROOT"/usr/lib/firewalld/services/*.xml |
    xargs -n1 basename | sed 's/\.xml$//' | grep -vxE 'ssh|dhcpv6-client' | sort | head -200)
mapfile -t pc_svcs < <(sed -n 's/^id = "\(.*\)"$/\1/p' "$src"/conf/catalog.d/*.toml | grep -vx ssh | sort -u |
    head -200)
[ ${#fw_svcs[@]} -eq 200 ] || pc_fail "only ${#fw_svcs[@]} firewalld services without helpers"
[ ${#pc_svcs[@]} -eq 200 ] || pc_fail "only ${#pc_svcs[@]} services in portcullis' catalogue"
echo "4. nft rules (services with conntrack helpers or kernel modules left out on the firewalld side:" \
    "a module load is not namespaced)" >&2
fw_rules0=$(rule_count "$FW_NS")
pc_rules0=$(rule_count "$PC_NETNS")
fw_args=("${fw_svcs[@]/#/--add-service=}")
fw_cmd "${fw_args[@]:0:5}" >/dev/null || pc_fail "firewall-cmd --add-service (5)"
fw_rules5=$(rule_count "$FW_NS")
t0=$(now_ms)
fw_cmd "${fw_args[@]:5}" >/dev/null || pc_fail "firewall-cmd --add-service (195)"
fw_add195=$(($(now_ms) - t0))
fw_rules200=$(rule_count "$FW_NS")
[ "$(fw_cmd --list-services | wc -w)" -ge 200 ] || pc_fail "firewalld does not list 200 services"
pc_down
pc_config "${pc_svcs[@]:0:5}"
pc_up
pc_rules5=$(rule_count "$PC_NETNS")
pc_down
pc_config "${pc_svcs[@]}"
pc_up
pc_boot200=$READY_MS
pc_rules200=$(rule_count "$PC_NETNS")
opened=$(sed -n 's/.*ready: \([0-9]*\) services open.*/\1/p' "$PC_TMP/daemon.log" | head -1)
[ "${opened:-0}" -ge 200 ] || pc_fail "portcullis opened ${opened:-?} services, not 201"
echo "   default: portcullis $pc_rules0, firewalld $fw_rules0; +5: $pc_rules5 / $fw_rules5;" \
    "+200: $pc_rules200 / $fw_rules200 (firewall-cmd adding 195 services: $fw_add195 ms;" \
    "portcullis start -> ready with 201 open: $pc_boot200 ms)" >&2

# --- the table ------------------------------------------------------------------------------------
pc_start_med=$(echo "${pc_start[*]}" | median)
fw_start_med=$(echo "${fw_start[*]}" | median)
row() { printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$(ratio "$2" "$3")"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'); portcullisd $("$PORTCULLISD" --version | awk '{print $2}');" \
    "firewalld $FW_VERSION (Debian package, nftables backend); kernel $(uname -r);" \
    "$(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1))"
echo
echo "| | portcullis | firewalld | portcullis / firewalld |"
echo "|---|---:|---:|---:|"
row "start -> ready, ms (median of $REPS; API answers + table in the kernel)" "$pc_start_med" "$fw_start_med"
row "idle RSS, MiB" "$(mib "$pc_rss")" "$(mib "$fw_rss")"
row "idle PSS, MiB" "$(mib "$pc_pss")" "$(mib "$fw_pss")"
row "open: admin's commands start -> reachable, ms (median of $TOGGLES)" "$(res "$pc_lat" open)" \
    "$(res "$fw_lat" open)"
row "open: admin's commands, wall, ms" "$(res "$pc_lat" open_script)" "$(res "$fw_lat" open_script)"
row "open: firewall-cmd --add-service alone, ms" "-" "$(res "$fw_lat" open_fw_call)"
row "open: firewall-cmd start -> reachable, ms" "-" "$(res "$fw_lat" open_from_fw)"
row "close: admin's commands start -> not reachable, ms" "$(res "$pc_lat" close)" "$(res "$fw_lat" close)"
row "close: admin's commands, wall, ms" "$(res "$pc_lat" close_script)" "$(res "$fw_lat" close_script)"
row "close: firewall-cmd --remove-service alone, ms" "-" "$(res "$fw_lat" close_fw_call)"
row "yardstick: firewall-cmd --version, ms (median of 3)" "-" "$fw_ver_med"
row "nft rules, default (ssh; firewalld also dhcpv6-client)" "$pc_rules0" "$fw_rules0"
row "nft rules, default + 5 services" "$pc_rules5" "$fw_rules5"
row "nft rules, default + 200 services" "$pc_rules200" "$fw_rules200"
row "idle CPU over $IDLE s, ms" "$pc_idle" "$fw_idle"
echo
echo "(start -> ready of every run: portcullis ${pc_start[*]} ms, firewalld ${fw_start[*]} ms;" \
    "portcullis with 201 services open: $pc_boot200 ms; firewall-cmd adding 195 services in one call: $fw_add195 ms)"
