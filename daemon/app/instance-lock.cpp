// SPDX-License-Identifier: GPL-2.0-or-later
#include "app/instance-lock.hpp"

#include "app/log.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"

#include <cerrno>
#include <charconv>
#include <fcntl.h>
#include <filesystem>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace portcullis {

namespace fs = std::filesystem;

std::string instance_lock_name(std::string_view table, std::uint64_t netns_inode) {
    std::string name;
    for (char c : table) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
        name += ok ? c : '_';
    }
    if (name.empty())
        name = "_";
    return name + "-" + std::to_string(netns_inode) + ".lock";
}

std::string instance_lock_fallback_dir(const std::string& state_dir) {
    return (fs::path(state_dir) / "lock").string();
}

long parse_lock_pid(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
        text.remove_suffix(1);
    long pid = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
    if (ec != std::errc() || end != text.data() + text.size() || pid <= 0)
        return 0;
    return pid;
}

namespace {

// The network namespace is part of the key: daemons in other namespaces (containers, the
// tests' namespaces) own other tables even when the names match.
std::uint64_t netns_inode() {
    struct stat st {};
    if (stat("/proc/self/ns/net", &st) != 0)
        return 0;
    return st.st_ino;
}

// Opens DIR/NAME for the lock, making DIR when it is missing. Returns the fd or -errno.
int open_lock_file(const std::string& dir, const std::string& name) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    // O_NOFOLLOW: a symlink planted in a shared directory must not make root truncate its target.
    int fd = open((fs::path(dir) / name).c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    return fd >= 0 ? fd : -errno;
}

std::string read_holder(int fd) {
    char buf[32] = {};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    long pid = n > 0 ? parse_lock_pid(std::string_view(buf, static_cast<std::size_t>(n))) : 0;
    return pid > 0 ? "pid " + std::to_string(pid) : "pid unknown";
}

} // namespace

InstanceLock::~InstanceLock() {
    if (fd_ >= 0)
        close(fd_);
}

InstanceLock::Result InstanceLock::acquire(std::string_view table, const std::string& dir_primary,
                                           const std::string& fallback_dir, std::string* message) {
    std::string name = instance_lock_name(table, netns_inode());
    std::string dir = dir_primary;
    int fd = open_lock_file(dir, name);
    // Not root (a DSM package user), or a read-only /run (ProtectSystem=strict without
    // RuntimeDirectory=): the state directory, which the daemon must be able to write anyway.
    if (fd < 0 && !fallback_dir.empty()) {
        dir = fallback_dir;
        fd = open_lock_file(dir, name);
    }
    path_ = (fs::path(dir) / name).string();
    if (fd < 0) {
        *message = "cannot open the instance lock " + path_ + ": " + errno_text(fd);
        return Result::error;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        if (err == EWOULDBLOCK)
            *message = "another portcullisd (" + read_holder(fd) + ") already manages table '" +
                       std::string(table) + "' in this network namespace (lock " + path_ +
                       "); stop it first, or give this one another table";
        else
            *message = "cannot lock " + path_ + ": " + errno_text(-err);
        close(fd);
        return err == EWOULDBLOCK ? Result::held : Result::error;
    }
    fd_ = fd;
    // The pid only names the holder in the other one's message: failing to write it is harmless.
    std::string pid = std::to_string(getpid()) + "\n";
    if (ftruncate(fd_, 0) != 0 || pwrite(fd_, pid.data(), pid.size(), 0) < 0)
        log_debug("cannot write the pid into " + path_ + ": " + errno_text(-errno));
    return Result::acquired;
}

int lock_instance(const CliOptions& opts, InstanceLock& lock) {
    Config cfg;
    std::error_code ec;
    try {
        if (opts.config_given || fs::exists(opts.config_path, ec))
            cfg = load_config(opts.config_path);
    } catch (const ConfigError&) {
        return 0; // Manager::start() reports it, with positions, and exits 78
    }
    std::string message;
    switch (lock.acquire(cfg.table, std::string(instance_lock_run_dir),
                         instance_lock_fallback_dir(cfg.state_dir), &message)) {
    case InstanceLock::Result::acquired:
        log_debug("instance lock " + lock.path());
        return 0;
    case InstanceLock::Result::held:
        log_error(message);
        return exit_tempfail;
    case InstanceLock::Result::error:
        // Refusing to start a firewall daemon because a lock file cannot be made would do more
        // harm than the rare second instance it guards against.
        log_warning(message + "; starting without the single-instance guard");
        return 0;
    }
    return 0;
}

} // namespace portcullis
