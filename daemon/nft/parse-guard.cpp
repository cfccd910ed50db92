// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/parse-guard.hpp"

#include <arpa/inet.h>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_tables_compat.h>
#include <linux/netfilter/nfnetlink.h>
#include <optional>
#include <string_view>

namespace portcullis::nft {

namespace {

// libnftnl keeps an element's attributes in a table sized for this type (NFTA_SET_ELEM_MAX in
// its headers) but lets through every type up to NFTA_SET_MAX.
constexpr std::uint16_t last_elem_attr_libnftnl_sizes = NFTA_SET_ELEM_EXPRESSIONS;
// A dynset expression holds expressions of its own; the kernel nests them one level deep.
constexpr int max_expr_depth = 4;

// The attributes in [start, start + len): a message's payload past its nfgenmsg, or a nest's.
struct Attrs {
    const void* start;
    std::size_t len;
};

Attrs inside(const nlattr* nest) {
    return {mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest)};
}

// Up to the message's aligned end, as mnl_attr_parse() walks it for libnftnl: an attribute may
// reach into the padding after nlmsg_len (found by fuzz-netlink: a nameless expression there).
Attrs inside(const nlmsghdr* nlh) {
    const void* start = mnl_nlmsg_get_payload_offset(nlh, sizeof(nfgenmsg));
    const auto* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh));
    return {start, static_cast<std::size_t>(tail - static_cast<const char*>(start))};
}

// Whether f holds for each attribute, walked as libmnl walks them (it stops at the first one
// that does not fit, and so does libnftnl).
template <class F>
bool all_of(Attrs attrs, F f) {
    const auto* attr = static_cast<const nlattr*>(attrs.start);
    const auto* tail = static_cast<const char*>(attrs.start) + attrs.len;
    for (; mnl_attr_ok(attr, static_cast<int>(tail - reinterpret_cast<const char*>(attr)));
         attr = mnl_attr_next(attr))
        if (!f(attr))
            return false;
    return true;
}

std::uint16_t type(const nlattr* a) {
    return mnl_attr_get_type(a);
}

bool nul_string(const nlattr* a) {
    return mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0;
}

// A string libnftnl reads up to its first NUL stays inside the attribute: a NUL in its payload,
// or in the padding after it. libnftnl writes some strings without their NUL (a ct helper's
// name, with mnl_attr_put_str), and the zero padding ends them; the kernel writes every NUL.
bool terminated(const nlattr* a, const char* tail) {
    const auto* p = static_cast<const char*>(mnl_attr_get_payload(a));
    const char* end = reinterpret_cast<const char*>(a) + MNL_ALIGN(a->nla_len);
    if (end > tail)
        end = tail;
    return mnl_attr_get_payload_len(a) > 0 && std::memchr(p, 0, static_cast<std::size_t>(end - p));
}

bool one_of(std::uint16_t t, std::initializer_list<std::uint16_t> types) {
    for (std::uint16_t x : types)
        if (x == t)
            return true;
    return false;
}

// Every attribute of one of these types is a string that ends (see terminated).
bool strings_ok(Attrs attrs, std::initializer_list<std::uint16_t> types) {
    const char* tail = static_cast<const char*>(attrs.start) + attrs.len;
    return all_of(attrs, [types, tail](const nlattr* a) {
        return !one_of(type(a), types) || terminated(a, tail);
    });
}

