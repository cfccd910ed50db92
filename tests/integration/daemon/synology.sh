#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Synology packages: a package is enabled while PACKAGES_DIR/NAME/enabled exists; installs and
# removals while the daemon runs are followed through inotify.
set -euo pipefail
source "$(dirname "$0")/common.sh"
pc_init daemon-synology
pc_setup_netns
dm_write_catalog
mkdir -p "$PC_TMP/packages/OtherPkg"
dm_write_config enabled enforce "[synology]" "enabled = true" "packages_dir = \"$PC_TMP/packages\""
dm_no_systemd
dm_listen
dm_start_daemon
dm_expect_closed 1 "no package"
mkdir -p "$PC_TMP/packages/PcWeb"
dm_stays_closed 0.5 "installed, not started"
touch "$PC_TMP/packages/PcWeb/enabled"
dm_expect_open 1 "package started (PcWeb/enabled created)"
rm "$PC_TMP/packages/PcWeb/enabled"
dm_expect_closed 1 "package stopped"
touch "$PC_TMP/packages/PcWeb/enabled"
dm_expect_open 1 "started again"
rm -rf "$PC_TMP/packages/PcWeb"
dm_expect_closed 1 "package removed"
dm_pass
