// SPDX-License-Identifier: GPL-2.0-or-later
// How the watcher learns a unit's state (docs/systemd-watcher.md says it at length):
//
//   connect   AddMatch for NameOwnerChanged(org.freedesktop.systemd1), the Manager's signals
//             and PropertiesChanged of the Unit interface under /org/freedesktop/systemd1/unit;
//             then Manager.Subscribe, without which systemd emits no unit signals at all.
//   resync    ListUnitsByPatterns gives the loaded units and their ActiveState;
//             ListUnitFilesByPatterns the UnitFileState of every unit file in the unit
//             directories; GetUnitFileState the rest (template instances, whose enablement is a
//             symlink in a .wants directory, and units whose file went away).
//   signals   PropertiesChanged carries ActiveState; UnitNew/UnitRemoved say a unit was loaded
//             or unloaded; UnitFilesChanged (enable, disable, mask) and Reloading(false) (a
//             daemon-reload or the end of a daemon-reexec) mean "resync".
//   reexec    systemd drops its bus connection and a new process takes the name again:
//             NameOwnerChanged with a new owner means "Subscribe again and resync".
//
// Every call is asynchronous, and replies are applied the moment they arrive: systemd answers
// in order, so a reply is never older than a signal read before it. The map is published
// (on_change) only once nothing is outstanding, so a reload or reconnect never shows a
// half-synchronised map, and a burst of signals makes one call.
#include "sources/systemd-watcher.hpp"

#include "bus/bus-loop.hpp"
#include "bus/bus-open.hpp"
#include "bus/handles.hpp"
#include "portcullis/uv-util.hpp"
#include "sources/systemd-units.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string_view>
#include <systemd/sd-bus.h>
#include <utility>

namespace portcullis {

namespace {

constexpr const char* systemd_service = "org.freedesktop.systemd1";
constexpr const char* manager_path = "/org/freedesktop/systemd1";
constexpr const char* manager_interface = "org.freedesktop.systemd1.Manager";

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
constexpr std::uint64_t backoff_first_ms = 100;
constexpr std::uint64_t backoff_max_ms = 5000;

using bus::append_strv;
using bus::BusPtr;
using bus::MessagePtr;
using bus::SlotPtr;

// Errors that no reconnect can fix: a malformed address, or no address at all for "user".
bool fatal_open_error(int r) {
    return r == -EINVAL || r == -ENOMEDIUM || r == -EPROTONOSUPPORT;
}

// Reply errors meaning "systemd is not on this bus (right now)".
bool manager_absent(const sd_bus_error* e) {
    return sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
           sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER);
}

// Reply errors of GetUnitFileState meaning "there is no unit file". Anything else (NoReply
// when systemd goes away mid-call, AccessDenied, ...) says nothing about the unit.
bool no_unit_file(const sd_bus_error* e) {
    return sd_bus_error_has_name(e, SD_BUS_ERROR_FILE_NOT_FOUND) ||
           sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchUnit") ||
           sd_bus_error_get_errno(e) == ENOENT;
}

// Reads ListUnits' a(ssssssouso) into (name, ActiveState) pairs of the selected units.
int read_unit_list(sd_bus_message* m, const UnitTable& table,
                   std::vector<std::pair<std::string, std::string>>* out) {
    int r = sd_bus_message_enter_container(m, 'a', "(ssssssouso)");
    if (r < 0)
        return r;
    for (;;) {
        const char *id, *description, *load, *active, *sub, *following, *path, *job_type, *job_path;
        std::uint32_t job_id;
        r = sd_bus_message_read(m, "(ssssssouso)", &id, &description, &load, &active, &sub,
                                &following, &path, &job_id, &job_type, &job_path);
        if (r < 0)
            return r;
        if (r == 0)
            break;
        if (table.matches(id))
            out->emplace_back(id, active);
    }
    return sd_bus_message_exit_container(m);
}

// Reads ListUnitFiles' a(ss) (path, state) into name -> UnitFileState of the selected units.
int read_unit_files(sd_bus_message* m, const UnitTable& table,
                    std::map<std::string, std::string>* out) {
    int r = sd_bus_message_enter_container(m, 'a', "(ss)");
    if (r < 0)
        return r;
    for (;;) {
        const char *path, *state;
        r = sd_bus_message_read(m, "(ss)", &path, &state);
        if (r < 0)
            return r;
        if (r == 0)
            break;
        const char* slash = std::strrchr(path, '/');
        std::string name = slash ? slash + 1 : path;
        // The first directory in the search path wins, as in systemd: a file in /etc masks
        // one of the same name in /usr/lib, and ListUnitFiles lists each name once anyway.
        if (table.matches(name))
            out->emplace(std::move(name), state);
    }
    return sd_bus_message_exit_container(m);
}

} // namespace

