// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/encode.hpp"

#include "nft/handles.hpp"

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <new>

namespace portcullis::nft {

void encode_rebuild(Batch& b, const TableLayout& l) {
    // add (a no-op when it exists), delete, create: replaces any table of this name atomically.
    encode_table(b, NFT_MSG_NEWTABLE, l.table);
    encode_table(b, NFT_MSG_DELTABLE, l.table);
    encode_table(b, NFT_MSG_NEWTABLE, l.table);
    encode_objects(b, l.table);
    SetIds ids = encode_sets(b, l);
    encode_chain(b, l.table);
    encode_rules(b, l, ids);
}

void encode_table(Batch& b, std::uint16_t type, std::string_view table) {
    TablePtr t(nftnl_table_alloc());
    if (!t)
        throw std::bad_alloc();
    const std::string name(table);
    nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, name.c_str());
    nftnl_table_set_u32(t.get(), NFTNL_TABLE_FLAGS, 0);
    nlmsghdr* nlh = b.begin_message(type, type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0);
    nftnl_table_nlmsg_build_payload(nlh, t.get());
    b.end_message(std::string(msg_type_name(type)) + " " + name);
}

void encode_objects(Batch& b, std::string_view table) {
    const std::string table_name(table);
    for (std::uint32_t type : {NFT_OBJECT_COUNTER, NFT_OBJECT_CT_HELPER}) {
        ObjPtr o(nftnl_obj_alloc());
        if (!o)
            throw std::bad_alloc();
        nftnl_obj_set_str(o.get(), NFTNL_OBJ_TABLE, table_name.c_str());
        nftnl_obj_set_u32(o.get(), NFTNL_OBJ_FAMILY, NFPROTO_INET);
        nftnl_obj_set_u32(o.get(), NFTNL_OBJ_TYPE, type);
        std::string name(type == NFT_OBJECT_COUNTER ? dropped_counter_name : ftp_helper_name);
        nftnl_obj_set_str(o.get(), NFTNL_OBJ_NAME, name.c_str());
        if (type == NFT_OBJECT_CT_HELPER) {
            nftnl_obj_set_str(o.get(), NFTNL_OBJ_CT_HELPER_NAME, "ftp");
            nftnl_obj_set_u16(o.get(), NFTNL_OBJ_CT_HELPER_L3PROTO, NFPROTO_INET);
            nftnl_obj_set_u8(o.get(), NFTNL_OBJ_CT_HELPER_L4PROTO, IPPROTO_TCP);
        }
        nlmsghdr* nlh = b.begin_message(NFT_MSG_NEWOBJ, NLM_F_CREATE);
        nftnl_obj_nlmsg_build_payload(nlh, o.get());
        b.end_message("NFT_MSG_NEWOBJ " + name);
    }
}

void encode_chain(Batch& b, std::string_view table) {
    ChainPtr c(nftnl_chain_alloc());
    if (!c)
        throw std::bad_alloc();
    nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TABLE, std::string(table).c_str());
    nftnl_chain_set_str(c.get(), NFTNL_CHAIN_NAME, std::string(chain_name).c_str());
    nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TYPE, "filter");
    nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_HOOKNUM, NF_INET_LOCAL_IN);
    nftnl_chain_set_s32(c.get(), NFTNL_CHAIN_PRIO, 0);
    nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_POLICY, NF_ACCEPT);
    nlmsghdr* nlh = b.begin_message(NFT_MSG_NEWCHAIN, NLM_F_CREATE);
    nftnl_chain_nlmsg_build_payload(nlh, c.get());
    b.end_message("NFT_MSG_NEWCHAIN " + std::string(chain_name));
}

} // namespace portcullis::nft
