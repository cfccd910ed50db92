// SPDX-License-Identifier: GPL-2.0-or-later
// UnitDirs on a real directory tree laid out like systemd's: which unit names a change of
// files and links concerns.
#include "sources/unit-dirs.hpp"
#include "tmpdir.hpp"

#include <catch2/catch.hpp>
#include <filesystem>

using namespace portcullis;

namespace fs = std::filesystem;

namespace {

using Names = std::set<std::string, std::less<>>;

void link(const fs::path& target, const fs::path& at) {
    fs::create_symlink(target, at);
}

} // namespace

TEST_CASE("enable, disable and mask show up by unit name", "[systemd][unit-dirs]") {
    testutil::TempDir d;
    fs::path etc = d.path() / "etc";
    fs::path lib = d.path() / "lib";
    d.write("lib/a.service", "[Install]\nWantedBy=default.target\n");
    d.write("lib/b.service", "[Install]\nWantedBy=default.target\n");
    fs::create_directories(etc / "default.target.wants");
    UnitDirs dirs;
    REQUIRE(dirs.watch({etc.string(), lib.string(), (d.path() / "missing").string()}) == 0);
    CHECK(dirs.take().names.empty());

    link(lib / "a.service", etc / "default.target.wants" / "a.service"); // enable a
    link("/dev/null", etc / "b.service");                                // mask b
    auto c = dirs.take();
    CHECK(c.any);
    CHECK_FALSE(c.lost);
    CHECK(c.names == Names{"a.service", "b.service"});

    fs::remove(etc / "default.target.wants" / "a.service"); // disable a
    CHECK(dirs.take().names == Names{"a.service"});
    CHECK_FALSE(dirs.take().any); // nothing happened since
}

TEST_CASE("a new .wants directory is read whole", "[systemd][unit-dirs]") {
    testutil::TempDir d;
    fs::path etc = d.path() / "etc";
    fs::create_directories(etc);
    UnitDirs dirs;
    REQUIRE(dirs.watch({etc.string()}) == 0);
    // Made and filled before anyone looks (the first enable of a target's first unit).
    fs::create_directories(etc / "multi-user.target.wants");
    link("/lib/x@.service", etc / "multi-user.target.wants" / "x@one.service");
    fs::create_directories(etc / "foo.service.d"); // drop-ins say nothing about enablement
    d.write("etc/foo.service.d/override.conf", "[Service]\n");
    auto c = dirs.take();
    CHECK(c.names == Names{"x@one.service"});
    link("/lib/y.service", etc / "multi-user.target.wants" / "y.service");
    CHECK(dirs.take().names == Names{"y.service"});
}

TEST_CASE("a unit directory that appears, or is made anew, is read whole", "[systemd][unit-dirs]") {
    testutil::TempDir d;
    fs::path user = d.path() / "config" / "systemd" / "user";
    fs::path gen = d.path() / "generator";
    d.write("generator/g1.service", "");
    UnitDirs dirs;
    REQUIRE(dirs.watch({user.string(), gen.string()}) == 0);
    // ~/.config/systemd/user does not exist until the first `systemctl --user enable`.
    fs::create_directories(user / "default.target.wants");
    link("/lib/a.service", user / "default.target.wants" / "a.service");
    CHECK(dirs.take().names == Names{"a.service"});
    // systemd makes its generator directories anew on every reload.
    fs::remove_all(gen);
    d.write("generator/g2.service", "");
    // Its removal, and what the new one holds.
    CHECK(dirs.take().names == Names{"g1.service", "g2.service"});
    d.write("generator/g3.service", "");
    CHECK(dirs.take().names == Names{"g3.service"}); // and it is watched again
}

TEST_CASE("without a watch, every change counts as lost", "[systemd][unit-dirs]") {
    UnitDirs dirs;
    CHECK_FALSE(dirs.watching());
    CHECK(dirs.take().lost);
}
