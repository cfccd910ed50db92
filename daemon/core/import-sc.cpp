// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/import-sc.hpp"

#include "core/ini.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <system_error>

namespace portcullis {

namespace fs = std::filesystem;

std::vector<std::string> default_services_dirs() {
    return {std::string(dsm_builtin_services_dir), std::string(dsm_package_services_dir)};
}

namespace {

// Items of dst.ports that are only a protocol ("udp" in "64738/tcp,udp").
std::optional<Proto> proto_word(std::string_view s) {
    std::string lower(s);
    for (char& c : lower)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    if (lower == "tcp")
        return Proto::tcp;
    if (lower == "udp")
        return Proto::udp;
    return std::nullopt;
}

std::optional<std::uint16_t> port_number(std::string_view s, std::string* why) {
    bool digits =
        !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits && s.size() <= 5) {
        unsigned long n = std::stoul(std::string(s));
        if (n >= 1 && n <= 65535)
            return static_cast<std::uint16_t>(n);
    }
    *why = digits ? "port " + std::string(s) + " is out of range 1-65535"
                  : "bad port '" + std::string(s) + "'";
    return std::nullopt;
}

// PORT, FIRST:LAST or FIRST-LAST.
std::optional<Interval> port_item(std::string_view item, std::string* why) {
    std::size_t sep = item.find_first_of(":-");
    auto first = port_number(item.substr(0, sep), why);
    if (!first)
        return std::nullopt;
    if (sep == std::string_view::npos)
        return Interval{*first, *first};
    auto last = port_number(item.substr(sep + 1), why);
    if (!last)
        return std::nullopt;
    if (*last < *first) {
        *why = "bad range '" + std::string(item) + "' (FIRST:LAST with FIRST <= LAST)";
        return std::nullopt;
    }
    return Interval{*first, *last};
}

std::string_view trim(std::string_view s, std::size_t* offset) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
        ++*offset;
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

// A group of items under construction: the ports since the last group ended, then the
// protocols that ended it (and any bare protocol items right after).
class PortGroups {
public:
    explicit PortGroups(ScPorts& out) : out_(out) {}

    // Any item in a port's place, good or bad, after a group ended starts the next group.
    void next_item() {
        if (closed_)
            start_new();
    }
    void port(Interval iv) { ivs_.push_back(iv); }
    void close(Proto p) {
        closed_ = true;
        add_proto(p);
    }
    // A bare protocol item: extends the group just closed. False when there is none.
    bool extend(Proto p) {
        if (!closed_)
            return false;
        add_proto(p);
        return true;
    }
    // A group whose protocol was bad: its ports are dropped.
    void discard() {
        ivs_.clear();
        closed_ = true;
        bad_ = true;
    }
    // Ports that never got a protocol are tcp and udp.
    void finish() {
        if (!closed_)
            for (Proto p : {Proto::tcp, Proto::udp})
                emit(p);
    }

private:
    void start_new() {
        ivs_.clear();
        closed_ = false;
        bad_ = false;
    }
    void add_proto(Proto p) {
        if (!bad_)
            emit(p);
    }
    void emit(Proto p) {
        for (const auto& iv : ivs_)
            out_.ports.push_back({p, iv.first, iv.last});
    }

    ScPorts& out_;
    std::vector<Interval> ivs_;
    bool closed_ = false;
    bool bad_ = false;
};

// One comma-separated item of dst.ports, at `offset` in the value.
void sc_item(std::string_view item, std::size_t offset, PortGroups& groups, ScPorts& out) {
    auto problem = [&](std::string message) {
        out.problems.push_back({offset, std::move(message)});
    };
    if (item.empty()) {
        problem("empty item");
        return;
    }
    std::size_t slash = item.find('/');
    if (slash == std::string_view::npos) {
        if (auto p = proto_word(item)) {
            if (!groups.extend(*p))
                problem("protocol '" + std::string(item) + "' follows no PORT/PROTO");
            return;
        }
        groups.next_item();
        std::string why;
        if (auto iv = port_item(item, &why))
            groups.port(*iv);
        else
            problem(why);
        return;
    }
    groups.next_item();
    std::string why;
    auto iv = port_item(item.substr(0, slash), &why);
    if (iv)
        groups.port(*iv);
    else
        problem(why);
    std::string_view proto = item.substr(slash + 1);
    if (auto p = proto_word(proto)) {
        groups.close(*p);
        return;
    }
    // The protocol ends the whole group: its ports would otherwise open for a protocol the
    // file never named.
    groups.discard();
    out.problems.push_back({offset + slash + 1, "protocol '" + std::string(proto) +
                                                    "' is not supported (tcp, udp or tcp,udp); "
                                                    "the ports before it are skipped"});
}

} // namespace

