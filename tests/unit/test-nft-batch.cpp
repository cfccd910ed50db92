// SPDX-License-Identifier: GPL-2.0-or-later
// The netlink batches of the nftables backend, built into a buffer and parsed back with libnftnl:
// no kernel, no root.
#include "core/ruleset.hpp"
#include "nft/encode.hpp"
#include "nft/handles.hpp"
#include "nft/model.hpp"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <cerrno>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

using namespace portcullis;
using namespace portcullis::nft;

namespace {

std::uint16_t type_of(const nlmsghdr* h) {
    return static_cast<std::uint16_t>(NFNL_MSG_TYPE(h->nlmsg_type));
}

Cidr cidr(const char* text) {
    return *parse_cidr(text);
}

// A layout with one zone of every kind of set: interfaces, v4 and v6 sources, ports (with the
// 65535 edge), icmp.
TableLayout sample_layout(Mode mode = Mode::enforce) {
    DesiredState st;
    st.mode = mode;
    ZoneState lan;
    lan.name = "lan";
    lan.interfaces = {"br0", "eth0"};
    lan.sources = {cidr("198.18.0.0/15"), cidr("198.19.255.255"), cidr("2001:db8::/32")};
    lan.tcp.add({22, 22});
    lan.tcp.add({5000, 5001});
    lan.tcp.add({60000, 65535});
    lan.udp.add({53, 53});
    lan.icmp = true;
    lan.icmpv6 = true;
    ZoneState wan;
    wan.name = "wan";
    wan.interfaces = {"eth1"};
    wan.tcp.add({443, 443});
    st.zones = {lan, wan};
    st.ftp_helper.add({21, 21});
    return build_layout(st, "portcullis");
}

struct ParsedElem {
    Key key;
    bool end = false;
};

struct ParsedElems {
    std::string set;
    std::string table;
    std::vector<ParsedElem> elems;
};

ParsedElems parse_elems(const nlmsghdr* h) {
    SetPtr s(nftnl_set_alloc());
    REQUIRE(nftnl_set_elems_nlmsg_parse(h, s.get()) == 0);
    ParsedElems out;
    out.set = nftnl_set_get_str(s.get(), NFTNL_SET_NAME);
    out.table = nftnl_set_get_str(s.get(), NFTNL_SET_TABLE);
    SetElemsIterPtr it(nftnl_set_elems_iter_create(s.get()));
    for (auto* e = nftnl_set_elems_iter_next(it.get()); e;
         e = nftnl_set_elems_iter_next(it.get())) {
        std::uint32_t len = 0;
        const auto* k =
            static_cast<const std::uint8_t*>(nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len));
        bool end = nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS) &&
                   (nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS) & NFT_SET_ELEM_INTERVAL_END);
        out.elems.push_back({Key(k, k + len), end});
    }
    return out;
}

// Every NEWSETELEM of the batch for one set, in order.
std::vector<ParsedElem> elems_of(const Batch& b, const std::string& set,
                                 std::uint16_t type = NFT_MSG_NEWSETELEM) {
    std::vector<ParsedElem> out;
    for (const nlmsghdr* h : b.headers()) {
        if (type_of(h) != type)
            continue;
        auto p = parse_elems(h);
        if (p.set == set)
            out.insert(out.end(), p.elems.begin(), p.elems.end());
    }
    return out;
}

Batch rebuild_of(const TableLayout& l) {
    Batch b(100);
    encode_rebuild(b, l);
    b.finish();
    return b;
}

std::vector<std::string> rule_texts(const Batch& b, const std::string& table) {
    TableModel m(table);
    for (const nlmsghdr* h : b.headers())
        REQUIRE(m.apply(h) == 0);
    return m.shape().rules;
}

} // namespace

