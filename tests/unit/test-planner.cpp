// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/planner.hpp"

#include <catch2/catch.hpp>

using namespace portcullis;

namespace {

Service svc(const std::string& id, const std::vector<std::string>& ports,
            std::vector<std::string> units = {}, std::vector<std::string> packages = {}) {
    Service s;
    s.id = id;
    s.name = id;
    for (const auto& p : ports)
        s.ports.push_back(*parse_port_range(p));
    s.units = std::move(units);
    s.packages = std::move(packages);
    return s;
}

Catalog catalog(std::initializer_list<Service> services) {
    Catalog c;
    for (const auto& s : services)
        c.add_or_replace(s);
    return c;
}

Facts units(std::initializer_list<std::pair<const char*, UnitState>> u) {
    Facts f;
    for (const auto& [name, st] : u)
        f.units[name] = st;
    return f;
}

const UnitState enabled_inactive{"enabled", "inactive"};
const UnitState disabled_active{"disabled", "active"};
const UnitState disabled_inactive{"disabled", "inactive"};

std::vector<Interval> tcp_of(const DesiredState& st, const char* zone = "any") {
    return st.zone(zone)->tcp.intervals();
}

Config two_zones() {
    return parse_config_text(R"(
[zones.lan]
interfaces = ["br0"]
default = true
[zones.wan]
interfaces = ["eth1"]
[services.dsm]
zones = ["lan", "wan"]
[services.vpn]
zones = ["wan"]
)",
                             "c.toml");
}

} // namespace

TEST_CASE("nothing enabled opens nothing", "[planner]") {
    Catalog c = catalog({svc("ssh", {"22/tcp"}, {"ssh.service"})});
    DesiredState st = plan(Config{}, c, Facts{}, {});
    REQUIRE(st.zones.size() == 1);
    CHECK(st.zones[0].name == "any");
    CHECK(st.zones[0].tcp.empty());
    CHECK(st.zones[0].udp.empty());
    REQUIRE(st.services.size() == 1);
    CHECK_FALSE(st.services[0].open);
    CHECK(st.services[0].reason.empty());
    CHECK(st.open_services().empty());
}

TEST_CASE("overlapping and adjacent ranges of different services merge", "[planner]") {
    Catalog c = catalog({
        svc("a", {"5000-5010/tcp"}, {"a.service"}),
        svc("b", {"5005-5020/tcp"}, {"b.service"}), // overlaps a
        svc("c", {"5021/tcp"}, {"c.service"}),      // adjacent to b
        svc("d", {"6000/tcp", "6002/tcp"}, {"d.service"}),
    });
    Facts f = units({{"a.service", enabled_inactive},
                     {"b.service", enabled_inactive},
                     {"c.service", enabled_inactive},
                     {"d.service", enabled_inactive}});
    DesiredState st = plan(Config{}, c, f, {});
    CHECK(tcp_of(st) == std::vector<Interval>{{5000, 5021}, {6000, 6000}, {6002, 6002}});
}

TEST_CASE("a port shared by many services closes only with the last one", "[planner]") {
    // 5000/5001 serve some thirty Synology packages.
    Catalog c;
    for (int i = 0; i < 30; ++i)
        c.add_or_replace(svc("pkg" + std::to_string(i), {"5000/tcp", "5001/tcp"}, {},
                             {"Pkg" + std::to_string(i)}));
    Config cfg;
    cfg.synology.enabled = true;
    Facts f;
    for (int i = 0; i < 30; ++i)
        f.packages.insert("Pkg" + std::to_string(i));

    DesiredState applied = plan(cfg, c, f, {});
    CHECK(tcp_of(applied) == std::vector<Interval>{{5000, 5001}});
    for (int i = 0; i < 29; ++i) {
        f.packages.erase("Pkg" + std::to_string(i));
        DesiredState next = plan(cfg, c, f, {});
        CHECK(tcp_of(next) == std::vector<Interval>{{5000, 5001}});
        Diff d = diff(applied, next);
        CHECK(d.sets.empty()); // no kernel change while any user is left
        CHECK(d.closed == std::vector<std::string>{"pkg" + std::to_string(i)});
        applied = next;
    }
    f.packages.erase("Pkg29");
    DesiredState last = plan(cfg, c, f, {});
    CHECK(tcp_of(last).empty());
    Diff d = diff(applied, last);
    REQUIRE(d.sets.size() == 1);
    CHECK(d.sets[0].diff.del == std::vector<Interval>{{5000, 5001}});
    CHECK(d.sets[0].diff.add.empty());
}

