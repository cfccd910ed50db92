// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/migrate-ufw.hpp"

#include "core/import-ufw.hpp"
#include "core/ini.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace portcullis {

namespace {

constexpr std::string_view all_sources = "*";

std::string_view trim(std::string_view s) {
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    while (!s.empty() && space(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && space(s.back()))
        s.remove_suffix(1);
    return s;
}

std::vector<std::string_view> fields(std::string_view s) {
    std::vector<std::string_view> out;
    while (!(s = trim(s)).empty() && out.size() <= 10) {
        std::size_t end = s.find_first_of(" \t");
        out.push_back(s.substr(0, end));
        s = end == std::string_view::npos ? std::string_view() : s.substr(end);
    }
    return out;
}

std::string unhex(std::string_view hex) {
    auto digit = [](char c) -> int {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    };
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        int hi = digit(hex[i]);
        int lo = digit(hex[i + 1]);
        if (hi < 0 || lo < 0)
            return std::string(hex);
        out += static_cast<char>(hi * 16 + lo);
    }
    return out;
}

std::string app_name(std::string_view field) {
    if (field == "-")
        return {};
    std::string out;
    for (std::size_t i = 0; i < field.size(); ++i) {
        if (field.substr(i, 3) == "%20") {
            out += ' ';
            i += 2;
        } else {
            out += field[i];
        }
    }
    return out;
}

bool set_direction(UfwRule& r, std::string_view d) {
    r.direction = "in";
    if (d == "in" || d == "out") {
        r.direction = std::string(d);
    } else if (auto bang = d.find('!'); bang != std::string_view::npos) {
        if (!d.starts_with("in_") || d.substr(bang + 1).substr(0, 4) != "out_")
            return false;
        r.iface_in = std::string(d.substr(3, bang - 3));
        r.iface_out = std::string(d.substr(bang + 5));
    } else if (d.starts_with("in_")) {
        r.iface_in = std::string(d.substr(3));
    } else if (d.starts_with("out_")) {
        r.direction = "out";
        r.iface_out = std::string(d.substr(4));
    } else {
        return false;
    }
    return true;
}

bool any_address(std::string_view a) {
    return a == "any" || a == "0.0.0.0/0" || a == "::/0";
}

// Collects, per thing a rule opens (a profile or a port), the places it opens in: an input
// interface ("" for any) and source networks.
class Planner {
public:
    Planner(MigrationPlan& plan, bool ipv6) : plan_(plan), ipv6_(ipv6) {}

    void rule(const UfwRule& r, bool v6, const SourcePos& pos);
    void icmp();
    // Makes the zones and services of the plan. profiles: by id; source: the rules file.
    void finish(const std::map<std::string, ImportedService, std::less<>>& profiles,
                const std::string& source);
    [[nodiscard]] unsigned logged() const { return logged_; }

private:
    MigrationPlan& plan_;
    bool ipv6_;
    unsigned logged_ = 0;
    // item -> interface -> sources. Items: "app:NAME" or "port:WORDS".
    std::map<std::string, std::map<std::string, std::set<std::string>>> where_;
    std::map<std::string, std::vector<PortRange>> bare_;
    struct App {
        std::vector<PortRange> ports;
        SourcePos pos;
    };
    std::map<std::string, App> apps_;

