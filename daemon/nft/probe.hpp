// SPDX-License-Identifier: GPL-2.0-or-later
// What the running kernel offers the nftables backend, asked over netlink the way the backend
// will use it: the ruleset generation (nf_tables at all), then one batch that creates a
// throwaway inet table with the named objects (the counter and the `ftp` ct helper) and an
// interval set with an element, and ends with a message bound to fail, so the kernel aborts the
// whole transaction: nothing is ever created, no event is sent, and each message's ack says
// whether the kernel would have taken it.
#pragma once

#include <string>
#include <vector>

namespace portcullis {

struct NftProbe {
    bool probed = false;
    int nf_tables = -1; // 0 when nf_tables answers; else a negative errno
    int inet_table = -1;
    int interval_sets = -1;
    int ct_helper = -1;

    // (what, what provides it) for each missing piece.
    [[nodiscard]] std::vector<std::pair<std::string, std::string>> missing() const;
    [[nodiscard]] bool complete() const { return probed && missing().empty(); }
};

NftProbe probe_nftables();

} // namespace portcullis
