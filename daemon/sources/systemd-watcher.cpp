// SPDX-License-Identifier: GPL-2.0-or-later
// The watcher's state machine: how it learns a unit's state (docs/systemd-watcher.md says it at
// length).
//
//   connect   AddMatch for NameOwnerChanged(org.freedesktop.systemd1), the Manager's signals
//             and PropertiesChanged of the Unit interface under /org/freedesktop/systemd1/unit;
//             then Manager.Subscribe, without which systemd emits no unit signals at all.
//   resync    ListUnitsByPatterns gives the loaded units and their ActiveState;
//             ListUnitFilesByPatterns the UnitFileState of every unit file in the unit
//             directories; GetUnitFileState the rest (template instances, whose enablement is a
//             symlink in a .wants directory, and units whose file went away).
//   refresh   the same for a few units, by name, after UnitNew or PropertiesChanged of a unit
//             we have not met.
//   signals   PropertiesChanged carries ActiveState; UnitNew/UnitRemoved say a unit was loaded
//             or unloaded; UnitFilesChanged (enable, disable, mask) and Reloading(false) (a
//             daemon-reload or the end of a daemon-reexec) mean "resync".
//   reexec    systemd drops its bus connection and a new process takes the name again:
//             NameOwnerChanged with a new owner means "Subscribe again and resync".
//
// Every call is asynchronous, and replies are applied the moment they arrive: systemd answers
// in order, so a reply is never older than a signal read before it. The map is published
// (on_change) only once nothing is outstanding, so a reload or reconnect never shows a
// half-synchronised map, and a burst of signals makes few on_change calls.
#include "sources/systemd-watcher.hpp"

#include "bus/bus-loop.hpp"
#include "bus/bus-open.hpp"
#include "bus/handles.hpp"
#include "portcullis/uv-util.hpp"
#include "sources/publish-pacer.hpp"
#include "sources/systemd-calls.hpp"
#include "sources/systemd-replies.hpp"
#include "sources/systemd-units.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <set>
#include <systemd/sd-bus.h>
#include <utility>

