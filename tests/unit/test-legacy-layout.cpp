// SPDX-License-Identifier: GPL-2.0-or-later
// The legacy backend's translation of a layout into ip sets and iptables rules, its set
// operations, its iptables-restore input, the choice of iptables-restore, and reading a kernel
// table blob: all pure.
#include "core/ruleset.hpp"
#include "legacy/layout.hpp"
#include "legacy/restore.hpp"
#include "legacy/xt-table.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <map>
#include <netinet/in.h>
#include <sys/socket.h>

// After <netinet/in.h>, as in the backend.
#include <linux/netfilter_ipv4/ip_tables.h>

using namespace portcullis;
using namespace portcullis::legacy;

namespace {

Cidr cidr(const char* text) {
    return *parse_cidr(text);
}

DesiredState sample_state(Mode mode = Mode::enforce) {
    DesiredState st;
    st.mode = mode;
    ZoneState lan;
    lan.name = "lan";
    lan.interfaces = {"br0", "eth0"};
    lan.sources = {cidr("198.18.0.0/15"), cidr("2001:db8::/32")};
    lan.tcp.add({22, 22});
    lan.tcp.add({60000, 65535});
    lan.udp.add({53, 53});
    lan.icmp = true;
    ZoneState any;
    any.name = "wan";
    any.tcp.add({443, 443});
    st.zones = {lan, any};
    st.ftp_helper.add({21, 21});
    return st;
}

LegacyLayout translated(const DesiredState& st, const TranslateOptions& o = {}) {
    std::string why;
    auto l = translate(build_layout(st, "portcullis"), o, &why);
    INFO(why);
    REQUIRE(l);
    return *l;
}

} // namespace

TEST_CASE("translate: one bitmap:port set per zone and protocol, hash:net for sources",
          "[legacy-layout]") {
    LegacyLayout l = translated(sample_state());
    CHECK(l.chain == "portcullis");
    const LegacySet* tcp = l.find("pc_lan_tcp");
    REQUIRE(tcp);
    CHECK(tcp->def.type == IpSetType::bitmap_port);
    CHECK(tcp->members.ports == std::vector<Interval>{{22, 22}, {60000, 65535}});
    const LegacySet* src4 = l.find("pc_lan_src4");
    REQUIRE(src4);
    CHECK(src4->def.type == IpSetType::hash_net);
    CHECK(src4->def.family == AF_INET);
    CHECK(src4->members.nets == std::vector<Cidr>{cidr("198.18.0.0/15")});
    // icmp open in lan: the IPv4 selector holds the whole address space, the IPv6 one nothing.
    const LegacySet* i4 = l.find("pc_lan_icmp4");
    const LegacySet* i6 = l.find("pc_lan_icmp6");
    REQUIRE(i4);
    REQUIRE(i6);
    CHECK(i4->selector);
    CHECK(i4->members.nets == std::vector<Cidr>{cidr("0.0.0.0/1"), cidr("128.0.0.0/1")});
    CHECK(i6->members.empty());
    CHECK(l.find("pc_helper_ftp"));
    CHECK_FALSE(l.find("pc_lan_ifaces")); // interfaces are in the rules
}

TEST_CASE("translate: the nftables rules, one for one, with RETURN for accept", "[legacy-layout]") {
    LegacyLayout l = translated(sample_state());
    // Per interface of lan, its source set, then the port set; wan has neither.
    auto lan = [](const char* ifname, const char* what) {
        return std::string("-i ") + ifname + " -m set --match-set pc_lan_src4 src " + what;
    };
    const std::string tcp = "-p tcp -m set --match-set pc_lan_tcp dst -j RETURN";
    const std::string udp = "-p udp -m set --match-set pc_lan_udp dst -j RETURN";
    const std::string icmp = "-p icmp -m set --match-set pc_lan_icmp4 src -j RETURN";
    const std::vector<std::string> want = {
        "-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN",
        "-i lo -j RETURN",
        "-p udp -m udp --sport 67 --dport 68 -j RETURN",
        lan("br0", tcp.c_str()),
        lan("eth0", tcp.c_str()),
        lan("br0", udp.c_str()),
        lan("eth0", udp.c_str()),
        lan("br0", icmp.c_str()),
        lan("eth0", icmp.c_str()),
        "-p tcp -m set --match-set pc_wan_tcp dst -j RETURN",
        "-p udp -m set --match-set pc_wan_udp dst -j RETURN",
        "-p icmp -m set --match-set pc_wan_icmp4 src -j RETURN",
        "-j DROP",
    };
    CHECK(l.filter4 == want);
    // IPv6: neighbour discovery first, DHCPv6, the v6 source set, and the icmpv6 selector.
    CHECK(l.filter6[2] == "-p ipv6-icmp -m icmp6 --icmpv6-type 133 -j RETURN");
    CHECK(l.filter6[6] == "-p udp -m udp --sport 547 --dport 546 -j RETURN");
    CHECK(l.filter6.back() == "-j DROP");
    CHECK(std::count_if(l.filter6.begin(), l.filter6.end(), [](const std::string& r) {
              return r.find("pc_wan_icmp6 src") != std::string::npos;
          }) == 1);
    CHECK(l.raw4 == std::vector<std::string>{
                        "-p tcp -m set --match-set pc_helper_ftp dst -j CT --helper ftp"});
    CHECK(l.raw6 == l.raw4);
    // Monitor mode counts and lets through: the final rule returns.
    CHECK(translated(sample_state(Mode::monitor)).filter4.back() == "-j RETURN");
    // No IPv6 in the kernel: no ip6tables rules.
    CHECK(translated(sample_state(), {.ipv6 = false}).filter6.empty());
    CHECK(translated(sample_state(), {.state_match = "state"}).filter4[0] ==
          "-m state --state RELATED,ESTABLISHED -j RETURN");
}

