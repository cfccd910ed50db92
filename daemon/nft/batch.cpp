// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/batch.hpp"

#include "core/ruleset.hpp"
#include "nft/handles.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cstring>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdexcept>
#include <sys/socket.h>

namespace portcullis::nft {

namespace {

// nftables' byte order tags in a set's user data (NFTNL_UDATA_SET_KEYBYTEORDER): `nft list` uses
// them to print keys. Values as nftables' enum byteorder; we send what nft itself sends.
constexpr std::uint32_t byteorder_invalid = 0;
constexpr std::uint32_t byteorder_host = 1;
constexpr std::uint32_t byteorder_big = 2;

// Rule messages are a few hundred bytes; this is room enough for any of ours.
constexpr std::size_t small_message_room = 8192;
// Worst case of one element message header: nlmsghdr, nfgenmsg, table and set names at their
// 256-byte maximum, set id, the list nest.
constexpr std::size_t element_header_room = 1024;

std::uint32_t key_byteorder(SetType t) {
    switch (t) {
    case SetType::inet_service:
    case SetType::ipv4_addr:
    case SetType::ipv6_addr:
        return byteorder_big;
    case SetType::ifname:
        return byteorder_host;
    case SetType::inet_proto:
        return byteorder_invalid;
    }
    return byteorder_invalid;
}

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

// --- expressions -------------------------------------------------------------------------------

ExprPtr expr(const char* name) {
    ExprPtr e(nftnl_expr_alloc(name));
    if (!e)
        throw std::bad_alloc();
    return e;
}

void add(nftnl_rule* r, ExprPtr e) {
    nftnl_rule_add_expr(r, e.release());
}

void meta(nftnl_rule* r, std::uint32_t key) {
    auto e = expr("meta");
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_META_KEY, key);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_META_DREG, NFT_REG_1);
    add(r, std::move(e));
}

void cmp(nftnl_rule* r, std::uint32_t op, const void* data, std::uint32_t len) {
    auto e = expr("cmp");
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CMP_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CMP_OP, op);
    nftnl_expr_set_data(e.get(), NFTNL_EXPR_CMP_DATA, data, len);
    add(r, std::move(e));
}

void cmp_u8(nftnl_rule* r, std::uint8_t v) {
    cmp(r, NFT_CMP_EQ, &v, sizeof v);
}

void payload(nftnl_rule* r, std::uint32_t base, std::uint32_t offset, std::uint32_t len) {
    auto e = expr("payload");
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_BASE, base);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_OFFSET, offset);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_LEN, len);
    add(r, std::move(e));
}

void lookup(nftnl_rule* r, const std::string& set, std::uint32_t set_id) {
    auto e = expr("lookup");
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
    nftnl_expr_set_str(e.get(), NFTNL_EXPR_LOOKUP_SET, set.c_str());
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_LOOKUP_SET_ID, set_id);
    add(r, std::move(e));
}

void verdict(nftnl_rule* r, int v) {
    auto e = expr("immediate");
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_IMM_VERDICT, static_cast<std::uint32_t>(v));
    add(r, std::move(e));
}

void objref(nftnl_rule* r, std::uint32_t type, std::string_view name) {
    auto e = expr("objref");
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_OBJREF_IMM_TYPE, type);
    nftnl_expr_set_str(e.get(), NFTNL_EXPR_OBJREF_IMM_NAME, std::string(name).c_str());
    add(r, std::move(e));
}

