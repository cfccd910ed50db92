// SPDX-License-Identifier: GPL-2.0-or-later
// The manager's decisions about WHEN to commit, with hand-written fakes at the two narrow
// seams (a backend that records layouts; a unit source the test drives). The real backend and
// the real systemd watcher are covered by the integration tests.
#include "app/manager.hpp"
#include "app/overrides-store.hpp"
#include "tmpdir.hpp"

#include <catch2/catch.hpp>
#include <sys/eventfd.h>
#include <unistd.h>

using namespace portcullis;

namespace {

struct FakeBackend final : Backend {
    std::vector<TableLayout> commits;
    int repairs = 0;
    int fail_next = 0; // negative errno to return from the next commit
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    bool tampered = false;

    ~FakeBackend() override { close(efd); }
    std::string_view name() const override { return "fake"; }
    std::string objects(const std::string& table) const override { return "fake " + table; }
    std::string render(const TableLayout& l) const override { return "fake " + l.table; }
    unsigned check_seconds = 0;
    void set_check_seconds(unsigned s) override { check_seconds = s; }
    CommitResult commit(const TableLayout& l, const LayoutDiff&) override {
        if (fail_next) {
            CommitResult r;
            r.error = fail_next;
            r.message = "NFT_MSG_NEWSETELEM any_tcp: File exists";
            fail_next = 0;
            return r;
        }
        commits.push_back(l);
        return {};
    }
    std::optional<std::uint64_t> dropped() override { return 42; }
    int event_fd() const override { return efd; }
    bool process_events() override {
        std::uint64_t v;
        (void)!read(efd, &v, sizeof v);
        return tampered;
    }
    CommitResult repair() override {
        ++repairs;
        return {};
    }
};

struct FakeUnits final : UnitSource {
    std::map<std::string, UnitState, std::less<>> map;
    std::vector<std::string> patterns;
    bool is_connected = true;
    bool is_settling = false;
    std::function<void()> on_change;

    void set_patterns(std::vector<std::string> p) override { patterns = std::move(p); }
    int start() override { return 0; }
    const std::map<std::string, UnitState, std::less<>>& units() const override { return map; }
    bool connected() const override { return is_connected; }
    bool settling() const override { return is_settling; }
};

const char* catalog = R"(
[[service]]
id = "ssh"
name = "SSH"
ports = ["22/tcp"]
units = ["ssh.service"]
[[service]]
id = "web"
name = "Web"
ports = ["80/tcp", "443/tcp"]
units = ["nginx.service"]
)";

struct Fixture {
    testutil::TempDir dir;
    uv_loop_t loop{};
    FakeBackend* backend = nullptr;
    FakeUnits* units = nullptr;
    std::unique_ptr<Manager> m;
    int backends_made = 0;

    Fixture(const std::string& config = "[always]\nservices = [\"ssh\"]\n") {
        uv_loop_init(&loop);
        dir.write("catalog.d/10.toml", catalog);
        write_config(config);
        m = std::make_unique<Manager>(
            &loop, ManagerOptions{(dir.path() / "p.toml").string(), true, false},
            [this](const Config&, std::string*) {
                ++backends_made;
                auto b = std::make_unique<FakeBackend>();
                backend = b.get();
                return std::unique_ptr<Backend>(std::move(b));
            },
            [this](uv_loop_t*, const std::string&, std::function<void()> cb) {
                auto u = std::make_unique<FakeUnits>();
                u->on_change = std::move(cb);
                units = u.get();
                return std::unique_ptr<UnitSource>(std::move(u));
            });
    }
    ~Fixture() {
        m.reset();
        uv_run(&loop, UV_RUN_NOWAIT);
        uv_loop_close(&loop);
    }
    void write_config(const std::string& extra) {
        dir.write("p.toml", "catalog_dirs = [\"catalog.d\"]\nstate_dir = \"state\"\n" + extra);
    }
    void spin(int n = 3) {
        for (int i = 0; i < n; ++i)
            uv_run(&loop, UV_RUN_NOWAIT);
    }
    void set_unit(const std::string& name, UnitState st, bool notify = true) {
        units->map[name] = std::move(st);
        if (notify)
            units->on_change();
    }
};

