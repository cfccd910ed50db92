// SPDX-License-Identifier: GPL-2.0-or-later
// The planner: (config, catalogue, facts, overrides) -> desired state -> diff. Pure: no I/O, no
// clocks, no logging. Every decision about which port is open is made here.
#pragma once

#include "core/catalog.hpp"
#include "core/config.hpp"
#include "portcullis/facts.hpp"
#include "portcullis/ports.hpp"

#include <string>
#include <vector>

namespace portcullis {

struct ServiceDecision {
    std::string id;
    bool open = false;
    // "unit NAME enabled", "unit NAME active", "package NAME", "always", "override" or "".
    std::string reason;
    std::vector<std::string> zones; // where it opens (when open)
    std::vector<PortRange> opened;  // its ports plus the optional ports the config asked for

    bool operator==(const ServiceDecision&) const = default;
};

struct ZoneState {
    std::string name;
    std::vector<std::string> interfaces;
    std::vector<Cidr> sources;
    IntervalSet tcp;
    IntervalSet udp;
    bool icmp = false;
    bool icmpv6 = false;

    bool operator==(const ZoneState&) const = default;
    // Same name, interfaces and sources: the same rules in the chain.
    [[nodiscard]] bool same_layout(const ZoneState& o) const {
        return name == o.name && interfaces == o.interfaces && sources == o.sources;
    }
};

struct DesiredState {
    Mode mode = Mode::monitor;
    std::vector<ZoneState> zones;
    // TCP ports whose new connections get the ftp conntrack helper.
    IntervalSet ftp_helper;
    // One per catalogue service, sorted by id.
    std::vector<ServiceDecision> services;

    bool operator==(const DesiredState&) const = default;

    [[nodiscard]] const ZoneState* zone(std::string_view name) const;
    [[nodiscard]] const ServiceDecision* service(std::string_view id) const;
    // Ids of open services, sorted.
    [[nodiscard]] std::vector<std::string> open_services() const;
    // Same mode and same zones (names, interfaces, sources, order): only set elements differ.
    [[nodiscard]] bool same_layout(const DesiredState& o) const;
};

DesiredState plan(const Config& cfg, const Catalog& cat, const Facts& facts,
                  const Overrides& overrides);

// Why a service is open, or "" when it is closed. Exposed for tests and the D-Bus API.
struct Verdict {
    bool open = false;
    std::string reason;
};
Verdict decide(const Service& s, const Config& cfg, const Facts& facts, const Overrides& overrides);

// One service's whole decision: decide(), and where it opens what when it is open. plan() is
// this for every service, plus the sets.
ServiceDecision decide_service(const Service& s, const Config& cfg, const Facts& facts,
                               const Overrides& overrides);
// Whether an open service's TCP ports get the ftp conntrack helper.
bool opens_ftp_helper(const Service& s, const ServiceDecision& d);

// The one diff of the daemon: what the backend must change in the kernel (the LayoutDiff part,
// which every backend encodes as it is), and which services opened and closed (for the logs and
// the Applied signal).
struct Diff : LayoutDiff {
    std::vector<std::string> opened; // service ids, sorted
    std::vector<std::string> closed;

    [[nodiscard]] bool empty() const {
        return ruleset_unchanged() && opened.empty() && closed.empty();
    }
};

Diff diff(const DesiredState& applied, const DesiredState& desired);

// A whole-protocol set (icmp, icmpv6) of zone switching from `from` to `to`, appended to out as
// the add or delete of its one element; nothing when it does not change.
void flag_diff(std::vector<SetChange>& out, const std::string& zone, Proto proto, bool from,
               bool to);

// Why proto/port is open: (zone, service id, reason) for each open service that opens it.
struct Explanation {
    std::string zone;
    std::string service;
    std::string reason;
    bool operator==(const Explanation&) const = default;
};
std::vector<Explanation> explain(const DesiredState& st, Proto proto, std::uint16_t port);

// The merged open ports, sorted by zone (in zone order), then proto, then first port.
struct OpenPort {
    std::string zone;
    Proto proto;
    std::uint16_t first;
    std::uint16_t last;
    bool operator==(const OpenPort&) const = default;
};
std::vector<OpenPort> open_ports(const DesiredState& st);

// The zones whose tcp or udp set holds proto/port, in zone order (what Audit reports for a
// listening socket).
std::vector<std::string> zones_open_to(const DesiredState& st, Proto proto, std::uint16_t port);

// Where a service opens: its zones now when it is open, else where it would open.
std::vector<std::string> service_zones(const DesiredState& st, const Config& cfg,
                                       std::string_view id);

} // namespace portcullis
