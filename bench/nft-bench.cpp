// SPDX-License-Identifier: GPL-2.0-or-later
// nft-bench: what a commit costs through the nftables backend, next to the nft binary doing the
// same thing, for synthetic catalogues of 5, 500 and 5,000 services (each one TCP port and one
// two-port UDP range, never adjacent to another service's, so nothing merges).
//
//   initial  the whole table into an empty namespace: our batch vs `nft -f` of render_nft()
//   toggle   one service closed or opened again: our element patch vs `nft -f` of the same
//            delete/add element commands (one nft transaction, like ours)
//   adopt    a restarted backend reading back a table that is already right (sends nothing)
//
// Medians over repeats, wall clock, in a private network namespace (root needed). Not a test:
// the numbers depend on the machine. Runtime is bounded by a per-measurement time budget.
#include "core/ruleset.hpp"
#include "nft/backend.hpp"
#include "synthetic.hpp"

#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <iostream>
#include <sched.h>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

using namespace portcullis;
using namespace portcullis::bench;

namespace {

constexpr const char* table = "portcullis";
// Each measurement stops at its repeat count or after this much time, whichever comes first.
constexpr double budget_seconds = 2.5;

// Runs a program quietly; returns its exit status.
int run(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return -1;
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::trunc) << text;
}

std::string element_commands(const char* verb) {
    // svc0's ports: 1000/tcp and 1000-1001/udp, in the implicit zone "any".
    return std::string(verb) + " element inet portcullis any_tcp { 1000 }\n" + verb +
           " element inet portcullis any_udp { 1000-1001 }\n";
}

struct Row {
    int services = 0;
    std::size_t ranges = 0;
    double ours_initial = 0, nft_initial = 0;
    std::size_t initial_bytes = 0, initial_msgs = 0;
    double ours_toggle = 0, nft_toggle = 0;
    std::size_t toggle_bytes = 0, toggle_msgs = 0;
    double ours_adopt = 0;
};

void fail(const char* what, const CommitResult& r) {
    std::cerr << "nft-bench: " << what << ": " << r.message << "\n";
    std::exit(1);
}

Row measure(int n, const std::string& dir) {
    Row row;
    row.services = n;
    Catalog cat = synthetic(n);
    DesiredState all_state = state_of(cat, true);
    DesiredState toggled_state = state_of(cat, false);
    TableLayout all = build_layout(all_state, table);
    TableLayout toggled = build_layout(toggled_state, table);
    const Diff close_first = diff(all_state, toggled_state);
    const Diff open_first = diff(toggled_state, all_state);
    for (const auto& s : all.sets)
        row.ranges += s.ports.size();
    auto drop_table = [] { run({"nft", "delete", "table", "inet", table}); };

    // Ours: the initial table, each time into a namespace without it.
    CommitResult err;
    auto backend = NftBackend::open(&err);
    if (!backend)
        fail("opening the backend", err);
    row.ours_initial = median_ms(
        budget_seconds, 20,
        [&] {
            drop_table();
            backend = NftBackend::open(&err); // a fresh process's first commit
        },
        [&] {
            CommitResult r = backend->commit(all, {});
            if (!r)
                fail("initial commit", r);
            row.initial_bytes = r.bytes;
            row.initial_msgs = r.messages;
            return true;
        });

    // Ours: toggling svc0 on a kept-open socket.
    bool open = true;
    row.ours_toggle = median_ms(budget_seconds, 200, nullptr, [&] {
        CommitResult r = backend->commit(open ? toggled : all, open ? close_first : open_first);
        if (!r)
            fail("toggle", r);
        open = !open;
        row.toggle_bytes = r.bytes;
        row.toggle_msgs = r.messages;
        return true;
    });
    if (!open)
        backend->commit(all, open_first);

    // Ours: a restarted backend adopting the table as it is.
    row.ours_adopt = median_ms(
        budget_seconds, 20, [&] { backend = NftBackend::open(&err); },
        [&] {
            CommitResult r = backend->commit(all, {});
            if (!r || r.messages != 0)
                fail("adopt", r);
            return true;
        });

    // nft: the same table from render_nft() text, and the same one-service change.
    std::string full = dir + "/table.nft";
    std::string del = dir + "/del.nft";
    std::string add = dir + "/add.nft";
    write_file(full, render_nft(all));
    write_file(del, element_commands("delete"));
    write_file(add, element_commands("add"));
    row.nft_initial = median_ms(budget_seconds, 10, drop_table, [&] {
        return run({"nft", "-f", full}) == 0;
    });
    open = true;
    row.nft_toggle = median_ms(budget_seconds, 20, nullptr, [&] {
        bool ok = run({"nft", "-f", open ? del : add}) == 0;
        open = !open;
        return ok;
    });
    drop_table();
    return row;
}

} // namespace

int main() {
    if (geteuid() != 0) {
        std::puts("nft-bench: needs root (it works in a private network namespace)");
        return 77;
    }
    if (unshare(CLONE_NEWNET) != 0) {
        std::perror("nft-bench: unshare(CLONE_NEWNET)");
        return 1;
    }
    if (run({"nft", "--version"}) != 0) {
        std::puts("nft-bench: the nft binary is needed for the comparison");
        return 77;
    }
    char tmpl[] = "/tmp/pc-nft-bench.XXXXXX";
    const char* dir = mkdtemp(tmpl);
    if (!dir) {
        std::perror("mkdtemp");
        return 1;
    }

    std::vector<Row> rows;
    for (int n : {5, 500, 5000})
        rows.push_back(measure(n, dir));
    run({"rm", "-rf", dir});

    std::printf("nftables commit cost: portcullis (libnftnl batch, kept-open socket) vs nft -f\n");
    std::printf(
        "medians; wall clock; private network namespace; nft times include starting nft\n\n");
    std::printf("%8s %7s | %-34s | %-34s | %9s\n", "", "", "initial table", "toggle one service",
                "adopt");
    std::printf("%8s %7s | %9s %14s %9s | %9s %14s %9s | %9s\n", "services", "ranges", "ours ms",
                "bytes/msgs", "nft -f ms", "ours ms", "bytes/msgs", "nft -f ms", "ours ms");
    for (const Row& r : rows) {
        std::string ib = std::to_string(r.initial_bytes) + "/" + std::to_string(r.initial_msgs);
        std::string tb = std::to_string(r.toggle_bytes) + "/" + std::to_string(r.toggle_msgs);
        std::printf("%8d %7zu | %9.3f %14s %9.3f | %9.3f %14s %9.3f | %9.3f\n", r.services,
                    r.ranges, r.ours_initial, ib.c_str(), r.nft_initial, r.ours_toggle, tb.c_str(),
                    r.nft_toggle, r.ours_adopt);
    }
    std::printf("\nratio nft -f / ours:\n");
    for (const Row& r : rows)
        std::printf("%8d services: initial x%.1f, toggle x%.1f\n", r.services,
                    r.nft_initial / r.ours_initial, r.nft_toggle / r.ours_toggle);
    return 0;
}
