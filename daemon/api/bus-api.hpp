// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's D-Bus face (docs/dbus-api.md), connection side: org.portcullis1 on the
// configured bus. Connects, registers the objects (api/objects.hpp), requests the name,
// reconnects with backoff, and announces changes: Applied after every committed change, and
// PropertiesChanged computed from snapshots of what the objects show.
#pragma once

#include "app/manager.hpp"
#include "bus/bus-loop.hpp"
#include "bus/handles.hpp"
#include "portcullis/uv-util.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <uv.h>
#include <vector>

namespace portcullis {

class BusApi {
public:
    BusApi(uv_loop_t* loop, Manager& manager, std::string bus);
    ~BusApi();
    BusApi(const BusApi&) = delete;
    BusApi& operator=(const BusApi&) = delete;

    // Connects, registers the objects and requests the name. When the bus is not there or
    // drops, it retries with backoff on its own; the firewall never waits for it.
    void start();

    // What the manager object shows, for PropertiesChanged.
    struct ManagerSnapshot {
        std::string mode;
        std::uint64_t generation = 0;
        std::uint32_t catalog_size = 0;
        std::vector<std::string> enabled;
        std::vector<OpenPort> open_ports;
        std::string last_error;
        std::string backend;
        bool operator==(const ManagerSnapshot&) const = default;
    };
    // What one service object shows, for PropertiesChanged.
    struct ServiceSnapshot {
        std::vector<std::string> fixed; // Name, Vendor, Category, Ports, OptionalPorts, ...
        std::vector<std::string> zones;
        bool open = false;
        std::string reason;
        bool operator==(const ServiceSnapshot&) const = default;
    };

private:
    int connect();
    void drop_connection();
    void disconnected();
    void schedule_reconnect();
    void schedule_emit();
    void applied(const AppliedChange& change);
    void emit_changes();
    void emit_manager_changes(const ManagerSnapshot& now);
    void emit_service_changes(const std::map<std::string, ServiceSnapshot>& now);

    ManagerSnapshot take_manager_snapshot() const;
    std::map<std::string, ServiceSnapshot> take_service_snapshots() const;

    uv_loop_t* loop_;
    Manager& m_;
    std::string spec_;

    bus::BusPtr bus_;
    std::unique_ptr<BusLoop> bus_loop_;
    std::vector<bus::SlotPtr> slots_;
    UvPtr<uv_timer_t> reconnect_;
    UvPtr<uv_timer_t> emit_;
    unsigned backoff_ms_ = 0;

    ManagerSnapshot last_manager_;
    std::map<std::string, ServiceSnapshot> last_services_;
};

} // namespace portcullis