struct SystemdWatcher::Impl {
    // down: no bus connection (the retry timer reconnects). waiting: on the bus, systemd is not
    // (NameOwnerChanged will say when it comes). subscribing: Subscribe sent. up: following.
    enum class Link { down, waiting, subscribing, up };
    // Outstanding calls by purpose, so that a restart can drop exactly the stale ones.
    enum class Group { link, resync, refresh };

    struct Call {
        Impl* self;
        std::uint64_t id;
        Group group;
        std::function<void(sd_bus_message*)> done;
        SlotPtr slot;
    };

    Impl(uv_loop_t* l, std::string spec, std::function<void()> cb)
        : loop(l), bus_spec(std::move(spec)), on_change(std::move(cb)) {}
    ~Impl() { drop_connection(); }

    int start();
    int connect();
    void drop_connection();
    void connection_failed();
    void schedule_retry();
    void kick();
    void work();
    [[nodiscard]] bool queries_pending() const;
    [[nodiscard]] bool settling() const;

    int add_matches();
    void subscribe();
    void start_resync();
    void resync_lists_done();
    void start_refresh();
    void ask_file_state(const std::string& name, Group g);
    void query_failed();

    int call(Group g, const char* member, const std::vector<std::string>* a1,
             const std::vector<std::string>* a2, const char* s1,
             std::function<void(sd_bus_message*)> done);
    void cancel(Group g);

    void on_owner_changed(sd_bus_message* m);
    void on_manager_signal(sd_bus_message* m);
    void on_unit_properties(sd_bus_message* m);

    static int reply_trampoline(sd_bus_message* m, void* userdata, sd_bus_error* e);
    template <void (Impl::*handler)(sd_bus_message*)>
    static int signal_trampoline(sd_bus_message* m, void* userdata, sd_bus_error* e);
    static int match_installed(sd_bus_message* m, void* userdata, sd_bus_error* e);

    uv_loop_t* loop;
    std::string bus_spec;
    std::function<void()> on_change;
    UnitTable table;
    UnitTable::Map published; // what on_change last announced

    // Start order; drop_connection() and the destructor tear down in reverse.
    UvPtr<uv_timer_t> retry_timer; // armed only after a failure: reconnect or resync again
    UvPtr<uv_timer_t> work_timer;  // zero delay: runs after every event of a loop iteration
    BusPtr bus;
    std::unique_ptr<BusLoop> bus_loop;
    std::vector<SlotPtr> matches;
    std::map<std::uint64_t, std::unique_ptr<Call>> calls;

    Link link = Link::down;
    bool started = false;
    bool reloading = false;     // between Reloading(true) and Reloading(false)
    bool legacy = false;        // systemd without the *ByPatterns methods (before v230)
    bool resync_wanted = false; // folded into one resync at the end of the batch
    std::set<std::string, std::less<>> refresh_wanted; // units to look up at the end of the batch
    std::uint64_t next_call_id = 1;
    std::uint64_t backoff_ms = backoff_first_ms;
    unsigned publish_tokens = publish_burst;
    std::uint64_t last_refill_ms = 0;
    bool publish_held = false; // a change waits for the hold-off to pass

