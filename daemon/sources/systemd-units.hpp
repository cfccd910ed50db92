// SPDX-License-Identifier: GPL-2.0-or-later
// The systemd watcher's model of the units it follows, without any bus: which names the
// patterns select, and how snapshots and signals from systemd change the unit map.
//
// Kept apart from the D-Bus plumbing so that the rules (what "a unit systemd knows" means, what
// an unloaded unit's state is, how a template selects its instances) are unit-tested.
#pragma once

#include "portcullis/facts.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace portcullis {

// "foo@.service" (a template: no instance between '@' and the suffix).
bool unit_is_template(std::string_view name);

// The fnmatch() patterns for systemd's ListUnitsByPatterns/ListUnitFilesByPatterns: the name
// itself, and "foo@*.service" for a template. Unit names cannot contain glob characters, so no
// escaping is needed. These over-select ("foo@*.service" also lists the template itself and
// "foo@a.b.service"): results are filtered with UnitTable::matches.
std::vector<std::string> unit_globs(const std::vector<std::string>& patterns);

class UnitTable {
public:
    using Map = std::map<std::string, UnitState, std::less<>>;

    // Keeps the units still selected and drops the others.
    void set_patterns(std::vector<std::string> patterns);
    [[nodiscard]] const std::vector<std::string>& patterns() const { return patterns_; }
    // True for a concrete unit name selected by a pattern (never for a template itself).
    [[nodiscard]] bool matches(std::string_view unit) const;
    // The units of the map that a template ("foo@.service") selects.
    [[nodiscard]] std::vector<std::string> instances_of(std::string_view template_name) const;

    // A snapshot of loaded units and their ActiveState, from ListUnits*. scope says which names
    // the snapshot speaks for: null for "every selected unit" (a full resync), otherwise the
    // names that were asked for. A name in scope but not in loaded is not loaded, so inactive
    // (systemd unloads units that are stopped and referenced by nothing).
    void apply_loaded(const std::vector<std::pair<std::string, std::string>>& loaded,
                      const std::vector<std::string>* scope);
    // The end of a resync's two lists: files (name -> UnitFileState, from ListUnitFiles) and
    // the selected units ListUnits returned. Applies the file states, and returns (sorted) the
    // units loaded or known but without a file in a unit directory, whose file state is to be
    // asked one by one: template instances (enabled = a symlink in some .wants/), generated or
    // transient units, and units whose file was removed.
    std::vector<std::string> apply_unit_files(const std::map<std::string, std::string>& files,
                                              const std::vector<std::string>& loaded);
    // UnitFileState from GetUnitFileState/ListUnitFiles; "" when the unit has no unit file.
    void set_file_state(std::string_view unit, std::string state);
    // ActiveState from PropertiesChanged.
    void set_active_state(std::string_view unit, std::string state);
    // UnitRemoved: the unit object was unloaded (it is stopped); its unit file may remain.
    void unit_unloaded(std::string_view unit);

    [[nodiscard]] const Map& units() const { return units_; }
    // A 64-bit digest (FNV-1a) of the whole map: equal maps give equal values, and different
    // ones the same value with odds of 2^-64.
    [[nodiscard]] std::uint64_t fingerprint() const;

private:
    UnitState* entry(std::string_view unit); // creates a selected unit's entry
    void prune(std::string_view unit);

    std::vector<std::string> patterns_;
    Map units_;
};

} // namespace portcullis
