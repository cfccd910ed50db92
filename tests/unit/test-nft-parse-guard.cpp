// SPDX-License-Identifier: GPL-2.0-or-later
// The checks in front of libnftnl's parsers: a string attribute libnftnl would strdup() must end
// in NUL, wherever it sits (a message's names, a chain's devices, an element's object reference,
// a verdict's chain, the set an expression names, a nested expression's name). Found by
// fuzz-netlink (a set name without NUL read past the heap buffer); the messages the daemon
// writes itself, which every other nft test replays through the model, all pass.
#include "nft/model.hpp"
#include "nft/parse-guard.hpp"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <functional>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <string>
#include <vector>

using namespace portcullis::nft;

namespace {

// One nf_tables message of type `type`, its attributes written by fill.
struct Message {
    std::vector<char> buf = std::vector<char>(MNL_SOCKET_BUFFER_SIZE);
    nlmsghdr* nlh;
    Message(std::uint16_t type, const std::function<void(nlmsghdr*)>& fill) {
        nlh = mnl_nlmsg_put_header(buf.data());
        nlh->nlmsg_type = static_cast<std::uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | type);
        auto* gen = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
        gen->nfgen_family = NFPROTO_INET;
        fill(nlh);
    }
};

// A string attribute with or without its terminating NUL. Without it, the string fills its
// attribute to the 4-byte boundary: no zero padding follows to end it.
void put_name(nlmsghdr* nlh, std::uint16_t type, const char* s, bool nul) {
    if (!nul)
        REQUIRE(std::strlen(s) % MNL_ALIGNTO == 0);
    mnl_attr_put(nlh, type, std::strlen(s) + (nul ? 1 : 0), s);
}

// A rule with one expression called `name`, whose data fill writes.
Message rule_with(const char* name, const std::function<void(nlmsghdr*)>& data) {
    return Message(NFT_MSG_NEWRULE, [&](nlmsghdr* nlh) {
        mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, "portcullis");
        mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, "input");
        nlattr* list = mnl_attr_nest_start(nlh, NFTA_RULE_EXPRESSIONS);
        nlattr* expr = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
        mnl_attr_put_strz(nlh, NFTA_EXPR_NAME, name);
        nlattr* d = mnl_attr_nest_start(nlh, NFTA_EXPR_DATA);
        data(nlh);
        mnl_attr_nest_end(nlh, d);
        mnl_attr_nest_end(nlh, expr);
        mnl_attr_nest_end(nlh, list);
    });
}

// A rule whose expression list ends in an expression without a name, after a counter when
// `counter_first`.
Message rule_with_nameless_expression(bool counter_first) {
    return Message(NFT_MSG_NEWRULE, [counter_first](nlmsghdr* nlh) {
        mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, "portcullis");
        mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, "input");
        nlattr* list = mnl_attr_nest_start(nlh, NFTA_RULE_EXPRESSIONS);
        if (counter_first) {
            nlattr* good = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
            mnl_attr_put_strz(nlh, NFTA_EXPR_NAME, "counter");
            mnl_attr_nest_end(nlh, good);
        }
        nlattr* nameless = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
        mnl_attr_put_u32(nlh, NFTA_EXPR_DATA, 0);
        mnl_attr_nest_end(nlh, nameless);
        mnl_attr_nest_end(nlh, list);
    });
}

// A jump verdict in a data register of type `type`.
void put_jump(nlmsghdr* nlh, std::uint16_t type, bool nul) {
    nlattr* data = mnl_attr_nest_start(nlh, type);
    nlattr* verdict = mnl_attr_nest_start(nlh, NFTA_DATA_VERDICT);
    mnl_attr_put_u32(nlh, NFTA_VERDICT_CODE, htonl(static_cast<std::uint32_t>(NFT_JUMP)));
    put_name(nlh, NFTA_VERDICT_CHAIN, "lan_zone", nul);
    mnl_attr_nest_end(nlh, verdict);
    mnl_attr_nest_end(nlh, data);
}

} // namespace

