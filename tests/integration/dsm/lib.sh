# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# A DSM-shaped box for the tests of the Synology package, on top of ../lib/harness.sh:
#
#   dsm_start_box            the box and peer network namespaces, and a mount namespace (held
#                            by one process, DSM_BOX_PID) in which:
#                              /run  is a fresh tmpfs: its own xtables.lock, no D-Bus, no
#                                    systemd (nothing of the host's /run is touched);
#                              /var  is $PC_TMP/dsm/var: /var/packages, and the volume the
#                                    packages live on (/var/volume1/@appstore, @appdata), with
#                                    target/ and var/ symlinks into it as DSM makes them;
#                              /usr  is an overlay on the host's /usr that adds
#                                    /usr/syno/etc/services.d and /usr/local/etc/services.d.
#                            The host's /var, /usr and /run are never written.
#   dsm_in CMD...            CMD as root in the box (both namespaces).
#   dsm_as_package CMD...    CMD in the box as the package's user, DSM_UID:DSM_GID (a number,
#                            as sc-portcullis has one; no passwd entry needed), with the
#                            SYNOPKG_* variables DSM sets for package scripts.
#   dsm_write PATH           stdin into PATH in the box, as root.
#   dsm_fake_package NAME [SC_NAME SC_TEXT]
#                            /var/packages/NAME (INFO, target/, var/) and, when given, its .sc
#                            file as DSM's port-config resource installs it: the copy in
#                            /usr/local/etc/services.d/SC_NAME, and conf/resource naming the
#                            original in target/app/.
#   dsm_enable NAME / dsm_disable NAME
#                            what Package Center does when a package starts and stops.
#   dsm_listen PORT          a listener in the box (../daemon/listen.py).
#   dsm_filecaps FILE / dsm_caps PID / dsm_uid PID
#                            a file's capability attribute; a process's effective
#                            capabilities and uid.
#   dsm_expect_open SECS WHAT PORT / dsm_expect_closed SECS WHAT PORT / dsm_stays_closed ...
#                            connects from the peer (../daemon/connect.py).
#
# Why a private /run: configure-host gives the daemon's group read access to iptables' lock,
# /run/xtables.lock, and the daemon's iptables-restore takes it there; the host's own lock file
# must not change. Why real uids without names: DSM's package user is a plain uid to the
# kernel, and file capabilities and secure-execution mode only show with a non-root uid.

DSM_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$DSM_LIB_DIR/../lib/harness.sh"
DSM_DAEMON_DIR=$(cd "$DSM_LIB_DIR/../daemon" && pwd)

DSM_UID=61026
DSM_GID=61026
DSM_PKG=portcullis
DSM_PKGDIR=/var/packages/$DSM_PKG
DSM_TARGET=$DSM_PKGDIR/target
DSM_VAR=$DSM_PKGDIR/var

dsm_start_box() {
    pc_setup_netns
    pc_require iptables-legacy ipset setpriv python3
    DSM_ROOT=$PC_TMP/dsm
    mkdir -p "$DSM_ROOT/var/packages" "$DSM_ROOT/var/volume1/@appstore" \
        "$DSM_ROOT/var/volume1/@appdata" "$DSM_ROOT/usr-up/syno/etc/services.d" \
        "$DSM_ROOT/usr-up/local/etc/services.d" "$DSM_ROOT/usr-work"
    chmod 755 "$DSM_ROOT" "$DSM_ROOT/var"
    # No fork after unshare (sh execs sleep): DSM_BOX_PID is the namespace's holder itself.
    pc_spawn dsmbox nsenter "--net=/run/netns/$PC_NETNS" -- unshare --mount \
        --propagation private -- sh -c "
        mount -t tmpfs -o mode=755 none /run &&
        mount --bind '$DSM_ROOT/var' /var &&
        mount -t overlay overlay \
            -o 'lowerdir=/usr,upperdir=$DSM_ROOT/usr-up,workdir=$DSM_ROOT/usr-work' /usr &&
        echo mounted && exec sleep 3600"
    DSM_BOX_PID=$PC_LAST_PID
    pc_wait_for 5 grep -q mounted "$PC_TMP/dsmbox.log" || pc_fail "the DSM box did not come up"
    pc_log "DSM box: mount namespace of pid $DSM_BOX_PID in netns $PC_NETNS"
}

dsm_in() { nsenter -t "$DSM_BOX_PID" -m -n --wd=/ -- "$@"; }

# The environment DSM gives package scripts (Synology's developer guide, "Script Environment
# Variables"; SYNOPKG_PKGVAR since DSM 7.0).
dsm_script_env() {
    DSM_ENV=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin SYNOPKG_PKGNAME="$DSM_PKG"
        SYNOPKG_PKGVER="$1" SYNOPKG_PKGDEST="$DSM_TARGET" SYNOPKG_PKGDEST_VOL=/volume1
        SYNOPKG_PKGVAR="$DSM_VAR" SYNOPKG_DSM_VERSION_MAJOR=7 SYNOPKG_DSM_VERSION_MINOR=1
        SYNOPKG_DSM_VERSION_BUILD=42962 SYNOPKG_DSM_LANGUAGE=enu
        SYNOPKG_TEMP_LOGFILE="$DSM_VAR/.dsm-ui-message")
}

dsm_as_package() {
    dsm_script_env "${DSM_VERSION:-0.1.0-0001}"
    dsm_in setpriv --reuid="$DSM_UID" --regid="$DSM_GID" --clear-groups -- "${DSM_ENV[@]}" "$@"
}

