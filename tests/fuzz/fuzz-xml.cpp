// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: the XML reader and what reads firewalld's files with it. Any input must
// give a document or an error (and warnings), never a crash, a hang or unbounded memory.
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Idaemon -Iinclude ...
#include "core/import-firewalld.hpp"
#include "core/migrate-firewalld.hpp"
#include "core/xml.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    portcullis::XmlError error;
    (void)portcullis::parse_xml(text, &error);
    std::vector<portcullis::Diagnostic> warnings;
    if (auto s = portcullis::parse_firewalld_service(text, "/f/svc.xml", warnings))
        (void)portcullis::resolve_firewalld({*s}, warnings);
    (void)portcullis::parse_firewalld_zone(text, "/f/zone.xml", warnings);
    return 0;
}
