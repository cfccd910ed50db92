// SPDX-License-Identifier: GPL-2.0-or-later
// Incremental changes of the nftables backend: element diffs, their batches, message splitting,
// and the model that reads batches and kernel dumps alike. No kernel, no root.
#include "core/planner.hpp"
#include "core/ruleset.hpp"
#include "nft/encode.hpp"
#include "nft/handles.hpp"
#include "nft/model.hpp"

#include <catch2/catch.hpp>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

using namespace portcullis;
using namespace portcullis::nft;

namespace {

std::uint16_t type_of(const nlmsghdr* h) {
    return static_cast<std::uint16_t>(NFNL_MSG_TYPE(h->nlmsg_type));
}

DesiredState state(std::initializer_list<Interval> tcp, std::initializer_list<Interval> udp = {},
                   Mode mode = Mode::enforce) {
    DesiredState st;
    st.mode = mode;
    ZoneState lan;
    lan.name = "lan";
    lan.interfaces = {"br0"};
    for (auto iv : tcp)
        lan.tcp.add(iv);
    for (auto iv : udp)
        lan.udp.add(iv);
    st.zones = {lan};
    return st;
}

TableLayout layout(std::initializer_list<Interval> tcp, std::initializer_list<Interval> udp = {},
                   Mode mode = Mode::enforce) {
    return build_layout(state(tcp, udp, mode), "portcullis");
}

// The element messages of a batch, parsed back.
struct Msg {
    std::uint16_t type;
    std::string set;
    std::vector<std::pair<Key, bool>> elems;
    std::size_t length;
};

std::vector<Msg> messages(const Batch& b) {
    std::vector<Msg> out;
    for (const auto& m : b.messages()) {
        const auto* h = reinterpret_cast<const nlmsghdr*>(b.data().data() + m.offset);
        if (type_of(h) != NFT_MSG_NEWSETELEM && type_of(h) != NFT_MSG_DELSETELEM)
            continue;
        SetPtr s(nftnl_set_alloc());
        REQUIRE(nftnl_set_elems_nlmsg_parse(h, s.get()) == 0);
        Msg msg{type_of(h), nftnl_set_get_str(s.get(), NFTNL_SET_NAME), {}, m.length};
        SetElemsIterPtr it(nftnl_set_elems_iter_create(s.get()));
        for (auto* e = nftnl_set_elems_iter_next(it.get()); e;
             e = nftnl_set_elems_iter_next(it.get())) {
            std::uint32_t len = 0;
            const auto* k =
                static_cast<const std::uint8_t*>(nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len));
            bool end =
                nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS) &&
                (nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS) & NFT_SET_ELEM_INTERVAL_END);
            msg.elems.emplace_back(Key(k, k + len), end);
        }
        out.push_back(std::move(msg));
    }
    return out;
}

// n single TCP ports 1000, 1003, 1006...: never adjacent, so none merge.
void add_spaced_ports(ZoneState& z, int n) {
    for (int i = 0; i < n; ++i) {
        auto p = static_cast<std::uint16_t>(1000 + 3 * i);
        z.tcp.add({p, p});
    }
}

TableLayout layout_of(const DesiredState& st) {
    return build_layout(st, "portcullis");
}

// The planner's diff between two states, encoded as the backend encodes it.
Batch patch_of(const DesiredState& from, const DesiredState& to) {
    Batch b(1);
    encode_element_changes(b, "portcullis", element_changes(layout_of(to), diff(from, to)));
    b.finish();
    return b;
}

TableModel replay(const Batch& b, TableModel m) {
    for (const nlmsghdr* h : b.headers())
        REQUIRE(m.apply(h) == 0);
    return m;
}

TableModel model_of(const TableLayout& l) {
    Batch b(1);
    encode_rebuild(b, l);
    b.finish();
    return replay(b, TableModel(l.table));
}

std::pair<Key, bool> start(std::uint16_t p) {
    return {port_key(p), false};
}
std::pair<Key, bool> end(std::uint16_t p) {
    return {port_key(p), true};
}

} // namespace

TEST_CASE("opening one port is one NEWSETELEM of a start and an end", "[nft-diff]") {
    auto from = state({{22, 22}});
    auto to = state({{22, 22}, {8080, 8080}});
    REQUIRE(same_shape(layout_of(from), layout_of(to)));
    auto msgs = messages(patch_of(from, to));
    REQUIRE(msgs.size() == 1);
    CHECK(msgs[0].type == NFT_MSG_NEWSETELEM);
    CHECK(msgs[0].set == "lan_tcp");
    CHECK(msgs[0].elems == std::vector{start(8080), end(8081)});
}

