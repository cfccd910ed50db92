// SPDX-License-Identifier: GPL-2.0-or-later
// The rule encoder: each RuleKind as the expressions nft itself emits for the same rule (checked
// against `nft --debug=netlink` in the unit tests), so that `nft list` prints it back cleanly.
#include "core/ruleset.hpp"
#include "nft/encode.hpp"
#include "nft/handles.hpp"

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <netinet/in.h>
#include <new>
#include <sys/socket.h>

namespace portcullis::nft {

namespace {

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

// --- rules, one RuleKind each ------------------------------------------------------------------

// "ct state established,related": the state bits masked, non-zero. Host byte order, as the
// kernel's ct expression writes the register.
void established(nftnl_rule* r) {
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
    verdict(r, NF_ACCEPT);
}

// iif "lo": nft resolves the name to its index when the rule is added; lo is 1 in every network
// namespace.
void loopback(nftnl_rule* r) {
    meta(r, NFT_META_IIF);
    std::uint32_t lo = 1;
    cmp(r, NFT_CMP_EQ, &lo, sizeof lo);
    verdict(r, NF_ACCEPT);
}

void icmpv6_nd(nftnl_rule* r, std::uint32_t nd_set_id) {
    meta(r, NFT_META_NFPROTO);
    cmp_u8(r, NFPROTO_IPV6);
    meta(r, NFT_META_L4PROTO);
    cmp_u8(r, IPPROTO_ICMPV6);
    payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1);
    lookup(r, anon_set_name, nd_set_id);
    verdict(r, NF_ACCEPT);
}

// udp sport S udp dport D: one 4-byte load of both ports, as nft optimises it.
void dhcp_client(nftnl_rule* r, int version) {
    std::uint16_t ports[2] = {htons(version == 4 ? 67 : 547), htons(version == 4 ? 68 : 546)};
    meta(r, NFT_META_L4PROTO);
    cmp_u8(r, IPPROTO_UDP);
    payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 4);
    cmp(r, NFT_CMP_EQ, ports, sizeof ports);
    verdict(r, NF_ACCEPT);
}

void ftp_helper(nftnl_rule* r, const RuleSpec& spec, const SetIds& ids) {
    meta(r, NFT_META_L4PROTO);
    cmp_u8(r, IPPROTO_TCP);
    payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
    lookup(r, spec.lookup_set, ids.of(spec.lookup_set));
    objref(r, NFT_OBJECT_CT_HELPER, ftp_helper_name);
}

// The zone's interface and source matches, when it has them. The dependency expressions (meta
// nfproto, meta l4proto) are the ones nft itself emits, so that `nft list` folds them back into
// "ip6 saddr", "tcp dport" and prints the rule cleanly.
void zone_match(nftnl_rule* r, const RuleSpec& spec, const SetIds& ids) {
    if (!spec.ifaces_set.empty()) {
        meta(r, NFT_META_IIFNAME);
        lookup(r, spec.ifaces_set, ids.of(spec.ifaces_set));
    }
    if (!spec.src_set.empty()) {
        bool v4 = spec.src_family == AF_INET;
        meta(r, NFT_META_NFPROTO);
        cmp_u8(r, v4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
        // ip saddr: 4 bytes at 12; ip6 saddr: 16 bytes at 8.
        payload(r, NFT_PAYLOAD_NETWORK_HEADER, v4 ? 12 : 8, v4 ? 4 : 16);
        lookup(r, spec.src_set, ids.of(spec.src_set));
    }
}

void zone_ports(nftnl_rule* r, const RuleSpec& spec, const SetIds& ids) {
    zone_match(r, spec, ids);
    meta(r, NFT_META_L4PROTO);
    cmp_u8(r, spec.proto == Proto::udp ? IPPROTO_UDP : IPPROTO_TCP);
    payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
    lookup(r, spec.lookup_set, ids.of(spec.lookup_set));
    verdict(r, NF_ACCEPT);
}

void zone_icmp(nftnl_rule* r, const RuleSpec& spec, const SetIds& ids) {
    zone_match(r, spec, ids);
    meta(r, NFT_META_L4PROTO);
    lookup(r, spec.lookup_set, ids.of(spec.lookup_set));
    verdict(r, NF_ACCEPT);
}

void final_verdict(nftnl_rule* r, bool accept) {
    objref(r, NFT_OBJECT_COUNTER, dropped_counter_name);
    verdict(r, accept ? NF_ACCEPT : NF_DROP);
}

RulePtr make_rule(std::string_view table, const RuleSpec& spec, const SetIds& ids) {
    RulePtr r(nftnl_rule_alloc());
    if (!r)
        throw std::bad_alloc();
    nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, std::string(table).c_str());
    nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, std::string(chain_name).c_str());
    nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, NFPROTO_INET);
    nftnl_rule* rp = r.get();
    switch (spec.kind) {
    case RuleKind::established:
        established(rp);
        break;
    case RuleKind::loopback:
        loopback(rp);
        break;
    case RuleKind::icmpv6_nd:
        icmpv6_nd(rp, ids.nd_anon);
        break;
    case RuleKind::dhcp_client:
        dhcp_client(rp, spec.dhcp_version);
        break;
    case RuleKind::ftp_helper:
        ftp_helper(rp, spec, ids);
        break;
    case RuleKind::zone_ports:
        zone_ports(rp, spec, ids);
        break;
    case RuleKind::zone_icmp:
        zone_icmp(rp, spec, ids);
        break;
    case RuleKind::final_verdict:
        final_verdict(rp, spec.accept);
        break;
    }
    return r;
}

} // namespace

void encode_rules(Batch& b, const TableLayout& l, SetIds& ids) {
    std::size_t index = 0;
    for (const RuleSpec& spec : l.rules) {
        ++index;
        if (spec.kind == RuleKind::icmpv6_nd)
            encode_nd_types_set(b, l.table, ids);
        RulePtr r = make_rule(l.table, spec, ids);
        // Append at the end of the chain: the rules keep the layout's order.
        nlmsghdr* nlh = b.begin_message(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
        nftnl_rule_nlmsg_build_payload(nlh, r.get());
        b.end_message("NFT_MSG_NEWRULE " + std::string(chain_name) + " #" + std::to_string(index) +
                      " (" + render_rule(spec) + ")");
    }
}

} // namespace portcullis::nft
