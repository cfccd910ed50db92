# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# The shared harness of portcullis' integration tests. Source it, then call pc_init:
#
#   source "$(dirname "$0")/../lib/harness.sh"
#   pc_init my-test                 # root check (exit 77), temp dir, cleanup trap
#   pc_setup_netns                  # optional: box + peer network namespaces, veth pair
#                                   #   (or pc_setup_box alone: one namespace, no peer)
#   pc_start_systemd_user           # optional: a real systemd --user with its own session bus
#   pc_write_unit foo.service <<'EOF' ... EOF
#   pc_systemctl enable --now foo.service
#   pc_spawn mydaemon pc_run_in_box /path/to/binary --flag     # tracked, killed at exit
#   pc_wait_for 5 grep -q 'ready' "$PC_TMP/mydaemon.log" || pc_fail "never ready"
#
# Functions (all prefixed pc_; variables PC_*):
#   pc_init NAME             root check (exit 77: "skipped: needs root"), PC_TMP, PC_PREFIX
#                            (unique, short: namespace and interface names), EXIT trap.
#   pc_require TOOL...       skip (exit 77) unless every TOOL is installed.
#   pc_log MSG / pc_fail MSG / pc_skip MSG
#                            print; fail (exit 1, dumps the logs in PC_TMP); skip (exit 77).
#                            Any other non-zero exit (set -e) dumps the logs too, at cleanup.
#   pc_wait_for SECS CMD...  run CMD every 50 ms until it succeeds; 1 after SECS seconds.
#   pc_spawn [--append] NAME CMD...
#                            CMD in the background, output in $PC_TMP/NAME.log (truncated, or
#                            appended to with --append), pid tracked (PC_PID_<NAME> and
#                            PC_LAST_PID); killed by pid at exit. CMD is a program or
#                            "pc_run_in_box PROGRAM ARGS" (never another function).
#   pc_kill PID [SECS]       TERM, wait up to SECS (5) s, then KILL; reaps and forgets the pid.
#   pc_stop PID [SIGNAL]     sends SIGNAL (TERM) once, waits for the process to end, forgets the
#                            pid; returns its exit status (kill -9 tests, "exits 0 on SIGTERM").
#   pc_reap PID              waits for a process that ends by itself, forgets the pid; returns
#                            its exit status.
#                            All three only for pids pc_spawn started: a pid that was waited
#                            for is forgotten, so the cleanup never signals a reused pid.
#   pc_setup_netns [BOX_IF PEER_IF]
#                            pc_setup_box, then pc_setup_peer BOX_IF PEER_IF.
#   pc_setup_box             netns $PC_NETNS (the box), loopback up.
#   pc_setup_peer [BOX_IF PEER_IF]
#                            netns $PC_PEER_NETNS and a veth pair $PC_BOX_IF <-> $PC_PEER_IF
#                            (default ${PC_PREFIX}b/p; the names are only ever seen inside the
#                            two namespaces); 198.18.0.1/24 + 2001:db8::1/64 on the box,
#                            198.18.0.2/24 + 2001:db8::2/64 on the peer (PC_BOX_IP4 ...).
#   pc_add_netns NAME        one more network namespace (loopback up), deleted at exit. NAME
#                            should begin with $PC_PREFIX.
#   pc_in_box CMD...         CMD in the box network namespace only (no systemd, no env).
#   pc_in_peer CMD...        CMD in the peer namespace.
#   pc_start_bus [TEMPLATE [POLICY...]]
#                            a private dbus-daemon on $PC_TMP/bus/socket: PC_BUS_ADDRESS,
#                            PC_BUS_PID. Without TEMPLATE: session bus type, everything allowed,
#                            no activation; PC_BUS_INCLUDE=/path.conf adds an <include>. With
#                            TEMPLATE: that busconfig with @SOCKET@ and @POLICY_DIR@ replaced,
#                            the POLICY files copied into PC_BUS_POLICY_DIR first (a bus that
#                            behaves like the system bus, with a package's policy installed).
#   pc_stop_bus              stops it (the reconnect tests restart it with the same arguments).
#   pc_start_systemd_user    a real systemd --user (see below). PC_SYSTEMD_PID,
#                            PC_RUNTIME_DIR, PC_UNIT_DIR, PC_SESSION_BUS (its bus address).
#   pc_stop_systemd_user     stops it and everything it started; removes its cgroups.
#   pc_run_in_box CMD...     CMD in the box: systemd's mount namespace (if started), the box
#                            network namespace (if set up), and the XDG/D-Bus environment.
#   pc_box_argv CMD...       the same command line, in the array PC_ARGV.
#   pc_systemctl ARGS...     systemctl --user ARGS in the box.
#   pc_busctl ARGS...        busctl --user ARGS in the box (on PC_SESSION_BUS).
#   pc_write_unit NAME [DIR] writes stdin to DIR/NAME (no daemon-reload). DIR defaults to
#                            $PC_UNIT_DIR ($XDG_CONFIG_HOME/systemd/user, like /etc);
#                            $PC_DATA_UNIT_DIR ($XDG_DATA_HOME/systemd/user, like /usr/lib) is
#                            searched after it: put units there that a test masks.
#   pc_cleanup               runs from the EXIT trap; safe to call twice.
#
# How systemd --user runs here, and the pitfalls found on the way (Debian 12, systemd 252,
# kernel 6.18, root in a VM whose PID 1 is not systemd, cgroup v1 + name=systemd + unified):
#
#  1. systemd --user refuses to run unless the system "was booted with systemd": it checks that
#     /run/systemd/system exists. We give it a private mount namespace (unshare -m, propagation
#     private) with a tmpfs on /run/systemd and that directory in it. The host's /run is never
#     touched.
#  2. systemctl checks the same thing: run outside that mount namespace it believes systemd is
#     offline. `is-system-running` then prints "offline", and `enable`/`disable` edit the
#     symlinks on disk WITHOUT telling the manager (no daemon-reload, no UnitFilesChanged
#     signal). Every systemctl/busctl call therefore enters systemd's mount namespace
#     (nsenter -t PID -m): pc_systemctl, pc_run_in_box.
#  3. systemd --user takes its own cgroup (read from /proc/self/cgroup) as its root, creates
#     init.scope there and MOVES EVERY PROCESS OF THAT CGROUP into it, in every hierarchy. In
#     the root cgroup that means every process on the machine (PID 1 included). So the process
#     is first moved into a cgroup of its own, $PC_CGROUP below its current one, in the
#     name=systemd and unified hierarchies (or the v2 hierarchy); systemd mirrors that path
#     into the controllers it uses. pc_stop_systemd_user removes those directories.
#  4. systemd --user publishes its API on the session bus only while ITS OWN dbus.socket and
#     dbus.service units run (src/core/manager.c, manager_dbus_is_running). A dbus-daemon we
#     start ourselves is never joined, and Debian's user dbus.socket listens on
#     $XDG_RUNTIME_DIR/bus: it unlinks and replaces a socket already there. So the bus of a
#     systemd test is systemd's own dbus.socket -> dbus.service (a real dbus-daemon, session
#     configuration, private to the test's XDG_RUNTIME_DIR), on PC_SESSION_BUS; pc_start_bus is
#     for tests without systemd, on another path. The first connection socket-activates
#     dbus.service; only then does systemd connect and take org.freedesktop.systemd1, which
#     pc_start_systemd_user waits for.
#  5. Enter the network namespace with nsenter --net=/run/netns/NAME, not `ip netns exec`:
#     the latter remounts /sys, which hides the cgroup tree, and systemd --user then exits
#     silently.
#  6. SIGTERM makes a user manager start exit.target, stop its units and exit (PID 1 would
#     reexecute instead). Processes of its units live in its cgroups; whatever is left after it
#     exits is killed by pid from there.
#  7. Unix socket paths are limited to 107 bytes: the temp dir is short (/tmp/pc-NAME.XXXXXX),
#     and systemd puts $XDG_RUNTIME_DIR/systemd/private and .../bus below it.
#  8. `systemctl --user is-system-running --wait` answers "degraded" when some stock user unit
#     failed (that is not ours to judge): both running and degraded count as up.
#  9. `pc_spawn NAME some_shell_function` would track the pid of a subshell; killing it leaves
#     the function's children running (an early version leaked every watch-driver that way).
#     pc_spawn takes programs, and "pc_run_in_box PROGRAM" is turned into one exec chain.
# 10. Entering a mount namespace (setns) moves the working directory to its root: relative
#     paths then fail ("No such file or directory"). pc_run_in_box passes --wd="$PWD".
# 11. dbus-daemon complains "Failed to set fd limit to 65536: Operation not permitted" in a
#     container; harmless.
#
# Addresses: 198.18.0.0/15 and 2001:db8::/32 only (benchmarking and documentation ranges).

