// SPDX-License-Identifier: GPL-2.0-or-later
// Logging to stderr with <N> priority prefixes, which journald reads (sd-daemon(3)).
// Only the manager and main log; library code returns what happened instead.
#pragma once

#include <string_view>

namespace portcullis {

enum class LogLevel { err = 3, warning = 4, notice = 5, info = 6, debug = 7 };

// Writes MESSAGE to stderr with one write(). Each of its lines gets the "<N>" prefix, so journald
// files every line of a multi-line message (a reload's diagnostics) at LEVEL.
void log(LogLevel level, std::string_view message);
inline void log_error(std::string_view m) {
    log(LogLevel::err, m);
}
inline void log_warning(std::string_view m) {
    log(LogLevel::warning, m);
}
inline void log_notice(std::string_view m) {
    log(LogLevel::notice, m);
}
inline void log_info(std::string_view m) {
    log(LogLevel::info, m);
}
inline void log_debug(std::string_view m) {
    log(LogLevel::debug, m);
}

// Messages above this level are dropped (default info; PORTCULLIS_DEBUG=1 enables debug).
void set_log_level(LogLevel max);

} // namespace portcullis
