// SPDX-License-Identifier: GPL-2.0-or-later
// IP networks, as zones name their sources.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace portcullis {

// An IPv4 or IPv6 network, e.g. 198.18.0.0/15 or 2001:db8::/32.
struct Cidr {
    int family = 0; // AF_INET or AF_INET6
    std::array<std::uint8_t, 16> addr{};
    std::uint8_t prefix = 0;

    [[nodiscard]] std::string str() const;
    bool operator==(const Cidr&) const = default;
};
// Parses "ADDR/PREFIX" or a bare address (a host). Host bits must be zero.
std::optional<Cidr> parse_cidr(std::string_view text, std::string* why = nullptr);

} // namespace portcullis