# shellcheck disable=SC2034 # for tests that run nested harness scripts
PC_HARNESS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

pc_log() { printf '[%s] %s\n' "${PC_TEST_NAME:-test}" "$*" >&2; }

pc_skip() {
    printf 'skipped: %s\n' "$*" >&2
    exit 77
}

pc_dump_logs() {
    [ "${PC_LOGS_DUMPED:-0}" = 1 ] && return 0
    PC_LOGS_DUMPED=1
    if [ -n "${PC_TMP:-}" ] && [ -d "$PC_TMP" ]; then
        local f
        for f in "$PC_TMP"/*.log; do
            [ -f "$f" ] || continue
            printf -- '----- %s (last 40 lines)\n' "${f##*/}" >&2
            tail -n 40 "$f" >&2
        done
    fi
}

pc_fail() {
    printf '[%s] FAIL: %s\n' "${PC_TEST_NAME:-test}" "$*" >&2
    pc_dump_logs
    exit 1
}

pc_require() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || pc_skip "needs $tool"
    done
}

pc_init() {
    PC_TEST_NAME=${1:-${PC_TEST_NAME:-test}}
    # Set by cross builds (tests/CMakeLists.txt): their binaries run under qemu-user there.
    if [ -n "${PORTCULLIS_INTEGRATION_SKIP:-}" ]; then
        pc_skip "$PORTCULLIS_INTEGRATION_SKIP"
    fi
    if [ "$(id -u)" -ne 0 ]; then
        pc_skip "needs root (network namespaces, mount namespaces, cgroups)"
    fi
    pc_require ip nsenter unshare mount
    PC_TMP=$(mktemp -d "/tmp/pc-${PC_TEST_NAME:0:20}.XXXXXX") || pc_fail "mktemp"
    chmod 755 "$PC_TMP"
    # Short and unique: used in namespace names and interface names (15 bytes at most).
    printf -v PC_PREFIX 'pc%06x' $(((RANDOM << 15 ^ RANDOM ^ $$) & 0xffffff))
    PC_PIDS=()
    PC_NETNS_LIST=()
    PC_LOGS_DUMPED=0
    PC_CLEANED=0
    trap pc_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    pc_log "temp dir $PC_TMP, prefix $PC_PREFIX"
}

