// SPDX-License-Identifier: GPL-2.0-or-later
#include "legacy/ipset-socket.hpp"

#include "core/strings.hpp"

#include <cerrno>
#include <ctime>
#include <linux/netlink.h>
#include <map>
#include <new>
#include <poll.h>
#include <sys/socket.h>

namespace portcullis::legacy {

namespace {

// A dump answers in chunks the kernel sizes to the reader's buffer (up to 32 KiB).
constexpr std::size_t rx_buffer_bytes = std::size_t{64} * 1024;
// Messages sent with one sendmsg(): well below the default send buffer, so a bulk fill of a
// set never needs a bigger one.
constexpr std::size_t send_chunk_bytes = std::size_t{64} * 1024;
// The kernel answers while still in sendmsg(); this only guards against one that never does.
constexpr int reply_timeout_ms = 5000;

} // namespace

int IpsetSocket::open() {
    MnlSocketPtr nl(mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC));
    if (!nl)
        return -errno;
    if (mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0)
        return -errno;
    // Error acks would otherwise carry a copy of the failed message.
    int one = 1;
    setsockopt(mnl_socket_get_fd(nl.get()), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
    portid_ = mnl_socket_get_portid(nl.get());
    seq_ = static_cast<std::uint32_t>(std::time(nullptr));
    nl_ = std::move(nl);
    rx_.resize(rx_buffer_bytes);
    return 0;
}

int IpsetSocket::receive(int timeout_ms) {
    pollfd p{.fd = mnl_socket_get_fd(nl_.get()), .events = POLLIN, .revents = 0};
    int n = poll(&p, 1, timeout_ms);
    if (n < 0)
        return -errno;
    if (n == 0)
        return 0;
    ssize_t got = mnl_socket_recvfrom(nl_.get(), rx_.data(), rx_.size());
    if (got < 0)
        return -errno;
    return static_cast<int>(got);
}

void IpsetSocket::drain() {
    // Answers left over from a request we gave up on must not be taken for the next one's.
    for (int i = 0; i < 1024 && receive(0) > 0; ++i) {
    }
}

int IpsetSocket::send_chunk(const IpsetRequest& req, std::size_t from, std::size_t to) {
    auto data = req.data();
    if (mnl_socket_sendto(nl_.get(), data.data() + from, to - from) < 0)
        return -errno;
    return 0;
}

int IpsetSocket::run(const IpsetRequest& req, std::string* message,
                     const std::function<int(const nlmsghdr*)>& on_reply) {
    auto say = [&](std::string text) {
        if (message)
            *message = std::move(text);
    };
    if (!nl_) {
        say("ipset socket is not open");
        return -EBADF;
    }
    drain();
    if (req.next_seq() > seq_)
        seq_ = req.next_seq();
    const auto headers = req.headers();
    const auto base = reinterpret_cast<std::uintptr_t>(req.data().data());
    int first_error = 0;
    std::size_t i = 0;
    while (i < headers.size() && first_error == 0) {
        // One sendmsg() for the messages that fit, then every answer to them.
        std::size_t from = reinterpret_cast<std::uintptr_t>(headers[i]) - base;
        std::map<std::uint32_t, bool> pending; // seq -> is a dump
        std::size_t to = from;
        while (i < headers.size() &&
               (pending.empty() || to - from + headers[i]->nlmsg_len <= send_chunk_bytes)) {
            // Not the flags: NLM_F_EXCL of a create shares its bit with NLM_F_MATCH.
            const IpsetPart* part = req.find(headers[i]->nlmsg_seq);
            pending[headers[i]->nlmsg_seq] = part && part->dump;
            to += headers[i]->nlmsg_len;
            ++i;
        }
        if (int r = send_chunk(req, from, to); r < 0) {
            say("sending to ipset: " + errno_text(r));
            return first_error ? first_error : r;
        }
        while (!pending.empty()) {
            int got = receive(reply_timeout_ms);
            if (got <= 0) {
                say(got == 0 ? "no answer from the kernel's ipset"
                             : "reading ipset answers: " + errno_text(got));
                return first_error ? first_error : (got == 0 ? -ETIMEDOUT : got);
            }
            const auto* nlh = reinterpret_cast<const nlmsghdr*>(rx_.data());
            int len = got;
            for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
                if (nlh->nlmsg_pid != portid_ || !pending.contains(nlh->nlmsg_seq))
                    continue;
                if (nlh->nlmsg_type == NLMSG_DONE) {
                    pending.erase(nlh->nlmsg_seq);
                    continue;
                }
                if (nlh->nlmsg_type == NLMSG_ERROR) {
                    if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(nlmsgerr)))
                        continue;
                    const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
                    // An ack ends a request; an error also ends a dump.
                    if (err->error != 0 || !pending[nlh->nlmsg_seq])
                        pending.erase(nlh->nlmsg_seq);
                    if (err->error != 0 && first_error == 0) {
                        first_error = errno_of_ipset(err->error);
                        const IpsetPart* p = req.find(nlh->nlmsg_seq);
                        say((p ? p->what : std::string("ipset")) + ": " +
                            ipset_error_text(err->error));
                    }
                    continue;
                }
                if (on_reply && first_error == 0) {
                    int r = 0;
                    try {
                        r = on_reply(nlh);
                    } catch (const std::bad_alloc&) {
                        r = -ENOMEM;
                    }
                    if (r < 0) {
                        first_error = r;
                        say("reading the kernel's ipset answer: " + errno_text(r));
                    }
                }
            }
        }
    }
    seq_ = req.next_seq();
    return first_error;
}

} // namespace portcullis::legacy
