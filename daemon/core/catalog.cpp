// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/catalog.hpp"

#include "core/toml-reader.hpp"

#include <algorithm>
#include <filesystem>
#include <map>

namespace portcullis {

namespace fs = std::filesystem;

void Catalog::add_or_replace(Service s) {
    auto it = std::lower_bound(services_.begin(), services_.end(), s.id,
                               [](const Service& a, const std::string& id) { return a.id < id; });
    if (it != services_.end() && it->id == s.id)
        *it = std::move(s);
    else
        services_.insert(it, std::move(s));
}

const Service* Catalog::find(std::string_view id) const {
    auto it = std::lower_bound(services_.begin(), services_.end(), id,
                               [](const Service& a, std::string_view k) { return a.id < k; });
    if (it != services_.end() && it->id == id)
        return &*it;
    return nullptr;
}

bool valid_service_id(std::string_view id) {
    if (id.empty() || id.size() > 64)
        return false;
    auto ok_first = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    if (!ok_first(id.front()))
        return false;
    return std::all_of(id.begin(), id.end(), [&](char c) { return ok_first(c) || c == '-'; });
}

bool valid_unit_name(std::string_view name) {
    static constexpr std::string_view suffixes[] = {".service", ".socket", ".target",   ".path",
                                                    ".timer",   ".mount",  ".automount"};
    auto dot = name.rfind('.');
    if (dot == std::string_view::npos || dot == 0 || name.size() > 255)
        return false;
    auto suffix = name.substr(dot);
    if (std::find(std::begin(suffixes), std::end(suffixes), suffix) == std::end(suffixes))
        return false;
    auto stem = name.substr(0, dot);
    if (std::count(stem.begin(), stem.end(), '@') > 1 || stem.front() == '@')
        return false;
    return std::all_of(stem.begin(), stem.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_' || c == '.' || c == '@' || c == ':' || c == '\\';
    });
}

bool unit_matches(std::string_view pattern, std::string_view unit) {
    if (pattern == unit)
        return true;
    // "foo@.service" names every instance "foo@X.service".
    auto at = pattern.find("@.");
    if (at == std::string_view::npos)
        return false;
    auto prefix = pattern.substr(0, at + 1); // "foo@"
    auto suffix = pattern.substr(at + 1);    // ".service"
    return unit.size() > prefix.size() + suffix.size() && unit.starts_with(prefix) &&
           unit.ends_with(suffix) &&
           unit.substr(prefix.size(), unit.size() - prefix.size() - suffix.size()).find('.') ==
               std::string_view::npos;
}

