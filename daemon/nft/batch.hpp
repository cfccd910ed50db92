// SPDX-License-Identifier: GPL-2.0-or-later
// Encoding a TableLayout, or the element changes between two layouts, into one nf_tables netlink
// batch (BEGIN, messages, END). Pure: no sockets, no kernel; the unit tests parse the buffer back
// with libnftnl and compare field by field.
#pragma once

#include "portcullis/table-layout.hpp"

#include <compare>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct nlmsghdr;

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
    auto operator<=>(const ElemRange&) const = default;
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

// Checks what the kernel would not (or would silently misread): names fit, interface names fit
// IFNAMSIZ, every interval set is sorted and free of overlaps (open-ended ranges escape the
// kernel's overlap check). Returns "" or the first problem.
std::string validate_layout(const TableLayout& l);

// Ranges that fit one element message with this key length (start and end keys each).
std::size_t ranges_per_message(std::uint32_t key_len, bool interval);

struct BatchMessage {
    std::uint16_t type = 0; // NFT_MSG_*
    std::uint32_t seq = 0;
    std::string what;       // "NFT_MSG_NEWSETELEM lan_tcp": which message failed, for humans
    std::size_t offset = 0; // in Batch::data()
    std::size_t length = 0;
};

// A growing nf_tables batch: BEGIN, messages with increasing sequence numbers and NLM_F_ACK, END.
class Batch {
public:
    explicit Batch(std::uint32_t first_seq);

    // Starts a message with room for `room` bytes; returns its header for nftnl_*_build_payload.
    nlmsghdr* begin_message(std::uint16_t type, std::uint16_t flags, std::size_t room = 8192);
    // Closes the message begun last, naming it for error reports.
    void end_message(std::string what);
    // Appends END. No message may follow.
    void finish();

    [[nodiscard]] std::span<const std::uint8_t> data() const { return buf_; }
    [[nodiscard]] std::uint32_t begin_seq() const { return begin_seq_; }
    [[nodiscard]] std::uint32_t end_seq() const { return seq_ - 1; }
    // The messages between BEGIN and END (each sent with NLM_F_ACK).
    [[nodiscard]] const std::vector<BatchMessage>& messages() const { return msgs_; }
    [[nodiscard]] const BatchMessage* find(std::uint32_t seq) const;
    // Each message between BEGIN and END, as its header (for parsing back).
    [[nodiscard]] std::vector<const nlmsghdr*> headers() const;

private:
    std::vector<std::uint8_t> buf_;
    std::vector<BatchMessage> msgs_;
    std::uint32_t seq_;
    std::uint32_t begin_seq_;
    std::size_t open_ = 0; // offset of the message being built
    bool finished_ = false;
};

// The whole table, created from nothing, replacing any table of that name in the same
// transaction: NEWTABLE (creates it if missing), DELTABLE, then everything anew. The first
// NEWTABLE is what makes the delete safe when the table does not exist yet, on every kernel
// (NFT_MSG_DESTROYTABLE needs 6.3).
void encode_rebuild(Batch& b, const TableLayout& l);

// Element changes only: every DELSETELEM before any NEWSETELEM (a range that grows is deleted
// then re-added; add-first would overlap), each list split into messages below 64 KiB, a range's
// start and end never split.
void encode_element_changes(Batch& b, std::string_view table, const std::vector<ElementDiff>& d);

std::string_view msg_type_name(std::uint16_t nft_msg_type);

} // namespace portcullis::nft
