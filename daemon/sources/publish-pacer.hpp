// SPDX-License-Identifier: GPL-2.0-or-later
// Paces announcements with a token bucket: after a quiet spell up to `burst` go out at once (an
// admin's `disable --now` is two or three changes a few ms apart, and must not wait), then at
// most one per `holdoff_ms` while a burst lasts (100 units stopping one SIGCHLD at a time), so
// whoever listens does a few commits, not a hundred.
//
// No clock of its own: the caller passes the time (uv_now() in the watcher), and re-arms its own
// timer with the wait this returns.
#pragma once

#include <cstdint>

namespace portcullis {

class PublishPacer {
public:
    // holdoff_ms > 0 and burst > 0. The bucket starts full.
    PublishPacer(std::uint64_t holdoff_ms, unsigned burst)
        : holdoff_ms_(holdoff_ms), burst_(burst), tokens_(burst) {}

    // Asks to announce at now_ms (which never goes back). Returns 0 when the announcement may go
    // out now (a token is spent); otherwise the number of ms to wait before asking again (no
    // token is spent, and the wait is never 0).
    std::uint64_t acquire(std::uint64_t now_ms);

    // Announcements that may go out at once right now (for tests and logs).
    [[nodiscard]] unsigned tokens() const { return tokens_; }

private:
    std::uint64_t holdoff_ms_;
    unsigned burst_;
    unsigned tokens_;
    std::uint64_t last_refill_ms_ = 0; // when the bucket last earned a token, or was full
};

} // namespace portcullis
