// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/backend.hpp"

#include "core/ruleset.hpp"
#include "core/strings.hpp"
#include "nft/encode.hpp"
#include "nft/handles.hpp"
#include "nft/parse-guard.hpp"

#include <cerrno>
#include <cstring>
#include <libnftnl/gen.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <new>
#include <stdexcept>

namespace portcullis {

using namespace nft;

namespace {

// A freshly allocated libnftnl object, or std::bad_alloc (caught where requests are made).
template <class Ptr>
Ptr must(Ptr p) {
    if (!p)
        throw std::bad_alloc();
    return p;
}

// How often to re-read a table whose dump the kernel interrupted because the ruleset changed.
constexpr int read_attempts = 5;

// The payload of a get or dump about our table: the object of that kind with only its table
// (and, for elements, its set) named.
void build_request(nlmsghdr* nlh, std::uint16_t type, const std::string& table,
                   const std::string* set) {
    switch (type) {
    case NFT_MSG_GETTABLE: {
        TablePtr t = must(TablePtr(nftnl_table_alloc()));
        nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, table.c_str());
        nftnl_table_nlmsg_build_payload(nlh, t.get());
        return;
    }
    case NFT_MSG_GETCHAIN: {
        ChainPtr c = must(ChainPtr(nftnl_chain_alloc()));
        nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TABLE, table.c_str());
        nftnl_chain_nlmsg_build_payload(nlh, c.get());
        return;
    }
    case NFT_MSG_GETSET: {
        SetPtr s = must(SetPtr(nftnl_set_alloc()));
        nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, table.c_str());
        nftnl_set_nlmsg_build_payload(nlh, s.get());
        return;
    }
    case NFT_MSG_GETSETELEM: {
        SetPtr s = must(SetPtr(nftnl_set_alloc()));
        nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, table.c_str());
        nftnl_set_set_str(s.get(), NFTNL_SET_NAME, set ? set->c_str() : "");
        nftnl_set_elems_nlmsg_build_payload(nlh, s.get());
        return;
    }
    case NFT_MSG_GETOBJ: {
        ObjPtr o = must(ObjPtr(nftnl_obj_alloc()));
        nftnl_obj_set_str(o.get(), NFTNL_OBJ_TABLE, table.c_str());
        nftnl_obj_nlmsg_build_payload(nlh, o.get());
        return;
    }
    case NFT_MSG_GETRULE: {
        RulePtr r = must(RulePtr(nftnl_rule_alloc()));
        nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, table.c_str());
        nftnl_rule_nlmsg_build_payload(nlh, r.get());
        return;
    }
    default: // a programming error: read_table_once asks only for the kinds above
        throw std::logic_error("no request payload for " + std::string(msg_type_name(type)));
    }
}

} // namespace

std::unique_ptr<NftBackend> NftBackend::open(CommitResult* err) {
    std::unique_ptr<NftBackend> b(new NftBackend());
    if (int r = b->sock_.open(); r < 0) {
        if (err)
            *err = CommitResult::failure(r, "opening a netfilter netlink socket: " + errno_text(r));
        return nullptr;
    }
    // A kernel without nf_tables still opens NETLINK_NETFILTER sockets; asking for the ruleset
    // generation is the cheapest question only nf_tables answers.
    std::uint32_t gen = 0;
    if (int r = b->generation(&gen); r < 0) {
        if (err)
            *err = CommitResult::failure(r, "nf_tables is not available: " + errno_text(r));
        return nullptr;
    }
    if (int r = b->events_.open(); r < 0) {
        if (err)
            *err = CommitResult::failure(r, "subscribing to nf_tables events: " + errno_text(r));
        return nullptr;
    }
    return b;
}

std::unique_ptr<Backend> make_nft_backend(CommitResult* err) {
    return NftBackend::open(err);
}

int NftBackend::generation(std::uint32_t* gen) {
    return sock_.request(NFT_MSG_GETGEN, NLM_F_ACK, nullptr, [&](const nlmsghdr* nlh) {
        CHandle<nftnl_gen, nftnl_gen_free> g(nftnl_gen_alloc());
        if (!g)
            return -ENOMEM;
        if (nftnl_gen_nlmsg_parse(nlh, g.get()) < 0)
            return -EINVAL;
        *gen = nftnl_gen_get_u32(g.get(), NFTNL_GEN_ID);
        return 0;
    });
}

int NftBackend::dump(TableModel* out, std::uint16_t type, const std::string& table,
                     const std::string* set) {
    // A get of the table itself answers once, or ENOENT; the rest are dumps, which the kernel
    // filters by the table (and set) the request names.
    const std::uint16_t flags = type == NFT_MSG_GETTABLE ? NLM_F_ACK : NLM_F_DUMP;
    return sock_.request(
        type, flags, [&](nlmsghdr* nlh) { build_request(nlh, type, table, set); },
        [&](const nlmsghdr* nlh) { return out->apply(nlh); });
}