    struct Resync {
        bool have_loaded = false;
        bool have_files = false;
        std::vector<std::string> loaded; // selected units ListUnits* returned
        std::map<std::string, std::string> files;
    } rs;
};

int SystemdWatcher::Impl::start() {
    if (started)
        return -EALREADY;
    int err = 0;
    retry_timer = make_uv<uv_timer_t>(loop, uv_timer_init, &err);
    work_timer = make_uv<uv_timer_t>(loop, uv_timer_init, &err);
    if (!retry_timer || !work_timer)
        return -ENOMEM;
    retry_timer->data = work_timer->data = this;
    started = true;
    int r = connect();
    return r < 0 && fatal_open_error(r) ? r : 0;
}

int SystemdWatcher::Impl::connect() {
    drop_connection();
    sd_bus* raw = nullptr;
    int r = open_bus(bus_spec, "portcullis-systemd", &raw);
    if (r < 0) {
        if (!fatal_open_error(r))
            schedule_retry();
        return r;
    }
    bus.reset(raw);
    bus_loop = std::make_unique<BusLoop>(loop, bus.get(), [this] {
        // Called from inside BusLoop: leave the teardown to connect(), via the retry timer.
        connection_failed();
    });
    // Messages queue while sd-bus authenticates; they go out in this order after Hello.
    link = Link::subscribing;
    if ((r = add_matches()) < 0) {
        connection_failed();
        return r;
    }
    subscribe();
    if (link == Link::down)
        return -ENOTCONN;
    r = bus_loop->start(); // may report a dead connection at once, through connection_failed()
    if (r < 0)
        connection_failed();
    return r;
}

void SystemdWatcher::Impl::drop_connection() {
    calls.clear();
    matches.clear();
    bus_loop.reset(); // stops polling the fd before sd-bus closes it
    bus.reset();
    link = Link::down;
    reloading = false;
    rs = {};
}

// The connection is unusable. Replies still pending on it will never come (BusLoop stops at
// the first sign of a closed connection), so they are dropped here; the map stays as it is.
void SystemdWatcher::Impl::connection_failed() {
    calls.clear();
    link = Link::down;
    reloading = false;
    resync_wanted = false;
    refresh_wanted.clear();
    schedule_retry();
    kick();
}

void SystemdWatcher::Impl::schedule_retry() {
    if (!retry_timer || uv_is_active(reinterpret_cast<uv_handle_t*>(retry_timer.get())))
        return;
    uv_timer_start(
        retry_timer.get(),
        [](uv_timer_t* t) {
            auto* self = static_cast<Impl*>(t->data);
            if (self->link == Link::down)
                self->connect();
            else if (self->link == Link::up) {
                self->resync_wanted = true;
                self->kick();
            }
        },
        backoff_ms, 0);
    backoff_ms = std::min(backoff_ms * 2, backoff_max_ms);
}

void SystemdWatcher::Impl::kick() {
    // Queries are never held back: a held publication is re-armed to run now (and held again).
    if (work_timer &&
        (publish_held || !uv_is_active(reinterpret_cast<uv_handle_t*>(work_timer.get()))))
        uv_timer_start(
            work_timer.get(), [](uv_timer_t* t) { static_cast<Impl*>(t->data)->work(); }, 0, 0);
}