// A verdict. libnftnl 1.2.4 parses it into an attribute table it does not initialise
// (nftnl_parse_verdict), so what it reads must be there: the code always, and for a jump or a
// goto the chain, which it copies (found by fuzz-netlink: a goto without a chain, strdup() of a
// stack leftover).
bool verdict_ok(const nlattr* verdict) {
    std::optional<std::uint32_t> code;
    bool chain = false;
    all_of(inside(verdict), [&](const nlattr* a) {
        if (type(a) == NFTA_VERDICT_CODE && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
            code = ntohl(mnl_attr_get_u32(a));
        chain = chain || type(a) == NFTA_VERDICT_CHAIN;
        return true;
    });
    if (!code)
        return false;
    bool jumps = *code == static_cast<std::uint32_t>(NFT_JUMP) ||
                 *code == static_cast<std::uint32_t>(NFT_GOTO);
    return (!jumps || chain) && strings_ok(inside(verdict), {NFTA_VERDICT_CHAIN});
}

// A data register (a key, a compared value, an immediate): it may hold a verdict.
bool data_ok(const nlattr* data) {
    return all_of(inside(data),
                  [](const nlattr* a) { return type(a) != NFTA_DATA_VERDICT || verdict_ok(a); });
}

bool data_attrs_ok(Attrs attrs, std::initializer_list<std::uint16_t> types) {
    return all_of(attrs,
                  [types](const nlattr* a) { return !one_of(type(a), types) || data_ok(a); });
}

bool expr_ok(const nlattr* expr, int depth);

bool expr_list_ok(const nlattr* list, int depth) {
    return all_of(inside(list), [depth](const nlattr* e) { return expr_ok(e, depth); });
}

// The string and data attributes of the expression called `name`, as libnftnl reads them.
bool expr_data_ok(std::string_view name, const nlattr* data, int depth) {
    Attrs in = inside(data);
    if (name == "lookup")
        return strings_ok(in, {NFTA_LOOKUP_SET});
    if (name == "dynset")
        return strings_ok(in, {NFTA_DYNSET_SET_NAME}) && all_of(in, [depth](const nlattr* a) {
                   switch (type(a)) {
                   case NFTA_DYNSET_EXPR:
                       return expr_ok(a, depth + 1);
                   case NFTA_DYNSET_EXPRESSIONS:
                       return expr_list_ok(a, depth + 1);
                   default:
                       return true;
                   }
               });
    if (name == "objref")
        return strings_ok(in, {NFTA_OBJREF_IMM_NAME, NFTA_OBJREF_SET_NAME});
    if (name == "log")
        return strings_ok(in, {NFTA_LOG_PREFIX});
    if (name == "flow_offload")
        return strings_ok(in, {NFTA_FLOW_TABLE_NAME});
    if (name == "match")
        return strings_ok(in, {NFTA_MATCH_NAME});
    if (name == "target")
        return strings_ok(in, {NFTA_TARGET_NAME});
    if (name == "immediate")
        return data_attrs_ok(in, {NFTA_IMMEDIATE_DATA});
    if (name == "cmp")
        return data_attrs_ok(in, {NFTA_CMP_DATA});
    if (name == "range")
        return data_attrs_ok(in, {NFTA_RANGE_FROM_DATA, NFTA_RANGE_TO_DATA});
    if (name == "bitwise")
        return data_attrs_ok(in, {NFTA_BITWISE_MASK, NFTA_BITWISE_XOR, NFTA_BITWISE_DATA});
    return true;
}

// An expression has a name (libnftnl uses the last NFTA_EXPR_NAME, as it does for every type),
// and its data is what that name reads safely.
bool expr_ok(const nlattr* expr, int depth) {
    if (depth > max_expr_depth)
        return false;
    const nlattr* name = nullptr;
    bool names_ok = all_of(inside(expr), [&name](const nlattr* a) {
        if (type(a) != NFTA_EXPR_NAME)
            return true;
        name = a;
        return nul_string(a);
    });
    if (!names_ok || !name)
        return false;
    std::string_view n = mnl_attr_get_str(name);
    return all_of(inside(expr), [n, depth](const nlattr* a) {
        return type(a) != NFTA_EXPR_DATA || expr_data_ok(n, a, depth);
    });
}

bool element_ok(const nlattr* elem) {
    return strings_ok(inside(elem), {NFTA_SET_ELEM_OBJREF}) &&
           all_of(inside(elem), [](const nlattr* a) {
               switch (type(a)) {
               case NFTA_SET_ELEM_KEY:
               case NFTA_SET_ELEM_KEY_END:
               case NFTA_SET_ELEM_DATA:
                   return data_ok(a);
               case NFTA_SET_ELEM_EXPR:
                   return expr_ok(a, 0);
               case NFTA_SET_ELEM_EXPRESSIONS:
                   return expr_list_ok(a, 0);
               default:
                   return type(a) <= last_elem_attr_libnftnl_sizes;
               }
           });
}

bool hook_ok(const nlattr* hook) {
    return strings_ok(inside(hook), {NFTA_HOOK_DEV}) && all_of(inside(hook), [](const nlattr* a) {
               return type(a) != NFTA_HOOK_DEVS || strings_ok(inside(a), {NFTA_DEVICE_NAME});
           });
}

bool object_ok(Attrs attrs) {
    std::optional<std::uint32_t> obj_type;
    all_of(attrs, [&obj_type](const nlattr* a) {
        if (type(a) == NFTA_OBJ_TYPE && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
            obj_type = ntohl(mnl_attr_get_u32(a));
        return true;
    });
    std::uint16_t string = obj_type == NFT_OBJECT_CT_HELPER ? NFTA_CT_HELPER_NAME
                           : obj_type == NFT_OBJECT_SECMARK ? NFTA_SECMARK_CTX
                                                            : 0;
    return strings_ok(attrs, {NFTA_OBJ_TABLE, NFTA_OBJ_NAME}) &&
           (string == 0 || all_of(attrs, [string](const nlattr* a) {
                return type(a) != NFTA_OBJ_DATA || strings_ok(inside(a), {string});
            }));
}

} // namespace

bool safe_for_libnftnl(const nlmsghdr* nlh) {
    if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(nfgenmsg))
        return false;
    Attrs top = inside(nlh);
    switch (NFNL_MSG_TYPE(nlh->nlmsg_type)) {
    case NFT_MSG_NEWTABLE:
    case NFT_MSG_DELTABLE:
        return strings_ok(top, {NFTA_TABLE_NAME});
    case NFT_MSG_NEWCHAIN:
    case NFT_MSG_DELCHAIN:
        return strings_ok(top, {NFTA_CHAIN_TABLE, NFTA_CHAIN_NAME, NFTA_CHAIN_TYPE}) &&
               all_of(top,
                      [](const nlattr* a) { return type(a) != NFTA_CHAIN_HOOK || hook_ok(a); });
    case NFT_MSG_NEWRULE:
    case NFT_MSG_DELRULE:
        return strings_ok(top, {NFTA_RULE_TABLE, NFTA_RULE_CHAIN}) &&
               all_of(top, [](const nlattr* a) {
                   return type(a) != NFTA_RULE_EXPRESSIONS || expr_list_ok(a, 0);
               });
    case NFT_MSG_NEWSET:
    case NFT_MSG_DELSET:
        return strings_ok(top, {NFTA_SET_TABLE, NFTA_SET_NAME}) && all_of(top, [](const nlattr* a) {
                   switch (type(a)) {
                   case NFTA_SET_EXPR:
                       return expr_ok(a, 0);
                   case NFTA_SET_EXPRESSIONS:
                       return expr_list_ok(a, 0);
                   default:
                       return true;
                   }
               });
    case NFT_MSG_NEWSETELEM:
    case NFT_MSG_DELSETELEM:
        return strings_ok(top, {NFTA_SET_ELEM_LIST_TABLE, NFTA_SET_ELEM_LIST_SET}) &&
               all_of(top, [](const nlattr* a) {
                   return type(a) != NFTA_SET_ELEM_LIST_ELEMENTS ||
                          all_of(inside(a), [](const nlattr* e) { return element_ok(e); });
               });
    case NFT_MSG_NEWOBJ:
    case NFT_MSG_DELOBJ:
        return object_ok(top);
    default:
        return true;
    }
}

} // namespace portcullis::nft
