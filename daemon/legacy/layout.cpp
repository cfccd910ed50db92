// SPDX-License-Identifier: GPL-2.0-or-later
#include "legacy/layout.hpp"

#include <algorithm>
#include <netinet/in.h>
#include <sys/socket.h>

namespace portcullis::legacy {

namespace {

// The two halves of an address family: hash:net takes no /0.
IpSetMembers whole_family(int family) {
    IpSetMembers m;
    Cidr low{.family = family, .prefix = 1};
    Cidr high = low;
    high.addr[0] = 0x80;
    m.nets = {low, high};
    return m;
}

std::uint64_t fnv1a(std::string_view s) {
    std::uint64_t h = 14695981039346656037ULL;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return h;
}

// Networks for a hash:net set: a /0 (which it cannot hold) becomes its two halves.
IpSetMembers nets_of(const SetSpec& s) {
    IpSetMembers m;
    for (const Cidr& c : s.nets) {
        if (c.prefix == 0) {
            auto halves = whole_family(c.family);
            m.nets.insert(m.nets.end(), halves.nets.begin(), halves.nets.end());
        } else {
            m.nets.push_back(c);
        }
    }
    normalize(m);
    return m;
}

struct Translator {
    const TableLayout& in;
    const TranslateOptions& opt;
    LegacyLayout out;
    std::string problem;

    const SetSpec* spec(const std::string& name) const {
        for (const auto& s : in.sets)
            if (s.name == name)
                return &s;
        return nullptr;
    }

    void add_sets() {
        for (const SetSpec& s : in.sets) {
            switch (s.type) {
            case SetType::inet_service: {
                LegacySet ls{
                    .def = {.name = live_set_name(s.name), .type = IpSetType::bitmap_port}};
                ls.members.ports = s.ports;
                normalize(ls.members);
                out.sets.push_back(std::move(ls));
                break;
            }
            case SetType::ipv4_addr:
            case SetType::ipv6_addr:
                out.sets.push_back(
                    {.def = {.name = live_set_name(s.name),
                             .type = IpSetType::hash_net,
                             .family = s.type == SetType::ipv4_addr ? AF_INET : AF_INET6},
                     .members = nets_of(s)});
                break;
            case SetType::inet_proto:
                for (int fam : {AF_INET, AF_INET6}) {
                    std::uint8_t proto = fam == AF_INET ? ipproto_icmp : ipproto_icmpv6;
                    bool open =
                        std::find(s.protos.begin(), s.protos.end(), proto) != s.protos.end();
                    out.sets.push_back(
                        {.def = {.name = live_set_name(s.name + (fam == AF_INET ? "4" : "6")),
                                 .type = IpSetType::hash_net,
                                 .family = fam},
                         .members = open ? whole_family(fam) : IpSetMembers{},
                         .selector = true});
                }
                break;
            case SetType::ifname:
                break; // interfaces are spelled out in the rules
            }
        }
    }

    // Both families, or the one the rule's source set belongs to.
    static std::vector<int> families_of(const RuleSpec& r) {
        if (r.src_set.empty())
            return {4, 6};
        return {r.src_family == AF_INET ? 4 : 6};
    }

    std::vector<std::string>& chain(int family, bool raw) {
        if (raw)
            return family == 4 ? out.raw4 : out.raw6;
        return family == 4 ? out.filter4 : out.filter6;
    }

    void zone_rule(const RuleSpec& r) {
        std::vector<std::string> ifaces{""};
        if (!r.ifaces_set.empty()) {
            const SetSpec* s = spec(r.ifaces_set);
            if (!s) {
                problem = "the rules name a set that is not in the layout: " + r.ifaces_set;
                return;
            }
            ifaces.clear();
            for (const auto& n : s->names)
                ifaces.push_back("-i " + n + " ");
        }
        for (int fam : families_of(r)) {
            std::string src;
            if (!r.src_set.empty())
                src = "-m set --match-set " + live_set_name(r.src_set) + " src ";
            std::string what;
            if (r.kind == RuleKind::zone_ports)
                what = "-p " + std::string(to_string(r.proto)) + " -m set --match-set " +
                       live_set_name(r.lookup_set) + " dst -j RETURN";
            else
                what = std::string(fam == 4 ? "-p icmp" : "-p ipv6-icmp") + " -m set --match-set " +
                       live_set_name(r.lookup_set + (fam == 4 ? "4" : "6")) + " src -j RETURN";
            for (const auto& i : ifaces)
                chain(fam, false).push_back(i + src + what);
        }
    }

