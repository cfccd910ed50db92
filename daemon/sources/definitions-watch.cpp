// SPDX-License-Identifier: GPL-2.0-or-later
#include "sources/definitions-watch.hpp"

#include <filesystem>
#include <system_error>

namespace portcullis {

namespace fs = std::filesystem;

DefinitionsWatch::DefinitionsWatch(uv_loop_t* loop, std::vector<std::string> dirs,
                                   std::function<void()> on_change)
    : loop_(loop), dirs_(std::move(dirs)), on_change_(std::move(on_change)) {}

DefinitionsWatch::~DefinitionsWatch() = default;

void DefinitionsWatch::start() {
    rewatch();
}

bool DefinitionsWatch::rewatch() {
    std::map<std::string, bool> wanted; // path to watch -> it is a parent, waiting
    for (const auto& dir : dirs_) {
        std::error_code ec;
        if (fs::is_directory(dir, ec)) {
            wanted[dir] = false;
            continue;
        }
        std::string parent = fs::path(dir).parent_path().string();
        if (fs::is_directory(parent, ec) && !wanted.contains(parent))
            wanted[parent] = true;
    }
    bool changed = false;
    for (auto it = watches_.begin(); it != watches_.end();) {
        auto w = wanted.find(it->first);
        if (w == wanted.end() || w->second != it->second.waiting) {
            changed = changed || !it->second.waiting || w != wanted.end();
            it = watches_.erase(it);
        } else {
            ++it;
        }
    }
    for (const auto& [path, waiting] : wanted) {
        if (watches_.contains(path))
            continue;
        int err = 0;
        auto h = make_uv<uv_fs_event_t>(loop_, uv_fs_event_init, &err);
        if (!h)
            continue;
        h->data = this;
        if (uv_fs_event_start(h.get(), on_event, path.c_str(), 0) < 0)
            continue; // vanished in between; the parent's event looks again
        watches_.emplace(path, Watch{std::move(h), path, waiting});
    }
    return changed;
}

void DefinitionsWatch::on_event(uv_fs_event_t* h, const char* name, int, int) {
    auto* self = static_cast<DefinitionsWatch*>(h->data);
    for (const auto& [path, w] : self->watches_) {
        if (w.handle.get() == h) {
            std::string p = path; // the map may change below
            self->event(p, name);
            return;
        }
    }
}

void DefinitionsWatch::event(const std::string& path, const char* name) {
    bool waiting = watches_.at(path).waiting;
    // A parent's other entries are none of our business; one of our directories appearing or
    // going away is.
    bool ours = !waiting;
    if (waiting && name)
        for (const auto& dir : dirs_)
            if (fs::path(dir).parent_path() == path && fs::path(dir).filename() == name)
                ours = true;
    bool moved = rewatch();
    if ((ours || moved) && on_change_)
        on_change_();
}

} // namespace portcullis