TEST_CASE("zones: default zones and per-service zones", "[planner][zones]") {
    Config cfg = two_zones();
    Catalog c = catalog({svc("ssh", {"22/tcp"}, {"ssh.service"}),
                         svc("dsm", {"5000-5001/tcp"}, {"dsm.service"}),
                         svc("vpn", {"1194/udp"}, {"vpn.service"})});
    Facts f = units({{"ssh.service", enabled_inactive},
                     {"dsm.service", enabled_inactive},
                     {"vpn.service", enabled_inactive}});
    DesiredState st = plan(cfg, c, f, {});
    REQUIRE(st.zones.size() == 2);
    CHECK(st.zones[0].name == "lan");
    CHECK(st.zones[0].interfaces == std::vector<std::string>{"br0"});
    CHECK(tcp_of(st, "lan") == std::vector<Interval>{{22, 22}, {5000, 5001}});
    CHECK(st.zone("lan")->udp.empty());
    CHECK(tcp_of(st, "wan") == std::vector<Interval>{{5000, 5001}});
    CHECK(st.zone("wan")->udp.intervals() == std::vector<Interval>{{1194, 1194}});
    CHECK(st.service("ssh")->zones == std::vector<std::string>{"lan"});
    CHECK(st.service("dsm")->zones == std::vector<std::string>{"lan", "wan"});
}

TEST_CASE("a service with an empty zones list opens nowhere", "[planner][zones]") {
    Config cfg = parse_config_text("[services.ssh]\nzones = []\n", "c.toml");
    Catalog c = catalog({svc("ssh", {"22/tcp"}, {"ssh.service"})});
    DesiredState st = plan(cfg, c, units({{"ssh.service", enabled_inactive}}), {});
    CHECK(st.service("ssh")->open); // enabled, but restricted to no zone by the admin
    CHECK(tcp_of(st).empty());
}

TEST_CASE("optional ports open only when the config asks", "[planner][optional]") {
    Service ftp = svc("ftp", {"21/tcp"}, {"vsftpd.service"});
    ftp.optional = {{Proto::tcp, 20, 20}, {Proto::tcp, 1025, 65535}};
    ftp.helpers = {"ftp"};
    Catalog c = catalog({ftp});
    Facts f = units({{"vsftpd.service", enabled_inactive}});

    DesiredState plain = plan(Config{}, c, f, {});
    CHECK(tcp_of(plain) == std::vector<Interval>{{21, 21}});
    // The helper goes on the control port, never on the passive range.
    CHECK(plain.ftp_helper.intervals() == std::vector<Interval>{{21, 21}});

    Config cfg = parse_config_text("[services.ftp]\noptional = [\"55536-55899/tcp\"]\n", "c.toml");
    DesiredState asked = plan(cfg, c, f, {});
    CHECK(tcp_of(asked) == std::vector<Interval>{{21, 21}, {55536, 55899}});
    CHECK(asked.ftp_helper.intervals() == std::vector<Interval>{{21, 21}});

    // Optional ports of a closed service stay closed.
    DesiredState closed = plan(cfg, c, Facts{}, {});
    CHECK(tcp_of(closed).empty());
    CHECK(closed.ftp_helper.empty());
}

TEST_CASE("remote ports are never opened", "[planner]") {
    Service abb = svc("active-backup", {"5510/tcp"}, {}, {"ActiveBackup"});
    abb.remote = {{Proto::tcp, 443, 443}, {Proto::tcp, 902, 902}};
    Config cfg;
    cfg.synology.enabled = true;
    Facts f;
    f.packages.insert("ActiveBackup");
    DesiredState st = plan(cfg, catalog({abb}), f, {});
    CHECK(tcp_of(st) == std::vector<Interval>{{5510, 5510}});
    CHECK(st.service("active-backup")->reason == "package ActiveBackup");
}

