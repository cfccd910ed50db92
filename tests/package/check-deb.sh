#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Checks built Debian packages as an admin would before installing them:
#   bash tests/package/check-deb.sh dist/portcullis_0.1.0_amd64.deb dist/portcullis_0.1.0_arm64.deb ...
# For each .deb: lintian reports no error; control fields (architecture, conffile, maintainer
# scripts); the file list is exactly what the install rules promise; the binary is stripped
# and built for the package's architecture (file); the unpacked daemon (under qemu-user for
# arm64 and armhf) passes --check-config on the unpacked example config and catalogue; the
# unit scores 2.0 or better in `systemd-analyze security --offline=yes`. With an amd64 package
# among them, each other architecture's --print-catalog and --print-ruleset must be
# byte-identical to amd64's, amd64's Depends must name the packages dpkg-shlibdeps finds, and
# its maintainer scripts do what README says (tests/package/maintainer-scripts.sh).
# Needs: root (the maintainer-script test), dpkg-deb, lintian, file, systemd-analyze, dpkg-dev,
# qemu-user-static for foreign packages.
set -euo pipefail
cd "$(dirname "$0")/../.."
source cross/lib.sh

[ $# -ge 1 ] || { echo "usage: $0 PACKAGE.deb..." >&2; exit 64; }
passed=0 failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then ok "$what"; else bad "$what"; fi
}

tmp=$(mktemp -d /tmp/pc-deb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# What the install rules promise, from the source tree.
expected_files() {
    printf '%s\n' ./etc/portcullis/portcullis.toml ./usr/sbin/portcullisd \
        ./usr/lib/systemd/system/portcullisd.service \
        ./usr/share/dbus-1/system.d/org.portcullis1.conf \
        ./usr/share/dbus-1/interfaces/org.portcullis1.Manager.xml \
        ./usr/share/dbus-1/interfaces/org.portcullis1.Service.xml \
        ./usr/share/man/man8/portcullisd.8.gz ./usr/share/man/man5/portcullis.toml.5.gz \
        ./usr/share/doc/portcullis/README.md ./usr/share/doc/portcullis/copyright \
        ./usr/share/doc/portcullis/changelog.gz \
        ./usr/share/doc/portcullis/examples/portcullis.toml
    local f
    for f in conf/catalog.d/*.toml; do echo "./usr/share/portcullis/catalog.d/${f##*/}"; done
    for f in docs/*.md; do echo "./usr/share/doc/portcullis/${f##*/}"; done
}

