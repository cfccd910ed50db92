// SPDX-License-Identifier: GPL-2.0-or-later
// A legacy iptables table as the kernel hands it out (IPT_SO_GET_ENTRIES: one blob of entries),
// read into chains and rules. Pure, and the same for IPv4 and IPv6. The legacy backend uses it to
// check its chain (rule by rule, without counters), to find the jumps to it, and to read the
// final rule's counter, without running iptables-save.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace portcullis::legacy {

inline constexpr std::size_t xt_hooks = 5; // NF_INET_NUMHOOKS

// What IPT_SO_GET_INFO and IPT_SO_GET_ENTRIES (IP6T_... for family 6) return.
struct XtTable {
    int family = 4;
    std::string name;
    unsigned valid_hooks = 0;
    std::array<unsigned, xt_hooks> hook_entry{};
    std::array<unsigned, xt_hooks> underflow{};
    unsigned num_entries = 0;
    std::vector<std::uint8_t> entries;
};

struct XtRule {
    std::size_t offset = 0;
    std::uint64_t packets = 0;
    std::uint64_t bytes = 0;
    // ACCEPT, DROP, RETURN, QUEUE; the chain a jump goes to; "" for a rule without a target;
    // or an extension's name (CT, LOG, ...).
    std::string target;
    bool unconditional = false; // no match, no address, interface or protocol
    std::uint64_t hash = 0;     // the rule as the kernel holds it, counters left out
};

struct XtChain {
    std::string name; // INPUT, PREROUTING, ... or a user chain's name
    bool builtin = false;
    std::vector<XtRule> rules; // without the policy (or, for a user chain, the final RETURN)
};

struct XtView {
    std::vector<XtChain> chains;
    [[nodiscard]] const XtChain* find(std::string_view name) const;
};

// 0, or -EINVAL with *why when the blob is not a table the kernel could have written.
int parse_xt_table(const XtTable& t, XtView* out, std::string* why = nullptr);

// One chain of ours as the periodic check and the installer see it.
struct ChainCheck {
    bool exists = false;
    bool first_in_hook = false; // the hook chain's first rule is an unconditional jump to it
    unsigned hook_jumps = 0;    // unconditional jumps to it in the hook chain
    std::uint64_t hash = 0;     // of its rules, in order, without counters
    std::size_t rules = 0;
    std::optional<std::pair<std::uint64_t, std::uint64_t>> last_counters; // packets, bytes
};
ChainCheck check_chain(const XtView& v, std::string_view chain, std::string_view hook);

} // namespace portcullis::legacy
