// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/migrate-firewalld.hpp"

#include "core/import-firewalld.hpp"
#include "core/ini.hpp"
#include "core/strings.hpp"
#include "core/xml.hpp"

#include <algorithm>
#include <map>

namespace portcullis {

namespace {

// A rich rule or forward-port in one line, for the report.
void describe(const XmlElement& e, std::string& out) {
    out += e.name;
    for (const auto& a : e.attributes)
        out += " " + a.name + "=" + a.value;
    for (const auto& c : e.children) {
        if (out.size() > 200)
            break;
        out += " [";
        describe(c, out);
        out += "]";
    }
}

std::string describe(const XmlElement& e) {
    std::string out;
    describe(e, out);
    if (out.size() > 200)
        out = out.substr(0, 197) + "...";
    return out;
}

std::string attr(const XmlElement& e, const char* name) {
    const XmlAttribute* a = e.attribute(name);
    return a ? a->value : std::string();
}

void read_source(FirewalldZone& z, const XmlElement& e, const SourcePos& pos,
                 std::vector<Diagnostic>& nc) {
    std::string prefix = "zone " + z.name + ": ";
    if (const XmlAttribute* a = e.attribute("address")) {
        std::string note;
        std::string why;
        if (auto c = parse_source_network(a->value, &note, &why)) {
            if (std::find(z.sources.begin(), z.sources.end(), *c) == z.sources.end())
                z.sources.push_back(*c);
            if (!note.empty())
                nc.push_back({pos, prefix + note});
        } else {
            nc.push_back({pos, prefix + "source '" + a->value + "': " + why});
        }
    } else if (e.attribute("mac")) {
        nc.push_back({pos, prefix + "source MAC " + attr(e, "mac") +
                               ": portcullis matches interfaces and networks only"});
    } else if (e.attribute("ipset")) {
        nc.push_back({pos, prefix + "source ipset " + attr(e, "ipset") + ": not supported"});
    } else {
        nc.push_back({pos, prefix + "<source> without address"});
    }
}

// The elements that map to something; false for the rest.
bool read_mapped(FirewalldZone& z, const XmlElement& e, const SourcePos& pos,
                 std::vector<Diagnostic>& nc) {
    std::string prefix = "zone " + z.name + ": ";
    std::string why;
    if (e.name == "interface") {
        std::string name = attr(e, "name");
        if (std::string problem = interface_problem_for_migration(name); !problem.empty())
            nc.push_back({pos, prefix + "interface '" + name + "': " + problem});
        else if (std::find(z.interfaces.begin(), z.interfaces.end(), name) == z.interfaces.end())
            z.interfaces.push_back(name);
    } else if (e.name == "source") {
        read_source(z, e, pos, nc);
    } else if (e.name == "service") {
        z.services.emplace_back(attr(e, "name"), pos);
    } else if (e.name == "port") {
        std::string port = attr(e, "port");
        auto r = port.empty() ? parse_firewalld_protocol(attr(e, "protocol"), &why)
                              : parse_firewalld_port(port, attr(e, "protocol"), &why);
        if (r)
            z.ports.push_back(*r);
        else
            nc.push_back({pos, prefix + why});
    } else if (e.name == "protocol") {
        if (auto r = parse_firewalld_protocol(attr(e, "value"), &why))
            z.ports.push_back(*r);
        else
            nc.push_back({pos, prefix + why});
    } else if (e.name == "icmp-block") {
        if (z.icmp_blocks.empty())
            z.icmp_blocks_pos = pos;
        z.icmp_blocks.push_back(attr(e, "name"));
    } else if (e.name == "icmp-block-inversion") {
        z.icmp_block_inversion = true;
    } else {
        return e.name == "short" || e.name == "description";
    }
    return true;
}

void read_zone_child(FirewalldZone& z, const XmlElement& e, std::vector<Diagnostic>& nc) {
    SourcePos pos = xml_pos(z.path, e);
    if (read_mapped(z, e, pos, nc))
        return;
    std::string what;
    if (e.name == "masquerade")
        what = "masquerading (NAT)";
    else if (e.name == "forward-port")
        what = "port forwarding (NAT): " + describe(e);
    else if (e.name == "source-port")
        what = "source port " + attr(e, "port") + "/" + attr(e, "protocol") +
               " (portcullis matches destination ports only)";
    else if (e.name == "forward")
        what = "intra-zone forwarding";
    else if (e.name == "rule")
        what = "rich rule: " + describe(e);
    else if (e.name == "tcp-mss-clamp")
        what = "TCP MSS clamping";
    else
        what = "unknown element <" + e.name + ">";
    nc.push_back({pos, "zone " + z.name + ": " + what});
}

std::vector<PortRange> zone_ports(const FirewalldZone& z, std::vector<Diagnostic>& nc) {
    std::vector<PortRange> ports = z.ports;
    std::string prefix = "zone " + z.name + ": ";
    if (z.target == FirewalldZone::Target::accept) {
        auto all = every_port();
        ports.insert(ports.end(), all.begin(), all.end());
        nc.push_back({z.pos, prefix + "target ACCEPT: every tcp, udp and icmp port is open; "
                                      "other protocols are not"});
    } else if (z.target == FirewalldZone::Target::standard) {
        std::string blocks = join(z.icmp_blocks);
        if (!z.icmp_block_inversion) {
            ports.push_back({Proto::icmp, 0, 0});
            ports.push_back({Proto::icmpv6, 0, 0});
            if (!z.icmp_blocks.empty())
                nc.push_back({z.icmp_blocks_pos,
                              prefix + "icmp-block " + blocks +
                                  ": portcullis opens ICMP whole, so these types now pass"});
        } else if (!z.icmp_blocks.empty()) {
            nc.push_back({z.icmp_blocks_pos, prefix + "icmp-block-inversion accepts only " +
                                                 blocks +
                                                 ": portcullis opens ICMP whole or not at all; "
                                                 "not opened"});
        }
    }
    std::sort(ports.begin(), ports.end());
    ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
    return ports;
}

std::string default_zone_of(const std::optional<ImportFile>& conf) {
    if (!conf)
        return "public";
    IniDocument doc = parse_ini(conf->text);
    for (const auto& e : doc.globals)
        if (e.key == "DefaultZone" && !e.value.empty())
            return e.value;
    return "public";
}

// Everything the migration builds while it walks the zones.
struct Builder {
    MigrationPlan& plan;
    const std::map<std::string, ImportedService, std::less<>>& services;
    const std::vector<Diagnostic>& service_warnings;
    std::map<std::string, MigratedService, std::less<>> out;
    std::vector<std::string> zone_names;

