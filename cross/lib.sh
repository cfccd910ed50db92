# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# What cross/build and cross/package share: the facts of each architecture, and installing
# what a build for it needs.

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

# Sets CROSS_ARCH (Debian's name), CROSS_TRIPLET, CROSS_TOOLCHAIN (file in cross/, empty for
# this machine's own architecture), CROSS_QEMU and CROSS_SYSROOT (empty: multiarch).
cross_arch_facts() {
    CROSS_ARCH=$1 CROSS_SYSROOT=""
    case $1 in
    amd64) CROSS_TRIPLET=x86_64-linux-gnu CROSS_TOOLCHAIN="" CROSS_QEMU="" ;;
    arm64) CROSS_TRIPLET=aarch64-linux-gnu CROSS_TOOLCHAIN=aarch64-linux-gnu.cmake \
        CROSS_QEMU=qemu-aarch64-static ;;
    armhf) CROSS_TRIPLET=arm-linux-gnueabihf CROSS_TOOLCHAIN=arm-linux-gnueabihf.cmake \
        CROSS_QEMU=qemu-arm-static ;;
    *)
        echo "cross: unknown architecture '$1' (amd64, arm64 or armhf)" >&2
        exit 64
        ;;
    esac
    if [ -z "$CROSS_TOOLCHAIN" ] && [ "$(dpkg --print-architecture)" != "$1" ]; then
        echo "cross: $1 is built natively, on an $1 machine (this one is $(dpkg --print-architecture))" >&2
        exit 64
    fi
}

# The packages of $@ that are not installed.
cross_missing() {
    local p
    for p in "$@"; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
            echo "$p"
    done
}

# apt-get update for this machine's architecture and ARCH only. Each Release is updated as one
# transaction, so one broken index of another architecture (Debian's mirrors have served a
# truncated armhf security index) would throw away this one's too. Its exit status alone
# decides nothing: whether the packages are installable does.
cross_apt_update() {
    local args=(-o "APT::Architectures::=$(dpkg --print-architecture)")
    [ -z "${1:-}" ] || args+=(-o "APT::Architectures::=$1")
    $SUDO apt-get update "${args[@]}" ||
        echo "cross: apt-get update failed (exit $?); going on with the indexes it has"
}

# Host tools and the target's libraries. Sets CROSS_SYSROOT when the libraries had to be
# unpacked into build-ARCH/sysroot.
cross_install_deps() {
    local arch=$1 host=(g++ cmake ninja-build pkgconf file dpkg-dev pandoc libtomlplusplus-dev
        catch2)
    local libs=(libuv1-dev libnftnl-dev libmnl-dev libsystemd-dev)
    if [ -n "$CROSS_TOOLCHAIN" ]; then
        host+=("g++-$CROSS_TRIPLET" qemu-user-static)
    else
        host+=("${libs[@]}")
    fi
    local missing updated=0
    mapfile -t missing < <(cross_missing "${host[@]}")
    if [ ${#missing[@]} -gt 0 ]; then
        cross_apt_update
        updated=1
        $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
    fi
    [ -n "$CROSS_TOOLCHAIN" ] || return 0

    local sysroot=$PWD/build-$arch/sysroot
    if [ -f "$sysroot/.complete" ]; then
        CROSS_SYSROOT=$sysroot
        return 0
    fi
    # The multiarch packages, and libstdc++6 so that qemu finds the whole runtime in /lib and
    # /usr/lib/TRIPLET.
    local target=("${libs[@]/%/:$arch}" "libstdc++6:$arch")
    mapfile -t missing < <(cross_missing "${target[@]}")
    [ ${#missing[@]} -gt 0 ] || return 0
    dpkg --print-foreign-architectures | grep -qx "$arch" || $SUDO dpkg --add-architecture "$arch"
    cross_apt_update "$arch"
    if $SUDO apt-get install -s -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
        $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
        return 0
    fi
    # A multiarch library must have exactly the version of the same library of this machine
    # (Multi-Arch: same). When the mirror lacks the :ARCH build of an update installed here,
    # the packages cannot be installed side by side; unpacked into a sysroot they need not be.
    echo "cross: the :$arch libraries cannot be installed next to this machine's own:"
    $SUDO apt-get install -s -y --no-install-recommends "${missing[@]}" 2>&1 | grep -E 'Depends|^E:' || true
    echo "cross: unpacking them into $sysroot instead"
    cross_make_sysroot "$arch" "$sysroot" "${target[@]}"
    CROSS_SYSROOT=$sysroot
}

# cross_make_sysroot ARCH DIR PACKAGE...: the packages and every :ARCH package they depend on,
# downloaded with apt (checked against the signed indexes) and unpacked into DIR.
cross_make_sysroot() {
    local arch=$1 dir=$2
    shift 2
    local debs
    mapfile -t debs < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
        --no-breaks --no-replaces --no-enhances "$@" |
        grep -E "^[a-z0-9][^ ]*:$arch\$" | grep -vE '^(lib)?pkg(-)?conf' | sort -u)
    rm -rf "$dir" "$dir.tmp"
    mkdir -p "$dir.tmp/debs"
    # apt's download sandbox user must be able to write there.
    chmod 777 "$dir.tmp/debs"
    (cd "$dir.tmp/debs" && apt-get download "${debs[@]}")
    local deb
    for deb in "$dir.tmp/debs"/*.deb; do
        dpkg-deb -x "$deb" "$dir.tmp"
    done
    rm -rf "$dir.tmp/debs"
    printf '%s\n' "${debs[@]}" >"$dir.tmp/.complete"
    mv "$dir.tmp" "$dir"
}

# cross_run_prefix ARCH: the command words that run a binary of ARCH on this machine (none
# for amd64; qemu-user, with the sysroot cross/build unpacked, if any, as its library root).
cross_run_prefix() {
    cross_arch_facts "$1"
    CROSS_RUN=()
    [ -n "$CROSS_QEMU" ] || return 0
    CROSS_RUN=("$CROSS_QEMU")
    if [ -f "$PWD/build-$1/sysroot/.complete" ]; then
        CROSS_RUN+=(-L "$PWD/build-$1/sysroot")
    fi
}
