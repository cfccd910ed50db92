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

// PropertiesChanged after a quiet spell goes out at once (up to emit_burst in a row); during a
// burst of changes (a script setting a hundred overrides) at most one per emit_holdoff_ms, with
// the values current when it goes. With thousands of services one emission is a few hundred KB
// (EnabledServices, OpenPorts) to every listener and milliseconds of work here; Applied still
// goes out for every generation.
constexpr std::uint64_t emit_holdoff_ms = 50;
constexpr unsigned emit_burst = 2;

// Emits PropertiesChanged for `names` (a null-terminated list of property names).
void emit_properties_changed(sd_bus* bus, const char* path, const char* interface,
                             std::vector<const char*> names) {
    names.push_back(nullptr);
    sd_bus_emit_properties_changed_strv(bus, path, interface, const_cast<char**>(names.data()));
}

// What a service object shows that only its catalogue entry decides.
std::vector<std::string> fixed_properties(const Service& s) {
    std::vector<std::string> out = {s.name, s.vendor, s.category};
    for (const auto* list : {&s.ports, &s.optional})
        for (auto& w : port_words(*list))
            out.push_back(std::move(w));
    out.insert(out.end(), s.units.begin(), s.units.end());
    out.insert(out.end(), s.packages.begin(), s.packages.end());
    return out;
}

} // namespace

BusApi::BusApi(uv_loop_t* loop, Manager& manager, std::string bus)
    : loop_(loop), m_(manager), spec_(std::move(bus)), emit_pacer_(emit_holdoff_ms, emit_burst) {}

BusApi::~BusApi() {
    m_.on_applied = nullptr;
    m_.on_last_error_changed = nullptr;
    m_.on_reloaded = nullptr;
    m_.on_rolled_back = nullptr;
    m_.on_pending_changed = nullptr;
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
    m_.on_applied = [this](const AppliedChange& c) { applied(c); };
    m_.on_last_error_changed = [this] { schedule_emit(); };
    m_.on_reloaded = [this](const Catalog& old_catalog, const Config& old_config) {
        reloaded(old_catalog, old_config);
    };
    m_.on_rolled_back = [this](std::uint64_t generation) { rolled_back(generation); };
    m_.on_pending_changed = [this] { schedule_emit(); };
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
    const Diff& d = *change.diff;
    if (change.before) {
        // A whole new plan (the first commit, a reload): any service may have changed.
        enabled_changed_ =
            enabled_changed_ || change.before->open_services() != m_.state().open_services();
        ports_changed_ = ports_changed_ || open_ports(*change.before) != open_ports(m_.state());
        // (Before the first commit the state is empty: every service was closed then.)
        ServiceDecision closed;
        for (const Service& s : m_.catalog().services()) {
            const ServiceDecision* old = change.before->service(s.id);
            closed.id = s.id;
            note_before(old ? *old : closed, m_.config(), nullptr);
        }
    } else {
        // A step: its diff says exactly what changed.
        enabled_changed_ = enabled_changed_ || !d.opened.empty() || !d.closed.empty();
        ports_changed_ = ports_changed_ || !d.sets.empty();
        if (change.replaced)
            for (const auto& old : *change.replaced)
                note_before(old, m_.config(), nullptr);
    }
    schedule_emit();
}

void BusApi::rolled_back(std::uint64_t generation) {
    if (!bus_)
        return;
    int r = sd_bus_emit_signal(bus_.get(), cstr(bn::manager_path), cstr(bn::manager_interface),
                               "RolledBack", "t", generation);
    if (r < 0)
        log_warning("D-Bus API: cannot send RolledBack: " + errno_text(r));
}

void BusApi::note_before(const ServiceDecision& d, const Config& cfg, const Service* fixed_from) {
    auto [it, fresh] = before_.try_emplace(d.id);
    if (!fresh)
        return; // what it showed before the first change since the last emission counts
    ServiceSnapshot& snap = it->second;
    if (fixed_from)
        snap.fixed = fixed_properties(*fixed_from);
    snap.zones = d.open ? d.zones : cfg.zones_for(d.id);
    snap.open = d.open;
    snap.reason = d.reason;
}

void BusApi::reloaded(const Catalog& old_catalog, const Config& old_config) {
    // Any service object may show something else now: its catalogue entry, or its zones.
    for (const Service& s : old_catalog.services()) {
        const ServiceDecision* d = m_.state().service(s.id);
        ServiceDecision closed;
        closed.id = s.id;
        note_before(d ? *d : closed, old_config, &s);
    }
    schedule_emit();
}

void BusApi::schedule_emit() {
    // Several manager callbacks can belong to one transaction (the commit, LastError cleared):
    // collect them into one PropertiesChanged on the next loop iteration, or later when the
    // pacer says so (emit_holdoff_ms); what changes meanwhile joins the same emission.
    if (emit_ && !uv_is_active(reinterpret_cast<uv_handle_t*>(emit_.get())))
        uv_timer_start(emit_.get(), on_emit_timer, 0, 0);
}

void BusApi::on_emit_timer(uv_timer_t* t) {
    auto* self = static_cast<BusApi*>(t->data);
    if (std::uint64_t wait = self->emit_pacer_.acquire(uv_now(self->loop_)); wait > 0)
        uv_timer_start(t, on_emit_timer, wait, 0);
    else
        self->emit_changes();
}

BusApi::ManagerSnapshot BusApi::take_manager_snapshot() const {
    return {std::string(to_string(m_.config().mode)),
            m_.generation(),
            static_cast<std::uint32_t>(m_.catalog().size()),
            m_.last_error(),
            std::string(m_.backend_name()),
            m_.pending_confirm() != 0};
}

// One PropertiesChanged per object whose properties changed since the last emission, none
// when nothing did. Without a connection the records still move on: a client that connects
// later reads the current values.
void BusApi::emit_changes() {
    ManagerSnapshot manager = take_manager_snapshot();
    if (bus_) {
        emit_manager_changes(manager);
        emit_service_changes();
    }
    last_manager_ = std::move(manager);
    enabled_changed_ = ports_changed_ = false;
    before_.clear();
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
    if (enabled_changed_)
        names.push_back("EnabledServices");
    if (ports_changed_)
        names.push_back("OpenPorts");
    if (now.last_error != old.last_error)
        names.push_back("LastError");
    // Announced when a confirmed change starts or stops waiting, not every second.
    if (now.pending != old.pending)
        names.push_back("PendingConfirm");
    if (!names.empty())
        emit_properties_changed(bus_.get(), cstr(bn::manager_path), cstr(bn::manager_interface),
                                std::move(names));
}

// A service that a reload added has no "before", and announces nothing; one it removed has
// no object any more.
void BusApi::emit_service_changes() {
    for (const auto& [id, old] : before_) {
        const Service* s = m_.catalog().find(id);
        if (!s)
            continue;
        const ServiceDecision* d = m_.state().service(id);
        std::vector<const char*> names;
        if (old.fixed && *old.fixed != fixed_properties(*s))
            for (const char* n :
                 {"Name", "Vendor", "Category", "Ports", "OptionalPorts", "Units", "Packages"})
                names.push_back(n);
        if (old.zones != service_zones(m_.state(), m_.config(), id))
            names.push_back("Zones");
        if (old.open != (d && d->open))
            names.push_back("Open");
        if (old.reason != (d ? d->reason : std::string()))
            names.push_back("Reason");
        if (!names.empty())
            emit_properties_changed(bus_.get(), service_object_path(id).c_str(),
                                    cstr(bn::service_interface), std::move(names));
    }
}

} // namespace portcullis
