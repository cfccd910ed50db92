// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: what the legacy backend reads from the kernel. The first byte picks the
// reader: the ipset replies (netlink messages as libmnl walks a recv() buffer: list, type and
// protocol replies, and requests parsed back), or an iptables table blob (IPT_SO_GET_ENTRIES,
// IPv4 or IPv6) with its hook offsets taken from the bytes, then checked as the periodic check
// checks its chain. Any input must parse or be refused, never crash or hang.
#include "legacy/ipset-msg.hpp"
#include "legacy/xt-table.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <libmnl/libmnl.h>
#include <string>
#include <vector>

namespace {

// mnl_nlmsg_ok() casts nlmsg_len to int, so a length of 2^31 or more passes it and the walk
// leaves the buffer; the kernel never writes one, but the bytes here can.
bool whole_message(const nlmsghdr* nlh, int len) {
    return mnl_nlmsg_ok(nlh, len) && nlh->nlmsg_len <= static_cast<unsigned>(len);
}

void ipset_replies(const std::uint8_t* data, std::size_t size) {
    std::vector<std::uint32_t> buf((size + 3) / 4); // netlink's alignment
    if (size > 0)
        std::memcpy(buf.data(), data, size);
    const auto* nlh = reinterpret_cast<const nlmsghdr*>(buf.data());
    int len = static_cast<int>(size);
    std::vector<portcullis::legacy::ListedSet> sets;
    while (whole_message(nlh, len)) {
        (void)portcullis::legacy::ipset_cmd(nlh);
        (void)portcullis::legacy::parse_list(nlh, sets);
        portcullis::legacy::TypeInfo type;
        (void)portcullis::legacy::parse_type_reply(nlh, &type);
        std::uint8_t protocol = 0;
        std::uint8_t min = 0;
        (void)portcullis::legacy::parse_protocol_reply(nlh, &protocol, &min);
        portcullis::legacy::ParsedRequest request;
        (void)portcullis::legacy::parse_request(nlh, &request);
        nlh = mnl_nlmsg_next(nlh, &len);
    }
    portcullis::legacy::finish_list(sets);
}

// Header: the family bit, valid_hooks, then each hook's entry and underflow offsets (16 bits,
// little-endian), then the blob.
void xt_table(const std::uint8_t* data, std::size_t size) {
    constexpr std::size_t hooks = portcullis::legacy::xt_hooks;
    constexpr std::size_t header = 2 + 4 * hooks;
    if (size < header)
        return;
    auto u16 = [&](std::size_t at) { return unsigned{data[at]} | unsigned{data[at + 1]} << 8; };
    portcullis::legacy::XtTable t;
    t.family = (data[0] & 1) != 0 ? 6 : 4;
    t.name = "filter";
    t.valid_hooks = data[1] & 0x1fU;
    for (std::size_t i = 0; i < hooks; ++i) {
        t.hook_entry[i] = u16(2 + 2 * i);
        t.underflow[i] = u16(2 + 2 * (hooks + i));
    }
    t.entries.assign(data + header, data + size);
    t.num_entries = static_cast<unsigned>(t.entries.size() / 112);
    portcullis::legacy::XtView view;
    std::string why;
    if (portcullis::legacy::parse_xt_table(t, &view, &why) == 0) {
        (void)portcullis::legacy::check_chain(view, "portcullis", "INPUT");
        for (const auto& c : view.chains)
            (void)portcullis::legacy::check_chain(view, c.name, "INPUT");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    if (data[0] & 0x80)
        xt_table(data + 1, size - 1);
    else
        ipset_replies(data + 1, size - 1);
    return 0;
}