namespace {

std::vector<PortRange> read_ports(detail::TomlReader& r, const toml::table& tbl,
                                  std::string_view key) {
    std::vector<PortRange> out;
    auto items = r.get_strings(tbl, key);
    if (!items)
        return out;
    for (const auto& [text, pos] : *items) {
        std::string why;
        if (auto pr = parse_port_range(text, &why))
            out.push_back(*pr);
        else
            r.error(pos, "bad port '" + text + "': " + why);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::vector<std::string> read_words(detail::TomlReader& r, const toml::table& tbl,
                                    std::string_view key, bool (*valid)(std::string_view),
                                    std::string_view what) {
    std::vector<std::string> out;
    auto items = r.get_strings(tbl, key);
    if (!items)
        return out;
    for (const auto& [text, pos] : *items) {
        if (valid && !valid(text))
            r.error(pos, "bad " + std::string(what) + " '" + text + "'");
        else
            out.push_back(text);
    }
    return out;
}

bool valid_package_name(std::string_view name) {
    return !name.empty() && name.size() <= 128 && name.find('/') == std::string_view::npos &&
           name != "." && name != "..";
}

bool valid_helper(std::string_view name) {
    return std::find(std::begin(known_helpers), std::end(known_helpers), name) !=
           std::end(known_helpers);
}

} // namespace

std::vector<Service> parse_catalog_text(std::string_view text, const std::string& file) {
    detail::TomlReader r(file);
    toml::table root = r.parse(text);
    r.check_keys(root, {"service"}, "a catalogue file (only [[service]] tables belong here)");

    std::vector<Service> out;
    const toml::node* list = root.get("service");
    if (!list) {
        r.finish();
        return out;
    }
    const toml::array* arr = list->as_array();
    if (!arr || !arr->is_array_of_tables()) {
        r.error(r.pos(*list), "'service' must be written as [[service]] tables");
        r.finish(); // throws
        return out;
    }
    std::map<std::string, SourcePos, std::less<>> seen;
    for (const toml::node& node : *arr) {
        const toml::table& t = *node.as_table();
        r.check_keys(t,
                     {"id", "name", "vendor", "category", "ports", "optional", "remote", "units",
                      "packages", "helpers", "source"},
                     "[[service]]");
        Service s;
        s.origin = r.pos(t);
        if (auto id = r.get_string(t, "id")) {
            if (!valid_service_id(*id))
                r.error(r.pos(*t.get("id")),
                        "bad id '" + *id + "': use [a-z0-9][a-z0-9-]*, at most 64 characters");
            s.id = *id;
        } else if (!t.get("id")) {
            r.error(s.origin, "[[service]] has no 'id'");
        }
        if (auto name = r.get_string(t, "name"))
            s.name = *name;
        else if (!t.get("name"))
            r.error(s.origin, "[[service]] '" + s.id + "' has no 'name'");
        s.vendor = r.get_string(t, "vendor").value_or("local");
        s.category = r.get_string(t, "category").value_or("");
        s.source = r.get_string(t, "source").value_or("");
        s.ports = read_ports(r, t, "ports");
        s.optional = read_ports(r, t, "optional");
        s.remote = read_ports(r, t, "remote");
        s.units = read_words(r, t, "units", valid_unit_name, "systemd unit name");
        s.packages = read_words(r, t, "packages", valid_package_name, "package name");
        s.helpers = read_words(r, t, "helpers", valid_helper, "conntrack helper (known: ftp)");

        if (!s.id.empty()) {
            auto [it, fresh] = seen.emplace(s.id, s.origin);
            if (!fresh)
                r.error(r.pos(*t.get("id")), "duplicate id '" + s.id + "' (first defined at " +
                                                 to_string(it->second) + ")");
        }
        out.push_back(std::move(s));
    }
    r.finish();
    return out;
}

Catalog load_catalog(const std::vector<std::string>& dirs) {
    Catalog cat;
    for (const auto& dir : dirs) {
        std::error_code ec;
        if (!fs::is_directory(dir, ec))
            continue;
        std::vector<fs::path> files;
        for (const auto& entry : fs::directory_iterator(dir, ec)) {
            const auto& p = entry.path();
            if (p.extension() == ".toml" && !p.filename().string().starts_with(".") &&
                entry.is_regular_file(ec))
                files.push_back(p);
        }
        if (ec)
            throw ConfigError({dir, 0, 0}, "cannot list directory: " + ec.message());
        std::sort(files.begin(), files.end());

        // Ids must be unique within a directory; across directories the later one wins.
        std::map<std::string, SourcePos, std::less<>> in_this_dir;
        std::vector<Diagnostic> dups;
        for (const auto& f : files) {
            std::string path = f.string();
            for (auto& s : parse_catalog_text(detail::read_text_file(path), path)) {
                auto [it, fresh] = in_this_dir.emplace(s.id, s.origin);
                if (!fresh) {
                    dups.push_back({s.origin, "duplicate id '" + s.id + "' (first defined at " +
                                                  to_string(it->second) + ")"});
                    continue;
                }
                cat.add_or_replace(std::move(s));
            }
        }
        if (!dups.empty())
            throw ConfigError(std::move(dups));
    }
    return cat;
}

} // namespace portcullis
