// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/config.hpp"

#include "core/catalog-dirs.hpp"
#include "core/import-sc.hpp"
#include "core/string-table.hpp"
#include "core/strings.hpp"
#include "core/toml-reader.hpp"

#include <algorithm>
#include <filesystem>
#include <set>
#include <unordered_set>

namespace portcullis {

namespace fs = std::filesystem;

namespace {

constexpr auto mode_names =
    make_string_table<Mode>({{Mode::enforce, "enforce"}, {Mode::monitor, "monitor"}});
constexpr auto open_when_names =
    make_string_table<OpenWhen>({{OpenWhen::enabled, "enabled"},
                                 {OpenWhen::active, "active"},
                                 {OpenWhen::enabled_or_active, "enabled-or-active"}});
constexpr auto backend_names = make_string_table<BackendKind>({{BackendKind::automatic, "auto"},
                                                               {BackendKind::nftables, "nftables"},
                                                               {BackendKind::legacy, "legacy"}});

} // namespace

std::string_view to_string(Mode m) {
    return mode_names.name(m);
}
std::string_view to_string(OpenWhen w) {
    return open_when_names.name(w);
}
std::string_view to_string(BackendKind b) {
    return backend_names.name(b);
}

std::vector<Zone> Config::zones() const {
    if (!declared_zones.empty())
        return declared_zones;
    Zone any;
    any.name = "any";
    any.is_default = true;
    return {any};
}

std::vector<std::string> Config::zones_for(std::string_view service_id) const {
    if (auto it = services.find(service_id); it != services.end() && it->second.zones)
        return *it->second.zones;
    std::vector<std::string> out;
    for (const auto& z : zones())
        if (z.is_default)
            out.push_back(z.name);
    return out;
}

namespace {

bool valid_zone_name(std::string_view s) {
    if (s.empty() || s.size() > 24)
        return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

bool valid_table_name(std::string_view s) {
    if (s.empty() || s.size() > 64 || (s[0] >= '0' && s[0] <= '9') || s[0] == '-')
        return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
    });
}

// Linux interface names: 1-15 bytes, no '/', ':' or whitespace. Wildcards are refused rather
// than silently matched literally.
std::optional<std::string> interface_problem(std::string_view s) {
    if (s.empty() || s.size() > 15)
        return "interface names have 1 to 15 characters";
    for (char c : s) {
        if (c == '*')
            return "wildcards are not supported; list each interface";
        if (c == '/' || c == ':' || c <= ' ' || c == 0x7f || c == '"' || c == '\\')
            return "interface names cannot contain '" + printable(std::string(1, c)) + "'";
    }
    return std::nullopt;
}

std::string resolve_path(const std::string& value, const std::string& config_file) {
    fs::path p(value);
    if (p.is_absolute() || config_file.empty())
        return p.lexically_normal().string();
    return (fs::path(config_file).parent_path() / p).lexically_normal().string();
}

} // namespace