    void rule(const RuleSpec& r) {
        switch (r.kind) {
        case RuleKind::established:
            for (int fam : {4, 6})
                chain(fam, false)
                    .push_back(opt.state_match == "state"
                                   ? "-m state --state RELATED,ESTABLISHED -j RETURN"
                                   : "-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN");
            return;
        case RuleKind::loopback:
            for (int fam : {4, 6})
                chain(fam, false).push_back("-i lo -j RETURN");
            return;
        case RuleKind::icmpv6_nd:
            // router solicitation and advertisement, neighbour solicitation and advertisement
            for (int type : {133, 134, 135, 136})
                chain(6, false).push_back("-p ipv6-icmp -m icmp6 --icmpv6-type " +
                                          std::to_string(type) + " -j RETURN");
            return;
        case RuleKind::dhcp_client:
            if (r.dhcp_version == 4)
                chain(4, false).push_back("-p udp -m udp --sport 67 --dport 68 -j RETURN");
            else
                chain(6, false).push_back("-p udp -m udp --sport 547 --dport 546 -j RETURN");
            return;
        case RuleKind::ftp_helper:
            // Helpers can only be attached before conntrack sees the first packet: the raw table.
            for (int fam : {4, 6})
                chain(fam, true).push_back("-p tcp -m set --match-set " +
                                           live_set_name(r.lookup_set) + " dst -j CT --helper " +
                                           std::string(ftp_helper_name));
            return;
        case RuleKind::zone_ports:
        case RuleKind::zone_icmp:
            zone_rule(r);
            return;
        case RuleKind::final_verdict:
            for (int fam : {4, 6})
                chain(fam, false).push_back(r.accept ? "-j RETURN" : "-j DROP");
            return;
        }
    }
};

void append_chain(std::string& out, const std::string& table, const std::string& chain,
                  const std::string& hook, const std::vector<std::string>& rules,
                  const RestoreState& st) {
    out += "*" + table + "\n";
    // Declaring a chain that exists flushes it (--noflush leaves everything else alone).
    out += ":" + chain + " - [0:0]\n";
    for (unsigned i = 0; i < st.hook_jumps; ++i)
        out += "-D " + hook + " -j " + chain + "\n";
    out += "-I " + hook + " 1 -j " + chain + "\n";
    for (std::size_t i = 0; i < rules.size(); ++i) {
        if (i + 1 == rules.size() && st.final_counters)
            out += "[" + std::to_string(st.final_counters->first) + ":" +
                   std::to_string(st.final_counters->second) + "] ";
        out += "-A " + chain + " " + rules[i] + "\n";
    }
    out += "COMMIT\n";
}

} // namespace

std::string live_set_name(std::string_view base) {
    std::string name = std::string(set_prefix) + std::string(base);
    if (name.size() <= ipset_name_max)
        return name;
    // Long zone names: keep the start readable, and a hash of the whole keeps names apart.
    std::string hash = "~";
    const auto h = static_cast<std::uint32_t>(fnv1a(base));
    for (int shift = 28; shift >= 0; shift -= 4)
        hash += "0123456789abcdef"[(h >> shift) & 0xfU];
    return name.substr(0, ipset_name_max - hash.size()) + hash;
}

std::string temp_set_name(std::string_view live) {
    return std::string(temp_prefix) + std::string(live.substr(set_prefix.size()));
}

bool is_our_set(std::string_view name) {
    return name.starts_with(set_prefix);
}

bool is_temp_set(std::string_view name) {
    return name.starts_with(temp_prefix);
}

const LegacySet* LegacyLayout::find(std::string_view name) const {
    for (const auto& s : sets)
        if (s.def.name == name)
            return &s;
    return nullptr;
}

const std::vector<std::string>& LegacyLayout::rules(int family, bool raw) const {
    if (raw)
        return family == 4 ? raw4 : raw6;
    return family == 4 ? filter4 : filter6;
}

std::optional<LegacyLayout> translate(const TableLayout& l, const TranslateOptions& o,
                                      std::string* why) {
    auto fail = [&](std::string text) -> std::optional<LegacyLayout> {
        if (why)
            *why = std::move(text);
        return std::nullopt;
    };
    if (l.table.empty() || l.table.size() > chain_name_max)
        return fail("the table name \"" + l.table + "\" is also the iptables chain name, which " +
                    "has 1 to " + std::to_string(chain_name_max) + " characters");
    Translator t{l, o, {}, {}};
    t.out.chain = l.table;
    t.out.mode = l.mode;
    t.add_sets();
    for (const RuleSpec& r : l.rules)
        t.rule(r);
    if (!t.problem.empty())
        return fail(t.problem);
    if (!o.ipv6) {
        t.out.filter6.clear();
        t.out.raw6.clear();
    }
    return std::move(t.out);
}

bool same_shape(const LegacyLayout& a, const LegacyLayout& b) {
    if (a.chain != b.chain || a.filter4 != b.filter4 || a.filter6 != b.filter6 ||
        a.raw4 != b.raw4 || a.raw6 != b.raw6 || a.sets.size() != b.sets.size())
        return false;
    for (std::size_t i = 0; i < a.sets.size(); ++i)
        if (!(a.sets[i].def == b.sets[i].def))
            return false;
    return true;
}

std::vector<SetOp> set_ops(const LegacyLayout& desired, const LayoutDiff& changes) {
    std::vector<SetOp> ops;
    auto add_op = [&](const std::string& base, const IntervalDiff& d, int selector_family) {
        if (d.empty())
            return;
        SetOp op;
        op.set = live_set_name(base);
        op.swap = d.add.size() + d.del.size() > 1;
        if (selector_family) {
            // {0, 0} stands for "this protocol": the selector's whole address family.
            if (!d.add.empty())
                op.add = whole_family(selector_family);
            if (!d.del.empty())
                op.del = whole_family(selector_family);
        } else {
            op.add.ports = d.add;
            op.del.ports = d.del;
        }
        ops.push_back(std::move(op));
    };
    for (const SetChange& c : changes.sets) {
        switch (c.proto) {
        case Proto::tcp:
        case Proto::udp:
            add_op(set_name(c.zone, c.proto), c.diff, 0);
            break;
        case Proto::icmp:
            add_op(set_name(c.zone, c.proto) + "4", c.diff, AF_INET);
            break;
        case Proto::icmpv6:
            add_op(set_name(c.zone, c.proto) + "6", c.diff, AF_INET6);
            break;
        }
    }
    add_op(std::string(ftp_helper_set), changes.ftp_helper, 0);
    // A set the desired layout does not have cannot be patched: the caller rebuilds instead.
    for (auto& op : ops)
        if (!desired.find(op.set))
            op.swap = true;
    return ops;
}

std::string restore_text(const LegacyLayout& l, int family, const RestoreState& filter,
                         const std::optional<RestoreState>& raw) {
    std::string out =
        "# portcullis: the " + l.chain + " chain, IPv" + std::to_string(family) + "\n";
    append_chain(out, "filter", l.chain, "INPUT", l.rules(family, false), filter);
    if (raw)
        append_chain(out, "raw", l.chain, "PREROUTING", l.rules(family, true), *raw);
    return out;
}

std::string render_text(const LegacyLayout& l, const std::vector<int>& families, bool raw) {
    std::string out = "# ip sets, in the syntax of `ipset restore`\n";
    for (const auto& s : l.sets) {
        out += "create " + s.def.name + " " + std::string(type_name(s.def.type));
        if (s.def.type == IpSetType::bitmap_port)
            out += " range 0-65535";
        else
            out += s.def.family == AF_INET6 ? " family inet6" : " family inet";
        out += "\n";
        for (const auto& i : s.members.ports)
            out += "add " + s.def.name + " " + std::to_string(i.first) +
                   (i.first == i.last ? "" : "-" + std::to_string(i.last)) + "\n";
        for (const auto& n : s.members.nets)
            out += "add " + s.def.name + " " + n.str() + "\n";
    }
    for (int fam : families) {
        std::optional<RestoreState> raw_state;
        if (raw && !l.rules(fam, true).empty())
            raw_state = RestoreState{};
        out += "# " + std::string(fam == 6 ? "ip6tables" : "iptables") + "-restore --noflush\n" +
               restore_text(l, fam, RestoreState{}, raw_state);
    }
    return out;
}

} // namespace portcullis::legacy
