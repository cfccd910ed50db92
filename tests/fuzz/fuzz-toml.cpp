// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: the three TOML loaders (config, catalogue, overrides) on any bytes. Any
// input must give a result or positioned errors, never a crash, a hang, or an assertion of the
// TOML library: build it with assertions on (no NDEBUG), or the guard in front of toml++ is not
// tested (3.3.0 asserts on "[" followed by 0x01, where a release build goes on).
//   clang++ -std=c++20 -g -O1 -UNDEBUG -fsanitize=fuzzer,address,undefined -Idaemon -Iinclude ...
#include "core/catalog.hpp"
#include "core/config.hpp"
#include "core/overrides.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        (void)portcullis::parse_config_text(text, "/f/portcullis.toml");
    } catch (const portcullis::ConfigError&) {
    }
    try {
        (void)portcullis::parse_catalog_text(text, "/f/catalog.toml");
    } catch (const portcullis::ConfigError&) {
    }
    (void)portcullis::salvage_overrides_text(text, "/f/overrides.toml"); // never throws
    return 0;
}