TEST_CASE("always opens whatever the watchers say, and beats an override", "[planner][always]") {
    Config cfg = parse_config_text("[always]\nservices = [\"ssh\"]\n", "c.toml");
    Catalog c = catalog({svc("ssh", {"22/tcp"}, {"ssh.service"})});
    Facts f = units({{"ssh.service", {"masked", "inactive"}}});
    Overrides o{{"ssh", Override::closed}};
    DesiredState st = plan(cfg, c, f, o);
    CHECK(st.service("ssh")->open);
    CHECK(st.service("ssh")->reason == "always");
    CHECK(tcp_of(st) == std::vector<Interval>{{22, 22}});
}

TEST_CASE("overrides open and close against the watchers", "[planner][overrides]") {
    Catalog c = catalog({svc("ssh", {"22/tcp"}, {"ssh.service"}), svc("web", {"80/tcp"})});
    Facts f = units({{"ssh.service", enabled_inactive}});
    Overrides o{{"ssh", Override::closed}, {"web", Override::open}};
    DesiredState st = plan(Config{}, c, f, o);
    CHECK_FALSE(st.service("ssh")->open);
    CHECK(st.service("ssh")->reason == "override");
    CHECK(st.service("web")->open);
    CHECK(st.service("web")->reason == "override");
    CHECK(tcp_of(st) == std::vector<Interval>{{80, 80}});
}

TEST_CASE("open_when decides which unit states count", "[planner][open_when]") {
    Catalog c = catalog({svc("a", {"1000/tcp"}, {"a.service"}),   // enabled, not running
                         svc("b", {"2000/tcp"}, {"b.service"}),   // running, not enabled
                         svc("c", {"3000/tcp"}, {"c.service"}),   // neither
                         svc("d", {"4000/tcp"}, {"d.service"})}); // both
    Facts f = units({{"a.service", enabled_inactive},
                     {"b.service", disabled_active},
                     {"c.service", disabled_inactive},
                     {"d.service", {"enabled", "active"}}});
    auto open_with = [&](const char* mode) {
        Config cfg =
            parse_config_text(std::string("[systemd]\nopen_when = \"") + mode + "\"\n", "c.toml");
        return plan(cfg, c, f, {});
    };
    DesiredState en = open_with("enabled");
    CHECK(en.open_services() == std::vector<std::string>{"a", "d"});
    CHECK(en.service("a")->reason == "unit a.service enabled");
    CHECK(en.service("d")->reason == "unit d.service enabled");

    DesiredState ac = open_with("active");
    CHECK(ac.open_services() == std::vector<std::string>{"b", "d"});
    CHECK(ac.service("b")->reason == "unit b.service active");
    CHECK(ac.service("d")->reason == "unit d.service active");

    DesiredState either = open_with("enabled-or-active");
    CHECK(either.open_services() == std::vector<std::string>{"a", "b", "d"});
    CHECK(either.service("d")->reason == "unit d.service enabled"); // the durable reason first
}

TEST_CASE("unit states: runtime enables, masks, transitions", "[planner][open_when]") {
    Catalog c = catalog({svc("a", {"1000/tcp"}, {"a.service"})});
    auto open = [&](UnitState s) {
        return plan(Config{}, c, units({{"a.service", s}}), {}).service("a")->open;
    };
    CHECK(open({"enabled-runtime", "inactive"}));
    CHECK_FALSE(open({"masked", "inactive"}));
    CHECK_FALSE(open({"static", "inactive"}));
    CHECK_FALSE(open({"indirect", "inactive"}));
    CHECK(open({"disabled", "activating"}));
    CHECK(open({"disabled", "reloading"}));
    CHECK_FALSE(open({"disabled", "deactivating"}));
    CHECK_FALSE(open({"disabled", "failed"}));
    CHECK(open({"masked", "active"})); // masked while running: it is still serving
}

