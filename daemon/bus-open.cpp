#include "portcullis/bus-open.hpp"

namespace portcullis {

int open_bus(const std::string& spec, sd_bus** out) {
    *out = nullptr;
    if (spec == "system")
        return sd_bus_open_system(out);
    if (spec == "user")
        return sd_bus_open_user(out);
    sd_bus* bus = nullptr;
    int r = sd_bus_new(&bus);
    if (r < 0)
        return r;
    if ((r = sd_bus_set_address(bus, spec.c_str())) < 0 || (r = sd_bus_set_bus_client(bus, 1)) < 0 ||
        (r = sd_bus_start(bus)) < 0) {
        sd_bus_unref(bus);
        return r;
    }
    *out = bus;
    return 0;
}

} // namespace portcullis
