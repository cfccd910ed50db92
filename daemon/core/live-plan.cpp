// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/live-plan.hpp"

#include <algorithm>

namespace portcullis {

// --- ServiceIndex ---

ServiceIndex::ServiceIndex(const Catalog& cat) : cat_(&cat) {
    const auto& services = cat.services();
    for (std::uint32_t i = 0; i < services.size(); ++i) {
        for (const auto& u : services[i].units)
            units_.emplace_back(u, i);
        for (const auto& p : services[i].packages)
            packages_.emplace_back(p, i);
    }
    std::sort(units_.begin(), units_.end());
    std::sort(packages_.begin(), packages_.end());
}

void ServiceIndex::lookup(const Entries& entries, std::string_view name,
                          std::vector<std::uint32_t>& out) {
    auto it = std::lower_bound(entries.begin(), entries.end(), name,
                               [](const auto& e, std::string_view n) { return e.first < n; });
    for (; it != entries.end() && it->first == name; ++it)
        out.push_back(it->second);
}

void ServiceIndex::services_of_unit(std::string_view unit, std::vector<std::uint32_t>& out) const {
    lookup(units_, unit, out);
    if (std::string t = template_of(unit); !t.empty())
        lookup(units_, t, out);
}

void ServiceIndex::services_of_package(std::string_view package,
                                       std::vector<std::uint32_t>& out) const {
    lookup(packages_, package, out);
}

std::optional<std::uint32_t> ServiceIndex::position(std::string_view id) const {
    const Service* s = cat_ ? cat_->find(id) : nullptr;
    if (!s)
        return std::nullopt;
    return static_cast<std::uint32_t>(s - cat_->services().data());
}

// --- LivePlan ---

namespace {

// Changes the count of range by delta. Returns +1 when the range appeared (0 -> 1), -1 when
// it disappeared (1 -> 0), 0 otherwise.
int adjust(LivePlan::Counts& counts, Interval range, int delta) {
    auto it = std::lower_bound(
        counts.begin(), counts.end(), range,
        [](const LivePlan::RangeCount& c, const Interval& r) { return c.range < r; });
    if (it == counts.end() || it->range != range) {
        if (delta < 0)
            return 0; // never counted: nothing to take away (cannot happen with a sane caller)
        counts.insert(it, {range, 1});
        return 1;
    }
    if (delta > 0) {
        ++it->count;
        return 0;
    }
    if (--it->count > 0)
        return 0;
    counts.erase(it);
    return -1;
}

void note(LivePlan::Counts& counts, Interval range, int delta, std::vector<Interval>* gone,
          std::vector<Interval>* came) {
    int r = adjust(counts, range, delta);
    if (r < 0 && gone)
        gone->push_back(range);
    else if (r > 0 && came)
        came->push_back(range);
}

} // namespace

void LivePlan::reset(const Config& cfg, const Catalog& cat, DesiredState state) {
    cfg_ = &cfg;
    cat_ = &cat;
    st_ = std::move(state);
    index_ = ServiceIndex(cat);
    counts_.assign(st_.zones.size(), {});
    ftp_counts_.clear();
    const auto& services = cat.services();
    for (std::size_t i = 0; i < services.size() && i < st_.services.size(); ++i)
        count(services[i], st_.services[i], +1, nullptr);
}

std::optional<std::size_t> LivePlan::zone_index(std::string_view name) const {
    for (std::size_t i = 0; i < st_.zones.size(); ++i)
        if (st_.zones[i].name == name)
            return i;
    return std::nullopt;
}

void LivePlan::count(const Service& s, const ServiceDecision& d, int delta, Changes* changes) {
    if (!d.open)
        return;
    for (const auto& zname : d.zones) {
        auto zi = zone_index(zname);
        if (!zi)
            continue; // plan() skips unknown zones too
        ZoneCounts& zc = counts_[*zi];
        for (const auto& p : d.opened) {
            Interval iv{p.first, p.last};
            switch (p.proto) {
            case Proto::tcp:
            case Proto::udp: {
                bool tcp = p.proto == Proto::tcp;
                SetChanges* sc = changes ? &(tcp ? changes->tcp : changes->udp)[*zi] : nullptr;
                note(tcp ? zc.tcp : zc.udp, iv, delta, sc ? &sc->gone : nullptr,
                     sc ? &sc->came : nullptr);
                if (sc)
                    sc->touched = true;
                break;
            }
            case Proto::icmp:
            case Proto::icmpv6:
                (p.proto == Proto::icmp ? zc.icmp : zc.icmpv6) += static_cast<std::uint32_t>(delta);
                if (changes)
                    changes->flags[*zi] = true;
                break;
            }
        }
    }
    if (!opens_ftp_helper(s, d))
        return;
    for (const auto& p : s.ports) {
        if (p.proto != Proto::tcp)
            continue;
        note(ftp_counts_, {p.first, p.last}, delta, changes ? &changes->ftp.gone : nullptr,
             changes ? &changes->ftp.came : nullptr);
        if (changes)
            changes->ftp.touched = true;
    }
}

// Brings a merged set in line with its counts, touching only the intervals around the ranges
// that came or went. A range that went takes its whole merged interval out; every counted
// range inside that interval is put back (an open range overlapping a merged interval lies
// inside it, so those are all there are).
void LivePlan::apply(IntervalSet& set, const Counts& counts, const SetChanges& changes) {
    for (const Interval& gone : changes.gone) {
        auto merged = set.remove_containing(gone.first);
        if (!merged)
            continue; // already rebuilt while putting back an earlier one
        auto it = std::lower_bound(
            counts.begin(), counts.end(), merged->first,
            [](const RangeCount& c, std::uint16_t first) { return c.range.first < first; });
        for (; it != counts.end() && it->range.first <= merged->last; ++it)
            set.add(it->range);
    }
    for (const Interval& came : changes.came)
        set.add(came);
}

LivePlan::Step LivePlan::update(const Facts& facts, const Overrides& overrides,
                                std::vector<std::uint32_t> positions) {
    Step step;
    if (!cfg_ || !cat_)
        return step;
    std::sort(positions.begin(), positions.end());
    positions.erase(std::unique(positions.begin(), positions.end()), positions.end());
    const std::size_t nz = st_.zones.size();
    Changes ch{
        std::vector<SetChanges>(nz), std::vector<SetChanges>(nz), std::vector<bool>(nz, false), {}};
    for (std::uint32_t pos : positions) {
        if (pos >= st_.services.size() || pos >= cat_->size())
            continue;
        const Service& s = cat_->services()[pos];
        ServiceDecision now = decide_service(s, *cfg_, facts, overrides);
        if (now == st_.services[pos])
            continue;
        count(s, st_.services[pos], -1, &ch);
        count(s, now, +1, &ch);
        step.before.emplace_back(pos, std::exchange(st_.services[pos], std::move(now)));
    }
    for (std::size_t zi = 0; zi < nz; ++zi) {
        if (!ch.tcp[zi].touched && !ch.udp[zi].touched && !ch.flags[zi])
            continue;
        ZoneState& z = st_.zones[zi];
        step.zones_before.push_back({zi, z.tcp, z.udp, z.icmp, z.icmpv6});
        apply(z.tcp, counts_[zi].tcp, ch.tcp[zi]);
        apply(z.udp, counts_[zi].udp, ch.udp[zi]);
        z.icmp = counts_[zi].icmp > 0;
        z.icmpv6 = counts_[zi].icmpv6 > 0;
    }
    if (ch.ftp.touched) {
        step.ftp_before = st_.ftp_helper;
        apply(st_.ftp_helper, ftp_counts_, ch.ftp);
    }
    return step;
}

Diff LivePlan::diff(const Step& step) const {
    Diff d;
    for (const auto& zb : step.zones_before) {
        const ZoneState& z = st_.zones[zb.zone];
        if (auto t = portcullis::diff(zb.tcp, z.tcp); !t.empty())
            d.sets.push_back({z.name, Proto::tcp, std::move(t)});
        if (auto u = portcullis::diff(zb.udp, z.udp); !u.empty())
            d.sets.push_back({z.name, Proto::udp, std::move(u)});
        flag_diff(d.sets, z.name, Proto::icmp, zb.icmp, z.icmp);
        flag_diff(d.sets, z.name, Proto::icmpv6, zb.icmpv6, z.icmpv6);
    }
    if (step.ftp_before)
        d.ftp_helper = portcullis::diff(*step.ftp_before, st_.ftp_helper);
    // Positions are in catalogue order, which is id order: both lists come out sorted.
    for (const auto& [pos, old] : step.before) {
        const ServiceDecision& now = st_.services[pos];
        if (now.open && !old.open)
            d.opened.push_back(now.id);
        else if (old.open && !now.open)
            d.closed.push_back(now.id);
    }
    return d;
}

void LivePlan::undo(Step step) {
    for (auto it = step.before.rbegin(); it != step.before.rend(); ++it) {
        const Service& s = cat_->services()[it->first];
        count(s, st_.services[it->first], -1, nullptr);
        count(s, it->second, +1, nullptr);
        st_.services[it->first] = std::move(it->second);
    }
    for (auto& zb : step.zones_before) {
        ZoneState& z = st_.zones[zb.zone];
        z.tcp = std::move(zb.tcp);
        z.udp = std::move(zb.udp);
        z.icmp = zb.icmp;
        z.icmpv6 = zb.icmpv6;
    }
    if (step.ftp_before)
        st_.ftp_helper = std::move(*step.ftp_before);
}

} // namespace portcullis
