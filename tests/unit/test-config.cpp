// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/config.hpp"
#include "tmpdir.hpp"

#include <catch2/catch.hpp>
#include <sys/socket.h>

using namespace portcullis;

namespace {

std::string error_of(const std::string& text) {
    try {
        parse_config_text(text, "/etc/portcullis/portcullis.toml");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

Catalog small_catalog() {
    Catalog c;
    for (auto [id, port] : {std::pair{"ssh", "22/tcp"}, {"dsm", "5000-5001/tcp"}}) {
        Service s;
        s.id = id;
        s.name = id;
        s.ports = {*parse_port_range(port)};
        c.add_or_replace(s);
    }
    Service ftp;
    ftp.id = "ftp";
    ftp.name = "FTP";
    ftp.ports = {{Proto::tcp, 21, 21}};
    ftp.optional = {{Proto::tcp, 20, 20}, {Proto::tcp, 1025, 65535}};
    c.add_or_replace(ftp);
    return c;
}

} // namespace

TEST_CASE("an empty config is all safe defaults", "[config]") {
    Config c = parse_config_text("", "/etc/portcullis/portcullis.toml");
    CHECK(c.mode == Mode::monitor); // installing must never lock anyone out
    CHECK(c.table == "portcullis");
    CHECK(c.bus == "system");
    // The built-in paths come from the install prefix (portcullis/paths.hpp); the install and
    // package tests check where an installed daemon looks.
    CHECK(c.state_dir == paths::state_dir);
    CHECK(c.backend == BackendKind::automatic);
    CHECK(c.catalog_dirs == std::vector<std::string>{std::string(paths::shipped_catalog_dir),
                                                     std::string(paths::local_catalog_dir)});
    CHECK(c.systemd.enabled);
    CHECK(c.systemd.open_when == OpenWhen::enabled_or_active);
    CHECK_FALSE(c.synology.enabled);
    CHECK(c.synology.packages_dir == "/var/packages");
    // No [zones]: one implicit zone that matches every interface, and it is the default.
    auto zones = c.zones();
    REQUIRE(zones.size() == 1);
    CHECK(zones[0].name == "any");
    CHECK(zones[0].interfaces.empty());
    CHECK(zones[0].is_default);
    CHECK(c.zones_for("ssh") == std::vector<std::string>{"any"});
    CHECK(c.always.empty());
}

TEST_CASE("the documented example config parses as written", "[config]") {
    Config c = parse_config_text(R"(
mode = "enforce"
table = "portcullis"
bus = "unix:path=/run/x"
state_dir = "/var/lib/portcullis"
backend = "nftables"
catalog_dirs = ["/usr/share/portcullis/catalog.d", "/etc/portcullis/catalog.d"]

[systemd]
enabled = true
open_when = "active"

[synology]
enabled = true
packages_dir = "/var/packages"

[zones.lan]
interfaces = ["br0", "eth0"]
sources = ["198.18.0.0/15", "2001:db8::/32"]
default = true

[zones.wan]
interfaces = ["eth1", "pppoe-wan"]

[services.dsm]
zones = ["lan", "wan"]
[services.ftp]
optional = ["55536-55899/tcp"]

[always]
services = ["ssh"]
)",
                                 "/etc/portcullis/portcullis.toml");
    CHECK(c.mode == Mode::enforce);
    CHECK(c.bus == "unix:path=/run/x");
    CHECK(c.backend == BackendKind::nftables);
    CHECK(c.systemd.open_when == OpenWhen::active);
    CHECK(c.synology.enabled);
    REQUIRE(c.declared_zones.size() == 2);
    CHECK(c.declared_zones[0].name == "lan");
    CHECK(c.declared_zones[0].interfaces == std::vector<std::string>{"br0", "eth0"});
    REQUIRE(c.declared_zones[0].sources.size() == 2);
    CHECK(c.declared_zones[0].sources[0].family == AF_INET);
    CHECK(c.declared_zones[0].sources[0].str() == "198.18.0.0/15");
    CHECK(c.declared_zones[0].sources[1].str() == "2001:db8::/32");
    CHECK(c.declared_zones[0].is_default);
    CHECK_FALSE(c.declared_zones[1].is_default);
    CHECK(c.zones_for("dsm") == std::vector<std::string>{"lan", "wan"});
    CHECK(c.zones_for("ssh") == std::vector<std::string>{"lan"});
    CHECK(c.services.at("ftp").optional == std::vector<PortRange>{{Proto::tcp, 55536, 55899}});
    CHECK(c.always == std::vector<std::string>{"ssh"});
    validate(c, small_catalog());
}

TEST_CASE("config errors carry FILE:LINE:COLUMN", "[config]") {
    const std::string f = "/etc/portcullis/portcullis.toml";
    CHECK(error_of("mode = \"enforced\"\n") ==
          f + ":1:8: mode must be \"enforce\" or \"monitor\", not \"enforced\"");
    CHECK(error_of("\n\nmdoe = \"enforce\"\n") == f + ":3:1: unknown key 'mdoe' in the top level");
    CHECK(error_of("[systemd]\nopen_when = \"always\"\n") ==
          f + ":2:13: open_when must be \"enabled\", \"active\" or \"enabled-or-active\", not "
              "\"always\"");
    CHECK(error_of("[systemd]\nenabled = \"yes\"\n") ==
          f + ":2:11: 'enabled' must be true or false, not a string");
    CHECK(error_of("[zones.lan]\ninterfaces = [\"br0\"]\nsoruces = []\n") ==
          f + ":3:1: unknown key 'soruces' in [zones.lan]");
    CHECK(error_of("[zones.lan]\nsources = [\"198.18.0.1/15\"]\n") ==
          f + ":2:12: bad source \"198.18.0.1/15\": host bits are set in '198.18.0.1/15' (did you "
              "mean 198.18.0.0/15?)");
    CHECK(error_of("[zones.lan]\nsources = [\"198.18.0.0/33\"]\n") ==
          f + ":2:12: bad source \"198.18.0.0/33\": bad prefix length '/33' (0-32)");
    CHECK(error_of("[zones.lan]\ninterfaces = [\"eth*\"]\n") ==
          f + ":2:15: bad interface \"eth*\": wildcards are not supported; list each interface");
    CHECK(error_of("[zones.lan]\ninterfaces = [\"a-very-long-interface\"]\n") ==
          f + ":2:15: bad interface \"a-very-long-interface\": interface names have 1 to 15 "
              "characters");
    CHECK(error_of("[zones.LAN]\n") ==
          f + ":1:8: bad zone name 'LAN': use [a-z0-9_-], at most 24 characters");
    CHECK(error_of("[zones.lan]\n[zones.wan]\n") ==
          f + ":1:2: no zone has 'default = true': services that name no zones would open nowhere");
    CHECK(error_of("[zones.lan]\ndefault = true\n[services.dsm]\nzones = [\"lan\", \"dmz\"]\n") ==
          f + ":4:17: unknown zone \"dmz\"");
    CHECK(
        error_of("[services.ftp]\noptional = [\"55536-55899\"]\n") ==
        f + ":2:13: bad port '55536-55899': expected PORT/PROTO, FIRST-LAST/PROTO, icmp or icmpv6");
    CHECK(error_of("table = \"my table\"\n") ==
          f + ":1:9: bad table name \"my table\": use letters, digits, '_' and '-', at most 64");
    CHECK(error_of("bus = \"session\"\n") ==
          f + ":1:7: bus must be \"system\", \"user\" or a D-Bus address such as "
              "\"unix:path=/run/x\", not \"session\"");
    CHECK(error_of("backend = \"iptables\"\n") ==
          f + ":1:11: backend must be \"auto\", \"nftables\" or \"legacy\", not \"iptables\"");
    CHECK(error_of("[always]\nservices = \"ssh\"\n") ==
          f + ":2:12: 'services' must be an array of strings, not a string");
    CHECK(error_of("zones = 5\n") == f + ":1:9: 'zones' must be a table, not an integer");
}

TEST_CASE("one declared zone is the default zone without saying so", "[config]") {
    Config c = parse_config_text("[zones.lan]\ninterfaces = [\"br0\"]\n", "c.toml");
    CHECK(c.zones_for("anything") == std::vector<std::string>{"lan"});
}

TEST_CASE("relative paths are relative to the config file", "[config]") {
    Config c =
        parse_config_text("catalog_dirs = [\"../catalog.d\", \"/abs\"]\nstate_dir = \"state\"\n",
                          "/opt/p/conf/examples/x.toml");
    CHECK(c.catalog_dirs == std::vector<std::string>{"/opt/p/conf/catalog.d", "/abs"});
    CHECK(c.state_dir == "/opt/p/conf/examples/state");
}

TEST_CASE("validate checks names against the catalogue", "[config]") {
    const std::string f = "/etc/portcullis/portcullis.toml";
    auto invalid = [&](const std::string& text) {
        Config c = parse_config_text(text, f);
        try {
            validate(c, small_catalog());
        } catch (const ConfigError& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    CHECK(invalid("[always]\nservices = [\"ssh\", \"shh\"]\n") ==
          f + ":2:20: unknown service \"shh\" (not in the catalogue)");
    CHECK(invalid("[services.nope]\nzones = []\n") ==
          f + ":1:11: unknown service \"nope\" (not in the catalogue)");
    CHECK(invalid("[services.ftp]\noptional = [\"55536-55899/tcp\"]\n").empty());
    CHECK(invalid("[services.ftp]\noptional = [\"20/tcp\", \"1000-1100/tcp\"]\n") ==
          f + ":2:23: '1000-1100/tcp' is not among the optional ports of \"ftp\" (20/tcp, "
              "1025-65535/tcp)");
    CHECK(invalid("[services.ssh]\noptional = [\"2222/tcp\"]\n") ==
          f + ":2:13: '2222/tcp' is not among the optional ports of \"ssh\" (it has none)");
}

TEST_CASE("load_config reports a missing file by name", "[config]") {
    try {
        load_config("/nonexistent/portcullis.toml");
        FAIL("no error");
    } catch (const ConfigError& e) {
        CHECK(std::string(e.what()) ==
              "/nonexistent/portcullis.toml: cannot open: No such file or directory");
    }
}

TEST_CASE("CIDR parsing", "[config]") {
    CHECK(parse_cidr("198.18.0.0/15")->prefix == 15);
    CHECK(parse_cidr("198.18.0.7")->prefix == 32);
    CHECK(parse_cidr("2001:db8::1")->prefix == 128);
    CHECK(parse_cidr("2001:db8::/32")->str() == "2001:db8::/32");
    CHECK_FALSE(parse_cidr("2001:db8::1/32"));
    CHECK_FALSE(parse_cidr("198.18.0.0/"));
    CHECK_FALSE(parse_cidr("lan"));
}
