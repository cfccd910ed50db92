// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/import-ufw.hpp"
#include "core/import.hpp"

#include <catch2/catch.hpp>

using namespace portcullis;

namespace {

const std::string profiles_dir =
    std::string(PORTCULLIS_SOURCE_DIR) + "/tests/data/import/ufw-profiles";

struct Parsed {
    std::vector<ImportedService> services;
    std::vector<std::string> warnings; // "LINE:COLUMN: message"
};

Parsed parse_file(const std::string& name) {
    std::vector<Diagnostic> w;
    auto f = read_import_file(profiles_dir + "/" + name, w);
    REQUIRE(f);
    Parsed p;
    p.services = parse_ufw_profiles(f->text, f->path, w);
    for (const auto& d : w)
        p.warnings.push_back(std::to_string(d.pos.line) + ":" + std::to_string(d.pos.column) +
                             ": " + d.message);
    return p;
}

std::vector<std::string> ids(const std::vector<ImportedService>& v) {
    std::vector<std::string> out;
    out.reserve(v.size());
    for (const auto& s : v)
        out.push_back(s.service.id);
    return out;
}

std::vector<std::string> ports(const ImportedService& s) {
    return port_words(s.service.ports);
}

} // namespace

TEST_CASE("ufw: a file with three profiles", "[import]") {
    Parsed p = parse_file("web-stack");
    CHECK(p.warnings.empty());
    REQUIRE(ids(p.services) ==
            std::vector<std::string>{"ufw-web-server", "ufw-web-server-https", "ufw-mosh"});
    const Service& web = p.services[0].service;
    CHECK(web.name == "Web Server (HTTP, HTTPS)");
    CHECK(web.vendor == "ufw");
    CHECK(web.source == profiles_dir + "/web-stack");
    CHECK(web.origin.line == 3);
    CHECK(ports(p.services[0]) == std::vector<std::string>{"80/tcp", "443/tcp"});
    CHECK(ports(p.services[2]) == std::vector<std::string>{"60000-61000/udp"});
}

TEST_CASE("ufw: a bare port is both protocols; parts are split at '|'", "[import]") {
    Parsed p = parse_file("dns");
    REQUIRE(p.services.size() == 1);
    CHECK(p.services[0].service.id == "ufw-bind9-dns");
    CHECK(ports(p.services[0]) == std::vector<std::string>{"53/tcp", "953/tcp", "53/udp"});
}

TEST_CASE("ufw: bad ports are skipped part by part", "[import]") {
    Parsed p = parse_file("bad-ports");
    REQUIRE(p.services.size() == 1);
    CHECK(ports(p.services[0]) == std::vector<std::string>{"22/tcp"});
    const std::string in = " in [Bad Ports]: ";
    CHECK(p.warnings ==
          std::vector<std::string>{
              "4:14: bad ports '70000/tcp'" + in + "port 70000 is out of range 1-65535: skipped",
              "4:24: bad ports 'http/tcp'" + in +
                  "service names such as 'http' are not supported: use port numbers: skipped",
              "4:33: bad ports '1:2:3/udp'" + in + "bad port '2:3': skipped",
              "4:43: bad ports '5,6'" + in + "a list or range of ports needs /tcp or /udp: skipped",
              "4:47: bad ports '22/gre'" + in +
                  "protocol 'gre' is not supported (tcp or udp): skipped",
              "4:54: bad ports '9000:8000/tcp'" + in +
                  "bad range '9000:8000' (FIRST:LAST, FIRST < LAST): skipped"});
}

TEST_CASE("ufw: a malformed INI file loses only its damaged profiles", "[import]") {
    Parsed p = parse_file("broken");
    CHECK(ids(p.services) == std::vector<std::string>{"ufw-good-profile"});
    CHECK(p.warnings == std::vector<std::string>{
                            "7:1: section header without ']': profile [Broken Profile] skipped",
                            "13:1: expected KEY=VALUE or KEY: VALUE: profile [Half Profile] "
                            "skipped"});
}

