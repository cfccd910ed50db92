// SPDX-License-Identifier: GPL-2.0-or-later
// The migrations, round trip: fixture files -> printed config and catalogue -> parsed back by
// the daemon's own readers -> planned -> the open ports, zone by zone and port by port.
#include "core/config.hpp"
#include "core/migrate-firewalld.hpp"
#include "core/migrate-ufw.hpp"
#include "core/planner.hpp"

#include <catch2/catch.hpp>

using namespace portcullis;

namespace {

const std::string fixtures = std::string(PORTCULLIS_SOURCE_DIR) + "/tests/data/import";

struct RoundTrip {
    MigrationPlan plan;
    MigrationText text;
    Config config;
    Catalog catalog;
    DesiredState state;

    [[nodiscard]] std::vector<std::string>
    missing_from_report(const std::vector<std::string>& parts) const {
        std::vector<std::string> missing;
        for (const auto& p : parts)
            if (text.report.find(p) == std::string::npos)
                missing.push_back(p);
        return missing;
    }
};

RoundTrip round_trip(MigrationPlan p) {
    RoundTrip rt;
    rt.plan = std::move(p);
    rt.text = render_migration(rt.plan);
    rt.config = parse_config_text(rt.text.config, "/m/portcullis.toml");
    for (auto& s : parse_catalog_text(rt.text.catalog, "/m/" + rt.text.catalog_file))
        rt.catalog.add_or_replace(std::move(s));
    validate(rt.config, rt.catalog);
    rt.state = portcullis::plan(rt.config, rt.catalog, Facts{}, Overrides{});
    return rt;
}

struct Expected {
    std::string zone;
    std::vector<std::string> interfaces;
    std::vector<std::string> sources;
    IntervalSet tcp;
    IntervalSet udp;
    bool icmp = false;
};

// Every port of both protocols, one by one; returns what differs.
std::vector<std::string> compare(const DesiredState& st, const std::vector<Expected>& want) {
    std::vector<std::string> diffs;
    if (st.zones.size() != want.size())
        diffs.push_back("zones: " + std::to_string(st.zones.size()) + " instead of " +
                        std::to_string(want.size()));
    for (const auto& w : want) {
        const ZoneState* z = st.zone(w.zone);
        if (!z) {
            diffs.push_back("no zone " + w.zone);
            continue;
        }
        std::vector<std::string> srcs;
        for (const auto& c : z->sources)
            srcs.push_back(c.str());
        if (z->interfaces != w.interfaces || srcs != w.sources)
            diffs.push_back(w.zone + ": other interfaces or sources");
        if (z->icmp != w.icmp || z->icmpv6 != w.icmp)
            diffs.push_back(w.zone + ": icmp differs");
        for (unsigned p = 0; p <= 65535; ++p) {
            auto port = static_cast<std::uint16_t>(p);
            if (z->tcp.contains(port) != w.tcp.contains(port))
                diffs.push_back(w.zone + ": " + std::to_string(p) + "/tcp differs");
            if (z->udp.contains(port) != w.udp.contains(port))
                diffs.push_back(w.zone + ": " + std::to_string(p) + "/udp differs");
        }
    }
    return diffs;
}

FirewalldInput firewalld_fixture() {
    const std::string root = fixtures + "/firewalld-root";
    FirewalldInput in;
    in.conf = read_import_file("/etc/firewalld/firewalld.conf", in.read_problems, root);
    in.zone_files = read_import_dirs({"/usr/lib/firewalld/zones", "/etc/firewalld/zones"},
                                     firewalld_file_wanted, in.read_problems, root);
    in.service_files = read_import_dirs({"/usr/lib/firewalld/services", "/etc/firewalld/services"},
                                        firewalld_file_wanted, in.read_problems, root);
    return in;
}

UfwInput ufw_fixture() {
    const std::string root = fixtures + "/ufw-root";
    UfwInput in;
    in.rules4 = read_import_file("/etc/ufw/user.rules", in.read_problems, root);
    in.rules6 = read_import_file("/etc/ufw/user6.rules", in.read_problems, root);
    in.profile_files =
        read_import_dirs({"/etc/ufw/applications.d"}, ufw_file_wanted, in.read_problems, root);
    in.defaults = read_import_file("/etc/default/ufw", in.read_problems, root);
    in.conf = read_import_file("/etc/ufw/ufw.conf", in.read_problems, root);
    return in;
}

} // namespace