TEST_CASE("translate: the rules do not grow with the services", "[legacy-layout]") {
    DesiredState few = sample_state();
    DesiredState many = sample_state();
    for (std::uint16_t p = 1000; p < 6000; ++p)
        many.zones[0].tcp.add(
            {static_cast<std::uint16_t>(p * 2), static_cast<std::uint16_t>(p * 2)});
    LegacyLayout a = translated(few);
    LegacyLayout b = translated(many);
    CHECK(a.filter4 == b.filter4);
    CHECK(a.filter6 == b.filter6);
    CHECK(same_shape(a, b));
    CHECK(b.find("pc_lan_tcp")->members.ports.size() == 5002);
    CHECK_FALSE(same_shape(a, translated(sample_state(Mode::monitor)))); // the final rule
}

TEST_CASE("names: an iptables chain name has 28 characters at most; long set names are hashed",
          "[legacy-layout]") {
    std::string why;
    CHECK_FALSE(translate(build_layout(sample_state(), std::string(29, 'a')), {}, &why));
    CHECK(why.find("28") != std::string::npos);
    CHECK(translate(build_layout(sample_state(), std::string(28, 'a')), {}, &why));
    std::string a = live_set_name("a-very-long-zone-name-of-24_icmp4");
    std::string b = live_set_name("a-very-long-zone-name-of-24_icmp6");
    CHECK(a.size() <= ipset_name_max);
    CHECK(a != b);
    CHECK(is_our_set(a));
    CHECK(temp_set_name("pc_lan_tcp") == "pc-lan_tcp");
    CHECK(is_temp_set(temp_set_name(a)));
    CHECK(temp_set_name(a).size() == a.size());
}

TEST_CASE("set operations: one element in place, anything more swapped in", "[legacy-layout]") {
    LegacyLayout l = translated(sample_state());
    LayoutDiff d;
    d.sets.push_back({.zone = "lan", .proto = Proto::tcp, .diff = {.add = {{80, 80}}}});
    d.sets.push_back(
        {.zone = "lan", .proto = Proto::udp, .diff = {.add = {{53, 54}}, .del = {{53, 53}}}});
    d.sets.push_back({.zone = "wan", .proto = Proto::icmp, .diff = {.add = {{0, 0}}}});
    d.ftp_helper.del = {{21, 21}};
    auto ops = set_ops(l, d);
    REQUIRE(ops.size() == 4);
    CHECK(ops[0].set == "pc_lan_tcp");
    CHECK_FALSE(ops[0].swap);
    CHECK(ops[0].add.ports == std::vector<Interval>{{80, 80}});
    CHECK(ops[1].set == "pc_lan_udp");
    CHECK(ops[1].swap); // 53 -> 53-54: a delete and an add
    CHECK(ops[2].set == "pc_wan_icmp4");
    CHECK_FALSE(ops[2].swap); // one switch, two halves
    CHECK(ops[2].add.nets.size() == 2);
    CHECK(ops[3].set == "pc_helper_ftp");
    CHECK(ops[3].del.ports == std::vector<Interval>{{21, 21}});
}

