// SPDX-License-Identifier: GPL-2.0-or-later
// Set keys and elements as the kernel compares them, and the arithmetic on them: a layout's sets
// as definitions and sorted ranges, the element changes between two layouts, and how many ranges
// fit one message. Pure: no libnftnl objects, no batches (nft/encode.hpp turns these into
// messages).
#pragma once

#include "portcullis/table-layout.hpp"

#include <compare>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::nft {

// nftables' own datatype numbers (nftables include/datatype.h). The kernel stores them opaquely
// in NFTA_SET_KEY_TYPE; `nft list` reads them back to print elements as ports, names, addresses.
inline constexpr std::uint32_t type_ipaddr = 7;
inline constexpr std::uint32_t type_ip6addr = 8;
inline constexpr std::uint32_t type_inet_protocol = 12;
inline constexpr std::uint32_t type_inet_service = 13;
inline constexpr std::uint32_t type_icmp6_type = 29;
inline constexpr std::uint32_t type_ifname = 41;

// The one message that must stay below 64 KiB: libnftnl writes a nested attribute's length in 16
// bits and silently truncates an element list past it (docs/nftables.md).
inline constexpr std::size_t max_message_bytes = 65535;
// Worst case of one element message header: nlmsghdr, nfgenmsg, table and set names at their
// 256-byte maximum, set id, the list nest.
inline constexpr std::size_t element_header_room = 1024;

// A set key as the kernel compares it: network byte order for ports and addresses, the
// zero-padded IFNAMSIZ name for interfaces, one byte for protocols.
using Key = std::vector<std::uint8_t>;

// One element of a set as we think of it. Interval sets: the inclusive range [first, last], which
// the kernel holds as a start element (first) and an end element (last + 1, flagged
// NFT_SET_ELEM_INTERVAL_END), except when last is the largest key: then there is no end element.
// Other sets: first == last, one element.
struct ElemRange {
    Key first;
    Key last;
    // clang-tidy 14 reports the literal 0 of the synthesized comparison as a null pointer.
    auto operator<=>(const ElemRange&) const = default; // NOLINT(modernize-use-nullptr)
};

// What the kernel is told about a set, besides its elements.
struct SetDef {
    std::string name;
    std::uint32_t flags = 0;    // NFT_SET_INTERVAL, NFT_SET_ANONYMOUS | NFT_SET_CONSTANT
    std::uint32_t key_type = 0; // type_* above
    std::uint32_t key_len = 0;
    bool operator==(const SetDef&) const = default;
};

SetDef set_def(const SetSpec& s);
// The set's elements, sorted. Keys follow set_def(s).key_len.
std::vector<ElemRange> set_elements(const SetSpec& s);

Key port_key(std::uint16_t port);
Key ifname_key(std::string_view name);
// True when k + 1 does not fit in k's width (the 65535 / 255.255.255.255 edge).
bool is_max_key(const Key& k);
// k + 1 in k's width; k must not be the largest key.
Key key_after(const Key& k);
// k - 1 in k's width; k must not be all zero.
Key key_before(const Key& k);

// The elements to delete and to add so that `from` becomes `to` (both sorted): a range that is
// not exactly in the other list is deleted, or added, whole. Applying del then add is exact.
struct ElementDiff {
    SetDef set;
    bool interval = false;
    std::vector<ElemRange> del;
    std::vector<ElemRange> add;
    [[nodiscard]] bool empty() const { return del.empty() && add.empty(); }
};
ElementDiff diff_elements(const SetSpec& spec, const std::vector<ElemRange>& from,
                          const std::vector<ElemRange>& to);

// The planner's element changes (d.layout_changed is false) as keys of the sets of `to`: one
// ElementDiff per set that changes, in layout order. Throws std::invalid_argument when d names a
// set `to` does not have.
std::vector<ElementDiff> element_changes(const TableLayout& to, const LayoutDiff& d);
// Same table, mode, rules and set definitions (name, type, flags, in order): only elements differ.
bool same_shape(const TableLayout& a, const TableLayout& b);

// Checks what the kernel would not (or would silently misread): table and set names fit,
// interface names fit IFNAMSIZ, no port range runs backwards. Overlaps need no check here:
// set_elements() merges them (open-ended ranges escape the kernel's overlap check). Returns "" or
// the first problem.
std::string validate_layout(const TableLayout& l);

// Ranges that fit one element message with this key length (start and end keys each).
std::size_t ranges_per_message(std::uint32_t key_len, bool interval);

} // namespace portcullis::nft
