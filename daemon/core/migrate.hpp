// SPDX-License-Identifier: GPL-2.0-or-later
// Migration from another firewall: what both migrations build (a plan: zones, services and what
// could not be carried over) and the text they print.
//
// The printed result is two files and a report:
//   portcullis.toml            zones, [services.ID] zones, [always] services, and [systemd]
//                              enabled = false, so that exactly what the old firewall opened
//                              opens, nothing more (mode stays "monitor" until the admin says);
//   50-migrated-FROM.toml      the local catalogue entries it names: a copy of each firewalld
//                              service or ufw profile used (the same ids as [import] gives, so a
//                              copy replaces the imported one and survives removing the old
//                              firewall), and migrated-FROM-ZONE entries for ports opened by
//                              number;
//   migration-report.txt       what was carried over, zone by zone, and every thing that was
//                              not, with the file and line it came from.
// The migrations read text that the caller gathered; nothing here touches the box.
#pragma once

#include "core/catalog.hpp"
#include "core/error.hpp"
#include "portcullis/net.hpp"
#include "portcullis/ports.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis {

struct MigratedZone {
    std::string name;
    std::vector<std::string> interfaces;
    std::vector<Cidr> sources;
    bool is_default = false;
    std::string origin; // what it was in the old firewall, for a comment and the report
};

// A local catalogue entry and the zones of the migrated config it opens in.
struct MigratedService {
    Service service;
    std::vector<std::string> zones;
    std::vector<std::string> notes; // comments written above the entry
};

struct MigrationPlan {
    std::string from; // "firewalld" or "ufw"
    std::vector<MigratedZone> zones;
    std::vector<MigratedService> services; // all go into [always]
    std::vector<Diagnostic> not_carried;   // with the file and line they come from, when known
};

struct MigrationText {
    std::string config;       // portcullis.toml
    std::string catalog_file; // "50-migrated-firewalld.toml"
    std::string catalog;
    std::string report;
};

// The files and the report. With hints, a migrated-* entry whose port is exactly the ports of
// a catalogue service says so in a comment (the admin may prefer that service).
MigrationText render_migration(const MigrationPlan& plan, const Catalog* hints = nullptr);

// The whole output of --migrate-from: each file after a `# ==> NAME <==` line, which
//   awk '/^# ==> .* <==$/ {f = $3; next} f {print > f}'
// splits into portcullis.toml, 50-migrated-FROM.toml and migration-report.txt.
std::string migration_output(const MigrationText& text);

// Helpers both migrations share.

// A zone name for the config ([a-z0-9_-], 1-24) from any text, unique among `taken`.
std::string zone_name_for(std::string_view text, std::size_t max_len,
                          const std::vector<std::string>& taken);
// Checks an interface name as the config will (1-15 bytes, no wildcard, '/', ':', quotes,
// backslash, space or non-ASCII). Returns the problem, or empty.
std::string interface_problem_for_migration(std::string_view name);
// Parses ADDR, ADDR/PREFIX or (IPv4) ADDR/NETMASK; host bits are cleared and *note says so.
std::optional<Cidr> parse_source_network(std::string_view text, std::string* note,
                                         std::string* why);
// Every tcp and udp port, and icmp and icmpv6: a zone that accepted everything.
std::vector<PortRange> every_port();

} // namespace portcullis
