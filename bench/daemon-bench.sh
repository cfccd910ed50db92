#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The running daemon, measured (prints figures; not a test). Root; about a minute.
#
#   sudo bash bench/daemon-bench.sh [build/portcullisd] [TOGGLES]
#
# 1. Latency from `systemctl --user enable --now` returning to the port being open in the
#    kernel, and from `disable --now` to closed (median, p99 over TOGGLES, default 60), with a
#    real systemd --user in a private mount namespace and the daemon in a network namespace.
# 2. RSS of the daemon with the full shipped catalogue (and, for scale, 5,000 synthetic
#    services), next to the dbus-daemon of the same sandbox as a yardstick.
# 3. CPU time and wake-ups (context switches) of the daemon over 10 idle seconds.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
PORTCULLISD=$(realpath "${1:-$src/build/portcullisd}")
toggles=${2:-60}
source "$src/tests/integration/daemon/common.sh"
pc_init daemon-bench
dm_sandbox_with_systemd
cat >"$PC_TMP/portcullis.toml" <<CFG
mode = "enforce"
bus = "$PC_SESSION_BUS"
catalog_dirs = ["$src/conf/catalog.d", "$PC_TMP/catalog.d"]
state_dir = "$PC_TMP/state"
[always]
services = ["ssh"]
CFG
dm_start_daemon
pid=$DM_DAEMON_PID
services=$(grep -o '[0-9]* services in the catalogue' "$PC_TMP/daemon.log" | head -1)

echo "portcullisd $("$PORTCULLISD" --version | awk '{print $2}'), $services, kernel $(uname -r), $(nproc) cores"
echo
echo "1. systemctl to kernel ($toggles toggles of pc-web.service, port 18080/tcp)"
pc_run_in_box python3 "$src/bench/toggle_latency.py" "$toggles" pc-web.service -- \
    systemctl --user

rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
# RssAnon is the daemon's own memory; RssFile is mostly shared library pages.
anon() { awk '/^RssAnon/ {print $2}' "/proc/$1/status"; }
mem() { printf '  %-48s RSS %6d KiB (own %5d KiB, rest mapped files)   peak %6d KiB\n' "$1" "$(rss "$2")" "$(anon "$2")" "$(hwm "$2")"; }
echo
echo "2. memory"
bus_pid=$(pc_busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
    GetConnectionUnixProcessID s org.freedesktop.DBus 2>/dev/null | awk '{print $2}' || true)
mem "portcullisd, shipped catalogue (${services%% *} services)" "$pid"
if [ -n "$bus_pid" ] && [ -d "/proc/$bus_pid" ]; then
    mem "dbus-daemon of the same sandbox (yardstick)" "$bus_pid"
fi

echo
echo "3. idle: 10 s with nothing changing"
read -r ut st < <(awk '{print $14, $15}' "/proc/$pid/stat")
cs0=$(awk '/^voluntary_ctxt_switches/ {v=$2} /^nonvoluntary_ctxt_switches/ {n=$2} END {print v+n}' "/proc/$pid/status")
sleep 10
read -r ut2 st2 < <(awk '{print $14, $15}' "/proc/$pid/stat")
cs1=$(awk '/^voluntary_ctxt_switches/ {v=$2} /^nonvoluntary_ctxt_switches/ {n=$2} END {print v+n}' "/proc/$pid/status")
tick=$(getconf CLK_TCK)
echo "  CPU time: $(( (ut2 + st2 - ut - st) * 1000 / tick )) ms user+sys; context switches: $((cs1 - cs0))"

# For scale: the same daemon with 5,000 synthetic services (each a TCP port and a UDP range).
pc_kill "$pid"
python3 - "$PC_TMP/big.d/50-big.toml" <<'PY'
import os, sys
os.makedirs(os.path.dirname(sys.argv[1]), exist_ok=True)
with open(sys.argv[1], "w") as f:
    for i in range(5000):
        p = 20000 + 3 * i
        f.write(f'[[service]]\nid = "svc{i}"\nname = "Synthetic {i}"\nports = ["{p}/tcp", "{p}-{p+1}/udp"]\n'
                f'units = ["svc{i}.service"]\n\n')
PY
sed -i -e "s|^catalog_dirs = .*|catalog_dirs = [\"$PC_TMP/big.d\"]|" -e '/^\[always\]/,$d' "$PC_TMP/portcullis.toml"
mv "$PC_TMP/daemon.log" "$PC_TMP/daemon-1.log"
dm_start_daemon
mem "portcullisd, 5,000 synthetic services (for scale)" "$DM_DAEMON_PID"
