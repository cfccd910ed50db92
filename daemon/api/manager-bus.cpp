// SPDX-License-Identifier: GPL-2.0-or-later
#include "api/manager-bus.hpp"

#include "app/log.hpp"
#include "bus/bus-open.hpp"
#include "bus/handles.hpp"
#include "core/strings.hpp"
#include "portcullis/bus-names.hpp"
#include "portcullis/version.hpp"
#include "sources/socket-audit.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace portcullis {

namespace bn = busnames;
using bus::append_strv;

namespace {

constexpr unsigned backoff_min_ms = 100;
constexpr unsigned backoff_max_ms = 5'000;

// Strings for sd-bus must be NUL-terminated; every name in bus-names.hpp is a literal.
const char* c(std::string_view s) {
    return s.data();
}

// Reads the sender's uid from the bus (GetConnectionCredentials on dbus-daemon): the caller
// cannot forge it.
int sender_uid(sd_bus_message* m, uid_t* uid) {
    sd_bus_creds* raw = nullptr;
    int r = sd_bus_query_sender_creds(
        m, SD_BUS_CREDS_EUID | SD_BUS_CREDS_UID | SD_BUS_CREDS_AUGMENT, &raw);
    if (r < 0)
        return r;
    bus::CredsPtr creds(raw);
    r = sd_bus_creds_get_euid(creds.get(), uid);
    if (r < 0)
        r = sd_bus_creds_get_uid(creds.get(), uid);
    return r;
}

int require_root(sd_bus_message* m, sd_bus_error* error, const char* what) {
    uid_t uid = static_cast<uid_t>(-1);
    int r = sender_uid(m, &uid);
    if (r < 0)
        return sd_bus_error_setf(error, c(bn::error_access_denied),
                                 "%s: cannot determine the caller's uid: %s", what,
                                 errno_text(r).c_str());
    if (uid != 0)
        return sd_bus_error_setf(error, c(bn::error_access_denied), "%s needs root (caller uid %u)",
                                 what, static_cast<unsigned>(uid));
    return 0;
}

std::string id_from_path(const char* path) {
    return path ? bus::path_decode(path, bn::service_path_prefix) : std::string();
}

// Replies to `call` with one array of `contents`; fill(reply) appends the elements and returns
// a negative errno on failure.
template <class Fill>
int reply_array(sd_bus_message* call, const char* contents, Fill fill) {
    sd_bus_message* raw = nullptr;
    int r = sd_bus_message_new_method_return(call, &raw);
    if (r < 0)
        return r;
    bus::MessagePtr reply(raw);
    if ((r = sd_bus_message_open_container(reply.get(), 'a', contents)) < 0 ||
        (r = fill(reply.get())) < 0 || (r = sd_bus_message_close_container(reply.get())) < 0)
        return r;
    return sd_bus_send(nullptr, reply.get(), nullptr);
}

std::string path_for(const std::string& id) {
    return bus::path_encode(bn::service_path_prefix, id);
}

} // namespace

// The C callbacks, kept in one place. None of them lets an exception escape.
struct ManagerBusCallbacks {
    static ManagerBus* self(void* userdata) { return static_cast<ManagerBus*>(userdata); }

    static int manager_property(sd_bus*, const char*, const char*, const char* property,
                                sd_bus_message* reply, void* userdata, sd_bus_error*) try {
        Manager& m = self(userdata)->m_;
        std::string_view p = property;
        if (p == "Version")
            return sd_bus_message_append(reply, "s", PORTCULLIS_VERSION);
        if (p == "Mode")
            return sd_bus_message_append(reply, "s",
                                         std::string(to_string(m.config().mode)).c_str());
        if (p == "Generation")
            return sd_bus_message_append(reply, "t", m.generation());
        if (p == "CatalogSize")
            return sd_bus_message_append(reply, "u",
                                         static_cast<std::uint32_t>(m.catalog().size()));
        if (p == "EnabledServices")
            return append_strv(reply, m.state().open_services());
        if (p == "OpenPorts") {
            int r = sd_bus_message_open_container(reply, 'a', "(ssqq)");
            for (const auto& op : open_ports(m.state())) {
                if (r < 0)
                    break;
                r = sd_bus_message_append(reply, "(ssqq)", op.zone.c_str(),
                                          std::string(to_string(op.proto)).c_str(), op.first,
                                          op.last);
            }
            return r < 0 ? r : sd_bus_message_close_container(reply);
        }
        if (p == "Dropped")
            return sd_bus_message_append(reply, "t", m.dropped().value_or(0));
        if (p == "LastError")
            return sd_bus_message_append(reply, "s", m.last_error().c_str());
        if (p == "Backend")
            return sd_bus_message_append(reply, "s", std::string(m.backend_name()).c_str());
        return -ENOENT;
    } catch (...) {
        return -ENOMEM;
    }

