#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Signals that arrive while the daemon is still starting (loading a big catalogue takes a
# while) neither kill it nor get lost: a SIGHUP is a reload once it is up, a SIGTERM a clean
# stop. It used to die of an early SIGHUP with status 129, logging nothing.
set -euo pipefail
source "$(dirname "$0")/common.sh"
pc_init daemon-early-signals
pc_setup_box
pc_start_bus
dm_write_catalog
# 20,000 services: seconds of loading before the handlers exist in a daemon that does not
# block the signals first.
python3 - "$PC_TMP/catalog.d/90-big.toml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(20000):
        f.write(f'[[service]]\nid = "big{i}"\nname = "Big {i}"\nports = ["{20000 + i}/tcp"]\n\n')
PY
dm_write_config enabled enforce "[always]" 'services = ["pc-web"]'
dm_no_systemd

# sig_blocked PID SIGNAL-NUMBER: the process blocks it (its SigBlk mask has the bit).
sig_blocked() {
    local mask
    mask=$(awk '/^SigBlk:/ { print $2 }' "/proc/$1/status" 2>/dev/null) || return 1
    [ -n "$mask" ] && (((16#$mask >> ($2 - 1)) & 1))
}

# early_signal NAME SIGNAL: starts a daemon and sends it SIGNAL as soon as it runs main (at
# most 0.3 s after the exec, well inside the catalogue's loading).
early_signal() {
    local name=$1 sig=$2 i
    pc_spawn "$name" pc_run_in_box "$PORTCULLISD" --config "$PC_TMP/portcullis.toml"
    pid=$PC_LAST_PID
    for ((i = 0; i < 3000; i++)); do
        [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = portcullisd ] && break
        sleep 0.001
    done
    for ((i = 0; i < 300; i++)); do
        sig_blocked "$pid" "$(kill -l "$sig")" && break
        sleep 0.001
    done
    grep -q 'ready:' "$PC_TMP/$name.log" && pc_fail "$name: the daemon was up before the signal"
    kill "-$sig" "$pid"
    pc_log "sent SIG$sig to pid $pid while it was starting"
}

early_signal hup HUP
pc_wait_for 60 grep -q 'reloaded:' "$PC_TMP/hup.log" || pc_fail "an early SIGHUP was not a reload"
pc_alive "$pid" || pc_fail "an early SIGHUP killed the daemon"
grep -q 'ready:' "$PC_TMP/hup.log" || pc_fail "no first commit"
# The reload's own commit may still be running when it logs "reloaded:", and a listing that
# overlaps a commit can be refused (the dump is interrupted): ask again for a little while.
port_open() { dm_nft list set inet portcullis any_tcp | grep -q "$DM_PORT"; }
pc_wait_for 5 port_open || pc_fail "port $DM_PORT not open"
pc_stop "$pid" TERM || pc_fail "SIGTERM after the reload: non-zero exit"
pc_log "ok: an early SIGHUP waited for the handlers and reloaded"

early_signal term TERM
status=0
pc_reap "$pid" || status=$?
[ "$status" -eq 0 ] || pc_fail "an early SIGTERM: exit status $status, want 0"
grep -q 'SIGTERM: stopping' "$PC_TMP/term.log" || pc_fail "an early SIGTERM was not handled"
pc_log "ok: an early SIGTERM stopped the daemon cleanly"
pc_log "passed"