TEST_CASE("a batch is BEGIN, acked messages with increasing sequence numbers, END", "[nft-batch]") {
    Batch b = rebuild_of(sample_layout());
    auto data = b.data();
    const auto* nlh = reinterpret_cast<const nlmsghdr*>(data.data());
    int len = static_cast<int>(data.size());
    std::vector<const nlmsghdr*> all;
    for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
        all.push_back(nlh);
    CHECK(len == 0); // nothing left over
    REQUIRE(all.size() == b.messages().size() + 2);
    CHECK(all.front()->nlmsg_type == NFNL_MSG_BATCH_BEGIN);
    CHECK(all.back()->nlmsg_type == NFNL_MSG_BATCH_END);
    const auto* begin = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(all.front()));
    CHECK(ntohs(begin->res_id) == NFNL_SUBSYS_NFTABLES);
    for (std::size_t i = 0; i < all.size(); ++i)
        CHECK(all[i]->nlmsg_seq == 100 + i);
    for (std::size_t i = 1; i + 1 < all.size(); ++i) {
        CHECK((all[i]->nlmsg_flags & NLM_F_ACK));
        CHECK((all[i]->nlmsg_flags & NLM_F_REQUEST));
        CHECK(NFNL_SUBSYS_ID(all[i]->nlmsg_type) == NFNL_SUBSYS_NFTABLES);
        const auto* g = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(all[i]));
        CHECK(g->nfgen_family == NFPROTO_INET);
    }
    CHECK(b.begin_seq() == 100);
    CHECK(b.end_seq() == 100 + all.size() - 1);
    REQUIRE(b.find(101));
    CHECK(b.find(101)->what == "NFT_MSG_NEWTABLE portcullis");
}

TEST_CASE("a rebuild replaces the table atomically: add, delete, create, then everything",
          "[nft-batch]") {
    Batch b = rebuild_of(sample_layout());
    auto hs = b.headers();
    REQUIRE(hs.size() > 6);
    CHECK(type_of(hs[0]) == NFT_MSG_NEWTABLE);
    CHECK(type_of(hs[1]) == NFT_MSG_DELTABLE);
    CHECK(type_of(hs[2]) == NFT_MSG_NEWTABLE);
    for (int i = 0; i < 3; ++i) {
        TablePtr t(nftnl_table_alloc());
        REQUIRE(nftnl_table_nlmsg_parse(hs[i], t.get()) == 0);
        CHECK(std::string(nftnl_table_get_str(t.get(), NFTNL_TABLE_NAME)) == "portcullis");
    }
    // Only the first NEWTABLE may meet an existing table; none may flush anything else.
    for (const nlmsghdr* h : hs)
        CHECK(type_of(h) != NFT_MSG_DELRULE);
    // Rules come after their chain.
    std::size_t chain = 0;
    std::size_t first_rule = hs.size();
    for (std::size_t i = 0; i < hs.size(); ++i) {
        if (type_of(hs[i]) == NFT_MSG_NEWCHAIN)
            chain = i;
        if (type_of(hs[i]) == NFT_MSG_NEWRULE && first_rule == hs.size())
            first_rule = i;
    }
    CHECK(chain < first_rule);
    CHECK(chain > 2);
}

TEST_CASE("named objects: the dropped counter and the ftp ct helper", "[nft-batch]") {
    Batch b = rebuild_of(sample_layout());
    int counters = 0;
    int helpers = 0;
    for (const nlmsghdr* h : b.headers()) {
        if (type_of(h) != NFT_MSG_NEWOBJ)
            continue;
        ObjPtr o(nftnl_obj_alloc());
        REQUIRE(nftnl_obj_nlmsg_parse(h, o.get()) == 0);
        CHECK(std::string(nftnl_obj_get_str(o.get(), NFTNL_OBJ_TABLE)) == "portcullis");
        std::string name = nftnl_obj_get_str(o.get(), NFTNL_OBJ_NAME);
        if (nftnl_obj_get_u32(o.get(), NFTNL_OBJ_TYPE) == NFT_OBJECT_COUNTER) {
            ++counters;
            CHECK(name == "dropped");
        } else {
            ++helpers;
            CHECK(nftnl_obj_get_u32(o.get(), NFTNL_OBJ_TYPE) == NFT_OBJECT_CT_HELPER);
            CHECK(name == "ftp");
            CHECK(std::string(nftnl_obj_get_str(o.get(), NFTNL_OBJ_CT_HELPER_NAME)) == "ftp");
            CHECK(nftnl_obj_get_u16(o.get(), NFTNL_OBJ_CT_HELPER_L3PROTO) == NFPROTO_INET);
            CHECK(nftnl_obj_get_u8(o.get(), NFTNL_OBJ_CT_HELPER_L4PROTO) == IPPROTO_TCP);
        }
    }
    CHECK(counters == 1);
    CHECK(helpers == 1);
}

