#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The DSM package, installed and run as DSM 7 runs it, in a DSM-shaped sandbox
# (tests/integration/dsm/lib.sh: network namespaces for the box and a peer, a mount namespace
# with its own /var/packages, /usr/{syno,local}/etc/services.d and /run, no systemd):
#   bash tests/package/dsm-sandbox.sh dist/portcullis-x86_64-0.1.0.spk
# What Package Center does is done by hand: package.tgz unpacked into the volume with target/
# and var/ linked from /var/packages/portcullis, everything the package's user's, the scripts
# run as that user with the SYNOPKG_* variables DSM sets. Then, with backend = "legacy" forced
# (this kernel has nf_tables; DSM's has not) and mode = "enforce":
#  - start fails before the Task Scheduler step, saying which step; status says not running;
#  - --configure-host as root makes the bundle root's and grants the capability;
#  - start runs the daemon as the package's user with CAP_NET_ADMIN alone, loading nothing
#    but the bundle's own loader and libraries;
#  - a fake package started opens its .sc ports for the peer within a second, stopped closes
#    them; one installed while the daemon runs too;
#  - status 0 running, 3 stopped; start twice is fine; stop stops it;
#  - preuninst leaves the rules letting everything through (monitor).
# Needs root, iptables-legacy, ipset, python3 (the harness's tools).
set -euo pipefail
spk=$(realpath "${1:?usage: $0 PACKAGE.spk}")
source "$(dirname "$0")/../integration/dsm/lib.sh"
pc_init dsm-sandbox
dsm_start_box
dsm_test_packages

scripts=$DSM_PKGDIR/scripts
store=$DSM_ROOT/var/volume1/@appstore/$DSM_PKG
appdata=$DSM_ROOT/var/volume1/@appdata/$DSM_PKG
sss() { dsm_as_package "$scripts/start-stop-status" "$@"; }
# expect_status CODE WHAT ARGS...: the control script exits CODE.
expect_status() {
    local want=$1 what=$2 rc=0
    shift 2
    sss "$@" >"$PC_TMP/sss.out" 2>&1 || rc=$?
    [ "$rc" -eq "$want" ] || pc_fail "start-stop-status $*: exit $rc, not $want ($what): $(cat "$PC_TMP/sss.out")"
    pc_log "ok: start-stop-status $* exits $rc ($what): $(tail -n 1 "$PC_TMP/sss.out")"
}

# Install, as Package Center does.
mkdir -p "$PC_TMP/spk"
tar -xf "$spk" -C "$PC_TMP/spk"
# shellcheck disable=SC2034 # dsm_as_package gives it to the scripts as SYNOPKG_PKGVER
DSM_VERSION=$(sed -n 's/^version="\(.*\)"$/\1/p' "$PC_TMP/spk/INFO")
dsm_make_dirs "$DSM_PKG"
tar -xzf "$PC_TMP/spk/package.tgz" -C "$store"
cp -r "$PC_TMP/spk/scripts" "$PC_TMP/spk/conf" "$PC_TMP/spk/INFO" "$DSM_ROOT$DSM_PKGDIR/"
chown -R "$DSM_UID:$DSM_GID" "$store" "$appdata"
dsm_as_package "$scripts/preinst" || pc_fail "preinst failed"
dsm_as_package "$scripts/postinst" >"$PC_TMP/postinst.out" 2>&1 || pc_fail "postinst failed"
grep -qF "Run command: $DSM_TARGET/bin/portcullisd --configure-host" "$PC_TMP/postinst.out" ||
    pc_fail "postinst does not tell the Task Scheduler step: $(cat "$PC_TMP/postinst.out")"
config=$appdata/portcullis.toml
grep -q '^enabled = false$' "$config" || pc_fail "the DSM config does not switch systemd off"
grep -q '^mode = "monitor"$' "$config" || pc_fail "the DSM config is not in monitor mode"
pc_log "ok: installed; postinst wrote $DSM_VAR/portcullis.toml (monitor, systemd off)"
# The admin: the legacy backend (as on DSM's kernel), enforce, a quick check.
sed -i -e 's/^backend = "auto"$/backend = "legacy"/' -e 's/^mode = "monitor"$/mode = "enforce"/' \
    "$config"
printf '[legacy]\ncheck_seconds = 1\n' >>"$config"

# Before the Task Scheduler step.
expect_status 1 "no capability yet" start
grep -qF -- "--configure-host" "$PC_TMP/sss.out" && grep -q 'Task Scheduler' "$PC_TMP/sss.out" ||
    pc_fail "the failed start does not name the configure-host step"
expect_status 3 "never started" status