    static int list_services(sd_bus_message* msg, void* userdata, sd_bus_error*) try {
        Manager& m = self(userdata)->m_;
        return reply_array(msg, "(sssbs)", [&](sd_bus_message* reply) {
            for (const Service& s : m.catalog().services()) {
                const ServiceDecision* d = m.state().service(s.id);
                if (int r = sd_bus_message_append(reply, "(sssbs)", s.id.c_str(), s.name.c_str(),
                                                  s.vendor.c_str(), d && d->open ? 1 : 0,
                                                  d ? d->reason.c_str() : "");
                    r < 0)
                    return r;
            }
            return 0;
        });
    } catch (...) {
        return -ENOMEM;
    }

    static int do_set_override(ManagerBus* b, sd_bus_message* msg, const char* id,
                               const char* state, sd_bus_error* error) {
        if (int r = require_root(msg, error, "SetOverride"); r < 0)
            return r;
        std::string why;
        switch (b->m_.set_override(id, state, &why)) {
        case OverrideResult::ok:
            return sd_bus_reply_method_return(msg, "");
        case OverrideResult::unknown_service:
            return sd_bus_error_set(error, c(bn::error_unknown_service), why.c_str());
        case OverrideResult::invalid_state:
            return sd_bus_error_set(error, c(bn::error_invalid_args), why.c_str());
        case OverrideResult::would_lock_out:
            return sd_bus_error_set(error, c(bn::error_would_lock_out), why.c_str());
        case OverrideResult::io_error:
            return sd_bus_error_set(error, c(bn::error_failed), why.c_str());
        }
        return -EINVAL;
    }

    static int set_override(sd_bus_message* msg, void* userdata, sd_bus_error* error) try {
        const char* id = nullptr;
        const char* state = nullptr;
        if (int r = sd_bus_message_read(msg, "ss", &id, &state); r < 0)
            return r;
        return do_set_override(self(userdata), msg, id, state, error);
    } catch (...) {
        return -ENOMEM;
    }

    static int reload(sd_bus_message* msg, void* userdata, sd_bus_error* error) try {
        if (int r = require_root(msg, error, "Reload"); r < 0)
            return r;
        std::string why;
        if (self(userdata)->m_.reload(&why) < 0)
            return sd_bus_error_set(error, c(bn::error_invalid_config), why.c_str());
        return sd_bus_reply_method_return(msg, "");
    } catch (...) {
        return -ENOMEM;
    }

    static int explain(sd_bus_message* msg, void* userdata, sd_bus_error* error) try {
        const char* proto_word = nullptr;
        std::uint16_t port = 0;
        if (int r = sd_bus_message_read(msg, "sq", &proto_word, &port); r < 0)
            return r;
        auto proto = proto_from_string(proto_word);
        if (!proto)
            return sd_bus_error_setf(error, c(bn::error_invalid_args),
                                     "protocol must be tcp, udp, icmp or icmpv6, not \"%s\"",
                                     proto_word);
        bool icmp = *proto == Proto::icmp || *proto == Proto::icmpv6;
        if (!icmp && port == 0)
            return sd_bus_error_set(error, c(bn::error_invalid_args), "port must be in 1-65535");
        if (icmp && port != 0)
            return sd_bus_error_set(error, c(bn::error_invalid_args),
                                    "icmp and icmpv6 have no ports: pass 0");
        auto openers = portcullis::explain(self(userdata)->m_.state(), *proto, port);
        return reply_array(msg, "(sss)", [&](sd_bus_message* reply) {
            for (const auto& e : openers)
                if (int r = sd_bus_message_append(reply, "(sss)", e.zone.c_str(), e.service.c_str(),
                                                  e.reason.c_str());
                    r < 0)
                    return r;
            return 0;
        });
    } catch (...) {
        return -ENOMEM;
    }

