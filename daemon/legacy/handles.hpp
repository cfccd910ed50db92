// SPDX-License-Identifier: GPL-2.0-or-later
// RAII owners for what the legacy backend opens: libmnl sockets (through the shared CHandle) and
// plain file descriptors (the timerfd of the periodic check, the getsockopt socket, the pipes to
// iptables-restore). Destructors accept "nothing held".
#pragma once

#include "portcullis/c-handle.hpp"

#include <libmnl/libmnl.h>
#include <unistd.h>
#include <utility>

namespace portcullis::legacy {

using MnlSocketPtr = CHandle<mnl_socket, mnl_socket_close>;

// One owned file descriptor; -1 when empty.
class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& o) noexcept {
        if (this != &o)
            reset(std::exchange(o.fd_, -1));
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    [[nodiscard]] int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    void reset(int fd = -1) {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = fd;
    }
    int release() { return std::exchange(fd_, -1); }

private:
    int fd_ = -1;
};

} // namespace portcullis::legacy
