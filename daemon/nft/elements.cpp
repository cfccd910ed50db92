// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/elements.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <net/if.h>
#include <stdexcept>
#include <sys/socket.h>

namespace portcullis::nft {

namespace {

Key net_first(const Cidr& c) {
    std::size_t len = c.family == AF_INET ? 4 : 16;
    return Key(c.addr.begin(), c.addr.begin() + static_cast<std::ptrdiff_t>(len));
}

Key net_last(const Cidr& c) {
    Key k = net_first(c);
    for (std::size_t bit = c.prefix; bit < k.size() * 8; ++bit)
        k[bit / 8] |= static_cast<std::uint8_t>(0x80u >> (bit % 8));
    return k;
}

// Sorted ranges, overlapping or adjacent ones merged: the kernel neither merges nor tolerates
// overlaps, and an open-ended range even escapes its overlap check (docs/nftables.md).
std::vector<ElemRange> merged(std::vector<ElemRange> v) {
    std::sort(v.begin(), v.end());
    std::vector<ElemRange> out;
    for (auto& r : v) {
        if (!out.empty()) {
            ElemRange& prev = out.back();
            if (is_max_key(prev.last) || r.first <= key_after(prev.last)) {
                if (r.last > prev.last)
                    prev.last = std::move(r.last);
                continue;
            }
        }
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<ElemRange> deduplicated(std::vector<ElemRange> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
}

void append_ranges(std::vector<ElemRange>& out, const SetChange& c,
                   const std::vector<Interval>& ivs) {
    for (const Interval& iv : ivs) {
        if (c.proto == Proto::icmp || c.proto == Proto::icmpv6) {
            // The zone's icmp set holds one protocol number per family that is open.
            Key k{c.proto == Proto::icmp ? ipproto_icmp : ipproto_icmpv6};
            out.push_back({k, k});
        } else {
            out.push_back({port_key(iv.first), port_key(iv.last)});
        }
    }
}

} // namespace

Key port_key(std::uint16_t port) {
    return {static_cast<std::uint8_t>(port >> 8), static_cast<std::uint8_t>(port & 0xff)};
}

Key ifname_key(std::string_view name) {
    Key k(IFNAMSIZ, 0);
    std::memcpy(k.data(), name.data(), std::min<std::size_t>(name.size(), IFNAMSIZ - 1));
    return k;
}

bool is_max_key(const Key& k) {
    return std::all_of(k.begin(), k.end(), [](std::uint8_t b) { return b == 0xff; });
}

Key key_after(const Key& k) {
    Key out = k;
    for (auto it = out.rbegin(); it != out.rend(); ++it)
        if (++*it != 0)
            break;
    return out;
}

Key key_before(const Key& k) {
    Key out = k;
    for (auto it = out.rbegin(); it != out.rend(); ++it)
        if ((*it)-- != 0)
            break;
    return out;
}

SetDef set_def(const SetSpec& s) {
    SetDef d{.name = s.name,
             .flags = s.interval ? static_cast<std::uint32_t>(NFT_SET_INTERVAL) : 0};
    switch (s.type) {
    case SetType::inet_service:
        d.key_type = type_inet_service;
        d.key_len = 2;
        break;
    case SetType::ifname:
        d.key_type = type_ifname;
        d.key_len = IFNAMSIZ;
        break;
    case SetType::ipv4_addr:
        d.key_type = type_ipaddr;
        d.key_len = 4;
        break;
    case SetType::ipv6_addr:
        d.key_type = type_ip6addr;
        d.key_len = 16;
        break;
    case SetType::inet_proto:
        d.key_type = type_inet_protocol;
        d.key_len = 1;
        break;
    }
    return d;
}

std::vector<ElemRange> set_elements(const SetSpec& s) {
    std::vector<ElemRange> v;
    for (const Interval& iv : s.ports) {
        if (s.interval) {
            v.push_back({port_key(iv.first), port_key(iv.last)});
        } else {
            for (unsigned p = iv.first; p <= iv.last; ++p)
                v.push_back({port_key(static_cast<std::uint16_t>(p)),
                             port_key(static_cast<std::uint16_t>(p))});
        }
    }
    for (const std::string& n : s.names)
        v.push_back({ifname_key(n), ifname_key(n)});
    for (const Cidr& c : s.nets)
        v.push_back({net_first(c), s.interval ? net_last(c) : net_first(c)});
    for (std::uint8_t p : s.protos)
        v.push_back({Key{p}, Key{p}});
    return s.interval ? merged(std::move(v)) : deduplicated(std::move(v));
}

ElementDiff diff_elements(const SetSpec& spec, const std::vector<ElemRange>& from,
                          const std::vector<ElemRange>& to) {
    ElementDiff d{.set = set_def(spec), .interval = spec.interval};
    std::set_difference(from.begin(), from.end(), to.begin(), to.end(), std::back_inserter(d.del));
    std::set_difference(to.begin(), to.end(), from.begin(), from.end(), std::back_inserter(d.add));
    return d;
}

bool same_shape(const TableLayout& a, const TableLayout& b) {
    if (a.table != b.table || a.mode != b.mode || a.rules != b.rules ||
        a.sets.size() != b.sets.size())
        return false;
    for (std::size_t i = 0; i < a.sets.size(); ++i)
        if (set_def(a.sets[i]) != set_def(b.sets[i]))
            return false;
    return true;
}

std::vector<ElementDiff> element_changes(const TableLayout& to, const LayoutDiff& d) {
    // One ElementDiff per set that changes, in the layout's order (icmp and icmpv6 share one set).
    std::vector<ElementDiff> out(to.sets.size());
    auto slot = [&](const std::string& name) -> ElementDiff* {
        for (std::size_t i = 0; i < to.sets.size(); ++i)
            if (to.sets[i].name == name) {
                out[i].set = set_def(to.sets[i]);
                out[i].interval = to.sets[i].interval;
                return &out[i];
            }
        throw std::invalid_argument("element change for set " + name +
                                    ", which the layout does not have");
    };
    for (const SetChange& c : d.sets) {
        ElementDiff* e = slot(set_name(c.zone, c.proto));
        append_ranges(e->del, c, c.diff.del);
        append_ranges(e->add, c, c.diff.add);
    }
    if (!d.ftp_helper.empty()) {
        ElementDiff* e = slot(std::string(ftp_helper_set));
        append_ranges(e->del, {.proto = Proto::tcp}, d.ftp_helper.del);
        append_ranges(e->add, {.proto = Proto::tcp}, d.ftp_helper.add);
    }
    std::erase_if(out, [](const ElementDiff& e) { return e.empty(); });
    for (ElementDiff& e : out) {
        std::sort(e.del.begin(), e.del.end());
        std::sort(e.add.begin(), e.add.end());
    }
    return out;
}

std::string validate_layout(const TableLayout& l) {
    // NFT_NAME_MAXLEN counts the terminating NUL.
    if (l.table.empty() || l.table.size() >= NFT_NAME_MAXLEN)
        return "table name '" + l.table + "' must be 1-255 characters";
    for (const SetSpec& s : l.sets) {
        if (s.name.empty() || s.name.size() >= NFT_NAME_MAXLEN)
            return "set name '" + s.name + "' must be 1-255 characters";
        for (const std::string& n : s.names)
            if (n.empty() || n.size() >= IFNAMSIZ)
                return "set " + s.name + ": interface name '" + n + "' must be 1-15 characters";
        for (const Interval& iv : s.ports)
            if (iv.first > iv.last)
                return "set " + s.name + ": empty range " + std::to_string(iv.first) + "-" +
                       std::to_string(iv.last);
    }
    return {};
}

std::size_t ranges_per_message(std::uint32_t key_len, bool interval) {
    // One element: its list-entry nest, the key nest, the key data, a flags attribute.
    std::size_t elem = 4 + 4 + 4 + MNL_ALIGN(key_len) + 8;
    std::size_t range = interval ? 2 * elem : elem;
    return (max_message_bytes - element_header_room) / range;
}

} // namespace portcullis::nft
