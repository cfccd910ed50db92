// SPDX-License-Identifier: GPL-2.0-or-later
// Small string helpers every layer uses, in one place.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace portcullis {

// "a, b, c" (or with another separator).
std::string join(const std::vector<std::string>& parts, std::string_view separator = ", ");

// strerror() of a negative errno, as C boundaries here return them: errno_text(-ENOENT).
std::string errno_text(int negative_errno);

} // namespace portcullis
