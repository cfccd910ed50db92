// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/config.hpp"
#include "core/import-sc.hpp"
#include "tmpdir.hpp"

#include <catch2/catch.hpp>
#include <filesystem>

using namespace portcullis;

namespace {

std::vector<std::string> words(const ScPorts& p) {
    return port_words(p.ports);
}

std::vector<std::string> problems(const ScPorts& p) {
    std::vector<std::string> out;
    for (const auto& x : p.problems)
        out.push_back(std::to_string(x.offset) + ": " + x.message);
    return out;
}

std::vector<std::string> lines(const std::vector<Diagnostic>& w) {
    std::vector<std::string> out;
    out.reserve(w.size());
    for (const auto& d : w)
        out.push_back(std::to_string(d.pos.line) + ":" + std::to_string(d.pos.column) + ": " +
                      d.message);
    return out;
}

using V = std::vector<std::string>;

} // namespace

TEST_CASE("sc: dst.ports as packages write it", "[import-sc]") {
    CHECK(words(parse_sc_ports("22000/tcp")) == V{"22000/tcp"});
    CHECK(words(parse_sc_ports("8280,8281/tcp")) == V{"8280/tcp", "8281/tcp"});
    CHECK(words(parse_sc_ports("6885:6999/udp")) == V{"6885-6999/udp"});
    CHECK(words(parse_sc_ports("64738/tcp,udp")) == V{"64738/tcp", "64738/udp"});
    CHECK(words(parse_sc_ports("53/udp,53/tcp")) == V{"53/tcp", "53/udp"});
    CHECK(words(parse_sc_ports("1,2,3,4:5/tcp,udp")) ==
          V{"1/tcp", "2/tcp", "3/tcp", "4-5/tcp", "1/udp", "2/udp", "3/udp", "4-5/udp"});
    // No protocol at all: both (go2rtc's "WebRTC (TCP,UDP)", RustDesk's "ID Server (TCP+UDP)").
    CHECK(words(parse_sc_ports("8555")) == V{"8555/tcp", "8555/udp"});
    CHECK(words(parse_sc_ports("80/tcp,443")) == V{"80/tcp", "443/tcp", "443/udp"});
    CHECK(words(parse_sc_ports("137:139/UDP, 445/TCP")) == V{"445/tcp", "137-139/udp"});
    CHECK(words(parse_sc_ports("7000-7010/tcp")) == V{"7000-7010/tcp"});
    CHECK(words(parse_sc_ports("5000/tcp,5000/tcp")) == V{"5000/tcp"});
    CHECK(parse_sc_ports("").ports.empty());
    CHECK(parse_sc_ports("").problems.empty());
}

TEST_CASE("sc: a bad item of dst.ports skips that item only", "[import-sc]") {
    ScPorts p = parse_sc_ports("80,http,70000/tcp,0,9:8/udp,udp,,443");
    CHECK(words(p) == V{"80/tcp", "443/tcp", "443/udp"});
    CHECK(problems(p) == V{"3: bad port 'http'", "8: port 70000 is out of range 1-65535",
                           "18: port 0 is out of range 1-65535",
                           "20: bad range '9:8' (FIRST:LAST with FIRST <= LAST)",
                           "32: empty item"});
    CHECK(problems(parse_sc_ports("udp,80/tcp")) == V{"0: protocol 'udp' follows no PORT/PROTO"});
    CHECK(problems(parse_sc_ports("80/tcp/udp")) ==
          V{"3: protocol 'tcp/udp' is not supported (tcp, udp or tcp,udp); the ports before it "
            "are skipped"});
}

TEST_CASE("sc: an unknown protocol drops its group, not the next", "[import-sc]") {
    ScPorts p = parse_sc_ports("47,48/gre,1723/tcp");
    CHECK(words(p) == V{"1723/tcp"});
    CHECK(problems(p) ==
          V{"6: protocol 'gre' is not supported (tcp, udp or tcp,udp); the ports before it "
            "are skipped"});
}

TEST_CASE("sc: a file with several sections", "[import-sc]") {
    std::vector<Diagnostic> w;
    auto v = parse_sc_file("[aria2]\n"
                           "title=\"API (RPC)\"\n"
                           "desc=\"Aria2 API\"\n"
                           "port_forward=\"yes\"\n"
                           "dst.ports=\"6800/tcp\"\n"
                           "\n"
                           "[aria2_dht]\n"
                           "title=\"DHT (UDP)\"\n"
                           "desc=\"DHT (UDP)\"\n"
                           "src.ports=\"6881/udp\"\n"
                           "dst.ports=6885:6999/udp\n",
                           "/x/aria2.sc", "aria2", w);
    CHECK(w.empty());
    REQUIRE(v.size() == 2);
    const Service& a = v[0].service;
    CHECK(a.id == "syno-aria2");
    CHECK(a.name == "Aria2 API: API (RPC)");
    CHECK(a.vendor == "dsm");
    CHECK(port_words(a.ports) == V{"6800/tcp"});
    CHECK(a.packages == V{"aria2"});
    CHECK(a.units == V{"pkgctl-aria2.service"});
    CHECK(a.source == "/x/aria2.sc");
    CHECK(a.origin.line == 1);
    const Service& d = v[1].service;
    CHECK(d.id == "syno-aria2-dht");
    CHECK(d.name == "DHT (UDP)");
    CHECK(port_words(d.ports) == V{"6885-6999/udp"}); // src.ports is not opened
    CHECK(d.origin.line == 7);
}

