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
#include <memory>
#include <optional>
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
    // Written aside and renamed, so a test polling the file never reads half of it.
    std::string tmp = path + ".tmp";
    std::ofstream(tmp) << "handled=" << handled << "\n";
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
        std::cerr << "renaming " << tmp << ": " << std::strerror(errno) << "\n";
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

// Fills `o` from the command line. Returns the exit status when the driver should stop at once
// (--probe, a usage error), nullopt to go on.
std::optional<int> parse_options(int argc, char** argv, Options& o) {
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        bool missing = false;
        auto value = [&]() -> std::string {
            if (i + 1 < argc)
                return argv[++i];
            missing = true;
            return {};
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
        if (missing) {
            std::cerr << a << " needs a value\n";
            return 2;
        }
    }
    return std::nullopt;
}

// The backend after its first commit, and what the --cmd file does to it.
class Driver {
public:
    Driver(const Options& o, const Loaded& loaded, std::unique_ptr<NftBackend> backend)
        : o_(o), loaded_(loaded), backend_(std::move(backend)) {}

    // Plans with o.open and commits. False when the commit failed.
    bool first_commit() {
        state_ = state_for(loaded_, o_, o_.open);
        layout_ = layout_for(loaded_, state_);
        CommitResult r = backend_->commit(layout_, {});
        report("commit", r);
        return static_cast<bool>(r);
    }

    // Heals the table and runs commands until SIGTERM or SIGINT. The exit status.
    int watch(int sfd) {
        for (;;) {
            pollfd fds[2] = {{.fd = backend_->event_fd(), .events = POLLIN, .revents = 0},
                             {.fd = sfd, .events = POLLIN, .revents = 0}};
            int n = poll(fds, 2, -1);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                std::perror("poll");
                return 1;
            }
            if (fds[0].revents & POLLIN)
                on_events();
            if (!(fds[1].revents & POLLIN))
                continue;
            signalfd_siginfo si{};
            if (read(sfd, &si, sizeof si) != sizeof si)
                continue;
            if (si.ssi_signo != SIGHUP)
                return 0;
            std::ifstream cmds(o_.cmd_file);
            for (std::string line; std::getline(cmds, line);)
                run(line);
            write_state(o_.state_file, ++handled_);
        }
    }

private:
    void on_events() {
        bool changed = backend_->process_events();
        if (changed && o_.heal)
            report("repair", backend_->repair());
        else if (changed)
            std::cout << "tampered (not healing)" << std::endl;
    }

    void run(const std::string& line) {
        std::string word = line.substr(0, line.find(' '));
        std::string arg =
            line.find(' ') == std::string::npos ? "" : line.substr(line.find(' ') + 1);
        if (word == "open")
            open(split(arg));
        else if (word == "bad")
            commit_bad();
        else if (word == "verify")
            verify();
        else if (word == "dropped")
            dropped();
        else if (!word.empty())
            std::cout << "unknown command " << word << std::endl;
    }

    void open(const std::vector<std::string>& ids) {
        DesiredState next = state_for(loaded_, o_, ids);
        layout_ = layout_for(loaded_, next);
        CommitResult r = backend_->commit(layout_, diff(state_, next));
        if (r)
            state_ = std::move(next);
        report("commit", r);
    }

    // A rule naming a set that does not exist: the kernel refuses the batch, whole.
    void commit_bad() {
        TableLayout bad = layout_;
        for (auto& r : bad.rules)
            if (r.kind == RuleKind::zone_ports)
                r.lookup_set = "no_such_set";
        report("commit-bad", backend_->commit(bad, {.layout_changed = true}));
    }

    void verify() {
        std::string why;
        bool same = backend_->verify(&why);
        std::cout << "verify " << (same ? "same" : "differs: " + why) << std::endl;
    }

    void dropped() {
        auto d = backend_->dropped();
        std::cout << "dropped " << (d ? std::to_string(*d) : "unknown") << std::endl;
    }

    const Options& o_;
    const Loaded& loaded_;
    std::unique_ptr<NftBackend> backend_;
    DesiredState state_;
    TableLayout layout_;
    unsigned handled_ = 0;
};

// Blocks the signals the driver takes through the returned signalfd, so none is lost between
// the first commit and the loop.
int block_signals() {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGHUP);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    return signalfd(-1, &mask, SFD_CLOEXEC);
}

} // namespace

int main(int argc, char** argv) {
    Options o;
    if (auto status = parse_options(argc, argv, o))
        return *status;

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

    int sfd = block_signals();
    CommitResult err;
    auto backend = NftBackend::open(&err);
    if (!backend) {
        report("open", err);
        return 1;
    }
    Driver driver(o, loaded, std::move(backend));
    if (!driver.first_commit())
        return 1;
    write_state(o.state_file, 0);
    if (!o.watch)
        return 0;
    return driver.watch(sfd);
}
