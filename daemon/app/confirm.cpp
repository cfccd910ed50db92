// SPDX-License-Identifier: GPL-2.0-or-later
// Commit-confirmed: a change applied at once that undoes itself unless Confirm() comes in time,
// for admins who may cut off their own session (a change that closes the port they came in
// through). The rest of Manager is in manager.cpp and manager-commit.cpp.
#include "app/log.hpp"
#include "app/manager.hpp"
#include "app/overrides-store.hpp"
#include "core/strings.hpp"

#include <cerrno>
#include <utility>

namespace portcullis {

namespace {

constexpr std::uint64_t ns_per_s = 1'000'000'000;

std::string busy_text(unsigned left) {
    return "a confirmed change is already waiting for Confirm() (rolled back in " +
           std::to_string(left) + " s); confirm it or let it roll back first";
}

} // namespace

unsigned Manager::pending_confirm() const {
    if (!pending_)
        return 0;
    std::uint64_t now = uv_hrtime();
    if (now >= pending_->deadline_ns)
        return 1; // due: the rollback runs on this loop iteration
    return static_cast<unsigned>((pending_->deadline_ns - now + ns_per_s - 1) / ns_per_s);
}

OverrideResult Manager::set_override_confirmed(std::string_view id, std::string_view state,
                                               unsigned seconds, std::string* error) {
    if (pending_) {
        if (error)
            *error = busy_text(pending_confirm());
        return OverrideResult::pending;
    }
    PendingChange p;
    p.id = std::string(id);
    if (auto it = overrides_.find(id); it != overrides_.end())
        p.previous = it->second;
    OverrideResult r = set_override(id, state, error);
    if (r != OverrideResult::ok)
        return r;
    if (!begin_pending(std::move(p), seconds, error))
        return OverrideResult::io_error;
    return r;
}

int Manager::reload_confirmed(unsigned seconds, std::string* error) {
    if (pending_) {
        if (error)
            *error = busy_text(pending_confirm());
        return -EBUSY;
    }
    // Copies: the rollback puts back exactly what ran, without reading any file again.
    PendingChange p;
    p.is_reload = true;
    p.old_config = config_;
    p.old_catalog = catalog_;
    if (int r = reload(error); r < 0)
        return r;
    if (!begin_pending(std::move(p), seconds, error))
        return -ENOMEM;
    return 0;
}

bool Manager::begin_pending(PendingChange p, unsigned seconds, std::string* error) {
    if (!confirm_timer_) {
        int err = 0;
        confirm_timer_ = make_uv<uv_timer_t>(loop_, uv_timer_init, &err);
        if (!confirm_timer_) {
            // Applied but cannot be timed: undo it now rather than leave it unguarded.
            pending_ = std::move(p);
            roll_back();
            if (error)
                *error = "cannot create the confirm timer: " + std::string(uv_strerror(err)) +
                         "; the change was rolled back";
            return false;
        }
        confirm_timer_->data = this;
    }
    // The loop's clock is that of the iteration's start; the deadline counts from now.
    uv_update_time(loop_);
    p.deadline_ns = uv_hrtime() + seconds * ns_per_s;
    std::string what = p.is_reload ? "reload" : "override " + p.id;
    pending_ = std::move(p);
    uv_timer_start(
        confirm_timer_.get(), [](uv_timer_t* t) { static_cast<Manager*>(t->data)->roll_back(); },
        std::uint64_t{seconds} * 1000, 0);
    log_notice(what + " applied; rolled back in " + std::to_string(seconds) +
               " s unless confirmed (Confirm)");
    if (on_pending_changed)
        on_pending_changed();
    return true;
}

int Manager::confirm(std::string* error) {
    if (!pending_) {
        if (error)
            *error = "no confirmed change is waiting for Confirm()";
        return -ENOENT;
    }
    log_notice(
        "confirmed: " + (pending_->is_reload ? std::string("reload") : "override " + pending_->id) +
        " kept");
    end_pending();
    return 0;
}

void Manager::end_pending() {
    pending_.reset();
    if (confirm_timer_)
        uv_timer_stop(confirm_timer_.get());
    if (on_pending_changed)
        on_pending_changed();
}

// Puts back what the waiting change replaced, and commits it at once (as SetOverride does:
// on what the watchers last reported whole when they are busy). Changes made by other calls
// meanwhile stay, except that a reload's rollback puts back the config and catalogue from
// before it.
void Manager::roll_back(bool at_stop) {
    PendingChange p = std::move(*pending_);
    pending_.reset();
    if (confirm_timer_)
        uv_timer_stop(confirm_timer_.get());
    auto late_ms = static_cast<long long>(uv_hrtime() - p.deadline_ns) / 1'000'000;
    std::string what;
    std::vector<std::uint32_t> touched;
    if (p.is_reload) {
        adopt(std::move(*p.old_config), std::move(*p.old_catalog));
        what = "reload (the config and catalogue from before it are back)";
    } else {
        Overrides next = overrides_;
        if (p.previous)
            next[p.id] = *p.previous;
        else
            next.erase(p.id);
        if (int r = save_overrides(config_.state_dir, next); r < 0)
            set_last_error("rolling back override " + p.id + ": cannot write " +
                               overrides_path(config_.state_dir) + ": " + errno_text(r),
                           false);
        overrides_ = std::move(next);
        if (const Service* s = catalog_.find(p.id))
            touched.push_back(static_cast<std::uint32_t>(s - catalog_.services().data()));
        what = "override " + p.id + " (back to " +
               (p.previous ? std::string(to_string(*p.previous)) : std::string("auto")) + ")";
    }
    // A watcher restarted by the reload's rollback has not reported yet: plan on what it said.
    bool read_sources = !systemd_ || (systemd_->connected() && !systemd_->settling());
    std::string why;
    if (!commit_now(std::move(touched), &why, read_sources))
        schedule_retry();
    if (at_stop)
        log_notice("stopping with a change not confirmed: rolled back " + what + "; generation " +
                   std::to_string(generation_));
    else
        log_notice("not confirmed in time: rolled back " + what + ", " + std::to_string(late_ms) +
                   " ms after the deadline; generation " + std::to_string(generation_));
    if (on_rolled_back)
        on_rolled_back(generation_);
    if (on_pending_changed)
        on_pending_changed();
}

} // namespace portcullis
