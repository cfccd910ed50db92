// SPDX-License-Identifier: GPL-2.0-or-later
// Encoding a TableLayout, or the element changes between two layouts, into one nf_tables netlink
// batch. One encoder per kind of object, in the order a rebuild sends them (as libnftnl's own
// examples build one object per message): the table, the named objects, the sets and their
// elements, the chain, the rules. Pure: no sockets, no kernel; the unit tests parse the buffer
// back with libnftnl and compare field by field.
#pragma once

#include "nft/batch.hpp"
#include "nft/elements.hpp"
#include "portcullis/table-layout.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace portcullis::nft {

// The whole table, created from nothing, replacing any table of that name in the same
// transaction: NEWTABLE (creates it if missing), DELTABLE, then everything anew. The first
// NEWTABLE is what makes the delete safe when the table does not exist yet, on every kernel
// (NFT_MSG_DESTROYTABLE needs 6.3).
void encode_rebuild(Batch& b, const TableLayout& l);

// Element changes only: every DELSETELEM before any NEWSETELEM (a range that grows is deleted
// then re-added; add-first would overlap), each list split into messages below 64 KiB, a range's
// start and end never split.
void encode_element_changes(Batch& b, std::string_view table, const std::vector<ElementDiff>& d);

// --- the encoders encode_rebuild calls, in its order -------------------------------------------

// NFT_MSG_NEWTABLE or NFT_MSG_DELTABLE for the table, flags 0: a table we make is never dormant.
void encode_table(Batch& b, std::uint16_t type, std::string_view table);

// The named objects the rules use: the counter `dropped` and the ct helper `ftp`.
void encode_objects(Batch& b, std::string_view table);

// The sets this batch creates, by the ids its rules name them with (as nft does). The anonymous
// set has no name until the kernel picks one (__set0...), so its id is the only way to it.
struct SetIds {
    std::vector<std::pair<std::string, std::uint32_t>> named;
    std::uint32_t nd_anon = 0; // the icmpv6 types of neighbour discovery
    std::uint32_t next = 1;    // the id the next set gets
    [[nodiscard]] std::uint32_t of(const std::string& name) const;
};

// The name template of the anonymous set; the kernel replaces %d.
inline constexpr const char* anon_set_name = "__set%d";

// Every named set of the layout, each followed by its elements.
SetIds encode_sets(Batch& b, const TableLayout& l);

// The constant anonymous set of `icmpv6 type { nd-router-solicit, ... }` and its elements, bound
// to the rule that follows it; sets ids.nd_anon.
void encode_nd_types_set(Batch& b, std::string_view table, SetIds& ids);

// The base chain: filter hook input priority 0 policy accept.
void encode_chain(Batch& b, std::string_view table);

// Every rule of the layout, appended in order, the icmpv6 rule preceded by its anonymous set.
void encode_rules(Batch& b, const TableLayout& l, SetIds& ids);

} // namespace portcullis::nft
