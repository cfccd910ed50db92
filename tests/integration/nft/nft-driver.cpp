// SPDX-License-Identifier: GPL-2.0-or-later
// Drives the nftables backend the way the manager will, for the integration tests: loads a config
// and its catalogue, plans with the services named on the command line forced open, commits, and
// with --watch stays up to heal the table and to take commands.
//
//   nft-driver --config PATH [--open ID,ID] [--mode enforce|monitor] [--watch] [--no-heal]
//              [--cmd FILE] [--state FILE] [--print]
//
// --probe exits 0 at once (the tests check that this binary runs on this machine at all).
// --print writes the table as render_nft() text (what `nft -f` would load) and touches nothing.
// With --watch, SIGHUP makes it run each line of the --cmd file:
//   open ID,ID     plan again with exactly these services forced open, and commit
//   bad            commit a layout the kernel must refuse (a rule naming a set that does not
//                  exist): the batch must fail whole
//   verify         read the table back and compare it with the last commit
//   dropped        print the dropped counter
// then writes "handled=N" to the --state file (N counts SIGHUPs), so a test knows it is done.
// Every result is one line on stdout. Exit status: 0, 1 (a commit failed), 78 (bad config).
#include "core/config.hpp"
#include "core/planner.hpp"
#include "core/ruleset.hpp"
#include "nft/backend.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <poll.h>
#include <sstream>
#include <string>
#include <sys/signalfd.h>
#include <unistd.h>
#include <vector>

using namespace portcullis;

namespace {

struct Options {
    std::string config;
    std::vector<std::string> open;
    std::string mode;
    bool watch = false;
    bool print = false;
    bool heal = true;
    std::string cmd_file;
    std::string state_file;
};

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    for (std::string item; std::getline(ss, item, ',');)
        if (!item.empty())
            out.push_back(item);
    return out;
}

void report(const char* what, const CommitResult& r) {
    std::cout << what << (r ? " ok" : " FAILED") << " error=" << r.error << " rebuilt=" << r.rebuilt
              << " messages=" << r.messages << " bytes=" << r.bytes
              << (r.message.empty() ? "" : ": " + r.message) << std::endl;
}

void write_state(const std::string& path, unsigned handled) {
    if (path.empty())
        return;
    std::string tmp = path + ".tmp";
    std::ofstream(tmp) << "handled=" << handled << "\n";
    std::rename(tmp.c_str(), path.c_str());
}

DesiredState state_for(const Loaded& l, const Options& o, const std::vector<std::string>& open) {
    Overrides ov;
    for (const auto& id : open)
        ov[id] = Override::open;
    Config cfg = l.config;
    if (o.mode == "enforce")
        cfg.mode = Mode::enforce;
    else if (o.mode == "monitor")
        cfg.mode = Mode::monitor;
    return plan(cfg, l.catalog, Facts{}, ov);
}

TableLayout layout_for(const Loaded& l, const DesiredState& st) {
    return build_layout(st, l.config.table);
}

} // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::cerr << a << " needs a value\n";
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--config")
            o.config = value();
        else if (a == "--open")
            o.open = split(value());
        else if (a == "--mode")
            o.mode = value();
        else if (a == "--probe")
            return 0;
        else if (a == "--print")
            o.print = true;
        else if (a == "--watch")
            o.watch = true;
        else if (a == "--no-heal")
            o.heal = false;
        else if (a == "--cmd")
            o.cmd_file = value();
        else if (a == "--state")
            o.state_file = value();
        else {
            std::cerr << "unknown argument " << a << "\n";
            return 2;
        }
    }

    Loaded loaded;
    try {
        loaded = load_all(o.config);
    } catch (const ConfigError& e) {
        for (const auto& d : e.diagnostics())
            std::cerr << d.str() << "\n";
        return 78;
    }

    if (o.print) {
        std::cout << render_nft(layout_for(loaded, state_for(loaded, o, o.open)));
        return 0;
    }

    // Block the signals first so none is lost between the first commit and the loop.
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGHUP);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC);

    CommitResult err;
    auto backend = NftBackend::open(&err);
    if (!backend) {
        report("open", err);
        return 1;
    }
    std::vector<std::string> open = o.open;
    DesiredState state = state_for(loaded, o, open);
    TableLayout layout = layout_for(loaded, state);
    CommitResult first = backend->commit(layout, {});
    report("commit", first);
    if (!first)
        return 1;
    unsigned handled = 0;
    write_state(o.state_file, handled);
    if (!o.watch)
        return 0;

    for (;;) {
        pollfd fds[2] = {{.fd = backend->event_fd(), .events = POLLIN, .revents = 0},
                         {.fd = sfd, .events = POLLIN, .revents = 0}};
        int n = poll(fds, 2, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            std::perror("poll");
            return 1;
        }
        if (fds[0].revents & POLLIN) {
            bool changed = backend->process_events();
            if (changed && o.heal)
                report("repair", backend->repair());
            else if (changed)
                std::cout << "tampered (not healing)" << std::endl;
        }
        if (!(fds[1].revents & POLLIN))
            continue;
        signalfd_siginfo si{};
        if (read(sfd, &si, sizeof si) != sizeof si)
            continue;
        if (si.ssi_signo != SIGHUP)
            return 0;
        std::ifstream cmds(o.cmd_file);
        for (std::string line; std::getline(cmds, line);) {
            std::string word = line.substr(0, line.find(' '));
            std::string arg =
                line.find(' ') == std::string::npos ? "" : line.substr(line.find(' ') + 1);
            if (word == "open") {
                open = split(arg);
                DesiredState next = state_for(loaded, o, open);
                layout = layout_for(loaded, next);
                CommitResult r = backend->commit(layout, diff(state, next));
                if (r)
                    state = std::move(next);
                report("commit", r);
            } else if (word == "bad") {
                TableLayout bad = layout;
                for (auto& r : bad.rules)
                    if (r.kind == RuleKind::zone_ports)
                        r.lookup_set = "no_such_set";
                report("commit-bad", backend->commit(bad, {.layout_changed = true}));
            } else if (word == "verify") {
                std::string why;
                bool same = backend->verify(&why);
                std::cout << "verify " << (same ? "same" : "differs: " + why) << std::endl;
            } else if (word == "dropped") {
                auto d = backend->dropped();
                std::cout << "dropped " << (d ? std::to_string(*d) : "unknown") << std::endl;
            } else if (!word.empty()) {
                std::cout << "unknown command " << word << std::endl;
            }
        }
        write_state(o.state_file, ++handled);
    }
}
