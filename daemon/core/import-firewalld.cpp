// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/import-firewalld.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

namespace portcullis {

namespace {

constexpr std::size_t max_include_depth = 16;

std::string collapse_space(std::string_view s) {
    std::string out;
    bool space = false;
    for (char c : s) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            space = !out.empty();
            continue;
        }
        if (space)
            out += ' ';
        space = false;
        out += c;
    }
    return out;
}

std::optional<std::uint16_t> port_number(std::string_view s) {
    if (s.empty() || s.size() > 5 ||
        !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    unsigned v = 0;
    for (char c : s)
        v = v * 10 + static_cast<unsigned>(c - '0');
    if (v < 1 || v > 65535)
        return std::nullopt;
    return static_cast<std::uint16_t>(v);
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

bool known_helper(std::string_view name) {
    return std::find(std::begin(known_helpers), std::end(known_helpers), name) !=
           std::end(known_helpers);
}

void add_helper(FirewalldService& s, const std::string& helper, SourcePos pos,
                std::vector<Diagnostic>& warnings) {
    if (!known_helper(helper)) {
        warnings.push_back(
            {std::move(pos), "conntrack helper '" + helper +
                                 "' is not supported by portcullis (only ftp): skipped"});
        return;
    }
    if (std::find(s.helpers.begin(), s.helpers.end(), helper) == s.helpers.end())
        s.helpers.push_back(helper);
}

void add_port(FirewalldService& s, const XmlElement& e, std::vector<Diagnostic>& warnings) {
    const XmlAttribute* port = e.attribute("port");
    const XmlAttribute* proto = e.attribute("protocol");
    SourcePos pos = xml_pos(s.path, e);
    if (!proto) {
        warnings.push_back({pos, "<port> without protocol: skipped"});
        return;
    }
    std::string why;
    std::optional<PortRange> r;
    if (!port || trim(port->value).empty()) // an old way of writing a whole protocol
        r = parse_firewalld_protocol(proto->value, &why);
    else
        r = parse_firewalld_port(port->value, proto->value, &why);
    if (r)
        s.ports.push_back(*r);
    else
        warnings.push_back({pos, why + ": skipped"});
}

void add_destination(FirewalldService& s, const XmlElement& e) {
    std::string where;
    for (const char* family : {"ipv4", "ipv6"}) {
        if (const XmlAttribute* a = e.attribute(family)) {
            where += where.empty() ? "" : ", ";
            where += std::string(family) + " " + collapse_space(a->value);
        }
    }
    s.notes.push_back("firewalld limits it to destination " + where +
                      "; portcullis opens its ports for every address of the box");
}

void read_child(FirewalldService& s, const XmlElement& e, std::vector<Diagnostic>& warnings) {
    SourcePos pos = xml_pos(s.path, e);
    auto attr = [&](const char* name) -> std::string {
        const XmlAttribute* a = e.attribute(name);
        return a ? std::string(trim(a->value)) : std::string();
    };
    if (e.name == "short") {
        s.short_name = collapse_space(e.text);
    } else if (e.name == "description") {
        return;
    } else if (e.name == "port") {
        add_port(s, e, warnings);
    } else if (e.name == "protocol") {
        std::string why;
        if (auto r = parse_firewalld_protocol(attr("value"), &why))
            s.ports.push_back(*r);
        else
            warnings.push_back({pos, why + ": skipped"});
    } else if (e.name == "source-port") {
        warnings.push_back(
            {pos, "<source-port> ignored: portcullis matches destination ports only"});
    } else if (e.name == "helper") {
        add_helper(s, attr("name"), pos, warnings);
    } else if (e.name == "module") {
        // The old spelling of a helper: nf_conntrack_ftp is the ftp helper.
        std::string module = attr("name");
        if (module.starts_with("nf_conntrack_"))
            module = module.substr(13);
        std::replace(module.begin(), module.end(), '_', '-');
        add_helper(s, module, pos, warnings);
    } else if (e.name == "destination") {
        add_destination(s, e);
    } else if (e.name == "include") {
        if (std::string target = attr("service"); target.empty())
            warnings.push_back({pos, "<include> without service: skipped"});
        else
            s.includes.push_back({target, pos});
    } else {
        warnings.push_back({pos, "unknown element <" + e.name + ">: ignored"});
    }
}

// What a service opens once its includes are followed.
struct Closure {
    std::vector<PortRange> ports;
    std::vector<std::string> helpers;
    std::vector<std::string> notes;

    void add(const Closure& o) {
        ports.insert(ports.end(), o.ports.begin(), o.ports.end());
        for (const auto& h : o.helpers)
            if (std::find(helpers.begin(), helpers.end(), h) == helpers.end())
                helpers.push_back(h);
        for (const auto& n : o.notes)
            if (std::find(notes.begin(), notes.end(), n) == notes.end())
                notes.push_back(n);
    }
};

// Depth-first over includes: grey while on the path (meeting one again is a loop, reported
// once at the include that closes it), black once its closure is known (reused, so each
// include is followed once however many services reach it).
class Resolver {
public:
    Resolver(const std::map<std::string, const FirewalldService*, std::less<>>& by_name,
             std::vector<Diagnostic>& warnings)
        : by_name_(by_name), warnings_(warnings) {}

    const Closure& resolve(const FirewalldService& s);

private:
    const std::map<std::string, const FirewalldService*, std::less<>>& by_name_;
    std::vector<Diagnostic>& warnings_;
    std::set<std::string, std::less<>> grey_;
    std::map<std::string, Closure, std::less<>> black_;
    std::vector<std::string> path_;

    void follow(const FirewalldService::Include& inc, Closure& into);
};

void Resolver::follow(const FirewalldService::Include& inc, Closure& into) {
    auto target = by_name_.find(inc.service);
    if (target == by_name_.end()) {
        warnings_.push_back({inc.pos, "include of unknown service '" + inc.service + "': ignored"});
    } else if (grey_.contains(inc.service)) {
        std::string loop;
        auto from = std::find(path_.begin(), path_.end(), inc.service);
        for (auto it = from; it != path_.end(); ++it)
            loop += *it + " -> ";
        warnings_.push_back({inc.pos, "include loop " + loop + inc.service + ": ignored"});
    } else if (auto done = black_.find(inc.service); done != black_.end()) {
        into.add(done->second);
    } else if (path_.size() >= max_include_depth) {
        warnings_.push_back({inc.pos, "includes nested deeper than " +
                                          std::to_string(max_include_depth) + ": '" + inc.service +
                                          "' ignored"});
    } else {
        into.add(resolve(*target->second));
    }
}

const Closure& Resolver::resolve(const FirewalldService& s) {
    if (auto done = black_.find(s.name); done != black_.end())
        return done->second;
    grey_.insert(s.name);
    path_.push_back(s.name);
    Closure c{s.ports, s.helpers, s.notes};
    for (const auto& inc : s.includes)
        follow(inc, c);
    std::sort(c.ports.begin(), c.ports.end());
    c.ports.erase(std::unique(c.ports.begin(), c.ports.end()), c.ports.end());
    path_.pop_back();
    grey_.erase(s.name);
    return black_.emplace(s.name, std::move(c)).first->second;
}

} // namespace

std::string firewalld_name(std::string_view path) {
    std::string file = std::filesystem::path(path).filename().string();
    if (file.size() <= 4 || !file.ends_with(".xml"))
        return {};
    return file.substr(0, file.size() - 4);
}

SourcePos xml_pos(const std::string& path, const XmlElement& e) {
    return {path, e.line, e.column};
}

std::optional<PortRange> parse_firewalld_port(std::string_view port, std::string_view protocol,
                                              std::string* why) {
    auto fail = [&](std::string message) -> std::optional<PortRange> {
        if (why)
            *why = std::move(message);
        return std::nullopt;
    };
    protocol = trim(protocol);
    port = trim(port);
    PortRange r;
    if (protocol == "tcp")
        r.proto = Proto::tcp;
    else if (protocol == "udp")
        r.proto = Proto::udp;
    else if (protocol == "sctp" || protocol == "dccp")
        return fail("port " + std::string(port) + "/" + std::string(protocol) +
                    ": portcullis has no " + std::string(protocol) + " (tcp and udp only)");
    else
        return fail("bad protocol '" + std::string(protocol) + "' for port " + std::string(port) +
                    " (tcp or udp)");
    std::size_t dash = port.find('-');
    auto first = port_number(port.substr(0, dash));
    auto last = dash == std::string_view::npos ? first : port_number(port.substr(dash + 1));
    if (!first || !last)
        return fail("bad port '" + std::string(port) + "' (use 1-65535 or FIRST-LAST)");
    r.first = std::min(*first, *last);
    r.last = std::max(*first, *last);
    return r;
}

std::optional<PortRange> parse_firewalld_protocol(std::string_view value, std::string* why) {
    value = trim(value);
    if (value == "icmp")
        return PortRange{Proto::icmp, 0, 0};
    if (value == "icmpv6" || value == "ipv6-icmp")
        return PortRange{Proto::icmpv6, 0, 0};
    if (why)
        *why = "protocol '" + std::string(value) +
               "' is not supported by portcullis (icmp and icmpv6 only)";
    return std::nullopt;
}

std::optional<FirewalldService> parse_firewalld_service(std::string_view text,
                                                        const std::string& path,
                                                        std::vector<Diagnostic>& warnings) {
    FirewalldService s;
    s.path = path;
    s.name = firewalld_name(path);
    if (s.name.empty()) {
        warnings.push_back({{path, 0, 0}, "not a firewalld service file (NAME.xml)"});
        return std::nullopt;
    }
    XmlError err;
    auto root = parse_xml(text, &err);
    if (!root) {
        warnings.push_back({{path, err.line, err.column}, "cannot read the file: " + err.message});
        return std::nullopt;
    }
    if (root->name != "service") {
        warnings.push_back(
            {xml_pos(path, *root), "<" + root->name + "> is not a firewalld <service>"});
        return std::nullopt;
    }
    s.pos = xml_pos(path, *root);
    for (const auto& child : root->children)
        read_child(s, child, warnings);
    return s;
}

std::vector<ImportedService> resolve_firewalld(const std::vector<FirewalldService>& services,
                                               std::vector<Diagnostic>& warnings) {
    std::map<std::string, const FirewalldService*, std::less<>> by_name;
    for (const auto& s : services)
        by_name[s.name] = &s; // later files replace earlier ones
    Resolver resolver(by_name, warnings);
    std::map<std::string, ImportedService, std::less<>> by_id;
    for (const auto& [name, s] : by_name) {
        const Closure& c = resolver.resolve(*s);
        std::string id = imported_id("firewalld", name);
        if (id.empty()) {
            warnings.push_back({s->pos, "no usable id in the name '" + name + "': skipped"});
            continue;
        }
        if (auto it = by_id.find(id); it != by_id.end()) {
            warnings.push_back({s->pos, "id '" + id + "' is already that of " +
                                            it->second.service.source + ": skipped"});
            continue;
        }
        ImportedService out;
        Service& svc = out.service;
        svc.id = id;
        svc.name = s->short_name.empty() ? name : s->short_name;
        svc.vendor = "firewalld";
        svc.ports = c.ports;
        svc.helpers = c.helpers;
        svc.source = s->path;
        svc.origin = s->pos;
        out.notes = c.notes;
        by_id.emplace(id, std::move(out));
    }
    std::vector<ImportedService> out;
    out.reserve(by_id.size());
    for (auto& [id, s] : by_id)
        out.push_back(std::move(s));
    return out;
}

std::vector<ImportedService> import_firewalld(const std::vector<ImportFile>& files,
                                              std::vector<Diagnostic>& warnings) {
    std::vector<FirewalldService> parsed;
    for (const auto& f : files)
        if (auto s = parse_firewalld_service(f.text, f.path, warnings))
            parsed.push_back(std::move(*s));
    return resolve_firewalld(parsed, warnings);
}

} // namespace portcullis