TEST_CASE("restore input: our chain declared, old jumps removed, one jump first, counters kept",
          "[legacy-layout]") {
    LegacyLayout l = translated(sample_state());
    std::string t =
        restore_text(l, 4, {.hook_jumps = 2, .final_counters = {{7, 420}}}, RestoreState{});
    CHECK(t.find("*filter\n:portcullis - [0:0]\n-D INPUT -j portcullis\n-D INPUT -j "
                 "portcullis\n-I INPUT 1 -j portcullis\n-A portcullis -m conntrack") !=
          std::string::npos);
    CHECK(t.find("[7:420] -A portcullis -j DROP\nCOMMIT\n") != std::string::npos);
    CHECK(t.find("*raw\n:portcullis - [0:0]\n-I PREROUTING 1 -j portcullis\n-A portcullis -p "
                 "tcp -m set --match-set pc_helper_ftp dst -j CT --helper ftp\nCOMMIT\n") !=
          std::string::npos);
    CHECK(restore_text(l, 4, {}, std::nullopt).find("*raw") == std::string::npos);
}

TEST_CASE("preview text: the sets in ipset restore syntax, then each family's restore input",
          "[legacy-layout]") {
    LegacyLayout l = translated(sample_state());
    std::string t = render_text(l, {4, 6}, true);
    CHECK(t.rfind("# ip sets, in the syntax of `ipset restore`\n", 0) == 0);
    CHECK(t.find("create pc_lan_tcp bitmap:port range 0-65535\nadd pc_lan_tcp 22\n"
                 "add pc_lan_tcp 60000-65535\n") != std::string::npos);
    CHECK(t.find(" hash:net family inet\nadd ") != std::string::npos);
    CHECK(t.find("198.18.0.0/15\n") != std::string::npos);
    CHECK(t.find(" hash:net family inet6\n") != std::string::npos);
    CHECK(t.find("2001:db8::/32\n") != std::string::npos);
    const auto v4 = t.find("# iptables-restore --noflush\n");
    const auto v6 = t.find("# ip6tables-restore --noflush\n");
    REQUIRE(v4 != std::string::npos);
    REQUIRE(v6 != std::string::npos);
    CHECK(v4 < v6);
    CHECK(t.substr(v4, v6 - v4).find("*raw\n") != std::string::npos);
    // Without IPv6 tools, or the CT target, those parts are left out.
    std::string only4 = render_text(l, {4}, false);
    CHECK(only4.find("ip6tables") == std::string::npos);
    CHECK(only4.find("*raw") == std::string::npos);
}

TEST_CASE("iptables-restore: the legacy one, never iptables-nft", "[legacy-layout]") {
    auto resolver = [](const std::map<std::string, std::string>& files) {
        return [files](const std::string& p) -> std::optional<std::string> {
            auto it = files.find(p);
            if (it == files.end())
                return std::nullopt;
            return it->second;
        };
    };
    std::string why;
    // Debian: iptables-restore is iptables-nft; the legacy one has its own name.
    auto debian = find_restore_tools(
        resolver({{"/usr/sbin/iptables-restore", "/usr/sbin/xtables-nft-multi"},
                  {"/usr/sbin/ip6tables-restore", "/usr/sbin/xtables-nft-multi"},
                  {"/usr/sbin/iptables-legacy-restore", "/usr/sbin/xtables-legacy-multi"},
                  {"/usr/sbin/ip6tables-legacy-restore", "/usr/sbin/xtables-legacy-multi"}}),
        &why);
    REQUIRE(debian);
    CHECK(debian->v4 == "/usr/sbin/iptables-legacy-restore");
    CHECK(debian->v6 == "/usr/sbin/ip6tables-legacy-restore");
    // DSM: only the plain names, legacy.
    auto dsm =
        find_restore_tools(resolver({{"/sbin/iptables-restore", "/sbin/xtables-multi"}}), &why);
    REQUIRE(dsm);
    CHECK(dsm->v4 == "/sbin/iptables-restore");
    CHECK(dsm->v6.empty());
    // Only iptables-nft: nothing the legacy backend can use.
    CHECK_FALSE(find_restore_tools(
        resolver({{"/usr/sbin/iptables-restore", "/usr/sbin/xtables-nft-multi"}}), &why));
    CHECK(why.find("iptables-legacy-restore") != std::string::npos);
}

