#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Checks built DSM 7 packages as Package Center and a box that is not Debian would meet them:
#   bash tests/package/check-spk.sh dist/portcullis-x86_64-0.1.0.spk dist/portcullis-armv8-0.1.0.spk ...
# For each .spk:
#  - the archive holds what Synology's developer guide asks of a DSM 7 package: INFO with
#    package, version, os_min_ver (7.0-40000 or later), arch, description, maintainer,
#    displayname and the checksum of package.tgz; package.tgz; the scripts (executable, valid
#    sh); conf/privilege running it as the package's user; LICENSE; 64 and 256 pixel icons;
#  - the daemon is built for the package's architecture, its ELF interpreter and RUNPATH are
#    the package's absolute path, every library it or a bundled library needs is in lib/, and
#    the bundle's manifest lists exactly what lib/ holds;
#  - empty root: package.tgz unpacked into a directory that holds nothing else (no /lib, no
#    /usr/lib, no shell, no C library), and the daemon run there with chroot: --version,
#    --check-config on the config the package's own postinst writes, --print-catalog with a
#    .sc file in /usr/local/etc/services.d, --print-ruleset. Natively for x86_64, through
#    qemu-user copied into the root for armv8 and armv7 (binfmt_misc is not relied on);
#    every architecture's output must be byte-identical to x86_64's.
# Needs: root (chroot), qemu-user-static, python3.
set -euo pipefail
cd "$(dirname "$0")/../.."

[ $# -ge 1 ] || { echo "usage: $0 PACKAGE.spk..." >&2; exit 64; }
[ "$(id -u)" -eq 0 ] || { echo "$0: needs root (chroot)" >&2; exit 1; }
passed=0 failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then ok "$what"; else bad "$what"; fi
}

tmp=$(mktemp -d /tmp/pc-spk.XXXXXX)
trap 'rm -rf --one-file-system "$tmp"' EXIT
prefix=/var/packages/portcullis/target
services_in_catalog=$(cat conf/catalog.d/*.toml | grep -c '^\[\[service\]\]')

info() { sed -n "s/^$1=\"\\(.*\\)\"$/\\1/p" "$2"; }
png_size() {
    python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); print("%dx%d" % struct.unpack(">II", d[16:24]) if d[:8]==b"\x89PNG\r\n\x1a\n" else "not a PNG")' "$1"
}
privilege_runs_as() {
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["defaults"]["run-as"])' "$1"
}

# The archive and its INFO.
check_archive() {
    local spk=$1 dir=$2 arch=$3 name=${1##*/} key f
    tar -xf "$spk" -C "$dir"
    for key in package version os_min_ver arch description maintainer displayname checksum; do
        [ -n "$(info "$key" "$dir/INFO")" ] && ok "$name: INFO has $key" || bad "$name: INFO lacks $key"
    done
    check "$name: INFO package is portcullis" test "$(info package "$dir/INFO")" = portcullis
    local v
    v=$(info os_min_ver "$dir/INFO")
    [ "$(printf '%s\n7.0-40000\n' "$v" | sort -V | head -n 1)" = 7.0-40000 ] &&
        ok "$name: os_min_ver $v is DSM 7" || bad "$name: os_min_ver '$v' is older than 7.0-40000"
    [[ " $(info arch "$dir/INFO") " == *" $arch "* ]] && ok "$name: INFO arch names $arch" ||
        bad "$name: INFO arch '$(info arch "$dir/INFO")' does not name $arch"
    [[ $name == "portcullis-$arch-$(info version "$dir/INFO" | sed 's/-[0-9]*$//').spk" ]] &&
        ok "$name: the file name is portcullis-ARCH-VERSION.spk" ||
        bad "$name: the file name does not match INFO's version"
    check "$name: INFO checksum is package.tgz's md5" test \
        "$(info checksum "$dir/INFO")" = "$(md5sum "$dir/package.tgz" | cut -d' ' -f1)"
    for f in preinst postinst preuninst postuninst preupgrade postupgrade start-stop-status; do
        [ -x "$dir/scripts/$f" ] && sh -n "$dir/scripts/$f" && ok "$name: scripts/$f is executable sh" ||
            bad "$name: scripts/$f is missing, not executable or not valid sh"
    done
    check "$name: conf/privilege runs it as the package's user" test \
        "$(privilege_runs_as "$dir/conf/privilege")" = package
    check "$name: LICENSE is the GPL" grep -q 'GNU GENERAL PUBLIC LICENSE' "$dir/LICENSE"
    check "$name: PACKAGE_ICON.PNG is 64x64" test "$(png_size "$dir/PACKAGE_ICON.PNG")" = 64x64
    check "$name: PACKAGE_ICON_256.PNG is 256x256" test \
        "$(png_size "$dir/PACKAGE_ICON_256.PNG")" = 256x256
}

