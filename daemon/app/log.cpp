// SPDX-License-Identifier: GPL-2.0-or-later
#include "app/log.hpp"

#include <cerrno>
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
    // journald reads one entry per line and takes the priority from that line's own prefix:
    // every line of a multi-line message gets one, or its later lines would be filed at the
    // default priority (info). A trailing newline ends the last line, it does not start one.
    // One write per message, so concurrent writers never interleave inside it.
    const std::string prefix = "<" + std::to_string(static_cast<int>(level)) + ">";
    if (!message.empty() && message.back() == '\n')
        message.remove_suffix(1);
    std::string text;
    text.reserve(message.size() + prefix.size() + 1);
    for (;;) {
        const std::size_t eol = message.find('\n');
        text += prefix;
        text.append(message.substr(0, eol));
        text += '\n';
        if (eol == std::string_view::npos)
            break;
        message.remove_prefix(eol + 1);
    }
    std::size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(STDERR_FILENO, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += static_cast<std::size_t>(n);
    }
}

} // namespace portcullis