namespace {

// A table blob as the kernel hands it out, built entry by entry.
struct Blob {
    XtTable t;
    std::size_t add(std::size_t target_size, const char* target, const void* data,
                    std::size_t data_len, std::uint64_t packets = 0, bool iface = false) {
        std::size_t off = t.entries.size();
        std::size_t size = sizeof(ipt_entry) + XT_ALIGN(sizeof(xt_entry_target) + target_size);
        t.entries.resize(off + size, 0);
        ipt_entry e{};
        e.target_offset = sizeof(ipt_entry);
        e.next_offset = static_cast<std::uint16_t>(size);
        e.counters.pcnt = packets;
        if (iface)
            std::string_view("eth0").copy(e.ip.iniface, sizeof e.ip.iniface - 1);
        std::memcpy(t.entries.data() + off, &e, sizeof e);
        xt_entry_target tg{};
        tg.u.user.target_size = static_cast<std::uint16_t>(size - sizeof(ipt_entry));
        std::string_view(target).copy(tg.u.user.name, sizeof tg.u.user.name - 1);
        std::memcpy(t.entries.data() + off + sizeof(ipt_entry), &tg, sizeof tg);
        std::memcpy(t.entries.data() + off + sizeof(ipt_entry) + sizeof(xt_entry_target), data,
                    data_len);
        return off;
    }
    std::size_t verdict(int v, std::uint64_t packets = 0, bool iface = false) {
        return add(sizeof(int), "", &v, sizeof v, packets, iface);
    }
    std::size_t error(const char* name) {
        char buf[XT_FUNCTION_MAXNAMELEN] = {};
        std::string_view(name).copy(buf, sizeof buf - 1);
        return add(sizeof buf, "ERROR", buf, sizeof buf);
    }
};

} // namespace

TEST_CASE("kernel table blob: chains, jumps, counters; the hash ignores counters",
          "[legacy-layout]") {
    // INPUT: jump to portcullis, ACCEPT on eth0; policy. FORWARD, OUTPUT: policies.
    // portcullis: RETURN, DROP (counted); its closing RETURN. The end.
    auto build = [](std::uint64_t dropped, int first_rule) {
        Blob b;
        b.t.valid_hooks =
            (1 << NF_INET_LOCAL_IN) | (1 << NF_INET_FORWARD) | (1 << NF_INET_LOCAL_OUT);
        const std::size_t entry =
            sizeof(ipt_entry) + XT_ALIGN(sizeof(xt_entry_target) + sizeof(int));
        const std::size_t head =
            sizeof(ipt_entry) + XT_ALIGN(sizeof(xt_entry_target) + XT_FUNCTION_MAXNAMELEN);
        // Offsets: INPUT rules at 0, entry; policies at 2, 3, 4 entries; the chain head after.
        const std::size_t chain_first = 5 * entry + head;
        b.t.hook_entry[NF_INET_LOCAL_IN] = 0;
        b.verdict(static_cast<int>(chain_first));
        b.verdict(-NF_ACCEPT - 1, 0, true);
        b.t.underflow[NF_INET_LOCAL_IN] = static_cast<unsigned>(b.verdict(-NF_ACCEPT - 1));
        b.t.hook_entry[NF_INET_FORWARD] = b.t.underflow[NF_INET_FORWARD] =
            static_cast<unsigned>(b.verdict(-NF_ACCEPT - 1));
        b.t.hook_entry[NF_INET_LOCAL_OUT] = b.t.underflow[NF_INET_LOCAL_OUT] =
            static_cast<unsigned>(b.verdict(-NF_ACCEPT - 1));
        b.error("portcullis");
        b.verdict(first_rule);
        b.verdict(-NF_DROP - 1, dropped);
        b.verdict(XT_RETURN);
        b.error("ERROR");
        return b;
    };
    Blob b = build(5, XT_RETURN);
    XtView v;
    std::string why;
    REQUIRE(parse_xt_table(b.t, &v, &why) == 0);
    const XtChain* input = v.find("INPUT");
    REQUIRE(input);
    REQUIRE(input->rules.size() == 2);
    CHECK(input->rules[0].target == "portcullis");
    CHECK(input->rules[0].unconditional);
    CHECK(input->rules[1].target == "ACCEPT");
    CHECK_FALSE(input->rules[1].unconditional);
    const XtChain* ours = v.find("portcullis");
    REQUIRE(ours);
    CHECK(ours->rules.size() == 2); // the closing RETURN is not a rule
    ChainCheck c = check_chain(v, "portcullis", "INPUT");
    CHECK(c.exists);
    CHECK(c.first_in_hook);
    CHECK(c.hook_jumps == 1);
    REQUIRE(c.last_counters);
    CHECK(c.last_counters->first == 5);

    XtView more_packets, other_rule;
    REQUIRE(parse_xt_table(build(900, XT_RETURN).t, &more_packets) == 0);
    REQUIRE(parse_xt_table(build(5, -NF_ACCEPT - 1).t, &other_rule) == 0);
    CHECK(check_chain(more_packets, "portcullis", "INPUT").hash == c.hash);
    CHECK(check_chain(other_rule, "portcullis", "INPUT").hash != c.hash);
    CHECK_FALSE(check_chain(v, "other", "INPUT").exists);

    Blob broken = b;
    broken.t.entries.resize(broken.t.entries.size() - 3);
    CHECK(parse_xt_table(broken.t, &v, &why) == -EINVAL);
}