TEST_CASE("ufw: read as configparser reads it", "[import]") {
    Parsed p = parse_file("configparser-style");
    CHECK(p.warnings.empty());
    REQUIRE(p.services.size() == 1);
    CHECK(p.services[0].service.id == "ufw-colon-style");
    CHECK(p.services[0].service.name == "Colon style");
    CHECK(ports(p.services[0]) == std::vector<std::string>{"7000/tcp"});
}

TEST_CASE("ufw: names and fields ufw refuses are refused", "[import]") {
    Parsed p = parse_file("bad-names");
    CHECK(p.services.empty());
    REQUIRE(p.warnings.size() == 5);
    CHECK(p.warnings[0].starts_with("1:1: bad profile name 'all'"));
    CHECK(p.warnings[1].starts_with("6:1: bad profile name '123'"));
    CHECK(p.warnings[2].starts_with("11:1: bad profile name 'bad/name'"));
    CHECK(p.warnings[3] == "16:1: [No Description] has no description: profile skipped");
    CHECK(p.warnings[4] ==
          "22:1: 'title' given twice in [Twice Keyed] (first at line 21): profile skipped");
}

TEST_CASE("ufw: binary files are warnings, never a stop", "[import]") {
    Parsed garbage = parse_file("zz-garbage");
    CHECK(garbage.services.empty());
    CHECK(garbage.warnings ==
          std::vector<std::string>{"1:1: not a ufw profile file: NUL byte (this is not a text "
                                   "file)"});
    Parsed binary = parse_file("zz-binary");
    CHECK(binary.services.empty());
    CHECK(binary.warnings.size() == 2);
}

TEST_CASE("ufw: the directory as ufw reads it", "[import]") {
    std::vector<Diagnostic> w;
    auto files = read_import_dirs({profiles_dir}, ufw_file_wanted, w);
    CHECK(files.size() == 9); // web-stack.dpkg-old is a packager's backup
    auto all = import_ufw(files, w);
    CHECK(ids(all) == std::vector<std::string>{"ufw-bad-ports", "ufw-bind9-dns", "ufw-colon-style",
                                               "ufw-good-profile", "ufw-mosh", "ufw-web-server",
                                               "ufw-web-server-https"});
    // zz-later redefines Mosh: the last one wins, with a warning (same directory).
    const auto& mosh = all[4];
    CHECK(ports(mosh) == std::vector<std::string>{"60001-60010/udp"});
    CHECK(w.back().str() == profiles_dir +
                                "/zz-later:2:1: profile 'ufw-mosh' replaces the one of " +
                                profiles_dir + "/web-stack:13:1");
    CHECK(w.size() == 17);
}

TEST_CASE("ufw: the port grammar", "[import]") {
    std::string why;
    auto list = parse_ufw_port_list("8000:8010,9000", &why);
    REQUIRE(list);
    CHECK(*list == std::vector<Interval>{{8000, 8010}, {9000, 9000}});
    CHECK_FALSE(parse_ufw_port_list("1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", &why));
    CHECK(why == "more than 15 ports in '1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16' (ufw's limit)");
    CHECK(parse_ufw_port_list("1,2,3,4,5,6,7,8,9,10,11,12,13,14,15", &why));
    CHECK_FALSE(parse_ufw_port_list(",22", &why));
    CHECK_FALSE(parse_ufw_port_list("22:", &why));
    CHECK_FALSE(parse_ufw_port_list("", &why));
    CHECK_FALSE(parse_ufw_port_list("123456", &why));
    auto both = parse_ufw_ports("53", &why);
    REQUIRE(both);
    CHECK(port_words(*both) == std::vector<std::string>{"53/tcp", "53/udp"});
    CHECK(parse_ufw_ports("53/any", &why)->size() == 2);
    CHECK_FALSE(parse_ufw_ports("53/tcp/udp", &why));
    CHECK_FALSE(parse_ufw_ports("1:2", &why));
    CHECK(valid_ufw_profile_name("Apache Full"));
    CHECK(valid_ufw_profile_name("a.b_c+d-e"));
    CHECK_FALSE(valid_ufw_profile_name(" lead"));
    CHECK_FALSE(valid_ufw_profile_name(std::string(65, 'a')));
}
