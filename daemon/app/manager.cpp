// SPDX-License-Identifier: GPL-2.0-or-later
#include "app/manager.hpp"

#include "app/log.hpp"
#include "app/overrides-store.hpp"
#include "core/catalog-dirs.hpp"
#include "core/ruleset.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <malloc.h>
#include <set>
#include <systemd/sd-daemon.h>
#include <utility>

namespace portcullis {

namespace {

// How long the first commit waits for the watchers' initial sync. Committing earlier would
// close ports of services we have not heard about yet; waiting forever would leave a box
// without the ruleset when systemd's bus is gone.
constexpr std::uint64_t startup_sync_limit_ms = 10'000;
constexpr unsigned settle_poll_ms = 2;
constexpr unsigned connect_poll_ms = 100;
constexpr unsigned retry_min_ms = 1'000;
constexpr unsigned retry_max_ms = 30'000;

std::vector<std::string> unit_patterns(const Catalog& cat) {
    std::set<std::string> all;
    for (const auto& s : cat.services())
        all.insert(s.units.begin(), s.units.end());
    return {all.begin(), all.end()};
}

} // namespace

// Loading a catalogue builds a TOML tree many times its size and frees it again; glibc keeps
// the freed pages mapped unless asked to give them back, and with 5,000 services that was most
// of the daemon's memory. Called after each load and each whole plan.
void Manager::release_freed_memory() {
    malloc_trim(0);
}

Manager::Manager(uv_loop_t* loop, ManagerOptions opts, BackendFactory backends,
                 UnitSourceFactory unit_sources, PackageSourceFactory package_sources)
    : loop_(loop), opts_(std::move(opts)), backends_(std::move(backends)),
      unit_sources_(std::move(unit_sources)), package_sources_(std::move(package_sources)) {}

Manager::~Manager() {
    stop();
}

std::string_view Manager::backend_name() const {
    return backend_ ? backend_->name() : std::string_view("none");
}

std::optional<std::uint64_t> Manager::dropped() {
    return backend_ ? backend_->dropped() : std::nullopt;
}

std::string Manager::preview_ruleset() const {
    TableLayout l = build_layout(plan_.state(), config_.table);
    return backend_ ? backend_->render(l) : render_nft(l);
}

int Manager::start() {
    try {
        Loaded l = load_all(opts_.config_path, !opts_.config_given);
        config_ = std::move(l.config);
        catalog_ = std::move(l.catalog);
        for (const auto& w : l.warnings)
            log_warning(w.str());
    } catch (const ConfigError& e) {
        for (const auto& d : e.diagnostics())
            log_error(d.str());
        return 78;
    }
    release_freed_memory();
    log_info("portcullisd: " + std::to_string(catalog_.size()) + " services in the catalogue, " +
             std::to_string(config_.zones().size()) + " zone(s), mode " +
             std::string(to_string(config_.mode)) +
             (config_.path.empty() ? ", built-in defaults" : ", config " + config_.path) +
             (opts_.dry_run ? ", dry run: nftables is not touched" : ""));
    if (catalog_.size() == 0)
        log_warning("the catalogue is empty, so no service port will open: " +
                    empty_catalog_text(config_.catalog_dirs));
    load_overrides_at_start();

    int err = 0;
    coalesce_ = make_uv<uv_timer_t>(loop_, uv_timer_init, &err);
    settle_ = make_uv<uv_timer_t>(loop_, uv_timer_init, &err);
    if (!coalesce_ || !settle_) {
        log_error("cannot create timers: " + std::string(uv_strerror(err)));
        return 70;
    }
    coalesce_->data = settle_->data = this;

    if (!opts_.dry_run) {
        std::string why;
        backend_ = backends_ ? backends_(config_, &why) : nullptr;
        if (!backend_) {
            log_error("no firewall backend: " + why);
            return 70;
        }
        start_backend_events();
    }

    start_watchers();

    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
        watchdog_ = make_uv<uv_timer_t>(loop_, uv_timer_init, &err);
        if (watchdog_) {
            auto half = std::max<std::uint64_t>(usec / 2000, 1);
            uv_timer_start(
                watchdog_.get(), [](uv_timer_t*) { sd_notify(0, "WATCHDOG=1"); }, half, half);
        }
    }

    startup_ms_ = uv_now(loop_);
    schedule();
    return 0;
}

