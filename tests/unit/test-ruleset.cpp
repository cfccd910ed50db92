// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/ruleset.hpp"

#include <catch2/catch.hpp>
#include <sys/socket.h>

using namespace portcullis;

namespace {

Catalog synthetic(int n) {
    Catalog c;
    for (int i = 0; i < n; ++i) {
        Service s;
        s.id = "svc" + std::to_string(i);
        s.name = s.id;
        auto port = static_cast<std::uint16_t>(1000 + 3 * i);
        s.ports = {{Proto::tcp, port, port},
                   {Proto::udp, port, static_cast<std::uint16_t>(port + 1)}};
        c.add_or_replace(s);
    }
    return c;
}

Overrides all_open(const Catalog& c) {
    Overrides o;
    for (const auto& s : c.services())
        o[s.id] = Override::open;
    return o;
}

std::size_t count_rules(const std::string& nft) {
    // Lines inside the chain after its type line.
    auto start = nft.find("policy accept;\n");
    REQUIRE(start != std::string::npos);
    std::size_t n = 0;
    for (auto pos = nft.find('\n', start) + 1; pos < nft.size();) {
        auto end = nft.find('\n', pos);
        auto line = nft.substr(pos, end - pos);
        if (line == "\t}")
            break;
        ++n;
        pos = end + 1;
    }
    return n;
}

} // namespace

TEST_CASE("the rule count does not grow with services or ports", "[ruleset]") {
    for (Mode mode : {Mode::monitor, Mode::enforce}) {
        Config cfg;
        cfg.mode = mode;
        Catalog five = synthetic(5);
        Catalog many = synthetic(5000);
        auto l5 = build_layout(plan(cfg, five, {}, all_open(five)), "portcullis");
        auto l5000 = build_layout(plan(cfg, many, {}, all_open(many)), "portcullis");
        auto none = build_layout(plan(cfg, many, {}, {}), "portcullis");
        CHECK(l5.rules.size() == l5000.rules.size());
        CHECK(none.rules.size() == l5000.rules.size());
        CHECK(l5.rules == l5000.rules); // identical rules; only set elements differ
        CHECK(count_rules(render_nft(l5)) == count_rules(render_nft(l5000)));
        CHECK(count_rules(render_nft(l5)) == l5.rules.size());
        const SetSpec* tcp = nullptr;
        for (const auto& s : l5000.sets)
            if (s.name == "any_tcp")
                tcp = &s;
        REQUIRE(tcp);
        CHECK(tcp->ports.size() == 5000); // 1000, 1003, ...: never adjacent, so never merged
    }
}

TEST_CASE("the default layout, rule by rule", "[ruleset]") {
    Catalog c = synthetic(2);
    DesiredState st = plan(Config{}, c, {}, all_open(c));
    std::string text = render_nft(build_layout(st, "portcullis"));
    CHECK(text == R"(table inet portcullis {
	counter dropped {
		packets 0 bytes 0
	}

	ct helper ftp {
		type "ftp" protocol tcp
		l3proto inet
	}

	set helper_ftp {
		type inet_service
		flags interval
	}

	set any_tcp {
		type inet_service
		flags interval
		elements = { 1000, 1003 }
	}

	set any_udp {
		type inet_service
		flags interval
		elements = { 1000-1001, 1003-1004 }
	}

	set any_icmp {
		type inet_proto
	}

	chain input {
		type filter hook input priority filter; policy accept;
		ct state established,related accept
		iif "lo" accept
		icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } accept
		udp sport 67 udp dport 68 accept
		udp sport 547 udp dport 546 accept
		tcp dport @helper_ftp ct helper set "ftp"
		tcp dport @any_tcp accept
		udp dport @any_udp accept
		meta l4proto @any_icmp accept
		counter name "dropped" accept
	}
}
)");
}

TEST_CASE("enforce mode drops at the end; monitor mode counts and accepts", "[ruleset]") {
    Config cfg;
    cfg.mode = Mode::enforce;
    auto l = build_layout(plan(cfg, synthetic(1), {}, {}), "t");
    REQUIRE(l.rules.back().kind == RuleKind::final_verdict);
    CHECK(render_rule(l.rules.back()) == "counter name \"dropped\" drop");
    cfg.mode = Mode::monitor;
    l = build_layout(plan(cfg, synthetic(1), {}, {}), "t");
    CHECK(render_rule(l.rules.back()) == "counter name \"dropped\" accept");
}

