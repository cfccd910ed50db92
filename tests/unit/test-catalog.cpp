// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/catalog.hpp"
#include "tmpdir.hpp"

#include <catch2/catch.hpp>

using namespace portcullis;

namespace {

std::string error_of(const std::string& text, const std::string& file = "cat.toml") {
    try {
        parse_catalog_text(text, file);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

const char* nfs = R"([[service]]
id = "nfs"
name = "NFS"
vendor = "synology"
category = "file-transfer"
ports = ["111/tcp", "111/udp", "892/tcp", "892/udp", "2049/tcp", "2049/udp"]
optional = []
remote = []
units = ["nfs-server.service"]
packages = []
helpers = []
source = "Synology KB"
)";

} // namespace

TEST_CASE("a catalogue service parses with every field", "[catalog]") {
    auto svcs = parse_catalog_text(nfs, "cat.toml");
    REQUIRE(svcs.size() == 1);
    const Service& s = svcs[0];
    CHECK(s.id == "nfs");
    CHECK(s.name == "NFS");
    CHECK(s.vendor == "synology");
    CHECK(s.category == "file-transfer");
    CHECK(s.ports.size() == 6);
    CHECK(s.ports.front() == PortRange{Proto::tcp, 111, 111});
    CHECK(s.units == std::vector<std::string>{"nfs-server.service"});
    CHECK(s.source == "Synology KB");
    CHECK(s.origin.line == 1);
}

TEST_CASE("only id and name are required; the rest defaults empty", "[catalog]") {
    auto svcs = parse_catalog_text("[[service]]\nid = \"x\"\nname = \"X\"\n", "c.toml");
    REQUIRE(svcs.size() == 1);
    CHECK(svcs[0].vendor == "local");
    CHECK(svcs[0].ports.empty());
    CHECK(svcs[0].units.empty());
    CHECK(parse_catalog_text("# nothing here\n", "c.toml").empty());
}

TEST_CASE("catalogue errors point at the offending line and column", "[catalog]") {
    CHECK(
        error_of("[[service]]\nid = \"x\"\nname = \"X\"\nports = [\"22/tcp\", \"99999/tcp\"]\n") ==
        "cat.toml:4:20: bad port '99999/tcp': port 99999 is out of range 1-65535");
    CHECK(error_of("[[service]]\nid = \"x\"\nname = \"X\"\nprots = [\"22/tcp\"]\n") ==
          "cat.toml:4:1: unknown key 'prots' in [[service]]");
    CHECK(error_of("[[service]]\nname = \"X\"\n") == "cat.toml:1:1: [[service]] has no 'id'");
    CHECK(error_of("[[service]]\nid = \"x\"\n") == "cat.toml:1:1: [[service]] 'x' has no 'name'");
    CHECK(error_of("[[service]]\nid = \"Bad_Id\"\nname = \"X\"\n") ==
          "cat.toml:2:6: bad id 'Bad_Id': use [a-z0-9][a-z0-9-]*, at most 64 characters");
    CHECK(error_of("[[service]]\nid = \"x\"\nname = 5\n") ==
          "cat.toml:3:8: 'name' must be a string, not an integer");
    CHECK(error_of("[[service]]\nid = \"x\"\nname = \"X\"\nports = \"22/tcp\"\n") ==
          "cat.toml:4:9: 'ports' must be an array of strings, not a string");
    CHECK(error_of("[[service]]\nid = \"x\"\nname = \"X\"\nunits = [\"ssh\"]\n") ==
          "cat.toml:4:10: bad systemd unit name 'ssh'");
    CHECK(error_of("[[service]]\nid = \"x\"\nname = \"X\"\nhelpers = [\"sip\"]\n") ==
          "cat.toml:4:12: bad conntrack helper (known: ftp) 'sip'");
    CHECK(error_of("[service]\nid = \"x\"\n") ==
          "cat.toml:1:1: 'service' must be written as [[service]] tables");
    CHECK(error_of("zone = 1\n") == "cat.toml:1:1: unknown key 'zone' in a catalogue file (only "
                                    "[[service]] tables belong here)");
    // A TOML syntax error comes through with toml++'s own position.
    CHECK(error_of("[[service]]\nid = \"x\nname = \"X\"\n").rfind("cat.toml:2:", 0) == 0);
}

TEST_CASE("every error of a file is reported, not just the first", "[catalog]") {
    std::string e = error_of("[[service]]\nid = \"x\"\nname = \"X\"\nports = [\"0/tcp\"]\n"
                             "remote = [\"1/xdp\"]\n");
    CHECK(e == "cat.toml:4:10: bad port '0/tcp': port 0 is out of range 1-65535\n"
               "cat.toml:5:11: bad port '1/xdp': protocol must be tcp or udp, not 'xdp'");
}

TEST_CASE("duplicate ids in one file are an error naming both places", "[catalog]") {
    CHECK(error_of(
              "[[service]]\nid = \"x\"\nname = \"X\"\n\n[[service]]\nid = \"x\"\nname = \"Y\"\n") ==
          "cat.toml:6:6: duplicate id 'x' (first defined at cat.toml:1:1)");
}

TEST_CASE("loading directories: lexical order, duplicates, replacement", "[catalog]") {
    testutil::TempDir d;
    d.write("shipped/10-a.toml",
            "[[service]]\nid = \"ssh\"\nname = \"SSH\"\nports = [\"22/tcp\"]\n");
    d.write("shipped/20-b.toml",
            "[[service]]\nid = \"web\"\nname = \"Web\"\nports = [\"80/tcp\"]\n");
    d.write("shipped/notes.txt", "not toml, ignored");
    d.write("local/ssh.toml",
            "[[service]]\nid = \"ssh\"\nname = \"SSH on 2222\"\nports = [\"2222/tcp\"]\n");

    SECTION("a later directory replaces a service whole") {
        Catalog c = load_catalog({(d.path() / "shipped").string(), (d.path() / "local").string()});
        REQUIRE(c.size() == 2);
        const Service* ssh = c.find("ssh");
        REQUIRE(ssh);
        CHECK(ssh->name == "SSH on 2222");
        CHECK(ssh->ports == std::vector<PortRange>{{Proto::tcp, 2222, 2222}});
        CHECK(c.services()[0].id == "ssh");
        CHECK(c.services()[1].id == "web");
    }
    SECTION("a missing directory is skipped") {
        Catalog c = load_catalog({(d.path() / "shipped").string(), (d.path() / "nope").string()});
        CHECK(c.size() == 2);
    }
    SECTION("the same id twice in one directory is an error") {
        auto dup = d.write("shipped/30-c.toml", "[[service]]\nid = \"web\"\nname = \"Web 2\"\n");
        try {
            load_catalog({(d.path() / "shipped").string()});
            FAIL("no error");
        } catch (const ConfigError& e) {
            CHECK(std::string(e.what()) == dup + ":1:1: duplicate id 'web' (first defined at " +
                                               (d.path() / "shipped/20-b.toml").string() + ":1:1)");
        }
    }
    SECTION("an unreadable file is an error naming it") {
        auto bad =
            d.write("shipped/40-bad.toml", "[[service]]\nid = \"x\"\nname = \"X\"\nports = [22]\n");
        try {
            load_catalog({(d.path() / "shipped").string()});
            FAIL("no error");
        } catch (const ConfigError& e) {
            CHECK(std::string(e.what()) ==
                  bad + ":4:10: 'ports' must contain only strings, not an integer");
        }
    }
}

TEST_CASE("unit names and templates", "[catalog][units]") {
    CHECK(valid_unit_name("ssh.service"));
    CHECK(valid_unit_name("ssh.socket"));
    CHECK(valid_unit_name("openvpn-server@.service"));
    CHECK(valid_unit_name("openvpn-server@home.service"));
    CHECK_FALSE(valid_unit_name("ssh"));
    CHECK_FALSE(valid_unit_name("ssh.conf"));
    CHECK_FALSE(valid_unit_name("@.service"));
    CHECK_FALSE(valid_unit_name("a b.service"));

    CHECK(unit_matches("ssh.service", "ssh.service"));
    CHECK_FALSE(unit_matches("ssh.service", "sshd.service"));
    CHECK(unit_matches("openvpn-server@.service", "openvpn-server@home.service"));
    CHECK(unit_matches("openvpn-server@.service", "openvpn-server@x\\x2dy.service"));
    CHECK_FALSE(unit_matches("openvpn-server@.service", "openvpn-server@.service.d"));
    CHECK_FALSE(unit_matches("openvpn-server@.service", "openvpn-server@home.socket"));
    CHECK_FALSE(unit_matches("openvpn-server@.service", "openvpn-client@home.service"));
    CHECK(unit_matches("openvpn-server@.service", "openvpn-server@.service"));
}
