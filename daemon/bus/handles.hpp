// SPDX-License-Identifier: GPL-2.0-or-later
// RAII owners for sd-bus handles, and the few helpers every user of sd-bus here needs. The
// systemd watcher, the D-Bus API and bus-open all own their handles through these, so each
// handle type is released one way only.
#pragma once

#include "portcullis/c-handle.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <systemd/sd-bus.h>
#include <vector>

namespace portcullis::bus {

// A connection is flushed (queued replies and signals go out) and closed with its last owner.
using BusPtr = CHandle<sd_bus, sd_bus_flush_close_unref>;
// A reference that keeps a connection alive without owning its closing.
using BusRef = CHandle<sd_bus, sd_bus_unref>;
// Dropping a slot unregisters what it stands for (a match, an object, a pending call).
using SlotPtr = CHandle<sd_bus_slot, sd_bus_slot_unref>;
using MessagePtr = CHandle<sd_bus_message, sd_bus_message_unref>;
using CredsPtr = CHandle<sd_bus_creds, sd_bus_creds_unref>;

// Appends v as an "as" array. Returns 0 or a negative errno.
int append_strv(sd_bus_message* m, const std::vector<std::string>& v);

// prefix + "/" + the id escaped as sd_bus_path_encode() does ("" when it cannot).
std::string path_encode(std::string_view prefix, std::string_view id);
// The id of an object path below prefix, unescaped; "" when the path is not below prefix.
std::string path_decode(std::string_view path, std::string_view prefix);

} // namespace portcullis::bus
