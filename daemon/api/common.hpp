// SPDX-License-Identifier: GPL-2.0-or-later
// What the manager object and the service objects share: the root check from the caller's
// credentials and SetOverride's mapping of results to D-Bus errors.
#pragma once

#include "app/manager.hpp"

#include <cstdint>
#include <string_view>
#include <systemd/sd-bus.h>

namespace portcullis::api {

// Strings for sd-bus must be NUL-terminated; every name in bus-names.hpp is a literal.
inline const char* cstr(std::string_view literal) {
    return literal.data();
}

// The callbacks' userdata: the manager the objects were registered for.
inline Manager& manager_of(void* userdata) {
    return *static_cast<Manager*>(userdata);
}

// 0 when the caller of m is root; otherwise sets AccessDenied in *error (saying `what` needs
// root) and returns its negative errno.
int require_root(sd_bus_message* m, sd_bus_error* error, const char* what);

// The WouldLockOut check for a change asked for by the caller of m: refuses a change that
// cuts off the caller's own remote session (app/confirm-lockout.hpp). Empty (no check) when the
// caller holds no such session, or when they cannot be read (that is logged).
ChangeGuard lockout_guard(sd_bus_message* m);

// The confirm timeout of SetOverrideConfirmed and ReloadConfirmed: 1-3600 s. 0 when it is, else
// sets InvalidArgs in *error and returns its negative errno.
int check_confirm_seconds(std::uint32_t seconds, sd_bus_error* error);

// SetOverride for both objects: checks root, asks the manager, and replies to msg or maps the
// result to its D-Bus error. With confirm_seconds (already checked), SetOverrideConfirmed:
// no WouldLockOut check, and a rollback after that many seconds unless confirmed.
int reply_set_override(Manager& manager, sd_bus_message* msg, const char* id, const char* state,
                       sd_bus_error* error, std::uint32_t confirm_seconds = 0);

} // namespace portcullis::api
