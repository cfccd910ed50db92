// SPDX-License-Identifier: GPL-2.0-or-later
// The systemd watcher without systemd: what start() says about bus specs; that a watcher whose
// bus is not there keeps its (empty) map, reports disconnected and is not settling; the pacing
// of its announcements, with the clock given by the test; and the reading of systemd's
// messages, built in memory. Everything with a real bus is in tests/integration/systemd/.
#include "bus/handles.hpp"
#include "sources/publish-pacer.hpp"
#include "sources/systemd-replies.hpp"
#include "sources/systemd-units.hpp"
#include "sources/systemd-watcher.hpp"
#include "tmpdir.hpp"

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <sys/socket.h>
#include <systemd/sd-bus.h>
#include <unistd.h>
#include <utility>
#include <vector>

using namespace portcullis;

namespace {

// A private loop, run until its handles are closed.
struct Loop {
    uv_loop_t loop{};
    Loop() { uv_loop_init(&loop); }
    ~Loop() {
        uv_run(&loop, UV_RUN_DEFAULT);
        uv_loop_close(&loop);
    }
    void run_for(std::uint64_t ms) {
        uv_timer_t t{};
        uv_timer_init(&loop, &t);
        uv_timer_start(
            &t, [](uv_timer_t* h) { uv_stop(h->loop); }, ms, 0);
        uv_run(&loop, UV_RUN_DEFAULT);
        uv_close(reinterpret_cast<uv_handle_t*>(&t), nullptr);
        uv_run(&loop, UV_RUN_NOWAIT);
    }
};

class EnvOverride {
public:
    EnvOverride(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name))
            old_ = old;
        if (value)
            setenv(name, value, 1);
        else
            unsetenv(name);
    }
    ~EnvOverride() {
        if (old_)
            setenv(name_, old_->c_str(), 1);
        else
            unsetenv(name_);
    }
    EnvOverride(const EnvOverride&) = delete;
    EnvOverride& operator=(const EnvOverride&) = delete;

private:
    const char* name_;
    std::optional<std::string> old_;
};

} // namespace

TEST_CASE("a malformed bus address is an error no retry can fix", "[systemd]") {
    Loop l;
    for (const char* spec : {"bogus:xx", "garbage", "", "unix:"}) {
        SystemdWatcher w(&l.loop, spec, [] {});
        w.set_patterns({"ssh.service"});
        CHECK(w.start() == -EINVAL);
        CHECK_FALSE(w.connected());
    }
}

TEST_CASE("the user bus needs an address or a runtime dir", "[systemd]") {
    EnvOverride a("DBUS_SESSION_BUS_ADDRESS", nullptr);
    EnvOverride b("XDG_RUNTIME_DIR", nullptr);
    Loop l;
    SystemdWatcher w(&l.loop, "user", [] {});
    CHECK(w.start() == -ENOMEDIUM);
}

TEST_CASE("a bus that is not there yet is retried, quietly", "[systemd]") {
    testutil::TempDir dir;
    Loop l;
    int changes = 0;
    SystemdWatcher w(&l.loop, "unix:path=" + dir.str() + "/no-bus-here", [&] { ++changes; });
    w.set_patterns({"ssh.service", "vpn@.service"});
    CHECK(w.start() == 0);
    CHECK(w.start() == -EALREADY);
    l.run_for(350); // a few backoff rounds: 100, 200 ms
    CHECK_FALSE(w.connected());
    CHECK_FALSE(w.settling());
    CHECK(w.units().empty());
    CHECK(changes == 0); // nothing changed, so nothing was announced
}

// --- announcement pacing, with the clock given by the test ---

TEST_CASE("after a quiet spell a few announcements go out at once, then one per hold-off",
          "[systemd]") {
    PublishPacer p(50, 3);
    CHECK(p.tokens() == 3);
    CHECK(p.acquire(1000) == 0);
    CHECK(p.acquire(1001) == 0);
    CHECK(p.acquire(1002) == 0);
    CHECK(p.tokens() == 0);
    // The bucket is empty: ask again when the next token is earned, 50 ms after the first.
    CHECK(p.acquire(1003) == 47);
    CHECK(p.acquire(1049) == 1);
    CHECK(p.tokens() == 0); // waiting spends nothing
    CHECK(p.acquire(1050) == 0);
    CHECK(p.acquire(1060) == 40);
    CHECK(p.acquire(1100) == 0);
    // A quiet spell of three hold-offs refills the bucket.
    CHECK(p.acquire(1250) == 0);
    CHECK(p.tokens() == 2);
    CHECK(p.acquire(1251) == 0);
    CHECK(p.acquire(1252) == 0);
    CHECK(p.acquire(1253) == 47);
}