int NftBackend::read_table_once(const std::string& table, TableModel* out) {
    int r = dump(out, NFT_MSG_GETTABLE, table);
    if (r == -ENOENT)
        return 0; // no table: an empty model
    if (r == 0)
        r = dump(out, NFT_MSG_GETCHAIN, table);
    if (r < 0 || !out->exists())
        return r;
    for (std::uint16_t type : {NFT_MSG_GETSET, NFT_MSG_GETOBJ}) {
        r = dump(out, type, table);
        if (r < 0)
            return r;
    }
    std::vector<std::string> names;
    names.reserve(out->sets().size());
    for (const auto& [key, set] : out->sets())
        names.push_back(set.def.name);
    for (const std::string& name : names) {
        r = dump(out, NFT_MSG_GETSETELEM, table, &name);
        if (r < 0)
            return r;
    }
    // Rules last: their lookups are resolved against the sets read above.
    return dump(out, NFT_MSG_GETRULE, table);
}

int NftBackend::read_table(const std::string& table, TableModel* out) {
    for (int attempt = 0; attempt < read_attempts; ++attempt) {
        *out = TableModel(table);
        // Several dumps make one picture only if no transaction committed in between: compare
        // the generation before and after, and read again when it moved.
        std::uint32_t gen_before = 0;
        std::uint32_t gen_after = 0;
        if (int r = generation(&gen_before); r < 0)
            return r;
        int r = read_table_once(table, out);
        if (r == -EINTR)
            continue;
        if (r < 0)
            return r;
        if (int g = generation(&gen_after); g < 0)
            return g;
        if (gen_before == gen_after)
            return 0;
    }
    return -EAGAIN;
}

CommitResult NftBackend::send(const Batch& b, bool rebuilt) {
    CommitResult res;
    res.rebuilt = rebuilt;
    res.messages = b.messages().size() + 2; // with BEGIN and END
    res.bytes = b.data().size();
    res.error = sock_.send_batch(b, &res.message);
    return res;
}

CommitResult NftBackend::rebuild(const TableLayout& desired, const std::string* drop_table) {
    Batch b(sock_.next_seq());
    encode_rebuild(b, desired);
    if (drop_table) {
        // The config renamed the table: the old one still filters, so it goes in the same
        // transaction as the new one arrives (add first, so the delete works if it is gone).
        TablePtr t = must(TablePtr(nftnl_table_alloc()));
        nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, drop_table->c_str());
        for (std::uint16_t type : {NFT_MSG_NEWTABLE, NFT_MSG_DELTABLE}) {
            nlmsghdr* nlh = b.begin_message(type, type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0);
            nftnl_table_nlmsg_build_payload(nlh, t.get());
            b.end_message(std::string(msg_type_name(type)) + " " + *drop_table);
        }
    }
    b.finish();
    return send(b, true);
}

CommitResult NftBackend::patch(const std::string& table, const std::vector<ElementDiff>& diffs) {
    bool any = false;
    for (const auto& d : diffs)
        any = any || !d.empty();
    if (!any)
        return {}; // nothing to send: no batch at all
    Batch b(sock_.next_seq());
    encode_element_changes(b, table, diffs);
    b.finish();
    return send(b, false);
}

CommitResult NftBackend::patch_or_rebuild(const TableLayout& desired,
                                          const std::vector<ElementDiff>& diffs) {
    CommitResult res = patch(desired.table, diffs);
    if (res.error == -ENOENT || res.error == -EEXIST) {
        // The kernel does not hold what we believe: someone changed the table and we have not
        // seen the event yet (or lost it). Nothing of the patch was applied; a rebuild from the
        // desired layout is right whatever they did, and is still one transaction.
        std::string first = res.message;
        res = rebuild(desired);
        if (res)
            res.message = "the table had changed behind our back (" + first + "); rebuilt it";
    }
    return res;
}

CommitResult NftBackend::adopt(const TableLayout& desired) {
    TableModel have(desired.table);
    if (int r = read_table(desired.table, &have); r < 0)
        return CommitResult::failure(r,
                                     "reading table inet " + desired.table + ": " + errno_text(r));
    if (!have.exists()) {
        CommitResult res = rebuild(desired);
        if (res)
            res.message = "created table inet " + desired.table;
        return res;
    }
    std::string why = describe_difference(have.shape(), expected_shape(desired));
    if (!why.empty()) {
        // A table from another layout (an older version, other zones): replaced in the same
        // transaction, so there is no moment without a table.
        CommitResult res = rebuild(desired);
        if (res)
            res.message = "replaced table inet " + desired.table + " (" + why + ")";
        return res;
    }
    std::vector<ElementDiff> diffs;
    for (const SetSpec& s : desired.sets) {
        auto ranges = have.ranges(s.name);
        if (!ranges) {
            CommitResult res = rebuild(desired);
            if (res)
                res.message = "replaced table inet " + desired.table + " (set " + s.name +
                              " holds elements that are not ranges)";
            return res;
        }
        auto d = diff_elements(s, *ranges, set_elements(s));
        if (!d.empty())
            diffs.push_back(std::move(d));
    }
    // Same rules: patch the elements that differ; never flush, so established state and the
    // counter survive a restart.
    CommitResult res = patch_or_rebuild(desired, diffs);
    if (res && !res.rebuilt)
        res.message = "adopted table inet " + desired.table + " (" + std::to_string(diffs.size()) +
                      " sets patched)";
    return res;
}

