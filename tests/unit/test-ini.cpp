// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/ini.hpp"

#include <catch2/catch.hpp>

using namespace portcullis;

namespace {

std::vector<std::string> errors(const IniDocument& d) {
    std::vector<std::string> out;
    for (const auto& e : d.errors)
        out.push_back(std::to_string(e.line) + ":" + std::to_string(e.column) + ": " + e.message +
                      " [" + std::to_string(e.section) + "]");
    return out;
}

} // namespace

TEST_CASE("ini: sections, entries, comments and quoted values", "[ini]") {
    IniDocument d = parse_ini("\xEF\xBB\xBF# top comment\n"
                              "GLOBAL = 1\r\n"
                              "\n"
                              "[ssh]\r\n"
                              "  ; indented comment\n"
                              "title=\"SSH \\\"server\\\" \\\\ x\"\n"
                              "dst.ports = \"22/tcp\"  \n"
                              "single='it''s'\n"
                              "empty=\n"
                              "[ web ]\n"
                              "ports=80,443/tcp\n");
    CHECK(errors(d) == std::vector<std::string>{"8:12: text after the closing quote [0]"});
    REQUIRE(d.globals.size() == 1);
    CHECK(d.globals[0].key == "GLOBAL");
    CHECK(d.globals[0].value == "1");
    CHECK(d.globals[0].line == 2);
    REQUIRE(d.sections.size() == 2);
    const IniSection& ssh = d.sections[0];
    CHECK(ssh.name == "ssh");
    CHECK(ssh.line == 4);
    REQUIRE(ssh.find("title"));
    CHECK(ssh.find("title")->value == "SSH \"server\" \\ x");
    CHECK(ssh.find("title")->value_column == 8);
    CHECK(ssh.find("dst.ports")->value == "22/tcp");
    CHECK(ssh.find("dst.ports")->column == 1);
    CHECK(ssh.find("single") == nullptr);
    CHECK(ssh.find("empty")->value.empty());
    CHECK(d.sections[1].name == "web");
    CHECK(d.sections[1].find("ports")->value == "80,443/tcp");
}

TEST_CASE("ini: without quoted values, quotes are kept as configparser keeps them", "[ini]") {
    IniOptions o;
    o.quoted_values = false;
    IniDocument d = parse_ini("[a]\nx=\"quoted\" tail\n", o);
    CHECK(d.errors.empty());
    CHECK(d.sections[0].find("x")->value == "\"quoted\" tail");
}

TEST_CASE("ini: colon separators and continuation lines when asked", "[ini]") {
    const char* text = "[p]\nTitle: A: B\ndescription = one\n  two\n# comment\n\tthree\n\n  four\n";
    IniOptions o;
    o.colon_separator = true;
    o.continuation_lines = true;
    IniDocument d = parse_ini(text, o);
    CHECK(errors(d) == std::vector<std::string>{"8:3: expected KEY=VALUE or KEY: VALUE [0]"});
    CHECK(d.sections[0].find("Title")->value == "A: B");
    CHECK(d.sections[0].find("description")->value == "one\ntwo\nthree");

    IniDocument plain = parse_ini(text);
    CHECK(plain.sections[0].find("Title") == nullptr);
    CHECK(plain.sections[0].find("description")->value == "one");
    CHECK(errors(plain) ==
          std::vector<std::string>{"2:1: expected KEY=VALUE [0]", "4:3: expected KEY=VALUE [0]",
                                   "6:2: expected KEY=VALUE [0]", "8:3: expected KEY=VALUE [0]"});
}

TEST_CASE("ini: a bad line is an error of its section, and only it is skipped", "[ini]") {
    IniDocument d = parse_ini("[good]\na=1\n\n[broken\nb=2\n[]\nc=3\n[x] y\n=4\nd\"=5\n");
    CHECK(errors(d) == std::vector<std::string>{
                           "4:1: section header without ']' [1]", "6:1: empty section name [2]",
                           "8:5: text after the section header [3]", "9:1: empty key [3]"});
    REQUIRE(d.sections.size() == 4);
    CHECK(d.sections[0].entries.size() == 1); // nothing after the damage lands in [good]
    CHECK(d.sections[1].name == "broken");
    CHECK(d.sections[1].find("b")->value == "2");
    CHECK(d.sections[3].find("d\"")->value == "5");
}

TEST_CASE("ini: bytes that are not text are errors with columns", "[ini]") {
    using namespace std::string_literals;
    IniDocument d = parse_ini("[a]\nk=\xC3\xA9\xff\nv=x\0y\nt=a\x01\nok=1\n"s);
    CHECK(errors(d) == std::vector<std::string>{"2:4: invalid UTF-8 [0]",
                                                "3:4: NUL byte (this is not a text file) [0]",
                                                "4:4: control character in the line [0]"});
    CHECK(d.sections[0].entries.size() == 1);
}

TEST_CASE("ini: errors are capped", "[ini]") {
    std::string text;
    for (int i = 0; i < 1000; ++i)
        text += "junk\n";
    IniDocument d = parse_ini(text);
    REQUIRE(d.errors.size() == max_ini_errors + 1);
    CHECK(d.errors.back().message == "too many errors; the rest are not shown");
}