services_in_catalog=$(cat conf/catalog.d/*.toml | grep -c '^\[\[service\]\]')
declare -A root_of
native_root=""

for deb in "$@"; do
    name=${deb##*/}
    arch=$(dpkg-deb -f "$deb" Architecture)
    echo "== $name ($arch)"
    [[ $name == "portcullis_$(dpkg-deb -f "$deb" Version)_${arch}.deb" ]] &&
        ok "$name: file name is portcullis_VERSION_ARCH.deb" ||
        bad "$name: file name does not match its control fields"

    # lintian: errors fail; warnings are shown.
    if lintian --fail-on error --no-tag-display-limit "$deb" >"$tmp/lintian.log" 2>&1; then
        ok "$name: lintian reports no error"
    else
        bad "$name: lintian reports errors"
    fi
    sed 's/^/    /' "$tmp/lintian.log"

    root=$tmp/$arch
    mkdir -p "$root" "$tmp/$arch-control"
    dpkg-deb -x "$deb" "$root"
    dpkg-deb -e "$deb" "$tmp/$arch-control"
    root_of[$arch]=$root
    [ "$arch" = amd64 ] && native_root=$root

    check "$name: /etc/portcullis/portcullis.toml is a conffile" \
        grep -qx /etc/portcullis/portcullis.toml "$tmp/$arch-control/conffiles"
    for script in postinst prerm postrm; do
        check "$name: $script is an executable shell script" \
            sh -n "$tmp/$arch-control/$script"
    done

    # Exactly the promised files: nothing missing, nothing unexpected.
    dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $6}' | sort >"$tmp/files"
    expected_files | sort >"$tmp/expected"
    if diff -u "$tmp/expected" "$tmp/files" >"$tmp/files.diff"; then
        ok "$name: the file list is the promised one ($(wc -l <"$tmp/files") files)"
    else
        bad "$name: the file list differs from the promised one (- missing, + unexpected)"
        sed 's/^/    /' "$tmp/files.diff"
    fi
    check "$name: /var/lib/portcullis is left to systemd (StateDirectory=)" \
        test ! -e "$root/var/lib/portcullis"

    case $arch in
    amd64) want='x86-64' ;;
    arm64) want='ARM aarch64' ;;
    armhf) want='ARM, EABI5 .*hard-float|ARM, EABI5' ;;
    esac
    info=$(file -b "$root/usr/sbin/portcullisd")
    echo "    file: $info"
    [[ $info =~ $want ]] && ok "$name: the daemon is built for $arch" ||
        bad "$name: the daemon is not built for $arch"
    [[ $info == *", stripped"* ]] && ok "$name: the daemon is stripped" ||
        bad "$name: the daemon is not stripped"

    # The unpacked daemon on the unpacked example config, its catalogue directories moved
    # into the unpacked tree (a top-level key, so it goes first).
    cfg=$tmp/$arch.toml
    {
        printf 'catalog_dirs = ["%s/usr/share/portcullis/catalog.d", "%s/etc/portcullis/catalog.d"]\n' "$root" "$root"
        grep -v '^catalog_dirs' "$root/etc/portcullis/portcullis.toml"
    } >"$cfg"
    cross_run_prefix "$arch"
    if out=$("${CROSS_RUN[@]}" "$root/usr/sbin/portcullisd" --check-config --config "$cfg" 2>&1); then
        echo "    $out"
        [[ $out == *": ok ($services_in_catalog services, 1 zone, mode monitor)" ]] &&
            ok "$name: --check-config on the shipped config: $services_in_catalog services, monitor mode" ||
            bad "$name: --check-config said something else than ok ($services_in_catalog services, monitor)"
    else
        echo "$out" | sed 's/^/    /'
        bad "$name: --check-config failed on the shipped config"
    fi

    unit=$root/usr/lib/systemd/system/portcullisd.service
    check "$name: ExecStart=/usr/sbin/portcullisd" grep -qx 'ExecStart=/usr/sbin/portcullisd' "$unit"
    check "$name: Documentation= names the man page" grep -q '^Documentation=man:portcullisd(8)' "$unit"
    score=$(systemd-analyze security --offline=yes "$unit" 2>/dev/null |
        sed -n 's/.*Overall exposure level for portcullisd.service: \([0-9.]*\).*/\1/p')
    echo "    systemd-analyze security: $score"
    [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' &&
        ok "$name: unit exposure $score <= 2.0" || bad "$name: unit exposure '$score' > 2.0"
done

# Same outputs on every architecture as on amd64.
if [ -n "$native_root" ]; then
    for arch in "${!root_of[@]}"; do
        [ "$arch" != amd64 ] || continue
        cross_run_prefix "$arch"
        for cmd in "--print-catalog --config conf/examples/router.toml" \
            "--print-ruleset --config conf/examples/router.toml --assume-enabled ssh,smb,nfs,ftp,vpn-openvpn,dsm" \
            "--print-ruleset --config conf/examples/nas.toml"; do
            # shellcheck disable=SC2086 # the command words
            "$native_root/usr/sbin/portcullisd" $cmd >"$tmp/native.out"
            # shellcheck disable=SC2086
            "${CROSS_RUN[@]}" "${root_of[$arch]}/usr/sbin/portcullisd" $cmd >"$tmp/cross.out"
            if [ -s "$tmp/native.out" ] && cmp -s "$tmp/native.out" "$tmp/cross.out"; then
                ok "$arch: portcullisd ${cmd%% *} is byte-identical to amd64's ($(wc -c <"$tmp/native.out") bytes; ${cmd#* })"
            else
                bad "$arch: portcullisd $cmd differs from amd64's"
                diff "$tmp/native.out" "$tmp/cross.out" | head -20 | sed 's/^/    /'
            fi
        done
    done

    # The written-out Depends against what dpkg-shlibdeps finds for the amd64 binary.
    mkdir -p "$tmp/shlib/debian"
    printf 'Source: portcullis\n\nPackage: portcullis\nArchitecture: any\n' >"$tmp/shlib/debian/control"
    found=$(cd "$tmp/shlib" && dpkg-shlibdeps -O "$native_root/usr/sbin/portcullisd" 2>/dev/null |
        sed 's/^shlibs:Depends=//' | tr ',' '\n' | awk '{print $1}' | sort | tr '\n' ' ')
    declared=$(dpkg-deb -f "$(printf '%s\n' "$@" | grep _amd64.deb)" Depends | tr ',' '\n' |
        awk '{print $1}' | sort | tr '\n' ' ')
    [ "$found" = "$declared" ] && ok "amd64: Depends names what dpkg-shlibdeps finds ($found)" ||
        bad "amd64: Depends names '$declared', dpkg-shlibdeps finds '$found'"
fi

# The maintainer scripts, run as dpkg runs them (the amd64 package: its daemon runs here).
if [ -n "$native_root" ]; then
    if bash tests/package/maintainer-scripts.sh "$(printf '%s\n' "$@" | grep _amd64.deb)"; then
        ok "amd64: maintainer scripts (tests/package/maintainer-scripts.sh)"
    else
        bad "amd64: maintainer scripts (tests/package/maintainer-scripts.sh)"
    fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
