// SPDX-License-Identifier: GPL-2.0-or-later
#include "portcullis/table-layout.hpp"

#include <sys/socket.h>

namespace portcullis {

std::string set_name(std::string_view zone, Proto proto) {
    switch (proto) {
    case Proto::tcp:
        return std::string(zone) + "_tcp";
    case Proto::udp:
        return std::string(zone) + "_udp";
    case Proto::icmp:
    case Proto::icmpv6:
        return std::string(zone) + "_icmp";
    }
    return {};
}

std::string ifaces_set_name(std::string_view zone) {
    return std::string(zone) + "_ifaces";
}

std::string sources_set_name(std::string_view zone, int family) {
    return std::string(zone) + (family == AF_INET ? "_src4" : "_src6");
}

} // namespace portcullis
