// SPDX-License-Identifier: GPL-2.0-or-later
// The overrides file is the daemon's state, written by itself: what is kept of a damaged one,
// and what the start does with it (the manager's side is in test-manager.cpp).
#include "app/overrides-store.hpp"
#include "core/overrides.hpp"
#include "tmpdir.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <sys/stat.h>

using namespace portcullis;

namespace fs = std::filesystem;

TEST_CASE("a good overrides file is read whole, with no problem", "[overrides]") {
    auto s = salvage_overrides_text("# x\n[overrides]\nsmb = \"open\"\nssh = \"closed\"\n", "o");
    CHECK(s.problems.empty());
    CHECK(s.overrides == Overrides{{"smb", Override::open}, {"ssh", Override::closed}});
    CHECK(salvage_overrides_text("", "o").overrides.empty());
}

TEST_CASE("bad entries are dropped, good ones kept", "[overrides]") {
    auto s = salvage_overrides_text(
        "[overrides]\nsmb = \"open\"\nBad = \"open\"\nweb = \"opened\"\nssh = \"closed\"\n", "o");
    CHECK(s.overrides == Overrides{{"smb", Override::open}, {"ssh", Override::closed}});
    REQUIRE(s.problems.size() == 2);
    CHECK(s.problems[0].str() == "o:3:1: bad service id 'Bad'");
    CHECK(s.problems[1].str() == "o:4:7: override must be \"open\" or \"closed\"");
}

TEST_CASE("a file that is no longer TOML keeps the lines that still read right", "[overrides]") {
    // Cut short mid-line, and a line of garbage in the middle.
    auto s = salvage_overrides_text(
        "[overrides]\nsmb = \"open\"\n\x7fgarbage ]]\nftp = \"closed\" # note\nssh = \"clo", "o");
    REQUIRE_FALSE(s.problems.empty());
    CHECK(s.problems[0].pos.line == 3);
    CHECK(s.overrides == Overrides{{"ftp", Override::closed}, {"smb", Override::open}});
}

TEST_CASE("at start a damaged file is moved aside with a timestamp and rewritten", "[overrides]") {
    testutil::TempDir d;
    std::string state = d.str();
    d.write("overrides.toml", "[overrides]\nsmb = \"open\"\nweb = 3\n");
    std::time_t t = 1796000000; // 2026-11-30T00:53:20Z
    auto o = load_overrides_at_start(state, t);
    CHECK(o.overrides == Overrides{{"smb", Override::open}});
    REQUIRE(o.problems.size() == 1);
    CHECK(o.problems[0].str() == state + "/overrides.toml:3:7: override must be \"open\" or "
                                         "\"closed\"");
    CHECK(o.moved_to == state + "/overrides.toml.corrupt-20261130T005320Z");
    CHECK(o.error == 0);
    CHECK(fs::exists(o.moved_to));
    CHECK(load_overrides(state) == Overrides{{"smb", Override::open}});

    // Again in the same second: the first copy is not overwritten.
    d.write("overrides.toml", "nonsense");
    auto again = load_overrides_at_start(state, t);
    CHECK(again.moved_to == state + "/overrides.toml.corrupt-20261130T005320Z-2");
    CHECK(again.overrides.empty());
    CHECK(load_overrides(state).empty());
}

TEST_CASE("at start, a good or missing file is left alone", "[overrides]") {
    testutil::TempDir d;
    auto none = load_overrides_at_start(d.str(), 0);
    CHECK(none.problems.empty());
    CHECK(none.overrides.empty());
    CHECK_FALSE(fs::exists(d.path() / "overrides.toml"));
    d.write("overrides.toml", "[overrides]\nsmb = \"open\"\n");
    auto good = load_overrides_at_start(d.str(), 0);
    CHECK(good.problems.empty());
    CHECK(good.moved_to.empty());
    CHECK(good.overrides == Overrides{{"smb", Override::open}});
}

TEST_CASE("at start, an overrides 'file' that is not a file is moved aside", "[overrides]") {
    testutil::TempDir d;
    std::string path = (d.path() / "overrides.toml").string();
    REQUIRE(mkfifo(path.c_str(), 0600) == 0);
    auto o = load_overrides_at_start(d.str(), 0);
    REQUIRE(o.problems.size() == 1);
    CHECK(o.problems[0].str() == path + ": not a regular file (a FIFO)");
    CHECK(o.moved_to == path + ".corrupt-19700101T000000Z");
    CHECK(fs::is_fifo(o.moved_to));
    CHECK(fs::is_regular_file(path));
}