TEST_CASE("a set name without NUL is refused before libnftnl copies it", "[nft-guard]") {
    for (bool nul : {true, false}) {
        Message m(NFT_MSG_NEWSET, [nul](nlmsghdr* nlh) {
            mnl_attr_put_strz(nlh, NFTA_SET_TABLE, "portcullis");
            put_name(nlh, NFTA_SET_NAME, "web_tcp4", nul);
            mnl_attr_put_u32(nlh, NFTA_SET_KEY_TYPE, htonl(13));
            mnl_attr_put_u32(nlh, NFTA_SET_KEY_LEN, htonl(2));
        });
        TableModel model("portcullis");
        INFO("nul " << nul);
        CHECK(safe_for_libnftnl(m.nlh) == nul);
        CHECK(model.apply(m.nlh) == (nul ? 0 : -EINVAL));
        CHECK(model.sets().size() == (nul ? 1U : 0U));
    }
}

TEST_CASE("table, chain, device and object names must end in NUL", "[nft-guard]") {
    for (bool nul : {true, false}) {
        INFO("nul " << nul);
        Message table(NFT_MSG_NEWTABLE,
                      [nul](nlmsghdr* nlh) { put_name(nlh, NFTA_TABLE_NAME, "wall", nul); });
        CHECK(safe_for_libnftnl(table.nlh) == nul);
        Message chain(NFT_MSG_NEWCHAIN, [nul](nlmsghdr* nlh) {
            mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, "portcullis");
            put_name(nlh, NFTA_CHAIN_NAME, "incoming", nul);
            mnl_attr_put_strz(nlh, NFTA_CHAIN_TYPE, "filter");
        });
        CHECK(safe_for_libnftnl(chain.nlh) == nul);
        Message device(NFT_MSG_NEWCHAIN, [nul](nlmsghdr* nlh) {
            mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, "portcullis");
            mnl_attr_put_strz(nlh, NFTA_CHAIN_NAME, "ingress");
            nlattr* hook = mnl_attr_nest_start(nlh, NFTA_CHAIN_HOOK);
            nlattr* devs = mnl_attr_nest_start(nlh, NFTA_HOOK_DEVS);
            mnl_attr_put_strz(nlh, NFTA_DEVICE_NAME, "eth0");
            put_name(nlh, NFTA_DEVICE_NAME, "eth1", nul);
            mnl_attr_nest_end(nlh, devs);
            mnl_attr_nest_end(nlh, hook);
        });
        CHECK(safe_for_libnftnl(device.nlh) == nul);
        Message helper(NFT_MSG_NEWOBJ, [nul](nlmsghdr* nlh) {
            mnl_attr_put_strz(nlh, NFTA_OBJ_TABLE, "portcullis");
            mnl_attr_put_strz(nlh, NFTA_OBJ_NAME, "ftp");
            nlattr* data = mnl_attr_nest_start(nlh, NFTA_OBJ_DATA);
            put_name(nlh, NFTA_CT_HELPER_NAME, "sane", nul);
            mnl_attr_nest_end(nlh, data);
            // The type comes after the data: the check reads the whole message first.
            mnl_attr_put_u32(nlh, NFTA_OBJ_TYPE, htonl(NFT_OBJECT_CT_HELPER));
        });
        CHECK(safe_for_libnftnl(helper.nlh) == nul);
    }
}

TEST_CASE("a string without NUL that zero padding ends passes, as libnftnl writes some",
          "[nft-guard]") {
    // libnftnl writes a ct helper's name with mnl_attr_put_str(): "ftp" and one byte of zero
    // padding. The daemon's own batches carry such a message, and the model must read it.
    Message helper(NFT_MSG_NEWOBJ, [](nlmsghdr* nlh) {
        mnl_attr_put_strz(nlh, NFTA_OBJ_TABLE, "portcullis");
        mnl_attr_put_strz(nlh, NFTA_OBJ_NAME, "ftp");
        mnl_attr_put_u32(nlh, NFTA_OBJ_TYPE, htonl(NFT_OBJECT_CT_HELPER));
        nlattr* data = mnl_attr_nest_start(nlh, NFTA_OBJ_DATA);
        mnl_attr_put_str(nlh, NFTA_CT_HELPER_NAME, "ftp");
        mnl_attr_nest_end(nlh, data);
    });
    CHECK(safe_for_libnftnl(helper.nlh));
    TableModel model("portcullis");
    CHECK(model.apply(helper.nlh) == 0);
    REQUIRE(model.shape().objects.size() == 1);
    CHECK(model.shape().objects[0].helper == "ftp");
}

