// SPDX-License-Identifier: GPL-2.0-or-later
// Commit-confirmed: the WouldLockOut rule (pure) and the manager's confirm, rollback and
// one-at-a-time rules, with a backend that records layouts and a unit source the test drives.
#include "app/confirm-lockout.hpp"
#include "app/manager.hpp"
#include "app/overrides-store.hpp"
#include "tmpdir.hpp"

#include <catch2/catch.hpp>
#include <cerrno>
#include <sys/socket.h>

using namespace portcullis;

namespace {

// (Also used for globals: no REQUIRE outside a test case.)
Cidr host(const char* text) {
    return parse_cidr(text).value();
}

ZoneState zone(std::string name, IntervalSet tcp, std::vector<std::string> ifaces = {},
               std::vector<Cidr> sources = {}) {
    ZoneState z;
    z.name = std::move(name);
    z.interfaces = std::move(ifaces);
    z.sources = std::move(sources);
    z.tcp = std::move(tcp);
    return z;
}

DesiredState state(std::vector<ZoneState> zones, Mode mode = Mode::enforce) {
    DesiredState s;
    s.mode = mode;
    s.zones = std::move(zones);
    return s;
}

const CallerSession ssh4{22, host("198.18.0.2"), 50122};
const CallerSession ssh6{22, host("2001:db8::2"), 40000};

} // namespace

TEST_CASE("lockout: closing the port of the caller's session", "[confirm][lockout]") {
    auto before = state({zone("any", {{22, 22}, {80, 80}})});
    auto after = state({zone("any", {{80, 80}})});
    CHECK(sessions_cut_off(before, after, {ssh4}) == std::vector<CallerSession>{ssh4});
    CHECK(sessions_cut_off(before, after, {ssh4, ssh6}).size() == 2);
    // Another port closing, or nothing changing, cuts nobody off.
    auto web_closed = state({zone("any", {{22, 22}})});
    CHECK(sessions_cut_off(before, web_closed, {ssh4}).empty());
    CHECK(sessions_cut_off(before, before, {ssh4}).empty());
    // No session: nothing to lose.
    CHECK(sessions_cut_off(before, after, {}).empty());
    // A port inside a range that shrinks.
    auto wide = state({zone("any", {{20, 30}})});
    auto narrow = state({zone("any", {{23, 30}})});
    CHECK(sessions_cut_off(wide, narrow, {ssh4}).size() == 1);
}

TEST_CASE("lockout: monitor mode and mode changes", "[confirm][lockout]") {
    auto closed_monitor = state({zone("any", {})}, Mode::monitor);
    auto closed_enforce = state({zone("any", {})});
    auto open_enforce = state({zone("any", {{22, 22}})});
    // In monitor mode nothing is dropped: closing there locks nobody out.
    CHECK(sessions_cut_off(open_enforce, closed_monitor, {ssh4}).empty());
    // Going from monitor to enforce with the port closed does.
    CHECK(sessions_cut_off(closed_monitor, closed_enforce, {ssh4}).size() == 1);
    // A port that was not open before cannot be lost.
    CHECK(sessions_cut_off(closed_enforce, closed_enforce, {ssh4}).empty());
}

TEST_CASE("lockout: zones, their sources and interfaces", "[confirm][lockout]") {
    auto lan = [](IntervalSet tcp) {
        return zone("lan", std::move(tcp), {"eth0"}, {host("198.18.0.0/24")});
    };
    auto wan = [](IntervalSet tcp) { return zone("wan", std::move(tcp), {"eth1"}); };
    // The peer is in lan's sources; lan closing 22 counts, wan still opening it on another
    // interface does not save it (the session may have come through eth0).
    CHECK(sessions_cut_off(state({lan({{22, 22}}), wan({{22, 22}})}),
                           state({lan({}), wan({{22, 22}})}), {ssh4})
              .size() == 1);
    // An IPv6 peer is not in lan's (IPv4) sources: only wan let it in, and still does.
    CHECK(sessions_cut_off(state({lan({{22, 22}}), wan({{22, 22}})}),
                           state({lan({}), wan({{22, 22}})}), {ssh6})
              .empty());
    // A peer outside lan's sources never came through lan.
    CallerSession far{22, host("198.19.0.9"), 1234};
    CHECK(sessions_cut_off(state({lan({{22, 22}}), wan({{22, 22}})}),
                           state({lan({}), wan({{22, 22}})}), {far})
              .empty());
    // A zone without interfaces stands for every interface: it covers the lost eth0.
    CHECK(sessions_cut_off(state({lan({{22, 22}})}), state({lan({}), zone("any", {{22, 22}})}),
                           {ssh4})
              .empty());
    // ... and one with interfaces does not cover a zone that had none.
    CHECK(sessions_cut_off(state({zone("any", {{22, 22}})}),
                           state({zone("any", {}), wan({{22, 22}})}), {ssh4})
              .size() == 1);
    // The zone moved to other interfaces: eth0 was lost.
    CHECK(sessions_cut_off(state({lan({{22, 22}})}),
                           state({zone("lan", {{22, 22}}, {"eth2"}, {host("198.18.0.0/24")})}),
                           {ssh4})
              .size() == 1);
}