TEST_CASE("a late ask keeps the rest of its hold-off period", "[systemd]") {
    PublishPacer p(50, 3);
    for (std::uint64_t t : {1000, 1001, 1002})
        REQUIRE(p.acquire(t) == 0);
    CHECK(p.acquire(1070) == 0); // the token of 1050; the next one is due at 1100, not 1120
    CHECK(p.acquire(1099) == 1);
    CHECK(p.acquire(1100) == 0);
}

TEST_CASE("a long burst is announced at most once per hold-off", "[systemd]") {
    PublishPacer p(50, 3);
    std::vector<std::uint64_t> granted;
    // Something changes every millisecond for a second; a held announcement asks again when
    // told, as the watcher's timer does.
    std::uint64_t next_ask = 0;
    for (std::uint64_t t = 1000; t < 2000; ++t) {
        if (t < next_ask)
            continue;
        std::uint64_t wait = p.acquire(t);
        if (wait == 0)
            granted.push_back(t);
        else
            next_ask = t + wait;
    }
    REQUIRE(granted.size() == 3 + 19); // 1000, 1001, 1002, then 1050, 1100, ... 1950
    CHECK(granted[2] == 1002);
    for (std::size_t i = 3; i < granted.size(); ++i)
        CHECK(granted[i] - granted[i - 1] == (i == 3 ? 48U : 50U));
}

// --- reading systemd's messages, built in memory ---

namespace {

// Messages need a bus that is not "unset": one end of a socketpair, never authenticated.
class Messages {
public:
    Messages() {
        int sv[2];
        REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) == 0);
        peer_ = sv[1];
        sd_bus* raw = nullptr;
        REQUIRE(sd_bus_new(&raw) >= 0);
        bus_.reset(raw);
        REQUIRE(sd_bus_set_fd(raw, sv[0], sv[0]) >= 0);
        REQUIRE(sd_bus_start(raw) >= 0);
    }
    ~Messages() {
        bus_.reset();
        close(peer_);
    }
    Messages(const Messages&) = delete;
    Messages& operator=(const Messages&) = delete;

    bus::MessagePtr reply() {
        sd_bus_message* raw = nullptr;
        REQUIRE(sd_bus_message_new(bus_.get(), &raw, SD_BUS_MESSAGE_METHOD_RETURN) >= 0);
        return bus::MessagePtr(raw);
    }
    bus::MessagePtr properties_changed(const char* path) {
        sd_bus_message* raw = nullptr;
        REQUIRE(sd_bus_message_new_signal(bus_.get(), &raw, path, "org.freedesktop.DBus.Properties",
                                          "PropertiesChanged") >= 0);
        return bus::MessagePtr(raw);
    }
    // Makes a built message readable, as one received is.
    void seal(const bus::MessagePtr& m) {
        REQUIRE(sd_bus_message_seal(m.get(), ++cookie_, 0) >= 0);
    }

private:
    bus::BusRef bus_;
    int peer_ = -1;
    std::uint64_t cookie_ = 0;
};

UnitTable selecting(std::vector<std::string> patterns) {
    UnitTable t;
    t.set_patterns(std::move(patterns));
    return t;
}

} // namespace

TEST_CASE("ListUnits replies give the selected units' ActiveState", "[systemd]") {
    Messages msgs;
    auto m = msgs.reply();
    REQUIRE(
        sd_bus_message_append(m.get(), "a(ssssssouso)", 4,                                        //
                              "ssh.service", "OpenSSH", "loaded", "active", "running", "",        //
                              "/org/freedesktop/systemd1/unit/ssh_2eservice", 0U, "", "/",        //
                              "vpn@.service", "tpl", "loaded", "inactive", "dead", "",            //
                              "/org/freedesktop/systemd1/unit/vpn_40_2eservice", 0U, "", "/",     //
                              "other.service", "other", "loaded", "active", "running", "",        //
                              "/org/freedesktop/systemd1/unit/other_2eservice", 0U, "", "/",      //
                              "vpn@home.service", "home", "loaded", "activating", "start", "",    //
                              "/org/freedesktop/systemd1/unit/vpn_40home_2eservice", 7U, "start", //
                              "/org/freedesktop/systemd1/job/7") >= 0);
    msgs.seal(m);
    std::vector<std::pair<std::string, std::string>> loaded;
    CHECK(read_unit_list(m.get(), selecting({"ssh.service", "vpn@.service"}), &loaded) >= 0);
    CHECK(loaded == std::vector<std::pair<std::string, std::string>>{
                        {"ssh.service", "active"}, {"vpn@home.service", "activating"}});
}

