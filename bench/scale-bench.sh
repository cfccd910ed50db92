#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon at scale, measured (prints figures; not a test). Root; several minutes.
#
#   sudo bash bench/scale-bench.sh [build/portcullisd] [build/bench/override-latency]
#
# For each size (SIZES, default "500 5000"): that many synthetic services, each with its own
# unit in a real systemd --user, every unit enabled (and inactive), the daemon in a network
# namespace in enforce mode. Then:
#   1. what each systemd query costs systemd itself at this size (its CPU time, from
#      /proc/PID/stat), with `daemon-reload` as the yardstick: what every `systemctl enable` or
#      `disable` makes systemd do anyway;
#   2. start -> READY=1 (the first commit), with the CPU time systemd spent meanwhile;
#   3. SetOverride of one service as a client sees it (COUNT=20 closes and 20 auto), and the
#      daemon's CPU time per call. The state directory is on a tmpfs here, so that the figure
#      is the daemon's work; what the write of overrides.toml (fsync, rename, fsync of the
#      directory) costs on the disk of /tmp is printed beside it;
#   4. `systemctl disable` returning -> the port closed in the kernel, and `enable` -> open
#      (TOGGLES=3 of each), timed from nf_tables events;
#   5. RSS of the daemon afterwards (own = RssAnon; the rest is mostly shared libraries).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
PORTCULLISD=$(realpath "${1:-$src/build/portcullisd}")
LATENCY=$(realpath "${2:-$(dirname "$PORTCULLISD")/bench/override-latency}")
SIZES=${SIZES:-"500 5000"}
COUNT=${COUNT:-20}
TOGGLES=${TOGGLES:-3}
EVENT_TIMEOUT=${EVENT_TIMEOUT:-120}
source "$src/tests/integration/lib/harness.sh"
pc_init scale-bench
# The overrides file on a tmpfs (see 3. above); /dev/shm is seen from systemd's mount namespace.
shm=$(mktemp -d /dev/shm/pc-scale-bench.XXXXXX)
trap 'rc=$?; rm -rf "$shm"; (exit $rc); pc_cleanup' EXIT
pc_setup_box
pc_start_systemd_user
M=(org.freedesktop.systemd1 /org/freedesktop/systemd1 org.freedesktop.systemd1.Manager)

cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$1/stat"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
status_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

# units N: svc0.service ... svc(N-1).service, all enabled (symlinks made here; one reload).
have_units=0
units() {
    mkdir -p "$PC_UNIT_DIR/default.target.wants"
    local i
    for ((i = have_units; i < $1; i++)); do
        printf '[Service]\nExecStart=/bin/sleep 300\n[Install]\nWantedBy=default.target\n' \
            >"$PC_UNIT_DIR/svc$i.service"
        ln -s "$PC_UNIT_DIR/svc$i.service" "$PC_UNIT_DIR/default.target.wants/svc$i.service"
    done
    have_units=$1
    pc_systemctl daemon-reload
}

# catalogue N: one service per unit, a TCP port and a two-port UDP range each.
catalogue() {
    python3 - "$PC_TMP/catalog-$1/50-scale.toml" "$1" <<'PY'
import os, sys
path, n = sys.argv[1], int(sys.argv[2])
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "w") as f:
    for i in range(n):
        p = 20000 + 3 * i
        f.write(f'[[service]]\nid = "svc{i}"\nname = "Synthetic {i}"\n'
                f'ports = ["{p}/tcp", "{p}-{p + 1}/udp"]\nunits = ["svc{i}.service"]\n\n')
PY
    cat >"$PC_TMP/portcullis-$1.toml" <<CFG
mode = "enforce"
bus = "$PC_SESSION_BUS"
catalog_dirs = ["$PC_TMP/catalog-$1"]
state_dir = "$shm/state-$1"
CFG
}

# query_cost WHAT BUSCTL-ARGS...: systemd's CPU time for one call, and the call's wall time.
query_cost() {
    local what=$1 before t0
    shift
    before=$(cpu_ms "$PC_SYSTEMD_PID")
    t0=$(now_ms)
    pc_busctl --timeout=600 call "${M[@]}" "$@" >/dev/null
    printf '  %-52s %6d ms CPU (%d ms wall)\n' "$what" $(($(cpu_ms "$PC_SYSTEMD_PID") - before)) \
        $(($(now_ms) - t0))
}

summary=()
for n in $SIZES; do
    echo
    echo "== $n services, $n units enabled"
    units "$n"
    catalogue "$n"
    globs=()
    for ((i = 0; i < n; i++)); do globs+=("svc$i.service"); done

    if [ "${QUERY_COSTS:-1}" = 1 ]; then
    echo "1. what systemd spends on each query (its CPU time)"
    before=$(cpu_ms "$PC_SYSTEMD_PID")
    pc_systemctl daemon-reload
    printf '  %-52s %6d ms CPU\n' "daemon-reload (yardstick: each enable/disable does one)" \
        $(($(cpu_ms "$PC_SYSTEMD_PID") - before))
    query_cost "ListUnits (every loaded unit)" ListUnits
    query_cost "ListUnitsByPatterns with $n globs" ListUnitsByPatterns asas 0 "$n" "${globs[@]}"
    query_cost "GetUnitFileState of one unit" GetUnitFileState s svc1.service
    query_cost "ListUnitFilesByPatterns with $n globs" ListUnitFilesByPatterns asas 0 "$n" "${globs[@]}"
    fi

    echo "2. start -> READY=1"
    rm -f "$PC_TMP/notify.sock"
    pc_spawn "notify-$n" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(600)