TEST_CASE("strings inside expressions and verdicts must end in NUL", "[nft-guard]") {
    for (bool nul : {true, false}) {
        INFO("nul " << nul);
        Message lookup = rule_with("lookup", [nul](nlmsghdr* nlh) {
            put_name(nlh, NFTA_LOOKUP_SET, "web_tcp4", nul);
            mnl_attr_put_u32(nlh, NFTA_LOOKUP_SREG, htonl(NFT_REG_1));
        });
        CHECK(safe_for_libnftnl(lookup.nlh) == nul);
        Message log = rule_with(
            "log", [nul](nlmsghdr* nlh) { put_name(nlh, NFTA_LOG_PREFIX, "dropped:", nul); });
        CHECK(safe_for_libnftnl(log.nlh) == nul);
        Message jump = rule_with("immediate",
                                 [nul](nlmsghdr* nlh) { put_jump(nlh, NFTA_IMMEDIATE_DATA, nul); });
        CHECK(safe_for_libnftnl(jump.nlh) == nul);
        TableModel model("portcullis");
        CHECK(model.apply(jump.nlh) == (nul ? 0 : -EINVAL));
        CHECK(model.rules().size() == (nul ? 1U : 0U));
    }
}

TEST_CASE("an element's object reference and verdict chain must end in NUL", "[nft-guard]") {
    for (bool nul : {true, false}) {
        INFO("nul " << nul);
        auto element = [nul](std::uint16_t what) {
            return Message(NFT_MSG_NEWSETELEM, [nul, what](nlmsghdr* nlh) {
                mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, "portcullis");
                mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, "verdicts");
                nlattr* list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
                nlattr* elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
                nlattr* key = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
                mnl_attr_put_u16(nlh, NFTA_DATA_VALUE, htons(22));
                mnl_attr_nest_end(nlh, key);
                if (what == NFTA_SET_ELEM_OBJREF)
                    put_name(nlh, NFTA_SET_ELEM_OBJREF, "sane", nul);
                else
                    put_jump(nlh, NFTA_SET_ELEM_DATA, nul);
                mnl_attr_nest_end(nlh, elem);
                mnl_attr_nest_end(nlh, list);
            });
        };
        CHECK(safe_for_libnftnl(element(NFTA_SET_ELEM_OBJREF).nlh) == nul);
        CHECK(safe_for_libnftnl(element(NFTA_SET_ELEM_DATA).nlh) == nul);
    }
}

TEST_CASE("a dynset's own expressions are checked too, to a bounded depth", "[nft-guard]") {
    // dynset { dynset { ... { counter } } }, `depth` dynsets deep; the innermost expression
    // named or not.
    std::function<void(nlmsghdr*, int, bool)> nest = [&](nlmsghdr* nlh, int depth, bool named) {
        nlattr* expr = mnl_attr_nest_start(nlh, NFTA_DYNSET_EXPR);
        if (depth == 0) {
            if (named)
                mnl_attr_put_strz(nlh, NFTA_EXPR_NAME, "counter");
        } else {
            mnl_attr_put_strz(nlh, NFTA_EXPR_NAME, "dynset");
            nlattr* data = mnl_attr_nest_start(nlh, NFTA_EXPR_DATA);
            mnl_attr_put_strz(nlh, NFTA_DYNSET_SET_NAME, "meter");
            nest(nlh, depth - 1, named);
            mnl_attr_nest_end(nlh, data);
        }
        mnl_attr_nest_end(nlh, expr);
    };
    auto rule = [&](int depth, bool named) {
        return rule_with("dynset", [&](nlmsghdr* nlh) {
            mnl_attr_put_strz(nlh, NFTA_DYNSET_SET_NAME, "meter");
            nest(nlh, depth, named);
        });
    };
    CHECK(safe_for_libnftnl(rule(0, true).nlh));
    CHECK_FALSE(safe_for_libnftnl(rule(0, false).nlh)); // libnftnl would strcmp() nothing
    CHECK(safe_for_libnftnl(rule(3, true).nlh));
    CHECK_FALSE(safe_for_libnftnl(rule(3, false).nlh));
    CHECK_FALSE(safe_for_libnftnl(rule(40, true).nlh)); // the kernel nests one level
}

TEST_CASE("an attribute reaching into the message's padding is checked as libmnl walks it",
          "[nft-guard]") {
    // Found by fuzz-netlink: libmnl walks a message's attributes up to its aligned end, so an
    // expression list ending one byte past nlmsg_len is still parsed by libnftnl. The guard
    // walks the same bytes, and finds the nameless expression in it.
    Message m = rule_with_nameless_expression(false);
    REQUIRE(m.nlh->nlmsg_len % MNL_ALIGNTO == 0);
    m.nlh->nlmsg_len -= 1;
    CHECK_FALSE(safe_for_libnftnl(m.nlh));
    TableModel model("portcullis");
    CHECK(model.apply(m.nlh) == -EINVAL);
}

