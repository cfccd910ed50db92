// SPDX-License-Identifier: GPL-2.0-or-later
// What the running kernel offers the legacy backend, asked the way the backend will use it:
// ipset netlink (protocol, and each set type it needs), and the iptables getsockopt interface
// (the tables, and each match and target our rules use). No version string is parsed; asking
// also makes the kernel load the module that answers, as a real use would.
#pragma once

#include "legacy/restore.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace portcullis::legacy {

// One thing the kernel (or the system) lacks, and what would provide it.
struct Missing {
    std::string what;    // "ip_set type bitmap:port"
    std::string provide; // "CONFIG_IP_SET_BITMAP_PORT, module ip_set_bitmap_port"
};

struct LegacyProbe {
    bool probed = false;
    int ipset = -1; // 0 when ip_set answers; else a negative errno
    std::uint8_t ipset_protocol = 0;
    std::optional<std::uint8_t> bitmap_port; // the type's best revision, when the kernel has it
    std::optional<std::uint8_t> hash_net;
    int iptables = -1;       // 0 when the IPv4 filter table can be read
    int raw = -1;            // the IPv4 raw table
    bool ipv6 = false;       // the kernel has IPv6 (then ip6tables is needed too)
    int ip6tables = -1;      // the IPv6 filter table
    int raw6 = -1;           // the IPv6 raw table
    bool set_match = false;  // xt_set, for both families
    std::string state_match; // "conntrack", "state", or empty
    bool ct_target = false;  // xt_CT, for both families
    std::optional<RestoreTools> tools;
    std::string tools_problem;

    // Everything the backend needs, in the order an admin would fix it.
    [[nodiscard]] std::vector<Missing> missing() const;
    [[nodiscard]] bool complete() const { return probed && missing().empty(); }
};

LegacyProbe probe_legacy();

} // namespace portcullis::legacy