// "ct state established,related": the state bits masked, non-zero. Host byte order, as the
// kernel's ct expression writes the register.
void ct_state_established_related(nftnl_rule* r) {
    auto ct = expr("ct");
    nftnl_expr_set_u32(ct.get(), NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
    nftnl_expr_set_u32(ct.get(), NFTNL_EXPR_CT_DREG, NFT_REG_1);
    add(r, std::move(ct));
    std::uint32_t mask = NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED);
    std::uint32_t zero = 0;
    auto bw = expr("bitwise");
    nftnl_expr_set_u32(bw.get(), NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
    nftnl_expr_set_u32(bw.get(), NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
    nftnl_expr_set_u32(bw.get(), NFTNL_EXPR_BITWISE_LEN, sizeof mask);
    nftnl_expr_set_data(bw.get(), NFTNL_EXPR_BITWISE_MASK, &mask, sizeof mask);
    nftnl_expr_set_data(bw.get(), NFTNL_EXPR_BITWISE_XOR, &zero, sizeof zero);
    add(r, std::move(bw));
    cmp(r, NFT_CMP_NEQ, &zero, sizeof zero);
}

struct SetIds {
    std::vector<std::pair<std::string, std::uint32_t>> named;
    std::uint32_t nd_anon = 0;
    [[nodiscard]] std::uint32_t of(const std::string& name) const {
        for (const auto& [n, id] : named)
            if (n == name)
                return id;
        return 0;
    }
};

constexpr const char* anon_set_name = "__set%d";
constexpr std::uint8_t nd_types[] = {133, 134, 135, 136}; // router solicit/advert, neighbour s/a

RulePtr make_rule(const TableLayout& l, const RuleSpec& spec, const SetIds& ids) {
    RulePtr r(nftnl_rule_alloc());
    if (!r)
        throw std::bad_alloc();
    nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, l.table.c_str());
    nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, std::string(chain_name).c_str());
    nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, NFPROTO_INET);
    nftnl_rule* rp = r.get();

    // The dependency expressions (meta nfproto, meta l4proto) are the ones nft itself emits, so
    // that `nft list` folds them back into "ip6 saddr", "tcp dport" and prints the rule cleanly.
    auto zone_prefix = [&] {
        if (!spec.ifaces_set.empty()) {
            meta(rp, NFT_META_IIFNAME);
            lookup(rp, spec.ifaces_set, ids.of(spec.ifaces_set));
        }
        if (!spec.src_set.empty()) {
            bool v4 = spec.src_family == AF_INET;
            meta(rp, NFT_META_NFPROTO);
            cmp_u8(rp, v4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
            // ip saddr: 4 bytes at 12; ip6 saddr: 16 bytes at 8.
            payload(rp, NFT_PAYLOAD_NETWORK_HEADER, v4 ? 12 : 8, v4 ? 4 : 16);
            lookup(rp, spec.src_set, ids.of(spec.src_set));
        }
    };

    switch (spec.kind) {
    case RuleKind::established:
        ct_state_established_related(rp);
        verdict(rp, NF_ACCEPT);
        break;
    case RuleKind::loopback: {
        // iif "lo": nft resolves the name to its index when the rule is added; lo is 1 in
        // every network namespace.
        meta(rp, NFT_META_IIF);
        std::uint32_t lo = 1;
        cmp(rp, NFT_CMP_EQ, &lo, sizeof lo);
        verdict(rp, NF_ACCEPT);
        break;
    }
    case RuleKind::icmpv6_nd:
        meta(rp, NFT_META_NFPROTO);
        cmp_u8(rp, NFPROTO_IPV6);
        meta(rp, NFT_META_L4PROTO);
        cmp_u8(rp, IPPROTO_ICMPV6);
        payload(rp, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1);
        lookup(rp, anon_set_name, ids.nd_anon);
        verdict(rp, NF_ACCEPT);
        break;
    case RuleKind::dhcp_client: {
        // udp sport S udp dport D: one 4-byte load of both ports, as nft optimises it.
        std::uint16_t ports[2] = {htons(spec.dhcp_version == 4 ? 67 : 547),
                                  htons(spec.dhcp_version == 4 ? 68 : 546)};
        meta(rp, NFT_META_L4PROTO);
        cmp_u8(rp, IPPROTO_UDP);
        payload(rp, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 4);
        cmp(rp, NFT_CMP_EQ, ports, sizeof ports);
        verdict(rp, NF_ACCEPT);
        break;
    }
    case RuleKind::ftp_helper:
        meta(rp, NFT_META_L4PROTO);
        cmp_u8(rp, IPPROTO_TCP);
        payload(rp, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
        lookup(rp, spec.lookup_set, ids.of(spec.lookup_set));
        objref(rp, NFT_OBJECT_CT_HELPER, ftp_helper_name);
        break;
    case RuleKind::zone_ports:
        zone_prefix();
        meta(rp, NFT_META_L4PROTO);
        cmp_u8(rp, spec.proto == Proto::udp ? IPPROTO_UDP : IPPROTO_TCP);
        payload(rp, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
        lookup(rp, spec.lookup_set, ids.of(spec.lookup_set));
        verdict(rp, NF_ACCEPT);
        break;
    case RuleKind::zone_icmp:
        zone_prefix();
        meta(rp, NFT_META_L4PROTO);
        lookup(rp, spec.lookup_set, ids.of(spec.lookup_set));
        verdict(rp, NF_ACCEPT);
        break;
    case RuleKind::final_verdict:
        objref(rp, NFT_OBJECT_COUNTER, dropped_counter_name);
        verdict(rp, spec.accept ? NF_ACCEPT : NF_DROP);
        break;
    }
    return r;
}

SetPtr make_set(std::string_view table, const std::string& name, std::uint32_t set_id) {
    SetPtr s(nftnl_set_alloc());
    if (!s)
        throw std::bad_alloc();
    nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, std::string(table).c_str());
    nftnl_set_set_str(s.get(), NFTNL_SET_NAME, name.c_str());
    nftnl_set_set_u32(s.get(), NFTNL_SET_FAMILY, NFPROTO_INET);
    if (set_id)
        nftnl_set_set_u32(s.get(), NFTNL_SET_ID, set_id);
    return s;
}

void encode_set(Batch& b, std::string_view table, const SetDef& def, std::uint32_t byteorder,
                std::uint32_t set_id, std::uint32_t desc_size = 0) {
    SetPtr s = make_set(table, def.name, set_id);
    nftnl_set_set_u32(s.get(), NFTNL_SET_FLAGS, def.flags);
    nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_TYPE, def.key_type);
    nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_LEN, def.key_len);
    if (desc_size)
        nftnl_set_set_u32(s.get(), NFTNL_SET_DESC_SIZE, desc_size);
    UdataPtr ud(nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN));
    if (!ud)
        throw std::bad_alloc();
    nftnl_udata_put_u32(ud.get(), NFTNL_UDATA_SET_KEYBYTEORDER, byteorder);
    nftnl_set_set_data(s.get(), NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud.get()),
                       nftnl_udata_buf_len(ud.get()));
    nlmsghdr* nlh = b.begin_message(NFT_MSG_NEWSET, NLM_F_CREATE, small_message_room);
    nftnl_set_nlmsg_build_payload(nlh, s.get());
    b.end_message("NFT_MSG_NEWSET " + def.name);
}

