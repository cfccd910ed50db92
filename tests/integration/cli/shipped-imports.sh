#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# [import] on the definitions firewalld and ufw ship: every firewalld service file and every ufw
# profile becomes a catalogue service, and no file fails to load. Warnings (helpers portcullis
# lacks, protocols such as esp, source ports) are allowed; they are counted and printed.
# Usage: shipped-imports.sh DAEMON SRC [FIREWALLD_SERVICES_DIR [UFW_PROFILES_DIR]]
# The directories default to where the packages install them. This test is registered to run:
# when they are missing it fails (install the firewalld and ufw packages, or pass the
# directories of unpacked ones: dpkg-deb -x firewalld_*.deb DIR), it does not skip.
set -euo pipefail
daemon=$1
firewalld=${3:-/usr/lib/firewalld/services}
ufw=${4:-/etc/ufw/applications.d}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

for dir in "$firewalld" "$ufw"; do
    [ -d "$dir" ] || fail "$dir is missing: install the firewalld and ufw packages, or pass" \
        "the directories of unpacked ones"
done

cat >"$tmp/p.toml" <<EOF
catalog_dirs = []
state_dir = "$tmp/state"
[import]
firewalld = ["$firewalld"]
ufw = ["$ufw"]
EOF
"$daemon" --print-catalog --config "$tmp/p.toml" >"$tmp/catalog.json" 2>"$tmp/warnings" ||
    fail "--print-catalog exited $?: $(head -n 5 "$tmp/warnings")"

# What the directories hold, counted as the readers count: firewalld takes NAME.xml; ufw takes
# every file but hidden ones and packagers' backups, and a profile is a [section] (a name
# defined twice counts once, the last one wins).
files=$(find "$firewalld" -maxdepth 1 -type f -name '*.xml' ! -name '.*' | wc -l)
profiles=$(find "$ufw" -maxdepth 1 -type f ! -name '.*' ! -name '*.dpkg-*' ! -name '*.rpm*' \
    ! -name '*~' -exec grep -h '^[[:space:]]*\[' {} + | sed 's/^[[:space:]]*//' | sort -u | wc -l)
read -r fw_services ufw_services < <(python3 -c '
import json, sys
services = json.load(open(sys.argv[1]))
print(sum(s["id"].startswith("firewalld-") for s in services),
      sum(s["id"].startswith("ufw-") for s in services))
for s in services:
    assert s["source"], s["id"] + " has no source"
' "$tmp/catalog.json")

warnings_of() { grep -c -- "$1" "$tmp/warnings" || true; }
fw_warnings=$(warnings_of "^$firewalld/")
ufw_warnings=$(warnings_of "^$ufw/")
echo "firewalld: $files files, $fw_services services, $fw_warnings warnings ($firewalld)"
echo "ufw: $profiles profiles, $ufw_services services, $ufw_warnings warnings ($ufw)"
sed 's/^/  warning: /' "$tmp/warnings"

# A file that could not be read at all is an error, whatever else loaded.
if grep -E ': (cannot read|larger than|cannot read the file|not a firewalld service file|<[^>]*> is not a firewalld <service>|not a ufw profile file)' \
    "$tmp/warnings"; then
    fail "the files above did not load"
fi
[ "$fw_services" -eq "$files" ] || fail "$files firewalld files but $fw_services services"
[ "$ufw_services" -eq "$profiles" ] || fail "$profiles ufw profiles but $ufw_services services"
if [ "$files" -eq 0 ] || [ "$profiles" -eq 0 ]; then
    fail "no definitions to import"
fi
echo "shipped definitions: ok"