# The bundle: interpreter, RUNPATH, libraries, manifest.
check_bundle() {
    local name=$1 target=$2 want=$3 f lib missing=""
    local info
    info=$(file -b "$target/bin/portcullisd")
    [[ $info =~ $want ]] && ok "$name: the daemon is built for ${want%%|*}" ||
        bad "$name: the daemon is $info"
    local interp
    interp=$(readelf -l "$target/bin/portcullisd" | sed -n 's/.*program interpreter: \(.*\)\]$/\1/p')
    [[ $interp == "$prefix/lib/ld-linux-"* ]] && [ -x "$target/lib/${interp##*/}" ] &&
        ok "$name: ELF interpreter $interp, in the package" || bad "$name: ELF interpreter '$interp'"
    check "$name: RUNPATH is $prefix/lib" grep -q "(RUNPATH).*\[$prefix/lib\]" \
        <(readelf -d "$target/bin/portcullisd")
    for f in "$target/bin/portcullisd" "$target"/lib/*.so*; do
        for lib in $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'); do
            [ -e "$target/lib/$lib" ] || missing+=" $lib (${f##*/})"
        done
    done
    [ -z "$missing" ] && ok "$name: every NEEDED library is in lib/" ||
        bad "$name: missing from lib/:$missing"
    diff <(grep -v '^#' "$target/lib/portcullis-bundle.txt" | sort) \
        <(cd "$target/lib" && ls | grep -vx portcullis-bundle.txt | sort) >/dev/null &&
        ok "$name: lib/portcullis-bundle.txt lists exactly lib/ ($(ls "$target/lib" | wc -l) files)" ||
        bad "$name: lib/portcullis-bundle.txt does not list what lib/ holds"
    check "$name: bundled-libraries.txt names each library's Debian package" \
        bash -c "! grep -q ' unknown' '$target/share/doc/portcullis/bundled-libraries.txt'"
}

# The empty root of one package: the unpacked target/, the config its postinst writes, one .sc
# file of a package DSM installed, and for a foreign architecture the qemu-user binary.
make_root() {
    local dir=$1 root=$2 qemu=$3
    mkdir -p "$root$prefix" "$root/var/packages/portcullis/var" \
        "$root/var/packages/PcTest/target" "$root/usr/local/etc/services.d"
    tar -xzf "$dir/package.tgz" -C "$root$prefix"
    printf '[pctest]\ntitle="Test"\ndst.ports="18080,18081/tcp"\nbroken line\n' \
        >"$root/usr/local/etc/services.d/PcTest.sc"
    # No bus answers (a socket that does not exist): [systemd] enabled = false.
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin SYNOPKG_PKGNAME=portcullis \
        SYNOPKG_PKGDEST="$root$prefix" SYNOPKG_PKGVAR="$root/var/packages/portcullis/var" \
        DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent sh "$dir/scripts/postinst" >/dev/null
    if [ -n "$qemu" ]; then
        cp "$(command -v "$qemu")" "$root/$qemu"
    fi
}

# portcullisd in the root: ROOT QEMU ARGS...
run_in() {
    local root=$1 qemu=$2
    shift 2
    if [ -n "$qemu" ]; then
        chroot "$root" "/$qemu" "$prefix/bin/portcullisd" "$@"
    else
        chroot "$root" "$prefix/bin/portcullisd" "$@"
    fi
}