TEST_CASE("template units match every instance", "[planner][units]") {
    Catalog c = catalog({svc("openvpn", {"1194/udp"}, {"openvpn-server@.service"})});
    Facts f = units({{"openvpn-server@home.service", enabled_inactive}});
    DesiredState st = plan(Config{}, c, f, {});
    CHECK(st.service("openvpn")->open);
    CHECK(st.service("openvpn")->reason == "unit openvpn-server@home.service enabled");
    CHECK(st.zone("any")->udp.intervals() == std::vector<Interval>{{1194, 1194}});
}

TEST_CASE("a service with several units opens when any of them is enabled", "[planner][units]") {
    Catalog c = catalog({svc("smb", {"445/tcp"}, {"smbd.service", "nmbd.service"})});
    DesiredState st = plan(Config{}, c, units({{"nmbd.service", enabled_inactive}}), {});
    CHECK(st.service("smb")->reason == "unit nmbd.service enabled");
}

TEST_CASE("watchers switched off in the config are ignored", "[planner]") {
    Catalog c = catalog({svc("ssh", {"22/tcp"}, {"ssh.service"}, {"SSH"})});
    Facts f = units({{"ssh.service", enabled_inactive}});
    f.packages.insert("SSH");
    Config cfg;
    cfg.systemd.enabled = false;
    cfg.synology.enabled = false;
    CHECK_FALSE(plan(cfg, c, f, {}).service("ssh")->open);
    cfg.synology.enabled = true;
    CHECK(plan(cfg, c, f, {}).service("ssh")->reason == "package SSH");
}

TEST_CASE("icmp and icmpv6 are per zone flags", "[planner][icmp]") {
    Catalog c = catalog({svc("ha", {"icmp", "icmpv6", "123/udp"}, {"ha.service"}),
                         svc("ping4", {"icmp"}, {"p.service"})});
    DesiredState st = plan(Config{}, c, units({{"p.service", enabled_inactive}}), {});
    CHECK(st.zone("any")->icmp);
    CHECK_FALSE(st.zone("any")->icmpv6);

    DesiredState st2 =
        plan(Config{}, c,
             units({{"p.service", enabled_inactive}, {"ha.service", enabled_inactive}}), {});
    CHECK(st2.zone("any")->icmpv6);
    Diff d = diff(st, st2);
    REQUIRE(d.sets.size() == 2);
    CHECK(d.sets[0].proto == Proto::udp);
    CHECK(d.sets[1].proto == Proto::icmpv6);
    CHECK(d.sets[1].diff.add == std::vector<Interval>{{0, 0}});

    // Closing ha keeps icmp open for ping4.
    Diff back = diff(st2, st);
    CHECK(back.closed == std::vector<std::string>{"ha"});
    REQUIRE(back.sets.size() == 2);
    CHECK(back.sets[1].proto == Proto::icmpv6);
    CHECK(back.sets[1].diff.del == std::vector<Interval>{{0, 0}});
    CHECK(explain(st2, Proto::icmp, 0).size() == 2);
}

TEST_CASE("diff: identical states are empty; reasons alone do not touch the kernel",
          "[planner][diff]") {
    Catalog c = catalog({svc("ssh", {"22/tcp"}, {"ssh.service", "ssh.socket"})});
    DesiredState a = plan(Config{}, c, units({{"ssh.service", enabled_inactive}}), {});
    CHECK(diff(a, a).empty());
    DesiredState b = plan(Config{}, c, units({{"ssh.socket", enabled_inactive}}), {});
    Diff d = diff(a, b);
    CHECK(d.empty()); // same services open, same ports
    CHECK(b.service("ssh")->reason == "unit ssh.socket enabled");
}