TEST_CASE("a verdict has its code, and a jump or goto its chain", "[nft-guard]") {
    // Found by fuzz-netlink: libnftnl 1.2.4 reads a verdict into an attribute table it does not
    // initialise, so a goto without a chain made it strdup() whatever was on the stack.
    auto immediate = [](std::uint32_t code, bool with_code, bool with_chain) {
        return rule_with("immediate", [=](nlmsghdr* nlh) {
            mnl_attr_put_u32(nlh, NFTA_IMMEDIATE_DREG, htonl(NFT_REG_VERDICT));
            nlattr* data = mnl_attr_nest_start(nlh, NFTA_IMMEDIATE_DATA);
            nlattr* verdict = mnl_attr_nest_start(nlh, NFTA_DATA_VERDICT);
            if (with_code)
                mnl_attr_put_u32(nlh, NFTA_VERDICT_CODE, htonl(code));
            if (with_chain)
                mnl_attr_put_strz(nlh, NFTA_VERDICT_CHAIN, "lan_zone");
            mnl_attr_nest_end(nlh, verdict);
            mnl_attr_nest_end(nlh, data);
        });
    };
    const auto jump = static_cast<std::uint32_t>(NFT_JUMP);
    const auto go_to = static_cast<std::uint32_t>(NFT_GOTO);
    CHECK(safe_for_libnftnl(immediate(NF_ACCEPT, true, false).nlh));
    CHECK(safe_for_libnftnl(immediate(jump, true, true).nlh));
    CHECK(safe_for_libnftnl(immediate(go_to, true, true).nlh));
    CHECK_FALSE(safe_for_libnftnl(immediate(go_to, true, false).nlh));
    CHECK_FALSE(safe_for_libnftnl(immediate(jump, true, false).nlh));
    CHECK_FALSE(safe_for_libnftnl(immediate(NF_ACCEPT, false, false).nlh));
    TableModel model("portcullis");
    CHECK(model.apply(immediate(go_to, true, false).nlh) == -EINVAL);
    CHECK(model.apply(immediate(NF_DROP, true, false).nlh) == 0);
    CHECK(model.rules().size() == 1);
}

TEST_CASE("a rule, set or element message with a nameless expression is refused, not parsed",
          "[nft-guard]") {
    // Found by fuzz-netlink: libnftnl hands a missing NFTA_EXPR_NAME to strcmp(). The model
    // checks first and answers -EINVAL; the good expression before it changes nothing.
    Message m = rule_with_nameless_expression(true);
    TableModel model("portcullis");
    CHECK(model.apply(m.nlh) == -EINVAL);
    CHECK(model.rules().empty());
}

TEST_CASE("an element attribute past libnftnl's table is refused, not parsed", "[nft-guard]") {
    // Found by fuzz-netlink: libnftnl checks element attribute types against NFTA_SET_MAX but
    // stores them in a table of NFTA_SET_ELEM_MAX + 1, so type 17 overwrote its caller's
    // stack. The model refuses such a message before libnftnl sees it.
    auto elements_message = [](std::uint16_t extra_type) {
        return Message(NFT_MSG_NEWSETELEM, [extra_type](nlmsghdr* nlh) {
            mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, "portcullis");
            mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, "any_tcp");
            nlattr* list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
            nlattr* elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
            nlattr* key = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
            mnl_attr_put_u16(nlh, NFTA_DATA_VALUE, htons(22));
            mnl_attr_nest_end(nlh, key);
            mnl_attr_put_u32(nlh, extra_type, 0);
            mnl_attr_nest_end(nlh, elem);
            mnl_attr_nest_end(nlh, list);
        });
    };
    TableModel model("portcullis");
    CHECK(model.apply(elements_message(17).nlh) == -EINVAL);
    CHECK(model.apply(elements_message(NFTA_SET_ELEM_EXPRESSIONS + 1).nlh) == -EINVAL);
    // A type libnftnl knows gets past the check (and then finds no set of that name).
    CHECK(model.apply(elements_message(NFTA_SET_ELEM_FLAGS).nlh) == -ENOENT);
}
