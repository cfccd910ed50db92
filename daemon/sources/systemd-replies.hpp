// SPDX-License-Identifier: GPL-2.0-or-later
// What the systemd watcher reads out of systemd's messages: the ListUnits and ListUnitFiles
// replies, PropertiesChanged of the Unit interface, unit object paths, and which reply errors
// mean what. No state and no I/O: each function reads one message (or error) it is handed, so
// the unit tests feed them messages built in memory.
#pragma once

#include "sources/systemd-units.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <systemd/sd-bus.h>
#include <utility>
#include <vector>

namespace portcullis {

// Reads ListUnits'/ListUnitsByPatterns' a(ssssssouso) into (name, ActiveState) pairs of the
// units table selects, in the reply's order. Returns >= 0, or a negative errno for a malformed
// reply (out may then hold a part of it).
int read_unit_list(sd_bus_message* m, const UnitTable& table,
                   std::vector<std::pair<std::string, std::string>>* out);

// Reads ListUnitFiles'/ListUnitFilesByPatterns' a(ss) (path, UnitFileState) into
// name -> UnitFileState of the units table selects. The first path of a name wins. Returns >= 0
// or a negative errno.
int read_unit_files(sd_bus_message* m, const UnitTable& table,
                    std::map<std::string, std::string>* out);

// Reads the reply to Properties.Get(Manager, "UnitPath"), a variant holding "as": the
// directories systemd loads units from, in its order. Returns >= 0 or a negative errno.
int read_unit_path(sd_bus_message* m, std::vector<std::string>* out);

// PropertiesChanged(s interface, a{sv} changed, as invalidated), as far as the watcher cares.
struct UnitPropertiesChange {
    std::string interface;
    std::optional<std::string> active_state; // ActiveState among the changed values
    bool active_invalidated = false;         // ActiveState among the invalidated names
};

// Reads a PropertiesChanged signal. Returns >= 0, or a negative errno when the interface or the
// changed values are malformed (then nothing in *out may be used). A malformed or missing
// invalidated list counts as empty.
int read_unit_properties(sd_bus_message* m, UnitPropertiesChange* out);

// The unit name of a systemd unit object path ("/org/freedesktop/systemd1/unit/ssh_2eservice"
// -> "ssh.service"), or "" when the path is not a unit path (sd_bus_path_decode, then a check
// that the result is a unit name).
std::string unit_name_from_path(std::string_view path);

// Reply errors meaning "systemd is not on this bus (right now)".
bool manager_absent(const sd_bus_error* e);
// Subscribe's error for a connection that is subscribed already: a success.
bool already_subscribed(const sd_bus_error* e);
// A systemd before v230 (no *ByPatterns methods): ask with ListUnits/ListUnitFiles instead.
bool method_unknown(const sd_bus_error* e);
// Reply errors of GetUnitFileState meaning "there is no unit file". Anything else (NoReply when
// systemd goes away mid-call, AccessDenied, ...) says nothing about the unit.
bool no_unit_file(const sd_bus_error* e);

} // namespace portcullis
