// SPDX-License-Identifier: GPL-2.0-or-later
// The manager: owns the config, catalogue, overrides, watchers and backend, and turns every
// change into at most one transaction. All decisions about ports are the planner's; the manager
// decides when to plan, commits, logs, and tells its listeners (the D-Bus API) what happened.
#pragma once

#include "core/catalog.hpp"
#include "core/config.hpp"
#include "core/live-plan.hpp"
#include "core/planner.hpp"
#include "portcullis/backend.hpp"
#include "portcullis/facts.hpp"
#include "portcullis/uv-util.hpp"
#include "sources/definitions-watch.hpp"
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
    std::string config_path = std::string(default_config_path);
    bool config_given = false; // a missing file is then an error, not "use the defaults"
    bool dry_run = false;
};

// Makes the backend for a config ("auto" probes). Returns null and sets *error on failure.
using BackendFactory =
    std::function<std::unique_ptr<Backend>(const Config& cfg, std::string* error)>;

// not_ready: the first ruleset is not in the kernel yet (the daemon waits for systemd), so an
// override cannot be applied before the call returns; nothing was changed. io_error: it could
// not be saved, or the kernel refused it; nothing was changed either.
enum class OverrideResult {
    ok,
    unknown_service,
    invalid_state,
    would_lock_out,
    io_error,
    not_ready,
    pending // a confirmed change waits for Confirm(); only one at a time
};

// A check run on the state a change would commit, before anything is written or committed:
// a non-empty message refuses the change (would_lock_out; reload: -EPERM) with that message.
// The D-Bus API passes one that looks for the caller's own session (app/confirm-lockout.hpp).
using ChangeGuard =
    std::function<std::string(const DesiredState& before, const DesiredState& after)>;

// What one applied change looked like, for the listeners. Valid during the callback only.
struct AppliedChange {
    std::uint64_t generation = 0;
    bool generation_changed = false;
    const Diff* diff = nullptr;
    // What was replaced: the whole previous state after a full plan (the first commit, a
    // reload), or else only the old decisions of the services whose decision changed.
    const DesiredState* before = nullptr;
    const std::vector<ServiceDecision>* replaced = nullptr;
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
    // With a guard that refuses, returns -EPERM and changes nothing.
    int reload(std::string* error, const ChangeGuard& guard = {});

    // "open", "closed" or "auto". Persisted, then in the kernel before this returns, whatever
    // the watchers are doing (an explicit order never waits for systemd); on failure nothing
    // changes.
    OverrideResult set_override(std::string_view id, std::string_view state, std::string* error,
                                const ChangeGuard& guard = {});

    // Commit-confirmed (app/confirm.cpp): the change is applied as by reload() and
    // set_override(), and rolled back by itself after `seconds` unless confirm() comes first.
    // One at a time: while one waits, another returns -EBUSY / OverrideResult::pending.
    int reload_confirmed(unsigned seconds, std::string* error);
    OverrideResult set_override_confirmed(std::string_view id, std::string_view state,
                                          unsigned seconds, std::string* error);
    // Keeps the waiting change; -ENOENT (and *error) when none waits.
    int confirm(std::string* error);
    // Seconds until the waiting change is rolled back (rounded up), 0 when none waits.
    [[nodiscard]] unsigned pending_confirm() const;

    [[nodiscard]] const Config& config() const { return config_; }
    [[nodiscard]] const Catalog& catalog() const { return catalog_; }
    [[nodiscard]] const Overrides& overrides() const { return overrides_; }
    // The last committed state (what the kernel holds).
    [[nodiscard]] const DesiredState& state() const { return plan_.state(); }
    [[nodiscard]] std::uint64_t generation() const { return generation_; }
    [[nodiscard]] const std::string& last_error() const { return last_error_; }
    [[nodiscard]] std::string_view backend_name() const;
    [[nodiscard]] std::optional<std::uint64_t> dropped();
    [[nodiscard]] std::string preview_ruleset() const;
    [[nodiscard]] bool dry_run() const { return opts_.dry_run; }

    // Listeners (the D-Bus API). Each is optional.
    std::function<void(const AppliedChange&)> on_applied;
    std::function<void()> on_last_error_changed;
    // The config or catalogue was replaced by a reload (service objects may have changed);
    // the old ones are valid during the callback.
    std::function<void(const Catalog& old_catalog, const Config& old_config)> on_reloaded;
    // A confirmed change was not confirmed in time and was rolled back; generation is the
    // Generation after the rollback's commit.
    std::function<void(std::uint64_t generation)> on_rolled_back;
    // A confirmed change began to wait, or stopped waiting (confirmed or rolled back).
    std::function<void()> on_pending_changed;

private:
    // What a confirmed change needs to undo itself (app/confirm.cpp).
    struct PendingChange {
        bool is_reload = false;
        std::string id;                   // SetOverrideConfirmed: the service, and
        std::optional<Override> previous; // its override before (none: "auto")
        std::optional<Config> old_config; // ReloadConfirmed: what it replaced
        std::optional<Catalog> old_catalog;
        std::uint64_t deadline_ns = 0; // uv_hrtime() clock
    };
    bool begin_pending(PendingChange p, unsigned seconds, std::string* error);
    // at_stop: the daemon stops (not the timer): said so in the log.
    void roll_back(bool at_stop = false);
    void end_pending();
    // The config and catalogue of a reload (or of its rollback) take over.
    void adopt(Config config, Catalog catalog);

    void schedule();
    void flush();
    bool watchers_synced() const;
    // Plans and commits what the inputs say now (read_sources: with what the sources say
    // now, else with what they said last); false when the commit failed (LastError says why,
    // *error too when given).
    bool commit_now(std::vector<std::uint32_t> touched, std::string* error, bool read_sources);
    bool commit_full(std::string* error);
    bool commit_step(std::vector<std::uint32_t> touched, std::string* error);
    bool commit_layout(const Diff& d, std::string* error, const DesiredState& want);
    void committed(const Diff& d, const DesiredState* before,
                   const std::vector<ServiceDecision>* replaced);
    // Brings seen_ up to date with the sources; appends the services the changes concern.
    void sync_facts(std::vector<std::uint32_t>* touched);
    void load_overrides_at_start();
    static void release_freed_memory();
    void start_watchers();
    // [synology] services_dirs: a change there (a package installed) reloads the catalogue.
    void watch_definitions();
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
    std::unique_ptr<DefinitionsWatch> definitions_;
    UvPtr<uv_timer_t> definitions_pause_; // one reload for a burst of changed files

    // The committed state, kept warm for the next change (core/live-plan.hpp), and the facts
    // it was planned from. A full plan is due at the start and after a reload; a failed
    // commit leaves the services it touched to the retry.
    LivePlan plan_;
    Facts seen_;
    bool needs_full_ = true;
    std::vector<std::uint32_t> retry_;
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

    std::optional<PendingChange> pending_;
    UvPtr<uv_timer_t> confirm_timer_;
};

} // namespace portcullis
