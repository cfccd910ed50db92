// SPDX-License-Identifier: GPL-2.0-or-later
// The command line (portcullisd(8)) and the offline commands, which need no root, no bus and
// no kernel: --check-config, --print-catalog, --print-ruleset, --migrate-from, --version,
// --help.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace portcullis {

// sysexits.h values, spelled out so callers need not include it.
inline constexpr int exit_ok = 0;
inline constexpr int exit_usage = 64;    // EX_USAGE
inline constexpr int exit_software = 70; // EX_SOFTWARE
inline constexpr int exit_config = 78;   // EX_CONFIG

// EX_UNAVAILABLE: --probe found no backend that can work on this kernel.
inline constexpr int exit_unavailable = 69;

enum class Command {
    run,
    check_config,
    print_catalog,
    print_ruleset,
    version,
    help,
    probe,
    configure_host, // the one root step where the daemon is not root (app/host-setup.hpp)
    migrate         // --migrate-from firewalld|ufw (app/migrate-cli.hpp)
};

struct CliOptions {
    Command command = Command::run;
    std::string config_path;
    bool config_given = false; // --config was passed: a missing file is then an error
    bool dry_run = false;
    std::vector<std::string> assume_enabled;
    bool verbose = false; // --version --verbose: the kernel probe too
    // --simulate-missing FEATURE,...: for tests, which run the legacy backend on a kernel that
    // has nf_tables. Not in --help. A command-line option rather than an environment variable:
    // it shows in ps and in the unit's ExecStart, is never inherited or set by a drop-in by
    // accident, and goes away with the process.
    std::vector<std::string> simulate_missing;
    std::string migrate_from;      // --migrate-from: "firewalld" or "ufw"
    std::string source_root = "/"; // --source-root: where the old firewall's files are
    bool source_root_given = false;
};

// Parses argv. On a usage error returns nullopt and writes the message to err.
std::optional<CliOptions> parse_args(int argc, const char* const* argv, std::ostream& err);

// Runs an offline command and returns the exit status.
int run_offline(const CliOptions& opts, std::ostream& out, std::ostream& err);

std::string usage_text();

} // namespace portcullis
