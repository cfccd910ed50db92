// SPDX-License-Identifier: GPL-2.0-or-later
// The ipset netlink messages of the legacy backend, built into a buffer and parsed back, and
// replies made the way the kernel makes them parsed: no kernel, no root.
#include "legacy/ipset-msg.hpp"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <libmnl/libmnl.h>
#include <linux/netfilter/ipset/ip_set.h>
#include <linux/netfilter/nfnetlink.h>
#include <sys/socket.h>

using namespace portcullis;
using namespace portcullis::legacy;

namespace {

ParsedRequest parsed(const IpsetRequest& r, std::size_t i) {
    auto hs = r.headers();
    REQUIRE(i < hs.size());
    ParsedRequest p;
    REQUIRE(parse_request(hs[i], &p) == 0);
    return p;
}

Cidr cidr(const char* text) {
    return *parse_cidr(text);
}

// A reply message as the kernel writes it, for the parsers.
struct Reply {
    std::vector<char> buf = std::vector<char>(65536);
    nlmsghdr* nlh;
    explicit Reply(std::uint8_t cmd) {
        nlh = mnl_nlmsg_put_header(buf.data());
        nlh->nlmsg_type = static_cast<std::uint16_t>((NFNL_SUBSYS_IPSET << 8) | cmd);
        auto* nfg = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
        nfg->nfgen_family = AF_INET;
        mnl_attr_put_u8(nlh, IPSET_ATTR_PROTOCOL, 7);
    }
    void port_element(std::uint16_t port) {
        nlattr* d = mnl_attr_nest_start(nlh, IPSET_ATTR_DATA);
        mnl_attr_put_u16(nlh, IPSET_ATTR_PORT | NLA_F_NET_BYTEORDER, htons(port));
        mnl_attr_nest_end(nlh, d);
    }
};

} // namespace

TEST_CASE("create: a bitmap:port set over every port, with NLM_F_EXCL", "[legacy-ipset]") {
    IpsetRequest r(100);
    r.create({.name = "pc_lan_tcp", .type = IpSetType::bitmap_port}, 3);
    auto p = parsed(r, 0);
    CHECK(p.cmd == IPSET_CMD_CREATE);
    CHECK(p.protocol == ipset_protocol);
    CHECK(p.name == "pc_lan_tcp");
    CHECK(p.name2 == "bitmap:port");
    CHECK(p.revision == 3);
    CHECK(p.family == 0); // serves IPv4 and IPv6
    REQUIRE(p.range);
    CHECK(*p.range == Interval{0, 65535});
    CHECK((p.flags & NLM_F_EXCL) != 0);
    CHECK((p.flags & NLM_F_ACK) != 0);
    CHECK(r.parts()[0].seq == 100);
    CHECK(r.parts()[0].what == "IPSET_CMD_CREATE pc_lan_tcp");
}

TEST_CASE("create: hash:net sets are of one family", "[legacy-ipset]") {
    IpsetRequest r(1);
    r.create({.name = "pc_lan_src6", .type = IpSetType::hash_net, .family = AF_INET6}, 7);
    auto p = parsed(r, 0);
    CHECK(p.name2 == "hash:net");
    CHECK(p.family == AF_INET6);
    CHECK_FALSE(p.range);
}

TEST_CASE("add and del: ports and ranges, networks of both families", "[legacy-ipset]") {
    IpsetRequest r(1);
    IpSetMembers ports;
    ports.ports = {{21, 22}, {80, 80}, {60000, 65535}};
    r.change(true, {.name = "pc_lan_tcp"}, ports);
    IpSetMembers nets;
    nets.nets = {cidr("198.18.0.0/15"), cidr("198.19.255.255")};
    r.change(false, {.name = "pc_lan_src4", .type = IpSetType::hash_net, .family = AF_INET}, nets);
    IpSetMembers nets6;
    nets6.nets = {cidr("2001:db8::/32")};
    r.change(true, {.name = "pc_lan_src6", .type = IpSetType::hash_net, .family = AF_INET6}, nets6);
    REQUIRE(r.headers().size() == 3);
    auto a = parsed(r, 0);
    CHECK(a.cmd == IPSET_CMD_ADD);
    CHECK((a.flags & NLM_F_EXCL) == 0); // adding what is there is no error
    CHECK(a.members == ports);
    auto d = parsed(r, 1);
    CHECK(d.cmd == IPSET_CMD_DEL);
    CHECK(d.members == nets);
    CHECK(parsed(r, 2).members == nets6);
}

TEST_CASE("add: a long list is split into messages below the limit, nothing lost",
          "[legacy-ipset]") {
    IpSetMembers m;
    for (std::uint16_t i = 0; i < 5000; ++i)
        m.ports.push_back(
            {static_cast<std::uint16_t>(1000 + 3 * i), static_cast<std::uint16_t>(1001 + 3 * i)});
    IpsetRequest r(1);
    r.change(true, {.name = "pc_lan_udp"}, m);
    auto hs = r.headers();
    CHECK(hs.size() > 1);
    IpSetMembers back;
    for (std::size_t i = 0; i < hs.size(); ++i) {
        CHECK(hs[i]->nlmsg_len <= IpsetRequest::default_max_message);
        auto p = parsed(r, i);
        back.ports.insert(back.ports.end(), p.members.ports.begin(), p.members.ports.end());
    }
    CHECK(back == m);
    // No members, no message.
    IpsetRequest none(1);
    none.change(true, {.name = "pc_lan_udp"}, {});
    CHECK(none.headers().empty());
}

