// SPDX-License-Identifier: GPL-2.0-or-later
// The netlink socket the legacy backend keeps open for ipset requests (NETLINK_NETFILTER,
// subsystem NFNL_SUBSYS_IPSET). Sends a request, reads every ack and reply; no decisions.
#pragma once

#include "legacy/handles.hpp"
#include "legacy/ipset-msg.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace portcullis::legacy {

class IpsetSocket {
public:
    // Opens and binds the socket. 0 or a negative errno.
    int open();
    [[nodiscard]] bool is_open() const { return nl_ != nullptr; }
    // The sequence number the next request should start at.
    [[nodiscard]] std::uint32_t next_seq() const { return seq_; }

    // Sends every message of `req` and reads until each is answered: an ack, or the end of a
    // dump. Replies (list, type and protocol messages) go to on_reply. Returns 0, or the first
    // error as a negative errno (ipset's own codes mapped to the closest one), and *message says
    // which message failed and why ("IPSET_CMD_SWAP pc_lan_tcp pc-lan_tcp: the two sets have
    // different types"). Each ipset message is its own operation: unlike an nf_tables batch,
    // the messages before a failed one stay applied.
    int run(const IpsetRequest& req, std::string* message,
            const std::function<int(const nlmsghdr*)>& on_reply = {});

private:
    int receive(int timeout_ms);
    void drain();
    int send_chunk(const IpsetRequest& req, std::size_t from, std::size_t to);

    MnlSocketPtr nl_;
    std::uint32_t portid_ = 0;
    std::uint32_t seq_ = 0;
    std::vector<std::uint8_t> rx_;
};

} // namespace portcullis::legacy
