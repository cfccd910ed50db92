// SPDX-License-Identifier: GPL-2.0-or-later
// /org/portcullis1, org.portcullis1.Manager: the vtable and its callbacks. They marshal, check
// access and map errors; what is open, and why, is the manager's and the planner's.
#include "api/common.hpp"
#include "api/objects.hpp"
#include "core/strings.hpp"
#include "portcullis/bus-names.hpp"
#include "portcullis/version.hpp"
#include "sources/socket-audit.hpp"

#include <cerrno>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::api {

namespace bn = busnames;
using bus::append_strv;

namespace {

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

int append_open_ports(sd_bus_message* reply, const DesiredState& state) {
    int r = sd_bus_message_open_container(reply, 'a', "(ssqq)");
    for (const auto& op : open_ports(state)) {
        if (r < 0)
            break;
        r = sd_bus_message_append(reply, "(ssqq)", op.zone.c_str(),
                                  std::string(to_string(op.proto)).c_str(), op.first, op.last);
    }
    return r < 0 ? r : sd_bus_message_close_container(reply);
}

int property(sd_bus*, const char*, const char*, const char* property, sd_bus_message* reply,
             void* userdata, sd_bus_error*) try {
    Manager& m = manager_of(userdata);
    std::string_view p = property;
    if (p == "Version")
        return sd_bus_message_append(reply, "s", PORTCULLIS_VERSION);
    if (p == "Mode")
        return sd_bus_message_append(reply, "s", std::string(to_string(m.config().mode)).c_str());
    if (p == "Generation")
        return sd_bus_message_append(reply, "t", m.generation());
    if (p == "CatalogSize")
        return sd_bus_message_append(reply, "u", static_cast<std::uint32_t>(m.catalog().size()));
    if (p == "EnabledServices")
        return append_strv(reply, m.state().open_services());
    if (p == "OpenPorts")
        return append_open_ports(reply, m.state());
    if (p == "Dropped")
        return sd_bus_message_append(reply, "t", m.dropped().value_or(0));
    if (p == "LastError")
        return sd_bus_message_append(reply, "s", m.last_error().c_str());
    if (p == "Backend")
        return sd_bus_message_append(reply, "s", std::string(m.backend_name()).c_str());
    if (p == "PendingConfirm")
        return sd_bus_message_append(reply, "u", static_cast<std::uint32_t>(m.pending_confirm()));
    return -ENOENT;
} catch (...) {
    return -ENOMEM;
}

int list_services(sd_bus_message* msg, void* userdata, sd_bus_error*) try {
    const Manager& m = manager_of(userdata);
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

int set_override(sd_bus_message* msg, void* userdata, sd_bus_error* error) try {
    const char* id = nullptr;
    const char* state = nullptr;
    if (int r = sd_bus_message_read(msg, "ss", &id, &state); r < 0)
        return r;
    return reply_set_override(manager_of(userdata), msg, id, state, error);
} catch (...) {
    return -ENOMEM;
}

// Reload's errors: -EPERM is WouldLockOut, -EBUSY a confirmed change already waiting, the rest
// (-EINVAL) a bad config.
int reload_error(int r, const std::string& why, sd_bus_error* error) {
    std::string_view name = r == -EPERM    ? bn::error_would_lock_out
                            : r == -EBUSY  ? bn::error_confirm_pending
                            : r == -ENOMEM ? bn::error_failed
                                           : bn::error_invalid_config;
    return sd_bus_error_set(error, cstr(name), why.c_str());
}

int reload(sd_bus_message* msg, void* userdata, sd_bus_error* error) try {
    if (int r = require_root(msg, error, "Reload"); r < 0)
        return r;
    std::string why;
    if (int r = manager_of(userdata).reload(&why, lockout_guard(msg)); r < 0)
        return reload_error(r, why, error);
    return sd_bus_reply_method_return(msg, "");
} catch (...) {
    return -ENOMEM;
}

int reload_confirmed(sd_bus_message* msg, void* userdata, sd_bus_error* error) try {
    std::uint32_t seconds = 0;
    if (int r = sd_bus_message_read(msg, "u", &seconds); r < 0)
        return r;
    if (int r = require_root(msg, error, "ReloadConfirmed"); r < 0)
        return r;
    if (int r = check_confirm_seconds(seconds, error); r < 0)
        return r;
    std::string why;
    if (int r = manager_of(userdata).reload_confirmed(seconds, &why); r < 0)
        return reload_error(r, why, error);
    return sd_bus_reply_method_return(msg, "");
} catch (...) {
    return -ENOMEM;
}

int set_override_confirmed(sd_bus_message* msg, void* userdata, sd_bus_error* error) try {
    const char* id = nullptr;
    const char* state = nullptr;
    std::uint32_t seconds = 0;
    if (int r = sd_bus_message_read(msg, "ssu", &id, &state, &seconds); r < 0)
        return r;
    if (int r = require_root(msg, error, "SetOverrideConfirmed"); r < 0)
        return r;
    if (int r = check_confirm_seconds(seconds, error); r < 0)
        return r;
    return reply_set_override(manager_of(userdata), msg, id, state, error, seconds);
} catch (...) {
    return -ENOMEM;
}

int confirm(sd_bus_message* msg, void* userdata, sd_bus_error* error) try {
    if (int r = require_root(msg, error, "Confirm"); r < 0)
        return r;
    std::string why;
    if (manager_of(userdata).confirm(&why) < 0)
        return sd_bus_error_set(error, cstr(bn::error_nothing_to_confirm), why.c_str());
    return sd_bus_reply_method_return(msg, "");
} catch (...) {
    return -ENOMEM;
}

int explain(sd_bus_message* msg, void* userdata, sd_bus_error* error) try {
    const char* proto_word = nullptr;
    std::uint16_t port = 0;
    if (int r = sd_bus_message_read(msg, "sq", &proto_word, &port); r < 0)
        return r;
    auto proto = proto_from_string(proto_word);
    if (!proto)
        return sd_bus_error_setf(error, cstr(bn::error_invalid_args),
                                 "protocol must be tcp, udp, icmp or icmpv6, not \"%s\"",
                                 proto_word);
    bool icmp = *proto == Proto::icmp || *proto == Proto::icmpv6;
    if (!icmp && port == 0)
        return sd_bus_error_set(error, cstr(bn::error_invalid_args), "port must be in 1-65535");
    if (icmp && port != 0)
        return sd_bus_error_set(error, cstr(bn::error_invalid_args),
                                "icmp and icmpv6 have no ports: pass 0");
    auto openers = portcullis::explain(manager_of(userdata).state(), *proto, port);
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

// One (sqsas) element: the socket and the zones open to it (an empty list: nobody opened it).
int append_socket(sd_bus_message* reply, const ListeningSocket& sock,
                  const std::vector<std::string>& zones) {
    int r = sd_bus_message_open_container(reply, 'r', "sqsas");
    if (r >= 0)
        r = sd_bus_message_append(reply, "sqs", std::string(to_string(sock.proto)).c_str(),
                                  sock.port, sock.address.c_str());
    if (r >= 0)
        r = append_strv(reply, zones);
    if (r >= 0)
        r = sd_bus_message_close_container(reply);
    return r;
}

int audit(sd_bus_message* msg, void* userdata, sd_bus_error* error) try {
    std::vector<ListeningSocket> socks;
    if (int r = list_listening_sockets(&socks); r < 0)
        return sd_bus_error_setf(error, cstr(bn::error_failed), "reading sockets: %s",
                                 errno_text(r).c_str());
    const DesiredState& st = manager_of(userdata).state();
    return reply_array(msg, "(sqsas)", [&](sd_bus_message* reply) {
        for (const auto& sock : socks)
            if (int r = append_socket(reply, sock, zones_open_to(st, sock.proto, sock.port)); r < 0)
                return r;
        return 0;
    });
} catch (...) {
    return -ENOMEM;
}

int preview(sd_bus_message* msg, void* userdata, sd_bus_error*) try {
    return sd_bus_reply_method_return(msg, "s", manager_of(userdata).preview_ruleset().c_str());
} catch (...) {
    return -ENOMEM;
}

// Dropped is read from the kernel counter on demand; it changes with every dropped packet, so
// it does not announce itself with PropertiesChanged (introspection says so).
const sd_bus_vtable manager_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("Version", "s", property, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Mode", "s", property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Generation", "t", property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("CatalogSize", "u", property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("EnabledServices", "as", property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("OpenPorts", "a(ssqq)", property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Dropped", "t", property, 0, 0),
    SD_BUS_PROPERTY("LastError", "s", property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Backend", "s", property, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("PendingConfirm", "u", property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_METHOD_WITH_NAMES("ListServices", "", , "a(sssbs)", SD_BUS_PARAM(services),
                             list_services, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_NAMES("SetOverride", "ss", SD_BUS_PARAM(id) SD_BUS_PARAM(state), "", ,
                             set_override, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("Reload", "", "", reload, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_NAMES("SetOverrideConfirmed", "ssu",
                             SD_BUS_PARAM(id) SD_BUS_PARAM(state) SD_BUS_PARAM(seconds), "", ,
                             set_override_confirmed, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_NAMES("ReloadConfirmed", "u", SD_BUS_PARAM(seconds), "", , reload_confirmed,
                             SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("Confirm", "", "", confirm, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_NAMES("Explain", "sq", SD_BUS_PARAM(proto) SD_BUS_PARAM(port), "a(sss)",
                             SD_BUS_PARAM(openers), explain, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_NAMES("Audit", "", , "a(sqsas)", SD_BUS_PARAM(sockets), audit,
                             SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_NAMES("PreviewRuleset", "", , "s", SD_BUS_PARAM(ruleset), preview,
                             SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_SIGNAL_WITH_NAMES("Applied", "tasas",
                             SD_BUS_PARAM(generation) SD_BUS_PARAM(opened) SD_BUS_PARAM(closed), 0),
    SD_BUS_SIGNAL_WITH_NAMES("RolledBack", "t", SD_BUS_PARAM(generation), 0),
    SD_BUS_VTABLE_END};

} // namespace

int add_manager_object(sd_bus* bus, Manager& manager, std::vector<bus::SlotPtr>* slots) {
    sd_bus_slot* slot = nullptr;
    int r = sd_bus_add_object_vtable(bus, &slot, cstr(bn::manager_path),
                                     cstr(bn::manager_interface), manager_vtable, &manager);
    if (slot)
        slots->emplace_back(slot);
    return r;
}

} // namespace portcullis::api
