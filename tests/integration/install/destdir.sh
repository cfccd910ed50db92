#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `cmake --install` of this build into a DESTDIR gives the promised tree for the configured
# prefix, and the daemon of that tree, seen at its prefix (a bind mount in a private mount
# namespace), finds its config and catalogue there: --check-config counts every service.
# Installing to another prefix than the configured one is refused.
# Usage: destdir.sh BUILD_DIR PREFIX CONFIG_FILE UNIT_DIR SOURCE_DIR
set -euo pipefail
build=$1 prefix=$2 config=$3 unitdir=$4 src=$5
source "$(dirname "$0")/../lib/harness.sh"
pc_init "${PC_TEST_NAME:-install-destdir}"
dest=$PC_TMP/dest

DESTDIR=$dest cmake --install "$build" >"$PC_TMP/install.log" 2>&1 ||
    pc_fail "cmake --install failed: $(tail -5 "$PC_TMP/install.log")"
services=$(cat "$src"/conf/catalog.d/*.toml | grep -c '^\[\[service\]\]')
for f in "$prefix/sbin/portcullisd" "$config" "$unitdir/portcullisd.service" \
    "$prefix/share/dbus-1/system.d/org.portcullis1.conf" \
    "$prefix/share/dbus-1/interfaces/org.portcullis1.Manager.xml" \
    "$prefix/share/dbus-1/interfaces/org.portcullis1.Service.xml" \
    "$prefix/share/man/man8/portcullisd.8" "$prefix/share/man/man5/portcullis.toml.5" \
    "$prefix/share/doc/portcullis/README.md" "$prefix/share/doc/portcullis/examples/portcullis.toml"; do
    [ -f "$dest$f" ] || pc_fail "not installed: $f"
done
n=$(find "$dest$prefix/share/portcullis/catalog.d" -name '*.toml' | wc -l)
[ "$n" -eq "$(find "$src/conf/catalog.d" -name '*.toml' | wc -l)" ] ||
    pc_fail "$n catalogue files installed"
grep -qx "ExecStart=$prefix/sbin/portcullisd" "$dest$unitdir/portcullisd.service" ||
    pc_fail "the unit's ExecStart is not $prefix/sbin/portcullisd"
pc_log "ok: the tree for prefix $prefix is complete"

# The installed config is the example with this prefix's paths.
grep -q "^catalog_dirs = \[\"$prefix/share/portcullis/catalog.d\"" "$dest$config" ||
    pc_fail "$config does not name $prefix/share/portcullis/catalog.d"

# Installing again keeps an edited config.
echo '# edited by the admin' >>"$dest$config"
DESTDIR=$dest cmake --install "$build" >>"$PC_TMP/install.log" 2>&1 || pc_fail "second install failed"
grep -q 'edited by the admin' "$dest$config" || pc_fail "installing again overwrote $config"
pc_log "ok: installing again keeps the config"

# Another prefix at install time would leave the daemon blind: refused.
if DESTDIR=$PC_TMP/other cmake --install "$build" --prefix /opt/elsewhere >"$PC_TMP/other.log" 2>&1; then
    pc_fail "cmake --install --prefix /opt/elsewhere was not refused"
fi
grep -q 'was configured for prefix' "$PC_TMP/other.log" || pc_fail "no reason given: $(cat "$PC_TMP/other.log")"
pc_log "ok: another prefix at install time is refused"

# The daemon as the admin runs it, at its prefix: the default config and catalogue paths.
case $prefix in
/usr | /) pc_log "prefix $prefix: the package tests run this daemon (tests/package/check-deb.sh)" ;;
*)
    # The config may live outside the prefix (SYSCONFDIR); bind both.
    confdir=${config%/portcullis.toml}
    out=$(unshare --mount --propagation private -- sh -c '
        mkdir -p "$2" && mount --bind "$1$2" "$2" &&
        { case "$4" in "$2"/*) ;; *) mount --bind "$1$4" "$4" ;; esac; } &&
        exec "$2/sbin/portcullisd" --check-config' sh "$dest" "$prefix" unused "$confdir" 2>&1) ||
        pc_fail "--check-config of the installed daemon failed: $out"
    pc_log "$out"
    [[ $out == "$config: ok ($services services, 1 zone, mode monitor)" ]] ||
        pc_fail "the installed daemon did not find its config and $services services: $out"
    pc_log "ok: the installed daemon finds $config and $services services"
    ;;
esac
