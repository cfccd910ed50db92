#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --check-config on broken files points at the right line and column and exits 78.
set -euo pipefail
daemon=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

expect() { # FILE-CONTENT EXPECTED-STDERR
    printf '%s' "$1" >"$tmp/p.toml"
    set +e
    err=$("$daemon" --check-config --config "$tmp/p.toml" 2>&1 >/dev/null)
    status=$?
    set -e
    [ "$status" -eq 78 ] || fail "exit status $status, want 78, for: $1"
    [ "$err" = "$2" ] || fail "got '$err', want '$2'"
    echo "ok: $err"
}
cat_dirs="catalog_dirs = [\"$src/conf/catalog.d\"]"
expect "$cat_dirs
mode = \"enforce\"
[zones.lan]
interfaces = [\"br0\"]
sources = [\"198.18.0.0/33\"]
" "$tmp/p.toml:5:12: bad source \"198.18.0.0/33\": bad prefix length '/33' (0-32)"
expect "$cat_dirs
[always]
services = [\"ssh\", \"sshd\"]
" "$tmp/p.toml:3:20: unknown service \"sshd\" (not in the catalogue)"
expect "$cat_dirs
[services.ftp]
optional = [\"20/tcp\", \"70000/tcp\"]
" "$tmp/p.toml:3:23: bad port '70000/tcp': port 70000 is out of range 1-65535"
expect "$cat_dirs
[systemd]
open-when = \"active\"
" "$tmp/p.toml:3:1: unknown key 'open-when' in [systemd]"

# A catalogue error is reported in the catalogue file.
mkdir "$tmp/cat"
printf '[[service]]\nid = "x"\nname = "X"\nports = ["22/tcp", "80/sctp"]\n' >"$tmp/cat/50-local.toml"
expect "catalog_dirs = [\"$src/conf/catalog.d\", \"$tmp/cat\"]
" "$tmp/cat/50-local.toml:4:20: bad port '80/sctp': protocol must be tcp or udp, not 'sctp'"

# The shipped example configs are fine.
for f in "$src"/conf/examples/*.toml; do
    "$daemon" --check-config --config "$f"
done