CommitResult NftBackend::commit(const TableLayout& desired, const LayoutDiff& changes) {
    if (std::string why = validate_layout(desired); !why.empty())
        return CommitResult::failure(-EINVAL, why);
    CommitResult res;
    try {
        if (!applied_) {
            res = adopt(desired);
        } else if (applied_->table != desired.table) {
            res = rebuild(desired, &applied_->table);
        } else if (!changes.layout_changed && same_shape(*applied_, desired)) {
            res = patch_or_rebuild(desired, element_changes(desired, changes));
        } else {
            res = rebuild(desired);
        }
    } catch (const std::bad_alloc&) {
        return CommitResult::failure(-ENOMEM, "out of memory encoding the batch");
    } catch (const std::exception& e) {
        return CommitResult::failure(-EINVAL, e.what());
    }
    if (res)
        applied_ = desired;
    return res;
}

std::string NftBackend::render(const TableLayout& desired) const {
    return render_nft(desired);
}

CommitResult NftBackend::repair() {
    if (!applied_)
        return CommitResult::failure(-ENODATA, "nothing was committed yet");
    try {
        CommitResult res = rebuild(*applied_);
        if (res)
            res.message = "re-created table inet " + applied_->table;
        return res;
    } catch (const std::bad_alloc&) {
        return CommitResult::failure(-ENOMEM, "out of memory encoding the batch");
    } catch (const std::exception& e) {
        return CommitResult::failure(-EINVAL, e.what());
    }
}

bool NftBackend::process_events() {
    bool touched = false;
    const std::string* table = applied_ ? &applied_->table : nullptr;
    const std::uint32_t own = sock_.portid();
    int r = events_.drain([&](const nlmsghdr* nlh) {
        // Our own commits come back as events too, stamped with our socket's port id.
        if (nlh->nlmsg_pid == own || !table)
            return;
        if (touches_table(nlh, *table))
            touched = true;
    });
    if (!table)
        return false;
    if (r == -ENOBUFS && !touched) {
        // Events were lost: we cannot tell who did what, so look at the table itself.
        return !verify();
    }
    return touched;
}

bool NftBackend::verify(std::string* why) {
    auto say = [&](std::string text) {
        if (why)
            *why = std::move(text);
        return false;
    };
    if (!applied_)
        return say("nothing was committed yet");
    TableModel have(applied_->table);
    if (int r = read_table(applied_->table, &have); r < 0)
        return say("reading the table: " + errno_text(r));
    if (std::string d = describe_difference(have.shape(), expected_shape(*applied_)); !d.empty())
        return say(d);
    for (const SetSpec& s : applied_->sets) {
        auto ranges = have.ranges(s.name);
        if (!ranges)
            return say("set " + s.name + " holds elements that are not ranges");
        if (*ranges != set_elements(s))
            return say("set " + s.name + " holds other elements");
    }
    return true;
}

std::optional<std::uint64_t> NftBackend::dropped() {
    if (!applied_)
        return std::nullopt;
    std::optional<std::uint64_t> packets;
    int r = sock_.request(
        NFT_MSG_GETOBJ, NLM_F_ACK,
        [&](nlmsghdr* nlh) {
            ObjPtr o = must(ObjPtr(nftnl_obj_alloc()));
            nftnl_obj_set_str(o.get(), NFTNL_OBJ_TABLE, applied_->table.c_str());
            nftnl_obj_set_str(o.get(), NFTNL_OBJ_NAME, std::string(dropped_counter_name).c_str());
            nftnl_obj_set_u32(o.get(), NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
            nftnl_obj_nlmsg_build_payload(nlh, o.get());
        },
        [&](const nlmsghdr* nlh) {
            ObjPtr o(nftnl_obj_alloc());
            if (!o)
                return -ENOMEM;
            if (!safe_for_libnftnl(nlh) || nftnl_obj_nlmsg_parse(nlh, o.get()) < 0)
                return -EINVAL;
            packets = nftnl_obj_get_u64(o.get(), NFTNL_OBJ_CTR_PKTS);
            return 0;
        });
    if (r < 0)
        return std::nullopt;
    return packets;
}

} // namespace portcullis