TEST_CASE("swap, destroy and list name their sets; a destroy never goes without one",
          "[legacy-ipset]") {
    IpsetRequest r(1);
    r.swap_sets("pc_lan_tcp", "pc-lan_tcp");
    r.destroy("pc-lan_tcp");
    r.list("", true);
    r.list("pc_lan_tcp", false);
    auto s = parsed(r, 0);
    CHECK(s.cmd == IPSET_CMD_SWAP);
    CHECK(s.name == "pc_lan_tcp");
    CHECK(s.name2 == "pc-lan_tcp");
    CHECK(parsed(r, 1).cmd == IPSET_CMD_DESTROY);
    auto all = parsed(r, 2);
    CHECK(all.cmd == IPSET_CMD_LIST);
    CHECK(all.name.empty());
    CHECK(all.list_flags == IPSET_FLAG_LIST_SETNAME);
    CHECK((all.flags & NLM_F_DUMP) == NLM_F_DUMP);
    CHECK(r.parts()[2].dump);
    CHECK(parsed(r, 3).name == "pc_lan_tcp");
    IpsetRequest bad(1);
    CHECK_THROWS(bad.destroy(""));
    CHECK_THROWS(bad.create({.name = std::string(32, 'x')}, 0));
}

TEST_CASE("list replies: header, members port by port, continued in a second message",
          "[legacy-ipset]") {
    Reply first(IPSET_CMD_LIST);
    mnl_attr_put_strz(first.nlh, IPSET_ATTR_SETNAME, "pc_lan_tcp");
    mnl_attr_put_strz(first.nlh, IPSET_ATTR_TYPENAME, "bitmap:port");
    mnl_attr_put_u8(first.nlh, IPSET_ATTR_FAMILY, 0);
    mnl_attr_put_u8(first.nlh, IPSET_ATTR_REVISION, 3);
    nlattr* h = mnl_attr_nest_start(first.nlh, IPSET_ATTR_DATA);
    mnl_attr_put_u16(first.nlh, IPSET_ATTR_PORT | NLA_F_NET_BYTEORDER, htons(0));
    mnl_attr_put_u16(first.nlh, IPSET_ATTR_PORT_TO | NLA_F_NET_BYTEORDER, htons(65535));
    mnl_attr_put_u32(first.nlh, IPSET_ATTR_REFERENCES | NLA_F_NET_BYTEORDER, htonl(2));
    mnl_attr_nest_end(first.nlh, h);
    nlattr* adt = mnl_attr_nest_start(first.nlh, IPSET_ATTR_ADT);
    for (std::uint16_t p : {21, 22, 23})
        first.port_element(p);
    mnl_attr_nest_end(first.nlh, adt);

    Reply more(IPSET_CMD_LIST);
    mnl_attr_put_strz(more.nlh, IPSET_ATTR_SETNAME, "pc_lan_tcp");
    adt = mnl_attr_nest_start(more.nlh, IPSET_ATTR_ADT);
    for (std::uint16_t p : {24, 80})
        more.port_element(p);
    mnl_attr_nest_end(more.nlh, adt);

    std::vector<ListedSet> sets;
    REQUIRE(parse_list(first.nlh, sets) == 0);
    REQUIRE(parse_list(more.nlh, sets) == 0);
    finish_list(sets);
    REQUIRE(sets.size() == 1);
    CHECK(sets[0].type == "bitmap:port");
    CHECK(sets[0].revision == 3);
    CHECK(sets[0].references == 2);
    REQUIRE(sets[0].range);
    CHECK(*sets[0].range == Interval{0, 65535});
    CHECK(sets[0].members.ports == std::vector<Interval>{{21, 24}, {80, 80}});
}

TEST_CASE("type and protocol replies", "[legacy-ipset]") {
    Reply t(IPSET_CMD_TYPE);
    mnl_attr_put_u8(t.nlh, IPSET_ATTR_REVISION, 7);
    mnl_attr_put_u8(t.nlh, IPSET_ATTR_REVISION_MIN, 0);
    TypeInfo info;
    REQUIRE(parse_type_reply(t.nlh, &info) == 0);
    CHECK(info.revision_max == 7);
    CHECK(info.revision_min == 0);

    Reply p(IPSET_CMD_PROTOCOL); // no PROTOCOL_MIN, as old kernels answer
    std::uint8_t proto = 0, min = 0;
    REQUIRE(parse_protocol_reply(p.nlh, &proto, &min) == 0);
    CHECK(proto == 7);
    CHECK(min == 7);
    CHECK(parse_protocol_reply(t.nlh, &proto, &min) == -EINVAL);
}

TEST_CASE("ipset's own error codes read as words and map to errnos", "[legacy-ipset]") {
    CHECK(ipset_error_text(-IPSET_ERR_TYPE_MISMATCH) == "the two sets have different types");
    CHECK(ipset_error_text(-ENOENT) == "no such set");
    CHECK(errno_of_ipset(-IPSET_ERR_BUSY) == -EBUSY);
    CHECK(errno_of_ipset(-IPSET_ERR_EXIST) == -EEXIST);
    CHECK(errno_of_ipset(-EPERM) == -EPERM);
}

TEST_CASE("normalize merges ports and sorts networks", "[legacy-ipset]") {
    IpSetMembers m;
    m.ports = {{80, 80}, {21, 22}, {23, 23}};
    m.nets = {cidr("2001:db8::/32"), cidr("198.18.0.0/15"), cidr("198.18.0.0/15")};
    normalize(m);
    CHECK(m.ports == std::vector<Interval>{{21, 23}, {80, 80}});
    CHECK(m.nets == std::vector<Cidr>{cidr("198.18.0.0/15"), cidr("2001:db8::/32")});
}