std::vector<Interval> tcp(const TableLayout& l) {
    for (const auto& s : l.sets)
        if (s.name == "any_tcp")
            return s.ports;
    return {};
}

} // namespace

TEST_CASE("a bad config stops the start with 78 before any backend exists", "[manager]") {
    Fixture f;
    f.write_config("mode = \"enforcing\"\n");
    CHECK(f.m->start() == 78);
    CHECK(f.backends_made == 0);
}

TEST_CASE("the first commit waits for the unit source, then commits once", "[manager]") {
    Fixture f;
    REQUIRE(f.m->start() == 0);
    REQUIRE(f.units);
    CHECK(f.units->patterns == std::vector<std::string>{"nginx.service", "ssh.service"});
    f.units->is_connected = false;
    f.spin();
    CHECK(f.backend->commits.empty()); // systemd not heard yet: nothing committed
    f.units->is_connected = true;
    f.set_unit("nginx.service", {"enabled", "active"}, false);
    uv_run(&f.loop, UV_RUN_ONCE); // the settle timer fires within a few ms
    f.spin();
    REQUIRE(f.backend->commits.size() == 1);
    CHECK(tcp(f.backend->commits[0]) == std::vector<Interval>{{22, 22}, {80, 80}, {443, 443}});
    CHECK(f.m->generation() == 1);
    CHECK(f.m->state().open_services() == std::vector<std::string>{"ssh", "web"});
}

TEST_CASE("a burst of changes is one transaction; a single change waits for nothing", "[manager]") {
    Fixture f;
    REQUIRE(f.m->start() == 0);
    f.spin();
    REQUIRE(f.backend->commits.size() == 1);

    std::vector<std::uint64_t> gens;
    f.m->on_applied = [&](const AppliedChange& c) { gens.push_back(c.generation); };

    // 100 notifications delivered in one loop iteration.
    for (int i = 0; i < 100; ++i)
        f.set_unit("nginx.service", {i % 2 ? "disabled" : "enabled", "inactive"});
    f.set_unit("nginx.service", {"enabled", "inactive"});
    uv_run(&f.loop, UV_RUN_NOWAIT);
    CHECK(f.backend->commits.size() == 2);
    CHECK(gens == std::vector<std::uint64_t>{2});

    // A single change is applied on the very next loop iteration.
    f.set_unit("nginx.service", {"disabled", "inactive"});
    uv_run(&f.loop, UV_RUN_NOWAIT);
    REQUIRE(f.backend->commits.size() == 3);
    CHECK(tcp(f.backend->commits[2]) == std::vector<Interval>{{22, 22}});
}

TEST_CASE("nothing changed: no commit, no signal", "[manager]") {
    Fixture f;
    REQUIRE(f.m->start() == 0);
    f.spin();
    int applied = 0;
    f.m->on_applied = [&](const AppliedChange&) { ++applied; };
    f.set_unit("other.service", {"enabled", "active"});
    f.spin();
    CHECK(f.backend->commits.size() == 1);
    CHECK(applied == 0);
}

TEST_CASE("commits wait while the unit source is settling", "[manager]") {
    Fixture f;
    REQUIRE(f.m->start() == 0);
    f.spin();
    f.units->is_settling = true;
    f.set_unit("nginx.service", {"enabled", "inactive"});
    f.spin();
    CHECK(f.backend->commits.size() == 1);
    f.units->is_settling = false;
    uv_run(&f.loop, UV_RUN_ONCE);
    f.spin();
    CHECK(f.backend->commits.size() == 2);
}

