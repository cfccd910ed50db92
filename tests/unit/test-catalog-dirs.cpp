// SPDX-License-Identifier: GPL-2.0-or-later
// An empty catalogue (a daemon installed to another prefix than it was built for, or no
// catalogue installed) is never silent: an error when the config names services, a warning
// otherwise, and both name the directories searched.
#include "app/cli.hpp"
#include "core/catalog-dirs.hpp"
#include "core/config.hpp"
#include "tmpdir.hpp"

#include <catch2/catch.hpp>
#include <sstream>

using namespace portcullis;

namespace {

struct Run {
    int status;
    std::string out;
    std::string err;
};

Run check_config(const std::string& config) {
    std::vector<const char*> argv{"portcullisd", "--check-config", "--config", config.c_str()};
    std::ostringstream out, err;
    auto opts = parse_args(static_cast<int>(argv.size()), argv.data(), err);
    REQUIRE(opts);
    int st = run_offline(*opts, out, err);
    return {st, out.str(), err.str()};
}

} // namespace

TEST_CASE("a config naming services over an empty catalogue is an error naming the dirs",
          "[catalog-dirs]") {
    testutil::TempDir d;
    auto empty = d.str() + "/empty";
    std::filesystem::create_directories(empty);
    auto cfg = d.write("p.toml", "catalog_dirs = [\"" + empty + "\", \"" + d.str() +
                                     "/missing\"]\n\n[services.smb]\n\n[always]\n"
                                     "services = [\"ssh\"]\n");
    Run r = check_config(cfg);
    CHECK(r.status == exit_config);
    // One error, at the first service the file names ([services.smb]), with every directory
    // searched.
    CHECK(r.err == cfg + ":3:11: the config names services, but there is no service in any " +
                       "catalogue directory (searched: " + empty + ", " + d.str() + "/missing)\n");
}

TEST_CASE("an empty catalogue alone is a warning naming the dirs, and the check passes",
          "[catalog-dirs]") {
    testutil::TempDir d;
    auto cfg = d.write("p.toml", "catalog_dirs = [\"" + d.str() + "/nothing\"]\n");
    Run r = check_config(cfg);
    CHECK(r.status == exit_ok);
    CHECK(r.out == cfg + ": ok (0 services, 1 zone, mode monitor)\n");
    CHECK(r.err == "portcullisd: warning: the catalogue is empty, so no service port will open: "
                   "no service in any catalogue directory (searched: " +
                       d.str() + "/nothing)\n");
}

TEST_CASE("a catalogue with services gives no warning", "[catalog-dirs]") {
    testutil::TempDir d;
    d.write("cat/ssh.toml", "[[service]]\nid = \"ssh\"\nname = \"SSH\"\nports = [\"22/tcp\"]\n");
    auto cfg = d.write("p.toml", "catalog_dirs = [\"cat\"]\n[always]\nservices = [\"ssh\"]\n");
    Run r = check_config(cfg);
    CHECK(r.status == exit_ok);
    CHECK(r.err.empty());
    Config c = load_config(cfg);
    Catalog cat = load_catalog(c.catalog_dirs);
    CHECK_FALSE(names_services_without_catalog(c, cat));
}
