// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/catalog.hpp"
#include "core/toml-reader.hpp"

#include <catch2/catch.hpp>

using namespace portcullis;
using portcullis::detail::guard_toml_text;

TEST_CASE("the guard lets ordinary files through", "[toml][guard]") {
    CHECK_FALSE(
        guard_toml_text("a = 1\n# Überall ® fine in comments\nb = \"Logitech® Media\"\n"
                        "c = 'naïve'\nd = '''\nmulti ® literal\n'''\ne = \"\"\"\nascii\n\"\"\"\n",
                        "f.toml"));
    CHECK_FALSE(guard_toml_text("s = \"escaped \\\" quote ® still in string\"\n", "f.toml"));
}

TEST_CASE("the guard stops inputs that crash toml++ 3.3.0", "[toml][guard]") {
    // Upstream #295: a combining mark where a key should start.
    auto bad = guard_toml_text("\xcc\xaa", "f.toml");
    REQUIRE(bad);
    CHECK(bad->str() == "f.toml:1:1: non-ASCII character outside a string or comment");

    // Upstream #190: a line-ending backslash in a multi-line basic string, then U+00A7.
    bad = guard_toml_text("s = \"\"\"\\\n\xc2\xa7\"\"\"\n", "f.toml");
    REQUIRE(bad);
    CHECK(bad->pos.line == 2);
    CHECK(bad->pos.column == 1);
}

TEST_CASE("the guard rejects invalid UTF-8 with its position", "[toml][guard]") {
    auto bad = guard_toml_text("a = 1\nb = \"x\xff\"\n", "f.toml");
    REQUIRE(bad);
    CHECK(bad->str() == "f.toml:2:7: invalid UTF-8");
    CHECK(guard_toml_text("# \xed\xa0\x80 surrogate\n", "f.toml"));   // U+D800
    CHECK(guard_toml_text("# \xc0\xaf overlong\n", "f.toml"));        // overlong '/'
    CHECK(guard_toml_text("# \xf4\x90\x80\x80 too big\n", "f.toml")); // > U+10FFFF
    CHECK(guard_toml_text("# truncated \xe2\x82", "f.toml"));
}

TEST_CASE("guarded input reaches the caller as a positioned ConfigError", "[toml][guard]") {
    try {
        parse_catalog_text("[[service]]\nid = \"x\"\nname = \"y\"\n\xe2\x80\x80 = 1\n", "cat.toml");
        FAIL("no error");
    } catch (const ConfigError& e) {
        CHECK(std::string(e.what()) ==
              "cat.toml:4:1: non-ASCII character outside a string or comment");
    }
}

TEST_CASE("the guard reads a broken bare value as toml++ does, to its end", "[toml][guard]") {
    // Found by fuzz-toml: toml++ reads "0[..." as one bare value up to whitespace, ']', '}',
    // ',' or '#', and reaches __builtin_unreachable() on U+FEFD there. The quote inside it
    // opens no string.
    auto bad = guard_toml_text("ports =0[\"22/tc\xef\xbb\xbdp\"]\n", "f.toml");
    REQUIRE(bad);
    CHECK(bad->str() == "f.toml:1:16: non-ASCII character outside a string or comment");
    CHECK(guard_toml_text("a = 1\xc3\xa9\n", "f.toml"));
    // A value after it, or in an array, is read as before.
    CHECK_FALSE(guard_toml_text("a = 1 # \xc3\xa9\nb = [1, \"\xc3\xa9\", 2.5]\n"
                                "c = {x = 1, y = \"\xef\xbb\xbd\"}\nd = 1979-05-27T07:32:00Z\n",
                                "f.toml"));
}
