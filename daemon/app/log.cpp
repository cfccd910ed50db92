// SPDX-License-Identifier: GPL-2.0-or-later
#include "app/log.hpp"

#include <cstdlib>
#include <string>
#include <unistd.h>

namespace portcullis {

namespace {
LogLevel max_level = std::getenv("PORTCULLIS_DEBUG") ? LogLevel::debug : LogLevel::info;
}

void set_log_level(LogLevel max) {
    max_level = max;
}

void log(LogLevel level, std::string_view message) {
    if (static_cast<int>(level) > static_cast<int>(max_level))
        return;
    // One write per line so concurrent writers never interleave inside a line.
    std::string line = "<" + std::to_string(static_cast<int>(level)) + ">";
    line.append(message);
    line += '\n';
    std::size_t done = 0;
    while (done < line.size()) {
        ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
        if (n <= 0)
            break;
        done += static_cast<std::size_t>(n);
    }
}

} // namespace portcullis
