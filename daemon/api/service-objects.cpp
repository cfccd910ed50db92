// SPDX-License-Identifier: GPL-2.0-or-later
// /org/portcullis1/service/ID, org.portcullis1.Service: one object per catalogue service, served
// by a fallback vtable (find and enumerate callbacks), its properties and SetOverride.
#include "api/common.hpp"
#include "api/objects.hpp"
#include "api/service-paths.hpp"
#include "portcullis/bus-names.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace portcullis::api {

namespace bn = busnames;
using bus::append_strv;

namespace {

int find_service(sd_bus*, const char* path, const char*, void* userdata, void** found,
                 sd_bus_error*) try {
    std::string id = service_id_from_path(path);
    if (id.empty() || !manager_of(userdata).catalog().find(id))
        return 0;
    *found = userdata;
    return 1;
} catch (...) {
    return -ENOMEM;
}

// Frees a NULL-terminated array of malloc()ed strings, as sd-bus would.
void free_strv(char** v) {
    for (char** p = v; *p; ++p)
        std::free(*p);
    std::free(v);
}

int enumerate_services(sd_bus*, const char*, void* userdata, char*** nodes, sd_bus_error*) try {
    const auto& services = manager_of(userdata).catalog().services();
    // sd-bus takes the array and its strings and frees them.
    auto** v = static_cast<char**>(std::calloc(services.size() + 1, sizeof(char*)));
    if (!v)
        return -ENOMEM;
    std::size_t n = 0;
    for (const auto& s : services) {
        std::string path = service_object_path(s.id);
        if (path.empty())
            continue;
        v[n] = strdup(path.c_str());
        if (!v[n]) {
            free_strv(v);
            return -ENOMEM;
        }
        ++n;
    }
    *nodes = v;
    return 0;
} catch (...) {
    return -ENOMEM;
}

int property(sd_bus*, const char* path, const char*, const char* property, sd_bus_message* reply,
             void* userdata, sd_bus_error* error) try {
    const Manager& m = manager_of(userdata);
    std::string id = service_id_from_path(path);
    const Service* s = m.catalog().find(id);
    if (!s)
        return sd_bus_error_setf(error, cstr(bn::error_unknown_service), "no service \"%s\"",
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

int set_override(sd_bus_message* msg, void* userdata, sd_bus_error* error) try {
    const char* state = nullptr;
    if (int r = sd_bus_message_read(msg, "s", &state); r < 0)
        return r;
    const char* path = sd_bus_message_get_path(msg);
    std::string id = path ? service_id_from_path(path) : std::string();
    return reply_set_override(manager_of(userdata), msg, id.c_str(), state, error);
} catch (...) {
    return -ENOMEM;
}

const sd_bus_vtable service_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("Id", "s", property, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Name", "s", property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Vendor", "s", property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Category", "s", property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Ports", "as", property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("OptionalPorts", "as", property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Units", "as", property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Packages", "as", property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Zones", "as", property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Open", "b", property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Reason", "s", property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_METHOD_WITH_NAMES("SetOverride", "s", SD_BUS_PARAM(state), "", , set_override,
                             SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END};

} // namespace

int add_service_objects(sd_bus* bus, Manager& manager, std::vector<bus::SlotPtr>* slots) {
    sd_bus_slot* slot = nullptr;
    int r = sd_bus_add_fallback_vtable(bus, &slot, cstr(bn::service_path_prefix),
                                       cstr(bn::service_interface), service_vtable, find_service,
                                       &manager);
    if (slot)
        slots->emplace_back(slot);
    if (r < 0)
        return r;
    slot = nullptr;
    r = sd_bus_add_node_enumerator(bus, &slot, cstr(bn::service_path_prefix), enumerate_services,
                                   &manager);
    if (slot)
        slots->emplace_back(slot);
    return r;
}

} // namespace portcullis::api
