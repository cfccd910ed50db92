// SPDX-License-Identifier: GPL-2.0-or-later
// Just enough JSON writing for --print-catalog and the like.
#pragma once

#include <string>
#include <string_view>

namespace portcullis {

// Appends s as a JSON string literal (quoted, escaped; UTF-8 passes through).
void append_json_string(std::string& out, std::string_view s);

} // namespace portcullis
