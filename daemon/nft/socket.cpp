// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/socket.hpp"

#include "core/strings.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <new>
#include <poll.h>
#include <set>
#include <sys/socket.h>

namespace portcullis::nft {

namespace {

// Big enough for any message a dump sends (the kernel sizes dump chunks from the reader's
// buffer, up to 32 KiB) with room to spare.
constexpr std::size_t rx_buffer_bytes = std::size_t{64} * 1024;
// The kernel answers a batch while it is still in sendmsg(): the acks are queued before we
// read. A timeout only guards against a kernel that never answers.
constexpr int reply_timeout_ms = 5000;
// Events of a big commit of our own (one per element) must not overrun the listener.
constexpr int event_rcvbuf_bytes = 4 * 1024 * 1024;

int set_int_opt(mnl_socket* nl, int level, int opt, int value) {
    if (setsockopt(mnl_socket_get_fd(nl), level, opt, &value, sizeof value) < 0)
        return -errno;
    return 0;
}

} // namespace

int NftSocket::open() {
    MnlSocketPtr nl(mnl_socket_open(NETLINK_NETFILTER));
    if (!nl)
        return -errno;
    if (mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0)
        return -errno;
    // Error acks would otherwise carry a copy of the failed message: up to 64 KiB each.
    set_int_opt(nl.get(), SOL_NETLINK, NETLINK_CAP_ACK, 1);
    portid_ = mnl_socket_get_portid(nl.get());
    seq_ = static_cast<std::uint32_t>(std::time(nullptr));
    nl_ = std::move(nl);
    rx_.resize(rx_buffer_bytes);
    sndbuf_ = 0;
    return 0;
}

int NftSocket::fd() const {
    return nl_ ? mnl_socket_get_fd(nl_.get()) : -1;
}

int NftSocket::ensure_sndbuf(std::size_t bytes) {
    if (bytes <= sndbuf_)
        return 0;
    // A whole table with thousands of ranges is one sendmsg() of a few hundred kB, past the
    // default send buffer (EMSGSIZE). The kernel doubles what we ask for.
    int want = static_cast<int>(bytes);
    if (set_int_opt(nl_.get(), SOL_SOCKET, SO_SNDBUFFORCE, want) < 0) {
        int r = set_int_opt(nl_.get(), SOL_SOCKET, SO_SNDBUF, want);
        if (r < 0)
            return r;
    }
    sndbuf_ = bytes;
    return 0;
}

int NftSocket::receive(int timeout_ms) {
    pollfd p{.fd = fd(), .events = POLLIN, .revents = 0};
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

void NftSocket::drain() {
    // Answers left over from a request we gave up on must not be taken for the next one's.
    for (int i = 0; i < 1024 && receive(0) > 0; ++i) {
    }
}

int NftSocket::send_batch(const Batch& b, std::string* message,
                          std::map<std::uint32_t, int>* acks) {
    auto say = [&](std::string text) {
        if (message)
            *message = std::move(text);
    };
    if (!nl_) {
        say("nftables socket is not open");
        return -EBADF;
    }
    auto data = b.data();
    if (int r = ensure_sndbuf(data.size()); r < 0) {
        say("raising the netlink send buffer: " + errno_text(r));
        return r;
    }
    drain();
    seq_ = b.end_seq() + 1;
    if (mnl_socket_sendto(nl_.get(), data.data(), data.size()) < 0) {
        int r = -errno;
        say("sending the batch: " + errno_text(r));
        return r;
    }

    std::set<std::uint32_t> pending;
    for (const auto& m : b.messages())
        pending.insert(m.seq);
    int first_error = 0;
    bool batch_rejected = false;
    while (!pending.empty()) {
        int got = receive(batch_rejected ? 0 : reply_timeout_ms);
        if (got == 0) {
            if (batch_rejected)
                break; // the kernel refused the batch before looking at its messages
            say("no answer from the kernel to " + std::to_string(pending.size()) + " messages");
            return first_error ? first_error : -ETIMEDOUT;
        }
        if (got < 0) {
            say("reading acks: " + errno_text(got));
            return first_error ? first_error : got;
        }
        const auto* nlh = reinterpret_cast<const nlmsghdr*>(rx_.data());
        int len = got;
        for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
            if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_pid != portid_)
                continue;
            if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(nlmsgerr)))
                continue;
            const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
            std::uint32_t seq = nlh->nlmsg_seq;
            pending.erase(seq);
            if (acks)
                (*acks)[seq] = err->error;
            if (err->error == 0)
                continue;
            if (seq == b.begin_seq() || seq == b.end_seq())
                batch_rejected = true; // commit-time failure, or the batch itself was refused
            if (first_error == 0) {
                first_error = err->error;
                const BatchMessage* m = b.find(seq);
                say((m ? m->what : std::string("batch")) + ": " + errno_text(err->error));
            }
        }
    }
    return first_error;
}

