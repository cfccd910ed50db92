// SPDX-License-Identifier: GPL-2.0-or-later
#include "sources/systemd-units.hpp"

#include "core/catalog.hpp"

#include <algorithm>
#include <set>

namespace portcullis {

namespace {

bool is_instance(std::string_view name) {
    auto at = name.find('@');
    return at != std::string_view::npos && !unit_is_template(name);
}

// Whether systemd "knows" a unit, i.e. whether a fresh resync would list it. A loaded unit that
// is not inactive, always. Otherwise a unit with a file of its own. A template instance has no
// file of its own: GetUnitFileState answers with the template's generic state ("disabled",
// "static", "indirect"), which says nothing about this instance; it is known only while loaded
// or when something names it (enabled via a .wants symlink, masked, linked).
// (A loaded unit with neither a file nor activity is a name something referred to,
// "not-found", which the planner would treat exactly like an absent one.)
bool worth_keeping(std::string_view name, const UnitState& s) {
    if (!s.active_state.empty() && s.active_state != "inactive")
        return true;
    if (s.file_state.empty())
        return false;
    if (!is_instance(name))
        return true;
    return s.file_state != "disabled" && s.file_state != "static" && s.file_state != "indirect";
}

} // namespace

bool unit_is_template(std::string_view name) {
    auto at = name.find('@');
    return at != std::string_view::npos && at + 1 < name.size() && name[at + 1] == '.';
}

std::vector<std::string> unit_globs(const std::vector<std::string>& patterns) {
    std::vector<std::string> out;
    for (const auto& p : patterns) {
        std::string g = p;
        if (unit_is_template(p))
            g.insert(p.find('@') + 1, "*");
        if (std::find(out.begin(), out.end(), g) == out.end())
            out.push_back(std::move(g));
    }
    return out;
}

void UnitTable::set_patterns(std::vector<std::string> patterns) {
    patterns_ = std::move(patterns);
    std::erase_if(units_, [this](const auto& kv) { return !matches(kv.first); });
}

bool UnitTable::matches(std::string_view unit) const {
    if (unit.empty() || unit_is_template(unit))
        return false;
    return std::any_of(patterns_.begin(), patterns_.end(),
                       [unit](const std::string& p) { return unit_matches(p, unit); });
}

UnitState* UnitTable::entry(std::string_view unit) {
    if (auto it = units_.find(unit); it != units_.end())
        return &it->second;
    if (!matches(unit))
        return nullptr;
    return &units_.emplace(std::string(unit), UnitState{}).first->second;
}

void UnitTable::prune(std::string_view unit) {
    if (auto it = units_.find(unit); it != units_.end() && !worth_keeping(it->first, it->second))
        units_.erase(it);
}

void UnitTable::apply_loaded(const std::vector<std::pair<std::string, std::string>>& loaded,
                             const std::vector<std::string>* scope) {
    std::map<std::string_view, std::string_view> now;
    for (const auto& [name, active] : loaded)
        now.emplace(name, active);

    auto settle = [&](std::string_view name) {
        auto it = now.find(name);
        if (it != now.end()) {
            if (UnitState* s = entry(name))
                s->active_state = std::string(it->second);
        } else if (auto u = units_.find(name); u != units_.end()) {
            u->second.active_state = "inactive";
        }
        prune(name);
    };

    if (scope) {
        for (const auto& name : *scope)
            settle(name);
        return;
    }
    // A full snapshot: every known unit is settled, then every loaded one.
    std::vector<std::string> known;
    known.reserve(units_.size());
    for (const auto& kv : units_)
        known.push_back(kv.first);
    for (const auto& name : known)
        settle(name);
    for (const auto& kv : now)
        settle(kv.first);
}

std::vector<std::string>
UnitTable::apply_unit_files(const std::map<std::string, std::string>& files,
                            const std::vector<std::string>& loaded) {
    for (const auto& [name, state] : files)
        set_file_state(name, state);
    // (A loaded, inactive instance is not in the map yet: it is kept only if its file state
    // names it.)
    std::set<std::string, std::less<>> ask(loaded.begin(), loaded.end());
    for (const auto& kv : units_)
        ask.insert(kv.first);
    std::vector<std::string> out;
    for (const auto& name : ask)
        if (!files.contains(name))
            out.push_back(name);
    return out;
}

void UnitTable::set_file_state(std::string_view unit, std::string state) {
    if (state.empty()) {
        if (auto it = units_.find(unit); it != units_.end()) {
            it->second.file_state.clear();
            prune(unit);
        }
        return;
    }
    if (UnitState* s = entry(unit)) {
        s->file_state = std::move(state);
        if (s->active_state.empty())
            s->active_state = "inactive"; // not in any snapshot of loaded units yet
        prune(unit);
    }
}

void UnitTable::set_active_state(std::string_view unit, std::string state) {
    if (UnitState* s = entry(unit)) {
        s->active_state = std::move(state);
        prune(unit);
    }
}

void UnitTable::unit_unloaded(std::string_view unit) {
    if (auto it = units_.find(unit); it != units_.end()) {
        it->second.active_state = "inactive";
        prune(unit);
    }
}

} // namespace portcullis
