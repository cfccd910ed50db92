// SPDX-License-Identifier: GPL-2.0-or-later
// Follows the systemd units the catalogue names, over sd-bus, on the daemon's libuv loop.
//
// The watcher only observes and publishes: it keeps a map of unit name -> (UnitFileState,
// ActiveState) for the units matching its patterns and calls on_change when the map changed.
// It knows nothing of catalogues, ports or nftables.
#pragma once

#include "sources/source.hpp"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <uv.h>
#include <vector>

namespace portcullis {

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
    [[nodiscard]] const std::map<std::string, UnitState, std::less<>>& units() const override;
    [[nodiscard]] bool connected() const override;
    // True while replies to the watcher's own queries are outstanding: the map is about to
    // change again. The manager waits for this to clear so that a burst makes one commit.
    [[nodiscard]] bool settling() const override;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

} // namespace portcullis