# dsm_make_dirs NAME: /var/packages/NAME with target/ and var/ on the "volume", as DSM 7 lays
# out a package installed on volume 1 (developer guide, "Package Filesystem Hierarchy").
dsm_make_dirs() {
    local n=$1
    mkdir -p "$DSM_ROOT/var/packages/$n/conf" "$DSM_ROOT/var/volume1/@appstore/$n" \
        "$DSM_ROOT/var/volume1/@appdata/$n"
    ln -sfn "/var/volume1/@appstore/$n" "$DSM_ROOT/var/packages/$n/target"
    ln -sfn "/var/volume1/@appdata/$n" "$DSM_ROOT/var/packages/$n/var"
    printf 'package="%s"\nversion="1.0-0001"\nos_min_ver="7.0-40000"\narch="noarch"\n' "$n" \
        >"$DSM_ROOT/var/packages/$n/INFO"
}

dsm_fake_package() {
    local n=$1 sc=${2:-} text=${3:-}
    dsm_make_dirs "$n"
    [ -n "$sc" ] || return 0
    mkdir -p "$DSM_ROOT/var/volume1/@appstore/$n/app"
    printf '%s\n' "$text" >"$DSM_ROOT/var/volume1/@appstore/$n/app/$sc"
    printf '{"port-config": {"protocol-file": "app/%s"}}\n' "$sc" \
        >"$DSM_ROOT/var/packages/$n/conf/resource"
    # DSM's port-config resource copies the file when the package is installed.
    printf '%s\n' "$text" | dsm_write "/usr/local/etc/services.d/$sc"
}

# dsm_write PATH: stdin to PATH in the box, as root. Files under /usr go through the overlay
# (written into its upper directory from outside, inotify in the box would not see them).
dsm_write() { dsm_in sh -c 'cat >"$1"' sh "$1"; }

dsm_enable() { touch "$DSM_ROOT/var/packages/$1/enabled"; }
dsm_disable() { rm -f "$DSM_ROOT/var/packages/$1/enabled"; }

dsm_listen() {
    pc_spawn "listener$1" nsenter "--net=/run/netns/$PC_NETNS" -- \
        python3 "$DSM_DAEMON_DIR/listen.py" "$1" 300
    pc_wait_for 5 grep -q listening "$PC_TMP/listener$1.log" || pc_fail "listener $1 did not start"
}

# dsm_connect PORT: 0 connected, 1 dropped, 2 refused.
dsm_connect() { pc_in_peer python3 "$DSM_DAEMON_DIR/connect.py" "$PC_BOX_IP4" "$1" 0.2; }
dsm_dropped() {
    local rc=0
    dsm_connect "$1" || rc=$?
    [ "$rc" -eq 1 ]
}

dsm_expect_open() {
    local start
    start=$(date +%s%N)
    pc_wait_for "$1" dsm_connect "$3" || pc_fail "$2: port $3 not open within $1 s"
    pc_log "ok: $2: $3 open after $((($(date +%s%N) - start) / 1000000)) ms"
}

dsm_expect_closed() {
    local start
    start=$(date +%s%N)
    pc_wait_for "$1" dsm_dropped "$3" || pc_fail "$2: port $3 not closed within $1 s"
    pc_log "ok: $2: $3 closed after $((($(date +%s%N) - start) / 1000000)) ms"
}

# dsm_stays_closed WHAT PORT: every connect for half a second is dropped.
dsm_stays_closed() {
    local end=$(($(date +%s%N) + 500000000))
    while [ "$(date +%s%N)" -lt "$end" ]; do
        dsm_dropped "$2" || pc_fail "$1: port $2 was reachable"
    done
    pc_log "ok: $1: $2 stays closed"
}

# dsm_caps PID: the process's effective capabilities, as /proc shows them (hex).
dsm_caps() { sed -n 's/^CapEff:[[:space:]]*//p' "/proc/$1/status"; }

# dsm_filecaps FILE: its security.capability attribute in hex ("" when it has none), as
# the kernel stores it: "0000000200300000000000000000000000000000" is cap_net_admin,cap_net_raw=p.
dsm_filecaps() {
    python3 -c 'import os, sys
try:
    print(os.getxattr(sys.argv[1], "security.capability").hex())
except OSError:
    print()' "$1"
}
DSM_CAPS_LEGACY=0000000200300000000000000000000000000000

# dsm_uid PID: the process's effective uid.
dsm_uid() { awk '/^Uid:/ {print $3}' "/proc/$1/status"; }

# The test packages: one named as DSM's convention wants (PcWeb.sc), one whose .sc has another
# name and a bad line (tied to its package through conf/resource), and a DSM built-in service
# (no package: never opened by a package).
dsm_test_packages() {
    dsm_fake_package PcWeb PcWeb.sc '[pcweb]
title="Web (HTTP)"
desc="Test web server"
port_forward="yes"
dst.ports="18080/tcp"'
    dsm_fake_package PcMedia media-server.sc '[pcmedia]
title="Streaming"
desc="Test media server"
dst.ports="18443,18444/tcp,18500:18501/udp"
this line is broken'
    printf '[pcbuiltin]\ntitle="Built in"\ndst.ports="18022/tcp"\n' |
        dsm_write /usr/syno/etc/services.d/pcbuiltin.sc
}
