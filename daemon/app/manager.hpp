// SPDX-License-Identifier: GPL-2.0-or-later
// The manager: owns the config, catalogue, overrides, watchers and backend, and turns every
// change into at most one transaction. All decisions about ports are the planner's; the manager
// decides when to plan, commits, logs, and tells its listeners (the D-Bus API) what happened.
#pragma once

#include "core/catalog.hpp"
#include "core/config.hpp"
#include "core/planner.hpp"
#include "portcullis/backend.hpp"
#include "portcullis/facts.hpp"
#include "portcullis/uv-util.hpp"
#include "sources/source.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <uv.h>

namespace portcullis {

struct ManagerOptions {
    std::string config_path = "/etc/portcullis/portcullis.toml";
    bool config_given = false; // a missing file is then an error, not "use the defaults"
    bool dry_run = false;
};

// Makes the backend for a config ("auto" probes). Returns null and sets *error on failure.
using BackendFactory =
    std::function<std::unique_ptr<Backend>(const Config& cfg, std::string* error)>;

enum class OverrideResult { ok, unknown_service, invalid_state, would_lock_out, io_error };

// What one applied change looked like, for the listeners.
struct AppliedChange {
    std::uint64_t generation = 0;
    bool generation_changed = false;
    const DesiredState* before = nullptr; // valid during the callback only
    const Diff* diff = nullptr;
};

class Manager {
public:
    Manager(uv_loop_t* loop, ManagerOptions opts, BackendFactory backends,
            UnitSourceFactory unit_sources,
            PackageSourceFactory package_sources = make_synology_source);
    ~Manager();
    Manager(const Manager&) = delete;
    Manager& operator=(const Manager&) = delete;

    // Loads everything, starts the watchers and the backend and, once the watchers have told
    // what is enabled, commits the first ruleset and notifies READY=1. Returns 0, or an exit
    // status (78 for a bad config: then nothing was touched).
    int start();
    // Stops watching and closes every handle; the kernel keeps the last ruleset.
    void stop();

    // Re-reads config and catalogue. On error returns -EINVAL with the FILE:LINE:COLUMN
    // message in *error, sets LastError, and changes nothing else.
    int reload(std::string* error);

    // "open", "closed" or "auto". Persisted before it takes effect; on failure nothing changes.
    OverrideResult set_override(std::string_view id, std::string_view state, std::string* error);

    [[nodiscard]] const Config& config() const { return config_; }
    [[nodiscard]] const Catalog& catalog() const { return catalog_; }
    [[nodiscard]] const Overrides& overrides() const { return overrides_; }
    // The last committed state (what the kernel holds).
    [[nodiscard]] const DesiredState& state() const { return applied_; }
    [[nodiscard]] std::uint64_t generation() const { return generation_; }
    [[nodiscard]] const std::string& last_error() const { return last_error_; }
    [[nodiscard]] std::string_view backend_name() const;
    [[nodiscard]] std::optional<std::uint64_t> dropped();
    [[nodiscard]] std::string preview_ruleset() const;
    [[nodiscard]] bool dry_run() const { return opts_.dry_run; }

    // Listeners (the D-Bus API). Each is optional.
    std::function<void(const AppliedChange&)> on_applied;
    std::function<void()> on_last_error_changed;
    // The config or catalogue was replaced by a reload (service objects may have changed).
    std::function<void()> on_reloaded;

private:
    void schedule();
    void flush();
    bool watchers_synced() const;
    Facts facts() const;
    void start_watchers();
    void set_last_error(std::string message, bool is_config);
    void schedule_retry();
    void notify_status();
    void start_backend_events();
    static void on_backend_event(uv_poll_t* h, int status, int events);
    void handle_backend_event();

    uv_loop_t* loop_;
    ManagerOptions opts_;
    BackendFactory backends_;
    UnitSourceFactory unit_sources_;
    PackageSourceFactory package_sources_;

    Config config_;
    Catalog catalog_;
    Overrides overrides_;
    std::unique_ptr<Backend> backend_;
    std::unique_ptr<UnitSource> systemd_;
    std::unique_ptr<PackageSource> synology_;

    DesiredState applied_;
    bool have_applied_ = false;
    std::uint64_t generation_ = 0;
    std::string last_error_;
    bool last_error_is_config_ = false;

    UvPtr<uv_timer_t> coalesce_; // zero timer: one flush per loop iteration of events
    UvPtr<uv_timer_t> settle_;   // while the watchers settle or retrying a failed commit
    UvPtr<uv_timer_t> watchdog_;
    UvPtr<uv_poll_t> backend_events_;
    std::uint64_t startup_ms_ = 0;
    unsigned retry_ms_ = 0;
    unsigned settle_ms_ = 0; // current wait while the watchers settle
    bool ready_sent_ = false;
    bool stopping_ = false;
};

} // namespace portcullis