ScPorts parse_sc_ports(std::string_view value) {
    ScPorts out;
    PortGroups groups(out);
    std::size_t start = 0;
    while (start <= value.size()) {
        std::size_t comma = std::min(value.find(',', start), value.size());
        std::size_t offset = start;
        std::string_view item = trim(value.substr(start, comma - start), &offset);
        if (!(item.empty() && comma == value.size() && start == 0))
            sc_item(item, offset, groups, out);
        start = comma + 1;
    }
    groups.finish();
    std::sort(out.ports.begin(), out.ports.end());
    out.ports.erase(std::unique(out.ports.begin(), out.ports.end()), out.ports.end());
    return out;
}

std::string resource_protocol_file(std::string_view json) {
    constexpr std::string_view key = "\"protocol-file\"";
    std::size_t at = json.find(key);
    if (at == std::string_view::npos)
        return {};
    std::size_t i = at + key.size();
    auto skip_space = [&] {
        while (i < json.size() &&
               (json[i] == ' ' || json[i] == '\t' || json[i] == '\n' || json[i] == '\r'))
            ++i;
    };
    skip_space();
    if (i >= json.size() || json[i] != ':')
        return {};
    ++i;
    skip_space();
    if (i >= json.size() || json[i] != '"')
        return {};
    std::string out;
    for (++i; i < json.size() && json[i] != '"'; ++i) {
        if (json[i] == '\\' && i + 1 < json.size())
            ++i; // \" \\ \/: the character itself; nothing else belongs in a path here
        out += json[i];
    }
    return i < json.size() ? out : std::string();
}

namespace {

// A small file read whole, or "" (a resource file is under a kilobyte; anything else is not
// what we look for).
std::string read_small(const fs::path& p, std::size_t limit) {
    std::error_code ec;
    auto size = fs::file_size(p, ec);
    if (ec || size > limit)
        return {};
    std::ifstream in(p, std::ios::binary);
    std::string text(static_cast<std::size_t>(size), '\0');
    if (!in.read(text.data(), static_cast<std::streamsize>(size)))
        return {};
    return text;
}

bool inside(const std::string& path, const std::string& dir) {
    return !dir.empty() && path.size() > dir.size() && path.starts_with(dir) &&
           path[dir.size()] == '/';
}

constexpr std::size_t max_packages = 4096;

} // namespace

ScPackageIndex::ScPackageIndex(const std::string& packages_dir) : dir_(packages_dir) {
    std::error_code ec;
    fs::directory_iterator it(packages_dir, ec);
    for (; !ec && it != fs::directory_iterator() && packages_.size() < max_packages;
         it.increment(ec)) {
        std::error_code type_ec;
        if (!it->is_directory(type_ec))
            continue;
        Package p;
        p.name = it->path().filename().string();
        std::error_code real_ec;
        fs::path target = fs::canonical(it->path() / "target", real_ec);
        if (!real_ec)
            p.target = target.string();
        p.protocol_file =
            resource_protocol_file(read_small(it->path() / "conf" / "resource", 65536));
        packages_.push_back(std::move(p));
    }
}

std::string ScPackageIndex::package_of(const std::string& sc_path, std::string_view text) const {
    std::error_code ec;
    std::string real = fs::canonical(sc_path, ec).string();
    for (const auto& p : packages_)
        if (!ec && inside(real, p.target))
            return p.name;
    std::string file = fs::path(sc_path).filename().string();
    for (const auto& p : packages_)
        if (file == p.name + ".sc")
            return p.name;
    std::vector<const Package*> claim;
    for (const auto& p : packages_)
        if (!p.protocol_file.empty() && fs::path(p.protocol_file).filename() == file)
            claim.push_back(&p);
    if (claim.size() == 1)
        return claim.front()->name;
    const Package* same = nullptr;
    for (const auto* p : claim) {
        if (p->target.empty() ||
            read_small(fs::path(p->target) / p->protocol_file, max_import_file_size) != text)
            continue;
        if (same)
            return {}; // two packages carry the same file: neither can be told
        same = p;
    }
    return same ? same->name : std::string();
}

