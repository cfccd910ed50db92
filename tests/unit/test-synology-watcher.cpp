// SPDX-License-Identifier: GPL-2.0-or-later
// The Synology watcher on a temporary directory, with real inotify through libuv.
#include "sources/synology-watcher.hpp"
#include "tmpdir.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>

using namespace portcullis;
namespace fs = std::filesystem;

namespace {

struct Loop {
    uv_loop_t loop{};
    Loop() { uv_loop_init(&loop); }
    ~Loop() {
        uv_run(&loop, UV_RUN_NOWAIT);
        uv_loop_close(&loop);
    }
    // Runs the loop until pred() holds or 2 s pass.
    template <class P>
    bool until(P pred) {
        auto end = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        uv_timer_t tick;
        uv_timer_init(&loop, &tick);
        uv_timer_start(
            &tick, [](uv_timer_t*) {}, 5, 5);
        while (!pred() && std::chrono::steady_clock::now() < end)
            uv_run(&loop, UV_RUN_ONCE);
        uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
        uv_run(&loop, UV_RUN_NOWAIT);
        return pred();
    }
};

using Set = std::set<std::string, std::less<>>;

} // namespace

TEST_CASE("packages are enabled while NAME/enabled exists", "[synology]") {
    testutil::TempDir d;
    d.write("packages/AudioStation/enabled", "");
    d.write("packages/VideoStation/INFO", "package=VideoStation\n");
    Loop l;
    int changes = 0;
    SynologyWatcher w(&l.loop, (d.path() / "packages").string(), [&] { ++changes; });
    REQUIRE(w.start() == 0);
    CHECK(w.enabled() == Set{"AudioStation"});
    CHECK(changes == 1);

    SECTION("started and stopped") {
        d.write("packages/VideoStation/enabled", "");
        CHECK(l.until([&] { return w.enabled() == Set{"AudioStation", "VideoStation"}; }));
        fs::remove(d.path() / "packages/AudioStation/enabled");
        CHECK(l.until([&] { return w.enabled() == Set{"VideoStation"}; }));
    }
    SECTION("installed and removed while running") {
        fs::create_directories(d.path() / "packages/SynologyDrive");
        d.write("packages/SynologyDrive/enabled", "");
        CHECK(l.until([&] { return w.enabled().contains("SynologyDrive"); }));
        fs::remove_all(d.path() / "packages/AudioStation");
        CHECK(l.until([&] { return w.enabled() == Set{"SynologyDrive"}; }));
    }
}

TEST_CASE("a packages directory that appears later is picked up", "[synology]") {
    testutil::TempDir d;
    Loop l;
    SynologyWatcher w(&l.loop, (d.path() / "packages").string(), [] {});
    REQUIRE(w.start() == 0);
    CHECK(w.enabled().empty());
    d.write("packages/Chat/enabled", "");
    CHECK(l.until([&] { return w.enabled() == Set{"Chat"}; }));
}

TEST_CASE("no change, no notification", "[synology]") {
    testutil::TempDir d;
    d.write("packages/Chat/enabled", "");
    Loop l;
    int changes = 0;
    SynologyWatcher w(&l.loop, (d.path() / "packages").string(), [&] { ++changes; });
    REQUIRE(w.start() == 0);
    d.write("packages/Chat/INFO", "unrelated file\n");
    l.until([] { return false; }); // let the event arrive (2 s bound)
    CHECK(changes == 1);
}
