// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/planner.hpp"

#include "core/string-table.hpp"

#include <algorithm>
#include <tuple>

namespace portcullis {

bool unit_file_enabled(std::string_view s) {
    // "static", "indirect", "generated", "alias" and "linked" units are not something an admin
    // turned on; "masked" is the opposite. Only an explicit enable counts.
    return s == "enabled" || s == "enabled-runtime";
}

bool unit_active(std::string_view s) {
    // A service that is starting or reloading needs its ports already.
    return s == "active" || s == "activating" || s == "reloading";
}

namespace {

constexpr auto override_names =
    make_string_table<Override>({{Override::open, "open"}, {Override::closed, "closed"}});

} // namespace

std::string_view to_string(Override o) {
    return override_names.name(o);
}

std::optional<Override> override_from_string(std::string_view s) {
    return override_names.parse(s);
}

const ZoneState* DesiredState::zone(std::string_view name) const {
    for (const auto& z : zones)
        if (z.name == name)
            return &z;
    return nullptr;
}

const ServiceDecision* DesiredState::service(std::string_view id) const {
    auto it =
        std::lower_bound(services.begin(), services.end(), id,
                         [](const ServiceDecision& d, std::string_view k) { return d.id < k; });
    return it != services.end() && it->id == id ? &*it : nullptr;
}

std::vector<std::string> DesiredState::open_services() const {
    std::vector<std::string> out;
    for (const auto& s : services)
        if (s.open)
            out.push_back(s.id);
    return out;
}

bool DesiredState::same_layout(const DesiredState& o) const {
    return mode == o.mode && zones.size() == o.zones.size() &&
           std::equal(zones.begin(), zones.end(), o.zones.begin(),
                      [](const ZoneState& a, const ZoneState& b) { return a.same_layout(b); });
}

Verdict decide(const Service& s, const Config& cfg, const Facts& facts,
               const Overrides& overrides) {
    // Order matters: `always` beats everything (an admin must never be locked out), then the
    // admin's override, then what the box says.
    if (cfg.is_always(s.id))
        return {true, "always"};
    if (auto it = overrides.find(s.id); it != overrides.end())
        return {it->second == Override::open, "override"};

    if (cfg.systemd.enabled) {
        bool want_enabled = cfg.systemd.open_when != OpenWhen::active;
        bool want_active = cfg.systemd.open_when != OpenWhen::enabled;
        // The service's own unit names are looked up in the (sorted) map: a name directly, a
        // template through the instances that share its "foo@" prefix. Scanning every unit of
        // the box for every service cost services x units. The first name in name order is
        // the reason, so that it is stable; an enabled unit is preferred to an active one as
        // the reason: it is the admin's durable decision.
        const std::string* enabled_unit = nullptr;
        const std::string* active_unit = nullptr;
        auto consider = [&](const std::string& unit, const UnitState& state) {
            if (want_enabled && unit_file_enabled(state.file_state) &&
                (!enabled_unit || unit < *enabled_unit))
                enabled_unit = &unit;
            if (want_active && unit_active(state.active_state) &&
                (!active_unit || unit < *active_unit))
                active_unit = &unit;
        };
        for (const auto& pattern : s.units) {
            if (auto it = facts.units.find(pattern); it != facts.units.end())
                consider(it->first, it->second);
            if (!unit_is_template_name(pattern))
                continue;
            std::string_view prefix(pattern.data(), pattern.find('@') + 1); // "foo@"
            for (auto it = facts.units.lower_bound(prefix);
                 it != facts.units.end() && it->first.starts_with(prefix); ++it)
                if (unit_matches(pattern, it->first))
                    consider(it->first, it->second);
        }
        if (enabled_unit)
            return {true, "unit " + *enabled_unit + " enabled"};
        if (active_unit)
            return {true, "unit " + *active_unit + " active"};
    }
    if (cfg.synology.enabled)
        for (const auto& pkg : s.packages)
            if (facts.packages.contains(pkg))
                return {true, "package " + pkg};
    return {false, ""};
}

ServiceDecision decide_service(const Service& s, const Config& cfg, const Facts& facts,
                               const Overrides& overrides) {
    ServiceDecision d;
    d.id = s.id;
    auto [open, reason] = decide(s, cfg, facts, overrides);
    d.open = open;
    d.reason = std::move(reason);
    if (d.open) {
        d.zones = cfg.zones_for(s.id);
        d.opened = s.ports;
        if (auto it = cfg.services.find(s.id); it != cfg.services.end())
            d.opened.insert(d.opened.end(), it->second.optional.begin(), it->second.optional.end());
    }
    return d;
}

bool opens_ftp_helper(const Service& s, const ServiceDecision& d) {
    return d.open && !d.zones.empty() &&
           std::find(s.helpers.begin(), s.helpers.end(), "ftp") != s.helpers.end();
}

DesiredState plan(const Config& cfg, const Catalog& cat, const Facts& facts,
                  const Overrides& overrides) {
    DesiredState st;
    st.mode = cfg.mode;
    for (const auto& z : cfg.zones()) {
        ZoneState zs;
        zs.name = z.name;
        zs.interfaces = z.interfaces;
        zs.sources = z.sources;
        st.zones.push_back(std::move(zs));
    }
    auto zone_state = [&](std::string_view name) -> ZoneState* {
        for (auto& z : st.zones)
            if (z.name == name)
                return &z;
        return nullptr;
    };

    st.services.reserve(cat.size());
    for (const Service& s : cat.services()) {
        ServiceDecision d = decide_service(s, cfg, facts, overrides);
        for (const auto& zname : d.zones) {
            ZoneState* z = zone_state(zname);
            if (!z)
                continue; // validate() rejects unknown zones; stay safe regardless
            for (const auto& p : d.opened) {
                switch (p.proto) {
                case Proto::tcp:
                    z->tcp.add({p.first, p.last});
                    break;
                case Proto::udp:
                    z->udp.add({p.first, p.last});
                    break;
                case Proto::icmp:
                    z->icmp = true;
                    break;
                case Proto::icmpv6:
                    z->icmpv6 = true;
                    break;
                }
            }
        }
        // The helper goes on the control ports the service opens, never on optional data
        // ranges: the helper is what makes those ranges unnecessary.
        if (opens_ftp_helper(s, d))
            for (const auto& p : s.ports)
                if (p.proto == Proto::tcp)
                    st.ftp_helper.add({p.first, p.last});
        st.services.push_back(std::move(d));
    }
    return st;
}

void flag_diff(std::vector<SetChange>& out, const std::string& zone, Proto proto, bool from,
               bool to) {
    if (from == to)
        return;
    SetChange c{zone, proto, {}};
    (to ? c.diff.add : c.diff.del).push_back({0, 0});
    out.push_back(std::move(c));
}

Diff diff(const DesiredState& applied, const DesiredState& desired) {
    Diff d;
    d.layout_changed = !applied.same_layout(desired);
    if (!d.layout_changed) {
        for (std::size_t i = 0; i < desired.zones.size(); ++i) {
            const ZoneState& a = applied.zones[i];
            const ZoneState& b = desired.zones[i];
            if (auto t = diff(a.tcp, b.tcp); !t.empty())
                d.sets.push_back({b.name, Proto::tcp, std::move(t)});
            if (auto u = diff(a.udp, b.udp); !u.empty())
                d.sets.push_back({b.name, Proto::udp, std::move(u)});
            flag_diff(d.sets, b.name, Proto::icmp, a.icmp, b.icmp);
            flag_diff(d.sets, b.name, Proto::icmpv6, a.icmpv6, b.icmpv6);
        }
    }
    d.ftp_helper = diff(applied.ftp_helper, desired.ftp_helper);

    auto a_open = applied.open_services();
    auto b_open = desired.open_services();
    std::set_difference(b_open.begin(), b_open.end(), a_open.begin(), a_open.end(),
                        std::back_inserter(d.opened));
    std::set_difference(a_open.begin(), a_open.end(), b_open.begin(), b_open.end(),
                        std::back_inserter(d.closed));
    return d;
}

std::vector<Explanation> explain(const DesiredState& st, Proto proto, std::uint16_t port) {
    std::vector<Explanation> out;
    for (const auto& s : st.services) {
        if (!s.open)
            continue;
        bool hit = std::any_of(s.opened.begin(), s.opened.end(), [&](const PortRange& p) {
            if (p.proto != proto)
                return false;
            if (proto == Proto::icmp || proto == Proto::icmpv6)
                return true;
            return p.first <= port && port <= p.last;
        });
        if (!hit)
            continue;
        for (const auto& z : s.zones)
            out.push_back({z, s.id, s.reason});
    }
    std::sort(out.begin(), out.end(), [](const Explanation& a, const Explanation& b) {
        return std::tie(a.zone, a.service) < std::tie(b.zone, b.service);
    });
    return out;
}

std::vector<OpenPort> open_ports(const DesiredState& st) {
    // Built in order rather than sorted: zones by name, then the protocols by name (icmp,
    // icmpv6, tcp, udp), each set already sorted. With 10,000 ranges, sorting (and copying
    // the zone name in every comparison) was most of a change's cost, as OpenPorts is
    // announced after every change.
    std::vector<const ZoneState*> zones;
    zones.reserve(st.zones.size());
    for (const auto& z : st.zones)
        zones.push_back(&z);
    std::sort(zones.begin(), zones.end(),
              [](const ZoneState* a, const ZoneState* b) { return a->name < b->name; });
    std::size_t n = 0;
    for (const auto& z : st.zones)
        n += z.tcp.size() + z.udp.size() + 2;
    std::vector<OpenPort> out;
    out.reserve(n);
    for (const ZoneState* z : zones) {
        if (z->icmp)
            out.push_back({z->name, Proto::icmp, 0, 0});
        if (z->icmpv6)
            out.push_back({z->name, Proto::icmpv6, 0, 0});
        for (const auto& iv : z->tcp)
            out.push_back({z->name, Proto::tcp, iv.first, iv.last});
        for (const auto& iv : z->udp)
            out.push_back({z->name, Proto::udp, iv.first, iv.last});
    }
    return out;
}

std::vector<std::string> zones_open_to(const DesiredState& st, Proto proto, std::uint16_t port) {
    std::vector<std::string> out;
    if (proto != Proto::tcp && proto != Proto::udp)
        return out;
    for (const auto& z : st.zones)
        if ((proto == Proto::tcp ? z.tcp : z.udp).contains(port))
            out.push_back(z.name);
    return out;
}

std::vector<std::string> service_zones(const DesiredState& st, const Config& cfg,
                                       std::string_view id) {
    const ServiceDecision* d = st.service(id);
    return d && d->open ? d->zones : cfg.zones_for(id);
}

} // namespace portcullis
