// SPDX-License-Identifier: GPL-2.0-or-later
// The systemd watcher's outstanding calls to systemd's Manager, grouped by purpose so that a
// restart drops exactly the stale ones. Every call is asynchronous; its reply (or error) goes to
// the handler given with it, through one trampoline that also tells the owner a reply was
// handled.
#pragma once

#include "bus/handles.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <systemd/sd-bus.h>
#include <utility>
#include <vector>

namespace portcullis {

// What a call is for. link: Subscribe and the unit search path. resync: the lists and file
// states of a resync. refresh: the few units of a refresh.
enum class CallGroup { link, resync, refresh };

// A Manager method's arguments, in this order: states and patterns as "as" (the *ByPatterns
// methods take both), then unit as "s" (GetUnitFileState). Null: not sent.
struct ManagerArgs {
    const std::vector<std::string>* states = nullptr;
    const std::vector<std::string>* patterns = nullptr;
    const char* unit = nullptr;
};

class SystemdCalls {
public:
    using Reply = std::function<void(sd_bus_message*)>;

    // after_reply runs after every reply handler; handler_failed first when the handler threw
    // (out of memory, most likely).
    SystemdCalls(std::function<void()> handler_failed, std::function<void()> after_reply)
        : handler_failed_(std::move(handler_failed)), after_reply_(std::move(after_reply)) {}
    SystemdCalls(const SystemdCalls&) = delete;
    SystemdCalls& operator=(const SystemdCalls&) = delete;

    // Calls org.freedesktop.systemd1.Manager.member(args) on bus, never activating systemd (it
    // is there or it is not, and a session bus may list it as activatable); done gets the reply
    // or the error. Returns 0, or a negative errno when nothing was sent (-ENOTCONN: no bus).
    int call(sd_bus* bus, CallGroup group, const char* member, const ManagerArgs& args, Reply done);
    // The same for org.freedesktop.DBus.Properties.Get of one Manager property.
    int get_property(sd_bus* bus, CallGroup group, const char* property, Reply done);

    // Drops the outstanding calls of a group, or all of them: their replies are never seen
    // (unreferencing a pending call's slot cancels it).
    void cancel(CallGroup group);
    void clear() { calls_.clear(); }
    [[nodiscard]] bool empty() const { return calls_.empty(); }
    // Calls of this group are outstanding.
    [[nodiscard]] bool pending(CallGroup group) const;

private:
    struct Call {
        SystemdCalls* owner;
        std::uint64_t id;
        CallGroup group;
        Reply done;
        bus::SlotPtr slot;
    };

    int send(sd_bus* bus, CallGroup group, sd_bus_message* msg, Reply done);
    static int reply_trampoline(sd_bus_message* m, void* userdata, sd_bus_error* e);

    std::function<void()> handler_failed_;
    std::function<void()> after_reply_;
    std::map<std::uint64_t, std::unique_ptr<Call>> calls_;
    std::uint64_t next_id_ = 1;
};

} // namespace portcullis
