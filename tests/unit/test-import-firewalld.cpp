// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/import-firewalld.hpp"
#include "core/import.hpp"
#include "tmpdir.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

using namespace portcullis;

namespace {

const std::string fixtures = std::string(PORTCULLIS_SOURCE_DIR) + "/tests/data/import";

struct Loaded {
    std::vector<ImportedService> services;
    std::vector<Diagnostic> warnings;

    [[nodiscard]] const ImportedService* find(std::string_view id) const {
        for (const auto& s : services)
            if (s.service.id == id)
                return &s;
        return nullptr;
    }
    [[nodiscard]] std::vector<std::string> ports(std::string_view id) const {
        const ImportedService* s = find(id);
        return s ? port_words(s->service.ports) : std::vector<std::string>{"(missing)"};
    }
    // The warnings of one fixture file, as "LINE:COLUMN: message".
    [[nodiscard]] std::vector<std::string> warnings_of(const std::string& file) const {
        std::vector<std::string> out;
        for (const auto& w : warnings)
            if (w.pos.file.ends_with("/" + file))
                out.push_back(std::to_string(w.pos.line) + ":" + std::to_string(w.pos.column) +
                              ": " + w.message);
        return out;
    }
};

Loaded load_fixtures() {
    Loaded l;
    ImportConfig cfg;
    cfg.firewalld = {fixtures + "/firewalld-services", fixtures + "/firewalld-services-etc"};
    l.services = load_imports_detailed(cfg, &l.warnings);
    return l;
}

std::vector<std::string> warnings_for(std::string_view xml) {
    std::vector<Diagnostic> w;
    auto s = parse_firewalld_service(xml, "/x/svc.xml", w);
    std::vector<std::string> out;
    out.reserve(w.size());
    for (const auto& d : w)
        out.push_back(d.str());
    return out;
}

} // namespace

TEST_CASE("firewalld: services map to ids, names, ports, helpers and sources", "[import]") {
    Loaded l = load_fixtures();
    const ImportedService* ssh = l.find("firewalld-ssh");
    REQUIRE(ssh);
    CHECK(ssh->service.name == "Secure Shell");
    CHECK(ssh->service.vendor == "firewalld");
    CHECK(ssh->service.source == fixtures + "/firewalld-services/ssh.xml");
    CHECK(to_string(ssh->service.origin) == ssh->service.source + ":3:1");
    CHECK(l.ports("firewalld-ssh") == std::vector<std::string>{"22/tcp"});
    CHECK(l.find("firewalld-ftp")->service.helpers == std::vector<std::string>{"ftp"});
    // The old <module name="nf_conntrack_ftp"/> is the ftp helper; no <short>: the file name.
    CHECK(l.find("firewalld-old-ftp")->service.helpers == std::vector<std::string>{"ftp"});
    CHECK(l.find("firewalld-old-ftp")->service.name == "old-ftp");
    CHECK(l.find("firewalld-tftp")->service.helpers.empty());
    CHECK(l.warnings_of("tftp.xml") ==
          std::vector<std::string>{
              "6:3: conntrack helper 'tftp' is not supported by portcullis (only ftp): skipped"});
    // <destination> is a note, not a warning.
    CHECK(l.find("firewalld-mdns")->notes ==
          std::vector<std::string>{"firewalld limits it to destination ipv4 224.0.0.251, ipv6 "
                                   "ff02::fb; portcullis opens its ports for every address of "
                                   "the box"});
    CHECK(l.warnings_of("mdns.xml").empty());
    CHECK(l.services.size() == 15);
}

TEST_CASE("firewalld: includes are resolved across files, loops and ghosts reported", "[import]") {
    Loaded l = load_fixtures();
    // web includes http and https; http comes from the later directory (the /etc override).
    CHECK(l.ports("firewalld-web") == std::vector<std::string>{"443/tcp", "8080/tcp", "8081/tcp"});
    CHECK(l.ports("firewalld-http") == std::vector<std::string>{"8081/tcp"});
    CHECK(l.find("firewalld-http")->service.source ==
          fixtures + "/firewalld-services-etc/http.xml");
    // A loop is reported once, and both services still load.
    CHECK(l.ports("firewalld-loop-a") == std::vector<std::string>{"7001/tcp", "7002/udp"});
    CHECK(l.ports("firewalld-loop-b") == std::vector<std::string>{"7002/udp"});
    CHECK(l.warnings_of("loop-a.xml").empty());
    CHECK(l.warnings_of("loop-b.xml") ==
          std::vector<std::string>{"6:3: include loop loop-a -> loop-b -> loop-a: ignored"});
    CHECK(l.ports("firewalld-missing-include") == std::vector<std::string>{"4000/tcp"});
    CHECK(l.warnings_of("missing-include.xml") ==
          std::vector<std::string>{"6:3: include of unknown service 'no-such-service': ignored"});
}

