// SPDX-License-Identifier: GPL-2.0-or-later
// Reading legacy iptables straight from the kernel with getsockopt (IPT_SO_GET_INFO,
// IPT_SO_GET_ENTRIES and the revision queries; IP6T_... for IPv6), the way iptables itself reads
// it. A UDP socket serves: the kernel hands unknown IP options to netfilter whatever the socket
// type, so no raw socket (CAP_NET_RAW) is needed, only CAP_NET_ADMIN.
#pragma once

#include "legacy/xt-table.hpp"

#include <cstdint>
#include <string_view>

namespace portcullis::legacy {

// Reads a whole table (family 4 or 6). 0 or a negative errno: -ENOPROTOOPT when ip_tables is
// not loaded, -ENOENT when the table does not exist (the kernel loads iptable_NAME on demand).
int read_xt_table(int family, std::string_view name, XtTable* out);

// Whether the kernel has a match (`target` false) or target extension, loading its module on
// demand: >= 0 (its best revision, or 0 when it has no revision 0), or a negative errno
// (-ENOENT: no such extension).
int xt_revision(int family, bool target, std::string_view name);

} // namespace portcullis::legacy
