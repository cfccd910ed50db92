// SPDX-License-Identifier: GPL-2.0-or-later
// What the manager asks of a firewall backend (nftables, or ip sets and iptables on kernels
// without nf_tables). A backend only encodes and sends: every decision about what
// is open was made by the planner and is already in the TableLayout.
#pragma once

#include "portcullis/table-layout.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace portcullis {

struct CommitResult {
    int error = 0;            // 0, or the negative errno the kernel (or the system) returned
    std::string message;      // for humans: which message of the batch failed, and why
    bool rebuilt = false;     // the whole table was (re)created rather than patched
    std::size_t messages = 0; // netlink messages in the batch (for logs and benchmarks)
    std::size_t bytes = 0;    // bytes sent

    explicit operator bool() const { return error == 0; }

    static CommitResult failure(int error, std::string message) {
        CommitResult r;
        r.error = error;
        r.message = std::move(message);
        return r;
    }
};

class Backend {
public:
    virtual ~Backend() = default;

    // "nftables" or "legacy" (the D-Bus Backend property).
    [[nodiscard]] virtual std::string_view name() const = 0;

    // What this backend makes of a layout named `table`, for logs: "table inet portcullis",
    // "ip sets pc_* and chain portcullis".
    [[nodiscard]] virtual std::string objects(const std::string& table) const = 0;

    // The text form of what commit(desired) would make the kernel hold, in the syntax of this
    // backend's own tools (nft; ipset restore and iptables-restore): PreviewRuleset.
    [[nodiscard]] virtual std::string render(const TableLayout& desired) const = 0;

    // A backend that looks for changes made behind its back (rather than being told of them)
    // looks every `seconds` from now on. Others ignore it.
    virtual void set_check_seconds(unsigned seconds) { (void)seconds; }

    // Makes the kernel hold exactly `desired`, in one transaction: all or nothing. `changes` is
    // the planner's diff from the last layout this backend committed to `desired`; the backend
    // encodes it as it is and never diffs again.
    //
    // The first commit adopts what is there (and ignores `changes`): a table with the same
    // layout is patched element by element against what the kernel holds (never flushed); a
    // missing table is created; a table with another layout is deleted and recreated inside
    // the same transaction. Later commits send only the element changes, or rebuild the table
    // in one transaction when the rules themselves change (changes.layout_changed).
    //
    // On failure nothing changed in the kernel and the backend still believes the previous
    // layout is applied.
    virtual CommitResult commit(const TableLayout& desired, const LayoutDiff& changes) = 0;

    // Packets counted by the final rule: dropped (enforce) or that would have been (monitor).
    virtual std::optional<std::uint64_t> dropped() = 0;

    // Self-healing. A file descriptor that becomes readable when someone may have changed the
    // backend's table behind its back (-1 when the backend cannot tell), and the call to make
    // when it does. process_events() returns true when the table no longer matches the last
    // commit; the caller then calls repair(), which re-creates it from the last committed
    // layout in one transaction. The backend's own commits never report true.
    [[nodiscard]] virtual int event_fd() const { return -1; }
    virtual bool process_events() { return false; }
    virtual CommitResult repair() = 0;
};

} // namespace portcullis
