// SPDX-License-Identifier: GPL-2.0-or-later
// What is said when the catalogue directories hold no service at all. That is how a daemon
// installed to another prefix than the one it was built for, or a catalogue that was never
// installed, shows itself: the config naming services is then an error, and an empty
// catalogue on its own a warning (--check-config and the daemon's start), never silence.
#pragma once

#include "core/catalog.hpp"
#include "core/error.hpp"

#include <optional>
#include <string>
#include <vector>

namespace portcullis {

struct Config;

// "no service in any catalogue directory (searched: DIR, DIR)".
std::string empty_catalog_text(const std::vector<std::string>& dirs);

// The error for a config that names services (in [services.ID] or [always]) while the
// catalogue is empty, placed at the first of them in the file; nullopt otherwise.
std::optional<Diagnostic> names_services_without_catalog(const Config& cfg, const Catalog& cat);

} // namespace portcullis