TEST_CASE("a failed commit keeps the old state and reports the kernel's error", "[manager]") {
    Fixture f;
    REQUIRE(f.m->start() == 0);
    f.spin();
    int errors = 0;
    f.m->on_last_error_changed = [&] { ++errors; };
    f.backend->fail_next = -EEXIST;
    f.set_unit("nginx.service", {"enabled", "inactive"});
    f.spin();
    CHECK(f.m->generation() == 1);
    CHECK(f.m->state().open_services() == std::vector<std::string>{"ssh"});
    CHECK(f.m->last_error() == "applying the ruleset: NFT_MSG_NEWSETELEM any_tcp: File exists");
    CHECK(errors == 1);
    // The retry (after a second) succeeds and clears the error.
    uv_run(&f.loop, UV_RUN_ONCE);
    f.spin();
    CHECK(f.m->generation() == 2);
    CHECK(f.m->last_error().empty());
    CHECK(errors == 2);
}

TEST_CASE("overrides: checks, persistence, immediate effect", "[manager][overrides]") {
    Fixture f;
    REQUIRE(f.m->start() == 0);
    f.spin();
    std::string err;
    CHECK(f.m->set_override("nope", "open", &err) == OverrideResult::unknown_service);
    CHECK(f.m->set_override("web", "opened", &err) == OverrideResult::invalid_state);
    CHECK(err == "state must be \"open\", \"closed\" or \"auto\", not \"opened\"");
    CHECK(f.m->set_override("ssh", "closed", &err) == OverrideResult::would_lock_out);
    CHECK(f.backend->commits.size() == 1);

    CHECK(f.m->set_override("web", "open", &err) == OverrideResult::ok);
    // Applied before the call returns.
    REQUIRE(f.backend->commits.size() == 2);
    CHECK(tcp(f.backend->commits[1]) == std::vector<Interval>{{22, 22}, {80, 80}, {443, 443}});
    CHECK(f.m->state().service("web")->reason == "override");
    CHECK(load_overrides((f.dir.path() / "state").string()) == Overrides{{"web", Override::open}});

    CHECK(f.m->set_override("web", "auto", &err) == OverrideResult::ok);
    CHECK(load_overrides((f.dir.path() / "state").string()).empty());
    CHECK(f.backend->commits.size() == 3);
}

TEST_CASE("an override that cannot be saved changes nothing", "[manager][overrides]") {
    Fixture f;
    REQUIRE(f.m->start() == 0);
    f.spin();
    // state_dir is a file: the write must fail.
    f.dir.write("state", "not a directory");
    std::string err;
    CHECK(f.m->set_override("web", "open", &err) == OverrideResult::io_error);
    CHECK(err.find("cannot write") == 0);
    CHECK(f.m->overrides().empty());
    CHECK(f.backend->commits.size() == 1);
}

TEST_CASE("a broken reload changes nothing but LastError", "[manager][reload]") {
    Fixture f;
    REQUIRE(f.m->start() == 0);
    f.spin();
    auto before = f.m->state();
    f.write_config("[always]\nservices = [\"ssh\", \"nope\"]\n");
    std::string err;
    CHECK(f.m->reload(&err) == -EINVAL);
    CHECK(err == (f.dir.path() / "p.toml").string() +
                     ":4:20: unknown service \"nope\" (not in the catalogue)");
    CHECK(f.m->last_error() == err);
    f.spin();
    CHECK(f.m->state() == before);
    CHECK(f.backend->commits.size() == 1);

    // A good reload applies and clears the error.
    f.write_config("[always]\nservices = [\"ssh\", \"web\"]\n");
    CHECK(f.m->reload(&err) == 0);
    f.spin();
    CHECK(f.m->last_error().empty());
    REQUIRE(f.backend->commits.size() == 2);
    CHECK(f.m->state().open_services() == std::vector<std::string>{"ssh", "web"});
}

