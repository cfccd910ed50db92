// SPDX-License-Identifier: GPL-2.0-or-later
// The desired state kept between changes, so that a change costs in proportion to what it
// concerns. plan() decides every service and merges every port each time: with 5,000 services
// that made one SetOverride cost ~165 ms. LivePlan re-decides only the services a change names
// (found through ServiceIndex: unit and package names to services) and updates only the port
// sets their ranges are in, through a count of the open services behind every range. Pure,
// like the planner: its state always equals plan() of the same inputs, which the unit tests
// check after every step.
#pragma once

#include "core/catalog.hpp"
#include "core/config.hpp"
#include "core/planner.hpp"
#include "portcullis/facts.hpp"

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace portcullis {

// Which catalogue services a unit or package name concerns, by position in
// Catalog::services(). Built once per catalogue; it points into that catalogue, which must
// outlive it.
class ServiceIndex {
public:
    ServiceIndex() = default;
    explicit ServiceIndex(const Catalog& cat);

    // Appends the positions of the services that name unit, by its name or, for an instance,
    // by its template ("foo@.service" for "foo@bar.service").
    void services_of_unit(std::string_view unit, std::vector<std::uint32_t>& out) const;
    // Appends the positions of the services that name a Synology package.
    void services_of_package(std::string_view package, std::vector<std::uint32_t>& out) const;
    [[nodiscard]] std::optional<std::uint32_t> position(std::string_view id) const;

private:
    // Sorted by name: a few bytes per name, where a hash map of vectors costs a node and an
    // allocation each; a lookup is a binary search.
    using Entries = std::vector<std::pair<std::string_view, std::uint32_t>>;
    static void lookup(const Entries& entries, std::string_view name,
                       std::vector<std::uint32_t>& out);

    const Catalog* cat_ = nullptr;
    Entries units_;
    Entries packages_;
};

class LivePlan {
public:
    // What one update() replaced: to diff it, and to undo it when its commit fails.
    struct Step {
        std::vector<std::pair<std::uint32_t, ServiceDecision>> before; // position, old decision
        struct ZoneSets {
            std::size_t zone = 0;
            IntervalSet tcp, udp;
            bool icmp = false, icmpv6 = false;
        };
        std::vector<ZoneSets> zones_before; // in zone order
        std::optional<IntervalSet> ftp_before;
        [[nodiscard]] bool empty() const { return before.empty(); }
    };

    // Starts over from a whole plan (the start, a reload). cfg and cat must stay alive and
    // unchanged until the next reset().
    void reset(const Config& cfg, const Catalog& cat, DesiredState state);
    [[nodiscard]] const DesiredState& state() const { return st_; }
    [[nodiscard]] const ServiceIndex& index() const { return index_; }

    // Re-decides the services at these positions (any order, repeats allowed) and updates the
    // state in place. Only services whose decision changed are in the step.
    Step update(const Facts& facts, const Overrides& overrides,
                std::vector<std::uint32_t> positions);
    // What a step changed, as diff(state before, state after) would say it.
    [[nodiscard]] Diff diff(const Step& step) const;
    // Puts back what a step replaced.
    void undo(Step step);

    // Open services behind each port range of a set, sorted by range.
    struct RangeCount {
        Interval range;
        std::uint32_t count = 0;
    };
    using Counts = std::vector<RangeCount>;

private:
    struct ZoneCounts {
        Counts tcp, udp;
        std::uint32_t icmp = 0, icmpv6 = 0;
    };
    // The ranges whose count went to or from zero during one update, per set.
    struct SetChanges {
        std::vector<Interval> gone, came;
        bool touched = false;
    };
    struct Changes {
        std::vector<SetChanges> tcp, udp;
        std::vector<bool> flags;
        SetChanges ftp;
    };

    [[nodiscard]] std::optional<std::size_t> zone_index(std::string_view name) const;
    // Adds (delta +1) or removes (-1) what an open decision contributes to the counts, and
    // notes in changes (when given) the ranges that appeared or disappeared.
    void count(const Service& s, const ServiceDecision& d, int delta, Changes* changes);
    static void apply(IntervalSet& set, const Counts& counts, const SetChanges& changes);

    const Config* cfg_ = nullptr;
    const Catalog* cat_ = nullptr;
    DesiredState st_;
    ServiceIndex index_;
    std::vector<ZoneCounts> counts_; // per zone of st_
    Counts ftp_counts_;
};

} // namespace portcullis
