// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/model.hpp"

#include "nft/encode.hpp"
#include "nft/handles.hpp"
#include "nft/parse-guard.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

namespace portcullis::nft {

namespace {

// Sets created in the same batch under a name template ("__set%d") are known to the kernel by
// the name it picks, and to the batch only by their id.
std::string set_key(const char* name, bool has_id, std::uint32_t id) {
    std::string n = name ? name : "";
    if (n.find('%') != std::string::npos && has_id)
        return "id:" + std::to_string(id);
    return n;
}

// The u32 attribute `type` at the top level of an nf_tables message, if present. libnftnl's
// parsers do not keep NFTA_SET_ID / NFTA_SET_ELEM_LIST_SET_ID, which name a set within a batch.
std::optional<std::uint32_t> top_u32(const nlmsghdr* nlh, std::uint16_t type) {
    const auto* attr =
        static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(nlh, sizeof(nfgenmsg)));
    const auto* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh));
    for (; mnl_attr_ok(attr, static_cast<int>(tail - reinterpret_cast<const char*>(attr)));
         attr = mnl_attr_next(attr)) {
        if (mnl_attr_get_type(attr) == type && mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
            return ntohl(mnl_attr_get_u32(attr));
    }
    return std::nullopt;
}

std::string hex(const Key& k) {
    static const char digits[] = "0123456789abcdef";
    std::string s;
    for (std::uint8_t b : k) {
        s += digits[b >> 4];
        s += digits[b & 0xf];
    }
    return s;
}

std::string expr_text(const nftnl_expr* e) {
    char buf[1024];
    int n = nftnl_expr_snprintf(buf, sizeof buf, e, NFTNL_OUTPUT_DEFAULT, 0);
    const char* name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
    std::string out = name ? name : "?";
    if (n > 0)
        out += " " +
               std::string(buf, std::min<std::size_t>(static_cast<std::size_t>(n), sizeof buf - 1));
    return out;
}

// A lookup as text without its set: the set is named by the kernel (__set0) or by the batch (an
// id), so shape() compares what it holds, not what it is called.
std::string lookup_text(const nftnl_expr* e) {
    std::string text =
        "lookup reg " + std::to_string(nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_SREG));
    if (nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_DREG))
        text += " dreg " + std::to_string(nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_DREG));
    if (nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_FLAGS) &&
        nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_FLAGS) != 0)
        text += " flags " + std::to_string(nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_FLAGS));
    return text;
}

std::string anon_text(const SetModel& s) {
    std::string out = "{type " + std::to_string(s.def.key_type) + " len " +
                      std::to_string(s.def.key_len) + " flags " + std::to_string(s.def.flags) + ":";
    for (const RawElem& e : s.elems)
        out += " " + hex(e.key) + (e.end ? "e" : "");
    return out + "}";
}

// Whether a parsed object's table attribute (null when the message has none) names our table.
bool in_table(const char* table_attr, const std::string& table) {
    return table_attr && table == table_attr;
}

} // namespace

void TableModel::reset() {
    exists_ = false;
    flags_ = 0;
    chains_.clear();
    rules_.clear();
    sets_.clear();
    objects_.clear();
}

int TableModel::apply(const nlmsghdr* nlh) {
    if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
        return 0;
    if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(nfgenmsg))
        return -EINVAL;
    const auto* gen = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh));
    if (gen->nfgen_family != NFPROTO_INET)
        return 0;

    switch (NFNL_MSG_TYPE(nlh->nlmsg_type)) {
    case NFT_MSG_NEWTABLE:
        return apply_table(nlh, false);
    case NFT_MSG_DELTABLE:
        return apply_table(nlh, true);
    case NFT_MSG_NEWCHAIN:
        return apply_chain(nlh);
    case NFT_MSG_NEWRULE:
        return apply_rule(nlh);
    case NFT_MSG_NEWSET:
        return apply_set(nlh);
    case NFT_MSG_NEWSETELEM:
        return apply_elements(nlh, true);
    case NFT_MSG_DELSETELEM:
        return apply_elements(nlh, false);
    case NFT_MSG_NEWOBJ:
        return apply_object(nlh);
    default:
        return 0;
    }
}

