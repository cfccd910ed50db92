// SPDX-License-Identifier: GPL-2.0-or-later
#include "api/common.hpp"

#include "api/caller-sessions.hpp"
#include "app/log.hpp"
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

ChangeGuard lockout_guard(sd_bus_message* m) {
    pid_t pid = 0;
    std::vector<CallerSession> sessions;
    int r = sender_pid(m, &pid);
    if (r >= 0)
        r = caller_sessions(pid, &sessions);
    if (r < 0)
        log_warning("cannot read the caller's sessions (no lockout check): " + errno_text(r));
    if (sessions.empty())
        return {};
    return [sessions = std::move(sessions)](const DesiredState& before, const DesiredState& after) {
        return lockout_message(sessions_cut_off(before, after, sessions));
    };
}

int check_confirm_seconds(std::uint32_t seconds, sd_bus_error* error) {
    if (seconds >= 1 && seconds <= 3600)
        return 0;
    return sd_bus_error_setf(error, cstr(bn::error_invalid_args),
                             "seconds must be in 1-3600, not %u", static_cast<unsigned>(seconds));
}

int reply_set_override(Manager& manager, sd_bus_message* msg, const char* id, const char* state,
                       sd_bus_error* error, std::uint32_t confirm_seconds) {
    if (int r = require_root(msg, error, confirm_seconds ? "SetOverrideConfirmed" : "SetOverride");
        r < 0)
        return r;
    std::string why;
    OverrideResult result = confirm_seconds
                                ? manager.set_override_confirmed(id, state, confirm_seconds, &why)
                                : manager.set_override(id, state, &why, lockout_guard(msg));
    switch (result) {
    case OverrideResult::ok:
        return sd_bus_reply_method_return(msg, "");
    case OverrideResult::unknown_service:
        return sd_bus_error_set(error, cstr(bn::error_unknown_service), why.c_str());
    case OverrideResult::invalid_state:
        return sd_bus_error_set(error, cstr(bn::error_invalid_args), why.c_str());
    case OverrideResult::would_lock_out:
        return sd_bus_error_set(error, cstr(bn::error_would_lock_out), why.c_str());
    case OverrideResult::pending:
        return sd_bus_error_set(error, cstr(bn::error_confirm_pending), why.c_str());
    case OverrideResult::io_error:
    case OverrideResult::not_ready:
        return sd_bus_error_set(error, cstr(bn::error_failed), why.c_str());
    }
    return -EINVAL;
}

} // namespace portcullis::api
