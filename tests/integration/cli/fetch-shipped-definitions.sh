#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Unpacks, never installs, Debian's firewalld and ufw packages into DIR, for
# shipped-imports.sh: DIR/usr/lib/firewalld/services and DIR/etc/ufw/applications.d.
# Installing them would start firewalld on the test machine (Debian enables it on install)
# and put its table next to the ones the integration tests own; unpacking gives the files only.
# Usage: fetch-shipped-definitions.sh DIR
set -euo pipefail
dir=$(realpath -m "$1")
mkdir -p "$dir/debs"
cd "$dir/debs"
# apt runs downloads as _apt, which must be able to write here.
chmod 0777 "$dir/debs"
apt-get download firewalld ufw
for deb in ./*.deb; do
    dpkg-deb -x "$deb" "$dir"
done
ls -d "$dir/usr/lib/firewalld/services" "$dir/etc/ufw/applications.d"
