// SPDX-License-Identifier: GPL-2.0-or-later
// /etc/portcullis/portcullis.toml: what the admin asked for.
#pragma once

#include "core/catalog.hpp"
#include "core/error.hpp"
#include "core/import.hpp"
#include "portcullis/net.hpp"
#include "portcullis/paths.hpp"
#include "portcullis/ports.hpp"
#include "portcullis/table-layout.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis {

inline constexpr std::string_view default_config_path = paths::config_file;

enum class OpenWhen { enabled, active, enabled_or_active };
enum class BackendKind { automatic, nftables, legacy };

std::string_view to_string(Mode m);
std::string_view to_string(OpenWhen w);
std::string_view to_string(BackendKind b);

struct Zone {
    std::string name;
    std::vector<std::string> interfaces; // empty: every input interface
    std::vector<Cidr> sources;           // empty: every source
    bool is_default = false;             // services that name no zones open here
    SourcePos pos;

    bool operator==(const Zone& o) const {
        return name == o.name && interfaces == o.interfaces && sources == o.sources &&
               is_default == o.is_default;
    }
};

struct ServicePolicy {
    std::optional<std::vector<std::string>> zones; // unset: the default zones
    std::vector<SourcePos> zone_pos;
    std::vector<PortRange> optional; // optional ports of the catalogue to open as well
    std::vector<SourcePos> optional_pos;
    SourcePos pos;
};

struct Config {
    std::string path; // the file it came from; empty for built-in defaults

    Mode mode = Mode::monitor;
    std::string table = "portcullis";
    std::string bus = "system";
    std::string state_dir = std::string(paths::state_dir);
    BackendKind backend = BackendKind::automatic;
    std::vector<std::string> catalog_dirs = {std::string(paths::shipped_catalog_dir),
                                             std::string(paths::local_catalog_dir)};
    struct {
        bool enabled = true;
        OpenWhen open_when = OpenWhen::enabled_or_active;
    } systemd;
    struct {
        bool enabled = false;
        std::string packages_dir = "/var/packages";
        // DSM's .sc port declarations to import (core/import-sc.hpp); unset, both of DSM's
        // directories when enabled, none otherwise.
        std::vector<std::string> services_dirs;
    } synology;
    // The legacy (ipset + iptables) backend, which has no change events to heal from: how often it
    // checks its sets and chain. Read at start.
    struct {
        unsigned check_seconds = 10;
    } legacy;
    // [import]: firewalld service files and ufw application profiles read into the catalogue
    // (core/import.hpp). Off unless listed.
    ImportConfig import;

    // In file order. With no [zones] at all there is one implicit zone "any" (see zones()).
    std::vector<Zone> declared_zones;
    std::map<std::string, ServicePolicy, std::less<>> services;
    std::vector<std::string> always;
    std::vector<SourcePos> always_pos;
    // The same ids as a set, for lookups: the planner asks for every service.
    std::set<std::string, std::less<>> always_ids;

    // The zones in effect: declared_zones, or the implicit "any".
    [[nodiscard]] std::vector<Zone> zones() const;
    [[nodiscard]] bool is_always(std::string_view id) const { return always_ids.contains(id); }
    // The zones a service opens in: its [services.ID] zones, or the default zones.
    [[nodiscard]] std::vector<std::string> zones_for(std::string_view service_id) const;
};

// Parses a config file's text. Relative catalog_dirs are resolved against the file's directory.
// Throws ConfigError with every problem found.
Config parse_config_text(std::string_view text, const std::string& file);
Config load_config(const std::string& path);

// Checks the config against the catalogue: services and zones named must exist, optional ports
// asked for must be optional ports of that service. Throws ConfigError.
void validate(const Config& cfg, const Catalog& cat);

// Loads the config and the catalogue it names, and validates them together.
struct Loaded {
    Config config;
    Catalog catalog;
    // Problems in definitions other programs wrote (DSM's .sc files, [import]): each skipped
    // only what it concerns, and none stops a load. The CLI prints them, the daemon logs them.
    std::vector<Diagnostic> warnings;
};
// With missing_ok, a config file that does not exist means the built-in defaults (the daemon
// and the CLI at the default path); otherwise it is an error.
Loaded load_all(const std::string& config_path, bool missing_ok = false);

} // namespace portcullis