int TableModel::apply_table(const nlmsghdr* nlh, bool deleted) {
    TablePtr t(nftnl_table_alloc());
    if (!t)
        return -ENOMEM;
    if (!safe_for_libnftnl(nlh) || nftnl_table_nlmsg_parse(nlh, t.get()) < 0)
        return -EINVAL;
    if (!in_table(nftnl_table_get_str(t.get(), NFTNL_TABLE_NAME), table_))
        return 0;
    if (deleted) {
        reset();
        return 0;
    }
    exists_ = true;
    flags_ = nftnl_table_is_set(t.get(), NFTNL_TABLE_FLAGS)
                 ? nftnl_table_get_u32(t.get(), NFTNL_TABLE_FLAGS)
                 : 0;
    return 0;
}

int TableModel::apply_chain(const nlmsghdr* nlh) {
    ChainPtr c(nftnl_chain_alloc());
    if (!c)
        return -ENOMEM;
    if (!safe_for_libnftnl(nlh) || nftnl_chain_nlmsg_parse(nlh, c.get()) < 0)
        return -EINVAL;
    if (!in_table(nftnl_chain_get_str(c.get(), NFTNL_CHAIN_TABLE), table_))
        return 0;
    ChainModel m;
    const char* name = nftnl_chain_get_str(c.get(), NFTNL_CHAIN_NAME);
    m.name = name ? name : "";
    m.base = nftnl_chain_is_set(c.get(), NFTNL_CHAIN_HOOKNUM);
    if (m.base) {
        const char* type = nftnl_chain_get_str(c.get(), NFTNL_CHAIN_TYPE);
        m.type = type ? type : "";
        m.hooknum = nftnl_chain_get_u32(c.get(), NFTNL_CHAIN_HOOKNUM);
        m.prio = nftnl_chain_get_s32(c.get(), NFTNL_CHAIN_PRIO);
        m.policy = nftnl_chain_is_set(c.get(), NFTNL_CHAIN_POLICY)
                       ? nftnl_chain_get_u32(c.get(), NFTNL_CHAIN_POLICY)
                       : NF_ACCEPT;
    }
    auto it = std::find_if(chains_.begin(), chains_.end(),
                           [&](const ChainModel& x) { return x.name == m.name; });
    if (it != chains_.end())
        *it = std::move(m);
    else
        chains_.push_back(std::move(m));
    return 0;
}

int TableModel::apply_rule(const nlmsghdr* nlh) {
    RulePtr r(nftnl_rule_alloc());
    if (!r)
        return -ENOMEM;
    if (!safe_for_libnftnl(nlh) || nftnl_rule_nlmsg_parse(nlh, r.get()) < 0)
        return -EINVAL;
    if (!in_table(nftnl_rule_get_str(r.get(), NFTNL_RULE_TABLE), table_))
        return 0;
    RuleModel m;
    const char* chain = nftnl_rule_get_str(r.get(), NFTNL_RULE_CHAIN);
    m.chain = chain ? chain : "";
    ExprIterPtr it(nftnl_expr_iter_create(r.get()));
    if (!it)
        return -ENOMEM;
    for (nftnl_expr* e = nftnl_expr_iter_next(it.get()); e; e = nftnl_expr_iter_next(it.get())) {
        const char* name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
        if (name && std::string_view(name) == "lookup") {
            m.lookups.emplace_back(m.exprs.size(),
                                   set_key(nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET),
                                           nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_SET_ID),
                                           nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_SET_ID)));
            m.exprs.push_back(lookup_text(e));
        } else {
            m.exprs.push_back(expr_text(e));
        }
    }
    rules_.push_back(std::move(m));
    return 0;
}

int TableModel::apply_set(const nlmsghdr* nlh) {
    SetPtr s(nftnl_set_alloc());
    if (!s)
        return -ENOMEM;
    if (!safe_for_libnftnl(nlh) || nftnl_set_nlmsg_parse(nlh, s.get()) < 0)
        return -EINVAL;
    if (!in_table(nftnl_set_get_str(s.get(), NFTNL_SET_TABLE), table_))
        return 0;
    const char* name = nftnl_set_get_str(s.get(), NFTNL_SET_NAME);
    SetModel m;
    m.def = SetDef{.name = name ? name : "",
                   .flags = nftnl_set_get_u32(s.get(), NFTNL_SET_FLAGS),
                   .key_type = nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_TYPE),
                   .key_len = nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_LEN)};
    auto id = top_u32(nlh, NFTA_SET_ID);
    sets_[set_key(name, id.has_value(), id.value_or(0))] = std::move(m);
    return 0;
}