TEST_CASE("firewalld: bad entries are skipped one by one, with FILE:LINE:COLUMN", "[import]") {
    Loaded l = load_fixtures();
    CHECK(l.ports("firewalld-bad-ports") == std::vector<std::string>{"3260/tcp", "6000-6010/udp"});
    CHECK(l.warnings_of("bad-ports.xml") ==
          std::vector<std::string>{
              "5:3: bad port '70000' (use 1-65535 or FIRST-LAST): skipped",
              "6:3: bad port 'abc' (use 1-65535 or FIRST-LAST): skipped",
              "7:3: bad port '100-' (use 1-65535 or FIRST-LAST): skipped",
              "8:3: port 5000/sctp: portcullis has no sctp (tcp and udp only): skipped",
              "10:3: <port> without protocol: skipped"});
    // Unknown protocols: skipped with a warning; icmp and both spellings of icmpv6 map.
    CHECK(l.ports("firewalld-odd-protocols") == std::vector<std::string>{"icmp", "icmpv6"});
    CHECK(l.warnings_of("odd-protocols.xml") ==
          std::vector<std::string>{
              "5:3: protocol 'gre' is not supported by portcullis (icmp and icmpv6 only): skipped",
              "8:3: protocol 'igmp' is not supported by portcullis (icmp and icmpv6 only): "
              "skipped"});
    // A service with nothing portcullis can open is still a service.
    REQUIRE(l.find("firewalld-gre-only"));
    CHECK(l.find("firewalld-gre-only")->service.ports.empty());
    CHECK(l.warnings_of("sip-like.xml") ==
          std::vector<std::string>{
              "6:3: <source-port> ignored: portcullis matches destination ports only",
              "7:3: unknown element <frobnicate>: ignored"});
    CHECK(l.ports("firewalld-sip-like") == std::vector<std::string>{"5060/udp"});
}

TEST_CASE("firewalld: a file that is not a service is one warning", "[import]") {
    Loaded l = load_fixtures();
    CHECK(l.warnings_of("broken.xml") ==
          std::vector<std::string>{"5:1: cannot read the file: expected an attribute name"});
    CHECK(l.warnings_of("not-a-service.xml") ==
          std::vector<std::string>{"3:1: <zone> is not a firewalld <service>"});
    CHECK_FALSE(l.find("firewalld-broken"));
    CHECK_FALSE(l.find("firewalld-not-a-service"));
    // Counted over the fixtures: the test prints nothing, but the total must stay exact.
    CHECK(l.warnings.size() == 15);
}

TEST_CASE("firewalld: port and protocol grammar", "[import]") {
    std::string why;
    CHECK(parse_firewalld_port(" 22 ", "tcp", &why) == PortRange{Proto::tcp, 22, 22});
    CHECK(parse_firewalld_port("2000-1000", "udp", &why) == PortRange{Proto::udp, 1000, 2000});
    CHECK_FALSE(parse_firewalld_port("0", "tcp", &why));
    CHECK_FALSE(parse_firewalld_port("1-2-3", "tcp", &why));
    CHECK_FALSE(parse_firewalld_port("22", "dccp", &why));
    CHECK(why == "port 22/dccp: portcullis has no dccp (tcp and udp only)");
    CHECK_FALSE(parse_firewalld_port("22", "TCP", &why));
    CHECK(why == "bad protocol 'TCP' for port 22 (tcp or udp)");
    CHECK(parse_firewalld_protocol("ipv6-icmp", &why) == PortRange{Proto::icmpv6, 0, 0});
    CHECK_FALSE(parse_firewalld_protocol("tcp", &why));
}

