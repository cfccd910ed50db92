// SPDX-License-Identifier: GPL-2.0-or-later
// The manager's commits: what changed since the last one, planned (whole, or only the services
// the change concerns), committed, announced. The rest of Manager is in manager.cpp.
#include "app/log.hpp"
#include "app/manager.hpp"
#include "core/ruleset.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <iterator>
#include <set>
#include <systemd/sd-daemon.h>
#include <utility>

namespace portcullis {

void Manager::sync_facts(std::vector<std::uint32_t>* touched) {
    // Merge-walk what the planner last saw against what the sources publish now, and copy
    // only what differs: a change costs the units it changed, not the whole map. (Without
    // touched, a full plan follows: after a reload the index still points into the old
    // catalogue.)
    static const std::map<std::string, UnitState, std::less<>> no_units;
    static const std::set<std::string, std::less<>> no_packages;
    const auto& units = systemd_ ? systemd_->units() : no_units;
    const auto& packages = synology_ ? synology_->enabled() : no_packages;
    const ServiceIndex& index = plan_.index();
    auto note_unit = [&](const std::string& unit) {
        if (touched)
            index.services_of_unit(unit, *touched);
    };
    auto a = seen_.units.begin();
    auto b = units.begin();
    while (a != seen_.units.end() || b != units.end()) {
        if (b == units.end() || (a != seen_.units.end() && a->first < b->first)) {
            note_unit(a->first);
            a = seen_.units.erase(a);
        } else if (a == seen_.units.end() || b->first < a->first) {
            note_unit(b->first);
            seen_.units.emplace_hint(a, b->first, b->second);
            ++b;
        } else {
            if (!(a->second == b->second)) {
                note_unit(a->first);
                a->second = b->second;
            }
            ++a;
            ++b;
        }
    }
    if (seen_.packages != packages) {
        std::vector<std::string> changed;
        std::set_symmetric_difference(seen_.packages.begin(), seen_.packages.end(),
                                      packages.begin(), packages.end(),
                                      std::back_inserter(changed));
        for (const auto& p : changed)
            if (touched)
                index.services_of_package(p, *touched);
        seen_.packages = packages;
    }
}

bool Manager::commit_now(std::vector<std::uint32_t> touched, std::string* error,
                         bool read_sources) {
    if (read_sources)
        sync_facts(needs_full_ ? nullptr : &touched);
    bool ok = needs_full_ ? commit_full(error) : commit_step(std::move(touched), error);
    if (ok) {
        retry_ms_ = 0;
        if (!last_error_.empty() && !last_error_is_config_)
            set_last_error("", false);
    }
    return ok;
}

// The start and reloads: every service decided, every set built, diffed against what the
// kernel holds. (Also the first commit of all, which adopts the table.)
bool Manager::commit_full(std::string* error) {
    DesiredState want = plan(config_, catalog_, seen_, overrides_);
    Diff d = diff(plan_.state(), want);
    if (have_applied_ && d.empty()) {
        if (!(want == plan_.state())) {
            // Only reasons changed (e.g. ssh.socket enabled instead of ssh.service).
            DesiredState before = plan_.state();
            plan_.reset(config_, catalog_, std::move(want));
            if (on_applied)
                on_applied({generation_, false, &d, &before, nullptr});
        } else {
            plan_.reset(config_, catalog_, std::move(want));
        }
        needs_full_ = false;
        return true;
    }
    if ((!have_applied_ || !d.ruleset_unchanged()) && !commit_layout(d, error, want))
        return false;
    DesiredState before = plan_.state();
    plan_.reset(config_, catalog_, std::move(want));
    needs_full_ = false;
    retry_.clear();
    committed(d, &before, nullptr);
    before = {};
    release_freed_memory(); // the whole plan's scratch, and systemd's first big replies
    return true;
}

// Every other change: only the services it concerns are decided again (core/live-plan.hpp).
bool Manager::commit_step(std::vector<std::uint32_t> touched, std::string* error) {
    touched.insert(touched.end(), retry_.begin(), retry_.end());
    LivePlan::Step step = plan_.update(seen_, overrides_, touched);
    if (step.empty()) {
        retry_.clear();
        return true;
    }
    Diff d = plan_.diff(step);
    std::vector<ServiceDecision> replaced;
    replaced.reserve(step.before.size());
    for (auto& [pos, old] : step.before)
        replaced.push_back(old);
    if (d.empty()) { // only reasons changed
        retry_.clear();
        if (on_applied)
            on_applied({generation_, false, &d, nullptr, &replaced});
        return true;
    }
    if (!d.ruleset_unchanged() && !commit_layout(d, error, plan_.state())) {
        // Nothing changed in the kernel: neither in the plan. The retry decides these again.
        retry_ = std::move(touched);
        plan_.undo(std::move(step));
        return false;
    }
    retry_.clear();
    committed(d, nullptr, &replaced);
    return true;
}

bool Manager::commit_layout(const Diff& d, std::string* error, const DesiredState& want) {
    TableLayout layout = build_layout(want, config_.table);
    if (opts_.dry_run) {
        log_info("dry run: would " + std::string(have_applied_ ? "change" : "create") + " " +
                 (backend_ ? backend_->objects(config_.table) : "table inet " + config_.table));
        return true;
    }
    CommitResult r = backend_->commit(layout, d);
    if (!r) {
        set_last_error("applying the ruleset: " + r.message, false);
        if (error)
            *error = last_error_;
        return false;
    }
    if (r.rebuilt && have_applied_)
        log_info(backend_->objects(config_.table) + " rebuilt (" + std::to_string(r.messages) +
                 " messages, " + std::to_string(r.bytes) + " bytes)");
    return true;
}

void Manager::committed(const Diff& d, const DesiredState* before,
                        const std::vector<ServiceDecision>* replaced) {
    const DesiredState& now = plan_.state();
    for (const auto& id : d.opened) {
        const ServiceDecision* s = now.service(id);
        log_info("opened " + id + " (" + s->reason + "): " + join(port_words(s->opened)) + " in " +
                 (s->zones.empty() ? std::string("no zone") : join(s->zones)));
    }
    for (const auto& id : d.closed)
        log_info("closed " + id);

    bool first = !have_applied_;
    have_applied_ = true;
    ++generation_;
    notify_status();
    if (first && !ready_sent_) {
        ready_sent_ = true;
        sd_notify(0, "READY=1");
        log_notice("ready: " + std::to_string(now.open_services().size()) +
                   " services open, generation " + std::to_string(generation_));
    }
    if (on_applied)
        on_applied({generation_, true, &d, before, replaced});
}

} // namespace portcullis
