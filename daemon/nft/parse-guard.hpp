// SPDX-License-Identifier: GPL-2.0-or-later
// What the table model checks in an nf_tables message before libnftnl's parsers see it.
//
// libnftnl (1.2.4) trusts the kernel: it reads what a message says without checking all of it.
// The kernel never sends such messages, but the model parses every message the same way and a
// bad one must be refused, not crash the daemon (the fuzz-netlink target feeds it arbitrary
// bytes). libnftnl:
//   - passes an expression's name to strcmp() without checking that there is one;
//   - stores an element's attributes in a table sized for NFTA_SET_ELEM_MAX but checks their
//     types against NFTA_SET_MAX, writing past that table on the stack;
//   - strdup()s (or prints with "%s") the payload of every string attribute it keeps (table,
//     chain, set and object names, a chain's type and devices, an element's object reference,
//     a verdict's chain, the set or table an expression names, a log prefix, a helper's name)
//     without checking that it ends in a NUL byte.
#pragma once

struct nlmsghdr;

namespace portcullis::nft {

// Whether libnftnl can parse this nf_tables message (table, chain, rule, set, element or object;
// other types are not checked) without reading or writing out of bounds.
[[nodiscard]] bool safe_for_libnftnl(const nlmsghdr* nlh);

} // namespace portcullis::nft