TEST_CASE("migrate firewalld: the same ports open in the same places", "[migrate]") {
    RoundTrip rt = round_trip(migrate_firewalld(firewalld_fixture()));
    IntervalSet internal_tcp{{21, 22}, {139, 139}, {445, 445}};
    IntervalSet internal_udp{{137, 138}, {5353, 5353}};
    std::vector<Expected> want{
        {"public",
         {},
         {},
         {{22, 22}, {443, 443}, {8080, 8080}, {8443, 8443}},
         {{546, 546}, {60000, 60100}},
         true},
        {"dmz", {"eth2"}, {}, {{22, 22}}, {}, false},
        {"internal", {"eth1"}, {}, internal_tcp, internal_udp, true},
        {"internal-src", {}, {"198.18.0.0/24"}, internal_tcp, internal_udp, true},
        {"trusted", {"tun0"}, {}, {{1, 65535}}, {{1, 65535}}, true},
        {"work", {}, {"2001:db8:1::/48"}, {{21, 21}}, {}, false},
    };
    CHECK(compare(rt.state, want).empty());
    CHECK(rt.state.ftp_helper == IntervalSet{{21, 21}});
    CHECK(rt.config.mode == Mode::monitor);
    CHECK_FALSE(rt.config.systemd.enabled);
    CHECK(rt.config.zones_for("firewalld-ssh") ==
          std::vector<std::string>{"public", "dmz", "internal", "internal-src"});
    for (const auto& z : rt.config.declared_zones)
        CHECK(z.is_default == (z.name == "public"));
    CHECK(rt.config.always.size() == rt.catalog.size());
    CHECK(rt.text.catalog_file == "50-migrated-firewalld.toml");
    CHECK(rt.catalog.find("firewalld-web")->source == "/usr/lib/firewalld/services/web.xml");
    CHECK(rt.text.catalog.find("# note: firewalld limits it to destination ipv4 224.0.0.251") !=
          std::string::npos);
}

TEST_CASE("migrate firewalld: what cannot be carried over is reported where it is", "[migrate]") {
    RoundTrip rt = round_trip(migrate_firewalld(firewalld_fixture()));
    const std::vector<std::string> expected{
        "/etc/firewalld/zones/public.xml:12:3: zone public: port 9000/sctp",
        "/etc/firewalld/zones/public.xml:14:3: zone public: masquerading (NAT)",
        "/etc/firewalld/zones/public.xml:15:3: zone public: port forwarding (NAT)",
        "/etc/firewalld/zones/public.xml:16:3: zone public: source port 53/udp",
        "public.xml:17:3: zone public: rich rule: rule family=ipv4 [source address=",
        "[service name=ftp] [accept]",
        "public.xml:13:3: zone public: icmp-block echo-request",
        "public.xml:9:3: zone public: service 'no-such-service' is not defined",
        "dmz.xml:6:3: zone dmz: interface 'vpn+': wildcard",
        "dmz.xml:8:3: zone dmz: icmp-block-inversion accepts only echo-request",
        "samba.xml:9:3: conntrack helper 'netbios-ns'",
        "trusted.xml:3:1: zone trusted: target ACCEPT",
        "work.xml:6:3: zone work: source MAC 00:11:22:33:44:55",
        "left out: block, drop, external, home",
        "portcullis zones add up",
    };
    CHECK(rt.missing_from_report(expected).empty());
    // Warnings of services no active zone uses are not the admin's concern here.
    CHECK(rt.text.report.find("unused-loop") == std::string::npos);
    CHECK(rt.plan.not_carried.size() == 14);
}

TEST_CASE("migrate firewalld: defaults when firewalld.conf or the default zone is missing",
          "[migrate]") {
    FirewalldInput in = firewalld_fixture();
    in.conf.reset(); // DefaultZone is then public, as in firewalld
    CHECK(migrate_firewalld(in).zones.at(0).name == "public");
    in.conf = ImportFile{"/etc/firewalld/firewalld.conf", "DefaultZone=nowhere\n", 0};
    MigrationPlan p = migrate_firewalld(in);
    CHECK(p.not_carried.at(0).message.starts_with("the default zone 'nowhere' has no zone file"));
}

