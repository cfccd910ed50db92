// SPDX-License-Identifier: GPL-2.0-or-later
#include "api/common.hpp"

#include "bus/handles.hpp"
#include "core/strings.hpp"
#include "portcullis/bus-names.hpp"

#include <cerrno>
#include <string>
#include <sys/types.h>

namespace portcullis::api {

namespace bn = busnames;

namespace {

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

} // namespace

int require_root(sd_bus_message* m, sd_bus_error* error, const char* what) {
    uid_t uid = static_cast<uid_t>(-1);
    int r = sender_uid(m, &uid);
    if (r < 0)
        return sd_bus_error_setf(error, cstr(bn::error_access_denied),
                                 "%s: cannot determine the caller's uid: %s", what,
                                 errno_text(r).c_str());
    if (uid != 0)
        return sd_bus_error_setf(error, cstr(bn::error_access_denied),
                                 "%s needs root (caller uid %u)", what, static_cast<unsigned>(uid));
    return 0;
}

int reply_set_override(Manager& manager, sd_bus_message* msg, const char* id, const char* state,
                       sd_bus_error* error) {
    if (int r = require_root(msg, error, "SetOverride"); r < 0)
        return r;
    std::string why;
    switch (manager.set_override(id, state, &why)) {
    case OverrideResult::ok:
        return sd_bus_reply_method_return(msg, "");
    case OverrideResult::unknown_service:
        return sd_bus_error_set(error, cstr(bn::error_unknown_service), why.c_str());
    case OverrideResult::invalid_state:
        return sd_bus_error_set(error, cstr(bn::error_invalid_args), why.c_str());
    case OverrideResult::would_lock_out:
        return sd_bus_error_set(error, cstr(bn::error_would_lock_out), why.c_str());
    case OverrideResult::io_error:
    case OverrideResult::not_ready:
        return sd_bus_error_set(error, cstr(bn::error_failed), why.c_str());
    }
    return -EINVAL;
}

} // namespace portcullis::api
