// SPDX-License-Identifier: GPL-2.0-or-later
// Directories of service definitions other programs write ([synology] services_dirs: DSM's
// .sc files). DSM copies a package's .sc file into /usr/local/etc/services.d when it installs
// the package, before the package first starts: the catalogue must be read again then, or the
// new package's `enabled` marker would name a service nobody knows. Any change in a watched
// directory calls on_change; the manager reloads (after a short pause, so that a burst of
// files is one reload).
//
// inotify through libuv (uv_fs_event), as the Synology package watcher does. A directory that
// does not exist yet is waited for by watching its parent; when it appears it is watched
// itself, and that is a change too.
#pragma once

#include "portcullis/uv-util.hpp"

#include <functional>
#include <map>
#include <string>
#include <uv.h>
#include <vector>

namespace portcullis {

class DefinitionsWatch {
public:
    DefinitionsWatch(uv_loop_t* loop, std::vector<std::string> dirs,
                     std::function<void()> on_change);
    ~DefinitionsWatch();
    DefinitionsWatch(const DefinitionsWatch&) = delete;
    DefinitionsWatch& operator=(const DefinitionsWatch&) = delete;

    // Starts watching. Never fails: a directory that cannot be watched is simply not followed
    // (the next reload looks again).
    void start();

    [[nodiscard]] const std::vector<std::string>& dirs() const { return dirs_; }

private:
    struct Watch {
        UvPtr<uv_fs_event_t> handle;
        std::string dir;      // the definitions directory this watch serves
        bool waiting = false; // the watch is on its parent, until it exists
    };
    static void on_event(uv_fs_event_t* h, const char* name, int events, int status);
    void event(const std::string& path, const char* name);
    // (Re)watches every directory; true when one of them appeared or vanished.
    bool rewatch();

    uv_loop_t* loop_;
    std::vector<std::string> dirs_;
    std::function<void()> on_change_;
    std::map<std::string, Watch> watches_; // path watched -> watch
};

} // namespace portcullis
