// SPDX-License-Identifier: GPL-2.0-or-later
// What the watchers have observed on the box, and the admin's overrides.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace portcullis {

// The two systemd properties the planner reads, as systemd spells them.
struct UnitState {
    std::string file_state;   // UnitFileState: enabled, enabled-runtime, disabled, masked, ...
    std::string active_state; // ActiveState: active, inactive, activating, ...

    bool operator==(const UnitState&) const = default;
};

bool unit_file_enabled(std::string_view file_state);
bool unit_active(std::string_view active_state);

struct Facts {
    std::map<std::string, UnitState, std::less<>> units; // concrete unit names
    std::set<std::string, std::less<>> packages;         // enabled Synology packages

    bool operator==(const Facts&) const = default;
};

enum class Override { open, closed };

std::string_view to_string(Override o);
// "open", "closed"; "auto" (no override) and anything else yield nullopt.
std::optional<Override> override_from_string(std::string_view s);

using Overrides = std::map<std::string, Override, std::less<>>;

} // namespace portcullis
