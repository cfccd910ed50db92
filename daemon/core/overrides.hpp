// SPDX-License-Identifier: GPL-2.0-or-later
// The overrides file's text, `[overrides]` with one `ID = "open"|"closed"` per service.
#pragma once

#include "portcullis/facts.hpp"

#include <string>
#include <string_view>

namespace portcullis {

// Parses the text of an overrides file. Throws ConfigError with every problem found.
Overrides parse_overrides_text(std::string_view text, const std::string& file);

// The text save_overrides() writes; parse_overrides_text() reads it back unchanged.
std::string render_overrides(const Overrides& overrides);

} // namespace portcullis
