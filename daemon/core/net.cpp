// SPDX-License-Identifier: GPL-2.0-or-later
#include "portcullis/net.hpp"

#include "core/strings.hpp"

#include <arpa/inet.h>
#include <charconv>

namespace portcullis {

std::string Cidr::str() const {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(family, addr.data(), buf, sizeof buf);
    return std::string(buf) + "/" + std::to_string(prefix);
}

std::optional<Cidr> parse_cidr(std::string_view text, std::string* why) {
    auto fail = [&](std::string msg) -> std::optional<Cidr> {
        if (why)
            *why = std::move(msg);
        return std::nullopt;
    };
    Cidr c;
    auto slash = text.find('/');
    std::string host(text.substr(0, slash));
    if (inet_pton(AF_INET, host.c_str(), c.addr.data()) == 1)
        c.family = AF_INET;
    else if (inet_pton(AF_INET6, host.c_str(), c.addr.data()) == 1)
        c.family = AF_INET6;
    else
        return fail("'" + printable(host) + "' is not an IPv4 or IPv6 address");
    unsigned max = c.family == AF_INET ? 32 : 128;
    unsigned prefix = max;
    if (slash != std::string_view::npos) {
        auto p = text.substr(slash + 1);
        auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
        if (p.empty() || ec != std::errc() || end != p.data() + p.size() || prefix > max)
            return fail("bad prefix length '/" + printable(p) + "' (0-" + std::to_string(max) +
                        ")");
    }
    c.prefix = static_cast<std::uint8_t>(prefix);
    Cidr masked = c;
    for (unsigned bit = prefix; bit < max; ++bit)
        masked.addr[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
    if (masked.addr != c.addr)
        return fail("host bits are set in '" + printable(text) + "' (did you mean " + masked.str() +
                    "?)");
    return c;
}

} // namespace portcullis