// End of a batch: send the queries the batch asked for, then publish if nothing is pending.
void SystemdWatcher::Impl::work() {
    if (link == Link::up) {
        if (resync_wanted) {
            resync_wanted = false;
            refresh_wanted.clear(); // a resync looks at every unit
            start_resync();
        } else if (!refresh_wanted.empty()) {
            start_refresh();
        }
    }
    publish_held = false;
    if (queries_pending() || table.units() == published)
        return;
    // A token bucket: up to publish_burst announcements go out at once (an admin's
    // `disable --now` is two or three changes a few ms apart, and must not wait), then one per
    // publish_holdoff_ms while a burst lasts.
    const std::uint64_t now = uv_now(loop);
    if (publish_tokens < publish_burst) {
        std::uint64_t earned = (now - last_refill_ms) / publish_holdoff_ms;
        publish_tokens =
            static_cast<unsigned>(std::min<std::uint64_t>(publish_burst, publish_tokens + earned));
        last_refill_ms =
            publish_tokens == publish_burst ? now : last_refill_ms + earned * publish_holdoff_ms;
    } else {
        last_refill_ms = now;
    }
    if (publish_tokens == 0) {
        publish_held = true;
        uv_timer_start(
            work_timer.get(), [](uv_timer_t* t) { static_cast<Impl*>(t->data)->work(); },
            last_refill_ms + publish_holdoff_ms - now, 0);
        return;
    }
    --publish_tokens;
    published = table.units();
    if (on_change)
        on_change(); // last: it may reconfigure or even destroy the watcher
}

bool SystemdWatcher::Impl::queries_pending() const {
    return !calls.empty() || reloading ||
           (link == Link::up && (resync_wanted || !refresh_wanted.empty()));
}

// A held publication counts: the map is about to be announced, and a manager that commits now
// would commit again in a moment.
bool SystemdWatcher::Impl::settling() const {
    return queries_pending() || publish_held;
}

int SystemdWatcher::Impl::match_installed(sd_bus_message* m, void* userdata, sd_bus_error*) {
    // A bus that refuses our match rules (a quota) would leave us deaf: start over, later.
    if (sd_bus_message_is_method_error(m, nullptr))
        static_cast<Impl*>(userdata)->connection_failed();
    return 0;
}

int SystemdWatcher::Impl::add_matches() {
    struct Spec {
        const char* rule;
        sd_bus_message_handler_t handler;
    };
    const Spec specs[] = {
        {match_owner, &signal_trampoline<&Impl::on_owner_changed>},
        {match_manager, &signal_trampoline<&Impl::on_manager_signal>},
        {match_units, &signal_trampoline<&Impl::on_unit_properties>},
    };
    for (const auto& s : specs) {
        sd_bus_slot* slot = nullptr;
        int r = sd_bus_add_match_async(bus.get(), &slot, s.rule, s.handler, match_installed, this);
        if (r < 0)
            return r;
        matches.emplace_back(slot);
    }
    return 0;
}

void SystemdWatcher::Impl::subscribe() {
    cancel(Group::link);
    link = Link::subscribing;
    int r = call(Group::link, "Subscribe", nullptr, nullptr, nullptr, [this](sd_bus_message* m) {
        const sd_bus_error* e = sd_bus_message_get_error(m);
        if (e && !sd_bus_error_has_name(e, "org.freedesktop.systemd1.AlreadySubscribed")) {
            if (manager_absent(e)) {
                // The bus works; systemd is simply not there. NameOwnerChanged brings it.
                backoff_ms = backoff_first_ms;
                link = Link::waiting;
                return;
            }
            connection_failed();
            return;
        }
        backoff_ms = backoff_first_ms;
        link = Link::up;
        resync_wanted = true;
    });
    if (r < 0)
        connection_failed();
}

void SystemdWatcher::Impl::start_resync() {
    cancel(Group::resync);
    rs = {};
    if (table.patterns().empty()) {
        table.apply_loaded({}, nullptr); // nothing is selected: the map is empty
        return;
    }
    const auto globs = unit_globs(table.patterns());
    const std::vector<std::string> no_states;
    const bool was_legacy = legacy;
    auto fall_back = [this, was_legacy](const sd_bus_error* e) {
        if (!was_legacy && sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_METHOD)) {
            legacy = true; // ask again with ListUnits/ListUnitFiles and filter here
            resync_wanted = true;
            return;
        }
        query_failed();
    };
    int r = call(Group::resync, legacy ? "ListUnits" : "ListUnitsByPatterns",
                 legacy ? nullptr : &no_states, legacy ? nullptr : &globs, nullptr,
                 [this, fall_back](sd_bus_message* m) {
                     if (const sd_bus_error* e = sd_bus_message_get_error(m))
                         return fall_back(e);
                     std::vector<std::pair<std::string, std::string>> loaded;
                     if (read_unit_list(m, table, &loaded) < 0)
                         return query_failed();
                     table.apply_loaded(loaded, nullptr);
                     for (auto& kv : loaded)
                         rs.loaded.push_back(std::move(kv.first));
                     rs.have_loaded = true;
                     resync_lists_done();
                 });
    if (r >= 0)
        r = call(Group::resync, legacy ? "ListUnitFiles" : "ListUnitFilesByPatterns",
                 legacy ? nullptr : &no_states, legacy ? nullptr : &globs, nullptr,
                 [this, fall_back](sd_bus_message* m) {
                     if (const sd_bus_error* e = sd_bus_message_get_error(m))
                         return fall_back(e);
                     if (read_unit_files(m, table, &rs.files) < 0)
                         return query_failed();
                     rs.have_files = true;
                     resync_lists_done();
                 });
    if (r < 0)
        connection_failed();
}

