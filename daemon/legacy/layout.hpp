// SPDX-License-Identifier: GPL-2.0-or-later
// The TableLayout the planner made, as ip sets and iptables rules: which sets the legacy backend
// keeps (names, types, members), the rules of its chain per address family, the FTP helper rule
// of the raw table, and how the planner's element changes become set operations. Pure.
//
// The rules follow the nftables chain one for one, with two differences the kernel forces:
// - iptables has no interface sets: a zone's rules are repeated per interface (`-i eth0`), still
//   independent of the services;
// - xt_set cannot look up the layer-4 protocol, so a zone's icmp set becomes two selector sets,
//   `pc_Z_icmp4` (hash:net inet) and `pc_Z_icmp6` (inet6), which hold the whole address space
//   (0.0.0.0/1 and 128.0.0.0/1; ::/1 and 8000::/1) while icmp (icmpv6) is open there and
//   nothing while it is closed. Opening icmp is then a set change like any port.
// Every match is followed by RETURN rather than ACCEPT: an accept in one iptables chain would
// also skip every rule after the jump (DSM's own firewall), while in nftables an accept in our
// table never overrides a drop elsewhere. RETURN keeps that: a packet must pass both.
#pragma once

#include "legacy/ipset-msg.hpp"
#include "portcullis/table-layout.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::legacy {

// Our sets' names begin with "pc_"; a set being built to be swapped in is "pc-" + the rest.
inline constexpr std::string_view set_prefix = "pc_";
inline constexpr std::string_view temp_prefix = "pc-";
// iptables chain names: XT_EXTENSION_MAXNAMELEN less the NUL.
inline constexpr std::size_t chain_name_max = 28;

// "pc_" + base (an nftables set name), shortened with a hash of base when longer than an ipset
// name may be.
std::string live_set_name(std::string_view base);
std::string temp_set_name(std::string_view live);
[[nodiscard]] bool is_our_set(std::string_view name);
[[nodiscard]] bool is_temp_set(std::string_view name);

struct LegacySet {
    IpSetDef def;
    IpSetMembers members; // normalised
    // A set whose members switch a whole address family on or off (the icmp selectors): one
    // logical element, however many networks.
    bool selector = false;
};

struct TranslateOptions {
    std::string state_match = "conntrack"; // or "state" (xt_state) on kernels without conntrack
    bool ipv6 = true;                      // ip6tables exists (the kernel has IPv6)
};

struct LegacyLayout {
    std::string chain;
    Mode mode = Mode::monitor;
    std::vector<LegacySet> sets;
    // Rule specifications after "-A CHAIN ", in order, per table and family.
    std::vector<std::string> filter4, filter6, raw4, raw6;

    [[nodiscard]] const LegacySet* find(std::string_view name) const;
    [[nodiscard]] const std::vector<std::string>& rules(int family, bool raw) const;
};

// Translates a layout. Nullopt (and *why) when it cannot be expressed: a table name too long for
// an iptables chain, or a set kind the legacy backend does not know.
std::optional<LegacyLayout> translate(const TableLayout& l, const TranslateOptions& o,
                                      std::string* why);

// True when two layouts have the same sets (names and types) and the same rules: only members
// differ, so a change is set operations alone.
[[nodiscard]] bool same_shape(const LegacyLayout& a, const LegacyLayout& b);

// One set's change. In place (`add`, `del`) when exactly one element changes: the kernel applies
// one range or one selector switch in one step, and every moment in between lies between the old
// and the new set. Anything bigger is built whole in a new set and swapped in (`swap`), so no
// reader ever sees half of it.
struct SetOp {
    std::string set;
    bool swap = false;
    IpSetMembers add;
    IpSetMembers del;
};
std::vector<SetOp> set_ops(const LegacyLayout& desired, const LayoutDiff& changes);

// What iptables-restore needs to know of the kernel's table to rewrite our part of it.
struct RestoreState {
    unsigned hook_jumps = 0; // unconditional jumps to our chain already in INPUT / PREROUTING
    std::optional<std::pair<std::uint64_t, std::uint64_t>> final_counters; // carried over
};

// The input of `iptables-restore --noflush --counters` (family 4) or ip6tables-restore (6): the
// filter table (and, with `raw`, the raw table): our chain declared (created, or flushed when it
// exists) and filled, the jumps to it removed and one put first in INPUT (PREROUTING). Each
// table is one COMMIT: the kernel swaps the whole table at once, so no packet sees our chain
// half-written.
std::string restore_text(const LegacyLayout& l, int family, const RestoreState& filter,
                         const std::optional<RestoreState>& raw);

// The whole layout as text, for people (PreviewRuleset): the sets and their members in the syntax
// of `ipset restore`, then the restore_text of each family in `families` (4, 6), with the raw
// table when `raw` (the kernel has the CT target) and the layout has rules there.
std::string render_text(const LegacyLayout& l, const std::vector<int>& families, bool raw);

} // namespace portcullis::legacy
