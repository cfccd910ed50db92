// SPDX-License-Identifier: GPL-2.0-or-later
// The layout of the one table (or, for the legacy backend, the sets and chain) the daemon owns:
// the vocabulary the planner's output is turned into and every backend encodes. Both the nft
// text (--print-ruleset, PreviewRuleset) and the netlink batches come from one description, so
// they cannot drift apart. The number of rules depends only on the zones; services and ports
// only ever change set elements.
#pragma once

#include "portcullis/net.hpp"
#include "portcullis/ports.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis {

// What the final rule does with what no zone opened: drop it, or count it and let it through.
enum class Mode { enforce, monitor };

inline constexpr std::string_view chain_name = "input";
inline constexpr std::string_view dropped_counter_name = "dropped";
inline constexpr std::string_view ftp_helper_name = "ftp";
inline constexpr std::string_view ftp_helper_set = "helper_ftp";
inline constexpr std::uint8_t ipproto_icmp = 1;
inline constexpr std::uint8_t ipproto_icmpv6 = 58;

enum class SetType { inet_service, ifname, ipv4_addr, ipv6_addr, inet_proto };

struct SetSpec {
    std::string name;
    SetType type = SetType::inet_service;
    bool interval = false;
    std::vector<Interval> ports;      // inet_service
    std::vector<std::string> names;   // ifname
    std::vector<Cidr> nets;           // ipv4_addr / ipv6_addr (interval)
    std::vector<std::uint8_t> protos; // inet_proto

    bool operator==(const SetSpec&) const = default;
};

enum class RuleKind {
    established,  // ct state established,related accept
    loopback,     // iif "lo" accept
    icmpv6_nd,    // icmpv6 type { nd-router-solicit, ... nd-neighbor-advert } accept
    dhcp_client,  // udp sport 67 udp dport 68 accept; udp sport 547 udp dport 546 accept
    ftp_helper,   // tcp dport @helper_ftp ct helper set "ftp"
    zone_ports,   // [iifname @Z_ifaces] [ip|ip6 saddr @Z_src4|6] tcp|udp dport @Z_tcp|udp accept
    zone_icmp,    // [iifname @Z_ifaces] [ip|ip6 saddr @...] meta l4proto @Z_icmp accept
    final_verdict // counter name "dropped" drop|accept
};

struct RuleSpec {
    RuleKind kind = RuleKind::established;
    std::string zone;
    std::string ifaces_set; // empty: any input interface
    int src_family = 0;     // AF_INET / AF_INET6 when src_set is set
    std::string src_set;
    Proto proto = Proto::tcp; // zone_ports: tcp or udp
    int dhcp_version = 4;     // dhcp_client: 4 (udp 67 -> 68) or 6 (udp 547 -> 546)
    std::string lookup_set;   // zone_ports, zone_icmp, ftp_helper
    bool accept = true;       // final_verdict: monitor accepts, enforce drops

    bool operator==(const RuleSpec&) const = default;
};

struct TableLayout {
    std::string table;
    Mode mode = Mode::monitor;
    std::vector<SetSpec> sets;
    std::vector<RuleSpec> rules;

    bool operator==(const TableLayout&) const = default;
};

// One zone's port set that changes: the intervals to delete, then to add. For icmp and icmpv6
// the set holds one element per protocol, written as the interval {0, 0}.
struct SetChange {
    std::string zone;
    Proto proto = Proto::tcp;
    IntervalDiff diff;

    bool operator==(const SetChange&) const = default;
};

// How the next layout differs from the one last committed, as the planner computes it. Either
// the rules change (mode, zones, interfaces, sources: the backend rebuilds everything in one
// transaction, and `sets` is empty), or only elements of the port sets and the FTP helper set
// do; backends encode these changes as they are and never diff again.
struct LayoutDiff {
    bool layout_changed = false;
    std::vector<SetChange> sets;
    IntervalDiff ftp_helper;

    // True when nothing in the kernel needs to change.
    [[nodiscard]] bool ruleset_unchanged() const {
        return !layout_changed && sets.empty() && ftp_helper.empty();
    }
};

// Names of a zone's sets.
std::string set_name(std::string_view zone, Proto proto); // Z_tcp, Z_udp, Z_icmp (both icmps)
std::string ifaces_set_name(std::string_view zone);       // Z_ifaces
std::string sources_set_name(std::string_view zone, int family); // Z_src4, Z_src6

} // namespace portcullis
