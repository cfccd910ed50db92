// SPDX-License-Identifier: GPL-2.0-or-later
// Picks and creates the firewall backend the config asks for ("auto" probes the kernel).
#pragma once

#include "core/config.hpp"
#include "portcullis/backend.hpp"

#include <memory>
#include <string>

namespace portcullis {

std::unique_ptr<Backend> make_backend(const Config& cfg, std::string* error);

} // namespace portcullis