namespace {

// Reads `key` of tbl as one of table's names; reports "KEY must be A, B or C, not X" otherwise.
template <class E, std::size_t N>
std::optional<E> get_enum(detail::TomlReader& r, const toml::table& tbl, std::string_view key,
                          const StringTable<E, N>& names) {
    auto v = r.get_string(tbl, key);
    if (!v)
        return std::nullopt;
    if (auto e = names.parse(*v))
        return e;
    r.error(r.pos(*tbl.get(key)),
            std::string(key) + " must be " + names.choices() + ", not \"" + printable(*v) + "\"");
    return std::nullopt;
}

// A path setting: not empty, and relative to the config file's directory.
std::optional<std::string> get_path(detail::TomlReader& r, const toml::table& tbl,
                                    std::string_view key, const std::string& file) {
    auto v = r.get_string(tbl, key);
    if (!v)
        return std::nullopt;
    if (v->empty()) {
        r.error(r.pos(*tbl.get(key)), std::string(key) + " cannot be empty");
        return std::nullopt;
    }
    return resolve_path(*v, file);
}

void parse_top_level(detail::TomlReader& r, const toml::table& root, Config& cfg) {
    r.check_keys(root,
                 {"mode", "table", "bus", "state_dir", "backend", "catalog_dirs", "systemd",
                  "synology", "legacy", "import", "zones", "services", "always"},
                 "the top level");
    if (auto m = get_enum(r, root, "mode", mode_names))
        cfg.mode = *m;
    if (auto v = r.get_string(root, "table")) {
        if (valid_table_name(*v))
            cfg.table = *v;
        else
            r.error(r.pos(*root.get("table")),
                    "bad table name \"" + printable(*v) +
                        "\": use letters, digits, '_' and '-', at most 64");
    }
    if (auto v = r.get_string(root, "bus")) {
        if (*v == "system" || *v == "user" || v->find(':') != std::string::npos)
            cfg.bus = *v;
        else
            r.error(r.pos(*root.get("bus")),
                    "bus must be \"system\", \"user\" or a D-Bus address such as "
                    "\"unix:path=/run/x\", not \"" +
                        printable(*v) + "\"");
    }
    if (auto dir = get_path(r, root, "state_dir", cfg.path))
        cfg.state_dir = *dir;
    if (auto b = get_enum(r, root, "backend", backend_names))
        cfg.backend = *b;
    if (auto v = r.get_strings(root, "catalog_dirs")) {
        cfg.catalog_dirs.clear();
        for (const auto& [dir, pos] : *v) {
            if (dir.empty())
                r.error(pos, "catalog_dirs entries cannot be empty");
            else
                cfg.catalog_dirs.push_back(resolve_path(dir, cfg.path));
        }
    }
}

void parse_systemd(detail::TomlReader& r, const toml::table& sd, Config& cfg) {
    r.check_keys(sd, {"enabled", "open_when"}, "[systemd]");
    if (auto v = r.get_bool(sd, "enabled"))
        cfg.systemd.enabled = *v;
    if (auto w = get_enum(r, sd, "open_when", open_when_names))
        cfg.systemd.open_when = *w;
}

void parse_synology(detail::TomlReader& r, const toml::table& syn, Config& cfg) {
    r.check_keys(syn, {"enabled", "packages_dir", "services_dirs"}, "[synology]");
    if (auto v = r.get_bool(syn, "enabled"))
        cfg.synology.enabled = *v;
    if (auto dir = get_path(r, syn, "packages_dir", cfg.path))
        cfg.synology.packages_dir = *dir;
    // DSM's .sc port declarations: both of DSM's directories unless the file says otherwise
    // (an empty list switches the import off).
    if (auto v = r.get_strings(syn, "services_dirs")) {
        for (const auto& [dir, pos] : *v) {
            if (dir.empty())
                r.error(pos, "services_dirs entries cannot be empty");
            else
                cfg.synology.services_dirs.push_back(resolve_path(dir, cfg.path));
        }
    } else if (cfg.synology.enabled) {
        cfg.synology.services_dirs = default_services_dirs();
    }
}

// [import] firewalld, ufw: lists of directories, relative ones against the config's directory.
void parse_import_dirs(detail::TomlReader& r, const toml::table& imp, std::string_view key,
                       const std::string& config_file, std::vector<std::string>& out) {
    auto v = r.get_strings(imp, key);
    if (!v)
        return;
    for (const auto& [dir, pos] : *v) {
        if (dir.empty())
            r.error(pos, std::string(key) + " entries cannot be empty");
        else
            out.push_back(resolve_path(dir, config_file));
    }
}

void parse_import(detail::TomlReader& r, const toml::table& imp, Config& cfg) {
    r.check_keys(imp, {"firewalld", "ufw"}, "[import]");
    parse_import_dirs(r, imp, "firewalld", cfg.path, cfg.import.firewalld);
    parse_import_dirs(r, imp, "ufw", cfg.path, cfg.import.ufw);
}

// [legacy] check_seconds: a whole number of seconds, at least 1 (0 would spin; there is no
// "never": healing is the point of the check). A day at most keeps the timer's arithmetic sane.
void parse_legacy(detail::TomlReader& r, const toml::table& leg, Config& cfg) {
    r.check_keys(leg, {"check_seconds"}, "[legacy]");
    const toml::node* n = leg.get("check_seconds");
    if (!n)
        return;
    constexpr std::int64_t max_seconds = 86'400;
    if (const auto* i = n->as_integer(); i && i->get() >= 1 && i->get() <= max_seconds)
        cfg.legacy.check_seconds = static_cast<unsigned>(i->get());
    else if (i)
        r.error(r.pos(*n),
                "check_seconds must be between 1 and 86400, not " + std::to_string(i->get()));
    else
        r.error(r.pos(*n),
                "'check_seconds' must be an integer, not " + std::string(detail::type_name(*n)));
}

std::optional<Zone> parse_zone(detail::TomlReader& r, const toml::key& key,
                               const toml::node& node) {
    std::string name(key.str());
    std::string where = "[zones." + printable(name) + "]";
    if (!valid_zone_name(name)) {
        r.error(r.pos(key.source()),
                "bad zone name '" + printable(name) + "': use [a-z0-9_-], at most 24 characters");
        return std::nullopt;
    }
    const toml::table* zt = node.as_table();
    if (!zt) {
        r.error(r.pos(node),
                where + " must be a table, not " + std::string(detail::type_name(node)));
        return std::nullopt;
    }
    r.check_keys(*zt, {"interfaces", "sources", "default"}, where);
    Zone z;
    z.name = name;
    z.pos = r.pos(key.source());
    if (auto ifs = r.get_strings(*zt, "interfaces")) {
        // A set beside the list: searching the list for each name was quadratic (40,000
        // names took seconds).
        std::unordered_set<std::string_view> seen;
        z.interfaces.reserve(ifs->size());
        for (const auto& [ifname, pos] : *ifs) {
            if (auto problem = interface_problem(ifname))
                r.error(pos, "bad interface \"" + printable(ifname) + "\": " + *problem);
            else if (seen.insert(ifname).second)
                z.interfaces.push_back(ifname);
        }
    }
    if (auto srcs = r.get_strings(*zt, "sources")) {
        for (const auto& [net, pos] : *srcs) {
            std::string why;
            if (auto c = parse_cidr(net, &why))
                z.sources.push_back(*c);
            else
                r.error(pos, "bad source \"" + printable(net) + "\": " + why);
        }
    }
    z.is_default = r.get_bool(*zt, "default").value_or(false);
    return z;
}

void parse_zones(detail::TomlReader& r, const toml::table& root, const toml::table& zones,
                 Config& cfg) {
    for (const auto& [key, node] : zones)
        if (auto z = parse_zone(r, key, node))
            cfg.declared_zones.push_back(std::move(*z));
    if (cfg.declared_zones.size() == 1) {
        // One zone is everything there is: services open there unless told otherwise.
        cfg.declared_zones[0].is_default = true;
    } else if (!cfg.declared_zones.empty() &&
               std::none_of(cfg.declared_zones.begin(), cfg.declared_zones.end(),
                            [](const Zone& z) { return z.is_default; })) {
        r.error(r.key_pos(root, "zones"),
                "no zone has 'default = true': services that name no zones would open nowhere");
    }
}

std::optional<ServicePolicy> parse_policy(detail::TomlReader& r, const toml::key& key,
                                          const toml::node& node,
                                          const std::set<std::string, std::less<>>& zone_names) {
    std::string where = "[services." + printable(key.str()) + "]";
    const toml::table* st = node.as_table();
    if (!st) {
        r.error(r.pos(node),
                where + " must be a table, not " + std::string(detail::type_name(node)));
        return std::nullopt;
    }
    r.check_keys(*st, {"zones", "optional"}, where);
    ServicePolicy pol;
    pol.pos = r.pos(key.source());
    if (auto zs = r.get_strings(*st, "zones")) {
        pol.zones.emplace();
        for (const auto& [zone, pos] : *zs) {
            if (!zone_names.contains(zone)) {
                r.error(pos, "unknown zone \"" + printable(zone) + "\"");
                continue;
            }
            pol.zones->push_back(zone);
            pol.zone_pos.push_back(pos);
        }
    }
    if (auto opts = r.get_strings(*st, "optional")) {
        for (const auto& [spec, pos] : *opts) {
            std::string why;
            if (auto pr = parse_port_range(spec, &why)) {
                pol.optional.push_back(*pr);
                pol.optional_pos.push_back(pos);
            } else {
                r.error(pos, "bad port '" + printable(spec) + "': " + why);
            }
        }
    }
    return pol;
}

void parse_services(detail::TomlReader& r, const toml::table& svcs, Config& cfg) {
    std::set<std::string, std::less<>> zone_names;
    for (const auto& z : cfg.zones())
        zone_names.insert(z.name);
    for (const auto& [key, node] : svcs)
        if (auto pol = parse_policy(r, key, node, zone_names))
            cfg.services.emplace(std::string(key.str()), std::move(*pol));
}

void parse_always(detail::TomlReader& r, const toml::table& always, Config& cfg) {
    r.check_keys(always, {"services"}, "[always]");
    auto ids = r.get_strings(always, "services");
    if (!ids)
        return;
    for (const auto& [id, pos] : *ids) {
        if (!cfg.always_ids.insert(id).second)
            continue; // listed twice: counts once
        cfg.always.push_back(id);
        cfg.always_pos.push_back(pos);
    }
}

} // namespace