void put_elem(nlmsghdr* nlh, const Key& k, bool end) {
    SetElemPtr e(nftnl_set_elem_alloc());
    if (!e)
        throw std::bad_alloc();
    nftnl_set_elem_set(e.get(), NFTNL_SET_ELEM_KEY, k.data(), static_cast<std::uint32_t>(k.size()));
    if (end)
        nftnl_set_elem_set_u32(e.get(), NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
    nftnl_set_elem_nlmsg_build(nlh, e.get(), NFTA_LIST_ELEM);
}

void encode_elements(Batch& b, std::uint16_t type, std::string_view table, const SetDef& def,
                     std::uint32_t set_id, std::span<const ElemRange> ranges) {
    const bool interval = (def.flags & NFT_SET_INTERVAL) != 0;
    const std::size_t per_msg = ranges_per_message(def.key_len, interval);
    const char* verb = type == NFT_MSG_NEWSETELEM ? "NFT_MSG_NEWSETELEM " : "NFT_MSG_DELSETELEM ";
    for (std::size_t at = 0; at < ranges.size(); at += per_msg) {
        auto chunk = ranges.subspan(at, std::min(per_msg, ranges.size() - at));
        nlmsghdr* nlh = b.begin_message(type, type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0,
                                        max_message_bytes + element_header_room);
        mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, def.name.c_str());
        if (set_id)
            mnl_attr_put_u32(nlh, NFTA_SET_ELEM_LIST_SET_ID, htonl(set_id));
        mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, std::string(table).c_str());
        // nftnl_set_elems_nlmsg_build_payload() numbers the list entries 1, 2, 3...; the kernel
        // ignores the number, but libnftnl's own parser (and so our tests and our model) accepts
        // only NFTA_LIST_ELEM, which is also what the kernel's dumps use.
        nlattr* list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
        for (const ElemRange& r : chunk) {
            // A range is its start and, unless it runs to the largest key, an end element at
            // last + 1; start first, both in this message.
            put_elem(nlh, r.first, false);
            if (interval && !is_max_key(r.last))
                put_elem(nlh, key_after(r.last), true);
        }
        mnl_attr_nest_end(nlh, list);
        b.end_message(verb + def.name);
    }
}

} // namespace

// --- keys and elements -------------------------------------------------------------------------

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

namespace {

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

// --- batch ---------------------------------------------------------------------------------------

Batch::Batch(std::uint32_t first_seq) : seq_(first_seq), begin_seq_(first_seq) {
    buf_.resize(MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(nfgenmsg)));
    nlmsghdr* nlh = nftnl_batch_begin(reinterpret_cast<char*>(buf_.data()), seq_++);
    buf_.resize(MNL_ALIGN(nlh->nlmsg_len));
}