    bool place(const UfwRule& r, bool v6, const SourcePos& pos, const std::string& what,
               std::string& src);
    void open(const std::string& item, const std::string& iface, const std::string& src) {
        where_[item][iface].insert(src);
    }
    void open_ports(const UfwRule& r, const std::vector<Proto>& protos, const std::string& src,
                    const SourcePos& pos, const std::string& what);
    void normalise();
    std::string zone_for(const std::string& iface, const std::set<std::string>& srcs,
                         std::vector<std::string>& taken);
    void add_app(const std::string& name, const std::vector<std::string>& zones,
                 const std::map<std::string, ImportedService, std::less<>>& profiles,
                 std::map<std::string, MigratedService, std::less<>>& out);
};

std::string describe(const UfwRule& r) {
    std::string out = r.action + " " + (r.dapp.empty() ? r.dport + "/" + r.proto : r.dapp);
    if (!any_address(r.src))
        out += " from " + r.src;
    if (!r.iface_in.empty())
        out += " on " + r.iface_in;
    if (!r.comment.empty())
        out += " (" + r.comment + ")";
    return "rule '" + out + "': ";
}

// Where the rule applies; false (and a report) when that cannot be said in a config.
bool Planner::place(const UfwRule& r, bool v6, const SourcePos& pos, const std::string& what,
                    std::string& src) {
    if (!r.iface_in.empty()) {
        if (std::string problem = interface_problem_for_migration(r.iface_in); !problem.empty()) {
            plan_.not_carried.push_back(
                {pos, what + "interface '" + r.iface_in + "': " + problem + "; not carried over"});
            return false;
        }
    }
    if (any_address(r.src)) {
        src = v6 ? "::/0" : "0.0.0.0/0";
        return true;
    }
    std::string note;
    std::string why;
    auto c = parse_source_network(r.src, &note, &why);
    if (!c) {
        plan_.not_carried.push_back({pos, what + "source '" + r.src + "': " + why});
        return false;
    }
    if (!note.empty())
        plan_.not_carried.push_back({pos, what + note});
    src = c->str();
    return true;
}

void Planner::open_ports(const UfwRule& r, const std::vector<Proto>& protos, const std::string& src,
                         const SourcePos& pos, const std::string& what) {
    std::vector<Interval> list{{1, 65535}};
    if (r.dport != "any") {
        std::string why;
        auto parsed = parse_ufw_port_list(r.dport, &why);
        if (!parsed) {
            plan_.not_carried.push_back({pos, what + why});
            return;
        }
        list = *parsed;
    } else if (r.dapp.empty() && r.proto == "any") {
        plan_.not_carried.push_back(
            {pos, what + "every protocol: only tcp, udp, icmp and icmpv6 are carried over"});
        bare_["port:icmp"] = {{Proto::icmp, 0, 0}, {Proto::icmpv6, 0, 0}};
        open("port:icmp", r.iface_in, src);
    }
    for (Proto p : protos) {
        for (const auto& iv : list) {
            PortRange pr{p, iv.first, iv.last};
            if (!r.dapp.empty()) {
                App& app = apps_[r.dapp];
                if (app.ports.empty())
                    app.pos = pos;
                app.ports.push_back(pr);
                continue;
            }
            std::string item = "port:" + to_string(pr);
            bare_[item] = {pr};
            open(item, r.iface_in, src);
        }
    }
    if (!r.dapp.empty())
        open("app:" + r.dapp, r.iface_in, src);
}

void Planner::rule(const UfwRule& r, bool v6, const SourcePos& pos) {
    std::string what = describe(r);
    auto skip = [&](const std::string& why) { plan_.not_carried.push_back({pos, what + why}); };
    if (r.route)
        return skip("forwarding (route) rule: not carried over");
    if (r.direction == "out")
        return skip("outbound rule: not carried over");
    if (r.action == "deny" || r.action == "reject")
        return skip(r.action + ": not carried over (portcullis opens ports; it cannot make an "
                               "exception to what is open)");
    if (r.action == "limit")
        skip("rate limit not carried over: the port is open without it");
    if (!r.log.empty())
        ++logged_;
    bool source_port = r.sport != "any" || !r.sapp.empty();
    if (source_port && r.dapp.empty() && r.dport == "any")
        return skip("matches source ports only: not carried over");
    if (source_port)
        skip("source port ignored (portcullis matches destination ports only)");
    if (!any_address(r.dst))
        skip("destination " + r.dst + ": the port opens on every address of the box");
    std::vector<Proto> protos;
    if (r.proto == "tcp" || r.proto == "udp")
        protos = {r.proto == "tcp" ? Proto::tcp : Proto::udp};
    else if (r.proto == "any")
        protos = {Proto::tcp, Proto::udp};
    else
        return skip("protocol " + r.proto + ": not carried over (tcp and udp only)");
    std::string src;
    if (place(r, v6, pos, what, src))
        open_ports(r, protos, src, pos, what);
}

// ufw's before.rules accept ping and ICMP errors from anywhere, for each family in use.
void Planner::icmp() {
    bare_["port:icmp"] = {{Proto::icmp, 0, 0}, {Proto::icmpv6, 0, 0}};
    open("port:icmp", "", "0.0.0.0/0");
    if (ipv6_)
        open("port:icmp", "", "::/0");
}

// Per item: a family's "any" covers its other networks, both families' "any" are every source,
// and every interface and source covers every other place.
void Planner::normalise() {
    for (auto& [item, ifaces] : where_) {
        for (auto& [iface, srcs] : ifaces) {
            bool v4_any = srcs.contains("0.0.0.0/0");
            bool v6_any = srcs.contains("::/0");
            std::erase_if(srcs, [&](const std::string& s) {
                bool v6 = s.find(':') != std::string::npos;
                return (v6 ? v6_any : v4_any) && s != "0.0.0.0/0" && s != "::/0";
            });
            if (v4_any && v6_any)
                srcs = {std::string(all_sources)};
        }
        auto any = ifaces.find("");
        if (any != ifaces.end() && any->second.contains(std::string(all_sources)))
            std::erase_if(ifaces, [](const auto& kv) { return !kv.first.empty(); });
    }
}

std::string Planner::zone_for(const std::string& iface, const std::set<std::string>& srcs,
                              std::vector<std::string>& taken) {
    bool all = srcs.contains(std::string(all_sources));
    bool v4_only = srcs == std::set<std::string>{"0.0.0.0/0"};
    bool v6_only = srcs == std::set<std::string>{"::/0"};
    std::string name = iface.empty() ? "any" : iface;
    std::string origin = "ufw rules on " + (iface.empty() ? "any interface" : iface);
    if (v4_only || v6_only) {
        name += v4_only ? "-ipv4" : "-ipv6";
        origin += v4_only ? ", IPv4 only" : ", IPv6 only";
    } else if (!all) {
        name += "-src";
        origin += ", from some networks";
    }
    MigratedZone z;
    z.name = zone_name_for(name, 24, taken);
    z.origin = origin;
    taken.push_back(z.name);
    if (!iface.empty())
        z.interfaces = {iface};
    if (!all)
        for (const auto& s : srcs)
            if (auto c = parse_cidr(s))
                z.sources.push_back(*c);
    z.is_default = iface.empty() && all;
    plan_.zones.push_back(std::move(z));
    return plan_.zones.back().name;
}

void Planner::add_app(const std::string& name, const std::vector<std::string>& zones,
                      const std::map<std::string, ImportedService, std::less<>>& profiles,
                      std::map<std::string, MigratedService, std::less<>>& out) {
    App& app = apps_[name];
    std::sort(app.ports.begin(), app.ports.end());
    app.ports.erase(std::unique(app.ports.begin(), app.ports.end()), app.ports.end());
    std::string id = imported_id("ufw", name);
    auto [it, fresh] = out.try_emplace(id);
    MigratedService& m = it->second;
    if (fresh) {
        m.service.id = id;
        m.service.vendor = "ufw";
        m.service.name = name;
        m.service.source = app.pos.file;
        if (auto p = profiles.find(id); p != profiles.end()) {
            m.service.name = p->second.service.name;
            m.service.source = p->second.service.source;
            if (p->second.service.ports != app.ports)
                plan_.not_carried.push_back(
                    {app.pos, "profile '" + name + "' now opens " +
                                  join(port_words(p->second.service.ports)) +
                                  "; the rules opened " + join(port_words(app.ports)) +
                                  ": migrated what the rules opened"});
        }
    }
    m.service.ports.insert(m.service.ports.end(), app.ports.begin(), app.ports.end());
    std::sort(m.service.ports.begin(), m.service.ports.end());
    m.service.ports.erase(std::unique(m.service.ports.begin(), m.service.ports.end()),
                          m.service.ports.end());
    for (const auto& z : zones)
        if (std::find(m.zones.begin(), m.zones.end(), z) == m.zones.end())
            m.zones.push_back(z);
}

void Planner::finish(const std::map<std::string, ImportedService, std::less<>>& profiles,
                     const std::string& source) {
    normalise();
    using Place = std::pair<std::string, std::set<std::string>>;
    std::set<Place> places; // sorted: any interface first, every source first
    for (const auto& [item, ifaces] : where_)
        for (const auto& [iface, srcs] : ifaces)
            places.insert({iface, srcs});
    std::map<Place, std::string> zone_of;
    std::vector<std::string> taken;
    for (const auto& p : places)
        zone_of[p] = zone_for(p.first, p.second, taken);
    if (!plan_.zones.empty() && std::none_of(plan_.zones.begin(), plan_.zones.end(),
                                             [](const MigratedZone& z) { return z.is_default; }))
        plan_.zones.front().is_default = true;

    std::map<std::string, MigratedService, std::less<>> out;
    for (const auto& [item, ifaces] : where_) {
        std::vector<std::string> zones;
        for (const auto& [iface, srcs] : ifaces)
            zones.push_back(zone_of[{iface, srcs}]);
        if (item.starts_with("app:")) {
            add_app(item.substr(4), zones, profiles, out);
            continue;
        }
        for (const auto& z : zones) {
            MigratedService& m = out["migrated-ufw-" + z];
            m.service.id = "migrated-ufw-" + z;
            m.service.name = "Ports of ufw rules, zone " + z;
            m.service.vendor = "local";
            m.service.source = source;
            m.zones = {z};
            const auto& ranges = bare_[item];
            m.service.ports.insert(m.service.ports.end(), ranges.begin(), ranges.end());
            std::sort(m.service.ports.begin(), m.service.ports.end());
        }
    }
    for (auto& [id, m] : out)
        plan_.services.push_back(std::move(m));
}

void read_settings(const UfwInput& in, MigrationPlan& plan, bool& ipv6) {
    if (in.defaults) {
        for (const auto& e : parse_ini(in.defaults->text).globals) {
            SourcePos pos{in.defaults->path, e.line, e.column};
            if (e.key == "IPV6" && (e.value == "no" || e.value == "NO"))
                ipv6 = false;
            if (e.key == "DEFAULT_INPUT_POLICY" && e.value == "ACCEPT")
                plan.not_carried.push_back(
                    {pos, "DEFAULT_INPUT_POLICY=ACCEPT: ufw let in what no rule denied; this "
                          "config opens only what the rules allow"});
        }
    }
    if (in.conf) {
        for (const auto& e : parse_ini(in.conf->text).globals)
            if (e.key == "ENABLED" && e.value == "no")
                plan.not_carried.push_back(
                    {{in.conf->path, e.line, e.column},
                     "ENABLED=no: ufw was not enforcing these rules; they are migrated anyway"});
    }
}

void read_rules(const ImportFile& file, bool v6, Planner& planner, MigrationPlan& plan) {
    static constexpr std::string_view marker = "### tuple ###";
    std::string_view text = file.text;
    unsigned number = 0;
    for (std::size_t start = 0; start < text.size();) {
        std::size_t end = std::min(text.find('\n', start), text.size());
        std::string_view line = text.substr(start, end - start);
        start = end + 1;
        ++number;
        if (!line.starts_with(marker))
            continue;
        SourcePos pos{file.path, number, 1};
        std::string why;
        if (auto r = parse_ufw_tuple(line.substr(marker.size()), &why))
            planner.rule(*r, v6, pos);
        else
            plan.not_carried.push_back({pos, "unreadable rule: " + why});
    }
}

} // namespace

