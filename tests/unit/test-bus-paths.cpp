// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's service object paths: ids escaped as sd_bus_path_encode does, below
// /org/portcullis1/service (docs/dbus-api.md), and back.
#include "api/service-paths.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace portcullis;

TEST_CASE("service ids escape into object paths and back", "[bus][paths]") {
    CHECK(service_object_path("ssh") == "/org/portcullis1/service/ssh");
    CHECK(service_object_path("ds-audio") == "/org/portcullis1/service/ds_2daudio");
    CHECK(service_object_path("9p") == "/org/portcullis1/service/_39p");
    CHECK(service_object_path("apple-mdns") == "/org/portcullis1/service/apple_2dmdns");
    for (const char* id : {"ssh", "ds-audio", "9p", "a-b-c-1", "x"})
        CHECK(service_id_from_path(service_object_path(id)) == id);
}

TEST_CASE("a path outside the service prefix gives no id", "[bus][paths]") {
    CHECK(service_id_from_path("/org/portcullis1/other/ssh").empty());
    CHECK(service_id_from_path("/org/portcullis1").empty());
}
