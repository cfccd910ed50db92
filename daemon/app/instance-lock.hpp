// SPDX-License-Identifier: GPL-2.0-or-later
// One daemon per table and network namespace. Two portcullisd with the same table in the same
// namespace would both commit to it and undo each other's work forever (and the second would
// retry the bus name for ever), so the second refuses to start. The guard is an exclusive
// flock() on DIR/TABLE-NETNSINODE.lock: the kernel drops it when the holder dies, even by
// kill -9, so a stale file never blocks a restart. The holder's pid is written into the file
// for the message of the one that is refused.
#pragma once

#include "app/cli.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace portcullis {

// EX_TEMPFAIL: another portcullisd holds the lock of this table in this network namespace.
inline constexpr int exit_tempfail = 75;

// Where the lock files go first: a tmpfs that is empty after a boot.
inline constexpr std::string_view instance_lock_run_dir = "/run/portcullis";

// "TABLE-NETNSINODE.lock". Table names are [A-Za-z0-9_-] (core/config.cpp), but anything else
// is replaced by '_' so the name is always one path component.
std::string instance_lock_name(std::string_view table, std::uint64_t netns_inode);

// The fallback directory when /run/portcullis cannot be made or written (a DSM package user,
// a read-only /run): STATE_DIR/lock.
std::string instance_lock_fallback_dir(const std::string& state_dir);

// Parses the pid a holder wrote ("1234\n"); 0 when the text is not one.
long parse_lock_pid(std::string_view text);

// The lock, held from acquire() to the end of the process (the fd is O_CLOEXEC: the
// iptables-restore children never inherit it).
class InstanceLock {
public:
    InstanceLock() = default;
    ~InstanceLock();
    InstanceLock(const InstanceLock&) = delete;
    InstanceLock& operator=(const InstanceLock&) = delete;

    enum class Result { acquired, held, error };
    // Takes the lock for table in this process's network namespace, in dir_primary or, when
    // that cannot be used, in fallback_dir. On held, *message names the holder's pid; on error
    // it says what failed.
    Result acquire(std::string_view table, const std::string& dir_primary,
                   const std::string& fallback_dir, std::string* message);
    [[nodiscard]] const std::string& path() const { return path_; }

private:
    int fd_ = -1;
    std::string path_;
};

// The daemon's side: reads the table and state_dir from the config named by opts (a config
// that does not load is left to Manager::start(), which reports it with positions) and takes
// the lock. Returns 0, or exit_tempfail / exit_software after logging why.
int lock_instance(const CliOptions& opts, InstanceLock& lock);

} // namespace portcullis
