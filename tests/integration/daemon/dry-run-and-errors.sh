#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --dry-run watches and logs but never touches nftables; a broken config at start exits 78 and
# touches nothing, not even a table left by an earlier run.
set -euo pipefail
source "$(dirname "$0")/common.sh"
pc_init daemon-dryrun
dm_sandbox_with_systemd
dm_write_config enabled-or-active
pc_spawn daemon pc_run_in_box "$PORTCULLISD" --config "$PC_TMP/portcullis.toml" --dry-run
pc_wait_for 15 grep -q 'ready:' "$PC_TMP/daemon.log" || pc_fail "dry run never ready"
grep -q 'dry run: would create table inet portcullis' "$PC_TMP/daemon.log" || pc_fail "dry run did not say what it would do"
pc_systemctl enable --now pc-web.service
pc_wait_for 2 grep -q 'opened pc-web (unit pc-web.service enabled)' "$PC_TMP/daemon.log" ||
    pc_fail "dry run did not log the change"
if dm_fw_present; then pc_fail "dry run created a table"; fi
[ -z "$(dm_nft list ruleset)" ] || pc_fail "dry run touched the ruleset"
[ "$DM_BACKEND" = nftables ] || [ -z "$(dm_sets)$(dm_chains | grep portcullis)" ] ||
    pc_fail "dry run touched ip sets or iptables: $(dm_sets) $(dm_chains)"
pc_kill "$PC_LAST_PID"
pc_log "ok: dry run logged, nftables untouched"

# A real run leaves a table; then a broken config must not touch it.
dm_start_daemon
before=$(dm_ruleset)
pc_kill "$DM_DAEMON_PID"
sed -i 's/^mode = "enforce"$/mode = "enforcing"/' "$PC_TMP/portcullis.toml"
rc=0
pc_run_in_box "$PORTCULLISD" --config "$PC_TMP/portcullis.toml" >"$PC_TMP/bad.log" 2>&1 || rc=$?
[ "$rc" -eq 78 ] || pc_fail "broken config: exit $rc, want 78"
grep -q "portcullis.toml:1:8: mode must be" "$PC_TMP/bad.log" || pc_fail "no position: $(cat "$PC_TMP/bad.log")"
[ "$(dm_ruleset)" = "$before" ] || pc_fail "a broken config touched the ruleset"
pc_log "ok: broken config exits 78 and touches nothing"
dm_pass
