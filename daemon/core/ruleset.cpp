// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/ruleset.hpp"

#include "core/string-table.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

namespace portcullis {

TableLayout build_layout(const DesiredState& st, std::string_view table) {
    TableLayout l;
    l.table = std::string(table);
    l.mode = st.mode;

    // Essentials come first so that nothing below can ever cut off replies, loopback, IPv6
    // neighbour discovery or a DHCP lease renewal: losing any of those locks an admin out.
    l.rules.push_back({.kind = RuleKind::established});
    l.rules.push_back({.kind = RuleKind::loopback});
    l.rules.push_back({.kind = RuleKind::icmpv6_nd});
    l.rules.push_back({.kind = RuleKind::dhcp_client, .dhcp_version = 4});
    l.rules.push_back({.kind = RuleKind::dhcp_client, .dhcp_version = 6});

    SetSpec helper{
        .name = std::string(ftp_helper_set), .type = SetType::inet_service, .interval = true};
    helper.ports = st.ftp_helper.intervals();
    l.sets.push_back(std::move(helper));
    l.rules.push_back({.kind = RuleKind::ftp_helper, .lookup_set = std::string(ftp_helper_set)});

    for (const ZoneState& z : st.zones) {
        std::string ifset;
        if (!z.interfaces.empty()) {
            ifset = ifaces_set_name(z.name);
            l.sets.push_back({.name = ifset, .type = SetType::ifname, .names = z.interfaces});
        }
        // With sources, one copy of the zone's rules per address family that has sources.
        std::vector<std::pair<int, std::string>> families;
        if (z.sources.empty()) {
            families.emplace_back(0, "");
        } else {
            for (int fam : {AF_INET, AF_INET6}) {
                SetSpec src{.name = sources_set_name(z.name, fam),
                            .type = fam == AF_INET ? SetType::ipv4_addr : SetType::ipv6_addr,
                            .interval = true};
                for (const auto& c : z.sources)
                    if (c.family == fam)
                        src.nets.push_back(c);
                if (src.nets.empty())
                    continue;
                families.emplace_back(fam, src.name);
                l.sets.push_back(std::move(src));
            }
        }
        SetSpec tcp{.name = set_name(z.name, Proto::tcp),
                    .type = SetType::inet_service,
                    .interval = true,
                    .ports = z.tcp.intervals()};
        SetSpec udp{.name = set_name(z.name, Proto::udp),
                    .type = SetType::inet_service,
                    .interval = true,
                    .ports = z.udp.intervals()};
        SetSpec icmp{.name = set_name(z.name, Proto::icmp), .type = SetType::inet_proto};
        if (z.icmp)
            icmp.protos.push_back(ipproto_icmp);
        if (z.icmpv6)
            icmp.protos.push_back(ipproto_icmpv6);
        for (const auto& [fam, src] : families) {
            for (const SetSpec* s : {&tcp, &udp})
                l.rules.push_back({.kind = RuleKind::zone_ports,
                                   .zone = z.name,
                                   .ifaces_set = ifset,
                                   .src_family = fam,
                                   .src_set = src,
                                   .proto = s == &tcp ? Proto::tcp : Proto::udp,
                                   .lookup_set = s->name});
            l.rules.push_back({.kind = RuleKind::zone_icmp,
                               .zone = z.name,
                               .ifaces_set = ifset,
                               .src_family = fam,
                               .src_set = src,
                               .lookup_set = icmp.name});
        }
        l.sets.push_back(std::move(tcp));
        l.sets.push_back(std::move(udp));
        l.sets.push_back(std::move(icmp));
    }
    l.rules.push_back({.kind = RuleKind::final_verdict, .accept = st.mode == Mode::monitor});
    return l;
}

namespace {

constexpr auto set_type_names = make_string_table<SetType>({{SetType::inet_service, "inet_service"},
                                                            {SetType::ifname, "ifname"},
                                                            {SetType::ipv4_addr, "ipv4_addr"},
                                                            {SetType::ipv6_addr, "ipv6_addr"},
                                                            {SetType::inet_proto, "inet_proto"}});

std::vector<std::string> element_words(const SetSpec& s) {
    std::vector<std::string> out;
    for (const auto& iv : s.ports)
        out.push_back(iv.first == iv.last
                          ? std::to_string(iv.first)
                          : std::to_string(iv.first) + "-" + std::to_string(iv.last));
    for (const auto& n : s.names)
        out.push_back("\"" + n + "\"");
    for (const auto& c : s.nets) {
        unsigned full = c.family == AF_INET ? 32 : 128;
        std::string text = c.str();
        out.push_back(c.prefix == full ? text.substr(0, text.find('/')) : text);
    }
    for (auto p : s.protos)
        out.push_back(p == ipproto_icmp     ? "icmp"
                      : p == ipproto_icmpv6 ? "ipv6-icmp"
                                            : std::to_string(p));
    return out;
}

} // namespace

std::string render_rule(const RuleSpec& r) {
    std::string s;
    switch (r.kind) {
    case RuleKind::established:
        return "ct state established,related accept";
    case RuleKind::loopback:
        return "iif \"lo\" accept";
    case RuleKind::icmpv6_nd:
        return "icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, "
               "nd-neighbor-advert } accept";
    case RuleKind::dhcp_client:
        return r.dhcp_version == 4 ? "udp sport 67 udp dport 68 accept"
                                   : "udp sport 547 udp dport 546 accept";
    case RuleKind::ftp_helper:
        return "tcp dport @" + r.lookup_set + " ct helper set \"" + std::string(ftp_helper_name) +
               "\"";
    case RuleKind::zone_ports:
    case RuleKind::zone_icmp:
        if (!r.ifaces_set.empty())
            s += "iifname @" + r.ifaces_set + " ";
        if (!r.src_set.empty())
            s += std::string(r.src_family == AF_INET ? "ip" : "ip6") + " saddr @" + r.src_set + " ";
        if (r.kind == RuleKind::zone_ports)
            s += std::string(to_string(r.proto)) + " dport @" + r.lookup_set + " accept";
        else
            s += "meta l4proto @" + r.lookup_set + " accept";
        return s;
    case RuleKind::final_verdict:
        return "counter name \"" + std::string(dropped_counter_name) + "\" " +
               (r.accept ? "accept" : "drop");
    }
    return s;
}

std::string render_nft(const TableLayout& l) {
    std::string out = "table inet " + l.table + " {\n";
    // Objects in the order the backend creates them, which is the order nft lists them.
    out += "\tcounter " + std::string(dropped_counter_name) + " {\n\t\tpackets 0 bytes 0\n\t}\n\n";
    out += "\tct helper " + std::string(ftp_helper_name) +
           " {\n\t\ttype \"ftp\" protocol tcp\n\t\tl3proto inet\n\t}\n\n";
    for (const auto& s : l.sets) {
        out +=
            "\tset " + s.name + " {\n\t\ttype " + std::string(set_type_names.name(s.type)) + "\n";
        if (s.interval)
            out += "\t\tflags interval\n";
        auto words = element_words(s);
        if (!words.empty()) {
            // nft wraps element lists by key width: 5 short keys (ports, protocols), 2 IPv4
            // keys, or 1 wide key (IPv6, interface names) per line. Doing the same makes this
            // text identical to `nft list table`, so an admin can diff the two.
            std::size_t per_line = s.type == SetType::ipv4_addr                                ? 2
                                   : s.type == SetType::ipv6_addr || s.type == SetType::ifname ? 1
                                                                                               : 5;
            out += "\t\telements = { ";
            for (std::size_t i = 0; i < words.size(); ++i) {
                if (i > 0)
                    out += i % per_line == 0 ? ",\n\t\t\t     " : ", ";
                out += words[i];
            }
            out += " }\n";
        }
        out += "\t}\n\n";
    }
    out += "\tchain " + std::string(chain_name) + " {\n";
    out += "\t\ttype filter hook input priority filter; policy accept;\n";
    for (const auto& r : l.rules)
        out += "\t\t" + render_rule(r) + "\n";
    out += "\t}\n}\n";
    return out;
}

} // namespace portcullis
