// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's D-Bus face (docs/dbus-api.md), connection side: org.portcullis1 on the
// configured bus. Connects, registers the objects (api/objects.hpp), requests the name,
// reconnects with backoff, and announces changes: Applied after every committed change,
// RolledBack after an unconfirmed change was undone, and
// PropertiesChanged for what the manager's changes touched (paced: see schedule_emit).
#pragma once

#include "app/manager.hpp"
#include "bus/bus-loop.hpp"
#include "bus/handles.hpp"
#include "portcullis/uv-util.hpp"
#include "sources/publish-pacer.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
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

    // What the manager object shows, for PropertiesChanged: the scalars. EnabledServices and
    // OpenPorts are compared through the manager's diffs instead of kept copies (thousands of
    // entries with a big catalogue).
    struct ManagerSnapshot {
        std::string mode;
        std::uint64_t generation = 0;
        std::uint32_t catalog_size = 0;
        std::string last_error;
        std::string backend;
        bool pending = false; // PendingConfirm != 0
        bool operator==(const ManagerSnapshot&) const = default;
    };
    // What one service object showed before a change, for PropertiesChanged.
    struct ServiceSnapshot {
        // Name, Vendor, Category, Ports, OptionalPorts, Units, Packages: only a reload
        // changes them, so only a reload records them.
        std::optional<std::vector<std::string>> fixed;
        std::vector<std::string> zones;
        bool open = false;
        std::string reason;
    };

private:
    int connect();
    void drop_connection();
    void disconnected();
    void schedule_reconnect();
    void schedule_emit();
    static void on_emit_timer(uv_timer_t* t);
    void applied(const AppliedChange& change);
    void reloaded(const Catalog& old_catalog, const Config& old_config);
    void rolled_back(std::uint64_t generation);
    // Remembers what a service object showed before a change (the first time only, until the
    // next emission).
    void note_before(const ServiceDecision& d, const Config& cfg, const Service* fixed_from);
    void emit_changes();
    void emit_manager_changes(const ManagerSnapshot& now);
    void emit_service_changes();

    ManagerSnapshot take_manager_snapshot() const;

    uv_loop_t* loop_;
    Manager& m_;
    std::string spec_;

    bus::BusPtr bus_;
    std::unique_ptr<BusLoop> bus_loop_;
    std::vector<bus::SlotPtr> slots_;
    UvPtr<uv_timer_t> reconnect_;
    UvPtr<uv_timer_t> emit_;
    PublishPacer emit_pacer_;
    unsigned backoff_ms_ = 0;

    ManagerSnapshot last_manager_;
    bool enabled_changed_ = false;
    bool ports_changed_ = false;
    // The services changed since the last emission, with what they showed before: an
    // emission costs the services that changed, not the whole catalogue.
    std::map<std::string, ServiceSnapshot, std::less<>> before_;
};

} // namespace portcullis
