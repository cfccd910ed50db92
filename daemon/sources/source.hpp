// SPDX-License-Identifier: GPL-2.0-or-later
// The seams between the manager and what it watches. Every input starts the same way: built by
// a factory with the loop and an on_change callback, start()ed once, destroyed to stop. The
// real sources are SystemdWatcher and SynologyWatcher; unit tests of the manager plug
// hand-written fakes in here.
#pragma once

#include "portcullis/facts.hpp"

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <uv.h>
#include <vector>

namespace portcullis {

class Source {
public:
    virtual ~Source() = default;
    // Starts watching. Returns 0, or a negative errno for errors no retry can fix; a source
    // whose input is not there yet keeps trying on its own.
    virtual int start() = 0;
};

// systemd units: concrete unit name -> (UnitFileState, ActiveState).
class UnitSource : public Source {
public:
    // Unit names to follow ("ssh.service", or a template "openvpn-server@.service" meaning
    // every instance). May be called again at any time; the map is re-synchronised.
    virtual void set_patterns(std::vector<std::string> patterns) = 0;
    // The map is whole whenever settling() is false (read it then).
    [[nodiscard]] virtual const std::map<std::string, UnitState, std::less<>>& units() const = 0;
    // Heard from systemd since the last (re)connect.
    [[nodiscard]] virtual bool connected() const = 0;
    // Replies to the source's own queries are outstanding: the map is about to change again.
    [[nodiscard]] virtual bool settling() const = 0;
};

// Synology packages: the names of the enabled ones.
class PackageSource : public Source {
public:
    [[nodiscard]] virtual const std::set<std::string, std::less<>>& enabled() const = 0;
};

using UnitSourceFactory = std::function<std::unique_ptr<UnitSource>(
    uv_loop_t* loop, const std::string& bus, std::function<void()> on_change)>;
using PackageSourceFactory = std::function<std::unique_ptr<PackageSource>(
    uv_loop_t* loop, const std::string& packages_dir, std::function<void()> on_change)>;

// The real ones.
std::unique_ptr<UnitSource> make_systemd_source(uv_loop_t* loop, const std::string& bus,
                                                std::function<void()> on_change);
std::unique_ptr<PackageSource> make_synology_source(uv_loop_t* loop,
                                                    const std::string& packages_dir,
                                                    std::function<void()> on_change);

} // namespace portcullis
