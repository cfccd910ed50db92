// SPDX-License-Identifier: GPL-2.0-or-later
// backend-bench: the legacy backend (ip sets + iptables-legacy) next to the nftables backend, in
// the same run, for synthetic catalogues of 5, 500 and 5,000 services (each one TCP port and one
// two-port UDP range, as in nft-bench):
//
//   initial  the first commit of a fresh process into a fresh network namespace
//   adopt    a restarted backend's first commit onto what is already right
//   toggle   one service closed or opened again (the daemon's everyday change)
//   check    legacy only: one periodic check (list our sets, read the tables back), the cost
//            of being idle: that times 1/check_seconds; nftables has no check (it listens)
//
// Medians, wall clock, private network namespaces (root needed). Not a test: the numbers depend
// on the machine. Each measurement stops at its repeat count or its time budget.
#include "core/ruleset.hpp"
#include "legacy/backend.hpp"
#include "legacy/probe.hpp"
#include "nft/backend.hpp"
#include "synthetic.hpp"

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <sched.h>
#include <string>
#include <unistd.h>
#include <vector>

using namespace portcullis;
using namespace portcullis::bench;

namespace {

constexpr const char* table = "portcullis";
constexpr double budget_seconds = 4.0;

// Exits on failure; true otherwise, for median_ms().
bool check(const char* what, const CommitResult& r) {
    if (!r) {
        std::cerr << "backend-bench: " << what << ": " << r.message << "\n";
        std::exit(1);
    }
    return true;
}

void fresh_namespace() {
    // The namespace left behind goes away with its last socket.
    if (unshare(CLONE_NEWNET) != 0) {
        std::perror("backend-bench: unshare(CLONE_NEWNET)");
        std::exit(1);
    }
}

struct Times {
    double initial = 0, adopt = 0, toggle = 0, check = 0;
    std::size_t toggle_msgs = 0;
};

using Open = std::function<std::unique_ptr<Backend>()>;

Times measure(const Open& open, int n, LegacyBackend** legacy_out = nullptr) {
    Catalog cat = synthetic(n);
    DesiredState all_state = state_of(cat, true);
    DesiredState toggled_state = state_of(cat, false);
    TableLayout all = build_layout(all_state, table);
    TableLayout toggled = build_layout(toggled_state, table);
    const Diff close_first = diff(all_state, toggled_state);
    const Diff open_first = diff(toggled_state, all_state);
    Times t;
    std::unique_ptr<Backend> b;
    t.initial = median_ms(
        budget_seconds, n >= 5000 ? 5 : 10,
        [&] {
            b.reset();
            fresh_namespace();
            b = open();
        },
        [&] { return check("initial commit", b->commit(all, {})); });
    t.adopt = median_ms(
        budget_seconds, 10, [&] { b = open(); },
        [&] { return check("adopt", b->commit(all, {})); });
    bool is_open = true;
    t.toggle = median_ms(budget_seconds, 200, nullptr, [&] {
        CommitResult r = b->commit(is_open ? toggled : all, is_open ? close_first : open_first);
        t.toggle_msgs = r.messages;
        is_open = !is_open;
        return check("toggle", r);
    });
    if (!is_open)
        check("reopen", b->commit(all, open_first));
    if (auto* l = dynamic_cast<LegacyBackend*>(b.get())) {
        t.check = median_ms(budget_seconds, 50, nullptr, [&] {
            std::string why;
            if (!l->verify(&why)) {
                std::cerr << "backend-bench: check: " << why << "\n";
                std::exit(1);
            }
            return true;
        });
        if (legacy_out)
            *legacy_out = l;
    }
    return t;
}

} // namespace

int main() {
    if (geteuid() != 0) {
        std::puts("backend-bench: needs root (it works in private network namespaces)");
        return 77;
    }
    fresh_namespace();
    legacy::LegacyProbe p = legacy::probe_legacy();
    if (!p.complete()) {
        std::puts("backend-bench: the legacy backend cannot work here (ipset, iptables-legacy?)");
        return 77;
    }
    LegacyOptions lo;
    lo.tools = *p.tools;
    lo.translate.state_match = p.state_match;
    lo.translate.ipv6 = p.ipv6;
    lo.bitmap_port_revision = p.bitmap_port.value_or(0);
    lo.hash_net_revision = p.hash_net.value_or(0);
    Open nft = [] {
        CommitResult err;
        auto b = NftBackend::open(&err);
        check("opening nftables", err.error ? err : CommitResult{});
        return std::unique_ptr<Backend>(std::move(b));
    };
    Open legacy = [&] {
        CommitResult err;
        auto b = LegacyBackend::open(lo, &err);
        check("opening legacy", err.error ? err : CommitResult{});
        return std::unique_ptr<Backend>(std::move(b));
    };

    std::printf("backend-bench: legacy (ip sets + %s) vs nftables, medians, wall clock\n\n",
                lo.tools.v4.c_str());
    std::printf("%8s | %-26s | %-19s | %-32s | %s\n", "", "initial ms", "adopt ms",
                "toggle one service ms (msgs)", "legacy check");
    std::printf("%8s | %8s %8s %8s | %8s %9s | %8s %8s %6s %7s | %9s\n", "services", "nft",
                "legacy", "ratio", "nft", "legacy", "nft", "legacy", "ratio", "", "ms");
    for (int n : {5, 500, 5000}) {
        Times a = measure(nft, n);
        Times l = measure(legacy, n);
        std::string msgs =
            "(" + std::to_string(a.toggle_msgs) + "/" + std::to_string(l.toggle_msgs) + ")";
        std::printf("%8d | %8.2f %8.2f %7.1fx | %8.2f %9.2f | %8.3f %8.3f %5.1fx %7s | %9.3f\n", n,
                    a.initial, l.initial, l.initial / a.initial, a.adopt, l.adopt, a.toggle,
                    l.toggle, l.toggle / a.toggle, msgs.c_str(), l.check);
    }
    std::printf("\nratio = legacy / nftables. A legacy check every check_seconds (default 10) is "
                "its whole idle cost.\n");
    return 0;
}