TEST_CASE("diff: a changed layout is flagged for a rebuild", "[planner][diff]") {
    Catalog c = catalog({svc("ssh", {"22/tcp"})});
    DesiredState a = plan(Config{}, c, {}, {});
    Config enforce;
    enforce.mode = Mode::enforce;
    CHECK(diff(a, plan(enforce, c, {}, {})).layout_changed);
    CHECK(diff(a, plan(two_zones(), c, {}, {})).layout_changed);
    Config lan2 = parse_config_text("[zones.lan]\ninterfaces = [\"br0\", \"br1\"]\n", "c.toml");
    Config lan1 = parse_config_text("[zones.lan]\ninterfaces = [\"br0\"]\n", "c.toml");
    Diff d = diff(plan(lan1, c, {}, {}), plan(lan2, c, {}, {}));
    CHECK(d.layout_changed);
    CHECK(d.sets.empty());
}

TEST_CASE("diff: opened and closed service lists for the Applied signal", "[planner][diff]") {
    Catalog c = catalog({svc("a", {"1/tcp"}, {"a.service"}), svc("b", {"2/tcp"}, {"b.service"})});
    DesiredState s1 = plan(Config{}, c, units({{"a.service", enabled_inactive}}), {});
    DesiredState s2 = plan(Config{}, c, units({{"b.service", enabled_inactive}}), {});
    Diff d = diff(s1, s2);
    CHECK(d.opened == std::vector<std::string>{"b"});
    CHECK(d.closed == std::vector<std::string>{"a"});
    REQUIRE(d.sets.size() == 1);
    CHECK(d.sets[0].diff.add == std::vector<Interval>{{2, 2}});
    CHECK(d.sets[0].diff.del == std::vector<Interval>{{1, 1}});
}

TEST_CASE("explain names every zone and service behind a port", "[planner][explain]") {
    Config cfg = two_zones();
    Catalog c =
        catalog({svc("dsm", {"5000-5001/tcp"}, {"dsm.service"}),
                 svc("photos", {"5000-5001/tcp"}, {}, {"SynologyPhotos"}), svc("ssh", {"22/tcp"})});
    cfg.synology.enabled = true;
    Facts f = units({{"dsm.service", enabled_inactive}});
    f.packages.insert("SynologyPhotos");
    DesiredState st = plan(cfg, c, f, {{"ssh", Override::open}});
    auto e = explain(st, Proto::tcp, 5001);
    CHECK(e == std::vector<Explanation>{{"lan", "dsm", "unit dsm.service enabled"},
                                        {"lan", "photos", "package SynologyPhotos"},
                                        {"wan", "dsm", "unit dsm.service enabled"}});
    CHECK(explain(st, Proto::tcp, 22) == std::vector<Explanation>{{"lan", "ssh", "override"}});
    CHECK(explain(st, Proto::udp, 5001).empty());
    CHECK(explain(st, Proto::tcp, 5002).empty());
}

TEST_CASE("open ports are listed merged and sorted", "[planner]") {
    Config cfg = two_zones();
    Catalog c = catalog({svc("dsm", {"5000-5001/tcp", "icmp"}), svc("ssh", {"22/tcp", "53/udp"}),
                         svc("vpn", {"1194/udp"})});
    DesiredState st = plan(
        cfg, c, {}, {{"dsm", Override::open}, {"ssh", Override::open}, {"vpn", Override::open}});
    CHECK(open_ports(st) == std::vector<OpenPort>{{"lan", Proto::icmp, 0, 0},
                                                  {"lan", Proto::tcp, 22, 22},
                                                  {"lan", Proto::tcp, 5000, 5001},
                                                  {"lan", Proto::udp, 53, 53},
                                                  {"wan", Proto::icmp, 0, 0},
                                                  {"wan", Proto::tcp, 5000, 5001},
                                                  {"wan", Proto::udp, 1194, 1194}});
}

TEST_CASE("the planner is deterministic", "[planner]") {
    Catalog c =
        catalog({svc("a", {"1-100/tcp"}, {"a.service"}), svc("b", {"50-200/tcp"}, {"b.service"})});
    Facts f = units({{"a.service", enabled_inactive}, {"b.service", disabled_active}});
    CHECK(plan(Config{}, c, f, {}) == plan(Config{}, c, f, {}));
}