// The overrides are state, not config: a damaged file is moved aside and the daemon starts
// with the entries that parse, saying so in the log and in LastError (a start that stopped
// here would, with RestartPreventExitStatus=78, leave a stale table nothing updates).
void Manager::load_overrides_at_start() {
    OverridesAtStart o = portcullis::load_overrides_at_start(config_.state_dir, std::time(nullptr));
    overrides_ = std::move(o.overrides);
    if (o.problems.empty())
        return;
    for (const auto& d : o.problems)
        log_error(d.str());
    std::string path = overrides_path(config_.state_dir);
    std::string what =
        o.moved_to.empty()
            ? "cannot move it aside: " + errno_text(o.error)
            : "moved to " + o.moved_to +
                  (o.error < 0 ? "; cannot write the good entries back: " + errno_text(o.error)
                               : std::string());
    set_last_error(path + ": damaged (" + o.problems.front().str() + "); " + what + "; kept " +
                       std::to_string(overrides_.size()) + " override(s) that parse",
                   true);
}

void Manager::start_watchers() {
    systemd_.reset();
    synology_.reset();
    if (config_.systemd.enabled && unit_sources_) {
        systemd_ = unit_sources_(loop_, config_.bus, [this] { schedule(); });
        systemd_->set_patterns(unit_patterns(catalog_));
        if (int r = systemd_->start(); r < 0)
            log_warning("systemd watcher: " + errno_text(r));
    }
    if (config_.synology.enabled && package_sources_) {
        synology_ = package_sources_(loop_, config_.synology.packages_dir, [this] { schedule(); });
        if (int r = synology_->start(); r < 0)
            log_warning("synology watcher: " + errno_text(r));
    }
    watch_definitions();
}

void Manager::watch_definitions() {
    definitions_.reset();
    if (config_.synology.services_dirs.empty())
        return;
    if (!definitions_pause_) {
        int err = 0;
        definitions_pause_ = make_uv<uv_timer_t>(loop_, uv_timer_init, &err);
        if (!definitions_pause_)
            return;
        definitions_pause_->data = this;
    }
    // DSM writes a package's .sc file while it installs the package; 100 ms lets the rest of
    // a burst land, well inside the second a package takes to start.
    definitions_ =
        std::make_unique<DefinitionsWatch>(loop_, config_.synology.services_dirs, [this] {
            uv_timer_start(
                definitions_pause_.get(),
                [](uv_timer_t* t) {
                    auto* self = static_cast<Manager*>(t->data);
                    log_info("service definitions changed in " +
                             join(self->config_.synology.services_dirs) + "; reloading");
                    self->reload(nullptr);
                },
                100, 0);
        });
    definitions_->start();
}

void Manager::start_backend_events() {
    int fd = backend_->event_fd();
    if (fd < 0)
        return;
    int err = 0;
    backend_events_ = make_uv<uv_poll_t>(loop_, uv_poll_init, &err, fd);
    if (!backend_events_) {
        log_warning("cannot watch nftables events: " + std::string(uv_strerror(err)) +
                    "; changes made by others will not be repaired");
        return;
    }
    backend_events_->data = this;
    uv_poll_start(backend_events_.get(), UV_READABLE, on_backend_event);
}

void Manager::on_backend_event(uv_poll_t* h, int, int) {
    static_cast<Manager*>(h->data)->handle_backend_event();
}

void Manager::handle_backend_event() {
    if (!backend_ || !backend_->process_events() || !have_applied_)
        return;
    const std::string what = backend_->objects(config_.table);
    log_warning(what + ": changed by someone else; restoring");
    CommitResult r = backend_->repair();
    if (r)
        log_notice(what + ": restored");
    else
        set_last_error("restoring " + what + ": " + r.message, false);
}

void Manager::stop() {
    if (stopping_)
        return;
    // An unconfirmed change does not outlive the daemon (nor come back with its restart).
    if (pending_)
        roll_back(true);
    stopping_ = true;
    confirm_timer_.reset();
    systemd_.reset();
    synology_.reset();
    definitions_.reset();
    definitions_pause_.reset();
    backend_events_.reset();
    watchdog_.reset();
    settle_.reset();
    coalesce_.reset();
    // backend_ keeps nothing open in the loop; the kernel keeps the last ruleset.
}

void Manager::schedule() {
    if (stopping_ || !coalesce_)
        return;
    // A zero timer runs at the start of the next loop iteration, after every event of this
    // one was handled: everything that arrived together is one transaction, and a single
    // change waits for nothing.
    if (!uv_is_active(reinterpret_cast<uv_handle_t*>(coalesce_.get())))
        uv_timer_start(
            coalesce_.get(), [](uv_timer_t* t) { static_cast<Manager*>(t->data)->flush(); }, 0, 0);
}