TEST_CASE("a ListUnits reply of another shape is an error", "[systemd]") {
    Messages msgs;
    auto m = msgs.reply();
    REQUIRE(sd_bus_message_append(m.get(), "a(ss)", 1, "ssh.service", "active") >= 0);
    msgs.seal(m);
    std::vector<std::pair<std::string, std::string>> loaded;
    CHECK(read_unit_list(m.get(), selecting({"ssh.service"}), &loaded) < 0);
    CHECK(loaded.empty());
}

TEST_CASE("ListUnitFiles replies give file states by name, the first path winning", "[systemd]") {
    Messages msgs;
    auto m = msgs.reply();
    REQUIRE(sd_bus_message_append(m.get(), "a(ss)", 5,                         //
                                  "/etc/systemd/system/ssh.service", "masked", //
                                  "/usr/lib/systemd/system/ssh.service", "enabled",
                                  "/usr/lib/systemd/system/vpn@.service", "disabled",
                                  "/run/systemd/generator/gen.service", "generated",
                                  "/usr/lib/systemd/system/other.service", "static") >= 0);
    msgs.seal(m);
    std::map<std::string, std::string> files;
    CHECK(read_unit_files(m.get(), selecting({"ssh.service", "vpn@.service", "gen.service"}),
                          &files) >= 0);
    CHECK(files == std::map<std::string, std::string>{{"gen.service", "generated"},
                                                      {"ssh.service", "masked"}});

    auto bad = msgs.reply();
    REQUIRE(sd_bus_message_append(bad.get(), "as", 1, "/etc/systemd/system/ssh.service") >= 0);
    msgs.seal(bad);
    CHECK(read_unit_files(bad.get(), selecting({"ssh.service"}), &files) < 0);
}

TEST_CASE("PropertiesChanged gives ActiveState, changed or invalidated", "[systemd]") {
    Messages msgs;
    const char* path = "/org/freedesktop/systemd1/unit/ssh_2eservice";

    auto changed = msgs.properties_changed(path);
    REQUIRE(sd_bus_message_append(changed.get(), "sa{sv}as", "org.freedesktop.systemd1.Unit", 3,
                                  "SubState", "s", "running", "ActiveState", "s", "active",
                                  "ActiveEnterTimestamp", "t", UINT64_C(12345), 1, "Job") >= 0);
    msgs.seal(changed);
    UnitPropertiesChange c;
    CHECK(read_unit_properties(changed.get(), &c) >= 0);
    CHECK(c.interface == "org.freedesktop.systemd1.Unit");
    CHECK(c.active_state == std::optional<std::string>("active"));
    CHECK_FALSE(c.active_invalidated);

    auto invalidated = msgs.properties_changed(path);
    REQUIRE(sd_bus_message_append(invalidated.get(), "sa{sv}as", "org.freedesktop.systemd1.Unit", 0,
                                  2, "SubState", "ActiveState") >= 0);
    msgs.seal(invalidated);
    UnitPropertiesChange i;
    CHECK(read_unit_properties(invalidated.get(), &i) >= 0);
    CHECK_FALSE(i.active_state);
    CHECK(i.active_invalidated);

    // No invalidated list at all counts as an empty one.
    auto short_form = msgs.properties_changed(path);
    REQUIRE(sd_bus_message_append(short_form.get(), "sa{sv}", "org.freedesktop.systemd1.Unit", 1,
                                  "ActiveState", "s", "failed") >= 0);
    msgs.seal(short_form);
    UnitPropertiesChange s;
    CHECK(read_unit_properties(short_form.get(), &s) >= 0);
    CHECK(s.active_state == std::optional<std::string>("failed"));
    CHECK_FALSE(s.active_invalidated);
}

