// SPDX-License-Identifier: GPL-2.0-or-later
// Follows Synology DSM packages: a package is enabled while PACKAGES_DIR/NAME/enabled exists.
// An initial scan, then inotify through libuv (uv_fs_event) on the packages directory and on
// each package directory, so installs, removals, starts and stops are seen as they happen.
#pragma once

#include "portcullis/uv-util.hpp"
#include "sources/source.hpp"

#include <functional>
#include <map>
#include <set>
#include <string>
#include <uv.h>

namespace portcullis {

class SynologyWatcher final : public PackageSource {
public:
    SynologyWatcher(uv_loop_t* loop, std::string packages_dir, std::function<void()> on_change);
    ~SynologyWatcher() override;
    SynologyWatcher(const SynologyWatcher&) = delete;
    SynologyWatcher& operator=(const SynologyWatcher&) = delete;

    // Scans and starts watching. A missing packages directory is not an error: its parent is
    // watched until it appears. Returns 0 or a negative errno.
    int start() override;

    [[nodiscard]] const std::set<std::string, std::less<>>& enabled() const override {
        return enabled_;
    }

private:
    static void on_event(uv_fs_event_t* h, const char* name, int events, int status);
    void rescan();
    void watch(const std::string& path);

    uv_loop_t* loop_;
    std::string dir_;
    std::function<void()> on_change_;
    std::map<std::string, UvPtr<uv_fs_event_t>> watches_; // path -> watch
    std::set<std::string, std::less<>> enabled_;
};

} // namespace portcullis
