#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --check-config on paths and files a hostile tester tried: a FIFO (it used to hang for ever),
# /dev/zero (it used to be "ok"), a directory (it used to be "larger than 16 MiB"), a NUL in a
# path setting (it used to cut the path short), a dangling *.toml link in a catalogue directory
# (it used to name the directory, not the file). Each is exit 78 with a message naming the
# file, within seconds.
set -euo pipefail
daemon=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# check CONFIG EXPECTED-STDERR: exit 78 and exactly that message, and no hang.
check() {
    local err status=0
    err=$(timeout 10 "$daemon" --check-config --config "$1" 2>&1 >/dev/null) || status=$?
    [ "$status" -ne 124 ] || fail "--check-config --config $1 hung (killed after 10 s)"
    [ "$status" -eq 78 ] || fail "exit status $status, want 78, for $1: $err"
    [ "$err" = "$2" ] || fail "got '$err', want '$2'"
    echo "ok: $err"
}

mkfifo "$tmp/fifo.toml"
check "$tmp/fifo.toml" "$tmp/fifo.toml: not a regular file (a FIFO)"
check /dev/zero "/dev/zero: not a regular file (a character device)"
mkdir "$tmp/dir.toml"
check "$tmp/dir.toml" "$tmp/dir.toml: not a regular file (a directory)"

# state_dir = "/some/file.toml\u0000/state" (the escape is TOML's, the NUL would be real).
printf 'catalog_dirs = ["%s/conf/catalog.d"]\nstate_dir = "%s/p.toml\\u0000/state"\n' \
    "$src" "$tmp" >"$tmp/p.toml"
check "$tmp/p.toml" "$tmp/p.toml:2:13: 'state_dir' cannot contain control characters (\\x00): \"$tmp/p.toml\\x00/state\""

# A dangling link among a catalogue directory's files.
mkdir "$tmp/catalog.d"
shipped=("$src"/conf/catalog.d/*.toml)
cp "${shipped[0]}" "$tmp/catalog.d/"
ln -s "$tmp/nowhere/local.toml" "$tmp/catalog.d/50-local.toml"
printf 'catalog_dirs = ["%s/catalog.d"]\n' "$tmp" >"$tmp/p.toml"
check "$tmp/p.toml" "$tmp/catalog.d/50-local.toml: cannot open: dangling symbolic link to $tmp/nowhere/local.toml"

# The daemon itself, not only --check-config: a FIFO as its config ends it at once, with 78.
status=0
timeout 10 "$daemon" --dry-run --config "$tmp/fifo.toml" >"$tmp/out" 2>&1 || status=$?
[ "$status" -eq 78 ] || fail "the daemon with a FIFO config: status $status, want 78: $(cat "$tmp/out")"
grep -q "fifo.toml: not a regular file (a FIFO)" "$tmp/out" || fail "no message: $(cat "$tmp/out")"
echo "ok: the daemon refuses a FIFO config with 78"
echo "passed"
