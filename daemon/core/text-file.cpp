// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/text-file.hpp"

#include "core/error.hpp"
#include "core/strings.hpp"

#include <cerrno>
#include <fstream>

namespace portcullis::detail {

std::string read_text_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw ConfigError({path, 0, 0}, "cannot open: " + errno_text(-errno));
    in.seekg(0, std::ios::end);
    auto size = in.tellg();
    if (size < 0)
        throw ConfigError({path, 0, 0}, "cannot read: not a regular file");
    if (static_cast<std::size_t>(size) > max_toml_file_size)
        throw ConfigError({path, 0, 0}, "file is larger than 16 MiB");
    in.seekg(0, std::ios::beg);
    std::string text(static_cast<std::size_t>(size), '\0');
    if (!in.read(text.data(), size))
        throw ConfigError({path, 0, 0}, "cannot read file");
    return text;
}

} // namespace portcullis::detail
