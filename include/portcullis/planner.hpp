// The planner: (config, catalogue, facts, overrides) -> desired state -> diff. Pure: no I/O, no
// clocks, no logging. Every decision about which port is open is made here.
#pragma once

#include "portcullis/catalog.hpp"
#include "portcullis/config.hpp"
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
    std::vector<std::string> zones;  // where it opens (when open)
    std::vector<PortRange> opened;   // its ports plus the optional ports the config asked for

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

struct SetChange {
    std::string zone;
    Proto proto = Proto::tcp; // tcp/udp: port intervals; icmp/icmpv6: one element {0,0}
    IntervalDiff diff;

    bool operator==(const SetChange&) const = default;
};

struct Diff {
    // The chain itself must change (mode, zones, interfaces, sources): the backend rebuilds the
    // table in the same transaction. When true, `sets` is empty.
    bool layout_changed = false;
    std::vector<SetChange> sets;
    IntervalDiff ftp_helper;
    std::vector<std::string> opened; // service ids, sorted
    std::vector<std::string> closed;

    [[nodiscard]] bool empty() const {
        return !layout_changed && sets.empty() && ftp_helper.empty() && opened.empty() &&
               closed.empty();
    }
    // True when nothing in the kernel needs to change (services may still have new reasons).
    [[nodiscard]] bool ruleset_unchanged() const {
        return !layout_changed && sets.empty() && ftp_helper.empty();
    }
};

Diff diff(const DesiredState& applied, const DesiredState& desired);

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

} // namespace portcullis
