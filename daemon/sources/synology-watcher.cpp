// SPDX-License-Identifier: GPL-2.0-or-later
#include "sources/synology-watcher.hpp"

#include <filesystem>
#include <system_error>

namespace portcullis {

namespace fs = std::filesystem;

SynologyWatcher::SynologyWatcher(uv_loop_t* loop, std::string packages_dir,
                                 std::function<void()> on_change)
    : loop_(loop), dir_(std::move(packages_dir)), on_change_(std::move(on_change)) {}

SynologyWatcher::~SynologyWatcher() = default;

std::unique_ptr<PackageSource> make_synology_source(uv_loop_t* loop,
                                                    const std::string& packages_dir,
                                                    std::function<void()> on_change) {
    return std::make_unique<SynologyWatcher>(loop, packages_dir, std::move(on_change));
}

int SynologyWatcher::start() {
    rescan();
    return 0;
}

void SynologyWatcher::watch(const std::string& path) {
    if (watches_.contains(path))
        return;
    int err = 0;
    auto h = make_uv<uv_fs_event_t>(loop_, uv_fs_event_init, &err);
    if (!h)
        return;
    h->data = this;
    if (uv_fs_event_start(h.get(), on_event, path.c_str(), 0) < 0)
        return; // vanished between listing and watching; the parent's event rescans
    watches_.emplace(path, std::move(h));
}

void SynologyWatcher::on_event(uv_fs_event_t* h, const char*, int, int) {
    // Any change under a watched directory means "look again": a rescan is a readdir and a
    // stat per package, and it cannot miss an event that coalesced with another.
    static_cast<SynologyWatcher*>(h->data)->rescan();
}

void SynologyWatcher::rescan() {
    std::set<std::string, std::less<>> now;
    std::set<std::string> wanted;
    std::error_code ec;
    if (fs::is_directory(dir_, ec)) {
        wanted.insert(dir_);
        watch(dir_);
        for (const auto& entry : fs::directory_iterator(dir_, ec)) {
            std::error_code ec2;
            if (!entry.is_directory(ec2))
                continue;
            // Watch before looking, so an `enabled` created in between is an event, not a miss.
            wanted.insert(entry.path().string());
            watch(entry.path().string());
            if (fs::exists(entry.path() / "enabled", ec2))
                now.insert(entry.path().filename().string());
        }
    } else {
        // Wait for the packages directory to appear.
        fs::path parent = fs::path(dir_).parent_path();
        if (fs::is_directory(parent, ec)) {
            wanted.insert(parent.string());
            watch(parent.string());
        }
    }
    for (auto it = watches_.begin(); it != watches_.end();) {
        if (!wanted.contains(it->first))
            it = watches_.erase(it);
        else
            ++it;
    }
    if (now != enabled_) {
        enabled_ = std::move(now);
        if (on_change_)
            on_change_();
    }
}

} // namespace portcullis
