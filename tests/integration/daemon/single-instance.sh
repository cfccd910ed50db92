#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# One daemon per table and network namespace: a second portcullisd with the same config exits 75
# within a second, naming the running one's pid, and the first keeps working. --dry-run and a
# daemon with another table run beside it. After kill -9 of the first (the kernel drops its
# flock), a new one starts.
set -euo pipefail
source "$(dirname "$0")/common.sh"
pc_init daemon-single
dm_sandbox_with_systemd
dm_write_config enabled-or-active
dm_listen
dm_start_daemon
first=$DM_DAEMON_PID
dm_expect_closed 1 "nothing enabled"

netns_ino=$(pc_in_box stat -L -c %i /proc/self/ns/net)
lock=/run/portcullis/portcullis-$netns_ino.lock
remove_lock() { rm -f "$lock"; }
trap 'pc_cleanup; remove_lock' EXIT
[ "$(cat "$lock")" = "$first" ] || pc_fail "$lock holds '$(cat "$lock")', want the daemon's pid $first"

# The same config again: refused at once, naming the first.
pc_box_argv "$PORTCULLISD" --config "$PC_TMP/portcullis.toml"
start=$(date +%s%N)
rc=0
timeout 10 "${PC_ARGV[@]}" >"$PC_TMP/second.log" 2>&1 || rc=$?
took=$((($(date +%s%N) - start) / 1000000))
[ "$rc" -eq 75 ] || pc_fail "second daemon: exit $rc, want 75 (log: $(cat "$PC_TMP/second.log"))"
[ "$took" -lt 1000 ] || pc_fail "second daemon took $took ms to give up, want < 1000"
grep -q "another portcullisd (pid $first) already manages table 'portcullis'" "$PC_TMP/second.log" ||
    pc_fail "the refusal does not name pid $first: $(cat "$PC_TMP/second.log")"
pc_log "ok: second daemon refused in $took ms: $(cat "$PC_TMP/second.log")"

# The first still owns the table and the bus name.
call() { pc_busctl call org.portcullis1 /org/portcullis1 org.portcullis1.Manager "$@"; }
call SetOverride ss pc-web open
dm_expect_open 1 "override open on the first daemon"
call SetOverride ss pc-web closed
dm_expect_closed 1 "override closed on the first daemon"
[ "$(cat "$lock")" = "$first" ] || pc_fail "the refused daemon changed the lock file: $(cat "$lock")"

# --dry-run takes no lock: it runs beside the first.
pc_spawn dryrun pc_run_in_box "$PORTCULLISD" --config "$PC_TMP/portcullis.toml" --dry-run
dry=$PC_LAST_PID
pc_wait_for 15 grep -q 'ready:' "$PC_TMP/dryrun.log" || pc_fail "dry run beside the daemon never ready"
pc_alive "$dry" || pc_fail "the dry run exited: $(cat "$PC_TMP/dryrun.log")"
pc_log "ok: --dry-run runs beside the daemon"

# Another table (and its own state): its own lock, its own table.
sed -e 's/^mode = "enforce"$/mode = "enforce"\ntable = "pcother"/' \
    -e "s|^state_dir = .*|state_dir = \"$PC_TMP/other-state\"|" "$PC_TMP/portcullis.toml" >"$PC_TMP/other.toml"
pc_spawn other pc_run_in_box "$PORTCULLISD" --config "$PC_TMP/other.toml"
other=$PC_LAST_PID
pc_wait_for 15 grep -q 'ready:' "$PC_TMP/other.log" || pc_fail "the daemon with another table never ready"
sleep 0.3
pc_alive "$other" || pc_fail "the daemon with another table exited: $(cat "$PC_TMP/other.log")"
if [ "$DM_BACKEND" = nftables ]; then
    dm_nft list table inet pcother >/dev/null || pc_fail "no table inet pcother"
fi
pc_log "ok: a daemon with another table runs beside the first"
pc_kill "$other"
pc_kill "$dry"
[ "$DM_BACKEND" = nftables ] && dm_nft delete table inet pcother
rm -f "/run/portcullis/pcother-$netns_ino.lock"

# kill -9: the kernel releases the lock; a new daemon starts and works.
pc_stop "$first" KILL || true
mv "$PC_TMP/daemon.log" "$PC_TMP/daemon-first.log"
dm_start_daemon
pc_alive "$DM_DAEMON_PID" || pc_fail "the new daemon exited"
[ "$(cat "$lock")" = "$DM_DAEMON_PID" ] || pc_fail "lock holds '$(cat "$lock")', want $DM_DAEMON_PID"
call SetOverride ss pc-web open
dm_expect_open 1 "override open on the daemon started after kill -9"
pc_log "ok: a new daemon starts after kill -9 of the first"
dm_pass
