// SPDX-License-Identifier: GPL-2.0-or-later
#include "app/overrides-store.hpp"

#include "core/overrides.hpp"
#include "core/text-file.hpp"

#include <cerrno>
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