TEST_CASE("lockout: the message names the port and the session", "[confirm][lockout]") {
    CHECK(lockout_message({}).empty());
    std::string m = lockout_message({ssh4});
    CHECK(
        m.find("this change closes 22/tcp to new connections from 198.18.0.2, the port of your own "
               "session from 198.18.0.2:50122") == 0);
    CHECK(m.find("SetOverrideConfirmed") != std::string::npos);
    CHECK(lockout_message({ssh6, ssh4}).find("from [2001:db8::2]:40000 (and 1 more)") !=
          std::string::npos);
}

namespace {

struct RecordingBackend final : Backend {
    std::vector<TableLayout> commits;
    std::string_view name() const override { return "fake"; }
    std::string objects(const std::string& table) const override { return "fake " + table; }
    std::string render(const TableLayout& l) const override { return "fake " + l.table; }
    CommitResult commit(const TableLayout& l, const LayoutDiff&) override {
        commits.push_back(l);
        return {};
    }
    std::optional<std::uint64_t> dropped() override { return 0; }
    int event_fd() const override { return -1; }
    bool process_events() override { return false; }
    CommitResult repair() override { return {}; }
};

const char* catalog = R"(
[[service]]
id = "ssh"
name = "SSH"
ports = ["22/tcp"]
[[service]]
id = "web"
name = "Web"
ports = ["80/tcp"]
)";

std::vector<Interval> any_tcp(const TableLayout& l) {
    for (const auto& s : l.sets)
        if (s.name == "any_tcp")
            return s.ports;
    return {};
}

// A manager without watchers: only the config, the overrides and the test decide.
struct Fixture {
    testutil::TempDir dir;
    uv_loop_t loop{};
    RecordingBackend* backend = nullptr;
    std::unique_ptr<Manager> m;
    std::vector<std::uint64_t> rolled_back;
    int pending_changes = 0;

    Fixture() {
        uv_loop_init(&loop);
        dir.write("catalog.d/10.toml", catalog);
        write_config("[always]\nservices = [\"ssh\"]\n");
        m = std::make_unique<Manager>(
            &loop, ManagerOptions{(dir.path() / "p.toml").string(), true, false},
            [this](const Config&, std::string*) {
                auto b = std::make_unique<RecordingBackend>();
                backend = b.get();
                return std::unique_ptr<Backend>(std::move(b));
            },
            nullptr, nullptr);
        m->on_rolled_back = [this](std::uint64_t g) { rolled_back.push_back(g); };
        m->on_pending_changed = [this] { ++pending_changes; };
        REQUIRE(m->start() == 0);
        spin();
        REQUIRE(backend->commits.size() == 1);
    }
    ~Fixture() {
        m.reset();
        uv_run(&loop, UV_RUN_NOWAIT);
        uv_loop_close(&loop);
    }
    void write_config(const std::string& extra) {
        dir.write(
            "p.toml",
            "mode = \"enforce\"\ncatalog_dirs = [\"catalog.d\"]\nstate_dir = \"state\"\n[systemd]\n"
            "enabled = false\n" +
                extra);
    }
    void spin() {
        for (int i = 0; i < 3; ++i)
            uv_run(&loop, UV_RUN_NOWAIT);
    }
    std::vector<Interval> open() const { return any_tcp(backend->commits.back()); }
    Overrides saved() const { return load_overrides((dir.path() / "state").string()); }
};

} // namespace

TEST_CASE("SetOverrideConfirmed: applied at once, rolled back unless confirmed",
          "[confirm][manager]") {
    Fixture f;
    std::string err;
    REQUIRE(f.m->set_override("web", "closed", &err) == OverrideResult::ok);
    CHECK(f.m->pending_confirm() == 0);

    // Open for one second, not confirmed: the previous override ("closed") comes back.
    REQUIRE(f.m->set_override_confirmed("web", "open", 1, &err) == OverrideResult::ok);
    CHECK(f.open() == std::vector<Interval>{{22, 22}, {80, 80}});
    CHECK(f.saved() == Overrides{{"web", Override::open}});
    CHECK(f.m->pending_confirm() == 1);
    CHECK(f.pending_changes == 1);
    // One at a time.
    CHECK(f.m->set_override_confirmed("web", "auto", 5, &err) == OverrideResult::pending);
    CHECK(err.find("a confirmed change is already waiting for Confirm()") == 0);
    std::string reload_err;
    CHECK(f.m->reload_confirmed(5, &reload_err) == -EBUSY);
    auto generation = f.m->generation();
    uv_run(&f.loop, UV_RUN_ONCE); // the confirm timer
    CHECK(f.m->pending_confirm() == 0);
    CHECK(f.open() == std::vector<Interval>{{22, 22}});
    CHECK(f.saved() == Overrides{{"web", Override::closed}});
    CHECK(f.rolled_back == std::vector<std::uint64_t>{generation + 1});
    CHECK(f.m->generation() == generation + 1);
    CHECK(f.pending_changes == 2);

    // No override before: the rollback removes it ("auto").
    REQUIRE(f.m->set_override("web", "auto", &err) == OverrideResult::ok);
    REQUIRE(f.m->set_override_confirmed("web", "open", 1, &err) == OverrideResult::ok);
    uv_run(&f.loop, UV_RUN_ONCE);
    CHECK(f.saved().empty());
    CHECK(f.m->overrides().empty());
    CHECK(f.open() == std::vector<Interval>{{22, 22}});
}

