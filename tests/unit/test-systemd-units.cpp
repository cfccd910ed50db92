// SPDX-License-Identifier: GPL-2.0-or-later
// The systemd watcher's unit model: pattern selection, and how snapshots and signals change the
// map. Reading systemd's messages is in test-systemd-watcher.cpp; the bus side is covered by
// tests/integration/systemd/.
#include "sources/systemd-units.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

using namespace portcullis;

namespace {

UnitState st(std::string file, std::string active) {
    return {std::move(file), std::move(active)};
}

using Loaded = std::vector<std::pair<std::string, std::string>>;

} // namespace

TEST_CASE("templates are told apart from instances and plain units", "[systemd]") {
    CHECK(unit_is_template("openvpn-server@.service"));
    CHECK_FALSE(unit_is_template("openvpn-server@home.service"));
    CHECK_FALSE(unit_is_template("ssh.service"));
    CHECK_FALSE(unit_is_template("@"));
}

TEST_CASE("patterns become fnmatch globs for the *ByPatterns calls", "[systemd]") {
    // Sorted, each once.
    CHECK(unit_globs({"ssh.service", "openvpn-server@.service", "ssh.service"}) ==
          std::vector<std::string>{"openvpn-server@*.service", "ssh.service"});
    CHECK(unit_globs({}).empty());
}

TEST_CASE("patterns select concrete names and every instance of a template", "[systemd]") {
    UnitTable t;
    t.set_patterns({"ssh.service", "openvpn-server@.service"});
    CHECK(t.matches("ssh.service"));
    CHECK(t.matches("openvpn-server@home.service"));
    CHECK_FALSE(t.matches("openvpn-server@.service")); // the template is not a unit
    CHECK_FALSE(t.matches("openvpn-server@a.b.service"));
    CHECK_FALSE(t.matches("openvpn-client@home.service"));
    CHECK_FALSE(t.matches("sshd.service"));
    CHECK_FALSE(t.matches(""));
}

TEST_CASE("a full snapshot of loaded units plus file states builds the map", "[systemd]") {
    UnitTable t;
    t.set_patterns({"ssh.service", "nfs-server.service", "smbd.service", "gone.service"});
    t.apply_loaded({{"ssh.service", "active"}, {"gone.service", "inactive"}}, nullptr);
    t.set_file_state("ssh.service", "enabled");
    t.set_file_state("nfs-server.service", "disabled"); // a unit file, not loaded
    t.set_file_state("gone.service", "");               // loaded, not-found: says nothing
    CHECK(t.units() == UnitTable::Map{{"nfs-server.service", st("disabled", "inactive")},
                                      {"ssh.service", st("enabled", "active")}});

    // The next snapshot no longer lists ssh: it was stopped and unloaded.
    t.apply_loaded({}, nullptr);
    CHECK(t.units().at("ssh.service") == st("enabled", "inactive"));
}

TEST_CASE("the end of a resync asks one by one for units without a listed file", "[systemd]") {
    UnitTable t;
    t.set_patterns({"ssh.service", "vpn@.service", "gone.service", "gen.service"});
    t.set_active_state("gone.service", "active"); // known, its file removed since
    const std::vector<std::string> loaded{"ssh.service", "vpn@home.service", "gen.service"};
    const std::map<std::string, std::string> files{{"ssh.service", "enabled"},
                                                   {"other.service", "enabled"}};
    // Sorted, each once: loaded or known, and not in the list of unit files.
    CHECK(t.apply_unit_files(files, loaded) ==
          std::vector<std::string>{"gen.service", "gone.service", "vpn@home.service"});
    CHECK(t.units().at("ssh.service") == st("enabled", "inactive"));
    CHECK_FALSE(t.units().contains("other.service")); // listed, but not selected
    CHECK(t.units().at("gone.service") == st("", "active"));

    // Nothing loaded, nothing known: nothing to ask.
    UnitTable empty;
    empty.set_patterns({"a.service"});
    CHECK(empty.apply_unit_files({{"a.service", "disabled"}}, {}).empty());
    CHECK(empty.units().at("a.service") == st("disabled", "inactive"));
}

TEST_CASE("a loaded unit without a unit file stays while it runs", "[systemd]") {
    UnitTable t;
    t.set_patterns({"x.service"});
    t.apply_loaded({{"x.service", "active"}}, nullptr);
    t.set_file_state("x.service", ""); // its file was removed; systemd still runs it
    CHECK(t.units().at("x.service") == st("", "active"));
    t.set_active_state("x.service", "inactive");
    CHECK(t.units().empty());
}