void SystemdWatcher::Impl::resync_lists_done() {
    if (!rs.have_loaded || !rs.have_files)
        return;
    for (const auto& [name, state] : rs.files)
        table.set_file_state(name, state);
    // Units loaded or known but without a file of their own in a unit directory: template
    // instances (enabled = a symlink in some .wants/), generated or transient units, and units
    // whose file was removed. (A loaded, inactive instance is not in the map yet: it is kept
    // only if its file state names it.) GetUnitFileState reads the disk, never loads a unit.
    std::set<std::string, std::less<>> ask(rs.loaded.begin(), rs.loaded.end());
    for (const auto& kv : table.units())
        ask.insert(kv.first);
    for (const auto& name : ask)
        if (!rs.files.contains(name))
            ask_file_state(name, Group::resync);
}

// One unit, or a few, appeared or changed without us knowing its file state. ListUnitsByPatterns
// with the exact names (not LoadUnit, GetUnit + Get, or ListUnitsByNames: those load a unit
// that is not loaded, and loading makes systemd send UnitNew again, for ever).
void SystemdWatcher::Impl::start_refresh() {
    std::vector<std::string> names(refresh_wanted.begin(), refresh_wanted.end());
    refresh_wanted.clear();
    const std::vector<std::string> no_states;
    int r = call(Group::refresh, legacy ? "ListUnits" : "ListUnitsByPatterns",
                 legacy ? nullptr : &no_states, legacy ? nullptr : &names, nullptr,
                 [this, names](sd_bus_message* m) {
                     if (sd_bus_message_is_method_error(m, nullptr))
                         return query_failed();
                     std::vector<std::pair<std::string, std::string>> loaded;
                     if (read_unit_list(m, table, &loaded) < 0)
                         return query_failed();
                     std::erase_if(loaded, [&names](const auto& kv) {
                         return std::find(names.begin(), names.end(), kv.first) == names.end();
                     });
                     table.apply_loaded(loaded, &names);
                 });
    if (r < 0)
        return connection_failed();
    for (const auto& name : names)
        ask_file_state(name, Group::refresh);
}

void SystemdWatcher::Impl::ask_file_state(const std::string& name, Group g) {
    int r = call(g, "GetUnitFileState", nullptr, nullptr, name.c_str(),
                 [this, name](sd_bus_message* m) {
                     if (const sd_bus_error* e = sd_bus_message_get_error(m)) {
                         if (no_unit_file(e))
                             table.set_file_state(name, "");
                         else
                             query_failed();
                         return;
                     }
                     const char* state = nullptr;
                     if (sd_bus_message_read(m, "s", &state) < 0)
                         return query_failed();
                     table.set_file_state(name, state);
                 });
    if (r < 0)
        connection_failed();
}

// A query failed for a reason that says nothing about the units. Keep the map and look again
// after a backoff; if systemd went away, NameOwnerChanged starts over sooner.
void SystemdWatcher::Impl::query_failed() {
    cancel(Group::resync);
    cancel(Group::refresh);
    schedule_retry();
}

