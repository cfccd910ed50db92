// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/import-ufw.hpp"

#include "core/ini.hpp"

#include <algorithm>
#include <map>

namespace portcullis {

namespace {

constexpr std::size_t max_ufw_ports = 15; // iptables' multiport takes 15 ports at most

bool digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<std::uint16_t> number(std::string_view s, std::string* why) {
    if (!digits(s)) {
        if (why)
            *why = s.empty() || !((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z')
                       ? "bad port '" + std::string(s) + "'"
                       : "service names such as '" + std::string(s) +
                             "' are not supported: use port numbers";
        return std::nullopt;
    }
    if (s.size() > 5 || std::stoul(std::string(s)) < 1 || std::stoul(std::string(s)) > 65535) {
        if (why)
            *why = "port " + std::string(s) + " is out of range 1-65535";
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(std::stoul(std::string(s)));
}

std::string_view trim(std::string_view s) {
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n'; };
    while (!s.empty() && space(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && space(s.back()))
        s.remove_suffix(1);
    return s;
}

std::string one_line(std::string_view s) {
    std::string out(trim(s));
    std::replace(out.begin(), out.end(), '\n', ' ');
    return out;
}

std::string lowercase(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return s;
}

// The entries of a profile by lowercased key (configparser folds keys); a key given twice is a
// reason to distrust the whole profile, as configparser refuses such a file.
std::optional<std::map<std::string, const IniEntry*>>
profile_fields(const IniSection& sec, const std::string& path, std::vector<Diagnostic>& warnings) {
    std::map<std::string, const IniEntry*> fields;
    for (const auto& e : sec.entries) {
        auto [it, fresh] = fields.emplace(lowercase(e.key), &e);
        if (!fresh) {
            warnings.push_back({{path, e.line, e.column},
                                "'" + e.key + "' given twice in [" + sec.name +
                                    "] (first at line " + std::to_string(it->second->line) +
                                    "): profile skipped"});
            return std::nullopt;
        }
    }
    for (const char* required : {"title", "description", "ports"}) {
        auto it = fields.find(required);
        if (it == fields.end() || trim(it->second->value).empty()) {
            warnings.push_back(
                {{path, sec.line, 1},
                 "[" + sec.name + "] has no " + std::string(required) + ": profile skipped"});
            return std::nullopt;
        }
    }
    return fields;
}

std::vector<PortRange> profile_ports(const IniSection& sec, const IniEntry& e,
                                     const std::string& path, std::vector<Diagnostic>& warnings) {
    std::vector<PortRange> out;
    std::string_view value = e.value;
    std::size_t start = 0;
    while (start <= value.size()) {
        std::size_t bar = std::min(value.find('|', start), value.size());
        std::string_view part = trim(value.substr(start, bar - start));
        std::string why;
        if (auto ranges = parse_ufw_ports(part, &why)) {
            out.insert(out.end(), ranges->begin(), ranges->end());
        } else {
            // Columns are exact on one-line values, which is what profiles use.
            bool one = value.substr(0, start).find('\n') == std::string_view::npos;
            auto col = static_cast<unsigned>(e.value_column + (one ? start : 0));
            warnings.push_back({{path, e.line, col},
                                "bad ports '" + std::string(part) + "' in [" + sec.name +
                                    "]: " + why + ": skipped"});
        }
        start = bar + 1;
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::optional<ImportedService> profile(const IniSection& sec, const std::string& path,
                                       std::vector<Diagnostic>& warnings) {
    if (!valid_ufw_profile_name(sec.name)) {
        warnings.push_back({{path, sec.line, 1},
                            "bad profile name '" + sec.name +
                                "' (ufw takes [A-Za-z0-9][A-Za-z0-9 _.+-]*, at most 64 "
                                "characters, not 'all' or a number): skipped"});
        return std::nullopt;
    }
    auto fields = profile_fields(sec, path, warnings);
    if (!fields)
        return std::nullopt;
    ImportedService out;
    Service& s = out.service;
    s.id = imported_id("ufw", sec.name);
    s.name = one_line(fields->at("title")->value);
    s.vendor = "ufw";
    s.ports = profile_ports(sec, *fields->at("ports"), path, warnings);
    s.source = path;
    s.origin = {path, sec.line, 1};
    return out;
}

} // namespace

std::optional<std::vector<Interval>> parse_ufw_port_list(std::string_view text, std::string* why) {
    auto fail = [&](std::string message) -> std::optional<std::vector<Interval>> {
        if (why)
            *why = std::move(message);
        return std::nullopt;
    };
    if (text.empty())
        return fail("no port");
    if (text.front() == ',' || text.front() == ':' || text.back() == ',' || text.back() == ':')
        return fail("bad port list '" + std::string(text) + "'");
    if (static_cast<std::size_t>(std::count(text.begin(), text.end(), ',') +
                                 std::count(text.begin(), text.end(), ':')) >= max_ufw_ports)
        return fail("more than 15 ports in '" + std::string(text) + "' (ufw's limit)");
    std::vector<Interval> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t comma = std::min(text.find(',', start), text.size());
        std::string_view item = text.substr(start, comma - start);
        std::size_t colon = item.find(':');
        auto first = number(item.substr(0, colon), why);
        if (!first)
            return std::nullopt;
        std::uint16_t last = *first;
        if (colon != std::string_view::npos) {
            auto l = number(item.substr(colon + 1), why);
            if (!l)
                return std::nullopt;
            if (*l <= *first)
                return fail("bad range '" + std::string(item) + "' (FIRST:LAST, FIRST < LAST)");
            last = *l;
        }
        out.push_back({*first, last});
        start = comma + 1;
    }
    return out;
}

std::optional<std::vector<PortRange>> parse_ufw_ports(std::string_view part, std::string* why) {
    auto fail = [&](std::string message) -> std::optional<std::vector<PortRange>> {
        if (why)
            *why = std::move(message);
        return std::nullopt;
    };
    std::size_t slash = part.find('/');
    std::string_view ports = part.substr(0, slash);
    std::string_view proto = slash == std::string_view::npos ? "" : part.substr(slash + 1);
    if (proto.find('/') != std::string_view::npos)
        return fail("bad port '" + std::string(part) + "'");
    std::vector<Proto> protos;
    if (proto == "tcp")
        protos = {Proto::tcp};
    else if (proto == "udp")
        protos = {Proto::udp};
    else if (proto.empty() || proto == "any")
        protos = {Proto::tcp, Proto::udp};
    else
        return fail("protocol '" + std::string(proto) + "' is not supported (tcp or udp)");
    if (proto.empty() && ports.find_first_of(",:") != std::string_view::npos)
        return fail("a list or range of ports needs /tcp or /udp");
    auto list = parse_ufw_port_list(ports, why);
    if (!list)
        return std::nullopt;
    std::vector<PortRange> out;
    for (Proto p : protos)
        for (const auto& iv : *list)
            out.push_back({p, iv.first, iv.last});
    return out;
}

bool valid_ufw_profile_name(std::string_view name) {
    if (name.empty() || name.size() > 64 || name == "all" || digits(name))
        return false;
    auto alnum = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    };
    return alnum(name.front()) && std::all_of(name.begin(), name.end(), [&](char c) {
               return alnum(c) || c == ' ' || c == '_' || c == '-' || c == '.' || c == '+';
           });
}

std::vector<ImportedService> parse_ufw_profiles(std::string_view text, const std::string& path,
                                                std::vector<Diagnostic>& warnings) {
    IniOptions options;
    options.quoted_values = false;
    options.colon_separator = true;
    options.continuation_lines = true;
    IniDocument doc = parse_ini(text, options);
    if (doc.sections.empty()) {
        if (!doc.errors.empty())
            warnings.push_back({{path, doc.errors[0].line, doc.errors[0].column},
                                "not a ufw profile file: " + doc.errors[0].message});
        else if (!doc.globals.empty())
            warnings.push_back({{path, 0, 0}, "not a ufw profile file: no [profile] section"});
        return {};
    }
    std::vector<bool> broken(doc.sections.size(), false);
    for (const auto& e : doc.errors) {
        std::string what = e.message;
        if (e.section >= 0) {
            broken[static_cast<std::size_t>(e.section)] = true;
            what += ": profile [" + doc.sections[static_cast<std::size_t>(e.section)].name +
                    "] skipped";
        }
        warnings.push_back({{path, e.line, e.column}, what});
    }
    for (const auto& g : doc.globals)
        warnings.push_back({{path, g.line, g.column}, "'" + g.key + "' is outside any [profile]"});
    std::vector<ImportedService> out;
    std::map<std::string, unsigned, std::less<>> seen;
    for (std::size_t i = 0; i < doc.sections.size(); ++i) {
        if (broken[i])
            continue;
        const IniSection& sec = doc.sections[i];
        auto svc = profile(sec, path, warnings);
        if (!svc)
            continue;
        if (auto [it, fresh] = seen.emplace(svc->service.id, sec.line); !fresh) {
            warnings.push_back({{path, sec.line, 1},
                                "[" + sec.name + "] gives the id '" + svc->service.id +
                                    "' of line " + std::to_string(it->second) + " again: skipped"});
            continue;
        }
        out.push_back(std::move(*svc));
    }
    return out;
}

std::vector<ImportedService> import_ufw(const std::vector<ImportFile>& files,
                                        std::vector<Diagnostic>& warnings) {
    std::map<std::string, std::pair<ImportedService, std::size_t>, std::less<>> by_id;
    for (const auto& f : files) {
        for (auto& s : parse_ufw_profiles(f.text, f.path, warnings)) {
            auto it = by_id.find(s.service.id);
            if (it != by_id.end() && it->second.second == f.dir_index)
                warnings.push_back(
                    {s.service.origin, "profile '" + s.service.id + "' replaces the one of " +
                                           to_string(it->second.first.service.origin)});
            std::string id = s.service.id;
            by_id.insert_or_assign(id, std::pair{std::move(s), f.dir_index});
        }
    }
    std::vector<ImportedService> out;
    out.reserve(by_id.size());
    for (auto& [id, entry] : by_id)
        out.push_back(std::move(entry.first));
    return out;
}

} // namespace portcullis