# pc_wait_for SECONDS CMD... : polls CMD every 50 ms; returns 0 once it succeeds, 1 on timeout.
pc_wait_for() {
    local secs=$1
    shift
    local deadline=$((SECONDS + secs)) start_ns
    start_ns=$(date +%s%N)
    local limit_ns=$((start_ns + secs * 1000000000))
    while :; do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        if [ "$(date +%s%N)" -ge "$limit_ns" ] || [ "$SECONDS" -gt "$deadline" ]; then
            return 1
        fi
        sleep 0.05
    done
}

# pc_spawn NAME CMD... : runs CMD in the background, output to $PC_TMP/NAME.log. CMD must be
# a program, or pc_run_in_box PROGRAM...: the pid tracked must be the program's own (nsenter,
# unshare and env exec without forking), so that killing it by pid ends it. A shell function
# would run in a subshell whose children outlive a kill of the subshell.
pc_spawn() {
    local append=0
    if [ "$1" = --append ]; then
        append=1
        shift
    fi
    local name=$1
    shift
    if [ "$1" = pc_run_in_box ]; then
        shift
        pc_box_argv "$@"
        set -- "${PC_ARGV[@]}"
    elif declare -F "$1" >/dev/null; then
        pc_fail "pc_spawn $name: '$1' is a shell function; give it a program"
    fi
    if [ $append = 1 ]; then
        "$@" >>"$PC_TMP/$name.log" 2>&1 </dev/null &
    else
        "$@" >"$PC_TMP/$name.log" 2>&1 </dev/null &
    fi
    PC_LAST_PID=$!
    PC_PIDS+=("$PC_LAST_PID")
    printf -v "PC_PID_${name//[^A-Za-z0-9_]/_}" '%s' "$PC_LAST_PID"
}