nlmsghdr* Batch::begin_message(std::uint16_t type, std::uint16_t flags, std::size_t room) {
    if (finished_)
        throw std::logic_error("nft batch: message after END");
    open_ = buf_.size();
    buf_.resize(open_ + room);
    return nftnl_nlmsg_build_hdr(reinterpret_cast<char*>(buf_.data() + open_), type, NFPROTO_INET,
                                 flags | NLM_F_ACK, seq_);
}

void Batch::end_message(std::string what) {
    const auto* nlh = reinterpret_cast<const nlmsghdr*>(buf_.data() + open_);
    std::size_t len = nlh->nlmsg_len;
    if (open_ + len > buf_.size())
        throw std::length_error("nft batch: message overran its room: " + what);
    std::uint16_t type = static_cast<std::uint16_t>(NFNL_MSG_TYPE(nlh->nlmsg_type));
    msgs_.push_back(
        {.type = type, .seq = seq_, .what = std::move(what), .offset = open_, .length = len});
    buf_.resize(open_ + MNL_ALIGN(len));
    ++seq_;
}

void Batch::finish() {
    if (finished_)
        return;
    std::size_t at = buf_.size();
    buf_.resize(at + MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(nfgenmsg)));
    nlmsghdr* nlh = nftnl_batch_end(reinterpret_cast<char*>(buf_.data() + at), seq_++);
    buf_.resize(at + MNL_ALIGN(nlh->nlmsg_len));
    finished_ = true;
}

const BatchMessage* Batch::find(std::uint32_t seq) const {
    for (const auto& m : msgs_)
        if (m.seq == seq)
            return &m;
    return nullptr;
}

std::vector<const nlmsghdr*> Batch::headers() const {
    std::vector<const nlmsghdr*> out;
    for (const auto& m : msgs_)
        out.push_back(reinterpret_cast<const nlmsghdr*>(buf_.data() + m.offset));
    return out;
}

// --- whole-table and element encodings ----------------------------------------------------------

void encode_rebuild(Batch& b, const TableLayout& l) {
    TablePtr t(nftnl_table_alloc());
    if (!t)
        throw std::bad_alloc();
    nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, l.table.c_str());
    nftnl_table_set_u32(t.get(), NFTNL_TABLE_FLAGS, 0);
    // add (a no-op when it exists), delete, create: replaces any table of this name atomically.
    for (std::uint16_t type : {NFT_MSG_NEWTABLE, NFT_MSG_DELTABLE, NFT_MSG_NEWTABLE}) {
        nlmsghdr* nlh =
            b.begin_message(type, type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0, small_message_room);
        nftnl_table_nlmsg_build_payload(nlh, t.get());
        b.end_message(std::string(msg_type_name(type)) + " " + l.table);
    }

    for (std::uint32_t type : {NFT_OBJECT_COUNTER, NFT_OBJECT_CT_HELPER}) {
        ObjPtr o(nftnl_obj_alloc());
        if (!o)
            throw std::bad_alloc();
        nftnl_obj_set_str(o.get(), NFTNL_OBJ_TABLE, l.table.c_str());
        nftnl_obj_set_u32(o.get(), NFTNL_OBJ_FAMILY, NFPROTO_INET);
        nftnl_obj_set_u32(o.get(), NFTNL_OBJ_TYPE, type);
        std::string name(type == NFT_OBJECT_COUNTER ? dropped_counter_name : ftp_helper_name);
        nftnl_obj_set_str(o.get(), NFTNL_OBJ_NAME, name.c_str());
        if (type == NFT_OBJECT_CT_HELPER) {
            nftnl_obj_set_str(o.get(), NFTNL_OBJ_CT_HELPER_NAME, "ftp");
            nftnl_obj_set_u16(o.get(), NFTNL_OBJ_CT_HELPER_L3PROTO, NFPROTO_INET);
            nftnl_obj_set_u8(o.get(), NFTNL_OBJ_CT_HELPER_L4PROTO, IPPROTO_TCP);
        }
        nlmsghdr* nlh = b.begin_message(NFT_MSG_NEWOBJ, NLM_F_CREATE, small_message_room);
        nftnl_obj_nlmsg_build_payload(nlh, o.get());
        b.end_message("NFT_MSG_NEWOBJ " + name);
    }

    SetIds ids;
    std::uint32_t next_id = 1;
    for (const SetSpec& s : l.sets) {
        std::uint32_t id = next_id++;
        ids.named.emplace_back(s.name, id);
        SetDef def = set_def(s);
        encode_set(b, l.table, def, key_byteorder(s.type), id);
        auto elems = set_elements(s);
        encode_elements(b, NFT_MSG_NEWSETELEM, l.table, def, id, elems);
    }

    ChainPtr c(nftnl_chain_alloc());
    if (!c)
        throw std::bad_alloc();
    nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TABLE, l.table.c_str());
    nftnl_chain_set_str(c.get(), NFTNL_CHAIN_NAME, std::string(chain_name).c_str());
    nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TYPE, "filter");
    nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_HOOKNUM, NF_INET_LOCAL_IN);
    nftnl_chain_set_s32(c.get(), NFTNL_CHAIN_PRIO, 0);
    nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_POLICY, NF_ACCEPT);
    nlmsghdr* nlh = b.begin_message(NFT_MSG_NEWCHAIN, NLM_F_CREATE, small_message_room);
    nftnl_chain_nlmsg_build_payload(nlh, c.get());
    b.end_message("NFT_MSG_NEWCHAIN " + std::string(chain_name));

    std::size_t index = 0;
    for (const RuleSpec& spec : l.rules) {
        ++index;
        if (spec.kind == RuleKind::icmpv6_nd) {
            // The constant anonymous set of `icmpv6 type { ... }`, bound to this rule: the
            // kernel names it (__set0...) and the rule finds it by its id in this batch.
            ids.nd_anon = next_id++;
            SetDef def{.name = anon_set_name,
                       .flags = NFT_SET_ANONYMOUS | NFT_SET_CONSTANT,
                       .key_type = type_icmp6_type,
                       .key_len = 1};
            encode_set(b, l.table, def, byteorder_big, ids.nd_anon, std::size(nd_types));
            std::vector<ElemRange> elems;
            for (std::uint8_t icmp_type : nd_types)
                elems.push_back({Key{icmp_type}, Key{icmp_type}});
            encode_elements(b, NFT_MSG_NEWSETELEM, l.table, def, ids.nd_anon, elems);
        }
        RulePtr r = make_rule(l, spec, ids);
        // Append at the end of the chain: the rules keep the layout's order.
        nlh = b.begin_message(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, small_message_room);
        nftnl_rule_nlmsg_build_payload(nlh, r.get());
        b.end_message("NFT_MSG_NEWRULE " + std::string(chain_name) + " #" + std::to_string(index) +
                      " (" + render_rule(spec) + ")");
    }
}

