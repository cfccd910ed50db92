// SPDX-License-Identifier: GPL-2.0-or-later
// RAII owners for the libnftnl and libmnl handles the nftables backend uses. Each is a unique_ptr
// whose deleter calls the library's free function and accepts null, so every early return in the
// encoder, the socket code and the tests releases what it allocated.
#pragma once

#include "portcullis/c-handle.hpp"

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

namespace portcullis::nft {

using TablePtr = CHandle<nftnl_table, nftnl_table_free>;
using ChainPtr = CHandle<nftnl_chain, nftnl_chain_free>;
using RulePtr = CHandle<nftnl_rule, nftnl_rule_free>;
using ExprPtr = CHandle<nftnl_expr, nftnl_expr_free>;
using SetPtr = CHandle<nftnl_set, nftnl_set_free>;
using SetElemPtr = CHandle<nftnl_set_elem, nftnl_set_elem_free>;
using ObjPtr = CHandle<nftnl_obj, nftnl_obj_free>;
using UdataPtr = CHandle<nftnl_udata_buf, nftnl_udata_buf_free>;
using ExprIterPtr = CHandle<nftnl_expr_iter, nftnl_expr_iter_destroy>;
using SetElemsIterPtr = CHandle<nftnl_set_elems_iter, nftnl_set_elems_iter_destroy>;
using MnlSocketPtr = CHandle<mnl_socket, mnl_socket_close>;

} // namespace portcullis::nft
