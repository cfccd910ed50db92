// SPDX-License-Identifier: GPL-2.0-or-later
// The netlink side of the nftables backend: one NETLINK_NETFILTER socket kept open for the
// daemon's life (closing one soon after a commit waits for a kernel grace period, and opening one
// per change costs ~70x a kept-open send), and a second one that listens to nf_tables events.
// Only sends, receives and reports; no decisions.
#pragma once

#include "nft/batch.hpp"
#include "nft/handles.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

struct nlmsghdr;

namespace portcullis::nft {

class NftSocket {
public:
    NftSocket() = default;

    // Opens and binds the socket. 0 or a negative errno.
    int open();
    [[nodiscard]] bool is_open() const { return nl_ != nullptr; }
    [[nodiscard]] std::uint32_t portid() const { return portid_; }
    [[nodiscard]] int fd() const;

    // The sequence number a batch built for this socket starts at; send_batch() moves past it.
    [[nodiscard]] std::uint32_t next_seq() const { return seq_; }

    // Sends the batch and reads the answer to every message. 0 when the kernel committed it;
    // otherwise the first error as a negative errno, and *message says which message failed
    // and why ("NFT_MSG_NEWSETELEM lan_tcp: File exists"). An ack of 0 alone proves nothing:
    // earlier messages of a failed batch are acked 0 too, so success is all acks 0.
    // With `acks`, the kernel's answer to each message goes there by sequence number (the probe
    // sends a batch meant to fail, to learn which of its messages the kernel would take).
    int send_batch(const Batch& b, std::string* message,
                   std::map<std::uint32_t, int>* acks = nullptr);

    // A request (get or dump, NFT_MSG_GET*) whose replies are each given to on_reply. The
    // payload callback fills the request after its header. 0 or a negative errno (the kernel's,
    // or -EINTR when the ruleset changed during a dump: try again).
    int request(std::uint16_t type, std::uint16_t flags,
                const std::function<void(nlmsghdr*)>& payload,
                const std::function<int(const nlmsghdr*)>& on_reply);

private:
    int receive(int timeout_ms); // bytes into rx_, 0 on timeout, or a negative errno
    void drain();
    int ensure_sndbuf(std::size_t bytes);

    MnlSocketPtr nl_;
    std::uint32_t portid_ = 0;
    std::uint32_t seq_ = 0;
    std::size_t sndbuf_ = 0;
    std::vector<std::uint8_t> rx_;
};

// Subscribed to NFNLGRP_NFTABLES: every committed change to any table of this network namespace,
// each message carrying the netlink port id of the socket that made it.
class NftEventSocket {
public:
    int open();
    [[nodiscard]] int fd() const;

    // Reads every pending event without blocking, calling on_event for each. 0, or -ENOBUFS
    // when the kernel dropped events because we fell behind (then anything may have happened),
    // or another negative errno.
    int drain(const std::function<void(const nlmsghdr*)>& on_event);

private:
    MnlSocketPtr nl_;
    std::vector<std::uint8_t> rx_;
};

} // namespace portcullis::nft
