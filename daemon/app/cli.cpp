// SPDX-License-Identifier: GPL-2.0-or-later
#include "app/cli.hpp"

#include "app/host-setup.hpp"
#include "app/kernel-probe.hpp"
#include "app/migrate-cli.hpp"
#include "app/overrides-store.hpp"
#include "core/catalog-dirs.hpp"
#include "core/catalog.hpp"
#include "core/config.hpp"
#include "core/json.hpp"
#include "core/planner.hpp"
#include "core/ruleset.hpp"
#include "portcullis/version.hpp"

#include <cerrno>
#include <ostream>
#include <utility>

namespace portcullis {

std::string usage_text() {
    return "Usage:\n"
           "  portcullisd [--config PATH] [--dry-run]\n"
           "  portcullisd --check-config [--config PATH]\n"
           "  portcullisd --print-catalog [--config PATH]\n"
           "  portcullisd --print-ruleset [--config PATH] [--assume-enabled ID,ID...]\n"
           "  portcullisd --probe [--config PATH]\n"
           "  portcullisd --configure-host [--config PATH]\n"
           "  portcullisd --migrate-from firewalld|ufw [--source-root DIR]\n"
           "  portcullisd --version [--verbose] | --help\n"
           "\n"
           "Opens exactly the ports of the services enabled on this box, in one nftables table.\n"
           "\n"
           "  --config PATH          config file (default " +
           std::string(default_config_path) +
           ")\n"
           "  --dry-run              watch and log what would change; never touch nftables\n"
           "  --check-config         check the config and catalogue; errors as FILE:LINE:COLUMN,\n"
           "                         exit status 78 on error\n"
           "  --print-catalog        print the catalogue as JSON\n"
           "  --print-ruleset        print the nft table the daemon would build\n"
           "  --assume-enabled LIST  with --print-ruleset: treat these service ids as enabled\n"
           "  --configure-host       as root: let this binary run as another user (a DSM\n"
           "                         package): grant it cap_net_admin (and cap_net_raw for\n"
           "                         iptables-restore where the legacy backend runs), check\n"
           "                         the kernel; safe to run at every boot\n"
           "  --migrate-from FW      read firewalld's or ufw's configuration and print the\n"
           "                         portcullis config and catalogue file that open the\n"
           "                         same ports, and what could not be carried over;\n"
           "                         changes nothing\n"
           "  --source-root DIR      with --migrate-from: read the files under DIR instead\n"
           "                         of / (a copy of another box's /etc)\n"
           "  --probe                what the kernel offers each firewall backend, and which\n"
           "                         one backend = \"auto\" picks (needs root)\n"
           "  --version              print the version (--verbose: and the kernel probe)\n"
           "  --help                 print this help\n";
}

namespace {

// "a,b,,c" -> a, b, c
std::vector<std::string> split_list(const std::string& value) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= value.size()) {
        auto comma = value.find(',', start);
        if (auto item = value.substr(start, comma - start); !item.empty())
            out.push_back(item);
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return out;
}

// --simulate-missing FEATURE,...: only names the probe knows.
bool add_simulated(const std::string& value, CliOptions& o, std::ostream& err) {
    for (const auto& f : split_list(value)) {
        if (!known_feature(f)) {
            err << "portcullisd: --simulate-missing: unknown feature '" << f
                << "' (known: " << known_features_text() << ")\n";
            return false;
        }
        o.simulate_missing.push_back(f);
    }
    return true;
}

bool probe_options_fit(const CliOptions& o, std::ostream& err) {
    if (o.verbose && o.command != Command::version) {
        err << "portcullisd: --verbose only goes with --version\n";
        return false;
    }
    if (!o.simulate_missing.empty() && o.command != Command::run && o.command != Command::probe) {
        err << "portcullisd: --simulate-missing only goes with running the daemon or --probe\n";
        return false;
    }
    return true;
}

bool migrate_options_fit(const CliOptions& o, std::ostream& err) {
    if (o.source_root_given && o.command != Command::migrate) {
        err << "portcullisd: --source-root only goes with --migrate-from\n";
        return false;
    }
    if (o.command == Command::migrate && o.config_given) {
        err << "portcullisd: --migrate-from reads the old firewall's files, not a portcullis "
               "config: drop --config\n";
        return false;
    }
    if (o.source_root_given && o.source_root.empty()) {
        err << "portcullisd: --source-root cannot be empty\n";
        return false;
    }
    return true;
}

// --probe and --version --verbose: everything both backends need, and what the config's
// `backend` would pick. Exit 0 when a backend can work, 69 when none can.
int print_probe(const CliOptions& o, std::ostream& out) {
    Loaded l = load_all(o.config_path, !o.config_given);
    KernelProbe k = probe_kernel(l.config.backend, o.simulate_missing, true);
    out << probe_report(k);
    if (k.nft.nf_tables == -EPERM)
        out << "(the kernel answers only to CAP_NET_ADMIN: run this as root)\n";
    BackendChoice c = choose_backend(l.config.backend, k);
    out << "backend = \"" << to_string(l.config.backend)
        << "\" picks: " << (c.kind ? to_string(*c.kind) : std::string_view("nothing")) << "\n";
    if (!c.kind)
        out << c.problem << "\n";
    return c.kind ? exit_ok : exit_unavailable;
}

// The options that are a command and take no value.
std::optional<Command> command_flag(std::string_view a) {
    static constexpr std::pair<std::string_view, Command> flags[] = {
        {"--check-config", Command::check_config},
        {"--print-catalog", Command::print_catalog},
        {"--print-ruleset", Command::print_ruleset},
        {"--probe", Command::probe},
        {"--configure-host", Command::configure_host},
        {"--version", Command::version},
        {"--help", Command::help},
        {"-h", Command::help}};
    for (const auto& [flag, command] : flags)
        if (a == flag)
            return command;
    return std::nullopt;
}

} // namespace