    static int audit(sd_bus_message* msg, void* userdata, sd_bus_error* error) try {
        std::vector<ListeningSocket> socks;
        if (int r = list_listening_sockets(&socks); r < 0)
            return sd_bus_error_setf(error, c(bn::error_failed), "reading sockets: %s",
                                     errno_text(r).c_str());
        const DesiredState& st = self(userdata)->m_.state();
        return reply_array(msg, "(sqsas)", [&](sd_bus_message* reply) {
            for (const auto& sock : socks) {
                std::vector<std::string> zones = zones_open_to(st, sock.proto, sock.port);
                int r = sd_bus_message_open_container(reply, 'r', "sqsas");
                if (r >= 0)
                    r = sd_bus_message_append(reply, "sqs",
                                              std::string(to_string(sock.proto)).c_str(), sock.port,
                                              sock.address.c_str());
                if (r >= 0)
                    r = append_strv(reply, zones);
                if (r >= 0)
                    r = sd_bus_message_close_container(reply);
                if (r < 0)
                    return r;
            }
            return 0;
        });
    } catch (...) {
        return -ENOMEM;
    }

    static int preview(sd_bus_message* msg, void* userdata, sd_bus_error*) try {
        return sd_bus_reply_method_return(msg, "s", self(userdata)->m_.preview_ruleset().c_str());
    } catch (...) {
        return -ENOMEM;
    }

    // --- /org/portcullis1/service/ID ---

    static int find_service(sd_bus*, const char* path, const char*, void* userdata, void** found,
                            sd_bus_error*) try {
        std::string id = id_from_path(path);
        if (id.empty() || !self(userdata)->m_.catalog().find(id))
            return 0;
        *found = userdata;
        return 1;
    } catch (...) {
        return -ENOMEM;
    }

    static int enumerate_services(sd_bus*, const char*, void* userdata, char*** nodes,
                                  sd_bus_error*) try {
        const auto& services = self(userdata)->m_.catalog().services();
        auto** v = static_cast<char**>(std::calloc(services.size() + 1, sizeof(char*)));
        if (!v)
            return -ENOMEM;
        std::size_t n = 0;
        for (const auto& s : services)
            if (sd_bus_path_encode(c(bn::service_path_prefix), s.id.c_str(), &v[n]) >= 0)
                ++n;
        *nodes = v;
        return 0;
    } catch (...) {
        return -ENOMEM;
    }

    static int service_property(sd_bus*, const char* path, const char*, const char* property,
                                sd_bus_message* reply, void* userdata, sd_bus_error* error) try {
        Manager& m = self(userdata)->m_;
        std::string id = id_from_path(path);
        const Service* s = m.catalog().find(id);
        if (!s)
            return sd_bus_error_setf(error, c(bn::error_unknown_service), "no service \"%s\"",
                                     id.c_str());
        const ServiceDecision* d = m.state().service(id);
        std::string_view p = property;
        if (p == "Id")
            return sd_bus_message_append(reply, "s", s->id.c_str());
        if (p == "Name")
            return sd_bus_message_append(reply, "s", s->name.c_str());
        if (p == "Vendor")
            return sd_bus_message_append(reply, "s", s->vendor.c_str());
        if (p == "Category")
            return sd_bus_message_append(reply, "s", s->category.c_str());
        if (p == "Ports")
            return append_strv(reply, port_words(s->ports));
        if (p == "OptionalPorts")
            return append_strv(reply, port_words(s->optional));
        if (p == "Units")
            return append_strv(reply, s->units);
        if (p == "Packages")
            return append_strv(reply, s->packages);
        if (p == "Zones")
            return append_strv(reply, service_zones(m.state(), m.config(), id));
        if (p == "Open")
            return sd_bus_message_append(reply, "b", d && d->open ? 1 : 0);
        if (p == "Reason")
            return sd_bus_message_append(reply, "s", d ? d->reason.c_str() : "");
        return -ENOENT;
    } catch (...) {
        return -ENOMEM;
    }

    static int service_set_override(sd_bus_message* msg, void* userdata, sd_bus_error* error) try {
        const char* state = nullptr;
        if (int r = sd_bus_message_read(msg, "s", &state); r < 0)
            return r;
        std::string id = id_from_path(sd_bus_message_get_path(msg));
        return do_set_override(self(userdata), msg, id.c_str(), state, error);
    } catch (...) {
        return -ENOMEM;
    }
};

