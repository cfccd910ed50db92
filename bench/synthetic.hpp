// SPDX-License-Identifier: GPL-2.0-or-later
// What nft-bench and backend-bench share: the synthetic catalogue they commit, and the median
// of a timed action under a time budget.
#pragma once

#include "core/planner.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace portcullis::bench {

using Clock = std::chrono::steady_clock;

// n services, each one TCP port and one two-port UDP range, never adjacent to another
// service's, so nothing merges.
inline Catalog synthetic(int n) {
    Catalog c;
    for (int i = 0; i < n; ++i) {
        Service s;
        s.id = "svc" + std::to_string(i);
        s.name = s.id;
        auto port = static_cast<std::uint16_t>(1000 + 3 * i);
        s.ports = {{Proto::tcp, port, port},
                   {Proto::udp, port, static_cast<std::uint16_t>(port + 1)}};
        c.add_or_replace(s);
    }
    return c;
}

// Every service open, or every one but svc0.
inline DesiredState state_of(const Catalog& c, bool first_open) {
    Overrides o;
    for (const auto& s : c.services())
        o[s.id] = Override::open;
    if (!first_open)
        o["svc0"] = Override::closed;
    Config cfg;
    cfg.mode = Mode::enforce;
    return plan(cfg, c, Facts{}, o);
}

inline double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Median of one timed action over up to `repeats` runs, at least 3, fewer once budget_seconds
// have passed; `prepare` runs untimed before each. -1 when the action fails (returns false).
inline double median_ms(double budget_seconds, int repeats, const std::function<void()>& prepare,
                        const std::function<bool()>& action) {
    std::vector<double> t;
    auto start = Clock::now();
    for (int i = 0; i < repeats && (i < 3 || seconds_since(start) < budget_seconds); ++i) {
        if (prepare)
            prepare();
        auto t0 = Clock::now();
        if (!action())
            return -1;
        t.push_back(seconds_since(t0) * 1000.0);
    }
    std::sort(t.begin(), t.end());
    return t.empty() ? -1 : t[t.size() / 2];
}

} // namespace portcullis::bench