TEST_CASE("closing a port is one DELSETELEM with the exact start and end", "[nft-diff]") {
    auto msgs = messages(patch_of(state({{22, 22}, {8080, 8080}}), state({{22, 22}})));
    REQUIRE(msgs.size() == 1);
    CHECK(msgs[0].type == NFT_MSG_DELSETELEM);
    CHECK(msgs[0].elems == std::vector{start(8080), end(8081)});
}

TEST_CASE("a range that grows is deleted, then re-added, in one batch", "[nft-diff]") {
    auto msgs = messages(patch_of(state({{5000, 5001}}), state({{5000, 5010}})));
    REQUIRE(msgs.size() == 2);
    CHECK(msgs[0].type == NFT_MSG_DELSETELEM);
    CHECK(msgs[0].elems == std::vector{start(5000), end(5002)});
    CHECK(msgs[1].type == NFT_MSG_NEWSETELEM);
    CHECK(msgs[1].elems == std::vector{start(5000), end(5011)});
}

TEST_CASE("every delete of the batch comes before any add", "[nft-diff]") {
    auto from = state({{22, 22}, {80, 80}}, {{53, 53}});
    auto to = state({{22, 22}, {443, 443}}, {{123, 123}});
    auto msgs = messages(patch_of(from, to));
    REQUIRE(msgs.size() == 4);
    CHECK(msgs[0].type == NFT_MSG_DELSETELEM);
    CHECK(msgs[1].type == NFT_MSG_DELSETELEM);
    CHECK(msgs[2].type == NFT_MSG_NEWSETELEM);
    CHECK(msgs[3].type == NFT_MSG_NEWSETELEM);
    CHECK(msgs[0].set == "lan_tcp");
    CHECK(msgs[1].set == "lan_udp");
}

TEST_CASE("the 65535 edge: an open-ended range is added and deleted as its start alone",
          "[nft-diff]") {
    auto msgs = messages(patch_of(state({{22, 22}}), state({{22, 22}, {60000, 65535}})));
    REQUIRE(msgs.size() == 1);
    CHECK(msgs[0].elems == std::vector{start(60000)});
    msgs = messages(patch_of(state({{60000, 65535}}), state({{22, 22}})));
    REQUIRE(msgs.size() == 2);
    CHECK(msgs[0].type == NFT_MSG_DELSETELEM);
    CHECK(msgs[0].elems == std::vector{start(60000)});
    CHECK(msgs[1].elems == std::vector{start(22), end(23)});
}

TEST_CASE("no change, no message", "[nft-diff]") {
    auto s = state({{22, 22}});
    CHECK(element_changes(layout_of(s), diff(s, s)).empty());
    Batch b(1);
    encode_element_changes(b, "portcullis", element_changes(layout_of(s), diff(s, s)));
    CHECK(b.messages().empty());
}

TEST_CASE("a new mode, zone or interface is a new shape, not a patch", "[nft-diff]") {
    CHECK_FALSE(same_shape(layout({{22, 22}}), layout({{22, 22}}, {}, Mode::monitor)));
    DesiredState st = state({{22, 22}});
    auto a = build_layout(st, "portcullis");
    st.zones[0].interfaces.push_back("eth0");
    CHECK(same_shape(a, build_layout(st, "portcullis"))); // only the ifname set's elements
    st.zones[0].interfaces.clear();
    CHECK_FALSE(same_shape(a, build_layout(st, "portcullis"))); // no interface match any more
    CHECK(expected_shape(a) == expected_shape(layout({{1, 65535}})));
    CHECK_FALSE(expected_shape(a) == expected_shape(layout({{22, 22}}, {}, Mode::monitor)));
    CHECK(describe_difference(expected_shape(a), expected_shape(layout({}, {}, Mode::monitor)))
              .find("rule") != std::string::npos);
}

TEST_CASE("replaying a patch on the old table gives the new table", "[nft-diff]") {
    auto from = state({{22, 22}, {80, 80}, {5000, 5001}, {60000, 65535}}, {{53, 53}});
    auto to = state({{22, 22}, {443, 443}, {5000, 5010}}, {{53, 53}, {123, 124}});
    TableModel patched = replay(patch_of(from, to), model_of(layout_of(from)));
    TableModel fresh = model_of(layout_of(to));
    CHECK(patched.shape() == fresh.shape());
    const TableLayout to_layout = layout_of(to);
    for (const SetSpec& s : to_layout.sets) {
        auto got = patched.ranges(s.name);
        REQUIRE(got);
        CHECK(*got == set_elements(s));
        CHECK(*got == *fresh.ranges(s.name));
    }
}

