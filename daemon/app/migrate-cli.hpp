// SPDX-License-Identifier: GPL-2.0-or-later
// --migrate-from firewalld|ufw [--source-root DIR]: reads the old firewall's files and prints
// an equivalent portcullis config, the local catalogue file it needs, and a report of what
// could not be carried over (core/migrate.hpp). It changes nothing on the box.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>

namespace portcullis {

inline constexpr int exit_noinput = 66; // EX_NOINPUT: the old firewall's files are not there

// Reads the files under source_root ("/" for the box itself; a copy for tests and for admins
// who migrate another box): for firewalld /etc/firewalld/firewalld.conf,
// /usr/lib/firewalld/{zones,services} and /etc/firewalld/{zones,services}; for ufw
// /etc/ufw/user.rules, /etc/ufw/user6.rules, /etc/ufw/applications.d, /etc/default/ufw and
// /etc/ufw/ufw.conf. Prints migration_output() on out and a one-line summary (or the reason it
// could not run) on err. Returns exit_ok, exit_usage for an unknown `from`, or exit_noinput.
int run_migrate(std::string_view from, const std::string& source_root, std::ostream& out,
                std::ostream& err);

} // namespace portcullis
