// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: DSM's .sc files (import-sc.hpp) on any bytes, tied to a package and not,
// and the conf/resource scan for "protocol-file". Any input must give services or warnings,
// never a crash or a hang; every service read has ports that are well formed.
#include "core/import-sc.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    std::vector<portcullis::Diagnostic> warnings;
    auto services = portcullis::parse_sc_file(text, "/f/pkg.sc", size % 2 ? "pkg" : "", warnings);
    for (const auto& s : services)
        for (const auto& r : s.service.ports)
            if (r.first > r.last)
                std::abort();
    (void)portcullis::resource_protocol_file(text);
    return 0;
}
