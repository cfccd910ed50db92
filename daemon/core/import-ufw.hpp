// SPDX-License-Identifier: GPL-2.0-or-later
// ufw application profiles (/etc/ufw/applications.d, ufw(8) "APPLICATION INTEGRATION") as
// catalogue services, and ufw's port grammar, which its rules files use too.
//
// A profile file is INI, read as ufw reads it (Python's configparser: `key=value` or `key: value`,
// indented continuation lines, keys in any case, quotes kept as written), several profiles to a
// file:
//   [Web Server]
//   title=Web Server (HTTP, HTTPS)
//   description=Apache or nginx
//   ports=80,443/tcp|8080
// ports= is '|'-separated parts PORTS[/PROTO]: `22/tcp`, `80,443/tcp`, `60000:61000/udp`, or a
// bare port for both tcp and udp (a list or range needs a protocol). As ufw demands, a profile
// needs a name of [A-Za-z0-9][A-Za-z0-9 _.+-]* (at most 64, not "all", not a number), a title, a
// description and ports; otherwise it is skipped with a warning. A bad part of ports= (a
// service name, a protocol other than tcp/udp, a port out of range) is a warning and only that
// part is skipped. The id is ufw- plus the name lowercased, spaces and other characters outside
// [a-z0-9] as '-' (imported_id): "Apache Full" is ufw-apache-full. Two profiles with the same
// id in one file: the first wins, the second is a warning. The name is the title; the source is
// the file.
#pragma once

#include "core/import.hpp"
#include "portcullis/ports.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis {

// "22", "80,443", "60000:61000", "8000:8010,9000": at most 15 ports in all (iptables'
// multiport limit, which ufw keeps), each 1-65535, ranges FIRST:LAST with FIRST < LAST.
// Returns the (first, last) pairs, or nullopt and *why.
std::optional<std::vector<Interval>> parse_ufw_port_list(std::string_view text, std::string* why);

// One part of a profile's ports=: PORTS[/PROTO]. A bare PORTS (single port) means tcp and udp.
std::optional<std::vector<PortRange>> parse_ufw_ports(std::string_view part, std::string* why);

// True for a name ufw accepts for a profile.
bool valid_ufw_profile_name(std::string_view name);

// Every valid profile of one file, in file order. Problems are warnings as FILE:LINE:COLUMN; a
// file with no profile that can be read at all is one warning.
std::vector<ImportedService> parse_ufw_profiles(std::string_view text, const std::string& path,
                                                std::vector<Diagnostic>& warnings);

// Every profile of the files, sorted by id. As in ufw, a profile (an id) defined again in a
// later file replaces the earlier one; within one directory that is also a warning.
std::vector<ImportedService> import_ufw(const std::vector<ImportFile>& files,
                                        std::vector<Diagnostic>& warnings);

} // namespace portcullis
