// SPDX-License-Identifier: GPL-2.0-or-later
// Reading the files an admin wrote (config, catalogue, overrides) whole.
#pragma once

#include <cstddef>
#include <string>

namespace portcullis::detail {

// Files larger than this are refused before parsing; a catalogue of 5,000 services is ~1.5 MB.
inline constexpr std::size_t max_toml_file_size = std::size_t{16} * 1024 * 1024;

// Reads FILE whole. Throws ConfigError("FILE: reason") when it cannot.
std::string read_text_file(const std::string& path);

} // namespace portcullis::detail