TEST_CASE("migrate ufw: the same ports open in the same places", "[migrate]") {
    RoundTrip rt = round_trip(migrate_ufw(ufw_fixture()));
    std::vector<Expected> want{
        {"any", {}, {}, {{22, 22}, {80, 80}, {443, 443}, {2222, 2222}, {3306, 3306}}, {}, true},
        {"any-ipv4", {}, {"0.0.0.0/0"}, {{22, 22}, {8000, 8010}, {9000, 9000}}, {}, false},
        {"any-src", {}, {"198.18.0.0/24"}, {{53, 53}}, {{53, 53}}, false},
        {"any-src-2", {}, {"198.18.1.0/24"}, {{1, 65535}}, {{1, 65535}}, false},
        {"any-src-3", {}, {"2001:db8::/32"}, {{5000, 5000}}, {}, false},
        {"eth1", {"eth1"}, {}, {{139, 139}, {445, 445}}, {{137, 138}, {60000, 61000}}, false},
    };
    CHECK(compare(rt.state, want).empty());
    CHECK(rt.catalog.find("ufw-web-server")->name == "Web Server (HTTP, HTTPS)");
    CHECK(rt.catalog.find("ufw-samba")->source == "/etc/ufw/applications.d/samba");
    CHECK(rt.config.zones_for("ufw-samba") == std::vector<std::string>{"eth1"});
    const std::vector<std::string> expected{
        "user.rules:17:1: rule 'limit 2222/tcp': rate limit not carried over",
        "user.rules:21:1: rule 'deny 23/tcp': deny: not carried over",
        "user.rules:24:1: rule 'reject 69/udp': reject: not carried over",
        "user.rules:40:1: rule 'allow 3306/tcp (mysql)': destination 198.18.0.10",
        "user.rules:46:1: rule 'allow any/any from 198.18.1.0/24': every protocol",
        "user.rules:49:1: rule 'allow any/udp': matches source ports only",
        "user.rules:52:1: rule 'allow 80/tcp on eth0': forwarding (route) rule",
        "user.rules:55:1: rule 'allow 25/tcp': outbound rule",
        "user.rules:58:1: rule 'allow any/gre': protocol gre",
        "user.rules:62:1: unreadable rule: expected 6 to 9 fields, not 2",
        "user.rules:63:1: unreadable rule: unknown action 'permit'",
        "user6.rules:32:1: rule 'allow 3306/tcp': destination 2001:db8::10",
        "2 rules log what they match",
        "before.rules and after.rules are not read",
    };
    CHECK(rt.missing_from_report(expected).empty());
}

TEST_CASE("migrate ufw: settings and missing files", "[migrate]") {
    UfwInput in;
    in.rules4 = ImportFile{"/etc/ufw/user.rules",
                           "### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in\n", 0};
    in.defaults = ImportFile{"/etc/default/ufw", "IPV6=no\nDEFAULT_INPUT_POLICY=\"ACCEPT\"\n", 0};
    in.conf = ImportFile{"/etc/ufw/ufw.conf", "ENABLED=no\n", 0};
    RoundTrip rt = round_trip(migrate_ufw(in));
    // IPv6 off: everything is IPv4 only, icmp included; one zone, so it is the default.
    REQUIRE(rt.state.zones.size() == 1);
    CHECK(rt.state.zones[0].name == "any-ipv4");
    CHECK(rt.config.declared_zones[0].is_default);
    CHECK(rt.missing_from_report({"/etc/default/ufw:2:1: DEFAULT_INPUT_POLICY=ACCEPT",
                                  "/etc/ufw/ufw.conf:1:1: ENABLED=no"})
              .empty());
    MigrationPlan none = migrate_ufw(UfwInput{});
    CHECK(none.not_carried.at(0).message.starts_with("no rules file"));
}

