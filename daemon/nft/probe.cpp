// SPDX-License-Identifier: GPL-2.0-or-later
#include "nft/probe.hpp"

#include "nft/encode.hpp"
#include "nft/socket.hpp"

#include <cerrno>
#include <libnftnl/gen.h>
#include <linux/netfilter/nf_tables.h>
#include <new>
#include <unistd.h>

namespace portcullis {

using namespace nft;

namespace {

// The ack of the message that came after `index` messages of the batch.
int ack_of(const Batch& b, std::size_t index, const std::map<std::uint32_t, int>& acks) {
    if (index >= b.messages().size())
        return -EINVAL;
    auto it = acks.find(b.messages()[index].seq);
    return it == acks.end() ? -ENODATA : it->second;
}

void probe_batch(NftSocket& sock, NftProbe& p) {
    const std::string table = "portcullis-probe-" + std::to_string(getpid());
    Batch b(sock.next_seq());
    encode_table(b, NFT_MSG_NEWTABLE, table);
    std::size_t objects = b.messages().size();
    encode_objects(b, table); // the counter, then the ct helper
    std::size_t sets = b.messages().size();
    TableLayout l;
    l.table = table;
    l.sets.push_back(
        {.name = "probe", .type = SetType::inet_service, .interval = true, .ports = {{21, 22}}});
    encode_sets(b, l);
    // Bound to fail (no such table): the kernel aborts the batch, having answered every message.
    encode_table(b, NFT_MSG_DELTABLE, table + "-absent");
    b.finish();
    std::map<std::uint32_t, int> acks;
    std::string ignored;
    sock.send_batch(b, &ignored, &acks);
    p.inet_table = ack_of(b, 0, acks);
    p.ct_helper = ack_of(b, objects + 1, acks);
    p.interval_sets = ack_of(b, sets, acks);
    if (p.interval_sets == 0)
        p.interval_sets = ack_of(b, sets + 1, acks); // the elements of the set
}

} // namespace

std::vector<std::pair<std::string, std::string>> NftProbe::missing() const {
    std::vector<std::pair<std::string, std::string>> m;
    if (nf_tables < 0) {
        m.emplace_back("nf_tables", "CONFIG_NF_TABLES, module nf_tables");
        return m;
    }
    if (inet_table < 0) {
        m.emplace_back("nf_tables inet tables", "CONFIG_NF_TABLES_INET");
        return m;
    }
    if (interval_sets < 0)
        m.emplace_back("nf_tables interval sets", "CONFIG_NFT_SET_RBTREE, module nft_set_rbtree");
    if (ct_helper < 0)
        m.emplace_back("the nf_tables ct helper object for ftp",
                       "CONFIG_NFT_CT and CONFIG_NF_CONNTRACK_FTP, modules nft_ct and "
                       "nf_conntrack_ftp");
    return m;
}

NftProbe probe_nftables() {
    NftProbe p;
    p.probed = true;
    NftSocket sock;
    if (p.nf_tables = sock.open(); p.nf_tables < 0)
        return p;
    // Any kernel opens NETLINK_NETFILTER sockets; only nf_tables answers this.
    p.nf_tables =
        sock.request(NFT_MSG_GETGEN, NLM_F_ACK, nullptr, [](const nlmsghdr*) { return 0; });
    if (p.nf_tables < 0)
        return p;
    try {
        probe_batch(sock, p);
    } catch (const std::bad_alloc&) {
        p.inet_table = -ENOMEM;
    }
    return p;
}

} // namespace portcullis
