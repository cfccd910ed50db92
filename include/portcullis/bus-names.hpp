// SPDX-License-Identifier: GPL-2.0-or-later
// Every D-Bus name the daemon uses, in one place (the same names as conf/dbus/*.xml and
// conf/dbus/org.portcullis1.conf). docs/dbus-api.md documents them; admins' scripts depend on
// them, so they never change.
#pragma once

#include <string_view>

namespace portcullis::busnames {

inline constexpr std::string_view service = "org.portcullis1";
inline constexpr std::string_view manager_path = "/org/portcullis1";
inline constexpr std::string_view manager_interface = "org.portcullis1.Manager";
inline constexpr std::string_view service_path_prefix = "/org/portcullis1/service";
inline constexpr std::string_view service_interface = "org.portcullis1.Service";

inline constexpr std::string_view error_unknown_service = "org.portcullis1.Error.UnknownService";
inline constexpr std::string_view error_invalid_config = "org.portcullis1.Error.InvalidConfig";
inline constexpr std::string_view error_would_lock_out = "org.portcullis1.Error.WouldLockOut";
// A confirmed change already waits for Confirm() (SetOverrideConfirmed, ReloadConfirmed).
inline constexpr std::string_view error_confirm_pending = "org.portcullis1.Error.ConfirmPending";
// Confirm() with no confirmed change waiting.
inline constexpr std::string_view error_nothing_to_confirm =
    "org.portcullis1.Error.NothingToConfirm";
inline constexpr std::string_view error_invalid_args = "org.freedesktop.DBus.Error.InvalidArgs";
inline constexpr std::string_view error_access_denied = "org.freedesktop.DBus.Error.AccessDenied";
inline constexpr std::string_view error_failed = "org.freedesktop.DBus.Error.Failed";

} // namespace portcullis::busnames
