// SPDX-License-Identifier: GPL-2.0-or-later
// Small string helpers every layer uses, in one place.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace portcullis {

// "a, b, c" (or with another separator).
std::string join(const std::vector<std::string>& parts, std::string_view separator = ", ");

// A value from a file or a caller, made safe to quote in a message: control bytes escaped
// (\n, \t, \x00 ...) so that nothing raw reaches a terminal or the journal, and cut after
// max_chars characters with an ellipsis, so that a 1 MB bad value is not printed back whole.
std::string printable(std::string_view value, std::size_t max_chars = 60);

// strerror() of a negative errno, as C boundaries here return them: errno_text(-ENOENT).
std::string errno_text(int negative_errno);

} // namespace portcullis
