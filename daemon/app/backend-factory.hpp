// SPDX-License-Identifier: GPL-2.0-or-later
// Picks and creates the firewall backend the config asks for: probes the kernel (nftables first;
// the legacy ipset + iptables pieces when "legacy" is asked for, or for "auto" when nftables is
// incomplete), logs what it found once, and opens the backend chosen.
#pragma once

#include "core/config.hpp"
#include "portcullis/backend.hpp"

#include <memory>
#include <string>
#include <vector>

namespace portcullis {

// `hide` names probe results to treat as missing (portcullisd --simulate-missing, for tests).
// Null and *error (one line: what is missing and what provides it) when no backend can work.
std::unique_ptr<Backend> make_backend(const Config& cfg, std::string* error,
                                      const std::vector<std::string>& hide = {});

} // namespace portcullis