bool Manager::watchers_synced() const {
    if (!systemd_)
        return true;
    if (systemd_->settling())
        return false;
    // Before the first commit, wait until systemd has been heard at least once.
    return have_applied_ || systemd_->connected();
}

void Manager::flush() {
    if (stopping_)
        return;
    if (!watchers_synced()) {
        bool give_up = !have_applied_ && uv_now(loop_) - startup_ms_ >= startup_sync_limit_ms &&
                       !systemd_->connected();
        if (!give_up) {
            // Replies are outstanding: they are part of this change; look again in a moment.
            // Before systemd was ever heard, look less often: that can take seconds.
            // While settling, back off from 2 ms up to 100 ms: a hung systemd can keep a
            // reply outstanding for sd-bus's whole call timeout.
            settle_ms_ = settle_ms_ ? std::min(settle_ms_ * 2, connect_poll_ms) : settle_poll_ms;
            unsigned delay = systemd_->connected() ? settle_ms_ : connect_poll_ms;
            uv_timer_start(
                settle_.get(), [](uv_timer_t* t) { static_cast<Manager*>(t->data)->flush(); },
                delay, 0);
            return;
        }
        log_warning("systemd is not reachable on bus '" + config_.bus +
                    "'; applying what is known now and following systemd once it is back");
    }
    settle_ms_ = 0;
    if (!commit_now({}, nullptr, true))
        schedule_retry();
}

void Manager::schedule_retry() {
    retry_ms_ = retry_ms_ ? std::min(retry_ms_ * 2, retry_max_ms) : retry_min_ms;
    uv_timer_start(
        settle_.get(), [](uv_timer_t* t) { static_cast<Manager*>(t->data)->flush(); }, retry_ms_,
        0);
}

void Manager::notify_status() {
    std::size_t ranges = 0;
    for (const auto& z : plan_.state().zones)
        ranges += z.tcp.size() + z.udp.size() + (z.icmp ? 1 : 0) + (z.icmpv6 ? 1 : 0);
    const auto& services = plan_.state().services;
    auto open = std::count_if(services.begin(), services.end(),
                              [](const ServiceDecision& d) { return d.open; });
    std::string status = "STATUS=" + std::string(to_string(config_.mode)) + ": " +
                         std::to_string(open) + " services open, " + std::to_string(ranges) +
                         " port ranges, generation " + std::to_string(generation_);
    if (!last_error_.empty())
        status += "; error: " + last_error_;
    sd_notify(0, status.c_str());
}

void Manager::set_last_error(std::string message, bool is_config) {
    if (!message.empty())
        log_error(message);
    if (message == last_error_)
        return;
    last_error_ = std::move(message);
    last_error_is_config_ = is_config;
    notify_status();
    if (on_last_error_changed)
        on_last_error_changed();
}

int Manager::reload(std::string* error, const ChangeGuard& guard) {
    Loaded l;
    try {
        l = load_all(opts_.config_path, !opts_.config_given);
        // Overrides may name services the new catalogue dropped; they are kept but inert.
        for (const auto& w : l.warnings)
            log_warning(w.str());
    } catch (const ConfigError& e) {
        std::string msg = e.what();
        if (error)
            *error = msg;
        log_error("reload failed; the running rules stay as they are");
        set_last_error(msg, true);
        return -EINVAL;
    }
    // The table and the bus are where the daemon lives; moving them needs a restart, and a
    // half-moved daemon is worse than an error.
    std::string refuse;
    if (l.config.table != config_.table)
        refuse = "changing 'table' needs a restart";
    else if (l.config.bus != config_.bus)
        refuse = "changing 'bus' needs a restart";
    else if (l.config.backend != config_.backend)
        refuse = "changing 'backend' needs a restart";
    else if (l.config.state_dir != config_.state_dir)
        refuse = "changing 'state_dir' needs a restart";
    if (!refuse.empty()) {
        std::string msg =
            (l.config.path.empty() ? std::string("config") : l.config.path) + ": " + refuse;
        if (error)
            *error = msg;
        set_last_error(msg, true);
        return -EINVAL;
    }

    if (guard) {
        std::string refused = guard(plan_.state(), plan(l.config, l.catalog, seen_, overrides_));
        if (!refused.empty()) {
            if (error)
                *error = refused;
            log_warning("reload refused: " + refused);
            return -EPERM;
        }
    }
    adopt(std::move(l.config), std::move(l.catalog));
    return 0;
}

