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

std::string printable(std::string_view value, std::size_t max_chars) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    std::size_t chars = 0;
    for (std::size_t i = 0; i < value.size(); ++i) {
        auto c = static_cast<unsigned char>(value[i]);
        // A UTF-8 continuation byte belongs to the character before it: never cut there.
        bool continues = (c & 0xC0U) == 0x80U;
        if (!continues && chars++ == max_chars) {
            out += "\u2026"; // the ellipsis
            break;
        }
        if (c == '\n')
            out += "\\n";
        else if (c == '\t')
            out += "\\t";
        else if (c == '\r')
            out += "\\r";
        else if (c < 0x20 || c == 0x7f)
            out += std::string("\\x") + hex[c >> 4U] + hex[c & 0xFU];
        else
            out += static_cast<char>(c);
    }
    return out;
}

std::string errno_text(int negative_errno) {
    return std::strerror(-negative_errno);
}

} // namespace portcullis
