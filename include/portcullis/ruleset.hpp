// The layout of the one nftables table the daemon owns, derived from a DesiredState.
//
// Both the nft text (--print-ruleset, PreviewRuleset) and the netlink batches are produced
// from this one description so they cannot drift apart. The number of rules depends only on
// the zones; services and ports only ever change set elements.
#pragma once

#include "portcullis/config.hpp"
#include "portcullis/planner.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis {

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
    std::vector<Interval> ports;       // inet_service
    std::vector<std::string> names;    // ifname
    std::vector<Cidr> nets;            // ipv4_addr / ipv6_addr (interval)
    std::vector<std::uint8_t> protos;  // inet_proto

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

// Names of a zone's sets.
std::string set_name(std::string_view zone, Proto proto); // Z_tcp, Z_udp, Z_icmp (both icmps)
std::string ifaces_set_name(std::string_view zone);       // Z_ifaces
std::string sources_set_name(std::string_view zone, int family); // Z_src4, Z_src6

TableLayout build_layout(const DesiredState& st, std::string_view table);

// The table as `nft list table inet NAME` prints it; also valid input for `nft -f`.
std::string render_nft(const TableLayout& layout);
std::string render_rule(const RuleSpec& rule);

} // namespace portcullis
