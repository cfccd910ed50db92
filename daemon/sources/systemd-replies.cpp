// SPDX-License-Identifier: GPL-2.0-or-later
#include "sources/systemd-replies.hpp"

#include "bus/handles.hpp"
#include "core/catalog.hpp"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace portcullis {

namespace {

constexpr std::string_view unit_path_prefix = "/org/freedesktop/systemd1/unit";

// Reads one {sv} entry of PropertiesChanged' changed values, keeping ActiveState.
int read_changed_value(sd_bus_message* m, UnitPropertiesChange* out) {
    const char* key = nullptr;
    int r = sd_bus_message_read(m, "s", &key);
    if (r < 0)
        return r;
    if (std::strcmp(key, "ActiveState") != 0)
        return sd_bus_message_skip(m, "v");
    const char* value = nullptr;
    if ((r = sd_bus_message_read(m, "v", "s", &value)) < 0)
        return r;
    out->active_state = value;
    return 0;
}

// Whether the invalidated list (as) names ActiveState; an unreadable list names nothing.
bool active_state_invalidated(sd_bus_message* m) {
    char** invalidated = nullptr;
    if (sd_bus_message_read_strv(m, &invalidated) < 0 || !invalidated)
        return false;
    bool found = false;
    for (char** i = invalidated; *i; ++i) {
        found = found || std::strcmp(*i, "ActiveState") == 0;
        std::free(*i);
    }
    std::free(invalidated);
    return found;
}

} // namespace

int read_unit_list(sd_bus_message* m, const UnitTable& table,
                   std::vector<std::pair<std::string, std::string>>* out) {
    int r = sd_bus_message_enter_container(m, 'a', "(ssssssouso)");
    if (r < 0)
        return r;
    for (;;) {
        const char *id, *description, *load, *active, *sub, *following, *path, *job_type, *job_path;
        std::uint32_t job_id;
        r = sd_bus_message_read(m, "(ssssssouso)", &id, &description, &load, &active, &sub,
                                &following, &path, &job_id, &job_type, &job_path);
        if (r < 0)
            return r;
        if (r == 0)
            break;
        if (table.matches(id))
            out->emplace_back(id, active);
    }
    return sd_bus_message_exit_container(m);
}

int read_unit_files(sd_bus_message* m, const UnitTable& table,
                    std::map<std::string, std::string>* out) {
    int r = sd_bus_message_enter_container(m, 'a', "(ss)");
    if (r < 0)
        return r;
    for (;;) {
        const char *path, *state;
        r = sd_bus_message_read(m, "(ss)", &path, &state);
        if (r < 0)
            return r;
        if (r == 0)
            break;
        const char* slash = std::strrchr(path, '/');
        std::string name = slash ? slash + 1 : path;
        // The first directory in the search path wins, as in systemd: a file in /etc masks
        // one of the same name in /usr/lib, and ListUnitFiles lists each name once anyway.
        if (table.matches(name))
            out->emplace(std::move(name), state);
    }
    return sd_bus_message_exit_container(m);
}

int read_unit_path(sd_bus_message* m, std::vector<std::string>* out) {
    int r = sd_bus_message_enter_container(m, 'v', "as");
    if (r < 0)
        return r;
    char** strv = nullptr;
    if ((r = sd_bus_message_read_strv(m, &strv)) < 0)
        return r;
    for (char** p = strv; p && *p; ++p) {
        out->emplace_back(*p);
        free(*p); // NOLINT(cppcoreguidelines-no-malloc): sd-bus allocates with malloc
    }
    free(strv); // NOLINT(cppcoreguidelines-no-malloc)
    return sd_bus_message_exit_container(m);
}

int read_unit_properties(sd_bus_message* m, UnitPropertiesChange* out) {
    const char* interface = nullptr;
    int r = sd_bus_message_read(m, "s", &interface);
    if (r < 0)
        return r;
    out->interface = interface;
    if ((r = sd_bus_message_enter_container(m, 'a', "{sv}")) < 0)
        return r;
    // The first entry that cannot be entered ends the values (as the end of the array does).
    while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
        if ((r = read_changed_value(m, out)) < 0)
            return r;
        if ((r = sd_bus_message_exit_container(m)) < 0)
            return r;
    }
    if ((r = sd_bus_message_exit_container(m)) < 0)
        return r;
    out->active_invalidated = active_state_invalidated(m);
    return 0;
}

std::string unit_name_from_path(std::string_view path) {
    // systemd names unit objects with sd_bus_path_encode(); a label that does not decode to a
    // unit name (a stray '_', a nested path) is not a unit of ours.
    std::string name = bus::path_decode(path, unit_path_prefix);
    return valid_unit_name(name) ? name : std::string();
}

bool manager_absent(const sd_bus_error* e) {
    return sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
           sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER);
}

bool already_subscribed(const sd_bus_error* e) {
    return sd_bus_error_has_name(e, "org.freedesktop.systemd1.AlreadySubscribed");
}

bool method_unknown(const sd_bus_error* e) {
    return sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_METHOD);
}

bool no_unit_file(const sd_bus_error* e) {
    return sd_bus_error_has_name(e, SD_BUS_ERROR_FILE_NOT_FOUND) ||
           sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchUnit") ||
           sd_bus_error_get_errno(e) == ENOENT;
}

} // namespace portcullis