Config parse_config_text(std::string_view text, const std::string& file) {
    detail::TomlReader r(file);
    toml::table root = r.parse(text);
    Config cfg;
    cfg.path = file;
    parse_top_level(r, root, cfg);
    if (const toml::table* sd = r.get_table(root, "systemd"))
        parse_systemd(r, *sd, cfg);
    if (const toml::table* syn = r.get_table(root, "synology"))
        parse_synology(r, *syn, cfg);
    if (const toml::table* leg = r.get_table(root, "legacy"))
        parse_legacy(r, *leg, cfg);
    if (const toml::table* imp = r.get_table(root, "import"))
        parse_import(r, *imp, cfg);
    if (const toml::table* zones = r.get_table(root, "zones"))
        parse_zones(r, root, *zones, cfg);
    // After the zones: a policy may name only zones that exist.
    if (const toml::table* svcs = r.get_table(root, "services"))
        parse_services(r, *svcs, cfg);
    if (const toml::table* always = r.get_table(root, "always"))
        parse_always(r, *always, cfg);
    r.finish();
    return cfg;
}

Config load_config(const std::string& path) {
    return parse_config_text(detail::read_text_file(path), path);
}

namespace {

bool covered_by(const PortRange& want, const std::vector<PortRange>& have) {
    IntervalSet set;
    for (const auto& h : have)
        if (h.proto == want.proto)
            set.add({h.first, h.last});
    return set.covers({want.first, want.last});
}

} // namespace