    MigratedService& entry(const Service& s, const std::vector<std::string>& notes) {
        auto [it, fresh] = out.try_emplace(s.id);
        if (fresh) {
            it->second.service = s;
            it->second.notes = notes;
        }
        return it->second;
    }
    void open_in(MigratedService& m, const std::vector<std::string>& zones) {
        for (const auto& z : zones)
            if (std::find(m.zones.begin(), m.zones.end(), z) == m.zones.end())
                m.zones.push_back(z);
    }
    void add_zone(const FirewalldZone& z, bool is_default);
    void add_services(const FirewalldZone& z, const std::vector<std::string>& zones);
};

void Builder::add_zone(const FirewalldZone& z, bool is_default) {
    std::vector<std::string> names;
    auto make = [&](std::string_view wanted, std::string origin) -> MigratedZone& {
        MigratedZone mz;
        mz.name = zone_name_for(wanted, 24, zone_names);
        mz.origin = std::move(origin);
        zone_names.push_back(mz.name);
        names.push_back(mz.name);
        plan.zones.push_back(std::move(mz));
        return plan.zones.back();
    };
    std::string base = zone_name_for(z.name, 20, zone_names);
    if (is_default) {
        make(base, "firewalld zone " + z.name + ", the default zone").is_default = true;
    } else {
        if (!z.interfaces.empty())
            make(base, "firewalld zone " + z.name + " (its interfaces)").interfaces = z.interfaces;
        if (!z.sources.empty())
            make(z.interfaces.empty() ? base : base + "-src",
                 "firewalld zone " + z.name + " (its sources)")
                .sources = z.sources;
    }
    if (auto ports = zone_ports(z, plan.not_carried); !ports.empty()) {
        Service s;
        s.id = "migrated-firewalld-" + names.front();
        s.name = "Ports of firewalld zone " + z.name;
        s.vendor = "local";
        s.ports = std::move(ports);
        s.source = z.path;
        open_in(entry(s, {}), names);
    }
    add_services(z, names);
}

void Builder::add_services(const FirewalldZone& z, const std::vector<std::string>& zones) {
    for (const auto& [name, pos] : z.services) {
        auto it = services.find(name);
        if (it == services.end()) {
            plan.not_carried.push_back(
                {pos, "zone " + z.name + ": service '" + name + "' is not defined"});
            continue;
        }
        bool first_use = !out.contains(it->second.service.id);
        MigratedService& m = entry(it->second.service, it->second.notes);
        open_in(m, zones);
        if (!first_use)
            continue;
        // What firewalld's definition said that the copy cannot hold matters for this box now.
        for (const auto& w : service_warnings)
            if (w.pos.file == m.service.source)
                plan.not_carried.push_back(w);
    }
}

} // namespace

std::optional<FirewalldZone> parse_firewalld_zone(std::string_view text, const std::string& path,
                                                  std::vector<Diagnostic>& not_carried) {
    FirewalldZone z;
    z.path = path;
    z.name = firewalld_name(path);
    XmlError err;
    auto root = parse_xml(text, &err);
    if (!root) {
        not_carried.push_back(
            {{path, err.line, err.column}, "cannot read the zone file: " + err.message});
        return std::nullopt;
    }
    if (z.name.empty() || root->name != "zone") {
        not_carried.push_back({xml_pos(path, *root), "not a firewalld zone file"});
        return std::nullopt;
    }
    z.pos = xml_pos(path, *root);
    std::string target = attr(*root, "target");
    if (target == "ACCEPT")
        z.target = FirewalldZone::Target::accept;
    else if (target == "DROP")
        z.target = FirewalldZone::Target::drop;
    else if (target == "%%REJECT%%" || target == "REJECT")
        z.target = FirewalldZone::Target::reject;
    else if (!target.empty() && target != "default")
        not_carried.push_back({z.pos, "zone " + z.name + ": unknown target '" + target + "'"});
    for (const char* prio : {"ingress-priority", "egress-priority"})
        if (root->attribute(prio))
            not_carried.push_back({z.pos, "zone " + z.name + ": " + prio +
                                              " (portcullis zones have no order: they add up)"});
    for (const auto& child : root->children)
        read_zone_child(z, child, not_carried);
    return z;
}

MigrationPlan migrate_firewalld(const FirewalldInput& in) {
    MigrationPlan plan;
    plan.from = "firewalld";
    plan.not_carried = in.read_problems;
    std::vector<Diagnostic> service_warnings;
    std::map<std::string, ImportedService, std::less<>> services;
    for (auto& s : import_firewalld(in.service_files, service_warnings))
        services.emplace(firewalld_name(s.service.source), std::move(s));

    // Zones by name; a later file (/etc/firewalld/zones) replaces an earlier one whole.
    std::map<std::string, std::pair<FirewalldZone, std::vector<Diagnostic>>, std::less<>> zones;
    for (const auto& f : in.zone_files) {
        std::vector<Diagnostic> diags;
        if (auto z = parse_firewalld_zone(f.text, f.path, diags)) {
            std::string name = z->name; // before *z is moved from
            zones.insert_or_assign(name, std::pair{std::move(*z), std::move(diags)});
        } else {
            plan.not_carried.insert(plan.not_carried.end(), diags.begin(), diags.end());
        }
    }
    std::string default_zone = default_zone_of(in.conf);
    Builder b{plan, services, service_warnings, {}, {}};
    if (auto it = zones.find(default_zone); it != zones.end()) {
        plan.not_carried.insert(plan.not_carried.end(), it->second.second.begin(),
                                it->second.second.end());
        b.add_zone(it->second.first, true);
    } else {
        plan.not_carried.push_back({{},
                                    "the default zone '" + default_zone +
                                        "' has no zone file: nothing opens for interfaces "
                                        "that no other zone names"});
    }
    std::vector<std::string> inactive;
    for (const auto& [name, entry] : zones) {
        const auto& [z, diags] = entry;
        if (name == default_zone)
            continue;
        if (z.interfaces.empty() && z.sources.empty()) {
            inactive.push_back(name);
            continue;
        }
        plan.not_carried.insert(plan.not_carried.end(), diags.begin(), diags.end());
        b.add_zone(z, false);
    }
    if (!inactive.empty())
        plan.not_carried.push_back(
            {{},
             "zones with no interface or source in their files, left out: " + join(inactive) +
                 ". NetworkManager binds interfaces to zones itself (connection.zone): "
                 "compare with `firewall-cmd --get-active-zones`"});
    if (plan.zones.size() > 1)
        plan.not_carried.push_back(
            {{},
             "firewalld gives a packet to one zone (its source's, else its interface's, "
             "else the default); portcullis zones add up, so the default zone's ports are "
             "open on every interface"});
    for (auto& [id, m] : b.out)
        plan.services.push_back(std::move(m));
    return plan;
}

} // namespace portcullis