namespace {

using CB = ManagerBusCallbacks;

// Dropped is read from the kernel counter on demand; it changes with every dropped packet, so
// it does not announce itself with PropertiesChanged (introspection says so).
const sd_bus_vtable manager_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("Version", "s", CB::manager_property, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Mode", "s", CB::manager_property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Generation", "t", CB::manager_property, 0,
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("CatalogSize", "u", CB::manager_property, 0,
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("EnabledServices", "as", CB::manager_property, 0,
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("OpenPorts", "a(ssqq)", CB::manager_property, 0,
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Dropped", "t", CB::manager_property, 0, 0),
    SD_BUS_PROPERTY("LastError", "s", CB::manager_property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Backend", "s", CB::manager_property, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_METHOD_WITH_NAMES("ListServices", "", , "a(sssbs)", SD_BUS_PARAM(services),
                             CB::list_services, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_NAMES("SetOverride", "ss", SD_BUS_PARAM(id) SD_BUS_PARAM(state), "", ,
                             CB::set_override, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("Reload", "", "", CB::reload, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_NAMES("Explain", "sq", SD_BUS_PARAM(proto) SD_BUS_PARAM(port), "a(sss)",
                             SD_BUS_PARAM(openers), CB::explain, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_NAMES("Audit", "", , "a(sqsas)", SD_BUS_PARAM(sockets), CB::audit,
                             SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_NAMES("PreviewRuleset", "", , "s", SD_BUS_PARAM(ruleset), CB::preview,
                             SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_SIGNAL_WITH_NAMES("Applied", "tasas",
                             SD_BUS_PARAM(generation) SD_BUS_PARAM(opened) SD_BUS_PARAM(closed), 0),
    SD_BUS_VTABLE_END};

const sd_bus_vtable service_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("Id", "s", CB::service_property, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Name", "s", CB::service_property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Vendor", "s", CB::service_property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Category", "s", CB::service_property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Ports", "as", CB::service_property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("OptionalPorts", "as", CB::service_property, 0,
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Units", "as", CB::service_property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Packages", "as", CB::service_property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Zones", "as", CB::service_property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Open", "b", CB::service_property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Reason", "s", CB::service_property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_METHOD_WITH_NAMES("SetOverride", "s", SD_BUS_PARAM(state), "", ,
                             CB::service_set_override, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END};

} // namespace

ManagerBus::ManagerBus(uv_loop_t* loop, Manager& manager, std::string bus)
    : loop_(loop), m_(manager), spec_(std::move(bus)) {}

ManagerBus::~ManagerBus() {
    m_.on_applied = nullptr;
    m_.on_last_error_changed = nullptr;
    m_.on_reloaded = nullptr;
    slots_.clear();
    bus_loop_.reset();
    bus_.reset();
}

void ManagerBus::start() {
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

int ManagerBus::connect() {
    sd_bus* raw = nullptr;
    if (int r = open_bus(spec_, "portcullis-api", &raw); r < 0)
        return r;
    bus_.reset(raw);
    slots_.clear();
    // Each registration hands back a slot we own; dropping it unregisters. (The slot must be
    // read after the call returns: passing it as a second argument of the same call would read
    // it unset.) A lost connection is noticed by BusLoop, which calls disconnected().
    auto reg = [&](auto&& add) {
        sd_bus_slot* slot = nullptr;
        int r = add(&slot);
        if (slot)
            slots_.emplace_back(slot);
        return r;
    };
    int r = reg([&](sd_bus_slot** slot) {
        return sd_bus_add_object_vtable(bus_.get(), slot, c(bn::manager_path),
                                        c(bn::manager_interface), manager_vtable, this);
    });
    if (r >= 0)
        r = reg([&](sd_bus_slot** slot) {
            return sd_bus_add_fallback_vtable(bus_.get(), slot, c(bn::service_path_prefix),
                                              c(bn::service_interface), service_vtable,
                                              CB::find_service, this);
        });
    if (r >= 0)
        r = reg([&](sd_bus_slot** slot) {
            return sd_bus_add_node_enumerator(bus_.get(), slot, c(bn::service_path_prefix),
                                              CB::enumerate_services, this);
        });
    if (r >= 0)
        r = sd_bus_request_name(bus_.get(), c(bn::service), 0);
    if (r < 0) {
        slots_.clear();
        bus_.reset();
        return r;
    }
    bus_loop_ = std::make_unique<BusLoop>(loop_, bus_.get(), [this] { disconnected(); });
    if ((r = bus_loop_->start()) < 0) {
        bus_loop_.reset();
        slots_.clear();
        bus_.reset();
        return r;
    }
    backoff_ms_ = 0;
    log_info("D-Bus API: " + std::string(bn::service) + " on bus '" + spec_ + "'");
    return 0;
}

void ManagerBus::disconnected() {
    if (!bus_)
        return;
    log_warning("D-Bus API: lost the bus; reconnecting");
    // Not from inside the bus's own callback stack: tear down on the next loop iteration.
    uv_timer_start(
        reconnect_.get(),
        [](uv_timer_t* t) {
            auto* self = static_cast<ManagerBus*>(t->data);
            self->slots_.clear();
            self->bus_loop_.reset();
            self->bus_.reset();
            self->schedule_reconnect();
        },
        0, 0);
}

void ManagerBus::schedule_reconnect() {
    backoff_ms_ = backoff_ms_ ? std::min(backoff_ms_ * 2, backoff_max_ms) : backoff_min_ms;
    uv_timer_start(
        reconnect_.get(),
        [](uv_timer_t* t) {
            auto* self = static_cast<ManagerBus*>(t->data);
            if (int r = self->connect(); r < 0)
                self->schedule_reconnect();
        },
        backoff_ms_, 0);
}

void ManagerBus::applied(const AppliedChange& change) {
    if (bus_ && change.generation_changed) {
        sd_bus_message* raw = nullptr;
        int r = sd_bus_message_new_signal(bus_.get(), &raw, c(bn::manager_path),
                                          c(bn::manager_interface), "Applied");
        bus::MessagePtr sig(raw);
        if (r >= 0)
            r = sd_bus_message_append(sig.get(), "t", change.generation);
        if (r >= 0)
            r = append_strv(sig.get(), change.diff->opened);
        if (r >= 0)
            r = append_strv(sig.get(), change.diff->closed);
        if (r >= 0)
            r = sd_bus_send(bus_.get(), sig.get(), nullptr);
        if (r < 0)
            log_warning("D-Bus API: cannot send Applied: " + errno_text(r));
    }
    schedule_emit();
}

void ManagerBus::schedule_emit() {
    // Several manager callbacks can belong to one transaction (the commit, LastError cleared):
    // collect them into one PropertiesChanged on the next loop iteration.
    if (emit_ && !uv_is_active(reinterpret_cast<uv_handle_t*>(emit_.get())))
        uv_timer_start(
            emit_.get(), [](uv_timer_t* t) { static_cast<ManagerBus*>(t->data)->emit_changes(); },
            0, 0);
}

ManagerBus::ManagerSnapshot ManagerBus::take_manager_snapshot() const {
    return {std::string(to_string(m_.config().mode)),
            m_.generation(),
            static_cast<std::uint32_t>(m_.catalog().size()),
            m_.state().open_services(),
            open_ports(m_.state()),
            m_.last_error(),
            std::string(m_.backend_name())};
}

std::map<std::string, ManagerBus::ServiceSnapshot> ManagerBus::take_service_snapshots() const {
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

void ManagerBus::emit_changes() {
    ManagerSnapshot now = take_manager_snapshot();
    std::vector<const char*> names;
    if (now.mode != last_manager_.mode)
        names.push_back("Mode");
    if (now.generation != last_manager_.generation)
        names.push_back("Generation");
    if (now.catalog_size != last_manager_.catalog_size)
        names.push_back("CatalogSize");
    if (now.enabled != last_manager_.enabled)
        names.push_back("EnabledServices");
    if (now.open_ports != last_manager_.open_ports)
        names.push_back("OpenPorts");
    if (now.last_error != last_manager_.last_error)
        names.push_back("LastError");
    last_manager_ = std::move(now);

    auto services = take_service_snapshots();
    if (!bus_) {
        last_services_ = std::move(services);
        return;
    }
    if (!names.empty()) {
        names.push_back(nullptr);
        sd_bus_emit_properties_changed_strv(bus_.get(), c(bn::manager_path),
                                            c(bn::manager_interface),
                                            const_cast<char**>(names.data()));
    }
    for (const auto& [id, snap] : services) {
        auto old = last_services_.find(id);
        if (old == last_services_.end() || old->second == snap)
            continue;
        std::vector<const char*> sn;
        if (old->second.fixed != snap.fixed)
            for (const char* n :
                 {"Name", "Vendor", "Category", "Ports", "OptionalPorts", "Units", "Packages"})
                sn.push_back(n);
        if (old->second.zones != snap.zones)
            sn.push_back("Zones");
        if (old->second.open != snap.open)
            sn.push_back("Open");
        if (old->second.reason != snap.reason)
            sn.push_back("Reason");
        sn.push_back(nullptr);
        std::string path = path_for(id);
        sd_bus_emit_properties_changed_strv(bus_.get(), path.c_str(), c(bn::service_interface),
                                            const_cast<char**>(sn.data()));
    }
    last_services_ = std::move(services);
}

} // namespace portcullis