TEST_CASE("zones with interfaces and sources", "[ruleset][zones]") {
    Config cfg = parse_config_text(R"(
[zones.lan]
interfaces = ["br0", "eth0"]
sources = ["198.18.0.0/15", "2001:db8::/32", "198.19.1.1"]
default = true
[zones.wan]
interfaces = ["eth1"]
sources = ["2001:db8:1::/48"]
)",
                                   "c.toml");
    Catalog c = synthetic(1);
    DesiredState st = plan(cfg, c, {}, all_open(c));
    st.zones[0].icmp = true;
    st.zones[0].icmpv6 = true;
    auto l = build_layout(st, "portcullis");
    std::vector<std::string> rules;
    for (const auto& r : l.rules)
        rules.push_back(render_rule(r));
    std::vector<std::string> zone_rules(rules.begin() + 6, rules.end() - 1);
    CHECK(zone_rules == std::vector<std::string>{
                            "iifname @lan_ifaces ip saddr @lan_src4 tcp dport @lan_tcp accept",
                            "iifname @lan_ifaces ip saddr @lan_src4 udp dport @lan_udp accept",
                            "iifname @lan_ifaces ip saddr @lan_src4 meta l4proto @lan_icmp accept",
                            "iifname @lan_ifaces ip6 saddr @lan_src6 tcp dport @lan_tcp accept",
                            "iifname @lan_ifaces ip6 saddr @lan_src6 udp dport @lan_udp accept",
                            "iifname @lan_ifaces ip6 saddr @lan_src6 meta l4proto @lan_icmp accept",
                            // wan has IPv6 sources only: no IPv4 rules at all
                            "iifname @wan_ifaces ip6 saddr @wan_src6 tcp dport @wan_tcp accept",
                            "iifname @wan_ifaces ip6 saddr @wan_src6 udp dport @wan_udp accept",
                            "iifname @wan_ifaces ip6 saddr @wan_src6 meta l4proto @wan_icmp accept",
                        });
    std::string text = render_nft(l);
    // Wide keys one per line, as nft prints them.
    CHECK(text.find("\tset lan_ifaces {\n\t\ttype ifname\n\t\telements = { \"br0\",\n\t\t\t     "
                    "\"eth0\" }\n\t}\n") != std::string::npos);
    CHECK(text.find("\tset lan_src4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = { "
                    "198.18.0.0/15, 198.19.1.1 }\n\t}\n") != std::string::npos);
    CHECK(text.find("\tset lan_src6 {\n\t\ttype ipv6_addr\n\t\tflags interval\n\t\telements = { "
                    "2001:db8::/32 }\n\t}\n") != std::string::npos);
    CHECK(text.find(
              "\tset lan_icmp {\n\t\ttype inet_proto\n\t\telements = { icmp, ipv6-icmp }\n\t}\n") !=
          std::string::npos);
    CHECK(text.find("wan_src4") == std::string::npos);
}

TEST_CASE("long element lists wrap the way nft prints them", "[ruleset]") {
    Catalog c = synthetic(7);
    auto text = render_nft(build_layout(plan(Config{}, c, {}, all_open(c)), "portcullis"));
    CHECK(text.find("\t\telements = { 1000, 1003, 1006, 1009, 1012,\n\t\t\t     1015, 1018 }\n") !=
          std::string::npos);
}

TEST_CASE("the ftp helper set holds the control ports", "[ruleset]") {
    Catalog c;
    Service ftp;
    ftp.id = "ftp";
    ftp.name = "FTP";
    ftp.ports = {{Proto::tcp, 21, 21}};
    ftp.helpers = {"ftp"};
    c.add_or_replace(ftp);
    auto text = render_nft(build_layout(plan(Config{}, c, {}, all_open(c)), "portcullis"));
    CHECK(text.find("\tset helper_ftp {\n\t\ttype inet_service\n\t\tflags interval\n\t\telements = "
                    "{ 21 }\n") != std::string::npos);
}
