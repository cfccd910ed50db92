// SPDX-License-Identifier: GPL-2.0-or-later
#include "bus/handles.hpp"

#include <cstdlib>

namespace portcullis::bus {

namespace {

// sd-bus hands out malloc()ed strings.
using CString = CHandle<char, std::free>;

} // namespace

int append_strv(sd_bus_message* m, const std::vector<std::string>& v) {
    int r = sd_bus_message_open_container(m, 'a', "s");
    for (std::size_t i = 0; r >= 0 && i < v.size(); ++i)
        r = sd_bus_message_append_basic(m, 's', v[i].c_str());
    return r < 0 ? r : sd_bus_message_close_container(m);
}

std::string path_encode(std::string_view prefix, std::string_view id) {
    char* raw = nullptr;
    if (sd_bus_path_encode(std::string(prefix).c_str(), std::string(id).c_str(), &raw) < 0)
        return {};
    CString path(raw);
    return path ? std::string(path.get()) : std::string();
}

std::string path_decode(std::string_view path, std::string_view prefix) {
    char* raw = nullptr;
    if (sd_bus_path_decode(std::string(path).c_str(), std::string(prefix).c_str(), &raw) <= 0)
        return {};
    CString id(raw);
    return id ? std::string(id.get()) : std::string();
}

} // namespace portcullis::bus
