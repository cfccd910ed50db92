// SPDX-License-Identifier: GPL-2.0-or-later
// The catalogue we ship: it parses, and it covers every port fact of the five seed documents
// (tests/data/seed-facts.tsv is the hand transcription of those documents, fact by fact).
#include "core/catalog.hpp"
#include "core/config.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

using namespace portcullis;

namespace {

const std::string src = PORTCULLIS_SOURCE_DIR;

const Catalog& shipped() {
    static const Catalog c = load_catalog({src + "/conf/catalog.d"});
    return c;
}

bool covers(const std::vector<PortRange>& have, const PortRange& want) {
    IntervalSet set;
    for (const auto& h : have)
        if (h.proto == want.proto)
            set.add({h.first, h.last});
    if (want.proto == Proto::icmp || want.proto == Proto::icmpv6)
        return !set.empty();
    return set.covers({want.first, want.last});
}

} // namespace

TEST_CASE("every shipped catalogue file parses on its own", "[catalog][shipped]") {
    std::size_t files = 0;
    for (const auto& e : std::filesystem::directory_iterator(src + "/conf/catalog.d")) {
        if (e.path().extension() != ".toml")
            continue;
        ++files;
        std::ifstream in(e.path());
        std::stringstream ss;
        ss << in.rdbuf();
        INFO(e.path());
        CHECK_NOTHROW(parse_catalog_text(ss.str(), e.path().string()));
    }
    CHECK(files >= 2);
    CHECK(shipped().size() > 100);
}

TEST_CASE("shipped services are complete and safe", "[catalog][shipped]") {
    for (const Service& s : shipped().services()) {
        INFO(s.id);
        CHECK_FALSE(s.name.empty());
        CHECK((s.vendor == "synology" || s.vendor == "apple"));
        CHECK_FALSE(s.category.empty());
        CHECK_FALSE(s.source.empty());
        CHECK((!s.ports.empty() || !s.optional.empty() || !s.remote.empty()));
        // Huge holes are optional, never opened just because a service is enabled.
        for (const auto& p : s.ports)
            CHECK(p.last - p.first < 1024);
        if (s.vendor == "apple")
            CHECK(s.id.rfind("apple-", 0) == 0);
    }
    const Service* ftp = shipped().find("ftp");
    REQUIRE(ftp);
    CHECK(ftp->helpers == std::vector<std::string>{"ftp"});
    CHECK(covers(ftp->optional, {Proto::tcp, 1025, 65535}));
    CHECK_FALSE(covers(ftp->ports, {Proto::tcp, 1025, 1025}));
}

TEST_CASE("the shipped catalogue covers every seed port fact", "[catalog][shipped]") {
    std::ifstream in(src + "/tests/data/seed-facts.tsv");
    REQUIRE(in);
    std::string line;
    std::size_t facts = 0;
    std::set<std::string> docs;
    unsigned lineno = 0;
    while (std::getline(in, line)) {
        ++lineno;
        if (line.empty() || line[0] == '#')
            continue;
        std::vector<std::string> f;
        std::stringstream ss(line);
        for (std::string field; std::getline(ss, field, '\t');)
            f.push_back(field);
        INFO("seed-facts.tsv:" << lineno << ": " << line);
        REQUIRE(f.size() >= 4);
        docs.insert(f[0]);
        const Service* s = shipped().find(f[1]);
        REQUIRE(s);
        auto want = parse_port_range(f[2]);
        REQUIRE(want);
        bool covered =
            covers(s->ports, *want) || covers(s->optional, *want) || covers(s->remote, *want);
        CHECK(covered);
        CHECK(s->vendor == (f[0].rfind("apple", 0) == 0 ? "apple" : "synology"));
        ++facts;
    }
    CHECK(docs == std::set<std::string>{"syno-2025", "syno-2020", "apple-pl", "apple-da"});
    CHECK(facts > 400);
}

TEST_CASE("the shipped example configs are valid against the shipped catalogue",
          "[config][shipped]") {
    for (const char* rel :
         {"/conf/portcullis.toml", "/conf/examples/router.toml", "/conf/examples/nas.toml"}) {
        INFO(rel);
        Config cfg = load_config(src + rel);
        Catalog cat = load_catalog({src + "/conf/catalog.d"});
        CHECK_NOTHROW(validate(cfg, cat));
    }
}
