// SPDX-License-Identifier: GPL-2.0-or-later
// Runs a SystemdWatcher on a libuv loop and prints what it publishes, for the shell tests.
//
//   watch-driver [--bus SPEC] PATTERN...
//
// On every on_change: one line per unit, "unit=NAME file=UNITFILESTATE active=ACTIVESTATE",
// then "-- changes=N". Whenever connected()/settling() flip: "state connected=C settling=S"
// (sampled every 10 ms: the driver may poll, the watcher must not). Every line is flushed.
// SIGTERM/SIGINT: tear down in order, exit 0.
#include "portcullis/uv-util.hpp"
#include "sources/systemd-watcher.hpp"

#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <uv.h>
#include <vector>

using namespace portcullis;

namespace {

struct Driver {
    uv_loop_t* loop = nullptr;
    std::unique_ptr<SystemdWatcher> watcher;
    UvPtr<uv_timer_t> sampler;
    UvPtr<uv_signal_t> sigterm;
    UvPtr<uv_signal_t> sigint;
    unsigned long changes = 0;
    int last_connected = -1;
    int last_settling = -1;

    void print_map() {
        ++changes;
        for (const auto& [name, s] : watcher->units())
            std::printf("unit=%s file=%s active=%s\n", name.c_str(),
                        s.file_state.empty() ? "-" : s.file_state.c_str(),
                        s.active_state.empty() ? "-" : s.active_state.c_str());
        std::printf("-- changes=%lu\n", changes);
        flush();
    }

    // Whoever reads us went away: stop (main tears down once the loop returns).
    void flush() {
        if (std::fflush(stdout) != 0)
            uv_stop(loop);
    }

    void sample() {
        int c = watcher->connected() ? 1 : 0;
        int s = watcher->settling() ? 1 : 0;
        if (c == last_connected && s == last_settling)
            return;
        last_connected = c;
        last_settling = s;
        std::printf("state connected=%d settling=%d\n", c, s);
        flush();
    }

    void stop() {
        watcher.reset();
        sampler.reset();
        sigterm.reset();
        sigint.reset();
    }
};

} // namespace

int main(int argc, char** argv) {
    std::string bus = "user";
    std::vector<std::string> patterns;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--bus") == 0 && i + 1 < argc)
            bus = argv[++i];
        else if (std::strcmp(argv[i], "--help") == 0) {
            std::printf("usage: %s [--bus system|user|ADDRESS] PATTERN...\n", argv[0]);
            return 0;
        } else
            patterns.emplace_back(argv[i]);
    }

    Driver d;
    d.loop = uv_default_loop();
    d.watcher = std::make_unique<SystemdWatcher>(d.loop, bus, [&d] { d.print_map(); });
    d.watcher->set_patterns(patterns);
    if (int r = d.watcher->start(); r < 0) {
        (void)std::fprintf(stderr, "watch-driver: start: %s\n", std::strerror(-r));
        return 1;
    }
    int err = 0;
    d.sampler = make_uv<uv_timer_t>(d.loop, uv_timer_init, &err);
    d.sigterm = make_uv<uv_signal_t>(d.loop, uv_signal_init, &err);
    d.sigint = make_uv<uv_signal_t>(d.loop, uv_signal_init, &err);
    if (!d.sampler || !d.sigterm || !d.sigint)
        return 1;
    d.sampler->data = d.sigterm->data = d.sigint->data = &d;
    uv_timer_start(
        d.sampler.get(), [](uv_timer_t* t) { static_cast<Driver*>(t->data)->sample(); }, 0, 10);
    auto on_signal = [](uv_signal_t* s, int) { static_cast<Driver*>(s->data)->stop(); };
    uv_signal_start(d.sigterm.get(), on_signal, SIGTERM);
    uv_signal_start(d.sigint.get(), on_signal, SIGINT);

    uv_run(d.loop, UV_RUN_DEFAULT);
    d.stop();
    uv_run(d.loop, UV_RUN_DEFAULT); // let the closed handles' callbacks free them
    return uv_loop_close(d.loop) == 0 ? 0 : 1;
}
