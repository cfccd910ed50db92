// SPDX-License-Identifier: GPL-2.0-or-later
// Overrides set over D-Bus, kept in STATE_DIR/overrides.toml so they survive restarts.
#pragma once

#include "portcullis/facts.hpp"

#include <string>

namespace portcullis {

std::string overrides_path(const std::string& state_dir);

// Reads the overrides; a missing file is no overrides. Throws ConfigError on a broken file.
Overrides load_overrides(const std::string& state_dir);

// Writes all overrides atomically: a temp file in state_dir, fsync, rename, fsync of the
// directory. Returns 0 or a negative errno; on failure the old file is untouched.
int save_overrides(const std::string& state_dir, const Overrides& overrides);

} // namespace portcullis
