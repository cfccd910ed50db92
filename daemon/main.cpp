// SPDX-License-Identifier: GPL-2.0-or-later
// portcullisd: parse the command line, then run an offline command or the daemon:
// new manager, start, D-Bus API, signals, run the loop until SIGTERM/SIGINT (SIGHUP reloads),
// then stop in reverse order.
#include "api/bus-api.hpp"
#include "app/backend-factory.hpp"
#include "app/cli.hpp"
#include "app/host-setup.hpp"
#include "app/instance-lock.hpp"
#include "app/log.hpp"
#include "app/manager.hpp"
#include "core/strings.hpp"
#include "portcullis/uv-util.hpp"
#include "sources/source.hpp"

#include <cerrno>
#include <csignal>
#include <iostream>
#include <malloc.h>
#include <memory>
#include <string>
#include <systemd/sd-daemon.h>
#include <uv.h>

using namespace portcullis;

namespace {

// A peer closing a socket must give EPIPE, not kill the daemon.
bool ignore_sigpipe() {
    if (std::signal(SIGPIPE, SIG_IGN) != SIG_ERR)
        return true;
    log_error("cannot ignore SIGPIPE: " + errno_text(-errno));
    return false;
}

// SIGTERM, SIGINT and SIGHUP are blocked before anything else, as systemd's own daemons do:
// one that arrived while the catalogue loads (seconds with thousands of services) would
// otherwise take its default action and end the daemon (SIGHUP: status 129, nothing logged).
// Blocked, it waits until the handlers are there and is then delivered to them.
void mask_stop_and_reload(int how) {
    sigset_t set;
    sigemptyset(&set);
    for (int sig : {SIGTERM, SIGINT, SIGHUP})
        sigaddset(&set, sig);
    sigprocmask(how, &set, nullptr); // cannot fail with these arguments
}

// SIGTERM and SIGINT stop the loop, SIGHUP reloads; dropping this closes the handles.
struct Signals {
    UvPtr<uv_signal_t> term, intr, hup;

    static void on_stop(uv_signal_t* h, int signum) {
        log_notice(signum == SIGINT ? "SIGINT: stopping" : "SIGTERM: stopping");
        sd_notify(0, "STOPPING=1");
        static_cast<Manager*>(h->data)->stop();
        uv_stop(h->loop);
    }
    static void on_reload(uv_signal_t* h, int) {
        log_notice("SIGHUP: reloading");
        std::string error;
        static_cast<Manager*>(h->data)->reload(&error);
    }

    // Returns null when libuv cannot make the handles.
    static std::unique_ptr<Signals> start(uv_loop_t* loop, Manager& manager) {
        auto s = std::make_unique<Signals>();
        int err = 0;
        s->term = make_uv<uv_signal_t>(loop, uv_signal_init, &err);
        s->intr = make_uv<uv_signal_t>(loop, uv_signal_init, &err);
        s->hup = make_uv<uv_signal_t>(loop, uv_signal_init, &err);
        if (!s->term || !s->intr || !s->hup)
            return nullptr;
        s->term->data = s->intr->data = s->hup->data = &manager;
        uv_signal_start(s->term.get(), on_stop, SIGTERM);
        uv_signal_start(s->intr.get(), on_stop, SIGINT);
        uv_signal_start(s->hup.get(), on_reload, SIGHUP);
        return s;
    }
};

} // namespace

int main(int argc, char** argv) {
    mask_stop_and_reload(SIG_BLOCK);
    auto opts = parse_args(argc, argv, std::cerr);
    if (!opts)
        return exit_usage;
    if (opts->command != Command::run) {
        mask_stop_and_reload(SIG_UNBLOCK); // the offline commands keep the default actions
        return run_offline(*opts, std::cout, std::cerr);
    }
    if (!ignore_sigpipe())
        return exit_software;
    // Large buffers (a catalogue file's text, the services vector while it grows) come from
    // their own mappings and go back when freed. A fixed threshold also turns off glibc's
    // adaptive one, which after the first such free would put later ones in the heap, where
    // what is freed stays resident between the daemon's long-lived allocations.
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    // Not root (a DSM package): CAP_NET_ADMIN comes from --configure-host, or nothing works.
    if (!opts->dry_run) {
        std::string warning;
        if (std::string problem = prepare_net_admin(argv[0], &warning); !problem.empty()) {
            log_error(problem);
            return exit_noperm;
        }
        if (!warning.empty())
            log_warning(warning);
    }

    // One daemon per table and network namespace, taken before anything is read or committed
    // and held to the end; --dry-run touches nothing, so it may run beside the real one.
    InstanceLock instance;
    if (!opts->dry_run)
        if (int status = lock_instance(*opts, instance); status != 0)
            return status;

    uv_loop_t* loop = uv_default_loop();
    // --simulate-missing (tests only) reaches the kernel probe through the factory.
    auto backends = [hide = opts->simulate_missing](const Config& cfg, std::string* error) {
        return make_backend(cfg, error, hide);
    };
    Manager manager(loop, {opts->config_path, opts->config_given, opts->dry_run}, backends,
                    make_systemd_source);
    if (int status = manager.start(); status != 0)
        return status;
    auto api = std::make_unique<BusApi>(loop, manager, manager.config().bus);
    api->start();
    auto signals = Signals::start(loop, manager);
    if (!signals)
        return exit_software;
    // Also when they came blocked from the parent: a daemon must hear SIGTERM.
    mask_stop_and_reload(SIG_UNBLOCK);

    uv_run(loop, UV_RUN_DEFAULT);

    // Stop in reverse start order, and let the close callbacks run.
    signals.reset();
    api.reset();
    manager.stop();
    uv_run(loop, UV_RUN_NOWAIT);
    log_notice("stopped; the ruleset stays in place");
    return exit_ok;
}