TEST_CASE("sc: bad lines are reported and skip only themselves", "[import-sc]") {
    std::vector<Diagnostic> w;
    auto v = parse_sc_file("stray=1\n"
                           "[web]\n"
                           "title=\"Web\n"
                           "dst.ports=\"80/tcp,x443/tcp\"\n"
                           "dst.ports=\"81/tcp\"\n"
                           "this line has no equals sign\n"
                           "[nothing]\n"
                           "title=\"no ports\"\n"
                           "[badports]\n"
                           "dst.ports=\"99999\"\n"
                           "[@@@]\n"
                           "dst.ports=\"1/tcp\"\n"
                           "[Web]\n"
                           "dst.ports=\"8080/tcp\"\n",
                           "/x/f.sc", "", w);
    REQUIRE(v.size() == 1);
    CHECK(v[0].service.id == "syno-web");
    CHECK(v[0].service.name == "web");
    CHECK(port_words(v[0].service.ports) == V{"80/tcp"});
    CHECK(v[0].service.packages.empty());
    CHECK(v[0].service.units.empty());
    CHECK(lines(w) ==
          V{"3:7: no closing \": line skipped", "6:1: expected KEY=VALUE: line skipped",
            "1:1: 'stray' is outside any [section]: line skipped",
            "5:1: 'dst.ports' given twice in [web]; line 4 is used",
            "4:19: bad port 'x443' in dst.ports of [web]: skipped",
            "7:1: [nothing] has no dst.ports (the ports DSM opens for it): skipped",
            "10:12: port 99999 is out of range 1-65535 in dst.ports of [badports]: skipped",
            "10:1: [badports] opens no port: skipped", "11:1: section [@@@] gives no id: skipped",
            "13:1: [Web] gives the id 'syno-web' of line 2 again: skipped"});
}

TEST_CASE("sc: which package a file belongs to", "[import-sc]") {
    testutil::TempDir d;
    std::string pk = d.str() + "/packages";
    // By name, DSM's convention.
    std::filesystem::create_directories(pk + "/Syncthing/target");
    // By conf/resource: the file DSM copied is named differently from the package.
    d.write("packages/Mosquitto/conf/resource",
            "{\n  \"port-config\" : { \"protocol-file\" : \"app\\/mqtt-broker.sc\" } }\n");
    d.write("packages/Mosquitto/target/app/mqtt-broker.sc", "[mqtt]\ndst.ports=\"1883/tcp\"\n");
    // Two packages naming the same file: the one whose copy has the same text.
    d.write("packages/A/conf/resource", R"({"port-config":{"protocol-file":"ports.sc"}})");
    d.write("packages/A/target/ports.sc", "[a]\ndst.ports=\"1/tcp\"\n");
    d.write("packages/B/conf/resource", R"({"port-config":{"protocol-file":"x/ports.sc"}})");
    d.write("packages/B/target/x/ports.sc", "[b]\ndst.ports=\"2/tcp\"\n");
    // A file inside a package's own tree (a symlink into target/ resolves there).
    std::string inner = d.write("packages/Other/target/etc/svc.sc", "[o]\ndst.ports=\"3/tcp\"\n");
    std::filesystem::create_directories(d.path() / "services.d");
    std::filesystem::create_symlink(inner, d.path() / "services.d" / "linked.sc");

    ScPackageIndex index(pk);
    CHECK(index.package_of(d.str() + "/services.d/Syncthing.sc", "") == "Syncthing");
    CHECK(index.package_of(d.str() + "/services.d/mqtt-broker.sc", "") == "Mosquitto");
    CHECK(index.package_of(d.str() + "/services.d/ports.sc", "[b]\ndst.ports=\"2/tcp\"\n") == "B");
    CHECK(index.package_of(d.str() + "/services.d/ports.sc", "[c]\n").empty());
    CHECK(index.package_of(d.str() + "/services.d/linked.sc", "") == "Other");
    CHECK(index.package_of(d.str() + "/services.d/ssh.sc", "").empty());
    CHECK(ScPackageIndex(d.str() + "/missing").package_of(d.str() + "/x/Syncthing.sc", "").empty());
}

