// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/strings.hpp"

#include <cstring>

namespace portcullis {

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
    std::string out;
    for (const auto& p : parts) {
        if (!out.empty())
            out += separator;
        out += p;
    }
    return out;
}

std::string errno_text(int negative_errno) {
    return std::strerror(-negative_errno);
}

} // namespace portcullis