TEST_CASE("Confirm keeps the change; with none waiting it fails", "[confirm][manager]") {
    Fixture f;
    std::string err;
    CHECK(f.m->confirm(&err) == -ENOENT);
    CHECK(err == "no confirmed change is waiting for Confirm()");
    REQUIRE(f.m->set_override_confirmed("web", "open", 1, &err) == OverrideResult::ok);
    REQUIRE(f.m->confirm(&err) == 0);
    CHECK(f.m->pending_confirm() == 0);
    CHECK(f.pending_changes == 2);
    // Nothing is left to fire: the loop has no active handle but the manager's own.
    uv_run(&f.loop, UV_RUN_NOWAIT);
    CHECK(f.rolled_back.empty());
    CHECK(f.open() == std::vector<Interval>{{22, 22}, {80, 80}});
    CHECK(f.saved() == Overrides{{"web", Override::open}});
    CHECK(f.m->confirm(&err) == -ENOENT);
}

TEST_CASE("a failed confirmed change leaves nothing waiting", "[confirm][manager]") {
    Fixture f;
    std::string err;
    CHECK(f.m->set_override_confirmed("nope", "open", 5, &err) == OverrideResult::unknown_service);
    CHECK(f.m->set_override_confirmed("ssh", "closed", 5, &err) == OverrideResult::would_lock_out);
    f.write_config("mode = \"enforcing\"\n");
    CHECK(f.m->reload_confirmed(5, &err) == -EINVAL);
    CHECK(f.m->pending_confirm() == 0);
    CHECK(f.pending_changes == 0);
}

TEST_CASE("ReloadConfirmed: the old config and catalogue come back from memory",
          "[confirm][manager]") {
    Fixture f;
    std::string err;
    // The new config drops ssh from [always]; the catalogue gains a service.
    f.write_config("");
    f.dir.write("catalog.d/20.toml", "[[service]]\nid = \"extra\"\nname = \"X\"\n"
                                     "ports = [\"9999/tcp\"]\n");
    REQUIRE(f.m->reload_confirmed(1, &err) == 0);
    f.spin(); // a reload commits on the next loop iteration
    CHECK(f.open().empty());
    CHECK(f.m->catalog().size() == 3);
    CHECK(f.m->pending_confirm() == 1);
    // The files change again: the rollback must not read them.
    f.write_config("mode = \"enforcing\"\n");
    uv_run(&f.loop, UV_RUN_ONCE);
    CHECK(f.open() == std::vector<Interval>{{22, 22}});
    CHECK(f.m->catalog().size() == 2);
    CHECK(f.m->config().is_always("ssh"));
    CHECK(f.rolled_back == std::vector<std::uint64_t>{f.m->generation()});
    CHECK(f.m->last_error().empty());
}

TEST_CASE("guards refuse a plain change that locks the caller out", "[confirm][manager]") {
    Fixture f;
    std::string err;
    REQUIRE(f.m->set_override("web", "open", &err) == OverrideResult::ok);
    std::vector<CallerSession> sessions{{80, host("198.18.0.2"), 50000}};
    ChangeGuard guard = [&](const DesiredState& before, const DesiredState& after) {
        return lockout_message(sessions_cut_off(before, after, sessions));
    };
    auto commits = f.backend->commits.size();
    CHECK(f.m->set_override("web", "closed", &err, guard) == OverrideResult::would_lock_out);
    CHECK(err.find("closes 80/tcp") != std::string::npos);
    CHECK(f.backend->commits.size() == commits);
    CHECK(f.saved() == Overrides{{"web", Override::open}});
    // Opening something else passes the same guard.
    f.dir.write("catalog.d/20.toml", "[[service]]\nid = \"extra\"\nname = \"X\"\n"
                                     "ports = [\"9999/tcp\"]\n");
    // A reload that keeps 80 open passes; one whose result closes it is refused.
    CHECK(f.m->reload(&err, guard) == 0);
    f.spin();
    sessions = {{22, host("198.18.0.2"), 50001}};
    f.write_config("");
    CHECK(f.m->reload(&err, guard) == -EPERM);
    CHECK(err.find("closes 22/tcp") != std::string::npos);
    CHECK(f.m->config().is_always("ssh"));
}