int TableModel::apply_elements(const nlmsghdr* nlh, bool added) {
    SetPtr s(nftnl_set_alloc());
    if (!s)
        return -ENOMEM;
    if (!safe_for_libnftnl(nlh) || nftnl_set_elems_nlmsg_parse(nlh, s.get()) < 0)
        return -EINVAL;
    if (!in_table(nftnl_set_get_str(s.get(), NFTNL_SET_TABLE), table_))
        return 0;
    auto id = top_u32(nlh, NFTA_SET_ELEM_LIST_SET_ID);
    auto key = set_key(nftnl_set_get_str(s.get(), NFTNL_SET_NAME), id.has_value(), id.value_or(0));
    auto found = sets_.find(key);
    if (found == sets_.end())
        return -ENOENT;
    std::set<RawElem>& elems = found->second.elems;
    SetElemsIterPtr it(nftnl_set_elems_iter_create(s.get()));
    if (!it)
        return -ENOMEM;
    for (nftnl_set_elem* e = nftnl_set_elems_iter_next(it.get()); e;
         e = nftnl_set_elems_iter_next(it.get())) {
        std::uint32_t len = 0;
        const auto* data =
            static_cast<const std::uint8_t*>(nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len));
        if (!data)
            return -EINVAL;
        bool end = nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS) &&
                   (nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS) & NFT_SET_ELEM_INTERVAL_END);
        RawElem raw{Key(data, data + len), end};
        if (added)
            elems.insert(std::move(raw));
        else if (elems.erase(raw) == 0)
            return -ENOENT; // what the kernel answers, and it aborts the batch
    }
    return 0;
}

int TableModel::apply_object(const nlmsghdr* nlh) {
    ObjPtr o(nftnl_obj_alloc());
    if (!o)
        return -ENOMEM;
    if (!safe_for_libnftnl(nlh) || nftnl_obj_nlmsg_parse(nlh, o.get()) < 0)
        return -EINVAL;
    if (!in_table(nftnl_obj_get_str(o.get(), NFTNL_OBJ_TABLE), table_))
        return 0;
    ObjModel m;
    const char* name = nftnl_obj_get_str(o.get(), NFTNL_OBJ_NAME);
    m.name = name ? name : "";
    m.type = nftnl_obj_get_u32(o.get(), NFTNL_OBJ_TYPE);
    if (m.type == NFT_OBJECT_CT_HELPER) {
        const char* h = nftnl_obj_get_str(o.get(), NFTNL_OBJ_CT_HELPER_NAME);
        m.helper = h ? h : "";
        m.l3proto = nftnl_obj_get_u16(o.get(), NFTNL_OBJ_CT_HELPER_L3PROTO);
        m.l4proto = nftnl_obj_get_u8(o.get(), NFTNL_OBJ_CT_HELPER_L4PROTO);
    }
    objects_.push_back(std::move(m));
    return 0;
}

Shape TableModel::shape() const {
    Shape s;
    s.exists = exists_;
    s.table_flags = flags_;
    s.chains = chains_;
    std::sort(s.chains.begin(), s.chains.end(),
              [](const ChainModel& a, const ChainModel& b) { return a.name < b.name; });
    for (const RuleModel& r : rules_) {
        std::vector<std::string> exprs = r.exprs;
        for (const auto& [index, key] : r.lookups) {
            auto it = sets_.find(key);
            if (it == sets_.end())
                exprs[index] += " set ?" + key;
            else if (it->second.def.flags & NFT_SET_ANONYMOUS)
                exprs[index] += " set " + anon_text(it->second);
            else
                exprs[index] += " set @" + it->second.def.name;
        }
        std::string text = r.chain + ":";
        for (const auto& e : exprs)
            text += " [" + e + "]";
        s.rules.push_back(std::move(text));
    }
    for (const auto& [key, set] : sets_)
        if (!(set.def.flags & NFT_SET_ANONYMOUS))
            s.named_sets.push_back(set.def);
    std::sort(s.named_sets.begin(), s.named_sets.end(),
              [](const SetDef& a, const SetDef& b) { return a.name < b.name; });
    s.objects = objects_;
    std::sort(s.objects.begin(), s.objects.end());
    return s;
}

std::optional<std::vector<ElemRange>> ranges_from_elements(const std::set<RawElem>& elems,
                                                           bool interval) {
    std::vector<ElemRange> out;
    if (!interval) {
        for (const RawElem& e : elems) {
            if (e.end)
                return std::nullopt;
            out.push_back({e.key, e.key});
        }
        return out;
    }
    std::optional<Key> open;
    for (const RawElem& e : elems) {
        if (e.end) {
            if (open) {
                out.push_back({std::move(*open), key_before(e.key)});
                open.reset();
            } else if (out.empty() && std::all_of(e.key.begin(), e.key.end(),
                                                  [](std::uint8_t b) { return b == 0; })) {
                // nft sends an end element at key 0 ahead of the first range; it means
                // "nothing below", which is what no element means too.
                continue;
            } else {
                return std::nullopt;
            }
        } else {
            if (open)
                return std::nullopt;
            open = e.key;
        }
    }
    if (open) {
        // A start with no end runs to the largest key (the 65535 edge).
        Key last(open->size(), 0xff);
        out.push_back({std::move(*open), std::move(last)});
    }
    return out;
}