TEST_CASE("deleting what is not there fails the replay, as it fails the kernel", "[nft-diff]") {
    auto from = state({{22, 22}});
    auto stale = state({{22, 22}, {80, 80}}); // what we wrongly believe is applied
    Batch b = patch_of(stale, from);
    TableModel m = model_of(layout_of(from));
    int r = 0;
    for (const nlmsghdr* h : b.headers())
        r = r ? r : m.apply(h);
    CHECK(r == -ENOENT);
}

TEST_CASE("large element lists are split below 64 KiB, a range never across messages",
          "[nft-diff]") {
    DesiredState st = state({});
    add_spaced_ports(st.zones[0], 5000);
    st.zones[0].tcp.add({60000, 65535}); // one range without an end element, to shift parity
    auto l = build_layout(st, "portcullis");
    Batch b(1);
    encode_rebuild(b, l);
    b.finish();
    std::size_t element_msgs = 0;
    std::size_t elems = 0;
    for (const auto& m : messages(b)) {
        if (m.type != NFT_MSG_NEWSETELEM || m.set != "lan_tcp")
            continue;
        ++element_msgs;
        CHECK(m.length < 65536);
        elems += m.elems.size();
        // Each message is whole ranges: every start is followed, in the same message, by its
        // end, except the open-ended one.
        for (std::size_t i = 0; i < m.elems.size(); ++i) {
            INFO("element " << i << " of a message of " << m.elems.size());
            REQUIRE_FALSE(m.elems[i].second);
            if (m.elems[i].first == port_key(60000))
                continue;
            REQUIRE(i + 1 < m.elems.size());
            CHECK(m.elems[i + 1].second);
            CHECK(m.elems[i + 1].first == key_after(m.elems[i].first));
            ++i;
        }
    }
    CHECK(elems == 2 * 5000 + 1);
    CHECK(element_msgs == (5001 + ranges_per_message(2, true) - 1) / ranges_per_message(2, true));
    CHECK(element_msgs > 1);
    // The model reads back all of it.
    auto ranges = replay(b, TableModel("portcullis")).ranges("lan_tcp");
    REQUIRE(ranges);
    CHECK(ranges->size() == 5001);
    auto spec = std::find_if(l.sets.begin(), l.sets.end(),
                             [](const SetSpec& x) { return x.name == "lan_tcp"; });
    REQUIRE(spec != l.sets.end());
    CHECK(*ranges == set_elements(*spec));
}

TEST_CASE("the diff of 5,000 changes is split too", "[nft-diff]") {
    DesiredState st = state({});
    add_spaced_ports(st.zones[0], 5000);
    auto big = st;
    auto none = state({});
    auto msgs = messages(patch_of(none, big));
    CHECK(msgs.size() > 1);
    std::size_t total = 0;
    for (const auto& m : msgs) {
        CHECK(m.length < 65536);
        CHECK(m.type == NFT_MSG_NEWSETELEM);
        CHECK(m.elems.size() % 2 == 0);
        total += m.elems.size();
    }
    CHECK(total == 10000);
    msgs = messages(patch_of(big, none));
    for (const auto& m : msgs)
        CHECK(m.type == NFT_MSG_DELSETELEM);
}

TEST_CASE("elements back to ranges", "[nft-diff]") {
    std::set<RawElem> e{{port_key(22), false}, {port_key(23), true}, {port_key(60000), false}};
    auto r = ranges_from_elements(e, true);
    REQUIRE(r);
    CHECK(*r ==
          std::vector<ElemRange>{{port_key(22), port_key(22)}, {port_key(60000), port_key(65535)}});
    // nft's leading end element at key 0 means nothing.
    e.insert({port_key(0), true});
    CHECK(ranges_from_elements(e, true) == r);
    // Adjacent ranges held apart by the kernel: the end of one and the start of the next share
    // a key.
    std::set<RawElem> adj{
        {port_key(1), false}, {port_key(3), true}, {port_key(3), false}, {port_key(5), true}};
    CHECK(*ranges_from_elements(adj, true) ==
          std::vector<ElemRange>{{port_key(1), port_key(2)}, {port_key(3), port_key(4)}});
    // Half a pair is not a range list.
    CHECK_FALSE(ranges_from_elements({{port_key(23), true}}, true));
    CHECK_FALSE(ranges_from_elements(
        {{port_key(22), false}, {port_key(30), false}, {port_key(40), true}}, true));
    CHECK_FALSE(ranges_from_elements({{port_key(23), true}}, false));
}

