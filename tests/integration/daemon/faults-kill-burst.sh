#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kill -9 in the middle of a burst of 20 unit enables and disables. A reader lists the table
# over and over through the whole burst, the kill and the restart: the table is never missing
# and never half-built (its chain, rules and sets are the same in every read; only set elements
# change, a commit at a time), and no read shows the port of a unit that was never enabled.
# After the restart the daemon converges on exactly the units that ended up enabled; then
# someone runs `nft flush ruleset`, and the table comes back whole.
set -euo pipefail
source "$(dirname "$0")/common.sh"
pc_init daemon-kill-burst
dm_sandbox_with_systemd
for i in $(seq 20); do
    cat >>"$PC_TMP/catalog.d/50-test.toml" <<CAT

[[service]]
id = "pc-k$i"
name = "Kill burst service $i"
vendor = "local"
category = "test"
ports = ["$((18200 + i))/tcp"]
units = ["pc-k$i.service"]
CAT
    pc_write_unit "pc-k$i.service" <<'UNIT'
[Unit]
Description=portcullis kill-burst test unit
[Service]
ExecStart=/bin/sleep 300
[Install]
WantedBy=default.target
UNIT
done
pc_systemctl daemon-reload
dm_write_config enabled-or-active
dm_start_daemon

# The table without its elements and counters: what must never change.
cat >"$PC_TMP/structure.awk" <<'AWK'
/elements = \{/ { skip = 1 }
skip { if (/\}/) skip = 0; next }
{ gsub(/packets [0-9]+ bytes [0-9]+/, ""); print }
AWK
structure() { dm_nft list table inet portcullis | awk -f "$PC_TMP/structure.awk" | md5sum | cut -c1-32; }
# The test's ports in the set, ranges expanded (adjacent ports are merged into one interval).
cat >"$PC_TMP/ports.awk" <<'AWK'
/elements = \{/ { on = 1 }
on {
    line = $0
    sub(/.*elements = \{/, "", line)
    if (sub(/\}.*/, "", line)) on = 0
    n = split(line, parts, ",")
    for (i = 1; i <= n; i++) {
        split(parts[i], r, "-")
        a = r[1] + 0; b = (r[2] == "" ? a : r[2] + 0)
        for (p = a; p <= b && p <= 18220; p++) if (p >= 18201) printf "%d ", p
    }
}
AWK
ports() { dm_nft list set inet portcullis any_tcp | awk -f "$PC_TMP/ports.awk"; }
baseline=$(structure)

# The reader: at most 4000 reads, until told to stop.
pc_spawn reader bash -c "
    for i in \$(seq 4000); do
        [ -e '$PC_TMP/stop-reader' ] && break
        t=\$(nsenter --net=/run/netns/$PC_NETNS -- nft list table inet portcullis 2>&1) || { echo MISSING; continue; }
        s=\$(awk -f '$PC_TMP/structure.awk' <<<\"\$t\" | md5sum | cut -c1-32)
        p=\$(awk -f '$PC_TMP/ports.awk' <<<\"\$t\")
        echo \"\$s \$p\"
    done"
reader=$PC_LAST_PID

# The burst: enable 1..14, disable 1..6 (20 changes); pc-k15..20 are never enabled.
pc_box_argv systemctl --user
burst_cmd=("${PC_ARGV[@]}")
# The burst kills the daemon itself after its 10th change, so the kill lands in its middle
# whatever the speed of the machine.
(
    for i in $(seq 14); do
        "${burst_cmd[@]}" enable --now "pc-k$i.service" >/dev/null 2>&1 || exit 1
        [ "$i" -eq 10 ] && kill -KILL "$DM_DAEMON_PID"
    done
    for i in $(seq 6); do "${burst_cmd[@]}" disable --now "pc-k$i.service" >/dev/null 2>&1 || exit 1; done
) &
burst=$!
PC_PIDS+=("$burst")
pc_reap "$burst" || pc_fail "the burst's systemctl calls failed"
pc_reap "$DM_DAEMON_PID" || true
pc_log "killed after 10 of 20 changes; ports open then and now: $(ports)"
mv "$PC_TMP/daemon.log" "$PC_TMP/daemon-first.log"
dm_start_daemon
want=$(for i in $(seq 7 14); do printf '%s ' $((18200 + i)); done)
converged() { [ "$(ports)" = "$want" ]; }
pc_wait_for 10 converged || pc_fail "after the restart: ports '$(ports)', want '$want'"
pc_log "ok: converged after the restart: $want"
sleep 0.3
touch "$PC_TMP/stop-reader"
pc_reap "$reader" || pc_fail "the reader failed"

reads=$(wc -l <"$PC_TMP/reader.log")
[ "$reads" -ge 20 ] || pc_fail "only $reads reads of the table"
! grep -q MISSING "$PC_TMP/reader.log" || pc_fail "the table was missing in a read"
bad=$(awk -v b="$baseline" '$1 != b' "$PC_TMP/reader.log" | head -3)
[ -z "$bad" ] || pc_fail "a read saw another table structure (half applied?): $bad"
never=$(awk '{ for (i = 2; i <= NF; i++) if ($i > 18214) print $i }' "$PC_TMP/reader.log" | sort -u | tr '\n' ' ')
[ -z "$never" ] || pc_fail "a read saw ports of units never enabled: $never"
pc_log "ok: $reads reads through the burst, the kill -9 and the restart: table always whole"
[ "$(structure)" = "$baseline" ] || pc_fail "the structure changed"

# Someone runs `nft flush ruleset` (tamper.sh covers deleting the table and flushing its chain):
# the whole table, with the same ports, is back within a second.
dm_nft flush ruleset
healed() { [ "$(structure 2>/dev/null)" = "$baseline" ] && [ "$(ports)" = "$want" ]; }
pc_wait_for 2 healed || pc_fail "not restored after nft flush ruleset: $(dm_nft list ruleset)"
pc_log "ok: restored after nft flush ruleset"
dm_pass