TEST_CASE("the base chain: filter hook input priority 0 policy accept", "[nft-batch]") {
    Batch b = rebuild_of(sample_layout());
    int chains = 0;
    for (const nlmsghdr* h : b.headers()) {
        if (type_of(h) != NFT_MSG_NEWCHAIN)
            continue;
        ++chains;
        ChainPtr c(nftnl_chain_alloc());
        REQUIRE(nftnl_chain_nlmsg_parse(h, c.get()) == 0);
        CHECK(std::string(nftnl_chain_get_str(c.get(), NFTNL_CHAIN_NAME)) == "input");
        CHECK(std::string(nftnl_chain_get_str(c.get(), NFTNL_CHAIN_TYPE)) == "filter");
        CHECK(nftnl_chain_get_u32(c.get(), NFTNL_CHAIN_HOOKNUM) == NF_INET_LOCAL_IN);
        CHECK(nftnl_chain_get_s32(c.get(), NFTNL_CHAIN_PRIO) == 0);
        CHECK(nftnl_chain_get_u32(c.get(), NFTNL_CHAIN_POLICY) == NF_ACCEPT);
    }
    CHECK(chains == 1);
}

TEST_CASE("sets: exactly those of the layout, with nft's key types and lengths", "[nft-batch]") {
    TableLayout l = sample_layout();
    Batch b = rebuild_of(l);
    std::map<std::string, SetDef> got;
    for (const nlmsghdr* h : b.headers()) {
        if (type_of(h) != NFT_MSG_NEWSET)
            continue;
        SetPtr s(nftnl_set_alloc());
        REQUIRE(nftnl_set_nlmsg_parse(h, s.get()) == 0);
        SetDef d{.name = nftnl_set_get_str(s.get(), NFTNL_SET_NAME),
                 .flags = nftnl_set_get_u32(s.get(), NFTNL_SET_FLAGS),
                 .key_type = nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_TYPE),
                 .key_len = nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_LEN)};
        CHECK(std::string(nftnl_set_get_str(s.get(), NFTNL_SET_TABLE)) == "portcullis");
        CHECK(nftnl_set_is_set(s.get(), NFTNL_SET_USERDATA)); // key byte order, for nft list
        got[d.name] = d;
    }
    REQUIRE(got.size() == l.sets.size() + 1); // and the anonymous set of icmpv6 types
    for (const SetSpec& s : l.sets) {
        REQUIRE(got.count(s.name));
        CHECK(got[s.name] == set_def(s));
    }
    CHECK(got["lan_tcp"] == SetDef{"lan_tcp", NFT_SET_INTERVAL, 13, 2});
    CHECK(got["helper_ftp"] == SetDef{"helper_ftp", NFT_SET_INTERVAL, 13, 2});
    CHECK(got["lan_ifaces"] == SetDef{"lan_ifaces", 0, 41, 16});
    CHECK(got["lan_src4"] == SetDef{"lan_src4", NFT_SET_INTERVAL, 7, 4});
    CHECK(got["lan_src6"] == SetDef{"lan_src6", NFT_SET_INTERVAL, 8, 16});
    CHECK(got["lan_icmp"] == SetDef{"lan_icmp", 0, 12, 1});
    CHECK(got["__set%d"] == SetDef{"__set%d", NFT_SET_ANONYMOUS | NFT_SET_CONSTANT, 29, 1});
}

TEST_CASE("port ranges are a start and an end at last+1; a range to 65535 has no end",
          "[nft-batch]") {
    Batch b = rebuild_of(sample_layout());
    auto e = elems_of(b, "lan_tcp");
    // 22, 5000-5001, 60000-65535, in this order, start before end.
    REQUIRE(e.size() == 5);
    CHECK(e[0].key == Key{0x00, 0x16});
    CHECK_FALSE(e[0].end);
    CHECK(e[1].key == Key{0x00, 0x17});
    CHECK(e[1].end);
    CHECK(e[2].key == Key{0x13, 0x88}); // 5000, network byte order
    CHECK_FALSE(e[2].end);
    CHECK(e[3].key == Key{0x13, 0x8a}); // 5002
    CHECK(e[3].end);
    CHECK(e[4].key == Key{0xea, 0x60}); // 60000, open-ended
    CHECK_FALSE(e[4].end);
    // nft's leading key-0 end element is not sent.
    CHECK(elems_of(b, "lan_udp").size() == 2);
    CHECK(elems_of(b, "wan_udp").empty()); // empty set: no element message at all
}