TEST_CASE("a reload passes a new [legacy] check_seconds to the backend", "[manager][reload]") {
    Fixture f;
    REQUIRE(f.m->start() == 0);
    f.spin();
    f.write_config("[legacy]\ncheck_seconds = 10\n");
    std::string err;
    REQUIRE(f.m->reload(&err) == 0);
    CHECK(f.backend->check_seconds == 0); // the default: nothing changed, nothing said
    f.write_config("[legacy]\ncheck_seconds = 3\n");
    REQUIRE(f.m->reload(&err) == 0);
    CHECK(f.backend->check_seconds == 3);
}

TEST_CASE("reload refuses to move the table", "[manager][reload]") {
    Fixture f;
    REQUIRE(f.m->start() == 0);
    f.spin();
    f.write_config("table = \"other\"\n");
    std::string err;
    CHECK(f.m->reload(&err) == -EINVAL);
    CHECK(err == (f.dir.path() / "p.toml").string() + ": changing 'table' needs a restart");
    CHECK(f.m->config().table == "portcullis");
}

TEST_CASE("someone else's change to the table is repaired", "[manager][heal]") {
    Fixture f;
    REQUIRE(f.m->start() == 0);
    f.spin();
    f.backend->tampered = true;
    std::uint64_t one = 1;
    REQUIRE(write(f.backend->efd, &one, sizeof one) == sizeof one);
    f.spin();
    CHECK(f.backend->repairs == 1);
}

// --- SetOverride is an order: in the kernel before it returns, whatever the watchers do ---

TEST_CASE("an override is in the kernel when the call returns, even while systemd settles",
          "[manager][overrides]") {
    Fixture f;
    REQUIRE(f.m->start() == 0);
    f.spin();
    REQUIRE(f.backend->commits.size() == 1);
    // A resync is under way (with thousands of units it takes seconds): watcher-driven
    // changes wait for it, an explicit order does not.
    f.units->is_settling = true;
    std::string err;
    CHECK(f.m->set_override("web", "open", &err) == OverrideResult::ok);
    REQUIRE(f.backend->commits.size() == 2);
    CHECK(tcp(f.backend->commits[1]) == std::vector<Interval>{{22, 22}, {80, 80}, {443, 443}});
    CHECK(f.m->state().service("web")->reason == "override");
    CHECK(f.m->set_override("web", "closed", &err) == OverrideResult::ok);
    REQUIRE(f.backend->commits.size() == 3);
    CHECK(tcp(f.backend->commits[2]) == std::vector<Interval>{{22, 22}});
}

TEST_CASE("an override while settling uses what the watcher last said whole",
          "[manager][overrides]") {
    Fixture f;
    f.dir.write("catalog.d/20.toml", "[[service]]\nid = \"db\"\nname = \"DB\"\n"
                                     "ports = [\"5432/tcp\"]\nunits = [\"db.service\"]\n");
    REQUIRE(f.m->start() == 0);
    f.spin();
    // Half a resync: db.service is in the map already, its resync not finished.
    f.units->is_settling = true;
    f.set_unit("db.service", {"enabled", "inactive"}, false);
    std::string err;
    CHECK(f.m->set_override("web", "open", &err) == OverrideResult::ok);
    REQUIRE(f.backend->commits.size() == 2);
    CHECK(tcp(f.backend->commits[1]) == std::vector<Interval>{{22, 22}, {80, 80}, {443, 443}});
    // The resync ends and says so: now db opens.
    f.units->is_settling = false;
    f.units->on_change();
    f.spin();
    REQUIRE(f.backend->commits.size() == 3);
    CHECK(tcp(f.backend->commits[2]) ==
          std::vector<Interval>{{22, 22}, {80, 80}, {443, 443}, {5432, 5432}});
}