std::optional<UfwRule> parse_ufw_tuple(std::string_view text, std::string* why) {
    auto fail = [&](std::string message) -> std::optional<UfwRule> {
        if (why)
            *why = std::move(message);
        return std::nullopt;
    };
    UfwRule r;
    if (auto c = text.find(" comment="); c != std::string_view::npos) {
        r.comment = unhex(trim(text.substr(c + 9)));
        text = text.substr(0, c);
    }
    auto f = fields(text);
    if (f.size() < 6 || f.size() > 9)
        return fail("expected 6 to 9 fields, not " + std::to_string(f.size()));
    std::string_view action = f[0];
    if (action.starts_with("route:")) {
        r.route = true;
        action.remove_prefix(6);
    }
    if (auto us = action.find('_'); us != std::string_view::npos) {
        r.log = std::string(action.substr(us + 1));
        action = action.substr(0, us);
        if (r.log != "log" && r.log != "log-all")
            return fail("unknown logging '" + r.log + "'");
    }
    r.action = std::string(action);
    if (r.action != "allow" && r.action != "deny" && r.action != "reject" && r.action != "limit")
        return fail("unknown action '" + r.action + "'");
    r.proto = std::string(f[1]);
    r.dport = std::string(f[2]);
    r.dst = std::string(f[3]);
    r.sport = std::string(f[4]);
    r.src = std::string(f[5]);
    if (f.size() >= 8) {
        r.dapp = app_name(f[6]);
        r.sapp = app_name(f[7]);
    }
    bool has_direction = f.size() == 7 || f.size() == 9;
    if (!set_direction(r, has_direction ? f.back() : "in"))
        return fail("unknown direction '" + std::string(f.back()) + "'");
    return r;
}

