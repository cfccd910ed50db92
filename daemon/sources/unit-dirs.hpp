// SPDX-License-Identifier: GPL-2.0-or-later
// Which unit files changed, for the systemd watcher.
//
// systemd's UnitFilesChanged says that something was enabled, disabled, masked or linked, not
// what. Asking systemd for every unit's file state again costs it time quadratic in the
// number of enabled units (it scans every .wants/ symlink for each unit it is asked about:
// ~14 s of its CPU with 5,000 units enabled, on every `systemctl enable`). The files it
// changed are in its unit directories, whose list it publishes (the Manager's UnitPath), so
// UnitDirs watches those directories and their .wants/.requires/.upholds subdirectories with
// inotify, and tells the watcher the names of what changed there; the watcher then asks
// systemd about those units only.
//
// No fd is polled: the queue is read when systemd says files changed (the events of a change
// are queued before systemd's signal is even sent), so nothing wakes up for file activity. A
// directory that is missing is looked for again at every read; one that appears (or
// reappears: systemd recreates its generator directories on every reload) is read whole.
// When events may have been lost (the queue overflowed, a watch could not be added), take()
// says so and the watcher falls back to asking about everything.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace portcullis {

class UnitDirs {
public:
    UnitDirs() = default;
    ~UnitDirs();
    UnitDirs(const UnitDirs&) = delete;
    UnitDirs& operator=(const UnitDirs&) = delete;

    // Watches these directories (systemd's unit search path) from now on, instead of any
    // watched before. Returns 0, or a negative errno when inotify is not available.
    int watch(const std::vector<std::string>& dirs);
    void stop();
    [[nodiscard]] bool watching() const { return fd_ >= 0; }

    struct Changes {
        std::set<std::string, std::less<>> names; // files and links that changed, by name
        bool any = false;                         // any event at all, named or not
        bool lost = false;                        // names may be incomplete
    };
    // What happened since the last call.
    Changes take();

private:
    struct Dir {
        std::string path;
        bool top = false; // one of the search path's directories (not a .wants/ below one)
    };
    void add(const std::string& path, bool top, bool read_whole);
    void read_events();
    void look_for_missing();

    int fd_ = -1;
    std::map<int, Dir> dirs_; // by watch descriptor
    std::vector<std::string> missing_;
    Changes pending_;
};

} // namespace portcullis
