// SPDX-License-Identifier: GPL-2.0-or-later
// override-latency: how long SetOverride takes as an admin's client sees it, from sending the
// call to its reply (which the daemon sends once the change is in the kernel), for one service
// closed and set back to auto COUNT times. Prints the median, p99 and max in ms. Not a test:
// scale-bench.sh runs it next to a running daemon.
//
//   override-latency BUS SERVICE COUNT
//
// BUS is "system", "user" or a D-Bus address, as in the config.
#include "bus/bus-open.hpp"
#include "bus/handles.hpp"
#include "core/strings.hpp"
#include "portcullis/bus-names.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <systemd/sd-bus.h>
#include <vector>

using namespace portcullis;
using Clock = std::chrono::steady_clock;

namespace {

// One SetOverride call; returns its round trip in ms, or a negative value on error.
double set_override(sd_bus* bus, const std::string& id, const char* state) {
    sd_bus_error error = SD_BUS_ERROR_NULL;
    sd_bus_message* reply = nullptr;
    auto start = Clock::now();
    int r = sd_bus_call_method(bus, std::string(busnames::service).c_str(),
                               std::string(busnames::manager_path).c_str(),
                               std::string(busnames::manager_interface).c_str(), "SetOverride",
                               &error, &reply, "ss", id.c_str(), state);
    auto end = Clock::now();
    bus::MessagePtr owned(reply);
    if (r < 0) {
        std::cerr << "SetOverride " << id << " " << state << ": "
                  << (error.message ? error.message : errno_text(r)) << "\n";
        sd_bus_error_free(&error);
        return -1;
    }
    return std::chrono::duration<double, std::milli>(end - start).count();
}

// The value at percent (0-100) of the sorted values, rounding the index down.
double quantile(std::vector<double> xs, std::size_t percent) {
    std::sort(xs.begin(), xs.end());
    return xs[std::min(xs.size() - 1, (xs.size() - 1) * percent / 100)];
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: override-latency BUS SERVICE COUNT\n";
        return 2;
    }
    const std::string id = argv[2];
    const int count = std::max(1, std::atoi(argv[3]));
    sd_bus* raw = nullptr;
    if (int r = open_bus(argv[1], "override-latency", &raw); r < 0) {
        std::cerr << "cannot open bus " << argv[1] << ": " << errno_text(r) << "\n";
        return 1;
    }
    bus::BusPtr bus(raw);
    std::vector<double> times;
    for (int i = 0; i < count; ++i) {
        for (const char* state : {"closed", "auto"}) {
            double ms = set_override(bus.get(), id, state);
            if (ms < 0)
                return 1;
            times.push_back(ms);
        }
    }
    std::printf("n=%zu median %.2f ms p99 %.2f ms max %.2f ms\n", times.size(), quantile(times, 50),
                quantile(times, 99), quantile(times, 100));
    return 0;
}
