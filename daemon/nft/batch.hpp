// SPDX-License-Identifier: GPL-2.0-or-later
// One nf_tables netlink batch (BEGIN, messages, END) as a growing buffer, with what each message
// is for, so a failed ack can be reported by name. It knows nothing of tables or sets: the
// encoders (nft/encode.hpp) write the messages, the socket (nft/socket.hpp) sends them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct nlmsghdr;

namespace portcullis::nft {

// Room for any message but an element list: rule messages, the largest, are a few hundred bytes.
inline constexpr std::size_t small_message_room = 8192;

struct BatchMessage {
    std::uint16_t type = 0; // NFT_MSG_*
    std::uint32_t seq = 0;
    std::string what;       // "NFT_MSG_NEWSETELEM lan_tcp": which message failed, for humans
    std::size_t offset = 0; // in Batch::data()
    std::size_t length = 0;
};

// A growing nf_tables batch: BEGIN, messages with increasing sequence numbers and NLM_F_ACK, END.
class Batch {
public:
    explicit Batch(std::uint32_t first_seq);

    // Starts a message with room for `room` bytes; returns its header for nftnl_*_build_payload.
    nlmsghdr* begin_message(std::uint16_t type, std::uint16_t flags,
                            std::size_t room = small_message_room);
    // Closes the message begun last, naming it for error reports.
    void end_message(std::string what);
    // Appends END. No message may follow.
    void finish();

    [[nodiscard]] std::span<const std::uint8_t> data() const { return buf_; }
    [[nodiscard]] std::uint32_t begin_seq() const { return begin_seq_; }
    [[nodiscard]] std::uint32_t end_seq() const { return seq_ - 1; }
    // The messages between BEGIN and END (each sent with NLM_F_ACK).
    [[nodiscard]] const std::vector<BatchMessage>& messages() const { return msgs_; }
    [[nodiscard]] const BatchMessage* find(std::uint32_t seq) const;
    // Each message between BEGIN and END, as its header (for parsing back).
    [[nodiscard]] std::vector<const nlmsghdr*> headers() const;

private:
    std::vector<std::uint8_t> buf_;
    std::vector<BatchMessage> msgs_;
    std::uint32_t seq_;
    std::uint32_t begin_seq_;
    std::size_t open_ = 0; // offset of the message being built
    bool finished_ = false;
};

std::string_view msg_type_name(std::uint16_t nft_msg_type);

} // namespace portcullis::nft