namespace portcullis {

namespace {

constexpr const char* systemd_service = "org.freedesktop.systemd1";

// The bus daemon resolves sender='well-known name' to the current owner, so these matches
// follow systemd across a reexec without being added again.
constexpr const char* match_owner =
    "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
    "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='org.freedesktop.systemd1'";
constexpr const char* match_manager =
    "type='signal',sender='org.freedesktop.systemd1',path='/org/freedesktop/systemd1',"
    "interface='org.freedesktop.systemd1.Manager'";
// arg0 keeps out the Service/Socket/... interfaces' PropertiesChanged, which systemd sends
// alongside and which carry nothing we read.
constexpr const char* match_units =
    "type='signal',sender='org.freedesktop.systemd1',interface='org.freedesktop.DBus.Properties',"
    "member='PropertiesChanged',path_namespace='/org/freedesktop/systemd1/unit',"
    "arg0='org.freedesktop.systemd1.Unit'";

// Changes after a quiet spell are published at once (up to publish_burst of them in a row);
// during a burst (100 units stopping one SIGCHLD at a time) at most once per this period, so
// the manager commits a few times, not a hundred.
constexpr std::uint64_t publish_holdoff_ms = 50;
constexpr unsigned publish_burst = 3;
constexpr std::uint64_t backoff_max_ms = 5000;

// Errors that no reconnect can fix: a malformed address, or no address at all for "user".
bool fatal_open_error(int r) {
    return r == -EINVAL || r == -ENOMEDIUM || r == -EPROTONOSUPPORT;
}

bool timer_active(const UvPtr<uv_timer_t>& t) {
    return uv_is_active(reinterpret_cast<const uv_handle_t*>(t.get())) != 0;
}

} // namespace

SystemdWatcher::SystemdWatcher(uv_loop_t* loop, std::string bus, std::function<void()> on_change)
    : loop_(loop), bus_spec_(std::move(bus)), on_change_(std::move(on_change)),
      calls_([this] { query_failed(); }, [this] { kick(); }), backoff_ms_(backoff_first_ms),
      pacer_(publish_holdoff_ms, publish_burst) {}

SystemdWatcher::~SystemdWatcher() {
    drop_connection();
}

void SystemdWatcher::set_patterns(std::vector<std::string> patterns) {
    table_.set_patterns(std::move(patterns));
    if (link_ == Link::up)
        resync_wanted_ = true;
    kick(); // publishes what set_patterns dropped when there is nothing to ask
}

// --- connection ---

int SystemdWatcher::start() {
    if (started_)
        return -EALREADY;
    int err = 0;
    retry_timer_ = make_uv<uv_timer_t>(loop_, uv_timer_init, &err);
    work_timer_ = make_uv<uv_timer_t>(loop_, uv_timer_init, &err);
    if (!retry_timer_ || !work_timer_)
        return -ENOMEM;
    retry_timer_->data = work_timer_->data = this;
    started_ = true;
    int r = connect();
    return r < 0 && fatal_open_error(r) ? r : 0;
}

int SystemdWatcher::connect() {
    drop_connection();
    sd_bus* raw = nullptr;
    int r = open_bus(bus_spec_, "portcullis-systemd", &raw);
    if (r < 0) {
        if (!fatal_open_error(r))
            schedule_retry();
        return r;
    }
    bus_.reset(raw);
    bus_loop_ = std::make_unique<BusLoop>(loop_, bus_.get(), [this] {
        // Called from inside BusLoop: leave the teardown to connect(), via the retry timer.
        connection_failed();
    });
    // Messages queue while sd-bus authenticates; they go out in this order after Hello.
    link_ = Link::subscribing;
    if ((r = add_matches()) < 0) {
        connection_failed();
        return r;
    }
    subscribe();
    if (link_ == Link::down)
        return -ENOTCONN;
    r = bus_loop_->start(); // may report a dead connection at once, through connection_failed()
    if (r < 0)
        connection_failed();
    return r;
}

void SystemdWatcher::drop_connection() {
    calls_.clear();
    matches_.clear();
    bus_loop_.reset(); // stops polling the fd before sd-bus closes it
    bus_.reset();
    link_ = Link::down;
    reloading_ = false;
    synced_ = false;
    rs_ = {};
    dirs_.stop(); // watched again once subscribed
}

// The connection is unusable. Replies still pending on it will never come (BusLoop stops at
// the first sign of a closed connection), so they are dropped here; the map stays as it is.
void SystemdWatcher::connection_failed() {
    calls_.clear();
    link_ = Link::down;
    reloading_ = false;
    resync_wanted_ = light_wanted_ = files_changed_ = reloaded_ = false;
    refresh_wanted_.clear();
    schedule_retry();
    kick();
}

void SystemdWatcher::schedule_retry() {
    if (!retry_timer_ || timer_active(retry_timer_))
        return;
    uv_timer_start(
        retry_timer_.get(), [](uv_timer_t* t) { static_cast<SystemdWatcher*>(t->data)->retry(); },
        backoff_ms_, 0);
    backoff_ms_ = std::min(backoff_ms_ * 2, backoff_max_ms);
}

// The backoff passed: reconnect, or (after a failed query) resync again.
void SystemdWatcher::retry() {
    if (link_ == Link::down) {
        connect();
    } else if (link_ == Link::up) {
        resync_wanted_ = true;
        kick();
    }
}

// --- the end of a batch ---

void SystemdWatcher::kick() {
    // Queries are never held back: a held publication is re-armed to run now (and held again).
    if (work_timer_ && (publish_held_ || !timer_active(work_timer_)))
        arm_work(0);
}

void SystemdWatcher::arm_work(std::uint64_t delay_ms) {
    uv_timer_start(
        work_timer_.get(), [](uv_timer_t* t) { static_cast<SystemdWatcher*>(t->data)->work(); },
        delay_ms, 0);
}

// End of a batch: send the queries the batch asked for, then publish if nothing is pending.
void SystemdWatcher::work() {
    send_queries();
    publish_held_ = false;
    if (queries_pending() || table_.fingerprint() == published_)
        return;
    publish();
}

void SystemdWatcher::send_queries() {
    if (link_ != Link::up)
        return;
    if (files_changed_ || reloaded_)
        target_changes();
    // One resync at a time: a cancelled call is still computed, and a full resync is seconds
    // of systemd's time with thousands of units. One wanted meanwhile waits for it (and then
    // stands for every reason to resync that came in the meantime).
    if (!calls_.pending(CallGroup::resync)) {
        if (resync_wanted_) {
            resync_wanted_ = light_wanted_ = false;
            refresh_wanted_.clear(); // a full resync looks at every unit
            start_resync(true);
        } else if (light_wanted_) {
            light_wanted_ = false;
            start_resync(false);
        }
    }
    if (!refresh_wanted_.empty())
        start_refresh();
}

// The map changed and is complete: announce it now, or once the pacer allows.
void SystemdWatcher::publish() {
    if (std::uint64_t wait_ms = pacer_.acquire(uv_now(loop_)); wait_ms > 0) {
        publish_held_ = true;
        arm_work(wait_ms);
        return;
    }
    published_ = table_.fingerprint();
    if (on_change_)
        on_change_(); // last: it may reconfigure or even destroy the watcher
}

bool SystemdWatcher::queries_pending() const {
    return !calls_.empty() || reloading_ ||
           (link_ == Link::up && (resync_wanted_ || light_wanted_ || files_changed_ || reloaded_ ||
                                  !refresh_wanted_.empty()));
}

// A held publication counts: the map is about to be announced, and a manager that commits now
// would commit again in a moment.
bool SystemdWatcher::settling() const {
    // A failed query's retry is pending before the first resync of this connection came in
    // whole: the map is known to be incomplete, and committing it would close what is open.
    return queries_pending() || publish_held_ ||
           (link_ == Link::up && !synced_ && retry_timer_ && timer_active(retry_timer_));
}

// --- queries ---

int SystemdWatcher::match_installed(sd_bus_message* m, void* userdata, sd_bus_error* /*e*/) {
    // A bus that refuses our match rules (a quota) would leave us deaf: start over, later.
    if (sd_bus_message_is_method_error(m, nullptr))
        static_cast<SystemdWatcher*>(userdata)->connection_failed();
    return 0;
}

int SystemdWatcher::add_matches() {
    struct Spec {
        const char* rule;
        sd_bus_message_handler_t handler;
    };
    const Spec specs[] = {
        {match_owner, &signal_trampoline<&SystemdWatcher::on_owner_changed>},
        {match_manager, &signal_trampoline<&SystemdWatcher::on_manager_signal>},
        {match_units, &signal_trampoline<&SystemdWatcher::on_unit_properties>},
    };
    for (const auto& s : specs) {
        sd_bus_slot* slot = nullptr;
        int r = sd_bus_add_match_async(bus_.get(), &slot, s.rule, s.handler, match_installed, this);
        if (r < 0)
            return r;
        matches_.emplace_back(slot);
    }
    return 0;
}

int SystemdWatcher::call(CallGroup g, const char* member, const ManagerArgs& args,
                         SystemdCalls::Reply done) {
    return calls_.call(bus_.get(), g, member, args, std::move(done));
}

// --- signals ---

template <void (SystemdWatcher::*handler)(sd_bus_message*)>
int SystemdWatcher::signal_trampoline(sd_bus_message* m, void* userdata, sd_bus_error* /*e*/) {
    auto* self = static_cast<SystemdWatcher*>(userdata);
    try {
        (self->*handler)(m);
    } catch (...) {
        self->query_failed(); // out of memory, most likely: keep the map, try again later
    }
    self->kick();
    return 0;
}

void SystemdWatcher::on_owner_changed(sd_bus_message* m) {
    const char *name, *old_owner, *new_owner;
    if (link_ == Link::down || sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0)
        return;
    if (std::strcmp(name, systemd_service) != 0)
        return;
    if (*new_owner == '\0') {
        // systemd left the bus (a reexec, or it stopped). Keep the map; what was asked of the
        // old process will not be answered.
        calls_.cancel(CallGroup::link);
        calls_.cancel(CallGroup::resync);
        calls_.cancel(CallGroup::refresh);
        refresh_wanted_.clear();
        resync_wanted_ = light_wanted_ = files_changed_ = reloaded_ = false;
        reloading_ = false;
        link_ = Link::waiting;
        return;
    }
    // A new systemd process owns the name. Subscriptions belong to a connection; whether the
    // new one inherited ours or not, asking again is harmless (AlreadySubscribed).
    calls_.cancel(CallGroup::resync);
    calls_.cancel(CallGroup::refresh);
    subscribe();
}

void SystemdWatcher::on_manager_signal(sd_bus_message* m) {
    if (link_ != Link::up && link_ != Link::subscribing)
        return;
    const char* member = sd_bus_message_get_member(m);
    if (!member)
        return;
    const bool following = link_ == Link::up && !reloading_;
    if (std::strcmp(member, "Reloading") == 0) {
        int active = 0;
        if (sd_bus_message_read(m, "b", &active) < 0)
            return;
        // While systemd reloads it frees and rebuilds every unit; what it says meanwhile is
        // superseded by the resync that follows Reloading(false).
        reloading_ = active != 0;
        if (!reloading_)
            reloaded_ = true;
    } else if (std::strcmp(member, "UnitFilesChanged") == 0) {
        // enable/disable/mask/link/preset: which files changed is not said; the watched unit
        // directories tell (target_changes(), at the end of the batch).
        files_changed_ = true;
    } else if (following && std::strcmp(member, "UnitNew") == 0) {
        const char *id, *path;
        if (sd_bus_message_read(m, "so", &id, &path) >= 0 && table_.matches(id))
            refresh_wanted_.emplace(id);
    } else if (following && std::strcmp(member, "UnitRemoved") == 0) {
        const char *id, *path;
        if (sd_bus_message_read(m, "so", &id, &path) >= 0)
            table_.unit_unloaded(id);
    }
}

void SystemdWatcher::on_unit_properties(sd_bus_message* m) {
    if (link_ != Link::up || reloading_)
        return;
    const char* path = sd_bus_message_get_path(m);
    std::string name = path ? unit_name_from_path(path) : std::string();
    if (!table_.matches(name))
        return;
    UnitPropertiesChange change;
    if (read_unit_properties(m, &change) < 0)
        return;
    const bool known = table_.units().contains(name);
    if (change.active_state)
        table_.set_active_state(name, std::move(*change.active_state));
    // A unit we have not met (loaded before we subscribed, UnitNew missed): learn its file state.
    if (!known || change.active_invalidated)
        refresh_wanted_.insert(std::move(name));
}

std::unique_ptr<UnitSource> make_systemd_source(uv_loop_t* loop, const std::string& bus,
                                                std::function<void()> on_change) {
    return std::make_unique<SystemdWatcher>(loop, bus, std::move(on_change));
}

} // namespace portcullis
