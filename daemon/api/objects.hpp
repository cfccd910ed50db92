// SPDX-License-Identifier: GPL-2.0-or-later
// The objects the daemon serves, each registered on a connection by one function: the manager
// object (manager-object.cpp) and the per-service objects (service-objects.cpp). The callbacks
// behind them only marshal, check access and map errors; every decision is the manager's.
#pragma once

#include "app/manager.hpp"
#include "bus/handles.hpp"

#include <systemd/sd-bus.h>
#include <vector>

namespace portcullis::api {

// /org/portcullis1, org.portcullis1.Manager. The slot is appended to *slots (dropping it
// unregisters). Returns 0 or a negative errno.
int add_manager_object(sd_bus* bus, Manager& manager, std::vector<bus::SlotPtr>* slots);

// /org/portcullis1/service/ID, org.portcullis1.Service, one object per catalogue service, and
// the enumerator that lists them. The slots are appended to *slots. Returns 0 or a negative
// errno.
int add_service_objects(sd_bus* bus, Manager& manager, std::vector<bus::SlotPtr>* slots);

} // namespace portcullis::api