TEST_CASE("65535 alone is one start element", "[nft-batch]") {
    TableLayout l = sample_layout();
    for (auto& s : l.sets)
        if (s.name == "wan_tcp")
            s.ports = {{65535, 65535}};
    auto e = elems_of(rebuild_of(l), "wan_tcp");
    REQUIRE(e.size() == 1);
    CHECK(e[0].key == Key{0xff, 0xff});
    CHECK_FALSE(e[0].end);
}

TEST_CASE("interface, address and protocol elements", "[nft-batch]") {
    Batch b = rebuild_of(sample_layout());
    auto ifs = elems_of(b, "lan_ifaces");
    REQUIRE(ifs.size() == 2);
    Key br0(16, 0);
    br0[0] = 'b';
    br0[1] = 'r';
    br0[2] = '0';
    CHECK(ifs[0].key == br0); // IFNAMSIZ, zero padded
    CHECK_FALSE(ifs[0].end);

    // 198.18.0.0/15 and the host 198.19.255.255 (inside it) merge into one range.
    auto v4 = elems_of(b, "lan_src4");
    REQUIRE(v4.size() == 2);
    CHECK(v4[0].key == Key{198, 18, 0, 0});
    CHECK(v4[1].key == Key{198, 20, 0, 0});
    CHECK(v4[1].end);

    auto v6 = elems_of(b, "lan_src6");
    REQUIRE(v6.size() == 2);
    Key start(16, 0), end(16, 0);
    start[0] = 0x20, start[1] = 0x01, start[2] = 0x0d, start[3] = 0xb8;
    end[0] = 0x20, end[1] = 0x01, end[2] = 0x0d, end[3] = 0xb9;
    CHECK(v6[0].key == start);
    CHECK(v6[1].key == end);
    CHECK(v6[1].end);

    auto icmp = elems_of(b, "lan_icmp");
    REQUIRE(icmp.size() == 2);
    CHECK(icmp[0].key == Key{1});
    CHECK(icmp[1].key == Key{58});

    auto nd = elems_of(b, "__set%d");
    REQUIRE(nd.size() == 4);
    for (std::size_t i = 0; i < 4; ++i)
        CHECK(nd[i].key == Key{static_cast<std::uint8_t>(133 + i)});
}

TEST_CASE("the whole IPv4 space has no end element", "[nft-batch]") {
    SetSpec s{.name = "z_src4", .type = SetType::ipv4_addr, .interval = true};
    s.nets = {cidr("0.0.0.0/0")};
    auto r = set_elements(s);
    REQUIRE(r.size() == 1);
    CHECK(is_max_key(r[0].last));
    TableLayout l = sample_layout();
    l.sets.push_back(s);
    auto e = elems_of(rebuild_of(l), "z_src4");
    REQUIRE(e.size() == 1);
    CHECK(e[0].key == Key{0, 0, 0, 0});
}