int SystemdWatcher::Impl::call(Group g, const char* member, const std::vector<std::string>* a1,
                               const std::vector<std::string>* a2, const char* s1,
                               std::function<void(sd_bus_message*)> done) {
    if (!bus)
        return -ENOTCONN;
    sd_bus_message* raw = nullptr;
    int r = sd_bus_message_new_method_call(bus.get(), &raw, systemd_service, manager_path,
                                           manager_interface, member);
    if (r < 0)
        return r;
    MessagePtr msg(raw);
    // Never activate systemd through the bus: it is there or it is not, and a session bus may
    // list it as activatable.
    if ((r = sd_bus_message_set_auto_start(msg.get(), 0)) < 0)
        return r;
    if (a1 && (r = append_strv(msg.get(), *a1)) < 0)
        return r;
    if (a2 && (r = append_strv(msg.get(), *a2)) < 0)
        return r;
    if (s1 && (r = sd_bus_message_append_basic(msg.get(), 's', s1)) < 0)
        return r;
    auto c = std::make_unique<Call>();
    c->self = this;
    c->id = next_call_id++;
    c->group = g;
    c->done = std::move(done);
    sd_bus_slot* slot = nullptr;
    if ((r = sd_bus_call_async(bus.get(), &slot, msg.get(), reply_trampoline, c.get(), 0)) < 0)
        return r;
    c->slot.reset(slot);
    calls.emplace(c->id, std::move(c));
    return 0;
}

void SystemdWatcher::Impl::cancel(Group g) {
    // Unreferencing a pending call's slot cancels it: sd-bus drops the reply unseen.
    std::erase_if(calls, [g](const auto& kv) { return kv.second->group == g; });
}

int SystemdWatcher::Impl::reply_trampoline(sd_bus_message* m, void* userdata, sd_bus_error*) {
    auto* c = static_cast<Call*>(userdata);
    Impl* self = c->self;
    // Own the call for the duration of its handler: the handler may cancel other calls, and
    // sd-bus keeps its own reference on the slot while this callback runs.
    auto node = self->calls.extract(c->id);
    try {
        if (!node.empty() && node.mapped()->done)
            node.mapped()->done(m);
    } catch (...) {
        self->query_failed(); // out of memory, most likely: keep the map, try again later
    }
    self->kick();
    return 0;
}

template <void (SystemdWatcher::Impl::*handler)(sd_bus_message*)>
int SystemdWatcher::Impl::signal_trampoline(sd_bus_message* m, void* userdata, sd_bus_error*) {
    auto* self = static_cast<Impl*>(userdata);
    try {
        (self->*handler)(m);
    } catch (...) {
        self->query_failed();
    }
    self->kick();
    return 0;
}

void SystemdWatcher::Impl::on_owner_changed(sd_bus_message* m) {
    const char *name, *old_owner, *new_owner;
    if (link == Link::down || sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0)
        return;
    if (std::strcmp(name, systemd_service) != 0)
        return;
    if (*new_owner == '\0') {
        // systemd left the bus (a reexec, or it stopped). Keep the map; what was asked of the
        // old process will not be answered.
        cancel(Group::link);
        cancel(Group::resync);
        cancel(Group::refresh);
        refresh_wanted.clear();
        resync_wanted = false;
        reloading = false;
        link = Link::waiting;
        return;
    }
    // A new systemd process owns the name. Subscriptions belong to a connection; whether the
    // new one inherited ours or not, asking again is harmless (AlreadySubscribed).
    cancel(Group::resync);
    cancel(Group::refresh);
    subscribe();
}

