// SPDX-License-Identifier: GPL-2.0-or-later
// Follows the systemd units the catalogue names, over sd-bus, on the daemon's libuv loop.
//
// The watcher only observes and publishes: it keeps a map of unit name -> (UnitFileState,
// ActiveState) for the units matching its patterns and calls on_change when the map changed.
// It knows nothing of catalogues, ports or nftables. This class is the state machine (connect,
// subscribe, resync, refresh, signals, reexec); the parts it drives live beside it:
// systemd-calls.hpp (the outstanding calls), systemd-replies.hpp (reading systemd's messages),
// systemd-units.hpp (the unit map and its rules), publish-pacer.hpp (pacing on_change),
// unit-dirs.hpp (which unit files changed). Its queries, and which ones a change calls for,
// are in systemd-queries.cpp.
// The manager sees it only as a UnitSource (make_systemd_source).
#pragma once

#include "bus/handles.hpp"
#include "portcullis/uv-util.hpp"
#include "sources/publish-pacer.hpp"
#include "sources/source.hpp"
#include "sources/systemd-calls.hpp"
#include "sources/systemd-units.hpp"
#include "sources/unit-dirs.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <systemd/sd-bus.h>
#include <uv.h>
#include <vector>

namespace portcullis {

class BusLoop;

class SystemdWatcher final : public UnitSource {
public:
    // bus: "system", "user" or a D-Bus address ("unix:path=/run/x"), as in the config.
    // on_change runs on the loop after the unit map changed.
    SystemdWatcher(uv_loop_t* loop, std::string bus, std::function<void()> on_change);
    ~SystemdWatcher() override;
    SystemdWatcher(const SystemdWatcher&) = delete;
    SystemdWatcher& operator=(const SystemdWatcher&) = delete;

    // Unit names to follow: "ssh.service", or a template "openvpn-server@.service" meaning
    // every instance. May be called again at any time (a reload); the map is re-synchronised.
    void set_patterns(std::vector<std::string> patterns) override;

    // Connects and subscribes. If the bus is not there (yet) or drops later, the watcher keeps
    // reconnecting with backoff on its own and the map keeps its last contents meanwhile.
    // Returns 0, or a negative errno for errors no retry can fix.
    int start() override;

    // Concrete unit name -> state, for every unit matching the patterns that systemd knows.
    // Whole whenever settling() is false; meanwhile a resync may be half applied to it.
    [[nodiscard]] const std::map<std::string, UnitState, std::less<>>& units() const override {
        return table_.units();
    }
    [[nodiscard]] bool connected() const override { return link_ == Link::up; }
    // True while replies to the watcher's own queries are outstanding, while systemd reloads,
    // and while a publication is held back: the map is about to change (or be announced)
    // again. The manager waits for this to clear so that a burst makes one commit.
    [[nodiscard]] bool settling() const override;

private:
    // down: no bus connection (the retry timer reconnects). waiting: on the bus, systemd is not
    // (NameOwnerChanged will say when it comes). subscribing: Subscribe sent. up: following.
    enum class Link { down, waiting, subscribing, up };

    // The connection, and retrying with backoff.
    int connect();
    void drop_connection();
    void connection_failed();
    void schedule_retry();
    void retry();

    // The end of each loop iteration that did something: send what it asked for, publish.
    void kick();
    void arm_work(std::uint64_t delay_ms);
    void work();
    void send_queries();
    void publish();
    [[nodiscard]] bool queries_pending() const;

    // Queries.
    int add_matches();
    int call(CallGroup g, const char* member, const ManagerArgs& args, SystemdCalls::Reply done);
    void subscribe();
    void subscribe_done(sd_bus_message* m);
    void unit_path_done(sd_bus_message* m);
    void target_changes();
    void start_resync(bool full);
    void resync_list_done(sd_bus_message* m, bool was_legacy, bool full);
    void resync_files_done(sd_bus_message* m, bool was_legacy);
    void resync_list_failed(const sd_bus_error* e, bool was_legacy);
    void resync_lists_done();
    void start_refresh();
    void ask_file_state(const std::string& name, CallGroup g);
    void query_failed();

    // Signals.
    void on_owner_changed(sd_bus_message* m);
    void on_manager_signal(sd_bus_message* m);
    void on_unit_properties(sd_bus_message* m);
    template <void (SystemdWatcher::*handler)(sd_bus_message*)>
    static int signal_trampoline(sd_bus_message* m, void* userdata, sd_bus_error* e);
    static int match_installed(sd_bus_message* m, void* userdata, sd_bus_error* e);

    static constexpr std::uint64_t backoff_first_ms = 100;

    uv_loop_t* loop_;
    std::string bus_spec_;
    std::function<void()> on_change_;
    UnitTable table_;
    // What on_change last announced, as UnitTable::fingerprint(): a resync that finds what
    // was known announces nothing, without a second copy of thousands of units.
    std::uint64_t published_ = UnitTable().fingerprint();

    // Start order; drop_connection() and the destructor tear down in reverse.
    UvPtr<uv_timer_t> retry_timer_; // armed only after a failure: reconnect or resync again
    UvPtr<uv_timer_t> work_timer_;  // zero delay: runs after every event of a loop iteration
    bus::BusPtr bus_;
    std::unique_ptr<BusLoop> bus_loop_;
    std::vector<bus::SlotPtr> matches_;
    SystemdCalls calls_;

    Link link_ = Link::down;
    bool started_ = false;
    bool reloading_ = false;     // between Reloading(true) and Reloading(false)
    bool synced_ = false;        // a full resync of this connection came in whole
    bool legacy_ = false;        // systemd without the *ByPatterns methods (before v230)
    bool resync_wanted_ = false; // a full resync, folded into one at the end of the batch
    bool light_wanted_ = false;  // the loaded units only (after a reload)
    bool files_changed_ = false; // UnitFilesChanged in this batch
    bool reloaded_ = false;      // Reloading(false) in this batch
    UnitDirs dirs_;              // which unit files changed (sources/unit-dirs.hpp)
    std::set<std::string, std::less<>> refresh_wanted_; // units to look up at the end of a batch
    std::uint64_t backoff_ms_;
    PublishPacer pacer_;
    bool publish_held_ = false; // a change waits for the hold-off to pass

    // The two lists of a resync, until both are in.
    struct Resync {
        bool have_loaded = false;
        bool have_files = false;
        std::vector<std::string> loaded; // selected units ListUnits* returned
        std::map<std::string, std::string> files;
    } rs_;
};

} // namespace portcullis