TEST_CASE("firewalld: hostile files are warnings", "[import]") {
    CHECK(warnings_for("") == std::vector<std::string>{"/x/svc.xml:1:1: cannot read the file: "
                                                       "no root element"});
    CHECK(warnings_for("<service><include/></service>") ==
          std::vector<std::string>{"/x/svc.xml:1:10: <include> without service: skipped"});
    std::vector<Diagnostic> w;
    CHECK_FALSE(parse_firewalld_service("<service/>", "/x/noext", w));
    CHECK(w.at(0).str() == "/x/noext: not a firewalld service file (NAME.xml)");
    // Deep include chains stop at a depth limit instead of the stack.
    std::vector<FirewalldService> chain;
    for (int i = 0; i < 40; ++i) {
        FirewalldService s;
        s.name = "s" + std::to_string(i);
        s.path = "/x/" + s.name + ".xml";
        s.ports = {{Proto::tcp, static_cast<std::uint16_t>(1000 + i),
                    static_cast<std::uint16_t>(1000 + i)}};
        if (i + 1 < 40)
            s.includes.push_back({"s" + std::to_string(i + 1), {s.path, 2, 1}});
        chain.push_back(s);
    }
    std::vector<Diagnostic> cw;
    auto out = resolve_firewalld(chain, cw);
    CHECK(out.size() == 40);
    CHECK_FALSE(cw.empty());
    CHECK(cw[0].message.starts_with("includes nested deeper than 16"));
}

TEST_CASE("imported ids", "[import]") {
    CHECK(imported_id("ufw", "Apache Full") == "ufw-apache-full");
    CHECK(imported_id("ufw", "Nginx  HTTP") == "ufw-nginx-http");
    CHECK(imported_id("firewalld", "RH-Satellite-6") == "firewalld-rh-satellite-6");
    CHECK(imported_id("ufw", "Foo_Bar.v2+") == "ufw-foo-bar-v2");
    CHECK(imported_id("ufw", "+++").empty());
    CHECK(imported_id("ufw", std::string(100, 'a')).size() == 64);
    CHECK(imported_id("ufw", std::string(59, 'a') + "-b").size() == 63); // no trailing '-'
    CHECK(valid_service_id(imported_id("firewalld", "x_y")));
}

TEST_CASE("import files: missing directories are silent, odd files are warnings", "[import]") {
    testutil::TempDir dir;
    dir.write("a/ok.xml", "<service><port port='1' protocol='tcp'/></service>");
    dir.write("a/.hidden.xml", "<service/>");
    dir.write("a/notes.txt", "not xml");
    dir.write("a/big.xml", std::string(max_import_file_size + 1, ' '));
    std::filesystem::create_directories(dir.path() / "a/dir.xml");
    std::vector<Diagnostic> w;
    auto files =
        read_import_dirs({dir.str() + "/a", dir.str() + "/missing"}, firewalld_file_wanted, w);
    REQUIRE(files.size() == 1);
    CHECK(files[0].path == dir.str() + "/a/ok.xml");
    REQUIRE(w.size() == 1);
    CHECK(w[0].str() == dir.str() + "/a/big.xml: larger than 1 MiB: skipped");

    // With a root, files are read under it and shown as on the box.
    w.clear();
    auto rooted = read_import_dirs({"/a"}, firewalld_file_wanted, w, dir.str());
    REQUIRE(rooted.size() == 1);
    CHECK(rooted[0].path == "/a/ok.xml");
    CHECK(read_import_file("/a/ok.xml", w, dir.str())->text.starts_with("<service>"));
    CHECK_FALSE(read_import_file("/a/none.xml", w, dir.str()));
    CHECK(ufw_file_wanted("apache2"));
    CHECK_FALSE(ufw_file_wanted("apache2.dpkg-dist"));
    CHECK_FALSE(ufw_file_wanted("apache2~"));
}

TEST_CASE("import: both formats together, sorted, with no config meaning nothing", "[import]") {
    ImportConfig cfg;
    CHECK(load_imports(cfg, nullptr).empty());
    cfg.firewalld = {fixtures + "/firewalld-services"};
    cfg.ufw = {fixtures + "/ufw-profiles"};
    auto all = load_imports(cfg, nullptr);
    CHECK(std::is_sorted(all.begin(), all.end(),
                         [](const Service& a, const Service& b) { return a.id < b.id; }));
    CHECK(std::count_if(all.begin(), all.end(),
                        [](const Service& s) { return s.id.starts_with("ufw-"); }) == 7);
}