TEST_CASE("a PropertiesChanged that cannot be read is an error", "[systemd]") {
    Messages msgs;
    const char* path = "/org/freedesktop/systemd1/unit/ssh_2eservice";

    auto wrong_type = msgs.properties_changed(path);
    REQUIRE(sd_bus_message_append(wrong_type.get(), "sa{sv}as", "org.freedesktop.systemd1.Unit", 1,
                                  "ActiveState", "u", 1U, 0) >= 0);
    msgs.seal(wrong_type);
    UnitPropertiesChange w;
    CHECK(read_unit_properties(wrong_type.get(), &w) < 0);

    auto no_values = msgs.properties_changed(path);
    REQUIRE(sd_bus_message_append(no_values.get(), "s", "org.freedesktop.systemd1.Unit") >= 0);
    msgs.seal(no_values);
    UnitPropertiesChange n;
    CHECK(read_unit_properties(no_values.get(), &n) < 0);
}

TEST_CASE("unit object paths decode to unit names", "[systemd]") {
    CHECK(unit_name_from_path("/org/freedesktop/systemd1/unit/ssh_2eservice") == "ssh.service");
    CHECK(unit_name_from_path("/org/freedesktop/systemd1/unit/openvpn_2dserver_40home_2eservice") ==
          "openvpn-server@home.service");
    // Upper-case hex is not what systemd writes, but it is what the escape means.
    CHECK(unit_name_from_path("/org/freedesktop/systemd1/unit/a_2Eservice") == "a.service");
    CHECK(unit_name_from_path("/org/freedesktop/systemd1/unit/_") == "");
    CHECK(unit_name_from_path("/org/freedesktop/systemd1/unit/bad_2") == "");
    CHECK(unit_name_from_path("/org/freedesktop/systemd1/unit/bad_zzservice") == "");
    CHECK(unit_name_from_path("/org/freedesktop/systemd1/unit/") == "");
    CHECK(unit_name_from_path("/org/freedesktop/systemd1/unit/a/b") == "");
    CHECK(unit_name_from_path("/org/freedesktop/systemd1/job/42") == "");
    CHECK(unit_name_from_path("/org/freedesktop/systemd1") == "");
}

TEST_CASE("reply errors are told apart", "[systemd]") {
    const sd_bus_error service_unknown = SD_BUS_ERROR_MAKE_CONST(SD_BUS_ERROR_SERVICE_UNKNOWN, "");
    const sd_bus_error no_owner = SD_BUS_ERROR_MAKE_CONST(SD_BUS_ERROR_NAME_HAS_NO_OWNER, "");
    const sd_bus_error no_reply = SD_BUS_ERROR_MAKE_CONST(SD_BUS_ERROR_NO_REPLY, "");
    const sd_bus_error denied = SD_BUS_ERROR_MAKE_CONST(SD_BUS_ERROR_ACCESS_DENIED, "");
    const sd_bus_error unknown_method = SD_BUS_ERROR_MAKE_CONST(SD_BUS_ERROR_UNKNOWN_METHOD, "");
    const sd_bus_error not_found = SD_BUS_ERROR_MAKE_CONST(SD_BUS_ERROR_FILE_NOT_FOUND, "");
    const sd_bus_error no_unit = SD_BUS_ERROR_MAKE_CONST("org.freedesktop.systemd1.NoSuchUnit", "");
    const sd_bus_error subscribed =
        SD_BUS_ERROR_MAKE_CONST("org.freedesktop.systemd1.AlreadySubscribed", "");

    CHECK(manager_absent(&service_unknown));
    CHECK(manager_absent(&no_owner));
    CHECK_FALSE(manager_absent(&no_reply));
    CHECK_FALSE(manager_absent(&denied));

    CHECK(already_subscribed(&subscribed));
    CHECK_FALSE(already_subscribed(&denied));

    CHECK(method_unknown(&unknown_method));
    CHECK_FALSE(method_unknown(&service_unknown));

    // Only "no such file" clears a unit's file state; a systemd gone mid-call says nothing.
    CHECK(no_unit_file(&not_found));
    CHECK(no_unit_file(&no_unit));
    CHECK_FALSE(no_unit_file(&no_reply));
    CHECK_FALSE(no_unit_file(&denied));
    CHECK_FALSE(no_unit_file(&service_unknown));
}
