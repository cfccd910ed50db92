#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon as DSM 7 runs a package (the binary of this build; tests/package/dsm-sandbox.sh
# does the same with the .spk): as the package's own uid, with what --configure-host granted
# and nothing else, the legacy backend (DSM's kernel has no nf_tables), packages followed
# through /var/packages/NAME/enabled and their ports read from the .sc files DSM installed.
#  1. Without the capability it refuses to start (exit 77), naming --configure-host and the
#     Task Scheduler task.
#  2. --configure-host, as root, grants cap_net_admin and cap_net_raw (the legacy backend's
#     iptables-restore), lets the daemon's group take iptables' lock, and says so; run again,
#     it finds everything done.
#  3. The daemon runs as the package's uid with CAP_NET_ADMIN as its only effective capability.
#  4. A package started opens the ports of its .sc file for the peer within a second, and
#     stopped closes them; so does a package installed while the daemon runs (its .sc file
#     appears, then it starts); a DSM built-in service stays closed; a bad .sc line is logged
#     as FILE:LINE:COLUMN and skips that line only.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
: "${PORTCULLISD:?PORTCULLISD must name the daemon binary (ctest sets it)}"
: "${PORTCULLIS_SOURCE_DIR:?}"
pc_init dsm-package-user
dsm_start_box
dsm_test_packages

# The daemon where DSM installs a package: target/ on the volume, in a directory only root
# writes (--configure-host refuses a binary others could replace), var/ the package user's.
dsm_make_dirs "$DSM_PKG"
store=$DSM_ROOT/var/volume1/@appstore/$DSM_PKG
mkdir -p "$store/bin"
cp "$PORTCULLISD" "$store/bin/portcullisd"
chmod 755 "$store" "$store/bin"
chown "$DSM_UID:$DSM_GID" "$DSM_ROOT/var/volume1/@appdata/$DSM_PKG"
bin=$DSM_TARGET/bin/portcullisd
config=$DSM_VAR/portcullis.toml
printf 'mode = "enforce"\nbackend = "legacy"\ncatalog_dirs = ["%s/conf/catalog.d"]\n%s\n' \
    "$PORTCULLIS_SOURCE_DIR" "state_dir = \"$DSM_VAR\"" >"$PC_TMP/portcullis.toml"
printf '[legacy]\ncheck_seconds = 1\n[systemd]\nenabled = false\n[synology]\nenabled = true\n' \
    >>"$PC_TMP/portcullis.toml"
cp "$PC_TMP/portcullis.toml" "$DSM_ROOT/var/volume1/@appdata/$DSM_PKG/portcullis.toml"

# 1. No capability yet.
rc=0
dsm_as_package "$bin" --config "$config" >"$PC_TMP/nocap.log" 2>&1 || rc=$?
[ "$rc" -eq 77 ] || pc_fail "without CAP_NET_ADMIN the daemon exited $rc, not 77"
grep -q "lacks CAP_NET_ADMIN (it runs as uid $DSM_UID)" "$PC_TMP/nocap.log" &&
    grep -qF "Run command: $bin --configure-host" "$PC_TMP/nocap.log" &&
    grep -q 'Task Scheduler > Create > Triggered Task' "$PC_TMP/nocap.log" ||
    pc_fail "the start-up error does not name the configure-host step: $(cat "$PC_TMP/nocap.log")"
pc_log "ok: without the capability: exit 77, the error names --configure-host and the task"

# 2. The root step, twice.
dsm_in "$bin" --configure-host --config "$config" >"$PC_TMP/configure.log" 2>&1 ||
    pc_fail "--configure-host failed: $(cat "$PC_TMP/configure.log")"
for want in "granted cap_net_admin,cap_net_raw=p to /var/volume1/@appstore/$DSM_PKG/bin/portcullisd" \
    "group $DSM_GID (the daemon's) may read /run/xtables.lock" \
    'done; backend = "legacy" picks legacy on this kernel'; do
    grep -qF "$want" "$PC_TMP/configure.log" || pc_fail "--configure-host did not say '$want'"
done
caps=$(dsm_filecaps "$store/bin/portcullisd")
[ "$caps" = "$DSM_CAPS_LEGACY" ] || pc_fail "file capabilities: '$caps'"
dsm_in "$bin" --configure-host --config "$config" >"$PC_TMP/configure2.log" 2>&1 ||
    pc_fail "--configure-host failed the second time: $(cat "$PC_TMP/configure2.log")"
grep -q 'already has cap_net_admin,cap_net_raw=p (and nothing else)' "$PC_TMP/configure2.log" &&
    grep -q "group $DSM_GID may already take /run/xtables.lock" "$PC_TMP/configure2.log" ||
    pc_fail "the second --configure-host did not find its work done"
rc=0
dsm_as_package "$bin" --configure-host >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 77 ] || pc_fail "--configure-host as the package user exited $rc, not 77"
pc_log "ok: --configure-host: cap_net_admin,cap_net_raw=p ($caps), idempotent, root only"

# 3. The daemon, as the package's user.
for port in 18080 18443 18022 18090; do dsm_listen "$port"; done
dsm_script_env 0.1.0-0001
pc_spawn daemon nsenter -t "$DSM_BOX_PID" -m -n --wd=/ -- setpriv --reuid="$DSM_UID" \
    --regid="$DSM_GID" --clear-groups -- "${DSM_ENV[@]}" "$bin" --config "$config"
daemon=$PC_LAST_PID
pc_wait_for 15 grep -q 'ready:' "$PC_TMP/daemon.log" || pc_fail "the daemon never became ready"
[ "$(dsm_uid "$daemon")" = "$DSM_UID" ] || pc_fail "the daemon runs as uid $(dsm_uid "$daemon")"
[ "$(dsm_caps "$daemon")" = 0000000000001000 ] ||
    pc_fail "the daemon's effective capabilities are $(dsm_caps "$daemon"), not CAP_NET_ADMIN alone"
pc_log "ok: the daemon runs as uid $DSM_UID with CAP_NET_ADMIN only (CapEff $(dsm_caps "$daemon"))"
grep -q '/usr/local/etc/services.d/media-server.sc:5:1: expected KEY=VALUE: line skipped' \
    "$PC_TMP/daemon.log" || pc_fail "the bad .sc line was not logged as FILE:LINE:COLUMN"

# 4. Packages.
dsm_expect_closed 1 "no package started" 18080
dsm_enable PcWeb
dsm_expect_open 1 "PcWeb started" 18080
dsm_enable PcMedia
dsm_expect_open 1 "PcMedia started (its .sc is media-server.sc)" 18443
dsm_stays_closed "a built-in service no package names" 18022
dsm_disable PcWeb
dsm_expect_closed 1 "PcWeb stopped" 18080
dsm_connect 18443 || pc_fail "PcMedia's port closed with PcWeb"
dsm_fake_package PcNew PcNew.sc '[pcnew]
dst.ports="18090/tcp"'
dsm_enable PcNew
dsm_expect_open 1 "PcNew installed and started while the daemon runs" 18090
grep -q 'service definitions changed in /usr/syno/etc/services.d, /usr/local/etc/services.d; reloading' \
    "$PC_TMP/daemon.log" || pc_fail "the new .sc file did not reload the catalogue"
dsm_disable PcNew
dsm_expect_closed 1 "PcNew stopped" 18090
pc_stop "$daemon" || pc_fail "the daemon did not exit 0 on SIGTERM"
pc_log "passed"
