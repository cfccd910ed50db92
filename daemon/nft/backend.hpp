// SPDX-License-Identifier: GPL-2.0-or-later
// The nftables backend: one owned `inet` table, changed only by whole-batch transactions through
// libnftnl and libmnl (never the nft binary). It adopts a table left by an earlier run, patches
// set elements incrementally, rebuilds atomically when the rules change, and notices through
// nf_tables events when someone else touches the table.
#pragma once

#include "nft/model.hpp"
#include "nft/socket.hpp"
#include "portcullis/backend.hpp"

#include <memory>
#include <optional>
#include <string>

namespace portcullis {

class NftBackend final : public Backend {
public:
    // Opens the command and event sockets and checks that the kernel speaks nf_tables. On
    // failure returns null and fills *err (error and message); the caller may fall back to the
    // legacy backend.
    static std::unique_ptr<NftBackend> open(CommitResult* err);

    [[nodiscard]] std::string_view name() const override { return "nftables"; }
    [[nodiscard]] std::string objects(const std::string& table) const override {
        return "table inet " + table;
    }
    [[nodiscard]] std::string render(const TableLayout& desired) const override;
    CommitResult commit(const TableLayout& desired, const LayoutDiff& changes) override;
    std::optional<std::uint64_t> dropped() override;
    [[nodiscard]] int event_fd() const override { return events_.fd(); }
    bool process_events() override;
    CommitResult repair() override;

    // Reads the table back from the kernel and compares it with the last commit (rules, set
    // definitions and every element). True when they match; *why says how they differ. Used
    // when events were lost, and by tests.
    bool verify(std::string* why = nullptr);

    // The layout the backend believes the kernel holds (none before the first commit).
    [[nodiscard]] const std::optional<TableLayout>& applied() const { return applied_; }

private:
    NftBackend() = default;

    CommitResult adopt(const TableLayout& desired);
    CommitResult rebuild(const TableLayout& desired, const std::string* drop_table = nullptr);
    CommitResult patch(const std::string& table, const std::vector<nft::ElementDiff>& diffs);
    CommitResult patch_or_rebuild(const TableLayout& desired,
                                  const std::vector<nft::ElementDiff>& diffs);
    CommitResult send(const nft::Batch& b, bool rebuilt);
    int read_table(const std::string& table, nft::TableModel* out);
    // One pass of read_table: the table, then its chains, sets, objects, elements and rules.
    int read_table_once(const std::string& table, nft::TableModel* out);
    // One get or dump of the table's objects of this NFT_MSG_GET* type into the model.
    int dump(nft::TableModel* out, std::uint16_t type, const std::string& table,
             const std::string* set = nullptr);
    int generation(std::uint32_t* gen);

    // Start order: the command socket, then the event listener.
    nft::NftSocket sock_;
    nft::NftEventSocket events_;
    std::optional<TableLayout> applied_;
};

// The Backend the manager holds; null (and *err filled) when nf_tables is unavailable.
std::unique_ptr<Backend> make_nft_backend(CommitResult* err);

} // namespace portcullis