TEST_CASE("ufw tuples", "[migrate]") {
    std::string why;
    auto r = parse_ufw_tuple(" allow tcp 80,443 0.0.0.0/0 any 0.0.0.0/0 Apache%20Full - in_eth0 "
                             "comment=6869",
                             &why);
    REQUIRE(r);
    CHECK(r->action == "allow");
    CHECK(r->dport == "80,443");
    CHECK(r->dapp == "Apache Full");
    CHECK(r->sapp.empty());
    CHECK(r->direction == "in");
    CHECK(r->iface_in == "eth0");
    CHECK(r->comment == "hi");
    auto route = parse_ufw_tuple("route:deny_log-all any any ::/0 any ::/0 in_eth0!out_eth1", &why);
    REQUIRE(route);
    CHECK(route->route);
    CHECK(route->action == "deny");
    CHECK(route->log == "log-all");
    CHECK(route->iface_out == "eth1");
    auto old = parse_ufw_tuple("allow udp 53 0.0.0.0/0 any 0.0.0.0/0", &why);
    REQUIRE(old);
    CHECK(old->direction == "in");
    CHECK(parse_ufw_tuple("allow tcp 1 ::/0 any ::/0 out_ppp0", &why)->direction == "out");
    CHECK_FALSE(parse_ufw_tuple("allow_loud tcp 1 ::/0 any ::/0 in", &why));
    CHECK(why == "unknown logging 'loud'");
    CHECK_FALSE(parse_ufw_tuple("allow tcp 1 ::/0 any ::/0 sideways", &why));
    CHECK(why == "unknown direction 'sideways'");
}

TEST_CASE("migration helpers", "[migrate]") {
    std::string note;
    std::string why;
    CHECK(parse_source_network("198.18.0.0/255.255.0.0", &note, &why)->str() == "198.18.0.0/16");
    CHECK(note.empty());
    CHECK(parse_source_network("198.18.3.4/16", &note, &why)->str() == "198.18.0.0/16");
    CHECK(note == "host bits of '198.18.3.4/16' cleared: 198.18.0.0/16");
    CHECK(parse_source_network("2001:db8::1", &note, &why)->str() == "2001:db8::1/128");
    CHECK_FALSE(parse_source_network("198.18.0.0/255.0.255.0", &note, &why));
    CHECK_FALSE(parse_source_network("198.18.0.0/33", &note, &why));
    CHECK_FALSE(parse_source_network("nonsense", &note, &why));
    CHECK(zone_name_for("Public Zone!", 24, {}) == "public-zone-");
    CHECK(zone_name_for("a", 24, {"a", "a-2"}) == "a-3");
    CHECK(zone_name_for(std::string(30, 'z'), 24, {std::string(24, 'z')}) ==
          std::string(22, 'z') + "-2");
    CHECK(interface_problem_for_migration("eth0").empty());
    CHECK_FALSE(interface_problem_for_migration("eth0:1").empty());
    CHECK_FALSE(interface_problem_for_migration("averyveryverylongname").empty());
}

TEST_CASE("migration text is valid TOML whatever the names hold", "[migrate]") {
    MigrationPlan p;
    p.from = "ufw";
    p.zones.push_back({"any", {}, {}, true, "odd \"origin\"\n"});
    MigratedService m;
    m.service.id = "ufw-odd";
    m.service.name = "quote \" backslash \\ newline \n del \x7f bad \xff utf-8 \xC3\xA9";
    m.service.vendor = "ufw";
    m.service.source = "/etc/ufw/applications.d/odd\x01";
    m.service.ports = {{Proto::tcp, 1, 2}};
    m.zones = {"any"};
    m.notes = {"note with\nnewline"};
    p.services.push_back(m);
    RoundTrip rt = round_trip(p);
    CHECK(rt.catalog.find("ufw-odd")->name ==
          "quote \" backslash \\ newline   del \xEF\xBF\xBD bad \xEF\xBF\xBD utf-8 \xC3\xA9");
    CHECK(rt.catalog.find("ufw-odd")->source == "/etc/ufw/applications.d/odd\xEF\xBF\xBD");
    std::string out = migration_output(rt.text);
    CHECK(out.starts_with("# ==> portcullis.toml <==\n"));
    CHECK(out.find("\n# ==> 50-migrated-ufw.toml <==\n") != std::string::npos);
    CHECK(out.find("\n# ==> migration-report.txt <==\nCarried over from ufw:\n") !=
          std::string::npos);
}
