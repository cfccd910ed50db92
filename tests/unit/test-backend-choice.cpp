// SPDX-License-Identifier: GPL-2.0-or-later
// Which backend `backend = "auto"` picks for a given probe result, the one-line message when
// none can work, the probe seam (--simulate-missing), and the [legacy] config section. The probe
// results are made up here: that is the seam the daemon's tests use to get the legacy backend on
// a kernel that has nf_tables.
#include "app/cli.hpp"
#include "app/kernel-probe.hpp"
#include "core/config.hpp"

#include <catch2/catch.hpp>
#include <cerrno>
#include <sstream>

using namespace portcullis;

namespace {

KernelProbe everything() {
    KernelProbe k;
    k.nft = {.probed = true, .nf_tables = 0, .inet_table = 0, .interval_sets = 0, .ct_helper = 0};
    auto& l = k.legacy;
    l.probed = true;
    l.ipset = 0;
    l.ipset_protocol = 6;
    l.bitmap_port = 2;
    l.hash_net = 4;
    l.iptables = l.raw = l.ip6tables = l.raw6 = 0;
    l.ipv6 = true;
    l.set_match = true;
    l.state_match = "conntrack";
    l.ct_target = true;
    l.tools = legacy::RestoreTools{"/sbin/iptables-restore", "/sbin/ip6tables-restore"};
    return k;
}

// A DSM box on Linux 4.4: no nf_tables at all.
KernelProbe dsm() {
    KernelProbe k = everything();
    k.nft = {.probed = true, .nf_tables = -EPROTONOSUPPORT};
    return k;
}

} // namespace

TEST_CASE("auto picks nftables when it is complete, else legacy", "[backend-choice]") {
    CHECK(choose_backend(BackendKind::automatic, everything()).kind == BackendKind::nftables);
    CHECK(choose_backend(BackendKind::automatic, dsm()).kind == BackendKind::legacy);
    // nf_tables without the ct helper is not complete: legacy, which has everything.
    KernelProbe partial = everything();
    partial.nft.ct_helper = -ENOENT;
    CHECK(choose_backend(BackendKind::automatic, partial).kind == BackendKind::legacy);
    CHECK(choose_backend(BackendKind::legacy, everything()).kind == BackendKind::legacy);
    CHECK(choose_backend(BackendKind::nftables, everything()).kind == BackendKind::nftables);
}

TEST_CASE("the probe seam: hidden features count as missing", "[backend-choice]") {
    KernelProbe k = everything();
    hide_features(k, {"nf_tables"});
    CHECK_FALSE(k.nft.complete());
    CHECK(choose_backend(BackendKind::automatic, k).kind == BackendKind::legacy);
    hide_features(k, {"bitmap:port"});
    CHECK_FALSE(choose_backend(BackendKind::automatic, k).kind);
    CHECK(known_feature("nf_tables"));
    CHECK(known_feature("xt_set"));
    CHECK_FALSE(known_feature("nftables"));
}

TEST_CASE("neither backend: one line that says what is missing and what provides it",
          "[backend-choice]") {
    KernelProbe k = dsm();
    k.legacy.bitmap_port.reset();
    k.legacy.set_match = false;
    BackendChoice c = choose_backend(BackendKind::automatic, k);
    CHECK_FALSE(c.kind);
    CHECK(c.problem.find('\n') == std::string::npos);
    CHECK(c.problem == "neither firewall backend can work here: nftables needs nf_tables "
                       "(CONFIG_NF_TABLES, module nf_tables); the legacy backend needs ip_set "
                       "type bitmap:port (CONFIG_IP_SET_BITMAP_PORT, module ip_set_bitmap_port); "
                       "the iptables set match (CONFIG_NETFILTER_XT_SET, module xt_set). Load "
                       "the module (modprobe NAME) or use a kernel built with the option, then "
                       "start again");
    BackendChoice n = choose_backend(BackendKind::nftables, dsm());
    CHECK_FALSE(n.kind);
    CHECK(n.problem.find("backend = \"nftables\", but this kernel lacks nf_tables") == 0);
    KernelProbe no_tool = everything();
    no_tool.legacy.tools.reset();
    no_tool.legacy.tools_problem = "install the iptables package";
    BackendChoice l = choose_backend(BackendKind::legacy, no_tool);
    CHECK(l.problem.find("a legacy iptables-restore (install the iptables package)") !=
          std::string::npos);
}

TEST_CASE("a kernel without IPv6 needs no ip6tables", "[backend-choice]") {
    KernelProbe k = dsm();
    k.legacy.ipv6 = false;
    k.legacy.ip6tables = k.legacy.raw6 = -EAFNOSUPPORT;
    k.legacy.tools->v6.clear();
    CHECK(choose_backend(BackendKind::automatic, k).kind == BackendKind::legacy);
}

TEST_CASE("the log line and the --probe report", "[backend-choice]") {
    CHECK(probe_summary(dsm()).find("nftables incomplete, missing nf_tables") != std::string::npos);
    CHECK(probe_summary(dsm()).find("legacy complete") != std::string::npos);
    KernelProbe only_nft;
    only_nft.nft = everything().nft;
    CHECK(probe_summary(only_nft).find("legacy not probed") != std::string::npos);
    std::string report = probe_report(dsm());
    CHECK(report.find("nftables backend: incomplete") == 0);
    CHECK(report.find("bitmap:port               yes, revision 2") != std::string::npos);
}

TEST_CASE("command line: --probe, --version --verbose, --simulate-missing", "[backend-choice]") {
    auto parse = [](const std::vector<std::string>& args, std::string* err) {
        std::vector<const char*> argv{"portcullisd"};
        for (const auto& a : args)
            argv.push_back(a.c_str());
        std::ostringstream e;
        auto o = parse_args(static_cast<int>(argv.size()), argv.data(), e);
        *err = e.str();
        return o;
    };
    std::string err;
    auto o = parse({"--simulate-missing", "nf_tables,ip_set"}, &err);
    REQUIRE(o);
    CHECK(o->command == Command::run);
    CHECK(o->simulate_missing == std::vector<std::string>{"nf_tables", "ip_set"});
    CHECK(parse({"--probe"}, &err)->command == Command::probe);
    CHECK(parse({"--version", "--verbose"}, &err)->verbose);
    CHECK_FALSE(parse({"--simulate-missing", "nftables"}, &err));
    CHECK(err.find("unknown feature 'nftables'") != std::string::npos);
    CHECK_FALSE(parse({"--verbose"}, &err));
    CHECK_FALSE(parse({"--check-config", "--simulate-missing=nf_tables"}, &err));
    CHECK(usage_text().find("simulate") == std::string::npos); // for tests, not for --help
}

TEST_CASE("[legacy] check_seconds: an integer, at least 1", "[backend-choice]") {
    CHECK(parse_config_text("", "p.toml").legacy.check_seconds == 10);
    CHECK(parse_config_text("[legacy]\ncheck_seconds = 3\n", "p.toml").legacy.check_seconds == 3);
    auto error_of = [](const char* text) {
        try {
            parse_config_text(text, "p.toml");
        } catch (const ConfigError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK(error_of("[legacy]\ncheck_seconds = 0\n") ==
          "p.toml:2:17: check_seconds must be between 1 and 86400, not 0");
    CHECK(error_of("[legacy]\ncheck_seconds = \"10\"\n") ==
          "p.toml:2:17: 'check_seconds' must be an integer, not a string");
    CHECK(error_of("[legacy]\ninterval = 10\n").find("unknown key 'interval' in [legacy]") !=
          std::string::npos);
}
