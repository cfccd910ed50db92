// SPDX-License-Identifier: GPL-2.0-or-later
// One table of names per enum, read in both directions (the idea of systemd's
// DEFINE_STRING_TABLE_LOOKUP): the config parser, the D-Bus face and the logs all spell a value
// the same way, and a new value is one line here, not a switch in three places.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace portcullis {

template <class E, std::size_t N>
struct StringTable {
    std::array<std::pair<E, std::string_view>, N> entries;

    [[nodiscard]] constexpr std::string_view name(E value) const {
        for (const auto& [v, n] : entries)
            if (v == value)
                return n;
        return "?";
    }

    [[nodiscard]] constexpr std::optional<E> parse(std::string_view text) const {
        for (const auto& [v, n] : entries)
            if (n == text)
                return v;
        return std::nullopt;
    }

    // "\"a\", \"b\" or \"c\"", for messages that list what is allowed.
    [[nodiscard]] std::string choices() const {
        std::string out;
        for (std::size_t i = 0; i < N; ++i) {
            if (i > 0)
                out += i + 1 == N ? " or " : ", ";
            out += '"';
            out += entries[i].second;
            out += '"';
        }
        return out;
    }
};

// make_string_table<Mode>({{Mode::enforce, "enforce"}, {Mode::monitor, "monitor"}})
template <class E, std::size_t N>
constexpr StringTable<E, N> make_string_table(const std::pair<E, std::string_view> (&entries)[N]) {
    StringTable<E, N> t{};
    for (std::size_t i = 0; i < N; ++i)
        t.entries[i] = entries[i];
    return t;
}

} // namespace portcullis
