// SPDX-License-Identifier: GPL-2.0-or-later
#include "sources/publish-pacer.hpp"

#include <algorithm>

namespace portcullis {

std::uint64_t PublishPacer::acquire(std::uint64_t now_ms) {
    if (tokens_ < burst_) {
        // One token per hold-off since the last refill; the remainder of a period is kept.
        const std::uint64_t earned = (now_ms - last_refill_ms_) / holdoff_ms_;
        tokens_ = static_cast<unsigned>(std::min<std::uint64_t>(burst_, tokens_ + earned));
        last_refill_ms_ = tokens_ == burst_ ? now_ms : last_refill_ms_ + earned * holdoff_ms_;
    } else {
        last_refill_ms_ = now_ms; // a full bucket earns nothing while it waits
    }
    if (tokens_ == 0)
        return last_refill_ms_ + holdoff_ms_ - now_ms;
    --tokens_;
    return 0;
}

} // namespace portcullis
