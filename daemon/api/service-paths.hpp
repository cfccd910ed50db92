// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's object paths for catalogue services: /org/portcullis1/service/ESCAPED, the id
// escaped as sd_bus_path_encode() does (docs/dbus-api.md): "ds-audio" is "ds_2daudio".
#pragma once

#include "bus/handles.hpp"
#include "portcullis/bus-names.hpp"

#include <string>
#include <string_view>

namespace portcullis {

// The object path of the service `id` ("" when it cannot be escaped).
inline std::string service_object_path(std::string_view id) {
    return bus::path_encode(busnames::service_path_prefix, id);
}

// The service id of an object path below /org/portcullis1/service; "" for any other path.
inline std::string service_id_from_path(std::string_view path) {
    return bus::path_decode(path, busnames::service_path_prefix);
}

} // namespace portcullis