std::optional<CliOptions> parse_args(int argc, const char* const* argv, std::ostream& err) {
    CliOptions o;
    o.config_path = std::string(default_config_path);
    bool have_command = false;
    bool have_assume = false;
    auto set_command = [&](Command c, std::string_view flag) {
        if (have_command) {
            err << "portcullisd: " << flag << " cannot be combined with another command\n";
            return false;
        }
        have_command = true;
        o.command = c;
        return true;
    };
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        std::string value;
        bool inline_value = false;
        if (auto eq = a.find('='); a.starts_with("--") && eq != std::string_view::npos) {
            value = std::string(a.substr(eq + 1));
            a = a.substr(0, eq);
            inline_value = true;
        }
        auto take_value = [&]() -> bool {
            if (inline_value)
                return true;
            if (i + 1 >= argc) {
                err << "portcullisd: " << a << " needs a value\n";
                return false;
            }
            value = argv[++i];
            return true;
        };
        if (a == "--config") {
            if (!take_value())
                return std::nullopt;
            o.config_path = value;
            o.config_given = true;
        } else if (a == "--assume-enabled") {
            if (!take_value())
                return std::nullopt;
            have_assume = true;
            for (auto& id : split_list(value))
                o.assume_enabled.push_back(std::move(id));
        } else if (a == "--migrate-from") {
            if (!take_value() || !set_command(Command::migrate, a))
                return std::nullopt;
            o.migrate_from = value;
        } else if (a == "--source-root") {
            if (!take_value())
                return std::nullopt;
            o.source_root = value;
            o.source_root_given = true;
        } else if (a == "--simulate-missing") {
            if (!take_value() || !add_simulated(value, o, err))
                return std::nullopt;
        } else if (inline_value) {
            err << "portcullisd: " << a << " takes no value\n";
            return std::nullopt;
        } else if (a == "--dry-run") {
            o.dry_run = true;
        } else if (a == "--verbose") {
            o.verbose = true;
        } else if (auto c = command_flag(a)) {
            if (!set_command(*c, a))
                return std::nullopt;
        } else {
            err << "portcullisd: unknown argument '" << argv[i] << "'; try --help\n";
            return std::nullopt;
        }
    }
    if (have_assume && o.command != Command::print_ruleset) {
        err << "portcullisd: --assume-enabled only goes with --print-ruleset\n";
        return std::nullopt;
    }
    if (o.dry_run && o.command != Command::run) {
        err << "portcullisd: --dry-run only goes with running the daemon\n";
        return std::nullopt;
    }
    if (!probe_options_fit(o, err) || !migrate_options_fit(o, err))
        return std::nullopt;
    return o;
}

