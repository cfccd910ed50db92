// SPDX-License-Identifier: GPL-2.0-or-later
// Migration from ufw: the rules in /etc/ufw/user.rules (IPv4) and user6.rules (IPv6), which ufw
// keeps as one comment line per rule:
//   ### tuple ### ACTION PROTO DPORT DST SPORT SRC DIRECTION [comment=HEX]
//   ### tuple ### ACTION PROTO DPORT DST SPORT SRC DAPP SAPP DIRECTION [comment=HEX]
// ACTION is allow, deny, reject or limit, with "route:" before it for forwarding rules and
// "_log" or "_log-all" after it; PROTO tcp, udp, any or another protocol; DPORT and SPORT "any"
// or ports as in "22", "80,443", "60000:61000"; DST and SRC "0.0.0.0/0" / "::/0" / "any" or a
// network; DAPP and SAPP an application profile ("%20" for spaces) or "-"; DIRECTION in, out,
// in_IFACE, out_IFACE or in_IFACE!out_IFACE. Older files have 6 or 8 fields and no direction
// ("in").
//
// How rules map. ufw has no zones: every inbound allow (or limit) rule opens its ports for a
// place, an input interface (or any) and a source network. Each thing a rule opens (a profile,
// a port) is put in one portcullis zone per place, zones being made of the places that open the
// same things: "any" (every interface and source), IFACE, and -ipv4, -ipv6 or -src variants for
// rules limited to one address family or to networks (a rule only in user.rules opens for IPv4
// only). Profiles become ufw-NAME entries (the ports the rule opened; title and file from the
// profile when it is still installed); ports opened by number become migrated-ufw-ZONE entries.
// icmp and icmpv6 open in "any", as ufw's before.rules accept ping and ICMP errors.
// Not carried over, each reported with its file and line: deny and reject (portcullis cannot
// make an exception to what is open), the rate limit of limit (the port is opened without it),
// logging, outbound and route (forwarding) rules, protocols other than tcp and udp, source
// ports, and a destination address (the port opens on every address).
#pragma once

#include "core/import.hpp"
#include "core/migrate.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis {

struct UfwRule {
    std::string action; // allow, deny, reject or limit
    std::string log;    // "", "log" or "log-all"
    bool route = false;
    std::string proto;
    std::string dport;
    std::string dst;
    std::string sport;
    std::string src;
    std::string dapp; // with spaces, "" for none
    std::string sapp;
    std::string direction; // in or out
    std::string iface_in;
    std::string iface_out;
    std::string comment; // decoded from hex
};

// Parses what follows "### tuple ###" on a line. On failure nullopt and *why.
std::optional<UfwRule> parse_ufw_tuple(std::string_view text, std::string* why);

struct UfwInput {
    std::optional<ImportFile> rules4;      // /etc/ufw/user.rules
    std::optional<ImportFile> rules6;      // /etc/ufw/user6.rules
    std::vector<ImportFile> profile_files; // /etc/ufw/applications.d
    std::optional<ImportFile> defaults;    // /etc/default/ufw (DEFAULT_INPUT_POLICY, IPV6)
    std::optional<ImportFile> conf;        // /etc/ufw/ufw.conf (ENABLED)
    std::vector<Diagnostic> read_problems; // files that could not be read
};

MigrationPlan migrate_ufw(const UfwInput& in);

} // namespace portcullis
