// SPDX-License-Identifier: GPL-2.0-or-later
#include "bus/bus-open.hpp"

#include "bus/handles.hpp"

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <memory>

namespace portcullis {

bool plausible_bus_address(std::string_view address) {
    constexpr std::string_view transports[] = {
        "unix:", "tcp:", "unixexec:", "x-machine-unix:", "x-machine-exec:", "vsock:"};
    bool any = false;
    while (!address.empty()) {
        auto end = address.find(';');
        std::string_view entry = address.substr(0, end);
        address = end == std::string_view::npos ? std::string_view() : address.substr(end + 1);
        if (entry.empty())
            continue;
        if (std::none_of(std::begin(transports), std::end(transports),
                         [entry](std::string_view t) { return entry.starts_with(t); }))
            return false;
        any = true;
    }
    return any;
}

int open_bus(const std::string& spec, const char* description, sd_bus** out) {
    *out = nullptr;
    if (spec == "system")
        return sd_bus_open_system_with_description(out, description);
    if (spec == "user")
        return sd_bus_open_user_with_description(out, description);
    if (!plausible_bus_address(spec))
        return -EINVAL;
    sd_bus* raw = nullptr;
    int r = sd_bus_new(&raw);
    if (r < 0)
        return r;
    bus::BusPtr b(raw);
    if ((r = sd_bus_set_address(b.get(), spec.c_str())) < 0 ||
        (r = sd_bus_set_bus_client(b.get(), 1)) < 0 ||
        (r = sd_bus_set_description(b.get(), description)) < 0 || (r = sd_bus_start(b.get())) < 0)
        return r;
    *out = b.release();
    return 0;
}

} // namespace portcullis
