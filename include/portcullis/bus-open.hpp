// Opens an sd-bus connection from the config's `bus` word.
#pragma once

#include <string>

#include <systemd/sd-bus.h>

namespace portcullis {

// "system", "user", or a D-Bus address ("unix:path=/run/x"). Returns 0 and a new connection
// in *out, or a negative errno.
int open_bus(const std::string& spec, sd_bus** out);

} // namespace portcullis
