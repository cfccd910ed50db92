// SPDX-License-Identifier: GPL-2.0-or-later
// Overrides set over D-Bus, kept in STATE_DIR/overrides.toml so they survive restarts.
#pragma once

#include "core/error.hpp"
#include "portcullis/facts.hpp"

#include <ctime>
#include <string>
#include <vector>

namespace portcullis {

std::string overrides_path(const std::string& state_dir);

// Reads the overrides; a missing file is no overrides. Throws ConfigError on a broken file.
Overrides load_overrides(const std::string& state_dir);

// What the daemon's start made of the overrides file.
struct OverridesAtStart {
    Overrides overrides;
    std::vector<Diagnostic> problems; // empty when the file was fine or missing
    std::string moved_to;             // where a damaged file went; "" when it was not moved
    int error = 0;                    // moving it aside or writing the good entries back failed
};

// Reads the overrides at start. They are the daemon's state, not its config: a damaged file
// (a syntax error, a bad entry, not a regular file) never stops the daemon. It is renamed
// to overrides.toml.corrupt-YYYYmmddTHHMMSSZ (UTC, now), the entries that parse are kept and
// written back, and problems says what was wrong. The caller logs it and reports it.
OverridesAtStart load_overrides_at_start(const std::string& state_dir, std::time_t now);

// Writes all overrides atomically: a temp file in state_dir, fsync, rename, fsync of the
// directory. Returns 0 or a negative errno; on failure the old file is untouched.
int save_overrides(const std::string& state_dir, const Overrides& overrides);

} // namespace portcullis
