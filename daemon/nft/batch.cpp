// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/batch.hpp"

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdexcept>

namespace portcullis::nft {

Batch::Batch(std::uint32_t first_seq) : seq_(first_seq), begin_seq_(first_seq) {
    buf_.resize(MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(nfgenmsg)));
    nlmsghdr* nlh = nftnl_batch_begin(reinterpret_cast<char*>(buf_.data()), seq_++);
    buf_.resize(MNL_ALIGN(nlh->nlmsg_len));
}

nlmsghdr* Batch::begin_message(std::uint16_t type, std::uint16_t flags, std::size_t room) {
    if (finished_)
        throw std::logic_error("nft batch: message after END");
    open_ = buf_.size();
    buf_.resize(open_ + room);
    return nftnl_nlmsg_build_hdr(reinterpret_cast<char*>(buf_.data() + open_), type, NFPROTO_INET,
                                 flags | NLM_F_ACK, seq_);
}

void Batch::end_message(std::string what) {
    const auto* nlh = reinterpret_cast<const nlmsghdr*>(buf_.data() + open_);
    std::size_t len = nlh->nlmsg_len;
    if (open_ + len > buf_.size())
        throw std::length_error("nft batch: message overran its room: " + what);
    std::uint16_t type = static_cast<std::uint16_t>(NFNL_MSG_TYPE(nlh->nlmsg_type));
    msgs_.push_back(
        {.type = type, .seq = seq_, .what = std::move(what), .offset = open_, .length = len});
    buf_.resize(open_ + MNL_ALIGN(len));
    ++seq_;
}

void Batch::finish() {
    if (finished_)
        return;
    std::size_t at = buf_.size();
    buf_.resize(at + MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(nfgenmsg)));
    nlmsghdr* nlh = nftnl_batch_end(reinterpret_cast<char*>(buf_.data() + at), seq_++);
    buf_.resize(at + MNL_ALIGN(nlh->nlmsg_len));
    finished_ = true;
}

const BatchMessage* Batch::find(std::uint32_t seq) const {
    for (const auto& m : msgs_)
        if (m.seq == seq)
            return &m;
    return nullptr;
}

std::vector<const nlmsghdr*> Batch::headers() const {
    std::vector<const nlmsghdr*> out;
    out.reserve(msgs_.size());
    for (const auto& m : msgs_)
        out.push_back(reinterpret_cast<const nlmsghdr*>(buf_.data() + m.offset));
    return out;
}

std::string_view msg_type_name(std::uint16_t t) {
    switch (t) {
    case NFT_MSG_NEWTABLE:
        return "NFT_MSG_NEWTABLE";
    case NFT_MSG_GETTABLE:
        return "NFT_MSG_GETTABLE";
    case NFT_MSG_DELTABLE:
        return "NFT_MSG_DELTABLE";
    case NFT_MSG_NEWCHAIN:
        return "NFT_MSG_NEWCHAIN";
    case NFT_MSG_GETCHAIN:
        return "NFT_MSG_GETCHAIN";
    case NFT_MSG_DELCHAIN:
        return "NFT_MSG_DELCHAIN";
    case NFT_MSG_NEWRULE:
        return "NFT_MSG_NEWRULE";
    case NFT_MSG_GETRULE:
        return "NFT_MSG_GETRULE";
    case NFT_MSG_DELRULE:
        return "NFT_MSG_DELRULE";
    case NFT_MSG_NEWSET:
        return "NFT_MSG_NEWSET";
    case NFT_MSG_GETSET:
        return "NFT_MSG_GETSET";
    case NFT_MSG_DELSET:
        return "NFT_MSG_DELSET";
    case NFT_MSG_NEWSETELEM:
        return "NFT_MSG_NEWSETELEM";
    case NFT_MSG_GETSETELEM:
        return "NFT_MSG_GETSETELEM";
    case NFT_MSG_DELSETELEM:
        return "NFT_MSG_DELSETELEM";
    case NFT_MSG_NEWGEN:
        return "NFT_MSG_NEWGEN";
    case NFT_MSG_GETGEN:
        return "NFT_MSG_GETGEN";
    case NFT_MSG_NEWOBJ:
        return "NFT_MSG_NEWOBJ";
    case NFT_MSG_GETOBJ:
        return "NFT_MSG_GETOBJ";
    case NFT_MSG_DELOBJ:
        return "NFT_MSG_DELOBJ";
    default:
        return "NFT_MSG_?";
    }
}

} // namespace portcullis::nft
