// SPDX-License-Identifier: GPL-2.0-or-later
// A table as netlink messages describe it. The same model is fed by the kernel's dump replies
// (what is there) and by the messages of our own batches (what we would make), so adoption and
// self-healing compare like with like, through the same libnftnl parsers, and the unit tests can
// replay a batch to see what it would leave in the kernel.
#pragma once

#include "nft/elements.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

struct nlmsghdr;

namespace portcullis::nft {

struct ChainModel {
    std::string name;
    std::string type; // "filter"; empty for a regular chain
    std::uint32_t hooknum = 0;
    std::int32_t prio = 0;
    std::uint32_t policy = 0;
    bool base = false;
    bool operator==(const ChainModel&) const = default;
};

struct ObjModel {
    std::string name;
    std::uint32_t type = 0; // NFT_OBJECT_*
    std::string helper;     // ct helper: its kernel helper name, l3 and l4 protocols
    std::uint16_t l3proto = 0;
    std::uint8_t l4proto = 0;
    // clang-tidy 14 reports the literal 0 of the synthesized comparison as a null pointer.
    auto operator<=>(const ObjModel&) const = default; // NOLINT(modernize-use-nullptr)
};

// A set element as the kernel holds it: interval sets hold starts and ends separately.
struct RawElem {
    Key key;
    bool end = false; // NFT_SET_ELEM_INTERVAL_END
    // By key; at equal keys an end sorts before a start (adjacent ranges share that key).
    bool operator<(const RawElem& o) const {
        if (key != o.key)
            return key < o.key;
        return end && !o.end;
    }
    bool operator==(const RawElem&) const = default;
};

struct SetModel {
    SetDef def;
    std::set<RawElem> elems;
};

struct RuleModel {
    std::string chain;
    std::vector<std::string> exprs;                           // libnftnl's text for each expression
    std::vector<std::pair<std::size_t, std::string>> lookups; // expression index -> set key
};

// Everything that makes the chain behave, except the elements of the named sets.
struct Shape {
    bool exists = false;
    std::uint32_t table_flags = 0;
    std::vector<ChainModel> chains;
    std::vector<std::string> rules; // "chain: expr; expr; ..." with anonymous sets inlined
    std::vector<SetDef> named_sets; // by name
    std::vector<ObjModel> objects;  // sorted
    bool operator==(const Shape&) const = default;
};

class TableModel {
public:
    explicit TableModel(std::string table) : table_(std::move(table)) {}

    // Applies one nf_tables message: a dump reply or one message of a batch. Messages about
    // other tables are ignored. Returns 0 or a negative errno (-EINVAL: unparseable; -ENOENT:
    // elements of a set the model does not have).
    int apply(const nlmsghdr* nlh);

    [[nodiscard]] bool exists() const { return exists_; }
    [[nodiscard]] Shape shape() const;
    // The named set's elements as ranges (sorted), or nullopt when the set is missing or holds
    // elements no range list explains (an end without its start, two starts in a row).
    [[nodiscard]] std::optional<std::vector<ElemRange>> ranges(const std::string& set) const;
    [[nodiscard]] const std::map<std::string, SetModel>& sets() const { return sets_; }
    [[nodiscard]] const std::vector<RuleModel>& rules() const { return rules_; }

private:
    // One per kind of message; each ignores messages about other tables.
    int apply_table(const nlmsghdr* nlh, bool deleted);
    int apply_chain(const nlmsghdr* nlh);
    int apply_rule(const nlmsghdr* nlh);
    int apply_set(const nlmsghdr* nlh);
    int apply_elements(const nlmsghdr* nlh, bool added);
    int apply_object(const nlmsghdr* nlh);
    void reset();

    std::string table_;
    bool exists_ = false;
    std::uint32_t flags_ = 0;
    std::vector<ChainModel> chains_;
    std::vector<RuleModel> rules_;
    std::map<std::string, SetModel> sets_; // by name; sets named by a template ("__set%d") by id
    std::vector<ObjModel> objects_;
};

// Elements as the kernel holds them, back to ranges (see TableModel::ranges).
std::optional<std::vector<ElemRange>> ranges_from_elements(const std::set<RawElem>& elems,
                                                           bool interval);

// The shape a rebuild of this layout creates.
Shape expected_shape(const TableLayout& l);

// True when an nf_tables event message changes something in this inet table (or the table
// itself): a table, chain, rule, set, element, object or flowtable created or deleted.
bool touches_table(const nlmsghdr* nlh, std::string_view table);

// A short description of how two shapes differ, for logs and tests ("" when equal).
std::string describe_difference(const Shape& have, const Shape& want);

} // namespace portcullis::nft
