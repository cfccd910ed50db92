// SPDX-License-Identifier: GPL-2.0-or-later
// The systemd watcher's questions to systemd (docs/systemd-watcher.md, "Which D-Bus calls"),
// and which of them a change calls for. The state machine that sends them is in
// systemd-watcher.cpp.
//
// What each costs systemd, measured with 5,000 units enabled (bench/scale-bench.sh): the file
// states of every unit (ListUnitFilesByPatterns) ~14 s of its CPU, because systemd scans every
// .wants/ symlink for each unit; GetUnitFileState of one unit ~10 ms; ListUnits of every
// loaded unit ~10 ms; ListUnitsByPatterns with 5,000 globs ~200 ms (an fnmatch per unit and
// glob). So the file states of everything are asked once per connection (and when events may
// have been missed), a change asks about the units whose files changed, and a big catalogue
// lists the loaded units unfiltered.
#include "sources/systemd-replies.hpp"
#include "sources/systemd-watcher.hpp"

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace portcullis {

namespace {

using Loaded = std::vector<std::pair<std::string, std::string>>;

// Above this many globs, listing every loaded unit and filtering here is cheaper for systemd
// than matching every unit against every glob.
constexpr std::size_t max_list_globs = 64;

} // namespace

void SystemdWatcher::subscribe() {
    calls_.cancel(CallGroup::link);
    link_ = Link::subscribing;
    if (call(CallGroup::link, "Subscribe", {}, [this](sd_bus_message* m) { subscribe_done(m); }) <
        0)
        connection_failed();
}

void SystemdWatcher::subscribe_done(sd_bus_message* m) {
    const sd_bus_error* e = sd_bus_message_get_error(m);
    if (e && !already_subscribed(e)) {
        if (!manager_absent(e))
            return connection_failed();
        // The bus works; systemd is simply not there. NameOwnerChanged brings it.
        backoff_ms_ = backoff_first_ms;
        link_ = Link::waiting;
        return;
    }
    backoff_ms_ = backoff_first_ms;
    link_ = Link::up;
    // The unit directories are watched before the first resync is sent, so that no change
    // falls between what the resync reads and what the watch sees.
    if (calls_.get_property(bus_.get(), CallGroup::link, "UnitPath",
                            [this](sd_bus_message* r) { unit_path_done(r); }) < 0)
        connection_failed();
}

void SystemdWatcher::unit_path_done(sd_bus_message* m) {
    std::vector<std::string> dirs;
    // A systemd that does not say where its units are: every change means a full resync.
    if (sd_bus_message_is_method_error(m, nullptr) || read_unit_path(m, &dirs) < 0 ||
        dirs_.watch(dirs) < 0)
        dirs_.stop();
    resync_wanted_ = true;
}

// systemd said unit files changed (UnitFilesChanged), or it reloaded. With the unit directories
// watched, only the units whose files changed are asked about again (and, after a reload, the
// list of loaded units); otherwise, or when events were lost, everything is.
void SystemdWatcher::target_changes() {
    const bool files = std::exchange(files_changed_, false);
    const bool reload = std::exchange(reloaded_, false);
    if (!dirs_.watching()) {
        resync_wanted_ = true;
        return;
    }
    UnitDirs::Changes ch = dirs_.take();
    // UnitFilesChanged and not a single event: systemd changed files this process does not
    // see (another mount namespace, a directory it does not publish).
    if (ch.lost || (files && !ch.any)) {
        resync_wanted_ = true;
        return;
    }
    if (reload)
        light_wanted_ = true; // while systemd reloaded, its unit signals were not followed
    for (const auto& name : ch.names) {
        if (table_.matches(name))
            refresh_wanted_.insert(name);
        else // a template's file: its instances' states come from it
            for (auto& unit : table_.instances_of(name))
                refresh_wanted_.insert(std::move(unit));
    }
}

// full: every selected unit's file state as well (ListUnitFiles*), the expensive question.
// Otherwise only the loaded units, and the file states of the ones that are new to the map.
void SystemdWatcher::start_resync(bool full) {
    calls_.cancel(CallGroup::resync);
    rs_ = {};
    if (table_.patterns().empty()) {
        table_.apply_loaded({}, nullptr); // nothing is selected: the map is empty
        return;
    }
    if (full)
        dirs_.take(); // what changed so far is in the answer
    const auto globs = unit_globs(table_.patterns());
    const std::vector<std::string> none;
    const ManagerArgs list_args =
        legacy_ ? ManagerArgs{}
                : ManagerArgs{.states = &none,
                              .patterns = globs.size() > max_list_globs ? &none : &globs};
    const bool was_legacy = legacy_;
    int r = call(
        CallGroup::resync, legacy_ ? "ListUnits" : "ListUnitsByPatterns", list_args,
        [this, was_legacy, full](sd_bus_message* m) { resync_list_done(m, was_legacy, full); });
    const ManagerArgs file_args =
        legacy_ ? ManagerArgs{} : ManagerArgs{.states = &none, .patterns = &globs};
    if (r >= 0 && full)
        r = call(CallGroup::resync, legacy_ ? "ListUnitFiles" : "ListUnitFilesByPatterns",
                 file_args,
                 [this, was_legacy](sd_bus_message* m) { resync_files_done(m, was_legacy); });
    if (r < 0)
        connection_failed();
}

// A list call of a resync failed. A systemd before v230 lacks the *ByPatterns methods: ask again
// with ListUnits/ListUnitFiles and filter here, from now on. Anything else: query_failed().
void SystemdWatcher::resync_list_failed(const sd_bus_error* e, bool was_legacy) {
    if (!was_legacy && method_unknown(e)) {
        legacy_ = true;
        resync_wanted_ = true;
        return;
    }
    query_failed();
}

void SystemdWatcher::resync_list_done(sd_bus_message* m, bool was_legacy, bool full) {
    if (const sd_bus_error* e = sd_bus_message_get_error(m))
        return resync_list_failed(e, was_legacy);
    Loaded loaded;
    if (read_unit_list(m, table_, &loaded) < 0)
        return query_failed();
    if (!full) {
        // A reload may have loaded units the map does not know: their file states are new.
        std::vector<std::string> fresh;
        for (const auto& kv : loaded)
            if (!table_.units().contains(kv.first))
                fresh.push_back(kv.first);
        table_.apply_loaded(loaded, nullptr);
        for (const auto& name : fresh)
            ask_file_state(name, CallGroup::resync);
        return;
    }
    table_.apply_loaded(loaded, nullptr);
    for (auto& kv : loaded)
        rs_.loaded.push_back(std::move(kv.first));
    rs_.have_loaded = true;
    resync_lists_done();
}

void SystemdWatcher::resync_files_done(sd_bus_message* m, bool was_legacy) {
    if (const sd_bus_error* e = sd_bus_message_get_error(m))
        return resync_list_failed(e, was_legacy);
    if (read_unit_files(m, table_, &rs_.files) < 0)
        return query_failed();
    rs_.have_files = true;
    resync_lists_done();
}

void SystemdWatcher::resync_lists_done() {
    if (!rs_.have_loaded || !rs_.have_files)
        return;
    // GetUnitFileState reads the disk, never loads a unit.
    for (const auto& name : table_.apply_unit_files(rs_.files, rs_.loaded))
        ask_file_state(name, CallGroup::resync);
    rs_ = {}; // thousands of names with a big catalogue: not kept until the next resync
    synced_ = true;
}

// One unit, or a few, appeared or changed without us knowing its file state. ListUnitsByPatterns
// with the exact names (not LoadUnit, GetUnit + Get, or ListUnitsByNames: those load a unit
// that is not loaded, and loading makes systemd send UnitNew again, for ever).
void SystemdWatcher::start_refresh() {
    std::vector<std::string> names(refresh_wanted_.begin(), refresh_wanted_.end());
    refresh_wanted_.clear();
    const std::vector<std::string> no_states;
    const ManagerArgs args =
        legacy_ ? ManagerArgs{} : ManagerArgs{.states = &no_states, .patterns = &names};
    int r = call(CallGroup::refresh, legacy_ ? "ListUnits" : "ListUnitsByPatterns", args,
                 [this, names](sd_bus_message* m) {
                     if (sd_bus_message_is_method_error(m, nullptr))
                         return query_failed();
                     Loaded loaded;
                     if (read_unit_list(m, table_, &loaded) < 0)
                         return query_failed();
                     table_.apply_loaded(loaded, &names); // speaks for these names only
                 });
    if (r < 0)
        return connection_failed();
    for (const auto& name : names)
        ask_file_state(name, CallGroup::refresh);
}

void SystemdWatcher::ask_file_state(const std::string& name, CallGroup g) {
    int r = call(g, "GetUnitFileState", {.unit = name.c_str()}, [this, name](sd_bus_message* m) {
        if (const sd_bus_error* e = sd_bus_message_get_error(m)) {
            if (no_unit_file(e))
                table_.set_file_state(name, "");
            else
                query_failed();
            return;
        }
        const char* state = nullptr;
        if (sd_bus_message_read(m, "s", &state) < 0)
            return query_failed();
        table_.set_file_state(name, state);
    });
    if (r < 0)
        connection_failed();
}

// A query failed for a reason that says nothing about the units. Keep the map and look again
// after a backoff; if systemd went away, NameOwnerChanged starts over sooner.
void SystemdWatcher::query_failed() {
    calls_.cancel(CallGroup::resync);
    calls_.cancel(CallGroup::refresh);
    schedule_retry();
}

} // namespace portcullis
