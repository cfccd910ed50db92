// SPDX-License-Identifier: GPL-2.0-or-later
// The legacy backend, for kernels without nf_tables (Synology DSM on Linux 4.4): the same
// TableLayout kept as ip sets (kernel-side, over ipset netlink through libmnl) and a fixed chain
// of iptables and ip6tables rules jumped to first from INPUT (and, for the FTP helper, from
// raw PREROUTING). The rules depend only on the zones and the mode; services change set members.
//
// - Adoption: the first commit lists the sets there are, keeps each set of the right type and
//   swaps in the right members where they differ; the chain is written once in one atomic
//   table replace per family (iptables-restore --noflush), its final counter carried over.
// - Changes: one element (one range, one selector) is added or deleted in place; anything more
//   is built in a new set and swapped in, so a reader never sees half a change.
// - Self-healing: legacy iptables and ipset send no change events, so event_fd() is a timerfd
//   that fires every check_seconds; process_events() then lists our sets and reads the tables
//   through getsockopt, comparing rule by rule; repair() puts back what differs.
#pragma once

#include "legacy/handles.hpp"
#include "legacy/ipset-socket.hpp"
#include "legacy/layout.hpp"
#include "legacy/restore.hpp"
#include "legacy/xt-table.hpp"
#include "portcullis/backend.hpp"

#include <array>
#include <memory>
#include <optional>
#include <string>

namespace portcullis {

struct LegacyOptions {
    unsigned check_seconds = 10;
    legacy::RestoreTools tools;
    legacy::TranslateOptions translate;
    bool ftp_helper = true; // the kernel has the CT target (raw table)
    std::uint8_t bitmap_port_revision = 0;
    std::uint8_t hash_net_revision = 0;
};

class LegacyBackend final : public Backend {
public:
    // Opens the ipset socket and the check timer. Null and *err on failure.
    static std::unique_ptr<LegacyBackend> open(const LegacyOptions& o, CommitResult* err);

    [[nodiscard]] std::string_view name() const override { return "legacy"; }
    [[nodiscard]] std::string objects(const std::string& table) const override {
        return "ip sets pc_* and chain " + table;
    }
    [[nodiscard]] std::string render(const TableLayout& desired) const override;
    void set_check_seconds(unsigned seconds) override;
    CommitResult commit(const TableLayout& desired, const LayoutDiff& changes) override;
    std::optional<std::uint64_t> dropped() override;
    [[nodiscard]] int event_fd() const override { return timer_.get(); }
    bool process_events() override;
    CommitResult repair() override;

    // Lists our sets and reads our chains back, comparing them with the last commit. True when
    // they match; *why says how they differ.
    bool verify(std::string* why = nullptr);

    [[nodiscard]] const std::optional<TableLayout>& applied() const { return applied_; }

private:
    explicit LegacyBackend(LegacyOptions o) : opt_(std::move(o)) {}

    // Makes the kernel hold `l` whatever it holds now: sets created, fixed or swapped; the
    // rules written when `rules` says so or they are not what we last wrote; stale sets of ours
    // destroyed.
    CommitResult converge(const legacy::LegacyLayout& l, bool rules);
    CommitResult patch(const legacy::LegacyLayout& l, const std::vector<legacy::SetOp>& ops);
    CommitResult fix_set(const legacy::LegacySet& s, const legacy::ListedSet* have, bool* recreate);
    CommitResult create_filled(const legacy::LegacySet& s, const std::string& name);
    CommitResult swap_in(const legacy::LegacySet& s);
    CommitResult recreate(const legacy::LegacyLayout& l,
                          const std::vector<const legacy::LegacySet*>& sets);
    CommitResult install_rules(const legacy::LegacyLayout& l, bool empty_chain = false);
    CommitResult destroy_stale(const legacy::LegacyLayout& l,
                               const std::vector<std::string>& names);
    CommitResult run(const legacy::IpsetRequest& req);
    int list(std::string_view name, bool names_only, std::vector<legacy::ListedSet>* out,
             std::string* message);
    // Our chain in each table as the kernel holds it now.
    int read_chain(int family, bool raw, const std::string& chain, legacy::ChainCheck* out);
    [[nodiscard]] bool rules_intact(const legacy::LegacyLayout& l, std::string* why);
    [[nodiscard]] std::vector<int> families() const;

    LegacyOptions opt_;
    legacy::IpsetSocket sock_;
    legacy::UniqueFd timer_;
    std::optional<TableLayout> applied_;
    std::optional<legacy::LegacyLayout> applied_legacy_;
    bool dirty_ = false; // a commit failed half-way: converge before trusting applied_ again
    // The hash of our chain as we last wrote it: [family 4, family 6][filter, raw].
    std::array<std::array<std::uint64_t, 2>, 2> expected_{};
};

} // namespace portcullis
