// SPDX-License-Identifier: GPL-2.0-or-later
#include "sources/systemd-calls.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <utility>

namespace portcullis {

namespace {

// sd-bus gives up on a call after 25 s by default. systemd answers in order and may be busy
// for longer: listing the file states of 5,000 enabled units took it 13 s of CPU here (longer
// on a loaded box), and a daemon-reload of as many units 8 s, during which every call waits.
// A call that timed out is asked again, just as long, so the default would never get through.
constexpr std::uint64_t call_timeout_usec = 5ULL * 60 * 1000 * 1000;

constexpr const char* systemd_service = "org.freedesktop.systemd1";
constexpr const char* manager_path = "/org/freedesktop/systemd1";
constexpr const char* manager_interface = "org.freedesktop.systemd1.Manager";

int append_args(sd_bus_message* m, const ManagerArgs& args) {
    int r = 0;
    if (args.states && (r = bus::append_strv(m, *args.states)) < 0)
        return r;
    if (args.patterns && (r = bus::append_strv(m, *args.patterns)) < 0)
        return r;
    if (args.unit && (r = sd_bus_message_append_basic(m, 's', args.unit)) < 0)
        return r;
    return 0;
}

} // namespace

int SystemdCalls::call(sd_bus* bus, CallGroup group, const char* member, const ManagerArgs& args,
                       Reply done) {
    if (!bus)
        return -ENOTCONN;
    sd_bus_message* raw = nullptr;
    int r = sd_bus_message_new_method_call(bus, &raw, systemd_service, manager_path,
                                           manager_interface, member);
    if (r < 0)
        return r;
    bus::MessagePtr msg(raw);
    if ((r = append_args(msg.get(), args)) < 0)
        return r;
    return send(bus, group, msg.get(), std::move(done));
}

int SystemdCalls::get_property(sd_bus* bus, CallGroup group, const char* property, Reply done) {
    if (!bus)
        return -ENOTCONN;
    sd_bus_message* raw = nullptr;
    int r = sd_bus_message_new_method_call(bus, &raw, systemd_service, manager_path,
                                           "org.freedesktop.DBus.Properties", "Get");
    if (r < 0)
        return r;
    bus::MessagePtr msg(raw);
    if ((r = sd_bus_message_append(msg.get(), "ss", manager_interface, property)) < 0)
        return r;
    return send(bus, group, msg.get(), std::move(done));
}

bool SystemdCalls::pending(CallGroup group) const {
    return std::any_of(calls_.begin(), calls_.end(),
                       [group](const auto& kv) { return kv.second->group == group; });
}

int SystemdCalls::send(sd_bus* bus, CallGroup group, sd_bus_message* msg, Reply done) {
    int r = sd_bus_message_set_auto_start(msg, 0);
    if (r < 0)
        return r;
    auto c = std::make_unique<Call>();
    c->owner = this;
    c->id = next_id_++;
    c->group = group;
    c->done = std::move(done);
    sd_bus_slot* slot = nullptr;
    if ((r = sd_bus_call_async(bus, &slot, msg, reply_trampoline, c.get(), call_timeout_usec)) < 0)
        return r;
    c->slot.reset(slot);
    calls_.emplace(c->id, std::move(c));
    return 0;
}

void SystemdCalls::cancel(CallGroup group) {
    std::erase_if(calls_, [group](const auto& kv) { return kv.second->group == group; });
}

int SystemdCalls::reply_trampoline(sd_bus_message* m, void* userdata, sd_bus_error* /*e*/) {
    auto* c = static_cast<Call*>(userdata);
    SystemdCalls* self = c->owner;
    // Own the call for the duration of its handler: the handler may cancel other calls, and
    // sd-bus keeps its own reference on the slot while this callback runs.
    auto node = self->calls_.extract(c->id);
    try {
        if (!node.empty() && node.mapped()->done)
            node.mapped()->done(m);
    } catch (...) {
        if (self->handler_failed_)
            self->handler_failed_();
    }
    if (self->after_reply_)
        self->after_reply_();
    return 0;
}

} // namespace portcullis
