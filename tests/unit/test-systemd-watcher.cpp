// SPDX-License-Identifier: GPL-2.0-or-later
// SystemdWatcher without systemd: what start() says about bus specs, and that a watcher whose
// bus is not there keeps its (empty) map, reports disconnected and is not settling. Everything
// with a real bus is in tests/integration/systemd/.
#include "sources/systemd-watcher.hpp"
#include "tmpdir.hpp"

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <string>

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
