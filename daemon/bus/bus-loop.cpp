// SPDX-License-Identifier: GPL-2.0-or-later
#include "bus/bus-loop.hpp"

#include <cerrno>
#include <ctime>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

namespace portcullis {

BusLoop::BusLoop(uv_loop_t* loop, sd_bus* bus, std::function<void()> on_disconnect)
    : loop_(loop), bus_(sd_bus_ref(bus)), on_disconnect_(std::move(on_disconnect)) {}

BusLoop::~BusLoop() {
    // Handles first: their callbacks reference this object and the bus. uv_close() takes the
    // fd out of the poller at once, so it may be closed right after.
    prepare_.reset();
    timer_.reset();
    poll_.reset();
    if (poll_fd_ >= 0)
        close(poll_fd_);
}

int BusLoop::start() {
    int fd = sd_bus_get_fd(bus_.get());
    if (fd < 0)
        return fd;
    // Poll a duplicate we own. sd-bus closes its own fd when the peer goes away, inside
    // sd_bus_process(), while the poll handle still names that number; the next socket the
    // daemon opens (the reconnect) may get the same number, and tearing this loop down would
    // then remove the new connection from the poller: the daemon would stop hearing it.
    poll_fd_ = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (poll_fd_ < 0)
        return -errno;
    int err = 0;
    poll_ = make_uv<uv_poll_t>(loop_, uv_poll_init, &err, poll_fd_);
    if (!poll_)
        return -EIO;
    timer_ = make_uv<uv_timer_t>(loop_, uv_timer_init, &err);
    if (!timer_)
        return -ENOMEM;
    prepare_ = make_uv<uv_prepare_t>(loop_, uv_prepare_init, &err);
    if (!prepare_)
        return -ENOMEM;
    poll_->data = timer_->data = prepare_->data = this;
    uv_prepare_start(prepare_.get(), on_prepare);
    // The prepare hook must not keep the loop alive on its own.
    uv_unref(reinterpret_cast<uv_handle_t*>(prepare_.get()));
    // The first round (anything already queued, e.g. the Hello reply) runs from the loop, so
    // on_disconnect never runs before start() has returned.
    uv_timer_start(timer_.get(), on_timer, 0, 0);
    return 0;
}

void BusLoop::on_poll(uv_poll_t* h, int /*status*/, int /*events*/) {
    static_cast<BusLoop*>(h->data)->process();
}

void BusLoop::on_timer(uv_timer_t* h) {
    static_cast<BusLoop*>(h->data)->process();
}

void BusLoop::on_prepare(uv_prepare_t* h) {
    auto* self = static_cast<BusLoop*>(h->data);
    // Before the first round the zero timer start() set must stand.
    if (!self->dead_ && !self->first_round_)
        self->rearm();
}

void BusLoop::process() {
    if (dead_)
        return;
    first_round_ = false;
    for (;;) {
        // Keep going while sd-bus has work, even once the connection is closed: that is how
        // pending async calls get their "connection terminated" replies and matches see the
        // synthesized Disconnected signal.
        int r = sd_bus_process(bus_.get(), nullptr);
        if (r > 0)
            continue;
        if (r < 0 || sd_bus_is_open(bus_.get()) <= 0) {
            dead_ = true;
            uv_poll_stop(poll_.get());
            uv_timer_stop(timer_.get());
            uv_prepare_stop(prepare_.get());
            if (on_disconnect_)
                on_disconnect_(); // may destroy this object: touch nothing after it
            return;
        }
        break;
    }
    rearm();
}

void BusLoop::rearm() {
    int want = sd_bus_get_events(bus_.get());
    if (want < 0)
        want = POLLIN;
    int events = ((want & POLLIN) ? UV_READABLE : 0) | ((want & POLLOUT) ? UV_WRITABLE : 0);
    if (events != armed_events_) {
        uv_poll_start(poll_.get(), events, on_poll);
        armed_events_ = events;
    }
    std::uint64_t until = 0;
    if (sd_bus_get_timeout(bus_.get(), &until) < 0 || until == UINT64_MAX) {
        uv_timer_stop(timer_.get());
        return;
    }
    // sd-bus gives an absolute CLOCK_MONOTONIC time in microseconds; 0 means "now". libuv
    // counts timers from its cached loop time: refresh it so the timer cannot fire early.
    uv_update_time(loop_);
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    std::uint64_t now = static_cast<std::uint64_t>(ts.tv_sec) * 1000000u +
                        static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
    std::uint64_t delay_ms = until > now ? (until - now + 999) / 1000 : 0;
    uv_timer_start(timer_.get(), on_timer, delay_ms, 0);
}

} // namespace portcullis
