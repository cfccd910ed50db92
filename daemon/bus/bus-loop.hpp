// SPDX-License-Identifier: GPL-2.0-or-later
// Drives one sd_bus connection from a libuv loop: uv_poll on the bus fd with the events sd-bus
// asks for, and a uv_timer for its timeout. No second thread, and no wake-ups when the bus is
// quiet.
#pragma once

#include "bus/handles.hpp"
#include "portcullis/uv-util.hpp"

#include <functional>
#include <systemd/sd-bus.h>
#include <uv.h>

namespace portcullis {

class BusLoop {
public:
    // Takes a reference on bus. on_disconnect runs (from the loop) once the connection is gone.
    BusLoop(uv_loop_t* loop, sd_bus* bus, std::function<void()> on_disconnect = {});
    ~BusLoop();
    BusLoop(const BusLoop&) = delete;
    BusLoop& operator=(const BusLoop&) = delete;

    // Starts watching; the first processing happens from the loop, so on_disconnect is never
    // called before start() returns. Returns 0 or a negative errno.
    int start();
    [[nodiscard]] sd_bus* bus() const { return bus_.get(); }

private:
    static void on_poll(uv_poll_t* h, int status, int events);
    static void on_timer(uv_timer_t* h);
    static void on_prepare(uv_prepare_t* h);
    void process();
    void rearm();

    uv_loop_t* loop_;
    bus::BusRef bus_;
    std::function<void()> on_disconnect_;
    UvPtr<uv_poll_t> poll_;
    UvPtr<uv_timer_t> timer_;
    UvPtr<uv_prepare_t> prepare_; // re-arms before each poll: picks up messages queued anywhere
    int poll_fd_ = -1; // our duplicate of the bus fd: its number stays ours until we close it
    int armed_events_ = -1;
    bool dead_ = false;
    bool first_round_ = true;
};

} // namespace portcullis
