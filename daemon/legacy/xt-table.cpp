// SPDX-License-Identifier: GPL-2.0-or-later
#include "legacy/xt-table.hpp"

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <map>
#include <set>

namespace portcullis::legacy {

namespace {

constexpr std::array<const char*, xt_hooks> hook_names = {"PREROUTING", "INPUT", "FORWARD",
                                                          "OUTPUT", "POSTROUTING"};

std::uint64_t fnv1a(const std::uint8_t* p, std::size_t n, std::uint64_t h) {
    for (std::size_t i = 0; i < n; ++i) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

std::string verdict_name(int v) {
    switch (v) {
    case -NF_ACCEPT - 1:
        return "ACCEPT";
    case -NF_DROP - 1:
        return "DROP";
    case -NF_QUEUE - 1:
        return "QUEUE";
    case XT_RETURN:
        return "RETURN";
    default:
        return "verdict " + std::to_string(v);
    }
}

// One entry of the blob, whatever the family.
struct Entry {
    std::size_t offset = 0;
    std::size_t size = 0; // next_offset
    std::string target;   // the extension's name; "" for the standard target
    int verdict = 0;      // the standard target's
    std::string error;    // an ERROR target's name (a user chain's head, or the table's end)
    bool unconditional = false;
    std::uint64_t packets = 0, bytes = 0;
    std::uint64_t hash = 0;
};

template <class E>
int read_entries(const XtTable& t, std::vector<Entry>& out, std::string* why) {
    const auto& b = t.entries;
    std::size_t off = 0;
    while (off < b.size()) {
        if (b.size() - off < sizeof(E)) {
            *why = "truncated entry at " + std::to_string(off);
            return -EINVAL;
        }
        E e;
        std::memcpy(&e, b.data() + off, sizeof(E));
        if (e.next_offset < sizeof(E) || e.next_offset > b.size() - off ||
            e.target_offset < sizeof(E) ||
            e.target_offset + sizeof(xt_entry_target) > e.next_offset) {
            *why = "bad entry sizes at " + std::to_string(off);
            return -EINVAL;
        }
        Entry x;
        x.offset = off;
        x.size = e.next_offset;
        x.packets = e.counters.pcnt;
        x.bytes = e.counters.bcnt;
        xt_entry_target tg;
        std::memcpy(&tg, b.data() + off + e.target_offset, sizeof tg);
        x.target.assign(tg.u.user.name, strnlen(tg.u.user.name, sizeof tg.u.user.name));
        const std::uint8_t* data = b.data() + off + e.target_offset + sizeof(xt_entry_target);
        std::size_t data_len = e.next_offset - e.target_offset - sizeof(xt_entry_target);
        if (x.target.empty() && data_len >= sizeof(int))
            std::memcpy(&x.verdict, data, sizeof(int));
        if (x.target == XT_ERROR_TARGET)
            x.error.assign(reinterpret_cast<const char*>(data),
                           strnlen(reinterpret_cast<const char*>(data), data_len));
        // No match and no address, interface or protocol: the first bytes are all zero.
        std::vector<std::uint8_t> head(b.begin() + static_cast<std::ptrdiff_t>(off),
                                       b.begin() + static_cast<std::ptrdiff_t>(off + sizeof(E)));
        x.unconditional = e.target_offset == sizeof(E) &&
                          std::all_of(head.begin(), head.begin() + offsetof(E, nfcache),
                                      [](std::uint8_t c) { return c == 0; });
        // The hash leaves out what changes without anyone changing the rule: the counters,
        // the kernel's own bookkeeping (comefrom), and a jump's offset (resolved later).
        std::vector<std::uint8_t> bytes(b.begin() + static_cast<std::ptrdiff_t>(off),
                                        b.begin() + static_cast<std::ptrdiff_t>(off + x.size));
        std::memset(bytes.data() + offsetof(E, comefrom), 0, sizeof e.comefrom);
        std::memset(bytes.data() + offsetof(E, counters), 0, sizeof e.counters);
        if (x.target.empty() && x.verdict >= 0 && data_len >= sizeof(int))
            std::memset(bytes.data() + e.target_offset + sizeof(xt_entry_target), 0, sizeof(int));
        x.hash = fnv1a(bytes.data(), bytes.size(), 14695981039346656037ULL);
        out.push_back(std::move(x));
        off += e.next_offset;
    }
    return 0;
}

} // namespace

const XtChain* XtView::find(std::string_view name) const {
    for (const auto& c : chains)
        if (c.name == name)
            return &c;
    return nullptr;
}

int parse_xt_table(const XtTable& t, XtView* out, std::string* why) {
    std::string ignored;
    std::string& w = why ? *why : ignored;
    std::vector<Entry> entries;
    int r = t.family == 6 ? read_entries<ip6t_entry>(t, entries, &w)
                          : read_entries<ipt_entry>(t, entries, &w);
    if (r < 0)
        return r;

    std::map<std::size_t, std::string> builtin_start;
    std::set<std::size_t> policies;
    for (std::size_t h = 0; h < xt_hooks; ++h) {
        if (t.valid_hooks & (1U << h)) {
            builtin_start[t.hook_entry[h]] = hook_names[h];
            policies.insert(t.underflow[h]);
        }
    }
    // Where each user chain's rules begin: what a jump's verdict points at.
    std::map<std::size_t, std::string> user_start;
    for (const Entry& e : entries)
        if (!e.error.empty() && e.error != XT_ERROR_TARGET)
            user_start[e.offset + e.size] = e.error;

    out->chains.clear();
    XtChain* cur = nullptr;
    for (const Entry& e : entries) {
        if (auto it = builtin_start.find(e.offset); it != builtin_start.end()) {
            out->chains.push_back({.name = it->second, .builtin = true});
            cur = &out->chains.back();
        }
        if (!e.error.empty()) {
            if (e.error == XT_ERROR_TARGET)
                break; // the end of the table
            out->chains.push_back({.name = e.error, .builtin = false});
            cur = &out->chains.back();
            continue;
        }
        if (policies.contains(e.offset)) {
            cur = nullptr;
            continue;
        }
        if (!cur)
            continue;
        XtRule rule{.offset = e.offset,
                    .packets = e.packets,
                    .bytes = e.bytes,
                    .target = e.target,
                    .unconditional = e.unconditional,
                    .hash = e.hash};
        if (e.target.empty()) {
            if (e.verdict < 0) {
                rule.target = verdict_name(e.verdict);
            } else if (static_cast<std::size_t>(e.verdict) == e.offset + e.size) {
                rule.target = ""; // falls through: a rule without a target
            } else if (auto j = user_start.find(static_cast<std::size_t>(e.verdict));
                       j != user_start.end()) {
                rule.target = j->second;
            } else {
                rule.target = "?";
            }
            for (char c : rule.target)
                rule.hash = (rule.hash ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
        }
        cur->rules.push_back(std::move(rule));
    }
    // A user chain ends with the RETURN libiptc appends: its policy, not a rule.
    for (auto& c : out->chains)
        if (!c.builtin && !c.rules.empty() && c.rules.back().target == "RETURN" &&
            c.rules.back().unconditional)
            c.rules.pop_back();
    return 0;
}

ChainCheck check_chain(const XtView& v, std::string_view chain, std::string_view hook) {
    ChainCheck c;
    const XtChain* ours = v.find(chain);
    if (!ours)
        return c;
    c.exists = true;
    c.rules = ours->rules.size();
    std::uint64_t h = 14695981039346656037ULL;
    for (const auto& r : ours->rules)
        h = fnv1a(reinterpret_cast<const std::uint8_t*>(&r.hash), sizeof r.hash, h);
    c.hash = h;
    if (!ours->rules.empty())
        c.last_counters = std::make_pair(ours->rules.back().packets, ours->rules.back().bytes);
    if (const XtChain* hk = v.find(hook)) {
        for (std::size_t i = 0; i < hk->rules.size(); ++i) {
            const XtRule& r = hk->rules[i];
            if (r.target == chain && r.unconditional) {
                ++c.hook_jumps;
                if (i == 0)
                    c.first_in_hook = true;
            }
        }
    }
    return c;
}

} // namespace portcullis::legacy