check_empty_root() {
    local name=$1 root=$2 qemu=$3 out=$4 version=$5
    local config=/var/packages/portcullis/var/portcullis.toml
    local extra
    extra=$(cd "$root" && find . -mindepth 1 -maxdepth 3 -not -path './var*' \
        -not -path './usr/local*' -not -path './usr' -not -name 'qemu-*-static')
    [ -z "$extra" ] && ok "$name: the root holds the package tree and nothing else (no /lib, /usr/lib)" ||
        bad "$name: the root holds more: $extra"
    if run_in "$root" "$qemu" --version >"$out.version" 2>&1 &&
        grep -qx "portcullisd $version" "$out.version"; then
        ok "$name: --version in the empty root${qemu:+ (under $qemu)}: $(cat "$out.version")"
    else
        bad "$name: --version in the empty root: $(cat "$out.version")"
    fi
    grep -q '^enabled = false$' "$root$config" && ok "$name: postinst wrote [systemd] enabled = false (no bus)" ||
        bad "$name: postinst's config does not say enabled = false"
    if run_in "$root" "$qemu" --check-config --config "$config" >"$out.check" 2>"$out.check-err" &&
        grep -qx "$config: ok ($((services_in_catalog + 1)) services, 1 zone, mode monitor)" "$out.check"; then
        ok "$name: --check-config on the package's own config: $(cat "$out.check")"
    else
        bad "$name: --check-config: $(cat "$out.check" "$out.check-err")"
    fi
    check "$name: the bad .sc line is reported as FILE:LINE:COLUMN" grep -qx \
        '/usr/local/etc/services.d/PcTest.sc:4:1: expected KEY=VALUE: line skipped' "$out.check-err"
    if run_in "$root" "$qemu" --print-catalog --config "$config" >"$out.catalog" 2>/dev/null &&
        python3 - "$out.catalog" <<'PY'; then
import json, sys
s = {x["id"]: x for x in json.load(open(sys.argv[1]))}["syno-pctest"]
assert s["packages"] == ["PcTest"] and s["units"] == ["pkgctl-PcTest.service"], s
assert s["source"] == "/usr/local/etc/services.d/PcTest.sc", s
assert [(p["proto"], p["first"], p["last"]) for p in s["ports"]] == [("tcp", 18080, 18080), ("tcp", 18081, 18081)], s
PY
        ok "$name: --print-catalog shows syno-pctest from its .sc file, tied to PcTest"
    else
        bad "$name: --print-catalog does not show syno-pctest as imported"
    fi
    if run_in "$root" "$qemu" --print-ruleset --config "$config" --assume-enabled dsm,syno-pctest \
        >"$out.ruleset" 2>/dev/null && head -n 1 "$out.ruleset" | grep -qx 'table inet portcullis {' &&
        grep -q 'elements = { 22, 5000-5001, 18080-18081 }' "$out.ruleset"; then
        ok "$name: --print-ruleset opens [always] (ssh, dsm) and syno-pctest"
    else
        bad "$name: --print-ruleset: $(head -c 300 "$out.ruleset")"
    fi
}

# postinst when DSM's systemd answers on the system bus (a dbus-send that succeeds stands in
# for the bus: the script's only way to ask).
check_systemd_detection() {
    local dir=$1
    mkdir -p "$tmp/stub/bin" "$tmp/stub/var"
    printf '#!/bin/sh\nexit 0\n' >"$tmp/stub/bin/dbus-send"
    chmod +x "$tmp/stub/bin/dbus-send"
    env -i PATH="$tmp/stub/bin:/usr/sbin:/usr/bin:/sbin:/bin" SYNOPKG_PKGVAR="$tmp/stub/var" \
        sh "$dir/scripts/postinst" >/dev/null
    check "postinst writes [systemd] enabled = true when systemd answers on the bus" \
        grep -q '^enabled = true$' "$tmp/stub/var/portcullis.toml"
    echo 'mode = "enforce"' >"$tmp/stub/var/portcullis.toml"
    env -i PATH="$tmp/stub/bin:/usr/sbin:/usr/bin:/sbin:/bin" SYNOPKG_PKGVAR="$tmp/stub/var" \
        sh "$dir/scripts/postinst" >/dev/null
    check "postinst keeps a config that is there (an upgrade)" \
        grep -qx 'mode = "enforce"' "$tmp/stub/var/portcullis.toml"
}

declare -A out_of
for spk in "$@"; do
    name=${spk##*/}
    arch=$(echo "$name" | sed -n 's/^portcullis-\([a-z0-9_]*\)-.*\.spk$/\1/p')
    case $arch in
    x86_64) want='x86-64' qemu='' ;;
    armv8) want='ARM aarch64' qemu=qemu-aarch64-static ;;
    armv7) want='ARM, EABI5' qemu=qemu-arm-static ;;
    *)
        bad "$name: not portcullis-{x86_64,armv8,armv7}-VERSION.spk"
        continue
        ;;
    esac
    echo "== $name ($arch)"
    dir=$tmp/$arch/spk root=$tmp/$arch/root
    mkdir -p "$dir" "$root"
    check_archive "$spk" "$dir" "$arch"
    make_root "$dir" "$root" "$qemu"
    check_bundle "$name" "$root$prefix" "$want"
    check_empty_root "$name" "$root" "$qemu" "$tmp/$arch/out" \
        "$(info version "$dir/INFO" | sed 's/-[0-9]*$//')"
    out_of[$arch]=$tmp/$arch/out
    [ "$arch" != x86_64 ] || check_systemd_detection "$dir"
done

# Every architecture says the same as x86_64.
if [ -n "${out_of[x86_64]:-}" ]; then
    for arch in "${!out_of[@]}"; do
        [ "$arch" != x86_64 ] || continue
        for what in version check-config print-catalog print-ruleset; do
            file=${what#*-}
            [ "$what" != check-config ] || file=check
            cmp -s "${out_of[x86_64]}.$file" "${out_of[$arch]}.$file" &&
                ok "$arch: --$what prints byte for byte what x86_64's prints" ||
                bad "$arch: --$what prints something else than x86_64's"
        done
    done
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
