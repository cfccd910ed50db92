// SPDX-License-Identifier: GPL-2.0-or-later
#include "api/bus-api.hpp"

#include "api/common.hpp"
#include "api/objects.hpp"
#include "api/service-paths.hpp"
#include "app/log.hpp"
#include "bus/bus-open.hpp"
#include "core/strings.hpp"
#include "portcullis/bus-names.hpp"

#include <algorithm>
#include <initializer_list>
#include <systemd/sd-bus.h>
#include <utility>

namespace portcullis {

namespace bn = busnames;
using api::cstr;

namespace {

constexpr unsigned backoff_min_ms = 100;
constexpr unsigned backoff_max_ms = 5'000;

// Emits PropertiesChanged for `names` (a null-terminated list of property names).
void emit_properties_changed(sd_bus* bus, const char* path, const char* interface,
                             std::vector<const char*> names) {
    names.push_back(nullptr);
    sd_bus_emit_properties_changed_strv(bus, path, interface, const_cast<char**>(names.data()));
}

} // namespace

BusApi::BusApi(uv_loop_t* loop, Manager& manager, std::string bus)
    : loop_(loop), m_(manager), spec_(std::move(bus)) {}

BusApi::~BusApi() {
    m_.on_applied = nullptr;
    m_.on_last_error_changed = nullptr;
    m_.on_reloaded = nullptr;
    drop_connection();
}

void BusApi::start() {
    int err = 0;
    reconnect_ = make_uv<uv_timer_t>(loop_, uv_timer_init, &err);
    emit_ = make_uv<uv_timer_t>(loop_, uv_timer_init, &err);
    if (!reconnect_ || !emit_) {
        log_error("D-Bus API: cannot create timers");
        return;
    }
    reconnect_->data = emit_->data = this;
    last_manager_ = take_manager_snapshot();
    last_services_ = take_service_snapshots();
    m_.on_applied = [this](const AppliedChange& c) { applied(c); };
    m_.on_last_error_changed = [this] { schedule_emit(); };
    m_.on_reloaded = [this] { schedule_emit(); };
    if (int r = connect(); r < 0) {
        log_warning("D-Bus API: cannot connect to bus '" + spec_ + "': " + errno_text(r) +
                    "; retrying");
        schedule_reconnect();
    }
}

int BusApi::connect() {
    sd_bus* raw = nullptr;
    if (int r = open_bus(spec_, "portcullis-api", &raw); r < 0)
        return r;
    bus_.reset(raw);
    slots_.clear();
    // Dropping the slots unregisters the objects. A lost connection is noticed by BusLoop,
    // which calls disconnected().
    int r = api::add_manager_object(bus_.get(), m_, &slots_);
    if (r >= 0)
        r = api::add_service_objects(bus_.get(), m_, &slots_);
    if (r >= 0)
        r = sd_bus_request_name(bus_.get(), cstr(bn::service), 0);
    if (r >= 0) {
        bus_loop_ = std::make_unique<BusLoop>(loop_, bus_.get(), [this] { disconnected(); });
        r = bus_loop_->start();
    }
    if (r < 0) {
        drop_connection();
        return r;
    }
    backoff_ms_ = 0;
    log_info("D-Bus API: " + std::string(bn::service) + " on bus '" + spec_ + "'");
    return 0;
}

void BusApi::drop_connection() {
    slots_.clear();
    bus_loop_.reset();
    bus_.reset();
}

void BusApi::disconnected() {
    if (!bus_)
        return;
    log_warning("D-Bus API: lost the bus; reconnecting");
    // Not from inside the bus's own callback stack: tear down on the next loop iteration.
    uv_timer_start(
        reconnect_.get(),
        [](uv_timer_t* t) {
            auto* self = static_cast<BusApi*>(t->data);
            self->drop_connection();
            self->schedule_reconnect();
        },
        0, 0);
}

void BusApi::schedule_reconnect() {
    backoff_ms_ = backoff_ms_ ? std::min(backoff_ms_ * 2, backoff_max_ms) : backoff_min_ms;
    uv_timer_start(
        reconnect_.get(),
        [](uv_timer_t* t) {
            auto* self = static_cast<BusApi*>(t->data);
            if (int r = self->connect(); r < 0)
                self->schedule_reconnect();
        },
        backoff_ms_, 0);
}

void BusApi::applied(const AppliedChange& change) {
    if (bus_ && change.generation_changed) {
        sd_bus_message* raw = nullptr;
        int r = sd_bus_message_new_signal(bus_.get(), &raw, cstr(bn::manager_path),
                                          cstr(bn::manager_interface), "Applied");
        bus::MessagePtr sig(raw);
        if (r >= 0)
            r = sd_bus_message_append(sig.get(), "t", change.generation);
        if (r >= 0)
            r = bus::append_strv(sig.get(), change.diff->opened);
        if (r >= 0)
            r = bus::append_strv(sig.get(), change.diff->closed);
        if (r >= 0)
            r = sd_bus_send(bus_.get(), sig.get(), nullptr);
        if (r < 0)
            log_warning("D-Bus API: cannot send Applied: " + errno_text(r));
    }
    schedule_emit();
}

void BusApi::schedule_emit() {
    // Several manager callbacks can belong to one transaction (the commit, LastError cleared):
    // collect them into one PropertiesChanged on the next loop iteration.
    if (emit_ && !uv_is_active(reinterpret_cast<uv_handle_t*>(emit_.get())))
        uv_timer_start(
            emit_.get(), [](uv_timer_t* t) { static_cast<BusApi*>(t->data)->emit_changes(); }, 0,
            0);
}

BusApi::ManagerSnapshot BusApi::take_manager_snapshot() const {
    return {std::string(to_string(m_.config().mode)),
            m_.generation(),
            static_cast<std::uint32_t>(m_.catalog().size()),
            m_.state().open_services(),
            open_ports(m_.state()),
            m_.last_error(),
            std::string(m_.backend_name())};
}

std::map<std::string, BusApi::ServiceSnapshot> BusApi::take_service_snapshots() const {
    std::map<std::string, ServiceSnapshot> out;
    for (const Service& s : m_.catalog().services()) {
        const ServiceDecision* d = m_.state().service(s.id);
        ServiceSnapshot snap;
        snap.fixed = {s.name, s.vendor, s.category};
        for (const auto* list : {&s.ports, &s.optional})
            for (const auto& w : port_words(*list))
                snap.fixed.push_back(w);
        snap.fixed.insert(snap.fixed.end(), s.units.begin(), s.units.end());
        snap.fixed.insert(snap.fixed.end(), s.packages.begin(), s.packages.end());
        snap.zones = service_zones(m_.state(), m_.config(), s.id);
        snap.open = d && d->open;
        snap.reason = d ? d->reason : "";
        out.emplace(s.id, std::move(snap));
    }
    return out;
}

// One PropertiesChanged per object whose properties changed since the last emission, none
// when nothing did. Without a connection the snapshots still move on: a client that connects
// later reads the current values.
void BusApi::emit_changes() {
    ManagerSnapshot manager = take_manager_snapshot();
    auto services = take_service_snapshots();
    if (bus_) {
        emit_manager_changes(manager);
        emit_service_changes(services);
    }
    last_manager_ = std::move(manager);
    last_services_ = std::move(services);
}

void BusApi::emit_manager_changes(const ManagerSnapshot& now) {
    const ManagerSnapshot& old = last_manager_;
    std::vector<const char*> names;
    if (now.mode != old.mode)
        names.push_back("Mode");
    if (now.generation != old.generation)
        names.push_back("Generation");
    if (now.catalog_size != old.catalog_size)
        names.push_back("CatalogSize");
    if (now.enabled != old.enabled)
        names.push_back("EnabledServices");
    if (now.open_ports != old.open_ports)
        names.push_back("OpenPorts");
    if (now.last_error != old.last_error)
        names.push_back("LastError");
    if (!names.empty())
        emit_properties_changed(bus_.get(), cstr(bn::manager_path), cstr(bn::manager_interface),
                                std::move(names));
}

// A service that a reload added has no old snapshot, and announces nothing.
void BusApi::emit_service_changes(const std::map<std::string, ServiceSnapshot>& now) {
    for (const auto& [id, snap] : now) {
        auto old = last_services_.find(id);
        if (old == last_services_.end() || old->second == snap)
            continue;
        std::vector<const char*> names;
        if (old->second.fixed != snap.fixed)
            for (const char* n :
                 {"Name", "Vendor", "Category", "Ports", "OptionalPorts", "Units", "Packages"})
                names.push_back(n);
        if (old->second.zones != snap.zones)
            names.push_back("Zones");
        if (old->second.open != snap.open)
            names.push_back("Open");
        if (old->second.reason != snap.reason)
            names.push_back("Reason");
        emit_properties_changed(bus_.get(), service_object_path(id).c_str(),
                                cstr(bn::service_interface), std::move(names));
    }
}

} // namespace portcullis