void Manager::adopt(Config config, Catalog catalog) {
    bool watchers_changed = config.systemd.enabled != config_.systemd.enabled ||
                            config.synology.enabled != config_.synology.enabled ||
                            config.synology.packages_dir != config_.synology.packages_dir;
    bool definitions_moved = config.synology.services_dirs != config_.synology.services_dirs;
    // The old ones stay alive until the listeners have compared them with the new ones.
    Config old_config = std::exchange(config_, std::move(config));
    Catalog old_catalog = std::exchange(catalog_, std::move(catalog));
    needs_full_ = true;
    if (watchers_changed)
        start_watchers();
    else if (systemd_)
        systemd_->set_patterns(unit_patterns(catalog_));
    if (definitions_moved && !watchers_changed)
        watch_definitions();
    if (backend_ && config_.legacy.check_seconds != old_config.legacy.check_seconds)
        backend_->set_check_seconds(config_.legacy.check_seconds);
    log_info("reloaded: " + std::to_string(catalog_.size()) + " services, " +
             std::to_string(config_.zones().size()) + " zone(s), mode " +
             std::string(to_string(config_.mode)));
    if (!last_error_.empty())
        set_last_error("", false);
    if (on_reloaded)
        on_reloaded(old_catalog, old_config);
    old_catalog = {};
    release_freed_memory();
    schedule();
}

OverrideResult Manager::set_override(std::string_view id, std::string_view state,
                                     std::string* error, const ChangeGuard& guard) {
    auto fail = [&](OverrideResult r, std::string msg) {
        if (error)
            *error = std::move(msg);
        return r;
    };
    const Service* service = catalog_.find(id);
    if (!service)
        return fail(OverrideResult::unknown_service,
                    "no service \"" + printable(id) + "\" in the catalogue");
    std::optional<Override> o = override_from_string(state);
    if (!o && state != "auto")
        return fail(OverrideResult::invalid_state,
                    "state must be \"open\", \"closed\" or \"auto\", not \"" + printable(state) +
                        "\"");
    if (config_.is_always(id) && o == Override::closed)
        return fail(OverrideResult::would_lock_out,
                    "\"" + std::string(id) +
                        "\" is in [always] services: closing it could lock you out");

    // Before the first commit there is no table to change, and the first commit waits for
    // systemd (seconds with thousands of units): the order could not be in the kernel when the
    // call returns, so it is refused rather than left pending.
    if (!have_applied_)
        return fail(OverrideResult::not_ready,
                    "the daemon is starting and has not applied its first ruleset yet (it waits "
                    "for systemd); nothing was changed, try again in a moment");

    Overrides next = overrides_;
    if (o)
        next[std::string(id)] = *o;
    else
        next.erase(std::string(id));
    if (next == overrides_)
        return OverrideResult::ok;
    if (guard) {
        std::string refused = guard(plan_.state(), plan(config_, catalog_, seen_, next));
        if (!refused.empty())
            return fail(OverrideResult::would_lock_out, refused);
    }

    std::error_code ec;
    std::filesystem::create_directories(config_.state_dir, ec);
    if (int r = save_overrides(config_.state_dir, next); r < 0)
        return fail(OverrideResult::io_error,
                    "cannot write " + overrides_path(config_.state_dir) + ": " + errno_text(r));
    Overrides previous = std::exchange(overrides_, std::move(next));
    log_info("override " + std::string(id) + " = " + std::string(state));
    // The admin's order is in the kernel when the call returns, whatever the watchers are
    // doing: waiting for systemd to settle is for what the watchers report, never for an
    // explicit order. While they settle, what they said last, whole, stands (seen_).
    auto position = static_cast<std::uint32_t>(service - catalog_.services().data());
    std::string why;
    if (!commit_now({position}, &why, !systemd_ || !systemd_->settling())) {
        // The kernel refused the transaction: the file and the map go back as they were.
        overrides_ = std::move(previous);
        if (int r = save_overrides(config_.state_dir, overrides_); r < 0)
            log_error("cannot restore " + overrides_path(config_.state_dir) + ": " + errno_text(r));
        schedule_retry(); // for whatever else that transaction carried
        return fail(OverrideResult::io_error, "not applied: " + why + "; nothing was changed");
    }
    return OverrideResult::ok;
}

} // namespace portcullis