TEST_CASE("sc: resource_protocol_file reads one key", "[import-sc]") {
    CHECK(resource_protocol_file(R"({"port-config":{"protocol-file":"port_conf/xxdns.sc"}})") ==
          "port_conf/xxdns.sc");
    CHECK(resource_protocol_file(R"({"usr-local-linker":{"bin":["bin/x"]}})").empty());
    CHECK(resource_protocol_file(R"({"protocol-file": 3})").empty());
    CHECK(resource_protocol_file(R"({"protocol-file": "unterminated)").empty());
}

TEST_CASE("sc: loading directories, later files replacing earlier sections", "[import-sc]") {
    testutil::TempDir d;
    std::filesystem::create_directories(d.path() / "packages" / "PcWeb");
    d.write("syno/dsm.sc", "[ssh]\ntitle=\"SSH\"\ndst.ports=\"22/tcp\"\n[web]\ndst.ports=\"80\"\n");
    d.write("local/PcWeb.sc", "[web]\ndst.ports=\"18080/tcp\"\n");
    d.write("local/notes.txt", "[ignored]\ndst.ports=\"1/tcp\"\n");
    std::vector<Diagnostic> w;
    auto v = load_sc_services({d.str() + "/syno", d.str() + "/missing", d.str() + "/local"},
                              d.str() + "/packages", &w);
    REQUIRE(v.size() == 2);
    CHECK(v[0].id == "syno-ssh");
    CHECK(v[0].packages.empty());
    CHECK(v[1].id == "syno-web");
    CHECK(port_words(v[1].ports) == V{"18080/tcp"});
    CHECK(v[1].packages == V{"PcWeb"});
    REQUIRE(w.size() == 1);
    CHECK(w[0].str() == d.str() + "/local/PcWeb.sc:1:1: 'syno-web' replaces the one of " + d.str() +
                            "/syno/dsm.sc:4:1");
}

TEST_CASE("sc: the TOML catalogue wins over .sc services", "[import-sc]") {
    Catalog cat;
    Service curated;
    curated.id = "syncthing";
    curated.packages = {"syncthing"};
    cat.add_or_replace(curated);
    Service same_id;
    same_id.id = "syno-ssh";
    same_id.name = "curated ssh";
    cat.add_or_replace(same_id);

    auto sc = [](std::string id, std::vector<std::string> packages) {
        Service s;
        s.id = std::move(id);
        s.packages = std::move(packages);
        return s;
    };
    add_sc_services(cat, {sc("syno-syncthing-bep", {"syncthing"}), sc("syno-ssh", {}),
                          sc("syno-aria2", {"aria2"}), sc("syno-smb", {})});
    std::vector<std::string> ids;
    for (const auto& s : cat.services())
        ids.push_back(s.id);
    CHECK(ids == V{"syncthing", "syno-aria2", "syno-smb", "syno-ssh"});
    CHECK(cat.find("syno-ssh")->name == "curated ssh");
}

TEST_CASE("sc: [synology] services_dirs and its default", "[import-sc]") {
    const std::string file = "/etc/portcullis/portcullis.toml";
    CHECK(parse_config_text("", file).synology.services_dirs.empty());
    CHECK(parse_config_text("[synology]\nenabled = true\n", file).synology.services_dirs ==
          V{"/usr/syno/etc/services.d", "/usr/local/etc/services.d"});
    CHECK(parse_config_text("[synology]\nenabled = true\nservices_dirs = []\n", file)
              .synology.services_dirs.empty());
    CHECK(parse_config_text("[synology]\nservices_dirs = [\"sc\", \"/abs/sc\"]\n", file)
              .synology.services_dirs == V{"/etc/portcullis/sc", "/abs/sc"});
    try {
        parse_config_text("[synology]\nservices_dirs = [\"\"]\n", file);
        FAIL("an empty entry was accepted");
    } catch (const ConfigError& e) {
        CHECK(std::string(e.what()) == file + ":2:18: services_dirs entries cannot be empty");
    }
}

TEST_CASE("sc: load_all imports .sc services, warns, and lets the catalogue win", "[import-sc]") {
    testutil::TempDir d;
    d.write("catalog.d/a.toml", "[[service]]\nid = \"pc-web\"\nname = \"Web\"\n"
                                "ports = [\"18080/tcp\"]\npackages = [\"PcWeb\"]\n");
    std::filesystem::create_directories(d.path() / "packages" / "PcWeb" / "target");
    std::filesystem::create_directories(d.path() / "packages" / "PcApp" / "target");
    d.write("services.d/PcWeb.sc", "[pcweb]\ndst.ports=\"18081/tcp\"\n");
    d.write("services.d/PcApp.sc", "[pcapp]\ndst.ports=\"18443,18444/tcp\"\nbad line\n");
    std::string cfg = d.write("p.toml", "catalog_dirs = [\"catalog.d\"]\n[synology]\n"
                                        "enabled = true\npackages_dir = \"packages\"\n"
                                        "services_dirs = [\"services.d\"]\n"
                                        "[always]\nservices = [\"syno-pcapp\"]\n");
    Loaded l = load_all(cfg);
    std::vector<std::string> ids;
    for (const auto& s : l.catalog.services())
        ids.push_back(s.id);
    CHECK(ids == V{"pc-web", "syno-pcapp"}); // PcWeb's own .sc gives way to the curated entry
    const Service* app = l.catalog.find("syno-pcapp");
    REQUIRE(app);
    CHECK(app->packages == V{"PcApp"});
    CHECK(app->source == d.str() + "/services.d/PcApp.sc");
    REQUIRE(l.warnings.size() == 1);
    CHECK(l.warnings[0].str() ==
          d.str() + "/services.d/PcApp.sc:3:1: expected KEY=VALUE: line skipped");
}
