// SPDX-License-Identifier: GPL-2.0-or-later
// The overrides file's text, `[overrides]` with one `ID = "open"|"closed"` per service.
#pragma once

#include "core/error.hpp"
#include "portcullis/facts.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace portcullis {

// Parses the text of an overrides file. Throws ConfigError with every problem found.
Overrides parse_overrides_text(std::string_view text, const std::string& file);

// What can be kept of an overrides file with errors: the entries that parse, and the problems
// (empty when the file was fine). A file that is no longer TOML at all (cut short, written over
// in part) is read line by line, keeping each line that still reads `ID = "open"|"closed"`.
// Never throws: the overrides are the daemon's state, and a damaged file must not stop it.
struct SalvagedOverrides {
    Overrides overrides;
    std::vector<Diagnostic> problems;
};
SalvagedOverrides salvage_overrides_text(std::string_view text, const std::string& file);

// The text save_overrides() writes; parse_overrides_text() reads it back unchanged.
std::string render_overrides(const Overrides& overrides);

} // namespace portcullis