MigrationPlan migrate_ufw(const UfwInput& in) {
    MigrationPlan plan;
    plan.from = "ufw";
    plan.not_carried = in.read_problems;
    bool ipv6 = true;
    read_settings(in, plan, ipv6);
    std::vector<Diagnostic> profile_warnings; // the rules say what was open, not the profiles
    std::map<std::string, ImportedService, std::less<>> profiles;
    for (auto& p : import_ufw(in.profile_files, profile_warnings))
        profiles.emplace(p.service.id, std::move(p));
    Planner planner(plan, ipv6);
    if (in.rules4)
        read_rules(*in.rules4, false, planner, plan);
    if (in.rules6)
        read_rules(*in.rules6, true, planner, plan);
    if (!in.rules4 && !in.rules6)
        plan.not_carried.push_back({{}, "no rules file (user.rules, user6.rules): no rules"});
    planner.icmp();
    planner.finish(profiles, in.rules4 ? in.rules4->path : in.rules6 ? in.rules6->path : "ufw");
    if (planner.logged() > 0)
        plan.not_carried.push_back({{},
                                    std::to_string(planner.logged()) +
                                        " rules log what they match (log, log-all): "
                                        "portcullis does not"});
    plan.not_carried.push_back(
        {{},
         "ufw's before.rules and after.rules are not read; by default they accept DHCP "
         "replies (portcullis does too), ping and ICMP errors (carried over as icmp and "
         "icmpv6), and mDNS and UPnP multicast (5353/udp, 1900/udp: not carried over)"});
    return plan;
}

} // namespace portcullis
