// SPDX-License-Identifier: GPL-2.0-or-later
// RAII owners for the libnftnl and libmnl handles the nftables backend uses. Each is a unique_ptr
// whose deleter calls the library's free function and accepts null, so every early return in the
// encoder, the socket code and the tests releases what it allocated.
#pragma once

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <memory>

namespace portcullis::nft {

template <auto Free>
struct Deleter {
    template <class T>
    void operator()(T* p) const noexcept {
        if (p)
            Free(p);
    }
};

using TablePtr = std::unique_ptr<nftnl_table, Deleter<nftnl_table_free>>;
using ChainPtr = std::unique_ptr<nftnl_chain, Deleter<nftnl_chain_free>>;
using RulePtr = std::unique_ptr<nftnl_rule, Deleter<nftnl_rule_free>>;
using ExprPtr = std::unique_ptr<nftnl_expr, Deleter<nftnl_expr_free>>;
using SetPtr = std::unique_ptr<nftnl_set, Deleter<nftnl_set_free>>;
using SetElemPtr = std::unique_ptr<nftnl_set_elem, Deleter<nftnl_set_elem_free>>;
using ObjPtr = std::unique_ptr<nftnl_obj, Deleter<nftnl_obj_free>>;
using UdataPtr = std::unique_ptr<nftnl_udata_buf, Deleter<nftnl_udata_buf_free>>;
using ExprIterPtr = std::unique_ptr<nftnl_expr_iter, Deleter<nftnl_expr_iter_destroy>>;
using SetElemsIterPtr =
    std::unique_ptr<nftnl_set_elems_iter, Deleter<nftnl_set_elems_iter_destroy>>;
using MnlSocketPtr = std::unique_ptr<mnl_socket, Deleter<mnl_socket_close>>;

} // namespace portcullis::nft