TEST_CASE("keys: network order, IFNAMSIZ, carry and the largest key", "[nft-diff]") {
    CHECK(port_key(8080) == Key{0x1f, 0x90});
    CHECK(key_after(port_key(255)) == port_key(256));
    CHECK(key_before(port_key(256)) == port_key(255));
    CHECK(is_max_key(port_key(65535)));
    CHECK_FALSE(is_max_key(port_key(65534)));
    CHECK(ifname_key("eth1").size() == 16);
    CHECK(ifname_key("eth1")[4] == 0);
    CHECK(key_after(Key{10, 255, 255, 255}) == Key{11, 0, 0, 0});
}

TEST_CASE("overlapping sources are merged before they reach the kernel", "[nft-diff]") {
    SetSpec s{.name = "z_src4", .type = SetType::ipv4_addr, .interval = true};
    s.nets = {*parse_cidr("10.0.0.0/8"), *parse_cidr("10.1.0.0/16"), *parse_cidr("11.0.0.0/8"),
              *parse_cidr("198.18.0.1")};
    CHECK(set_elements(s) == std::vector<ElemRange>{{Key{10, 0, 0, 0}, Key{11, 255, 255, 255}},
                                                    {Key{198, 18, 0, 1}, Key{198, 18, 0, 1}}});
}

TEST_CASE("layouts the kernel would refuse or misread are caught first", "[nft-diff]") {
    auto l = layout({{22, 22}});
    CHECK(validate_layout(l).empty());
    auto bad = l;
    bad.sets[0].names = {"a-very-long-interface-name"};
    CHECK(validate_layout(bad).find("interface name") != std::string::npos);
    bad = l;
    bad.table = "";
    CHECK_FALSE(validate_layout(bad).empty());
    bad = l;
    bad.sets[1].ports = {{30, 20}};
    CHECK_FALSE(validate_layout(bad).empty());
}

TEST_CASE("events: which messages touch our table", "[nft-diff]") {
    auto l = layout({{22, 22}});
    Batch b(1);
    encode_rebuild(b, l);
    b.finish();
    for (const nlmsghdr* h : b.headers())
        CHECK(touches_table(h, "portcullis"));
    for (const nlmsghdr* h : b.headers())
        CHECK_FALSE(touches_table(h, "other"));
    Batch p = patch_of(state({{22, 22}}), state({{22, 22}, {80, 80}}));
    REQUIRE(!p.headers().empty());
    CHECK(touches_table(p.headers()[0], "portcullis"));
    // BEGIN and END are not nf_tables messages.
    const auto* begin = reinterpret_cast<const nlmsghdr*>(b.data().data());
    CHECK_FALSE(touches_table(begin, "portcullis"));
}

TEST_CASE("the planner's diff, encoded, equals the generic element diff", "[nft-diff]") {
    // Pseudo-random open sets over the same catalogue-like ports, compared both ways.
    std::uint32_t seed = 12345;
    auto next = [&] { return seed = seed * 1103515245u + 12345u; };
    for (int round = 0; round < 50; ++round) {
        DesiredState a = state({});
        DesiredState b = state({});
        for (std::uint16_t p = 100; p < 3000; p += 7) {
            Interval iv{p, static_cast<std::uint16_t>(p + next() % 5)};
            if (next() % 3)
                a.zones[0].tcp.add(iv);
            if (next() % 3)
                b.zones[0].tcp.add(iv);
        }
        if (next() % 2)
            b.zones[0].tcp.add({65000, 65535});
        auto la = build_layout(a, "t");
        auto lb = build_layout(b, "t");
        auto fast = element_changes(lb, diff(a, b));
        std::vector<ElementDiff> generic;
        for (std::size_t i = 0; i < la.sets.size(); ++i) {
            auto d = diff_elements(lb.sets[i], set_elements(la.sets[i]), set_elements(lb.sets[i]));
            if (!d.empty())
                generic.push_back(d);
        }
        REQUIRE(fast.size() == generic.size());
        for (std::size_t i = 0; i < fast.size(); ++i) {
            CHECK(fast[i].set == generic[i].set);
            CHECK(fast[i].del == generic[i].del);
            CHECK(fast[i].add == generic[i].add);
        }
    }
}