TEST_CASE("a scoped snapshot speaks only for the names it was asked about", "[systemd]") {
    UnitTable t;
    t.set_patterns({"a.service", "b.service"});
    t.set_file_state("a.service", "enabled");
    t.set_file_state("b.service", "enabled");
    t.set_active_state("a.service", "active");
    t.set_active_state("b.service", "active");
    std::vector<std::string> scope{"b.service"};
    t.apply_loaded({}, &scope); // b is not loaded any more; a was not asked about
    CHECK(t.units().at("a.service").active_state == "active");
    CHECK(t.units().at("b.service").active_state == "inactive");
}

TEST_CASE("signals move active states; unloading keeps the file state", "[systemd]") {
    UnitTable t;
    t.set_patterns({"a.service"});
    t.set_file_state("a.service", "enabled");
    CHECK(t.units().at("a.service") == st("enabled", "inactive"));
    t.set_active_state("a.service", "activating");
    t.set_active_state("a.service", "active");
    CHECK(t.units().at("a.service") == st("enabled", "active"));
    t.unit_unloaded("a.service");
    CHECK(t.units().at("a.service") == st("enabled", "inactive"));
    t.set_active_state("other.service", "active"); // not selected
    CHECK(t.units().size() == 1);
}

TEST_CASE("template instances are known while loaded or named by a symlink", "[systemd]") {
    UnitTable t;
    t.set_patterns({"vpn@.service"});
    t.apply_loaded({{"vpn@home.service", "active"}, {"vpn@work.service", "active"}}, nullptr);
    t.set_file_state("vpn@home.service", "enabled");
    t.set_file_state("vpn@work.service", "disabled"); // the template's answer for any instance
    CHECK(t.units().size() == 2);

    // Both stop and are unloaded: the enabled one is still wanted by a target; the other one
    // is gone for systemd, as a fresh resync would see it.
    t.unit_unloaded("vpn@home.service");
    t.unit_unloaded("vpn@work.service");
    CHECK(t.units() == UnitTable::Map{{"vpn@home.service", st("enabled", "inactive")}});

    // A masked instance is a file of its own.
    t.set_file_state("vpn@bad.service", "masked");
    CHECK(t.units().at("vpn@bad.service") == st("masked", "inactive"));
    // GetUnitFileState of an unloaded, never enabled instance adds nothing.
    t.set_file_state("vpn@other.service", "disabled");
    CHECK_FALSE(t.units().contains("vpn@other.service"));
}

TEST_CASE("new patterns drop the units they no longer select", "[systemd]") {
    UnitTable t;
    t.set_patterns({"a.service", "b@.service"});
    t.set_file_state("a.service", "enabled");
    t.set_active_state("b@x.service", "active");
    CHECK(t.units().size() == 2);
    t.set_patterns({"b@.service"});
    CHECK(t.units() == UnitTable::Map{{"b@x.service", st("", "active")}});
    t.set_patterns({});
    CHECK(t.units().empty());
    t.set_file_state("a.service", "enabled");
    CHECK(t.units().empty());
}

TEST_CASE("matching thousands of patterns is a lookup, with the same answers", "[systemd]") {
    UnitTable t;
    std::vector<std::string> patterns;
    for (int i = 4999; i >= 0; --i)
        patterns.push_back("svc" + std::to_string(i) + ".service");
    patterns.push_back("vpn@.service");
    patterns.push_back("x@.b.service");
    t.set_patterns(patterns);
    CHECK(t.matches("svc0.service"));
    CHECK(t.matches("svc4999.service"));
    CHECK_FALSE(t.matches("svc5000.service"));
    CHECK(t.matches("vpn@home.service"));
    CHECK_FALSE(t.matches("vpn@.service"));
    CHECK_FALSE(t.matches("vpn@a.b.service"));
    CHECK(t.matches("x@y.b.service"));
    for (const char* u : {"vpn@home.service", "svc1.service", "vpn@x.service", "ssh.service"})
        t.set_file_state(u, "enabled");
    CHECK(t.instances_of("vpn@.service") ==
          std::vector<std::string>{"vpn@home.service", "vpn@x.service"});
    CHECK(t.instances_of("svc1.service").empty());
}

TEST_CASE("the fingerprint tells maps apart", "[systemd]") {
    UnitTable a, b;
    a.set_patterns({"x.service", "y.service"});
    b.set_patterns({"x.service", "y.service"});
    CHECK(a.fingerprint() == b.fingerprint());
    a.set_file_state("x.service", "enabled");
    CHECK(a.fingerprint() != b.fingerprint());
    b.set_file_state("x.service", "enabled");
    CHECK(a.fingerprint() == b.fingerprint());
    a.set_active_state("x.service", "active");
    b.set_active_state("x.service", "activ");
    CHECK(a.fingerprint() != b.fingerprint());
    b.set_active_state("x.service", "active");
    CHECK(a.fingerprint() == b.fingerprint());
}
