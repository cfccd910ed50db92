// SPDX-License-Identifier: GPL-2.0-or-later
// Opens an sd-bus connection from the config's `bus` word.
#pragma once

#include <string>
#include <string_view>
#include <systemd/sd-bus.h>

namespace portcullis {

// "system", "user", or a D-Bus address ("unix:path=/run/x"). `description` names the
// connection in sd-bus's logs and in busctl. Returns 0 and a new connection in *out, or a
// negative errno: -EINVAL for an address no transport of sd-bus can use.
int open_bus(const std::string& spec, const char* description, sd_bus** out);

// True when every entry of a D-Bus address names a transport sd-bus has. sd-bus skips the
// others and then fails with ECONNREFUSED, exactly as for a bus that is not up yet, so a typo
// would otherwise be retried for ever.
bool plausible_bus_address(std::string_view address);

} // namespace portcullis
