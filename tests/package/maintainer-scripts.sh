#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The maintainer scripts of a .deb of this machine's architecture, run as dpkg runs them, in a
# private mount namespace where /etc, /var/lib and /run/systemd are the test's own copies (so
# "systemd is running", and nothing of the host changes) and systemd's helpers and nft are
# stubs that record their calls. The daemon they call is the package's own.
#   fresh install, monitor config  -> unit enabled and started
#   fresh install, enforce config  -> unit enabled, NOT started (no dropping ruleset at install)
#   upgrade                        -> try-restart only (running stays running, stopped stays)
#   remove                         -> stopped, its nft table deleted
#   purge                          -> /var/lib/portcullis gone, the unit's state purged
# Needs root (unshare -m). Usage: maintainer-scripts.sh PACKAGE.deb
set -euo pipefail
deb=$1
[ "$(id -u)" -eq 0 ] || { echo "needs root (a private mount namespace)"; exit 1; }
tmp=$(mktemp -d /tmp/pc-maint.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp/root"
dpkg-deb -e "$deb" "$tmp/control"

mkdir -p "$tmp/stubs"
# All succeed: "was-enabled" is true on a fresh install (deb-systemd-helper's default), and
# "nft list table" finds the table.
for cmd in deb-systemd-helper deb-systemd-invoke systemctl nft; do
    cat >"$tmp/stubs/$cmd" <<STUB
#!/bin/sh
echo "$cmd \$*" >>"$tmp/calls"
exit 0
STUB
    chmod +x "$tmp/stubs/$cmd"
done

passed=0 failed=0
# run MODE SCRIPT ARGS...: MODE monitor|enforce is the config /etc/portcullis holds.
run() {
    local mode=$1
    shift
    rm -f "$tmp/calls"
    rm -rf "$tmp/etc" "$tmp/varlib"
    mkdir -p "$tmp/etc/portcullis" "$tmp/varlib/portcullis"
    sed "s/^mode = .*/mode = \"$mode\"/" "$tmp/root/etc/portcullis/portcullis.toml" |
        sed "s|^catalog_dirs = .*|catalog_dirs = [\"$tmp/root/usr/share/portcullis/catalog.d\"]|" \
            >"$tmp/etc/portcullis/portcullis.toml"
    echo 'smb = "open"' >"$tmp/varlib/portcullis/overrides.toml"
    # /etc/portcullis need not exist on the host: a copy of /etc with it is bound over /etc.
    unshare --mount --propagation private -- sh -c '
        t=$1; shift
        mkdir -p "$t/etcroot" && cp -a /etc/. "$t/etcroot/" &&
        rm -rf "$t/etcroot/portcullis" && cp -a "$t/etc/portcullis" "$t/etcroot/portcullis" &&
        mount --bind "$t/etcroot" /etc && mount --bind "$t/varlib" /var/lib &&
        mkdir -p /run/systemd && mount -t tmpfs none /run/systemd && mkdir /run/systemd/system &&
        PATH="$t/stubs:$t/root/usr/sbin:/usr/sbin:/usr/bin:/sbin:/bin" exec sh "$@"
        ' sh "$tmp" "$@" >"$tmp/out" 2>&1
    rm -rf "$tmp/etcroot"
    touch "$tmp/calls"
}
expect() { # DESCRIPTION has|lacks PATTERN [FILE]: PATTERN in the recorded calls (or FILE)
    local what=$1 how=$2 pattern=$3 file=${4:-$tmp/calls}
    if { [ "$how" = has ] && grep -q -- "$pattern" "$file"; } ||
        { [ "$how" = lacks ] && ! grep -q -- "$pattern" "$file"; }; then
        echo "ok: $what"
        passed=$((passed + 1))
    else
        echo "FAIL: $what"
        sed 's/^/    calls: /' "$tmp/calls"
        sed 's/^/    out: /' "$tmp/out"
        failed=$((failed + 1))
    fi
}

c=$tmp/control
run monitor "$c/postinst" configure ""
expect "fresh install: the unit is enabled" has 'deb-systemd-helper enable portcullisd.service'
expect "fresh install, monitor mode: started" has 'deb-systemd-invoke start portcullisd.service'
run enforce "$c/postinst" configure ""
expect "fresh install, enforce config: not started" lacks 'deb-systemd-invoke start'
expect "fresh install, enforce config: says so" has 'not in monitor mode' "$tmp/out"
run enforce "$c/postinst" configure 0.0.1
expect "upgrade: try-restart, never a plain start" has 'deb-systemd-invoke try-restart portcullisd.service'
expect "upgrade: no plain start" lacks 'deb-systemd-invoke start'
run enforce "$c/prerm" upgrade 0.1.1
expect "prerm upgrade: the table stays" lacks 'nft delete'
run enforce "$c/prerm" remove
expect "remove: stopped" has 'deb-systemd-invoke stop portcullisd.service'
expect "remove: its table deleted" has 'nft delete table inet portcullis'
run monitor "$c/postrm" purge
expect "purge: the unit's state purged" has 'deb-systemd-helper purge portcullisd.service'
if [ -e "$tmp/varlib/portcullis" ]; then
    echo "FAIL: purge: /var/lib/portcullis is still there"
    failed=$((failed + 1))
else
    echo "ok: purge: /var/lib/portcullis removed"
    passed=$((passed + 1))
fi
echo "maintainer scripts: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