void validate(const Config& cfg, const Catalog& cat) {
    // An empty catalogue makes every service "unknown"; say where it was looked for instead.
    if (auto d = names_services_without_catalog(cfg, cat))
        throw ConfigError({*d});
    std::vector<Diagnostic> diags;
    for (const auto& [id, pol] : cfg.services) {
        const Service* s = cat.find(id);
        if (!s) {
            diags.push_back(
                {pol.pos, "unknown service \"" + printable(id) + "\" (not in the catalogue)"});
            continue;
        }
        for (std::size_t i = 0; i < pol.optional.size(); ++i) {
            if (!covered_by(pol.optional[i], s->optional)) {
                std::string have;
                for (const auto& o : s->optional)
                    have += (have.empty() ? "" : ", ") + to_string(o);
                diags.push_back({pol.optional_pos[i],
                                 "'" + to_string(pol.optional[i]) +
                                     "' is not among the optional "
                                     "ports of \"" +
                                     id + "\" (" +
                                     (have.empty() ? std::string("it has none") : have) + ")"});
            }
        }
    }
    for (std::size_t i = 0; i < cfg.always.size(); ++i)
        if (!cat.find(cfg.always[i]))
            diags.push_back({cfg.always_pos[i], "unknown service \"" + printable(cfg.always[i]) +
                                                    "\" (not in the catalogue)"});
    if (!diags.empty())
        throw ConfigError(std::move(diags));
}

Loaded load_all(const std::string& config_path, bool missing_ok) {
    std::error_code ec;
    Loaded l;
    if (!missing_ok || fs::exists(config_path, ec))
        l.config = load_config(config_path);
    l.catalog = load_catalog(l.config.catalog_dirs);
    // [import]: under every catalogue directory, so a local entry with the same id replaces an
    // imported one (and can give it its units). Shipped entries never use the firewalld- and
    // ufw- prefixes: shipped < imported < local.
    if (!l.config.import.firewalld.empty() || !l.config.import.ufw.empty()) {
        Catalog merged;
        merged.add_all(load_imports(l.config.import, &l.warnings));
        merged.add_all(l.catalog.services());
        l.catalog = std::move(merged);
    }
    // DSM's .sc files ([synology] services_dirs): after the TOML catalogue, which wins.
    if (!l.config.synology.services_dirs.empty())
        add_sc_services(l.catalog, load_sc_services(l.config.synology.services_dirs,
                                                    l.config.synology.packages_dir, &l.warnings));
    validate(l.config, l.catalog);
    return l;
}

} // namespace portcullis
