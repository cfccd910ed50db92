// SPDX-License-Identifier: GPL-2.0-or-later
#include "sources/unit-dirs.hpp"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <dirent.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace portcullis {

namespace {

constexpr std::uint32_t dir_events = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
                                     IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR |
                                     IN_EXCL_UNLINK;

// The directories below a unit directory whose symlinks make units enabled.
bool is_dependency_dir(std::string_view name) {
    for (std::string_view suffix : {".wants", ".requires", ".upholds"})
        if (name.size() > suffix.size() && name.ends_with(suffix))
            return true;
    return false;
}

bool is_directory(const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

} // namespace

UnitDirs::~UnitDirs() {
    stop();
}

void UnitDirs::stop() {
    if (fd_ >= 0)
        close(fd_);
    fd_ = -1;
    dirs_.clear();
    missing_.clear();
    pending_ = {};
}

int UnitDirs::watch(const std::vector<std::string>& dirs) {
    stop();
    fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd_ < 0)
        return -errno;
    for (const auto& d : dirs)
        add(d, true, false);
    return 0;
}

// Watches path (and, for a search path directory, its dependency directories). read_whole:
// the directory is new to us, so everything in it counts as changed.
void UnitDirs::add(const std::string& path, bool top, bool read_whole) {
    int wd = inotify_add_watch(fd_, path.c_str(), dir_events);
    if (wd < 0) {
        if (top && (errno == ENOENT || errno == ENOTDIR))
            missing_.push_back(path);
        else
            pending_.lost = true; // e.g. ENOSPC, out of watches: we would not see everything
        return;
    }
    dirs_[wd] = {path, top};
    DIR* d = opendir(path.c_str());
    if (!d) {
        pending_.lost = true;
        return;
    }
    while (const dirent* e = readdir(d)) {
        std::string name = e->d_name;
        if (name == "." || name == "..")
            continue;
        std::string sub = path + "/" + name;
        if (top && is_dependency_dir(name) && is_directory(sub))
            add(sub, false, read_whole);
        else if (read_whole) {
            pending_.names.insert(name);
            pending_.any = true;
        }
    }
    closedir(d);
}

void UnitDirs::look_for_missing() {
    std::vector<std::string> still;
    for (auto& path : std::exchange(missing_, {})) {
        if (is_directory(path))
            add(path, true, true);
        else
            still.push_back(std::move(path));
    }
    for (auto& p : still)
        missing_.push_back(std::move(p));
}

void UnitDirs::read_events() {
    alignas(inotify_event) char buf[16384];
    for (;;) {
        ssize_t n = read(fd_, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n < 0 && errno != EAGAIN)
                pending_.lost = true;
            return;
        }
        for (ssize_t off = 0; off < n;) {
            const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
            off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
            pending_.any = true;
            if (ev->mask & IN_Q_OVERFLOW) {
                pending_.lost = true;
                continue;
            }
            auto it = dirs_.find(ev->wd);
            if (it == dirs_.end())
                continue;
            if (ev->mask & IN_MOVE_SELF) {
                // Moved away: what is watched is no longer at that path. IN_IGNORED follows.
                inotify_rm_watch(fd_, ev->wd);
                continue;
            }
            if (ev->mask & IN_IGNORED) {
                // The directory itself went away (rm -rf, a generator directory recreated by
                // a reload). Its entries came as IN_DELETE first; a search path directory is
                // looked for again at every take().
                if (it->second.top)
                    missing_.push_back(it->second.path);
                dirs_.erase(it);
                continue;
            }
            if (ev->len == 0)
                continue;
            std::string name = ev->name;
            if (ev->mask & IN_ISDIR) {
                if (it->second.top && is_dependency_dir(name) &&
                    (ev->mask & (IN_CREATE | IN_MOVED_TO)))
                    add(it->second.path + "/" + name, false, true);
                continue; // a directory's own removal comes as its IN_IGNORED
            }
            pending_.names.insert(std::move(name));
        }
    }
}

UnitDirs::Changes UnitDirs::take() {
    if (fd_ < 0)
        return {{}, false, true};
    read_events();
    look_for_missing();
    return std::exchange(pending_, {});
}

} // namespace portcullis
