// SPDX-License-Identifier: GPL-2.0-or-later
// UTF-8 decoding for the readers of other projects' files (XML, INI), which must turn bytes we
// did not write into positions and messages, never into crashes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace portcullis {

// Decodes one UTF-8 sequence at text[i] into *cp. Returns its length (1-4), or 0 when the bytes
// there are not valid UTF-8 (overlong forms, surrogates and code points past U+10FFFF included).
std::size_t utf8_decode(std::string_view text, std::size_t i, char32_t* cp);

// Appends the UTF-8 form of cp (which must be a valid code point).
void utf8_append(std::string& out, char32_t cp);

// True for a byte that continues a sequence (10xxxxxx): it does not start a new column.
inline bool utf8_continuation(char c) {
    return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U;
}

} // namespace portcullis
