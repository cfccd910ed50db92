// SPDX-License-Identifier: GPL-2.0-or-later
// Service object paths are the ids escaped with sd_bus_path_encode (docs/dbus-api.md).
#include "portcullis/bus-names.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <systemd/sd-bus.h>

using namespace portcullis;

namespace {
std::string encode(const char* id) {
    char* p = nullptr;
    REQUIRE(sd_bus_path_encode(busnames::service_path_prefix.data(), id, &p) >= 0);
    std::string s(p);
    std::free(p);
    return s;
}
std::string decode(const std::string& path) {
    char* id = nullptr;
    int r = sd_bus_path_decode(path.c_str(), busnames::service_path_prefix.data(), &id);
    if (r <= 0)
        return "<no match>";
    std::string s(id);
    std::free(id);
    return s;
}
} // namespace

TEST_CASE("service ids escape into object paths and back", "[bus][paths]") {
    CHECK(encode("ssh") == "/org/portcullis1/service/ssh");
    CHECK(encode("ds-audio") == "/org/portcullis1/service/ds_2daudio");
    CHECK(encode("9p") == "/org/portcullis1/service/_39p");
    CHECK(encode("apple-mdns") == "/org/portcullis1/service/apple_2dmdns");
    for (const char* id : {"ssh", "ds-audio", "9p", "a-b-c-1", "x"})
        CHECK(decode(encode(id)) == id);
    CHECK(decode("/org/portcullis1/other/ssh") == "<no match>");
}