TEST_CASE("an override before the first commit is refused and changes nothing",
          "[manager][overrides]") {
    Fixture f;
    REQUIRE(f.m->start() == 0);
    f.units->is_connected = false; // systemd not heard yet: no first commit
    f.spin();
    REQUIRE(f.backend->commits.empty());
    std::string err;
    CHECK(f.m->set_override("web", "open", &err) == OverrideResult::not_ready);
    CHECK(err.find("has not applied its first ruleset yet") != std::string::npos);
    CHECK(f.m->overrides().empty());
    CHECK_FALSE(std::filesystem::exists(f.dir.path() / "state" / "overrides.toml"));
}

TEST_CASE("an override the kernel refuses is put back, in the file too", "[manager][overrides]") {
    Fixture f;
    REQUIRE(f.m->start() == 0);
    f.spin();
    std::string err;
    REQUIRE(f.m->set_override("web", "open", &err) == OverrideResult::ok);
    f.backend->fail_next = -EEXIST;
    CHECK(f.m->set_override("web", "closed", &err) == OverrideResult::io_error);
    CHECK(err == "not applied: applying the ruleset: NFT_MSG_NEWSETELEM any_tcp: File exists; "
                 "nothing was changed");
    CHECK(f.m->overrides() == Overrides{{"web", Override::open}});
    CHECK(load_overrides((f.dir.path() / "state").string()) == Overrides{{"web", Override::open}});
    CHECK(f.m->state().service("web")->open);
}

// --- overrides.toml is state: a damaged one never stops the daemon ---

TEST_CASE("a damaged overrides file is moved aside and the daemon starts with what parses",
          "[manager][overrides]") {
    Fixture f;
    // Cut short in the middle of a line, as a full disk or a crash can leave it.
    f.dir.write("state/overrides.toml", "[overrides]\nweb = \"open\"\nssh = \"clo");
    REQUIRE(f.m->start() == 0);
    f.spin();
    REQUIRE(f.backend->commits.size() == 1);
    CHECK(f.m->overrides() == Overrides{{"web", Override::open}});
    CHECK(f.m->state().service("web")->reason == "override");
    CHECK(f.m->last_error().find("state/overrides.toml: damaged (") != std::string::npos);
    CHECK(f.m->last_error().find("kept 1 override(s) that parse") != std::string::npos);
    // The damaged file is kept beside, and a good one is in its place.
    int aside = 0;
    for (const auto& e : std::filesystem::directory_iterator(f.dir.path() / "state"))
        aside += e.path().filename().string().starts_with("overrides.toml.corrupt-") ? 1 : 0;
    CHECK(aside == 1);
    CHECK(load_overrides((f.dir.path() / "state").string()) == Overrides{{"web", Override::open}});
}

// --- changes cost what they touch, and land where a whole plan would ---

TEST_CASE("step by step, the committed state is what a whole plan says", "[manager][live]") {
    Fixture f("");
    f.dir.write("catalog.d/20.toml",
                "[[service]]\nid = \"a\"\nname = \"A\"\nports = [\"80/tcp\"]\n"
                "units = [\"a@.service\"]\n[[service]]\nid = \"b\"\nname = \"B\"\n"
                "ports = [\"80-81/tcp\", \"53/udp\"]\nunits = [\"b.service\"]\n");
    REQUIRE(f.m->start() == 0);
    f.spin();
    const std::vector<std::pair<std::string, UnitState>> steps = {
        {"a@x.service", {"enabled", "inactive"}}, {"b.service", {"disabled", "active"}},
        {"nginx.service", {"enabled", "active"}}, {"a@x.service", {"disabled", "inactive"}},
        {"b.service", {"disabled", "inactive"}},  {"a@y.service", {"", "active"}},
    };
    for (const auto& [unit, st] : steps) {
        f.set_unit(unit, st);
        f.spin();
        Facts facts;
        facts.units = f.units->map;
        CHECK(f.m->state() == plan(f.m->config(), f.m->catalog(), facts, f.m->overrides()));
    }
    CHECK(f.m->state().open_services() == std::vector<std::string>{"a", "web"});
}
