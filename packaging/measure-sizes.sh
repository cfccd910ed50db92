#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Prints the README's size table for built packages (run as root, after cross/package):
#   bash packaging/measure-sizes.sh dist/portcullis_*_{amd64,arm64,armhf}.deb
# Per package: the stripped daemon's size and the .deb's. For the package of this machine's
# architecture, also the unpacked daemon's idle memory: started with the shipped catalogue and
# config in a sandbox (its own network namespace, a real systemd --user to watch, a private
# bus), left idle for 5 s after its first commit, then Rss and Pss of /proc/PID/smaps_rollup.
# Pss charges shared library pages to each process that maps them, in shares; on a router the
# libraries (libsystemd, libstdc++) are mostly shared with other daemons.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
source "$src/tests/integration/lib/harness.sh"
pc_init measure-sizes

kib() { echo $((($1 + 512) / 1024)); }
native=$(dpkg --print-architecture)
echo "| architecture | portcullisd (stripped) | .deb | idle RSS | idle PSS |"
echo "|---|---:|---:|---:|---:|"
for deb in "$@"; do
    arch=$(dpkg-deb -f "$deb" Architecture)
    root=$PC_TMP/$arch
    dpkg-deb -x "$deb" "$root"
    bin=$(stat -c %s "$root/usr/sbin/portcullisd")
    size=$(stat -c %s "$deb")
    rss="-" pss="-"
    if [ "$arch" = "$native" ]; then
        [ -n "${PC_SYSTEMD_PID:-}" ] || { pc_setup_box; pc_start_systemd_user; }
        cfg=$PC_TMP/$arch.toml
        {
            printf 'catalog_dirs = ["%s/usr/share/portcullis/catalog.d"]\n' "$root"
            printf 'bus = "%s"\nstate_dir = "%s/state"\n' "$PC_SESSION_BUS" "$PC_TMP"
            grep -vE '^(catalog_dirs|bus|state_dir) ' "$root/etc/portcullis/portcullis.toml"
        } >"$cfg"
        pc_spawn daemon pc_run_in_box "$root/usr/sbin/portcullisd" --config "$cfg"
        pid=$PC_LAST_PID
        pc_wait_for 15 grep -q 'ready:' "$PC_TMP/daemon.log" || pc_fail "the daemon never got ready"
        sleep 5
        rss=$(awk '/^Rss:/ {print $2}' "/proc/$pid/smaps_rollup")
        pss=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup")
        rss="$(awk -v k="$rss" 'BEGIN { printf "%.1f MiB", k / 1024 }')"
        pss="$(awk -v k="$pss" 'BEGIN { printf "%.1f MiB", k / 1024 }')"
        pc_kill "$pid"
    fi
    echo "| $arch | $(kib "$bin") KiB | $(kib "$size") KiB | $rss | $pss |"
done