# The Task Scheduler step: root, the package's binary, no arguments.
dsm_in "$DSM_TARGET/bin/portcullisd" --configure-host >"$PC_TMP/configure.log" 2>&1 ||
    pc_fail "--configure-host failed: $(cat "$PC_TMP/configure.log")"
libs=$(grep -vc '^#' "$store/lib/portcullis-bundle.txt")
grep -q "the bundle in /var/volume1/@appstore/$DSM_PKG (the binary and $libs files of lib/) is root's" \
    "$PC_TMP/configure.log" &&
    grep -q "granted cap_net_admin,cap_net_raw=p to /var/volume1/@appstore/$DSM_PKG/bin/portcullisd" \
        "$PC_TMP/configure.log" || pc_fail "--configure-host said: $(cat "$PC_TMP/configure.log")"
for f in "$store" "$store/bin" "$store/lib" "$store/bin/portcullisd" "$store"/lib/*; do
    perm=$(stat -c '%U %A' "$f")
    [[ $perm == root\ ?????-??-? ]] || pc_fail "after --configure-host $f is '$perm'"
done
[ "$(dsm_filecaps "$store/bin/portcullisd")" = "$DSM_CAPS_LEGACY" ] ||
    pc_fail "file capabilities: $(dsm_filecaps "$store/bin/portcullisd")"
pc_log "ok: --configure-host: the bundle is root's, the binary has cap_net_admin,cap_net_raw=p"

# Running.
for port in 18080 18443 18022 18090 18099; do dsm_listen "$port"; done
expect_status 0 "started" start
pid=$(cat "$appdata/portcullisd.pid")
PC_PIDS+=("$pid") # the harness ends it, by pid, should the test stop half-way
[ "$(dsm_uid "$pid")" = "$DSM_UID" ] || pc_fail "the daemon runs as uid $(dsm_uid "$pid")"
[ "$(dsm_caps "$pid")" = 0000000000001000 ] ||
    pc_fail "the daemon's effective capabilities are $(dsm_caps "$pid")"
foreign=$(awk '$6 ~ /\.so/ {print $6}' "/proc/$pid/maps" | sort -u |
    grep -v "^/var/volume1/@appstore/$DSM_PKG/lib/" || true)
[ -z "$foreign" ] || pc_fail "the daemon loaded libraries from outside its bundle: $foreign"
pc_log "ok: pid $pid, uid $DSM_UID, CapEff $(dsm_caps "$pid"), every library from the bundle"
expect_status 0 "running" status
expect_status 0 "already running" start
[ "$(cat "$appdata/portcullisd.pid")" = "$pid" ] || pc_fail "a second start started another daemon"

dsm_expect_closed 1 "no package started" 18080
dsm_enable PcWeb
dsm_expect_open 1 "PcWeb started" 18080
dsm_enable PcMedia
dsm_expect_open 1 "PcMedia started" 18443
dsm_stays_closed "a built-in service" 18022
dsm_disable PcWeb
dsm_expect_closed 1 "PcWeb stopped" 18080
dsm_fake_package PcNew PcNew.sc '[pcnew]
dst.ports="18090/tcp"'
dsm_enable PcNew
dsm_expect_open 1 "PcNew installed and started" 18090

# Stop, start again (the rules are adopted), stop.
expect_status 0 "stopped" stop
pc_wait_for 2 eval '! pc_alive '"$pid" || pc_fail "the daemon still runs after stop"
pc_forget "$pid"
expect_status 3 "stopped" status
dsm_connect 18443 || pc_fail "a stopped daemon's rules should stay (PcMedia's port closed)"
expect_status 0 "started again" start
pid=$(cat "$appdata/portcullisd.pid")
PC_PIDS+=("$pid")
dsm_expect_open 1 "PcNew after the restart" 18090

# Uninstalling: nothing may stay that drops traffic.
dsm_stays_closed "a port no service opens, before uninstalling" 18099
dsm_as_package "$scripts/preuninst" >"$PC_TMP/preuninst.out" 2>&1 || pc_fail "preuninst failed"
grep -q 'rules switched to monitor mode' "$PC_TMP/preuninst.out" ||
    pc_fail "preuninst said: $(cat "$PC_TMP/preuninst.out")"
dsm_expect_open 1 "after preuninst, everything passes" 18099
last=$(dsm_in iptables-legacy -S portcullis | tail -n 1)
[ "$last" = "-A portcullis -j RETURN" ] || pc_fail "the chain's last rule is '$last'"
expect_status 3 "uninstalling" status
pc_wait_for 2 eval '! pc_alive '"$pid" || pc_fail "the daemon still runs after preuninst"
pc_forget "$pid"
dsm_as_package "$scripts/postuninst" >/dev/null || pc_fail "postuninst failed"
pc_log "passed ($(basename "$spk"))"
