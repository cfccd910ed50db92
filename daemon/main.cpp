// SPDX-License-Identifier: GPL-2.0-or-later
// portcullisd: parse the command line, then run an offline command or the daemon:
// new manager, start, run the loop until SIGTERM/SIGINT; SIGHUP reloads.
#include "api/manager-bus.hpp"
#include "app/backend-factory.hpp"
#include "app/cli.hpp"
#include "app/log.hpp"
#include "app/manager.hpp"
#include "sources/source.hpp"

#include <csignal>
#include <iostream>
#include <memory>
#include <systemd/sd-daemon.h>
#include <uv.h>

using namespace portcullis;

int main(int argc, char** argv) {
    auto opts = parse_args(argc, argv, std::cerr);
    if (!opts)
        return exit_usage;
    if (opts->command != Command::run)
        return run_offline(*opts, std::cout, std::cerr);

    std::signal(SIGPIPE, SIG_IGN);
    uv_loop_t* loop = uv_default_loop();
    Manager manager(loop, {opts->config_path, opts->config_given, opts->dry_run}, make_backend,
                    make_systemd_source);
    if (int status = manager.start(); status != 0)
        return status;
    auto api = std::make_unique<ManagerBus>(loop, manager, manager.config().bus);
    api->start();

    int err = 0;
    auto on_stop = [](uv_signal_t* h, int signum) {
        log_notice(signum == SIGINT ? "SIGINT: stopping" : "SIGTERM: stopping");
        sd_notify(0, "STOPPING=1");
        static_cast<Manager*>(h->data)->stop();
        uv_stop(h->loop);
    };
    auto term = make_uv<uv_signal_t>(loop, uv_signal_init, &err);
    auto intr = make_uv<uv_signal_t>(loop, uv_signal_init, &err);
    auto hup = make_uv<uv_signal_t>(loop, uv_signal_init, &err);
    if (!term || !intr || !hup)
        return exit_software;
    term->data = intr->data = hup->data = &manager;
    uv_signal_start(term.get(), on_stop, SIGTERM);
    uv_signal_start(intr.get(), on_stop, SIGINT);
    uv_signal_start(
        hup.get(),
        [](uv_signal_t* h, int) {
            log_notice("SIGHUP: reloading");
            std::string error;
            static_cast<Manager*>(h->data)->reload(&error);
        },
        SIGHUP);

    uv_run(loop, UV_RUN_DEFAULT);

    // Close what is left, in reverse start order, and let the close callbacks run.
    api.reset();
    manager.stop();
    term.reset();
    intr.reset();
    hup.reset();
    uv_run(loop, UV_RUN_NOWAIT);
    log_notice("stopped; the ruleset stays in place");
    return exit_ok;
}
