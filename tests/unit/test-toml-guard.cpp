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

TEST_CASE("the guard stops a date, a space and one digit before toml++ assumes otherwise",
          "[toml][guard]") {
    // Found by fuzz-toml (30-minute run): toml++ 3.3.0 looks past the space after a date for a
    // time, and asserts (assumes, without assertions) that a single digit there does not end
    // the value.
    auto bad = guard_toml_text("x=0211-11-11 1 ", "f.toml");
    REQUIRE(bad);
    CHECK(bad->str() == "f.toml:1:14: a date, a space and one digit: not a value (a date-time is "
                        "written 1979-05-27T07:32:00)");
    for (const char* end : {"]", "}", ",", "#", "\t", "\n", "\r\n"}) {
        INFO(end);
        CHECK(guard_toml_text("a = [1979-05-27 7" + std::string(end), "f.toml"));
    }
    CHECK(guard_toml_text("d = 1_979-05-27 7 \n", "f.toml")); // toml++ drops the underscore
    CHECK(guard_toml_text("x=0211-s1-11 1 ", "f.toml"));      // and sorts no value by 's'
    // What toml++ reads safely stays readable: a date-time with a space, a date alone, a date at
    // the end of the text, a date then two digits, a date then a space and a letter.
    for (const char* ok : {"d = 1979-05-27 07:32:00\n", "d = 1979-05-27\n", "d = 1979-05-27 7",
                           "d = 1979-05-27 07\n", "d = 1979-05-27 x\n", "d = 1979-05-270 7\n",
                           "d = 1979-05-2 7\n"}) {
        INFO(ok);
        CHECK_FALSE(guard_toml_text(ok, "f.toml"));
    }
}

TEST_CASE("the guard knows that a line inside an array may begin with a value", "[toml][guard]") {
    // Both checks of bare values held only for values after '=', '[' or ',' on the same line.
    auto bad = guard_toml_text("a = [\n0211-11-11 1 ]\n", "f.toml");
    REQUIRE(bad);
    CHECK(bad->str() == "f.toml:2:12: a date, a space and one digit: not a value (a date-time is "
                        "written 1979-05-27T07:32:00)");
    bad = guard_toml_text("a = [ # c\n  0[\"\xef\xbb\xbd\"]]\n", "f.toml");
    REQUIRE(bad);
    CHECK(bad->str() == "f.toml:2:6: non-ASCII character outside a string or comment");
    // Arrays over several lines, nested, in an inline table, and table headers around them.
    CHECK_FALSE(guard_toml_text("[t]\na = [\n  1,\n  \"\xc3\xa9\",\n  [2, \"\xc3\xa9\"],\n]\n"
                                "[[u]]\nb = {c = [\n\"\xc3\xa9\"]}\n\"\xc3\xa9\" = 1\n"
                                "[v]\nd = 1979-05-27 07:32:00\n",
                                "f.toml"));
}
