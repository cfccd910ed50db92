#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The shared harness itself (tests/integration/lib/harness.sh): a box and a peer namespace
# joined by a veth pair carry IPv4 and IPv6 to a listener that systemd --user started in the
# box; a private bus works; and the cleanup removes every namespace, cgroup, process and file,
# after a clean exit as after a failure.
set -euo pipefail
source "$(dirname "$0")/../lib/harness.sh"
pc_init "${PC_TEST_NAME:-systemd-harness-netns}"

inner() { # $1 = ok | fail
    cat >"$PC_TMP/inner.sh" <<'INNER'
set -euo pipefail
source "$HARNESS"
pc_init harness-inner
pc_setup_netns
pc_start_systemd_user
pc_write_unit pc-listen.service <<'UNIT'
[Service]
ExecStart=/usr/bin/python3 -c "import socket,time; s=socket.socket(socket.AF_INET6); s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('::', 8080)); s.listen(); [c.close() for c, _ in iter(s.accept, None)]"
UNIT
pc_systemctl start pc-listen.service
pid=$(pc_systemctl show -p MainPID --value pc-listen.service)
[ "$pid" -gt 0 ] || pc_fail "listener not started"
# systemd (and so its units) runs in the box's network namespace.
[ "$(stat -L -c %i /proc/$pid/ns/net)" = "$(stat -L -c %i /run/netns/$PC_NETNS)" ] ||
    pc_fail "the unit is not in the box namespace"
listening() { pc_run_in_box ss -Hltn 'sport = :8080' | grep -q 8080; }
pc_wait_for 5 listening || pc_fail "nothing listens on 8080"
pc_in_peer bash -c "exec 3<>/dev/tcp/$PC_BOX_IP4/8080" || pc_fail "IPv4 connect from the peer failed"
pc_in_peer bash -c "exec 3<>/dev/tcp/$PC_BOX_IP6/8080" || pc_fail "IPv6 connect from the peer failed"
pc_in_peer bash -c "exec 3<>/dev/tcp/$PC_BOX_IP4/8081" 2>/dev/null && pc_fail "connect to a closed port worked"
! ip link show "$PC_BOX_IF" >/dev/null 2>&1 || pc_fail "the veth leaked into the host namespace"
pc_start_bus
pc_run_in_box busctl --address="$PC_BUS_ADDRESS" call org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus GetId >/dev/null || pc_fail "private bus does not answer"
pc_spawn sleeper sleep 300
sleeper=$PC_LAST_PID
# Spawned into the box, the tracked pid is the program itself, in the box's namespace.
pc_spawn boxsleeper pc_run_in_box sleep 301
is_sleep301() { [ "$(tr '\0' ' ' </proc/$PC_LAST_PID/cmdline)" = "sleep 301 " ]; }
pc_wait_for 2 is_sleep301 || pc_fail "tracked pid is not the program" # once nsenter/env exec'd
[ "$(stat -L -c %i /proc/$PC_LAST_PID/ns/net)" = "$(stat -L -c %i /run/netns/$PC_NETNS)" ] ||
    pc_fail "pc_spawn pc_run_in_box is not in the box"
printf '%s\n' "$PC_PREFIX" "$PC_TMP" "$PC_SYSTEMD_PID" "$PC_CGROUP" "$sleeper" "$pid" "$PC_BUS_PID" \
    "$PC_LAST_PID" >"$STATE"
[ "$MODE" = ok ] || pc_fail "deliberate failure, to test the cleanup"
exit 0
INNER
    local rc=0
    HARNESS="$PC_HARNESS_DIR/harness.sh" STATE="$PC_TMP/state.$1" MODE=$1 \
        timeout 40 bash "$PC_TMP/inner.sh" >"$PC_TMP/inner-$1.log" 2>&1 || rc=$?
    echo "$rc"
}

check_clean() { # $1 = ok | fail
    local state=$PC_TMP/state.$1 prefix tmp sd cg sleeper listener bus boxsleeper
    [ -s "$state" ] || pc_fail "inner test ($1) did not get far: $(cat "$PC_TMP/inner-$1.log")"
    { read -r prefix; read -r tmp; read -r sd; read -r cg; read -r sleeper; read -r listener; read -r bus
        read -r boxsleeper; } <"$state"
    if [ -e "/run/netns/$prefix-box" ] || [ -e "/run/netns/$prefix-peer" ]; then pc_fail "netns left ($1)"; fi
    [ ! -e "$tmp" ] || pc_fail "temp dir $tmp left ($1)"
    local pid
    for pid in "$sd" "$sleeper" "$listener" "$bus" "$boxsleeper"; do
        ! pc_alive "$pid" || pc_fail "pid $pid still alive ($1)"
    done
    local d
    for d in /sys/fs/cgroup/*"$cg"; do
        [ ! -e "$d" ] || pc_fail "cgroup $d left ($1)"
    done
    pc_log "clean after '$1': netns $prefix-*, $tmp, pids $sd $sleeper $listener $bus $boxsleeper, cgroup $cg"
}

rc=$(inner ok)
[ "$rc" = 0 ] || pc_fail "inner test failed ($rc): $(tail -n 30 "$PC_TMP/inner-ok.log")"
check_clean ok
rc=$(inner fail)
[ "$rc" = 1 ] || pc_fail "inner test should have failed with 1, got $rc: $(tail -n 30 "$PC_TMP/inner-fail.log")"
check_clean fail
grep -q 'deliberate failure' "$PC_TMP/inner-fail.log" || pc_fail "pc_fail did not report"
exit 0