pc_alive() { kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

# pc_forget PID: a process we started has ended and was waited for; its pid may be reused now,
# so the cleanup must not signal it any more.
pc_forget() {
    local i
    for i in "${!PC_PIDS[@]}"; do
        [ "${PC_PIDS[i]}" = "$1" ] && unset 'PC_PIDS[i]'
    done
    PC_PIDS=("${PC_PIDS[@]}")
}

# pc_kill PID [SECONDS]: TERM, then KILL after SECONDS (default 5). Reaps our own children.
pc_kill() {
    local pid=$1 secs=${2:-5}
    [ -n "$pid" ] || return 0
    if pc_alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null
        if ! pc_wait_for "$secs" eval '! pc_alive '"$pid"; then
            pc_log "pid $pid ignored SIGTERM for ${secs}s: SIGKILL"
            kill -KILL "$pid" 2>/dev/null
        fi
    fi
    wait "$pid" 2>/dev/null || true # its status (143 after SIGTERM) is no failure here
    pc_forget "$pid"
    return 0
}

# pc_stop PID [SIGNAL]: sends SIGNAL (default TERM) once and waits for the process to end, with
# no escalation; returns its exit status.
pc_stop() {
    kill "-${2:-TERM}" "$1" 2>/dev/null || true
    pc_reap "$1"
}

# pc_reap PID: waits for a process we started to end by itself; returns its exit status.
pc_reap() {
    local rc=0
    wait "$1" 2>/dev/null || rc=$?
    pc_forget "$1"
    return $rc
}

# --- network namespaces ---

pc_setup_netns() {
    pc_setup_box
    pc_setup_peer "$@"
}

# pc_add_netns NAME: a network namespace with its loopback up, deleted at exit.
pc_add_netns() {
    ip netns add "$1" || pc_fail "ip netns add $1"
    PC_NETNS_LIST+=("$1")
    ip -n "$1" link set lo up || pc_fail "loopback up in $1"
}

pc_setup_box() {
    PC_NETNS="${PC_PREFIX}-box"
    PC_BOX_IP4=198.18.0.1
    PC_PEER_IP4=198.18.0.2
    PC_BOX_IP6=2001:db8::1
    PC_PEER_IP6=2001:db8::2
    pc_add_netns "$PC_NETNS"
    pc_log "netns $PC_NETNS"
}

# pc_setup_peer [BOX_IF PEER_IF]
pc_setup_peer() {
    [ -n "${PC_NETNS:-}" ] || pc_fail "pc_setup_peer before pc_setup_box"
    PC_PEER_NETNS="${PC_PREFIX}-peer"
    PC_BOX_IF=${1:-${PC_PREFIX}b}
    PC_PEER_IF=${2:-${PC_PREFIX}p}
    pc_add_netns "$PC_PEER_NETNS"
    # Created inside the box, so nothing ever appears in the host's namespace.
    ip -n "$PC_NETNS" link add "$PC_BOX_IF" type veth peer name "$PC_PEER_IF" netns "$PC_PEER_NETNS" ||
        pc_fail "veth pair"
    local ns ifc a4 a6
    for ns in box peer; do
        if [ $ns = box ]; then
            ns=$PC_NETNS ifc=$PC_BOX_IF a4=$PC_BOX_IP4 a6=$PC_BOX_IP6
        else
            ns=$PC_PEER_NETNS ifc=$PC_PEER_IF a4=$PC_PEER_IP4 a6=$PC_PEER_IP6
        fi
        # shellcheck disable=SC2015 # any step failing fails the test
        ip -n "$ns" addr add "$a4/24" dev "$ifc" &&
            ip -n "$ns" addr add "$a6/64" dev "$ifc" nodad &&
            ip -n "$ns" link set "$ifc" up || pc_fail "configure $ifc in $ns"
    done
    pc_log "netns $PC_NETNS ($PC_BOX_IF $PC_BOX_IP4 $PC_BOX_IP6) <-> $PC_PEER_NETNS ($PC_PEER_IF $PC_PEER_IP4 $PC_PEER_IP6)"
}

pc_in_box() { nsenter --net="/run/netns/$PC_NETNS" -- "$@"; }

pc_in_peer() { nsenter --net="/run/netns/$PC_PEER_NETNS" -- "$@"; }

# --- a private bus without systemd ---

# pc_start_bus [TEMPLATE [POLICY...]]
pc_start_bus() {
    mkdir -p "$PC_TMP/bus"
    chmod 755 "$PC_TMP/bus" # unprivileged clients (setpriv) reach the socket
    local conf=$PC_TMP/bus/bus.conf
    if [ $# -gt 0 ]; then
        local template=$1
        shift
        PC_BUS_POLICY_DIR=$PC_TMP/bus/policy.d
        mkdir -p "$PC_BUS_POLICY_DIR"
        [ $# -eq 0 ] || cp "$@" "$PC_BUS_POLICY_DIR/" || pc_fail "cannot copy the bus policy $*"
        sed -e "s|@SOCKET@|$PC_TMP/bus/socket|g" -e "s|@POLICY_DIR@|$PC_BUS_POLICY_DIR|g" \
            "$template" >"$conf" || pc_fail "cannot read the bus template $template"
    else
        {
            echo '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"'
            echo ' "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">'
            echo '<busconfig>'
            echo '  <type>session</type>'
            echo "  <listen>unix:path=$PC_TMP/bus/socket</listen>"
            echo '  <auth>EXTERNAL</auth>'
            echo '  <policy context="default">'
            echo '    <allow send_destination="*" eavesdrop="true"/>'
            echo '    <allow eavesdrop="true"/>'
            echo '    <allow own="*"/>'
            echo '  </policy>'
            [ -n "${PC_BUS_INCLUDE:-}" ] && echo "  <include>$PC_BUS_INCLUDE</include>"
            echo '</busconfig>'
        } >"$conf"
    fi
    rm -f "$PC_TMP/bus/socket"
    # Appended to: a restarted bus keeps the log of the one before.
    pc_spawn --append bus dbus-daemon --config-file="$conf" --nofork --nopidfile
    PC_BUS_PID=$PC_LAST_PID
    PC_BUS_ADDRESS="unix:path=$PC_TMP/bus/socket"
    pc_wait_for 5 test -S "$PC_TMP/bus/socket" || pc_fail "dbus-daemon did not come up"
    pc_log "bus $PC_BUS_ADDRESS (pid $PC_BUS_PID)"
}

pc_stop_bus() {
    pc_kill "${PC_BUS_PID:-}"
    PC_BUS_PID=
}

# --- a real systemd --user ---

# The hierarchies in which systemd --user looks up its own cgroup.
pc_cgroup_roots() {
    if [ -d /sys/fs/cgroup/systemd ]; then
        echo /sys/fs/cgroup/systemd
        [ -f /sys/fs/cgroup/unified/cgroup.procs ] && echo /sys/fs/cgroup/unified
    elif [ -f /sys/fs/cgroup/cgroup.controllers ]; then
        echo /sys/fs/cgroup
    fi
}

pc_start_systemd_user() {
    command -v systemd >/dev/null || pc_skip "needs systemd"
    PC_RUNTIME_DIR=$PC_TMP/run
    PC_CONFIG_HOME=$PC_TMP/config
    PC_UNIT_DIR=$PC_CONFIG_HOME/systemd/user
    PC_DATA_UNIT_DIR=$PC_TMP/data/systemd/user
    PC_HOME=$PC_TMP/home
    mkdir -p "$PC_RUNTIME_DIR" "$PC_UNIT_DIR" "$PC_DATA_UNIT_DIR" "$PC_HOME" "$PC_TMP/state" \
        "$PC_TMP/cache"
    chmod 700 "$PC_RUNTIME_DIR"
    PC_SESSION_BUS="unix:path=$PC_RUNTIME_DIR/bus"

    # Pitfall 3: a cgroup of its own, below the one we are in.
    local cgpath
    if [ -d /sys/fs/cgroup/systemd ]; then
        cgpath=$(awk -F: '$2 == "name=systemd" {print $3}' /proc/self/cgroup)
    else
        cgpath=$(awk -F: '$1 == "0" {print $3}' /proc/self/cgroup)
    fi
    PC_CGROUP="${cgpath%/}/portcullis-$PC_PREFIX"
    local root moves=""
    for root in $(pc_cgroup_roots); do
        mkdir -p "$root$PC_CGROUP" || pc_fail "cannot create cgroup $root$PC_CGROUP"
        moves+="echo \$\$ > '$root$PC_CGROUP/cgroup.procs' && "
    done

    # A manager started again after one was killed: its socket is still there, and the wait
    # below must see the new one.
    rm -f "$PC_RUNTIME_DIR/systemd/private"
    local net=()
    [ -n "${PC_NETNS:-}" ] && net=(nsenter "--net=/run/netns/$PC_NETNS" --)
    # No fork anywhere (nsenter and unshare exec, sh execs): $! is systemd's pid.
    pc_spawn systemd "${net[@]}" unshare --mount --propagation private -- sh -c "
        mount -t tmpfs -o mode=755 none /run/systemd && mkdir /run/systemd/system &&
        $moves exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME='$PC_HOME' USER=root \
            LOGNAME=root SHELL=/bin/sh LANG=C.UTF-8 XDG_RUNTIME_DIR='$PC_RUNTIME_DIR' \
            XDG_CONFIG_HOME='$PC_CONFIG_HOME' XDG_DATA_HOME='$PC_TMP/data' \
            XDG_STATE_HOME='$PC_TMP/state' XDG_CACHE_HOME='$PC_TMP/cache' \
            DBUS_SESSION_BUS_ADDRESS='$PC_SESSION_BUS' systemd --user"
    PC_SYSTEMD_PID=$PC_LAST_PID

    pc_wait_for 10 test -S "$PC_RUNTIME_DIR/systemd/private" ||
        pc_fail "systemd --user did not create its private socket"
    local state
    state=$(timeout 20 nsenter -t "$PC_SYSTEMD_PID" -m -- env XDG_RUNTIME_DIR="$PC_RUNTIME_DIR" \
        systemctl --user is-system-running --wait 2>&1) || true
    case $state in
    running | degraded) ;;
    *) pc_fail "systemd --user is '$state'" ;;
    esac
    # Pitfall 4: the first connection activates dbus.service; systemd then joins the bus.
    pc_wait_for 10 pc_busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
        GetNameOwner s org.freedesktop.systemd1 ||
        pc_fail "systemd --user never appeared on its session bus"
    pc_log "systemd --user pid $PC_SYSTEMD_PID ($state), bus $PC_SESSION_BUS, units in $PC_UNIT_DIR"
}

# Removes the cgroups of a stopped systemd --user, killing what is left in them first: only
# processes its units started can be there.
pc_remove_cgroups() {
    [ -n "${PC_CGROUP:-}" ] || return 0
    local root dir pid
    for root in /sys/fs/cgroup/*; do
        dir=$root$PC_CGROUP
        [ -d "$dir" ] || continue
        find "$dir" -name cgroup.procs -exec cat {} + 2>/dev/null | while read -r pid; do
            kill -KILL "$pid" 2>/dev/null
        done
    done
    # A killed process leaves its cgroup a moment later.
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        local left=0
        for root in /sys/fs/cgroup/*; do
            dir=$root$PC_CGROUP
            [ -d "$dir" ] || continue
            find "$dir" -depth -type d -exec rmdir {} \; 2>/dev/null
            [ -d "$dir" ] && left=1
        done
        [ $left = 0 ] && break
        sleep 0.1
    done
    for root in /sys/fs/cgroup/*; do
        [ -d "$root$PC_CGROUP" ] && pc_log "could not remove cgroup $root$PC_CGROUP"
    done
    PC_CGROUP=
}

pc_stop_systemd_user() {
    [ -n "${PC_SYSTEMD_PID:-}" ] || return 0
    pc_kill "$PC_SYSTEMD_PID" 10
    PC_SYSTEMD_PID=
    pc_remove_cgroups
}

# pc_box_argv CMD... : sets PC_ARGV to the command line that runs CMD in the box: systemd's
# mount namespace (if started), the box network namespace (if set up), the session environment.
pc_box_argv() {
    PC_ARGV=()
    if [ -n "${PC_SYSTEMD_PID:-}" ]; then
        # setns() into a mount namespace moves the cwd to its root: keep ours (relative paths).
        PC_ARGV=(nsenter -t "$PC_SYSTEMD_PID" -m "--wd=$PWD")
        [ -n "${PC_NETNS:-}" ] && PC_ARGV+=("--net=/run/netns/$PC_NETNS")
        PC_ARGV+=(--)
    elif [ -n "${PC_NETNS:-}" ]; then
        PC_ARGV=(nsenter "--net=/run/netns/$PC_NETNS" --)
    fi
    PC_ARGV+=(env XDG_RUNTIME_DIR="${PC_RUNTIME_DIR:-${XDG_RUNTIME_DIR:-}}"
        XDG_CONFIG_HOME="${PC_CONFIG_HOME:-${XDG_CONFIG_HOME:-}}" HOME="${PC_HOME:-$HOME}"
        DBUS_SESSION_BUS_ADDRESS="${PC_SESSION_BUS:-${PC_BUS_ADDRESS:-}}" "$@")
}

# pc_run_in_box CMD... : runs CMD in the box (see pc_box_argv), in the foreground.
pc_run_in_box() {
    local PC_ARGV
    pc_box_argv "$@"
    "${PC_ARGV[@]}"
}

pc_systemctl() { pc_run_in_box systemctl --user "$@"; }

pc_busctl() { pc_run_in_box busctl --user "$@"; }

# pc_write_unit NAME [DIR] : stdin becomes DIR/NAME (default $PC_UNIT_DIR).
pc_write_unit() {
    [ -n "${PC_UNIT_DIR:-}" ] || pc_fail "pc_write_unit before pc_start_systemd_user"
    cat >"${2:-$PC_UNIT_DIR}/$1"
}

# --- cleanup, in the reverse order of set-up ---

pc_cleanup() {
    local rc=$?
    [ "${PC_CLEANED:-1}" = 1 ] && return 0
    PC_CLEANED=1
    set +e
    # A failure that did not go through pc_fail (set -e, a plain exit 1) shows the logs too.
    case $rc in 0 | 77) ;; *) pc_dump_logs ;; esac
    local i
    for ((i = ${#PC_PIDS[@]} - 1; i >= 0; i--)); do
        [ "${PC_PIDS[i]}" = "${PC_SYSTEMD_PID:-x}" ] && continue
        pc_kill "${PC_PIDS[i]}"
    done
    pc_stop_systemd_user
    local inode
    for ((i = ${#PC_NETNS_LIST[@]} - 1; i >= 0; i--)); do
        # The daemon's single-instance lock is named after its table and netns inode
        # (/run/portcullis/TABLE-INODE.lock): it goes with the namespace.
        inode=$(stat -L -c %i "/run/netns/${PC_NETNS_LIST[i]}" 2>/dev/null) &&
            rm -f /run/portcullis/*-"$inode".lock
        ip netns del "${PC_NETNS_LIST[i]}" 2>/dev/null
    done
    if [ -n "${PC_TMP:-}" ] && [ -d "$PC_TMP" ]; then
        if [ "${PC_KEEP_TMP:-0}" = 1 ]; then
            pc_log "kept $PC_TMP"
        else
            # Mounts made inside systemd's private namespace died with it; nothing is mounted here.
            rm -rf --one-file-system "$PC_TMP"
        fi
    fi
    return $rc
}
