// SPDX-License-Identifier: GPL-2.0-or-later
// BusLoop with real sd-bus connections, peer to peer over socketpairs (no bus daemon): a
// connection that dies must not take a later connection's events with it. sd-bus closes a
// dead connection's fd itself, inside sd_bus_process(); the next socket reuses that number,
// and the dead loop's teardown must not touch the new one's registration in the poller.
#include "bus/bus-loop.hpp"
#include "bus/handles.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <fcntl.h>
#include <functional>
#include <memory>
#include <sys/socket.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

using namespace portcullis;

namespace {

// Runs the loop until done() or ms milliseconds have passed; returns done().
// A ticking timer keeps every round bounded, even when no fd ever becomes ready.
bool run_until(uv_loop_t* loop, const std::function<bool()>& done, std::uint64_t ms) {
    uv_timer_t tick{};
    uv_timer_init(loop, &tick);
    uv_timer_start(
        &tick, [](uv_timer_t*) {}, 10, 10);
    std::uint64_t until = uv_now(loop) + ms;
    while (!done() && uv_now(loop) < until) {
        uv_run(loop, UV_RUN_ONCE);
        uv_update_time(loop);
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
    uv_run(loop, UV_RUN_NOWAIT);
    return done();
}

// A peer-to-peer connection on fd: the client side, or the server side with server = true.
bus::BusPtr p2p(int fd, bool server) {
    sd_bus* raw = nullptr;
    REQUIRE(sd_bus_new(&raw) >= 0);
    bus::BusPtr b(raw);
    REQUIRE(sd_bus_set_fd(b.get(), fd, fd) >= 0);
    if (server) {
        sd_id128_t id{};
        REQUIRE(sd_id128_randomize(&id) >= 0);
        REQUIRE(sd_bus_set_server(b.get(), 1, id) >= 0);
    }
    REQUIRE(sd_bus_start(b.get()) >= 0);
    return b;
}

bool fd_open(int fd) {
    return fcntl(fd, F_GETFD) >= 0;
}

} // namespace

TEST_CASE("a dead connection's loop does not deafen the next one on the same fd number",
          "[bus-loop]") {
    uv_loop_t loop{};
    REQUIRE(uv_loop_init(&loop) == 0);
    {
        // The first connection: its peer hangs up, sd-bus closes its fd.
        int a[2];
        REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, a) == 0);
        bus::BusPtr first = p2p(a[0], false);
        bool first_dead = false;
        auto first_loop = std::make_unique<BusLoop>(&loop, first.get(), [&] { first_dead = true; });
        REQUIRE(first_loop->start() == 0);
        close(a[1]);
        REQUIRE(run_until(
            &loop, [&] { return first_dead; }, 2000));
        REQUIRE_FALSE(fd_open(a[0])); // sd-bus closed it: the number is free again

        // The second connection takes that number while the first loop still exists.
        int b[2];
        REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, b) == 0);
        REQUIRE(b[0] == a[0]);
        bus::BusPtr client = p2p(b[0], false);
        bus::BusPtr server = p2p(b[1], true);
        BusLoop client_loop(&loop, client.get());
        BusLoop server_loop(&loop, server.get());
        REQUIRE(client_loop.start() == 0);
        REQUIRE(server_loop.start() == 0);
        // Authenticated: both sides are registered with the poller and have used it.
        REQUIRE(run_until(
            &loop,
            [&] { return sd_bus_is_ready(client.get()) > 0 && sd_bus_is_ready(server.get()) > 0; },
            2000));

        // Now the dead connection's loop goes away (what a reconnect does after its backoff).
        first_loop.reset();
        first.reset();

        // The server signals; the client must still hear it.
        int heard = 0;
        sd_bus_slot* raw_slot = nullptr;
        REQUIRE(sd_bus_add_match(
                    client.get(), &raw_slot, "type='signal',interface='org.example.Test'",
                    [](sd_bus_message*, void* userdata, sd_bus_error*) {
                        ++*static_cast<int*>(userdata);
                        return 0;
                    },
                    &heard) >= 0);
        bus::SlotPtr match(raw_slot);
        REQUIRE(sd_bus_emit_signal(server.get(), "/org/example", "org.example.Test", "Ping", "") >=
                0);
        CHECK(run_until(
            &loop, [&] { return heard == 1; }, 2000));
    }
    // Every handle is closed: the loop runs dry.
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
}
