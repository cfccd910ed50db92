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
    out.reserve(patterns.size());
    for (const auto& p : patterns) {
        std::string g = p;
        if (unit_is_template(p))
            g.insert(p.find('@') + 1, "*");
        out.push_back(std::move(g));
    }
    // Sorted and unique (searching the list for each one was quadratic).
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

void UnitTable::set_patterns(std::vector<std::string> patterns) {
    patterns_ = std::move(patterns);
    std::sort(patterns_.begin(), patterns_.end());
    patterns_.erase(std::unique(patterns_.begin(), patterns_.end()), patterns_.end());
    std::erase_if(units_, [this](const auto& kv) { return !matches(kv.first); });
}

bool UnitTable::matches(std::string_view unit) const {
    if (unit.empty() || unit_is_template(unit))
        return false;
    // By name, or by the one template that could name it: two binary searches, where trying
    // every pattern cost units x patterns in each resync (25 million with 5,000 of each).
    auto has = [this](std::string_view name) {
        return std::binary_search(patterns_.begin(), patterns_.end(), name,
                                  [](std::string_view a, std::string_view b) { return a < b; });
    };
    if (has(unit))
        return true;
    std::string t = template_of(unit);
    return !t.empty() && has(t);
}

std::vector<std::string> UnitTable::instances_of(std::string_view template_name) const {
    std::vector<std::string> out;
    if (!unit_is_template(template_name))
        return out;
    std::string_view prefix = template_name.substr(0, template_name.find('@') + 1);
    for (auto it = units_.lower_bound(prefix); it != units_.end() && it->first.starts_with(prefix);
         ++it)
        if (unit_matches(template_name, it->first))
            out.push_back(it->first);
    return out;
}

std::uint64_t UnitTable::fingerprint() const {
    std::uint64_t h = 14695981039346656037ULL;
    auto mix = [&h](std::string_view s) {
        for (char c : s) {
            h ^= static_cast<unsigned char>(c);
            h *= 1099511628211ULL;
        }
        h ^= 0xffU; // a separator no name or state contains, so "ab"+"c" != "a"+"bc"
        h *= 1099511628211ULL;
    };
    for (const auto& [name, state] : units_) {
        mix(name);
        mix(state.file_state);
        mix(state.active_state);
    }
    return h;
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
