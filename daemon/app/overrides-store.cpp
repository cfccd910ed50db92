// SPDX-License-Identifier: GPL-2.0-or-later
#include "app/overrides-store.hpp"

#include "core/overrides.hpp"
#include "core/text-file.hpp"

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace portcullis {

std::string overrides_path(const std::string& state_dir) {
    return (std::filesystem::path(state_dir) / "overrides.toml").string();
}

Overrides load_overrides(const std::string& state_dir) {
    std::string path = overrides_path(state_dir);
    if (access(path.c_str(), F_OK) != 0 && errno == ENOENT)
        return {};
    return parse_overrides_text(detail::read_text_file(path), path);
}

namespace {

// STATE_DIR/overrides.toml.corrupt-20261205T194501Z, with -2, -3 ... when that name is taken.
std::string corrupt_name(const std::string& path, std::time_t now) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    char stamp[32];
    if (std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm) == 0)
        stamp[0] = '\0'; // cannot happen with this format; the suffixes below still apply
    std::string base = path + ".corrupt-" + stamp;
    std::string name = base;
    for (int n = 2; n < 100 && access(name.c_str(), F_OK) == 0; ++n)
        name = base + "-" + std::to_string(n);
    return name;
}

} // namespace

OverridesAtStart load_overrides_at_start(const std::string& state_dir, std::time_t now) {
    OverridesAtStart out;
    std::string path = overrides_path(state_dir);
    if (access(path.c_str(), F_OK) != 0 && errno == ENOENT)
        return out;
    try {
        SalvagedOverrides s = salvage_overrides_text(detail::read_text_file(path), path);
        out.overrides = std::move(s.overrides);
        out.problems = std::move(s.problems);
    } catch (const ConfigError& e) { // not readable at all: nothing to keep
        out.problems = e.diagnostics();
    }
    if (out.problems.empty())
        return out;
    // Keep the damaged file for the admin to look at, and leave a good one in its place so
    // the next start is clean. If it cannot be moved, it is not overwritten either.
    std::string aside = corrupt_name(path, now);
    if (rename(path.c_str(), aside.c_str()) < 0) {
        out.error = -errno;
        return out;
    }
    out.moved_to = aside;
    out.error = save_overrides(state_dir, out.overrides);
    return out;
}

namespace {

int write_all(int fd, const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        done += static_cast<std::size_t>(n);
    }
    return 0;
}

} // namespace

int save_overrides(const std::string& state_dir, const Overrides& overrides) {
    std::string text = render_overrides(overrides);

    std::string path = overrides_path(state_dir);
    std::string tmp = path + ".tmp";
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    int r = write_all(fd, text);
    if (r == 0 && fsync(fd) < 0)
        r = -errno;
    if (close(fd) < 0 && r == 0)
        r = -errno;
    if (r == 0 && rename(tmp.c_str(), path.c_str()) < 0)
        r = -errno;
    if (r < 0) {
        unlink(tmp.c_str());
        return r;
    }
    // Make the rename itself durable.
    int dfd = open(state_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

} // namespace portcullis