std::optional<std::vector<ElemRange>> TableModel::ranges(const std::string& set) const {
    auto it = sets_.find(set);
    if (it == sets_.end())
        return std::nullopt;
    return ranges_from_elements(it->second.elems, (it->second.def.flags & NFT_SET_INTERVAL) != 0);
}

Shape expected_shape(const TableLayout& l) {
    TableLayout bare = l;
    for (SetSpec& s : bare.sets) {
        s.ports.clear();
        s.names.clear();
        s.nets.clear();
        s.protos.clear();
    }
    Batch b(0);
    encode_rebuild(b, bare);
    b.finish();
    TableModel m(l.table);
    for (const nlmsghdr* h : b.headers())
        m.apply(h);
    return m.shape();
}

bool touches_table(const nlmsghdr* nlh, std::string_view table) {
    if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
        return false;
    if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(nfgenmsg))
        return false;
    const auto* gen = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh));
    if (gen->nfgen_family != NFPROTO_INET)
        return false;
    switch (NFNL_MSG_TYPE(nlh->nlmsg_type)) {
    case NFT_MSG_NEWTABLE:
    case NFT_MSG_DELTABLE:
    case NFT_MSG_NEWCHAIN:
    case NFT_MSG_DELCHAIN:
    case NFT_MSG_NEWRULE:
    case NFT_MSG_DELRULE:
    case NFT_MSG_NEWSET:
    case NFT_MSG_DELSET:
    case NFT_MSG_NEWSETELEM:
    case NFT_MSG_DELSETELEM:
    case NFT_MSG_NEWOBJ:
    case NFT_MSG_DELOBJ:
    case NFT_MSG_NEWFLOWTABLE:
    case NFT_MSG_DELFLOWTABLE:
        break;
    default:
        return false; // generation announcements, traces, counter resets
    }
    // Every one of these messages names its table in attribute 1.
    static_assert(NFTA_TABLE_NAME == 1 && NFTA_CHAIN_TABLE == 1 && NFTA_RULE_TABLE == 1 &&
                  NFTA_SET_TABLE == 1 && NFTA_SET_ELEM_LIST_TABLE == 1 && NFTA_OBJ_TABLE == 1 &&
                  NFTA_FLOWTABLE_TABLE == 1);
    const auto* attr =
        static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(nlh, sizeof(nfgenmsg)));
    const auto* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh));
    for (; mnl_attr_ok(attr, static_cast<int>(tail - reinterpret_cast<const char*>(attr)));
         attr = mnl_attr_next(attr)) {
        if (mnl_attr_get_type(attr) != 1)
            continue;
        if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
            return false;
        return table == mnl_attr_get_str(attr);
    }
    return false;
}

std::string describe_difference(const Shape& have, const Shape& want) {
    if (have == want)
        return {};
    if (have.exists != want.exists)
        return have.exists ? "the table exists" : "the table is missing";
    if (have.table_flags != want.table_flags)
        return "table flags " + std::to_string(have.table_flags) + ", want " +
               std::to_string(want.table_flags);
    if (have.chains != want.chains)
        return "chains differ (" + std::to_string(have.chains.size()) + " there, want " +
               std::to_string(want.chains.size()) + ")";
    if (have.objects != want.objects)
        return "named objects differ";
    if (have.named_sets != want.named_sets) {
        for (const SetDef& w : want.named_sets)
            if (std::find(have.named_sets.begin(), have.named_sets.end(), w) ==
                have.named_sets.end())
                return "set " + w.name + " is missing or defined differently";
        return "there are sets the layout does not have";
    }
    if (have.rules.size() != want.rules.size())
        return std::to_string(have.rules.size()) + " rules, want " +
               std::to_string(want.rules.size());
    for (std::size_t i = 0; i < have.rules.size(); ++i)
        if (have.rules[i] != want.rules[i])
            return "rule " + std::to_string(i + 1) + " is " + have.rules[i] + ", want " +
                   want.rules[i];
    return "differs";
}

} // namespace portcullis::nft