while True:
    msg = s.recv(4096).decode()
    if "READY=1" in msg.split("\n"):
        print("READY", time.time_ns() // 1000000, flush=True)
' "$PC_TMP/notify.sock"
    pc_wait_for 5 test -S "$PC_TMP/notify.sock" || pc_fail "notify socket"
    sd_before=$(cpu_ms "$PC_SYSTEMD_PID")
    t0=$(now_ms)
    pc_spawn "daemon-$n" pc_run_in_box env NOTIFY_SOCKET="$PC_TMP/notify.sock" \
        "$PORTCULLISD" --config "$PC_TMP/portcullis-$n.toml"
    pid=$PC_LAST_PID
    pc_wait_for 600 grep -q '^READY' "$PC_TMP/notify-$n.log" || pc_fail "no READY=1 within 600 s"
    ready=$(($(awk '/^READY/ {print $2; exit}' "$PC_TMP/notify-$n.log") - t0))
    sd_start=$(($(cpu_ms "$PC_SYSTEMD_PID") - sd_before))
    printf '  %d ms (daemon CPU %d ms; systemd CPU meanwhile %d ms)\n' "$ready" "$(cpu_ms "$pid")" "$sd_start"
    grep -q 'ready: '"$n"' services open' "$PC_TMP/daemon-$n.log" || pc_fail "not every service open at start"

    echo "3. SetOverride svc7 closed / auto, as a client sees it"
    before=$(cpu_ms "$pid")
    ov=$(pc_run_in_box "$LATENCY" "$PC_SESSION_BUS" svc7 "$COUNT")
    ov_cpu=$(awk -v ms=$(($(cpu_ms "$pid") - before)) -v n=$((2 * COUNT)) 'BEGIN { printf "%.1f", ms / n }')
    echo "  $ov; daemon CPU $ov_cpu ms per call"
    python3 - "$PC_TMP" <<'PY'
import os, statistics, sys, time
d, ts = sys.argv[1], []
for _ in range(20):
    t = time.perf_counter()
    fd = os.open(d + "/fsync.tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, b"x" * 100)
    os.fsync(fd)
    os.close(fd)
    os.rename(d + "/fsync.tmp", d + "/fsync")
    dfd = os.open(d, os.O_RDONLY)
    os.fsync(dfd)
    os.close(dfd)
    ts.append((time.perf_counter() - t) * 1000)
print(f"  (yardstick: writing overrides.toml on the disk of {d} would add {statistics.median(ts):.1f} ms)")
PY

    tg=
    if [ "$TOGGLES" -gt 0 ]; then
        echo "4. systemctl disable / enable svc11.service (port 20033/tcp)"
        before=$(cpu_ms "$PC_SYSTEMD_PID")
        tg=$(pc_run_in_box python3 "$src/bench/disable_latency.py" "$TOGGLES" "$EVENT_TIMEOUT" \
            svc11.service -- systemctl --user) || true
        echo "$tg"
        printf '  systemd CPU per toggle (its own reload included): %d ms\n' \
            $((($(cpu_ms "$PC_SYSTEMD_PID") - before) / (2 * TOGGLES)))
    fi

    echo "5. memory"
    rss=$(status_kib "$pid" VmRSS) own=$(status_kib "$pid" RssAnon) peak=$(status_kib "$pid" VmHWM)
    printf '  RSS %d KiB (own %d KiB), peak %d KiB\n' "$rss" "$own" "$peak"

    off=$(sed -n 's/.*disable returns -> port closed: n=[0-9]* median \([0-9.]*\) ms.*/\1/p' <<<"$tg")
    summary+=("$(printf '| %5d | %8d ms | %s | %s ms | %s ms | %5.1f MB (own %4.1f MB) |' "$n" "$ready" \
        "$(sed 's/n=[0-9]* median \([0-9.]*\) ms p99 \([0-9.]*\) ms.*/\1 \/ \2 ms/' <<<"$ov")" \
        "$ov_cpu" "${off:-?}" "$(awk -v k="$rss" 'BEGIN{print k/1024}')" "$(awk -v k="$own" 'BEGIN{print k/1024}')")")
    pc_kill "$pid"
    pc_in_box nft delete table inet portcullis 2>/dev/null || true
done

echo
echo "portcullisd $("$PORTCULLISD" --version | awk '{print $2}'), kernel $(uname -r), $(nproc) cores"
echo "| services | start -> ready | SetOverride median / p99 | daemon CPU per SetOverride | disable -> closed (median) | RSS |"
echo "|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${summary[@]}"
