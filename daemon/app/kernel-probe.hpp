// SPDX-License-Identifier: GPL-2.0-or-later
// What the running kernel offers each firewall backend, and which one `backend = "auto"` picks.
// The probes ask the kernel over netlink (and getsockopt for legacy iptables); no version
// string is parsed. Choosing is pure, so it is unit-tested with made-up probe results, and the
// daemon can be told to treat features as missing (--simulate-missing, for the tests: see
// cli.hpp) to run the legacy backend end to end on a kernel that has nf_tables.
#pragma once

#include "core/config.hpp"
#include "legacy/probe.hpp"
#include "nft/probe.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis {

struct KernelProbe {
    NftProbe nft;
    legacy::LegacyProbe legacy;
};

// The names --simulate-missing takes, each hiding what the probe found:
// nf_tables, nft-interval-sets, nft-ct-helper, ip_set, bitmap:port, hash:net, iptables,
// ip6tables, xt_set, CT.
[[nodiscard]] bool known_feature(std::string_view name);
std::string known_features_text();
// Makes the probe report the named features as missing (it can only take away).
void hide_features(KernelProbe& k, const std::vector<std::string>& names);

// Probes what `wanted` needs: nftables for "nftables", the legacy set for "legacy", and for
// "auto" nftables first and the legacy pieces only when nftables is incomplete (asking loads
// modules: a box running nftables should not get ip_set and iptable_filter loaded for nothing).
// `all` probes both whatever is wanted (portcullisd --probe).
KernelProbe probe_kernel(BackendKind wanted, const std::vector<std::string>& hide,
                         bool all = false);

struct BackendChoice {
    std::optional<BackendKind> kind; // nftables or legacy; nullopt when neither can work
    std::string problem;             // why not, and what to load or build: one line
};
BackendChoice choose_backend(BackendKind wanted, const KernelProbe& k);

// One line for the log: "kernel: nf_tables yes (interval sets, ct helper); legacy: not probed".
std::string probe_summary(const KernelProbe& k);
// Several lines for portcullisd --probe.
std::string probe_report(const KernelProbe& k);

} // namespace portcullis
