// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: the INI reader, ufw's profiles and ufw's rules files (through the whole
// migration, rendered). Any input must give data or warnings, never a crash or a hang.
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Idaemon -Iinclude ...
#include "core/import-ufw.hpp"
#include "core/ini.hpp"
#include "core/migrate-ufw.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    portcullis::IniOptions options;
    options.quoted_values = size % 2 == 0;
    options.colon_separator = size % 3 == 0;
    options.continuation_lines = size % 5 == 0;
    (void)portcullis::parse_ini(text, options);
    std::vector<portcullis::Diagnostic> warnings;
    (void)portcullis::parse_ufw_profiles(text, "/f/profile", warnings);
    portcullis::UfwInput in;
    in.rules4 = portcullis::ImportFile{"/f/user.rules", std::string(text), 0};
    in.profile_files.push_back({"/f/profile", std::string(text), 0});
    (void)portcullis::render_migration(portcullis::migrate_ufw(in));
    return 0;
}
