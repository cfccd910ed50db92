// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/text-file.hpp"

#include "core/error.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace portcullis::detail {

namespace {

// What a path is when it is not a regular file, for the message.
const char* kind_of(mode_t mode) {
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    return "of an unknown type";
}

struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0)
            close(fd);
    }
};

} // namespace

std::string read_text_file(const std::string& path) {
    // Only regular files are config, catalogue and state files. O_NONBLOCK: opening a FIFO must
    // not wait for a writer (a FIFO at a config path used to hang the daemon for ever); the
    // type is checked on the opened file, so nothing can swap it in between.
    Fd f{open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)};
    if (f.fd < 0)
        throw ConfigError({path, 0, 0}, "cannot open: " + errno_text(-errno));
    struct stat st {};
    if (fstat(f.fd, &st) < 0)
        throw ConfigError({path, 0, 0}, "cannot read: " + errno_text(-errno));
    if (!S_ISREG(st.st_mode))
        throw ConfigError({path, 0, 0},
                          std::string("not a regular file (") + kind_of(st.st_mode) + ")");
    if (static_cast<std::size_t>(st.st_size) > max_toml_file_size)
        throw ConfigError({path, 0, 0}, "file is larger than 16 MiB");
    // Read to the end rather than trusting st_size: the file may change meanwhile. One byte
    // more than the limit tells a file that grew past it.
    std::string text;
    text.resize(static_cast<std::size_t>(st.st_size) + 1);
    std::size_t have = 0;
    for (;;) {
        if (have == text.size()) {
            if (text.size() > max_toml_file_size)
                throw ConfigError({path, 0, 0}, "file is larger than 16 MiB");
            text.resize(std::min(text.size() * 2, max_toml_file_size + 1));
        }
        ssize_t n = read(f.fd, text.data() + have, text.size() - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            throw ConfigError({path, 0, 0}, "cannot read: " + errno_text(-errno));
        if (n == 0)
            break;
        have += static_cast<std::size_t>(n);
    }
    text.resize(have);
    return text;
}

} // namespace portcullis::detail