namespace {

void append_ports(std::string& out, const std::vector<PortRange>& ports) {
    out += '[';
    for (std::size_t i = 0; i < ports.size(); ++i) {
        const auto& p = ports[i];
        out += i ? "," : "";
        out += "{\"proto\":";
        append_json_string(out, to_string(p.proto));
        out +=
            ",\"first\":" + std::to_string(p.first) + ",\"last\":" + std::to_string(p.last) + "}";
    }
    out += ']';
}

void append_strings(std::string& out, const std::vector<std::string>& v) {
    out += '[';
    for (std::size_t i = 0; i < v.size(); ++i) {
        out += i ? "," : "";
        append_json_string(out, v[i]);
    }
    out += ']';
}

std::string catalog_json(const Catalog& cat) {
    std::string out = "[";
    bool first = true;
    for (const auto& s : cat.services()) {
        out += first ? "\n  {" : ",\n  {";
        first = false;
        auto field = [&](std::string_view name, bool comma = true) {
            if (comma)
                out += ",";
            append_json_string(out, name);
            out += ":";
        };
        field("id", false);
        append_json_string(out, s.id);
        field("name");
        append_json_string(out, s.name);
        field("vendor");
        append_json_string(out, s.vendor);
        field("category");
        append_json_string(out, s.category);
        field("ports");
        append_ports(out, s.ports);
        field("optional");
        append_ports(out, s.optional);
        field("remote");
        append_ports(out, s.remote);
        field("units");
        append_strings(out, s.units);
        field("packages");
        append_strings(out, s.packages);
        field("helpers");
        append_strings(out, s.helpers);
        field("source");
        append_json_string(out, s.source);
        out += "}";
    }
    out += first ? "]\n" : "\n]\n";
    return out;
}

// Problems in imported definitions (DSM's .sc files, [import]): each skipped only what it
// concerns.
void print_warnings(const Loaded& l, std::ostream& err) {
    for (const auto& d : l.warnings)
        err << d.str() << "\n";
}

} // namespace

int run_offline(const CliOptions& o, std::ostream& out, std::ostream& err) {
    try {
        switch (o.command) {
        case Command::help:
            out << usage_text();
            return exit_ok;
        case Command::version:
            out << "portcullisd " << PORTCULLIS_VERSION << "\n";
            return o.verbose ? print_probe(o, out) : exit_ok;
        case Command::probe:
            return print_probe(o, out);
        case Command::configure_host:
            return run_configure_host(o.config_path, o.config_given, out, err);
        case Command::migrate:
            return run_migrate(o.migrate_from, o.source_root, out, err);
        case Command::check_config: {
            Loaded l = load_all(o.config_path, !o.config_given);
            print_warnings(l, err);
            if (l.catalog.size() == 0)
                err << "portcullisd: warning: the catalogue is empty, so no service port will "
                       "open: "
                    << empty_catalog_text(l.config.catalog_dirs) << "\n";
            out << (l.config.path.empty() ? std::string("built-in defaults") : l.config.path)
                << ": ok (" << l.catalog.size() << " services, " << l.config.zones().size()
                << (l.config.zones().size() == 1 ? " zone" : " zones") << ", mode "
                << to_string(l.config.mode) << ")\n";
            return exit_ok;
        }
        case Command::print_catalog: {
            Loaded l = load_all(o.config_path, !o.config_given);
            print_warnings(l, err);
            out << catalog_json(l.catalog);
            return exit_ok;
        }
        case Command::print_ruleset: {
            Loaded l = load_all(o.config_path, !o.config_given);
            print_warnings(l, err);
            Overrides assumed = load_overrides(l.config.state_dir);
            for (const auto& id : o.assume_enabled) {
                if (!l.catalog.find(id)) {
                    err << "portcullisd: --assume-enabled: unknown service \"" << id << "\"\n";
                    return exit_usage;
                }
                assumed[id] = Override::open;
            }
            DesiredState st = plan(l.config, l.catalog, Facts{}, assumed);
            out << render_nft(build_layout(st, l.config.table));
            return exit_ok;
        }
        case Command::run:
            break;
        }
    } catch (const ConfigError& e) {
        for (const auto& d : e.diagnostics())
            err << d.str() << "\n";
        return exit_config;
    }
    err << "portcullisd: internal error: not an offline command\n";
    return exit_software;
}

} // namespace portcullis