namespace {

std::string section_name_of(const IniSection& sec) {
    return "[" + safe_message(sec.name, 64) + "]";
}

// The service of one section, or nullopt (with a warning saying why).
std::optional<ImportedService> sc_section(const IniSection& sec, const std::string& path,
                                          const std::string& package,
                                          std::vector<Diagnostic>& warnings) {
    std::string where = section_name_of(sec);
    std::map<std::string, const IniEntry*, std::less<>> first;
    for (const auto& e : sec.entries) {
        auto [it, fresh] = first.emplace(e.key, &e);
        if (!fresh)
            warnings.push_back({{path, e.line, e.column},
                                "'" + e.key + "' given twice in " + where + "; line " +
                                    std::to_string(it->second->line) + " is used"});
    }
    ImportedService out;
    Service& s = out.service;
    s.id = imported_id("syno", sec.name);
    if (s.id.empty()) {
        warnings.push_back({{path, sec.line, 1}, "section " + where + " gives no id: skipped"});
        return std::nullopt;
    }
    auto dst = first.find("dst.ports");
    if (dst == first.end() || dst->second->value.empty()) {
        warnings.push_back({{path, sec.line, 1},
                            where + " has no dst.ports (the ports DSM opens for it): skipped"});
        return std::nullopt;
    }
    const IniEntry& e = *dst->second;
    ScPorts ports = parse_sc_ports(e.value);
    for (const auto& p : ports.problems)
        warnings.push_back({{path, e.line, static_cast<unsigned>(e.value_column + p.offset)},
                            p.message + " in dst.ports of " + where + ": skipped"});
    if (ports.ports.empty()) {
        warnings.push_back({{path, e.line, e.column}, where + " opens no port: skipped"});
        return std::nullopt;
    }
    auto text = [&](std::string_view key) {
        auto it = first.find(key);
        return it == first.end() ? std::string() : it->second->value;
    };
    std::string title = text("title");
    std::string desc = text("desc");
    s.name = title.empty() ? (desc.empty() ? sec.name : desc)
                           : (desc.empty() || desc == title ? title : desc + ": " + title);
    s.vendor = "dsm";
    s.ports = std::move(ports.ports);
    if (!package.empty()) {
        s.packages = {package};
        // DSM 7 runs each package's scripts under the unit it generates for it; a box whose
        // systemd answers on the bus can tell a running package that way too.
        if (std::string unit = "pkgctl-" + package + ".service"; valid_unit_name(unit))
            s.units = {unit};
    }
    s.source = path;
    s.origin = {path, sec.line, 1};
    return out;
}

} // namespace

std::vector<ImportedService> parse_sc_file(std::string_view text, const std::string& path,
                                           const std::string& package,
                                           std::vector<Diagnostic>& warnings) {
    IniDocument doc = parse_ini(text);
    for (const auto& e : doc.errors)
        warnings.push_back({{path, e.line, e.column}, e.message + ": line skipped"});
    for (const auto& g : doc.globals)
        warnings.push_back(
            {{path, g.line, g.column}, "'" + g.key + "' is outside any [section]: line skipped"});
    std::vector<ImportedService> out;
    std::map<std::string, unsigned, std::less<>> seen;
    for (const auto& sec : doc.sections) {
        auto svc = sc_section(sec, path, package, warnings);
        if (!svc)
            continue;
        if (auto [it, fresh] = seen.emplace(svc->service.id, sec.line); !fresh) {
            warnings.push_back({{path, sec.line, 1},
                                section_name_of(sec) + " gives the id '" + svc->service.id +
                                    "' of line " + std::to_string(it->second) + " again: skipped"});
            continue;
        }
        out.push_back(std::move(*svc));
    }
    return out;
}

namespace {

bool sc_file_wanted(std::string_view name) {
    return name.size() > 3 && name.ends_with(".sc");
}

} // namespace

std::vector<Service> load_sc_services(const std::vector<std::string>& dirs,
                                      const std::string& packages_dir,
                                      std::vector<Diagnostic>* warnings) {
    std::vector<Diagnostic> w;
    std::vector<ImportFile> files = read_import_dirs(dirs, sc_file_wanted, w);
    std::map<std::string, Service, std::less<>> by_id;
    if (!files.empty()) {
        ScPackageIndex index(packages_dir);
        for (const auto& f : files) {
            std::string package = index.package_of(f.path, f.text);
            for (auto& s : parse_sc_file(f.text, f.path, package, w)) {
                if (auto it = by_id.find(s.service.id); it != by_id.end())
                    w.push_back({s.service.origin, "'" + s.service.id + "' replaces the one of " +
                                                       to_string(it->second.origin)});
                std::string id = s.service.id;
                by_id.insert_or_assign(id, std::move(s.service));
            }
        }
    }
    if (warnings)
        for (auto& d : w)
            warnings->push_back({std::move(d.pos), safe_message(d.message)});
    std::vector<Service> out;
    out.reserve(by_id.size());
    for (auto& [id, s] : by_id)
        out.push_back(std::move(s));
    return out;
}

void add_sc_services(Catalog& catalog, std::vector<Service> sc_services) {
    std::set<std::string, std::less<>> covered;
    for (const auto& s : catalog.services())
        covered.insert(s.packages.begin(), s.packages.end());
    std::vector<Service> keep;
    for (auto& s : sc_services) {
        bool named = std::any_of(s.packages.begin(), s.packages.end(),
                                 [&](const std::string& p) { return covered.contains(p); });
        if (!named && !catalog.find(s.id))
            keep.push_back(std::move(s));
    }
    catalog.add_all(std::move(keep));
}

} // namespace portcullis
