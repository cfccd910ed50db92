// SPDX-License-Identifier: GPL-2.0-or-later
#include "app/cli.hpp"
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

Run run(const std::vector<std::string>& args) {
    std::vector<const char*> argv{"portcullisd"};
    for (const auto& a : args)
        argv.push_back(a.c_str());
    std::ostringstream out, err;
    auto opts = parse_args(static_cast<int>(argv.size()), argv.data(), err);
    if (!opts)
        return {exit_usage, out.str(), err.str()};
    int st = run_offline(*opts, out, err);
    return {st, out.str(), err.str()};
}

const char* catalog_text = R"([[service]]
id = "ssh"
name = "SSH/SFTP"
vendor = "synology"
category = "system"
ports = ["22/tcp"]
units = ["ssh.service"]
source = "test"

[[service]]
id = "ha"
name = "High \"Availability\""
ports = ["icmp", "icmpv6", "7400-7999/tcp"]
optional = ["1234/udp"]
remote = ["443/tcp"]
helpers = ["ftp"]
packages = ["HighAvailability"]
)";

} // namespace

TEST_CASE("argument parsing", "[cli]") {
    CHECK(run({"--frobnicate"}).err ==
          "portcullisd: unknown argument '--frobnicate'; try --help\n");
    CHECK(run({"--frobnicate"}).status == exit_usage);
    CHECK(run({"--config"}).err == "portcullisd: --config needs a value\n");
    CHECK(run({"--check-config", "--print-catalog"}).err ==
          "portcullisd: --print-catalog cannot be combined with another command\n");
    CHECK(run({"--check-config", "--assume-enabled", "ssh"}).err ==
          "portcullisd: --assume-enabled only goes with --print-ruleset\n");
    CHECK(run({"--print-catalog", "--dry-run"}).status == exit_usage);
    CHECK(run({"--version"}).out.rfind("portcullisd ", 0) == 0);
    CHECK(run({"--help"}).out.find("--print-ruleset [--config PATH] [--assume-enabled ID,ID...]") !=
          std::string::npos);

    std::ostringstream err;
    const char* argv[] = {"portcullisd", "--config=/x.toml", "--dry-run"};
    auto o = parse_args(3, argv, err);
    REQUIRE(o);
    CHECK(o->command == Command::run);
    CHECK(o->config_path == "/x.toml");
    CHECK(o->config_given);
    CHECK(o->dry_run);
}

TEST_CASE("cli: --check-config points at the broken line and exits 78", "[cli]") {
    testutil::TempDir d;
    d.write("catalog.d/10.toml", catalog_text);
    auto cfg = d.write("p.toml", "catalog_dirs = [\"catalog.d\"]\nmode = "
                                 "\"enforce\"\n\n[always]\nservices = [\"ssh\", \"shh\"]\n");
    Run r = run({"--check-config", "--config", cfg});
    CHECK(r.status == 78);
    CHECK(r.err == cfg + ":5:20: unknown service \"shh\" (not in the catalogue)\n");

    auto good =
        d.write("good.toml", "catalog_dirs = [\"catalog.d\"]\n[always]\nservices = [\"ssh\"]\n");
    r = run({"--check-config", "--config", good});
    CHECK(r.status == 0);
    CHECK(r.out == good + ": ok (2 services, 1 zone, mode monitor)\n");

    r = run({"--check-config", "--config", (d.path() / "missing.toml").string()});
    CHECK(r.status == 78);
    CHECK(r.err ==
          (d.path() / "missing.toml").string() + ": cannot open: No such file or directory\n");

    // A broken catalogue file is reported with its own position.
    auto bad_cat = d.write("catalog.d/20.toml",
                           "[[service]]\nid = \"x\"\nname = \"X\"\nports = [\"70000/tcp\"]\n");
    r = run({"--check-config", "--config", good});
    CHECK(r.status == 78);
    CHECK(r.err == bad_cat + ":4:10: bad port '70000/tcp': port 70000 is out of range 1-65535\n");
}

