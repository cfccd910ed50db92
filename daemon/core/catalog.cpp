// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/catalog.hpp"

#include "core/strings.hpp"
#include "core/toml-reader.hpp"

#include <algorithm>
#include <filesystem>
#include <iterator>
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

void Catalog::add_all(std::vector<Service> later) {
    // Stable: of equal ids, the one added last ends up last, and is the one kept.
    services_.reserve(services_.size() + later.size());
    std::move(later.begin(), later.end(), std::back_inserter(services_));
    std::stable_sort(services_.begin(), services_.end(),
                     [](const Service& a, const Service& b) { return a.id < b.id; });
    auto last = std::unique(services_.rbegin(), services_.rend(),
                            [](const Service& a, const Service& b) { return a.id == b.id; });
    services_.erase(services_.begin(), last.base());
    services_.shrink_to_fit(); // a catalogue lives as long as the daemon: no spare room
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

bool unit_is_template_name(std::string_view name) {
    auto at = name.find("@.");
    return at != std::string_view::npos && name.find('@') == at;
}

std::string template_of(std::string_view unit) {
    // unit_matches() takes the pattern's prefix up to its first "@." and the suffix after it,
    // and wants a non-empty instance without '.' between them: so the instance ends at the
    // first '.' after the '@'.
    auto at = unit.find('@');
    if (at == std::string_view::npos)
        return {};
    auto dot = unit.find('.', at + 1);
    if (dot == std::string_view::npos || dot == at + 1)
        return {};
    std::string t(unit.substr(0, at + 1));
    t += unit.substr(dot);
    return t;
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
            r.error(pos, "bad port '" + printable(text) + "': " + why);
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
            r.error(pos, "bad " + std::string(what) + " '" + printable(text) + "'");
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
                        "bad id '" + printable(*id) +
                            "': use [a-z0-9][a-z0-9-]*, at most 64 characters");
            s.id = *id;
        } else if (!t.get("id")) {
            r.error(s.origin, "[[service]] has no 'id'");
        }
        if (auto name = r.get_string(t, "name"))
            s.name = *name;
        else if (!t.get("name"))
            r.error(s.origin, "[[service]] '" + printable(s.id) + "' has no 'name'");
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
                r.error(r.pos(*t.get("id")), "duplicate id '" + printable(s.id) +
                                                 "' (first defined at " + to_string(it->second) +
                                                 ")");
        }
        out.push_back(std::move(s));
    }
    r.finish();
    return out;
}

namespace {

// The *.toml files of one catalogue directory, in lexical order. Each is an admin's input, so
// one that cannot be a catalogue file (a dangling symlink, a directory, a FIFO) is an error
// naming that file, not a file silently left out, and not an error about the directory.
std::vector<fs::path> catalog_files(const std::string& dir) {
    std::vector<fs::path> files;
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const fs::path& p = it->path();
        if (p.extension() != ".toml" || p.filename().string().starts_with("."))
            continue;
        // Reading says what is wrong with any other non-regular file; only a dangling link
        // deserves better than "No such file or directory" for a name `ls` shows.
        std::error_code link_ec;
        if (it->is_symlink(link_ec) && !fs::exists(p, link_ec))
            throw ConfigError({p.string(), 0, 0},
                              "cannot open: dangling symbolic link to " +
                                  printable(fs::read_symlink(p, link_ec).string(), 200));
        files.push_back(p);
    }
    if (ec)
        throw ConfigError({dir, 0, 0}, "cannot list directory: " + ec.message());
    std::sort(files.begin(), files.end());
    return files;
}

} // namespace

Catalog load_catalog(const std::vector<std::string>& dirs) {
    // Collected in directory order and sorted once at the end: inserting each service into
    // the sorted list as it comes would cost time quadratic in the catalogue's size.
    std::vector<Service> all;
    for (const auto& dir : dirs) {
        std::error_code ec;
        if (!fs::is_directory(dir, ec))
            continue;
        std::vector<fs::path> files = catalog_files(dir);

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
                all.push_back(std::move(s));
            }
        }
        if (!dups.empty())
            throw ConfigError(std::move(dups));
    }
    Catalog cat;
    cat.add_all(std::move(all));
    return cat;
}

} // namespace portcullis
