// SPDX-License-Identifier: GPL-2.0-or-later
// What a hostile tester threw at the loaders: control characters in names and paths, files
// that are not regular files, dangling links in a catalogue directory, huge values echoed in
// messages, bytes on which the TOML library asserts, and lists long enough to show quadratic
// work. Each is a clear error with its position, or (the lists) simply correct.
#include "core/catalog.hpp"
#include "core/config.hpp"
#include "core/strings.hpp"
#include "core/text-file.hpp"
#include "tmpdir.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <sys/stat.h>

using namespace portcullis;

namespace {

std::string config_error(const std::string& text) {
    try {
        parse_config_text(text, "c.toml");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

std::string catalog_error(const std::string& text) {
    try {
        parse_catalog_text(text, "cat.toml");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

std::string load_error(const std::vector<std::string>& dirs) {
    try {
        load_catalog(dirs);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

} // namespace

TEST_CASE("a NUL in a path setting is an error, not a shorter path", "[config][bad-input]") {
    // The NUL used to end the path at the first C call: SetOverride then wrote /some/file.toml.
    CHECK(config_error("state_dir = \"/some/file.toml\\u0000/state\"\n") ==
          "c.toml:1:13: 'state_dir' cannot contain control characters (\\x00): "
          "\"/some/file.toml\\x00/state\"");
    CHECK(config_error("catalog_dirs = [\"/etc/a\", \"/x\\u0000y\"]\n") ==
          "c.toml:1:27: 'catalog_dirs' cannot contain control characters (\\x00): \"/x\\x00y\"");
    CHECK(config_error("[synology]\npackages_dir = \"/var/\\npackages\"\n") ==
          "c.toml:2:16: 'packages_dir' cannot contain control characters (\\n): "
          "\"/var/\\npackages\"");
}

TEST_CASE("control characters are refused in every name, interface and id", "[config][bad-input]") {
    CHECK(config_error("bus = \"unix:path=/run/x\\u0000y\"\n")
              .find("c.toml:1:7: 'bus' cannot contain control characters (\\x00)") == 0);
    CHECK(config_error("table = \"pc\\u001b\"\n").find("c.toml:1:9: 'table' cannot contain") == 0);
    CHECK(config_error("[zones.lan]\ninterfaces = [\"br0\\u0000\"]\n")
              .find("c.toml:2:15: 'interfaces' cannot contain") == 0);
    CHECK(config_error("[zones.lan]\nsources = [\"198.18.0.1\\u0000junk\"]\n")
              .find("c.toml:2:12: 'sources' cannot contain") == 0);
    CHECK(config_error("[always]\nservices = [\"ssh\\t\"]\n")
              .find("c.toml:2:13: 'services' cannot contain control characters (\\t)") == 0);
    CHECK(catalog_error("[[service]]\nid = \"a\\u0000b\"\nname = \"A\"\n")
              .find("cat.toml:2:6: 'id' cannot contain") == 0);
    CHECK(catalog_error("[[service]]\nid = \"a\"\nname = \"A\\rB\"\n")
              .find("cat.toml:3:8: 'name' cannot contain control characters (\\r)") == 0);
    CHECK(catalog_error("[[service]]\nid = \"a\"\nname = \"A\"\nunits = [\"a.service\\u0000\"]\n")
              .find("cat.toml:4:10: 'units' cannot contain") == 0);
    // Escapes that are not control characters stay fine.
    CHECK(config_error("state_dir = \"/var/lib/p\\u00e9\"\n").empty());
}

TEST_CASE("raw control bytes are refused before the TOML library sees them", "[toml][bad-input]") {
    // toml++ 3.3.0 asserts on "[" followed by 0x01 (builds with assertions on).
    CHECK(config_error(std::string("[\x01", 2)) ==
          "c.toml:1:2: control character \\x01 (TOML allows none; in a string, write it as an "
          "escape such as \\u0001)");
    CHECK(config_error("mode = \"a\x1b[31mb\"\n").find("c.toml:1:10: control character \\x1b") ==
          0);
    CHECK(config_error(std::string("# a comment \0 with a NUL\n", 25)).find("c.toml:1:13:") == 0);
    CHECK(config_error("a = 1\x7f\n").find("c.toml:1:6: control character \\x7f") == 0);
    // Tabs and CRLF line ends are TOML.
    CHECK(config_error("mode\t= \"enforce\"\r\n").empty());
}

TEST_CASE("table headers toml++ asserts on are refused before it sees them", "[toml][bad-input]") {
    // Found by fuzzing a build with assertions on: "[" (or "[[") then anything but a name.
    const std::string why =
        "a table header must begin with a name: letters, digits, '_' and '-', or a quoted name";
    CHECK(config_error("mode = \"enforce\"\n[/verrides]\n") == "c.toml:2:2: " + why);
    CHECK(config_error("[=]\n") == "c.toml:1:2: " + why);
    CHECK(config_error("  [[ .zones]]\n") == "c.toml:1:6: " + why);
    CHECK(config_error("[\n") == "c.toml:1:2: " + why);
    CHECK(config_error("[#]\n") == "c.toml:1:2: " + why);
    // And "}" where an array expects a value.
    CHECK(config_error("a = [\n  # c\n }]\n") ==
          "c.toml:3:2: '}' where a value belongs (after '[')");
    CHECK(config_error("a = [1, }]\n") == "c.toml:1:9: '}' where a value belongs (after ',')");
    CHECK(config_error("a = {b = 1}\nc = [{d = 2}, {e = \"}\"}]\n").find("where a value") ==
          std::string::npos);
    // A quote inside a broken bare value opens no string in toml++ (upstream #190 again).
    CHECK(config_error("b = 77b777'\xc9\xbe'\n") ==
          "c.toml:1:12: non-ASCII character outside a string or comment");
    // Where TOML has strings, non-ASCII stays fine.
    CHECK(config_error("[zones.lan]\n\"s\xc3\xa9\".x = 1\nd = ['\xc3\xa9', \"\xc3\xa9\"]\n"
                       "e = {f = '\xc3\xa9'}\n")
              .find("non-ASCII") == std::string::npos);
    // Arrays are not headers, and good headers pass.
    CHECK(config_error("catalog_dirs = [\n  \"/a\"]\n[zones.lan]\n[ \"services\" . ssh ]\n")
              .find(why) == std::string::npos);
}

TEST_CASE("messages cut long values and escape control bytes", "[config][bad-input]") {
    // A 1 MB bad value is quoted in about 60 characters.
    std::string huge(1 << 20, 'x');
    std::string e = config_error("mode = \"" + huge + "\"\n");
    CHECK(e.size() < 200);
    CHECK(e == "c.toml:1:8: mode must be \"enforce\" or \"monitor\", not \"" +
                   std::string(60, 'x') + "\u2026\"");
    e = config_error("[zones.lan]\ninterfaces = [\"" + huge + "\"]\n");
    CHECK(e.size() < 200);
    CHECK(e.find("bad interface \"xxxx") != std::string::npos);
    e = catalog_error("[[service]]\nid = \"a\"\nname = \"A\"\nports = [\"" + huge + "/tcp\"]\n");
    CHECK(e.size() < 300);
    // A duplicate quoted key with escapes: toml++ garbles it ('"k\k\u001b[2J" '); the key is
    // quoted as written.
    e = config_error("\"k\\u001b[2J\" = 1\n\"k\\u001b[2J\" = 2\n");
    CHECK(e == "c.toml:2:16: Error while parsing key-value pair: cannot redefine existing "
               "integer '\"k\\u001b[2J\"'");
    e = config_error("[a]\nx = 1\n[a]\n");
    CHECK(e.find("cannot redefine existing table '[a]'") != std::string::npos);
    // An unknown key with a newline in it.
    e = config_error("\"a\\nb\" = 1\n");
    CHECK(e == "c.toml:1:1: unknown key 'a\\nb' in the top level");
    CHECK(printable("caf\xc3\xa9 \xc3\xa9t\xc3\xa9", 6) == "caf\xc3\xa9 \xc3\xa9\u2026");
}

TEST_CASE("only regular files are config files", "[config][bad-input]") {
    testutil::TempDir d;
    std::filesystem::create_directory(d.path() / "dir.toml");
    auto read_error = [](const std::string& path) {
        try {
            detail::read_text_file(path);
        } catch (const ConfigError& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    // A directory used to be "larger than 16 MiB", /dev/zero an empty, valid file.
    CHECK(read_error((d.path() / "dir.toml").string()) ==
          (d.path() / "dir.toml").string() + ": not a regular file (a directory)");
    CHECK(read_error("/dev/zero") == "/dev/zero: not a regular file (a character device)");
    CHECK(read_error("/dev/null") == "/dev/null: not a regular file (a character device)");
    // A FIFO with a writer would not hang the old code: this one has none, and opening it must
    // not wait for one (the command-line test checks the daemon against one too).
    std::string fifo = (d.path() / "fifo.toml").string();
    REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
    CHECK(read_error(fifo) == fifo + ": not a regular file (a FIFO)");
    // A symlink to a regular file is fine.
    d.write("real.toml", "mode = \"enforce\"\n");
    std::filesystem::create_symlink(d.path() / "real.toml", d.path() / "link.toml");
    CHECK(load_config((d.path() / "link.toml").string()).mode == Mode::enforce);
}

TEST_CASE("a dangling link in a catalogue directory names the file", "[catalog][bad-input]") {
    testutil::TempDir d;
    d.write("cat/10-ok.toml", "[[service]]\nid = \"ok\"\nname = \"OK\"\n");
    std::filesystem::create_symlink("/nonexistent/gone.toml", d.path() / "cat" / "20-gone.toml");
    // It used to fail the whole directory: "cannot list directory: No such file or directory".
    CHECK(load_error({(d.path() / "cat").string()}) ==
          (d.path() / "cat" / "20-gone.toml").string() +
              ": cannot open: dangling symbolic link to /nonexistent/gone.toml");
    // A directory named like a catalogue file is named as well.
    std::filesystem::remove(d.path() / "cat" / "20-gone.toml");
    std::filesystem::create_directory(d.path() / "cat" / "30-dir.toml");
    CHECK(load_error({(d.path() / "cat").string()}) ==
          (d.path() / "cat" / "30-dir.toml").string() + ": not a regular file (a directory)");
    // Hidden files and other names are not catalogue files at all.
    std::filesystem::remove(d.path() / "cat" / "30-dir.toml");
    std::filesystem::create_symlink("/nonexistent", d.path() / "cat" / ".hidden.toml");
    std::filesystem::create_symlink("/nonexistent", d.path() / "cat" / "notes.txt");
    CHECK(load_catalog({(d.path() / "cat").string()}).size() == 1);
}

TEST_CASE("long lists load correctly, duplicates counted once, in file order",
          "[config][bad-input]") {
    // 40,000 entries used to take seconds (each searched the list so far). The load time is
    // measured by bench/load-bench; here the result.
    std::string ifs, ids;
    for (int i = 0; i < 40000; ++i) {
        ifs += "\"e" + std::to_string(i % 20000) + "\",";
        ids += "\"s" + std::to_string((i * 7) % 20000) + "\",";
    }
    Config c = parse_config_text(
        "[zones.lan]\ninterfaces = [" + ifs + "]\n[always]\nservices = [" + ids + "]\n", "c.toml");
    REQUIRE(c.declared_zones.size() == 1);
    const auto& got = c.declared_zones[0].interfaces;
    REQUIRE(got.size() == 20000);
    CHECK(got.front() == "e0");
    CHECK(got[19999] == "e19999");
    REQUIRE(c.always.size() == 20000);
    CHECK(c.always[1] == "s7");
    CHECK(c.always_ids.size() == 20000);
    CHECK(c.is_always("s19999"));
    CHECK_FALSE(c.is_always("s20000"));
    REQUIRE(c.always_pos.size() == 20000);
    CHECK(c.always_pos[1].column > c.always_pos[0].column);
}

TEST_CASE("a big catalogue loads sorted, a later directory replacing whole services",
          "[catalog][bad-input]") {
    testutil::TempDir d;
    std::string big;
    for (int i = 9999; i >= 0; --i)
        big += "[[service]]\nid = \"s" + std::to_string(i) + "\"\nname = \"S\"\n";
    d.write("a/10.toml", big);
    d.write("b/10.toml", "[[service]]\nid = \"s5\"\nname = \"replaced\"\n");
    Catalog c = load_catalog({(d.path() / "a").string(), (d.path() / "b").string()});
    REQUIRE(c.size() == 10000);
    CHECK(std::is_sorted(c.services().begin(), c.services().end(),
                         [](const Service& x, const Service& y) { return x.id < y.id; }));
    CHECK(c.find("s5")->name == "replaced");
    CHECK(c.find("s9999")->name == "S");
}