TEST_CASE("cli: --print-catalog prints the JSON portcullisd(8) documents", "[cli]") {
    testutil::TempDir d;
    d.write("catalog.d/10.toml", catalog_text);
    auto cfg = d.write("p.toml", "catalog_dirs = [\"catalog.d\"]\n");
    Run r = run({"--print-catalog", "--config", cfg});
    REQUIRE(r.status == 0);
    CHECK(
        r.out ==
        "[\n"
        "  {\"id\":\"ha\",\"name\":\"High "
        "\\\"Availability\\\"\",\"vendor\":\"local\",\"category\":\"\","
        "\"ports\":[{\"proto\":\"tcp\",\"first\":7400,\"last\":7999},{\"proto\":\"icmp\",\"first\":"
        "0,\"last\":0},"
        "{\"proto\":\"icmpv6\",\"first\":0,\"last\":0}],"
        "\"optional\":[{\"proto\":\"udp\",\"first\":1234,\"last\":1234}],"
        "\"remote\":[{\"proto\":\"tcp\",\"first\":443,\"last\":443}],"
        "\"units\":[],\"packages\":[\"HighAvailability\"],\"helpers\":[\"ftp\"],\"source\":\"\"},\n"
        "  {\"id\":\"ssh\",\"name\":\"SSH/SFTP\",\"vendor\":\"synology\",\"category\":\"system\","
        "\"ports\":[{\"proto\":\"tcp\",\"first\":22,\"last\":22}],\"optional\":[],\"remote\":[],"
        "\"units\":[\"ssh.service\"],\"packages\":[],\"helpers\":[],\"source\":\"test\"}\n"
        "]\n");
}

TEST_CASE("cli: --print-ruleset with --assume-enabled", "[cli]") {
    testutil::TempDir d;
    d.write("catalog.d/10.toml", catalog_text);
    auto cfg = d.write("p.toml", "catalog_dirs = [\"catalog.d\"]\nstate_dir = \"state\"\n");
    Run none = run({"--print-ruleset", "--config", cfg});
    REQUIRE(none.status == 0);
    CHECK(none.out.find("elements") == std::string::npos);

    Run both = run({"--print-ruleset", "--config", cfg, "--assume-enabled", "ssh,ha"});
    REQUIRE(both.status == 0);
    CHECK(both.out.find("\tset any_tcp {\n\t\ttype inet_service\n\t\tflags interval\n\t\telements "
                        "= { 22, 7400-7999 }\n") != std::string::npos);
    CHECK(both.out.find("elements = { icmp, ipv6-icmp }") != std::string::npos);
    CHECK(both.out.find("1234") == std::string::npos); // optional, not asked for
    CHECK(both.out.find("443") == std::string::npos);  // remote

    Run bad = run({"--print-ruleset", "--config", cfg, "--assume-enabled", "ssh,nope"});
    CHECK(bad.status == exit_usage);
    CHECK(bad.err == "portcullisd: --assume-enabled: unknown service \"nope\"\n");

    // Overrides persisted by the daemon count too.
    d.write("state/overrides.toml", "[overrides]\nssh = \"open\"\n");
    Run persisted = run({"--print-ruleset", "--config", cfg});
    CHECK(persisted.out.find("elements = { 22 }") != std::string::npos);
}

TEST_CASE("cli: --migrate-from and --source-root on the command line", "[cli][migrate]") {
    const std::string root = std::string(PORTCULLIS_SOURCE_DIR) + "/tests/data/import/ufw-root";
    Run r = run({"--migrate-from=ufw", "--source-root=" + root});
    CHECK(r.status == exit_ok);
    CHECK(r.out.starts_with("# ==> portcullis.toml <==\n"));
    CHECK(r.err.find("portcullisd: migrated ") != std::string::npos);

    r = run({"--migrate-from", "ufw", "--source-root", root + "/nowhere"});
    CHECK(r.status == 66);

    r = run({"--migrate-from", "iptables"});
    CHECK(r.status == exit_usage);

    r = run({"--source-root", root});
    CHECK(r.status == exit_usage);
    CHECK(r.err == "portcullisd: --source-root only goes with --migrate-from\n");

    r = run({"--migrate-from", "ufw", "--config", "/etc/p.toml"});
    CHECK(r.status == exit_usage);

    r = run({"--migrate-from", "ufw", "--check-config"});
    CHECK(r.status == exit_usage);
    CHECK(r.err.find("cannot be combined") != std::string::npos);
}
