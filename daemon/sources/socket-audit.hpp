// SPDX-License-Identifier: GPL-2.0-or-later
// Listening sockets of this network namespace, read through NETLINK_SOCK_DIAG (not /proc).
#pragma once

#include "portcullis/ports.hpp"

#include <cstdint>
#include <libmnl/libmnl.h>
#include <string>
#include <vector>

namespace portcullis {

struct ListeningSocket {
    Proto proto = Proto::tcp; // tcp (LISTEN) or udp (bound, unconnected)
    std::uint16_t port = 0;
    std::string address; // "0.0.0.0", "::", "198.18.0.1", ...

    // clang-tidy 14 reports the literal 0 of the synthesized comparison as a null pointer.
    auto operator<=>(const ListeningSocket&) const = default; // NOLINT(modernize-use-nullptr)
};

// Fills *out with every TCP listener and unconnected UDP socket of IPv4 and IPv6 bound to a
// non-loopback address, sorted and without duplicates. Returns 0 or a negative errno.
int list_listening_sockets(std::vector<ListeningSocket>* out);

// One NETLINK_SOCK_DIAG dump, on a socket of its own: the inet sockets of `family` (AF_INET or
// AF_INET6) and `protocol` (IPPROTO_TCP or IPPROTO_UDP) whose state is in `states` (bits
// 1 << TCP_*), each answer handed to on_answer with data. Returns 0 or a negative errno.
int inet_diag_dump(int family, int protocol, std::uint32_t states, mnl_cb_t on_answer, void* data);

} // namespace portcullis