int NftSocket::request(std::uint16_t type, std::uint16_t flags,
                       const std::function<void(nlmsghdr*)>& payload,
                       const std::function<int(const nlmsghdr*)>& on_reply) {
    if (!nl_)
        return -EBADF;
    drain();
    std::uint32_t seq = seq_++;
    std::vector<char> buf(8192);
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf.data(), type, NFPROTO_INET, flags, seq);
    try {
        if (payload)
            payload(nlh);
    } catch (const std::bad_alloc&) {
        return -ENOMEM;
    }
    if (mnl_socket_sendto(nl_.get(), nlh, nlh->nlmsg_len) < 0)
        return -errno;

    const bool dump = (flags & NLM_F_DUMP) == NLM_F_DUMP;
    int result = 0;
    bool interrupted = false;
    // Read to the end even after an error: a dump left half-read would make the next one fail
    // with EBUSY.
    for (;;) {
        int got = receive(reply_timeout_ms);
        if (got == 0)
            return result ? result : -ETIMEDOUT;
        if (got < 0)
            return result ? result : got;
        const auto* m = reinterpret_cast<const nlmsghdr*>(rx_.data());
        int len = got;
        for (; mnl_nlmsg_ok(m, len); m = mnl_nlmsg_next(m, &len)) {
            if (m->nlmsg_seq != seq || m->nlmsg_pid != portid_)
                continue;
            if (m->nlmsg_flags & NLM_F_DUMP_INTR)
                interrupted = true; // the ruleset changed under the dump
            if (m->nlmsg_type == NLMSG_DONE) {
                return interrupted ? -EINTR : result;
            }
            if (m->nlmsg_type == NLMSG_ERROR) {
                if (m->nlmsg_len >= mnl_nlmsg_size(sizeof(nlmsgerr))) {
                    const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(m));
                    if (err->error != 0 && result == 0)
                        result = err->error;
                }
                // An error ends a dump, and an ack ends a get.
                if (!dump || result != 0)
                    return interrupted && result == 0 ? -EINTR : result;
                continue;
            }
            if (result == 0 && on_reply) {
                int r = 0;
                try {
                    r = on_reply(m);
                } catch (const std::bad_alloc&) {
                    r = -ENOMEM;
                }
                if (r < 0)
                    result = r;
            }
        }
    }
}

int NftEventSocket::open() {
    MnlSocketPtr nl(mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!nl)
        return -errno;
    if (mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0)
        return -errno;
    int group = NFNLGRP_NFTABLES;
    if (mnl_socket_setsockopt(nl.get(), NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0)
        return -errno;
    if (set_int_opt(nl.get(), SOL_SOCKET, SO_RCVBUFFORCE, event_rcvbuf_bytes) < 0)
        set_int_opt(nl.get(), SOL_SOCKET, SO_RCVBUF, event_rcvbuf_bytes);
    nl_ = std::move(nl);
    rx_.resize(rx_buffer_bytes);
    return 0;
}

int NftEventSocket::fd() const {
    return nl_ ? mnl_socket_get_fd(nl_.get()) : -1;
}

int NftEventSocket::drain(const std::function<void(const nlmsghdr*)>& on_event) {
    if (!nl_)
        return -EBADF;
    int result = 0;
    // Bounded: a flood of events must not keep the caller's loop from other work. Whatever is
    // left makes the fd readable again.
    for (int i = 0; i < 4096; ++i) {
        ssize_t got = mnl_socket_recvfrom(nl_.get(), rx_.data(), rx_.size());
        if (got < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return result;
            if (errno == ENOBUFS) {
                result = -ENOBUFS; // events were lost; keep reading what is still queued
                continue;
            }
            if (errno == EINTR)
                continue;
            return -errno;
        }
        const auto* nlh = reinterpret_cast<const nlmsghdr*>(rx_.data());
        int len = static_cast<int>(got);
        for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
            on_event(nlh);
    }
    return result;
}

} // namespace portcullis::nft