void encode_element_changes(Batch& b, std::string_view table, const std::vector<ElementDiff>& d) {
    for (const ElementDiff& e : d)
        encode_elements(b, NFT_MSG_DELSETELEM, table, e.set, 0, e.del);
    for (const ElementDiff& e : d)
        encode_elements(b, NFT_MSG_NEWSETELEM, table, e.set, 0, e.add);
}

std::string_view msg_type_name(std::uint16_t t) {
    switch (t) {
    case NFT_MSG_NEWTABLE:
        return "NFT_MSG_NEWTABLE";
    case NFT_MSG_GETTABLE:
        return "NFT_MSG_GETTABLE";
    case NFT_MSG_DELTABLE:
        return "NFT_MSG_DELTABLE";
    case NFT_MSG_NEWCHAIN:
        return "NFT_MSG_NEWCHAIN";
    case NFT_MSG_GETCHAIN:
        return "NFT_MSG_GETCHAIN";
    case NFT_MSG_DELCHAIN:
        return "NFT_MSG_DELCHAIN";
    case NFT_MSG_NEWRULE:
        return "NFT_MSG_NEWRULE";
    case NFT_MSG_GETRULE:
        return "NFT_MSG_GETRULE";
    case NFT_MSG_DELRULE:
        return "NFT_MSG_DELRULE";
    case NFT_MSG_NEWSET:
        return "NFT_MSG_NEWSET";
    case NFT_MSG_GETSET:
        return "NFT_MSG_GETSET";
    case NFT_MSG_DELSET:
        return "NFT_MSG_DELSET";
    case NFT_MSG_NEWSETELEM:
        return "NFT_MSG_NEWSETELEM";
    case NFT_MSG_GETSETELEM:
        return "NFT_MSG_GETSETELEM";
    case NFT_MSG_DELSETELEM:
        return "NFT_MSG_DELSETELEM";
    case NFT_MSG_NEWGEN:
        return "NFT_MSG_NEWGEN";
    case NFT_MSG_GETGEN:
        return "NFT_MSG_GETGEN";
    case NFT_MSG_NEWOBJ:
        return "NFT_MSG_NEWOBJ";
    case NFT_MSG_GETOBJ:
        return "NFT_MSG_GETOBJ";
    case NFT_MSG_DELOBJ:
        return "NFT_MSG_DELOBJ";
    default:
        return "NFT_MSG_?";
    }
}

} // namespace portcullis::nft
