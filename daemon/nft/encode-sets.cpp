// SPDX-License-Identifier: GPL-2.0-or-later
// The set encoders: NEWSET with the user data nft needs to print keys, and element lists split
// below 64 KiB, whole ranges per message. Used for a rebuild and for element patches alike.
#include "nft/encode.hpp"
#include "nft/handles.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <iterator>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <new>
#include <span>

namespace portcullis::nft {

namespace {

// nftables' byte order tags in a set's user data (NFTNL_UDATA_SET_KEYBYTEORDER): `nft list` uses
// them to print keys. Values as nftables' enum byteorder; we send what nft itself sends.
constexpr std::uint32_t byteorder_invalid = 0;
constexpr std::uint32_t byteorder_host = 1;
constexpr std::uint32_t byteorder_big = 2;

// Router solicitation and advertisement, neighbour solicitation and advertisement.
constexpr std::uint8_t nd_types[] = {133, 134, 135, 136};

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

void encode_set(Batch& b, std::string_view table, const SetDef& def, std::uint32_t byteorder,
                std::uint32_t set_id, std::uint32_t desc_size = 0) {
    SetPtr s(nftnl_set_alloc());
    if (!s)
        throw std::bad_alloc();
    nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, std::string(table).c_str());
    nftnl_set_set_str(s.get(), NFTNL_SET_NAME, def.name.c_str());
    nftnl_set_set_u32(s.get(), NFTNL_SET_FAMILY, NFPROTO_INET);
    if (set_id)
        nftnl_set_set_u32(s.get(), NFTNL_SET_ID, set_id);
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
    nlmsghdr* nlh = b.begin_message(NFT_MSG_NEWSET, NLM_F_CREATE);
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

std::uint32_t SetIds::of(const std::string& name) const {
    for (const auto& [n, id] : named)
        if (n == name)
            return id;
    return 0;
}

SetIds encode_sets(Batch& b, const TableLayout& l) {
    SetIds ids;
    for (const SetSpec& s : l.sets) {
        std::uint32_t id = ids.next++;
        ids.named.emplace_back(s.name, id);
        SetDef def = set_def(s);
        encode_set(b, l.table, def, key_byteorder(s.type), id);
        encode_elements(b, NFT_MSG_NEWSETELEM, l.table, def, id, set_elements(s));
    }
    return ids;
}

void encode_nd_types_set(Batch& b, std::string_view table, SetIds& ids) {
    ids.nd_anon = ids.next++;
    SetDef def{.name = anon_set_name,
               .flags = NFT_SET_ANONYMOUS | NFT_SET_CONSTANT,
               .key_type = type_icmp6_type,
               .key_len = 1};
    encode_set(b, table, def, byteorder_big, ids.nd_anon, std::size(nd_types));
    std::vector<ElemRange> elems;
    elems.reserve(std::size(nd_types));
    for (std::uint8_t icmp_type : nd_types)
        elems.push_back({Key{icmp_type}, Key{icmp_type}});
    encode_elements(b, NFT_MSG_NEWSETELEM, table, def, ids.nd_anon, elems);
}

void encode_element_changes(Batch& b, std::string_view table, const std::vector<ElementDiff>& d) {
    for (const ElementDiff& e : d)
        encode_elements(b, NFT_MSG_DELSETELEM, table, e.set, 0, e.del);
    for (const ElementDiff& e : d)
        encode_elements(b, NFT_MSG_NEWSETELEM, table, e.set, 0, e.add);
}

} // namespace portcullis::nft