TEST_CASE("rules: the expressions nft itself emits, in layout order", "[nft-batch]") {
    TableLayout l = sample_layout();
    auto rules = rule_texts(rebuild_of(l), "portcullis");
    REQUIRE(rules.size() == l.rules.size());
    // Expected texts are libnftnl's, as `nft --debug=netlink` printed them for the same rules.
    const std::string accept = " [immediate reg 0 accept ]";
    CHECK(rules[0] == "input: [ct load state => reg 1 ] [bitwise reg 1 = ( reg 1 & 0x00000006 ) ^ "
                      "0x00000000 ] [cmp neq reg 1 0x00000000 ]" +
                          accept);
    CHECK(rules[1] == "input: [meta load iif => reg 1 ] [cmp eq reg 1 0x00000001 ]" + accept);
    CHECK(rules[2] == "input: [meta load nfproto => reg 1 ] [cmp eq reg 1 0x0000000a ] [meta load "
                      "l4proto => reg 1 ] [cmp eq reg 1 0x0000003a ] [payload load 1b @ transport "
                      "header + 0 => reg 1 ] [lookup reg 1 set {type 29 len 1 flags 3: 85 86 87 "
                      "88}]" +
                          accept);
    CHECK(rules[3] == "input: [meta load l4proto => reg 1 ] [cmp eq reg 1 0x00000011 ] [payload "
                      "load 4b @ transport header + 0 => reg 1 ] [cmp eq reg 1 0x44004300 ]" +
                          accept);
    CHECK(rules[4] == "input: [meta load l4proto => reg 1 ] [cmp eq reg 1 0x00000011 ] [payload "
                      "load 4b @ transport header + 0 => reg 1 ] [cmp eq reg 1 0x22022302 ]" +
                          accept);
    CHECK(rules[5] == "input: [meta load l4proto => reg 1 ] [cmp eq reg 1 0x00000006 ] [payload "
                      "load 2b @ transport header + 2 => reg 1 ] [lookup reg 1 set @helper_ftp] "
                      "[objref type 3 name ftp ]");
    CHECK(rules[6] == "input: [meta load iifname => reg 1 ] [lookup reg 1 set @lan_ifaces] [meta "
                      "load nfproto => reg 1 ] [cmp eq reg 1 0x00000002 ] [payload load 4b @ "
                      "network header + 12 => reg 1 ] [lookup reg 1 set @lan_src4] [meta load "
                      "l4proto => reg 1 ] [cmp eq reg 1 0x00000006 ] [payload load 2b @ transport "
                      "header + 2 => reg 1 ] [lookup reg 1 set @lan_tcp]" +
                          accept);
    CHECK(rules[7].find("[cmp eq reg 1 0x00000011 ] [payload load 2b @ transport header + 2 => "
                        "reg 1 ] [lookup reg 1 set @lan_udp]") != std::string::npos);
    CHECK(rules[8] == "input: [meta load iifname => reg 1 ] [lookup reg 1 set @lan_ifaces] [meta "
                      "load nfproto => reg 1 ] [cmp eq reg 1 0x00000002 ] [payload load 4b @ "
                      "network header + 12 => reg 1 ] [lookup reg 1 set @lan_src4] [meta load "
                      "l4proto => reg 1 ] [lookup reg 1 set @lan_icmp]" +
                          accept);
    CHECK(rules[9] == "input: [meta load iifname => reg 1 ] [lookup reg 1 set @lan_ifaces] [meta "
                      "load nfproto => reg 1 ] [cmp eq reg 1 0x0000000a ] [payload load 16b @ "
                      "network header + 8 => reg 1 ] [lookup reg 1 set @lan_src6] [meta load "
                      "l4proto => reg 1 ] [cmp eq reg 1 0x00000006 ] [payload load 2b @ transport "
                      "header + 2 => reg 1 ] [lookup reg 1 set @lan_tcp]" +
                          accept);
    CHECK(rules[12] == "input: [meta load iifname => reg 1 ] [lookup reg 1 set @wan_ifaces] [meta "
                       "load l4proto => reg 1 ] [cmp eq reg 1 0x00000006 ] [payload load 2b @ "
                       "transport header + 2 => reg 1 ] [lookup reg 1 set @wan_tcp]" +
                           accept);
    CHECK(rules.back() == "input: [objref type 1 name dropped ] [immediate reg 0 drop ]");

    auto monitor = rule_texts(rebuild_of(sample_layout(Mode::monitor)), "portcullis");
    CHECK(monitor.back() == "input: [objref type 1 name dropped ]" + accept);
}

TEST_CASE("a zone without interfaces or sources matches every input", "[nft-batch]") {
    DesiredState st;
    st.zones.push_back(ZoneState{.name = "any"});
    st.zones[0].tcp.add({22, 22});
    auto rules = rule_texts(rebuild_of(build_layout(st, "t")), "t");
    CHECK(std::find(rules.begin(), rules.end(),
                    "input: [meta load l4proto => reg 1 ] [cmp eq reg 1 0x00000006 ] [payload "
                    "load 2b @ transport header + 2 => reg 1 ] [lookup reg 1 set @any_tcp] "
                    "[immediate reg 0 accept ]") != rules.end());
}

TEST_CASE("rule messages append in order and name the rule for error reports", "[nft-batch]") {
    TableLayout l = sample_layout();
    Batch b = rebuild_of(l);
    std::vector<std::string> whats;
    for (const auto& m : b.messages()) {
        if (m.type != NFT_MSG_NEWRULE)
            continue;
        const auto* h = reinterpret_cast<const nlmsghdr*>(b.data().data() + m.offset);
        CHECK((h->nlmsg_flags & NLM_F_APPEND));
        whats.push_back(m.what);
    }
    REQUIRE(whats.size() == l.rules.size());
    CHECK(whats[0] == "NFT_MSG_NEWRULE input #1 (ct state established,related accept)");
    CHECK(whats.back() == "NFT_MSG_NEWRULE input #" + std::to_string(l.rules.size()) +
                              " (counter name \"dropped\" drop)");
}
