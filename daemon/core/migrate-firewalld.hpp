// SPDX-License-Identifier: GPL-2.0-or-later
// Migration from firewalld (firewalld.zone(5), firewalld.conf(5)): its zones as portcullis
// zones, the services they name as copies of firewalld's definitions, their ports in a
// migrated-firewalld-ZONE entry each.
//
// How zones map. firewalld sends a packet to one zone: the zone of its source, else the zone of
// its interface, else the default zone. portcullis zones add up instead, so:
//   - the default zone (DefaultZone= in firewalld.conf, "public" when unset) matches every
//     interface and source, and is the config's default zone;
//   - another zone with interfaces becomes a zone with those interfaces; one with sources a
//     zone with those sources (NAME-src when it has both, since firewalld binds either);
//   - a zone with neither is inactive in firewalld's files and is left out (NetworkManager may
//     bind interfaces to it at run time: the report says to check);
//   - the target: default (none) opens icmp and icmpv6 as firewalld accepts ICMP there (not with
//     <icmp-block-inversion/>), ACCEPT opens every tcp, udp and icmp port, DROP and %%REJECT%%
//     open only what is listed.
// Not carried over, each reported with its file and line: rich rules, masquerading, port
// forwarding, intra-zone forwarding, source ports, icmp-blocks (ICMP opens whole or not at all),
// sources by MAC or ipset, wildcard interfaces, priorities, protocols other than icmp, and what
// the service definitions could not express (their warnings).
#pragma once

#include "core/import.hpp"
#include "core/migrate.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace portcullis {

struct FirewalldZone {
    enum class Target { standard, accept, reject, drop };

    std::string name; // from the file name
    std::string path;
    SourcePos pos;
    Target target = Target::standard;
    std::vector<std::string> interfaces;
    std::vector<Cidr> sources;
    std::vector<std::pair<std::string, SourcePos>> services;
    std::vector<PortRange> ports; // <port> and <protocol> of the zone itself
    bool icmp_block_inversion = false;
    std::vector<std::string> icmp_blocks;
    SourcePos icmp_blocks_pos;
};

// Parses one zone file; what it cannot carry over goes to not_carried. A file that is not a
// zone at all is one entry there and nullopt.
std::optional<FirewalldZone> parse_firewalld_zone(std::string_view text, const std::string& path,
                                                  std::vector<Diagnostic>& not_carried);

struct FirewalldInput {
    std::optional<ImportFile> conf;        // /etc/firewalld/firewalld.conf
    std::vector<ImportFile> zone_files;    // /usr/lib/firewalld/zones, then /etc/firewalld/zones
    std::vector<ImportFile> service_files; // /usr/lib/firewalld/services, then /etc/...
    std::vector<Diagnostic> read_problems; // files that could not be read, and other findings
};

MigrationPlan migrate_firewalld(const FirewalldInput& in);

} // namespace portcullis