void SystemdWatcher::Impl::on_manager_signal(sd_bus_message* m) {
    if (link != Link::up && link != Link::subscribing)
        return;
    const char* member = sd_bus_message_get_member(m);
    if (!member)
        return;
    if (std::strcmp(member, "Reloading") == 0) {
        int active = 0;
        if (sd_bus_message_read(m, "b", &active) < 0)
            return;
        // While systemd reloads it frees and rebuilds every unit; what it says meanwhile is
        // superseded by the resync that follows Reloading(false).
        reloading = active != 0;
        if (!reloading)
            resync_wanted = true;
    } else if (std::strcmp(member, "UnitFilesChanged") == 0) {
        // enable/disable/mask/link/preset: which files changed is not said. A resync re-reads
        // every file state of the selected units.
        resync_wanted = true;
    } else if (link == Link::up && !reloading && std::strcmp(member, "UnitNew") == 0) {
        const char *id, *path;
        if (sd_bus_message_read(m, "so", &id, &path) >= 0 && table.matches(id))
            refresh_wanted.emplace(id);
    } else if (link == Link::up && !reloading && std::strcmp(member, "UnitRemoved") == 0) {
        const char *id, *path;
        if (sd_bus_message_read(m, "so", &id, &path) >= 0)
            table.unit_unloaded(id);
    }
}

void SystemdWatcher::Impl::on_unit_properties(sd_bus_message* m) {
    if (link != Link::up || reloading)
        return;
    const char* path = sd_bus_message_get_path(m);
    std::string name = path ? unit_name_from_path(path) : std::string();
    if (!table.matches(name))
        return;
    const char* interface = nullptr;
    if (sd_bus_message_read(m, "s", &interface) < 0 ||
        sd_bus_message_enter_container(m, 'a', "{sv}") < 0)
        return;
    std::string active;
    bool have_active = false;
    for (;;) {
        int r = sd_bus_message_enter_container(m, 'e', "sv");
        if (r <= 0)
            break;
        const char* key = nullptr;
        if (sd_bus_message_read(m, "s", &key) < 0)
            return;
        if (std::strcmp(key, "ActiveState") == 0) {
            const char* value = nullptr;
            if (sd_bus_message_read(m, "v", "s", &value) < 0)
                return;
            active = value;
            have_active = true;
        } else if (sd_bus_message_skip(m, "v") < 0) {
            return;
        }
        if (sd_bus_message_exit_container(m) < 0)
            return;
    }
    if (sd_bus_message_exit_container(m) < 0)
        return;
    char** invalidated = nullptr;
    bool active_invalidated = false;
    if (sd_bus_message_read_strv(m, &invalidated) >= 0 && invalidated) {
        for (char** i = invalidated; *i; ++i) {
            active_invalidated = active_invalidated || std::strcmp(*i, "ActiveState") == 0;
            std::free(*i);
        }
        std::free(invalidated);
    }
    const bool known = table.units().contains(name);
    if (have_active)
        table.set_active_state(name, std::move(active));
    // A unit we have not met (loaded before we subscribed, UnitNew missed): learn its file state.
    if (!known || active_invalidated)
        refresh_wanted.insert(std::move(name));
}

// --- the public face ---

SystemdWatcher::SystemdWatcher(uv_loop_t* loop, std::string bus, std::function<void()> on_change)
    : impl_(std::make_unique<Impl>(loop, std::move(bus), std::move(on_change))) {}

SystemdWatcher::~SystemdWatcher() = default;

void SystemdWatcher::set_patterns(std::vector<std::string> patterns) {
    impl_->table.set_patterns(std::move(patterns));
    if (impl_->link == Impl::Link::up)
        impl_->resync_wanted = true;
    impl_->kick(); // publishes what set_patterns dropped when there is nothing to ask
}

int SystemdWatcher::start() {
    return impl_->start();
}

const std::map<std::string, UnitState, std::less<>>& SystemdWatcher::units() const {
    return impl_->table.units();
}

bool SystemdWatcher::connected() const {
    return impl_->link == Impl::Link::up;
}

bool SystemdWatcher::settling() const {
    return impl_->settling();
}

std::unique_ptr<UnitSource> make_systemd_source(uv_loop_t* loop, const std::string& bus,
                                                std::function<void()> on_change) {
    return std::make_unique<SystemdWatcher>(loop, bus, std::move(on_change));
}

} // namespace portcullis
