#include "portcullis/config.hpp"

#include "toml-reader.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <charconv>
#include <filesystem>
#include <set>

namespace portcullis {

namespace fs = std::filesystem;

std::string_view to_string(Mode m) { return m == Mode::enforce ? "enforce" : "monitor"; }

std::string_view to_string(OpenWhen w) {
    switch (w) {
    case OpenWhen::enabled:
        return "enabled";
    case OpenWhen::active:
        return "active";
    case OpenWhen::enabled_or_active:
        return "enabled-or-active";
    }
    return "?";
}

std::string_view to_string(BackendKind b) {
    switch (b) {
    case BackendKind::automatic:
        return "auto";
    case BackendKind::nftables:
        return "nftables";
    case BackendKind::legacy:
        return "legacy";
    }
    return "?";
}

std::string Cidr::str() const {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(family, addr.data(), buf, sizeof buf);
    return std::string(buf) + "/" + std::to_string(prefix);
}

std::optional<Cidr> parse_cidr(std::string_view text, std::string* why) {
    auto fail = [&](std::string msg) -> std::optional<Cidr> {
        if (why)
            *why = std::move(msg);
        return std::nullopt;
    };
    Cidr c;
    auto slash = text.find('/');
    std::string host(text.substr(0, slash));
    if (inet_pton(AF_INET, host.c_str(), c.addr.data()) == 1)
        c.family = AF_INET;
    else if (inet_pton(AF_INET6, host.c_str(), c.addr.data()) == 1)
        c.family = AF_INET6;
    else
        return fail("'" + host + "' is not an IPv4 or IPv6 address");
    unsigned max = c.family == AF_INET ? 32 : 128;
    unsigned prefix = max;
    if (slash != std::string_view::npos) {
        auto p = text.substr(slash + 1);
        auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
        if (p.empty() || ec != std::errc() || end != p.data() + p.size() || prefix > max)
            return fail("bad prefix length '/" + std::string(p) + "' (0-" + std::to_string(max) +
                        ")");
    }
    c.prefix = static_cast<std::uint8_t>(prefix);
    Cidr masked = c;
    for (unsigned bit = prefix; bit < max; ++bit)
        masked.addr[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
    if (masked.addr != c.addr)
        return fail("host bits are set in '" + std::string(text) + "' (did you mean " +
                    masked.str() + "?)");
    return c;
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
            return "interface names cannot contain '" + std::string(1, c) + "'";
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

Config parse_config_text(std::string_view text, const std::string& file) {
    detail::TomlReader r(file);
    toml::table root = r.parse(text);
    Config cfg;
    cfg.path = file;

    r.check_keys(root,
                 {"mode", "table", "bus", "state_dir", "backend", "catalog_dirs", "systemd",
                  "synology", "zones", "services", "always"},
                 "the top level");

    if (auto v = r.get_string(root, "mode")) {
        if (*v == "enforce")
            cfg.mode = Mode::enforce;
        else if (*v == "monitor")
            cfg.mode = Mode::monitor;
        else
            r.error(r.pos(*root.get("mode")), "mode must be \"enforce\" or \"monitor\", not \"" +
                                                  *v + "\"");
    }
    if (auto v = r.get_string(root, "table")) {
        if (valid_table_name(*v))
            cfg.table = *v;
        else
            r.error(r.pos(*root.get("table")),
                    "bad table name \"" + *v + "\": use letters, digits, '_' and '-', at most 64");
    }
    if (auto v = r.get_string(root, "bus")) {
        if (*v == "system" || *v == "user" || v->find(':') != std::string::npos)
            cfg.bus = *v;
        else
            r.error(r.pos(*root.get("bus")),
                    "bus must be \"system\", \"user\" or a D-Bus address such as "
                    "\"unix:path=/run/x\", not \"" +
                        *v + "\"");
    }
    if (auto v = r.get_string(root, "state_dir")) {
        if (v->empty())
            r.error(r.pos(*root.get("state_dir")), "state_dir cannot be empty");
        else
            cfg.state_dir = resolve_path(*v, file);
    }
    if (auto v = r.get_string(root, "backend")) {
        if (*v == "auto")
            cfg.backend = BackendKind::automatic;
        else if (*v == "nftables")
            cfg.backend = BackendKind::nftables;
        else if (*v == "legacy")
            cfg.backend = BackendKind::legacy;
        else
            r.error(r.pos(*root.get("backend")),
                    "backend must be \"auto\", \"nftables\" or \"legacy\", not \"" + *v + "\"");
    }
    if (auto v = r.get_strings(root, "catalog_dirs")) {
        cfg.catalog_dirs.clear();
        for (const auto& [dir, pos] : *v) {
            if (dir.empty())
                r.error(pos, "catalog_dirs entries cannot be empty");
            else
                cfg.catalog_dirs.push_back(resolve_path(dir, file));
        }
    }

    if (const toml::table* sd = r.get_table(root, "systemd")) {
        r.check_keys(*sd, {"enabled", "open_when"}, "[systemd]");
        if (auto v = r.get_bool(*sd, "enabled"))
            cfg.systemd.enabled = *v;
        if (auto v = r.get_string(*sd, "open_when")) {
            if (*v == "enabled")
                cfg.systemd.open_when = OpenWhen::enabled;
            else if (*v == "active")
                cfg.systemd.open_when = OpenWhen::active;
            else if (*v == "enabled-or-active")
                cfg.systemd.open_when = OpenWhen::enabled_or_active;
            else
                r.error(r.pos(*sd->get("open_when")),
                        "open_when must be \"enabled\", \"active\" or \"enabled-or-active\", not \"" +
                            *v + "\"");
        }
    }

    if (const toml::table* syn = r.get_table(root, "synology")) {
        r.check_keys(*syn, {"enabled", "packages_dir"}, "[synology]");
        if (auto v = r.get_bool(*syn, "enabled"))
            cfg.synology.enabled = *v;
        if (auto v = r.get_string(*syn, "packages_dir")) {
            if (v->empty())
                r.error(r.pos(*syn->get("packages_dir")), "packages_dir cannot be empty");
            else
                cfg.synology.packages_dir = resolve_path(*v, file);
        }
    }

    if (const toml::table* zones = r.get_table(root, "zones")) {
        for (const auto& [key, node] : *zones) {
            std::string name(key.str());
            std::string where = "[zones." + name + "]";
            if (!valid_zone_name(name)) {
                r.error(r.pos(key.source()), "bad zone name '" + name +
                                                 "': use [a-z0-9_-], at most 24 characters");
                continue;
            }
            const toml::table* zt = node.as_table();
            if (!zt) {
                r.error(r.pos(node), where + " must be a table, not " +
                                         std::string(detail::type_name(node)));
                continue;
            }
            r.check_keys(*zt, {"interfaces", "sources", "default"}, where);
            Zone z;
            z.name = name;
            z.pos = r.pos(key.source());
            if (auto ifs = r.get_strings(*zt, "interfaces")) {
                for (const auto& [ifname, pos] : *ifs) {
                    if (auto problem = interface_problem(ifname))
                        r.error(pos, "bad interface \"" + ifname + "\": " + *problem);
                    else if (std::find(z.interfaces.begin(), z.interfaces.end(), ifname) ==
                             z.interfaces.end())
                        z.interfaces.push_back(ifname);
                }
            }
            if (auto srcs = r.get_strings(*zt, "sources")) {
                for (const auto& [net, pos] : *srcs) {
                    std::string why;
                    if (auto c = parse_cidr(net, &why))
                        z.sources.push_back(*c);
                    else
                        r.error(pos, "bad source \"" + net + "\": " + why);
                }
            }
            z.is_default = r.get_bool(*zt, "default").value_or(false);
            cfg.declared_zones.push_back(std::move(z));
        }
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

    std::set<std::string, std::less<>> zone_names;
    for (const auto& z : cfg.zones())
        zone_names.insert(z.name);

    if (const toml::table* svcs = r.get_table(root, "services")) {
        for (const auto& [key, node] : *svcs) {
            std::string id(key.str());
            std::string where = "[services." + id + "]";
            const toml::table* st = node.as_table();
            if (!st) {
                r.error(r.pos(node), where + " must be a table, not " +
                                         std::string(detail::type_name(node)));
                continue;
            }
            r.check_keys(*st, {"zones", "optional"}, where);
            ServicePolicy pol;
            pol.pos = r.pos(key.source());
            if (auto zs = r.get_strings(*st, "zones")) {
                pol.zones.emplace();
                for (const auto& [zone, pos] : *zs) {
                    if (!zone_names.contains(zone)) {
                        r.error(pos, "unknown zone \"" + zone + "\"");
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
                        r.error(pos, "bad port '" + spec + "': " + why);
                    }
                }
            }
            cfg.services.emplace(id, std::move(pol));
        }
    }

    if (const toml::table* always = r.get_table(root, "always")) {
        r.check_keys(*always, {"services"}, "[always]");
        if (auto ids = r.get_strings(*always, "services")) {
            for (const auto& [id, pos] : *ids) {
                if (std::find(cfg.always.begin(), cfg.always.end(), id) != cfg.always.end())
                    continue;
                cfg.always.push_back(id);
                cfg.always_pos.push_back(pos);
            }
        }
    }

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
    std::vector<Diagnostic> diags;
    for (const auto& [id, pol] : cfg.services) {
        const Service* s = cat.find(id);
        if (!s) {
            diags.push_back({pol.pos, "unknown service \"" + id + "\" (not in the catalogue)"});
            continue;
        }
        for (std::size_t i = 0; i < pol.optional.size(); ++i) {
            if (!covered_by(pol.optional[i], s->optional)) {
                std::string have;
                for (const auto& o : s->optional)
                    have += (have.empty() ? "" : ", ") + to_string(o);
                diags.push_back({pol.optional_pos[i],
                                 "'" + to_string(pol.optional[i]) + "' is not among the optional "
                                 "ports of \"" + id + "\" (" +
                                     (have.empty() ? std::string("it has none") : have) + ")"});
            }
        }
    }
    for (std::size_t i = 0; i < cfg.always.size(); ++i)
        if (!cat.find(cfg.always[i]))
            diags.push_back({cfg.always_pos[i],
                             "unknown service \"" + cfg.always[i] + "\" (not in the catalogue)"});
    if (!diags.empty())
        throw ConfigError(std::move(diags));
}

Loaded load_all(const std::string& config_path, bool missing_ok) {
    std::error_code ec;
    Loaded l;
    if (!missing_ok || fs::exists(config_path, ec))
        l.config = load_config(config_path);
    l.catalog = load_catalog(l.config.catalog_dirs);
    validate(l.config, l.catalog);
    return l;
}

} // namespace portcullis
