// SPDX-License-Identifier: GPL-2.0-or-later
#include "legacy/ipset-msg.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <libmnl/libmnl.h>
#include <linux/netfilter/ipset/ip_set.h>
#include <linux/netfilter/ipset/ip_set_bitmap.h>
#include <linux/netfilter/nfnetlink.h>
#include <map>
#include <stdexcept>
#include <sys/socket.h>

namespace portcullis::legacy {

namespace {

// Room for the header, the protocol, two names and a few small attributes.
constexpr std::size_t small_room = 512;
// The bytes one element takes in an ADT list, upper bounds: DATA nest (4) + PORT (8) + PORT_TO
// (8); DATA (4) + IP nest (4) + address (8 or 20) + CIDR (8).
constexpr std::size_t port_element_bytes = 20;
constexpr std::size_t net4_element_bytes = 24;
constexpr std::size_t net6_element_bytes = 36;

// The attributes of a message after its nfgenmsg, and of a nested attribute, as pointers
// (libmnl's iteration macros assign void pointers, which C++ does not allow implicitly).
std::vector<const nlattr*> attrs_in(const void* start, std::size_t len) {
    std::vector<const nlattr*> out;
    const auto* a = static_cast<const nlattr*>(start);
    int left = static_cast<int>(len);
    while (mnl_attr_ok(a, left)) {
        out.push_back(a);
        left -= static_cast<int>(MNL_ALIGN(a->nla_len));
        a = mnl_attr_next(a);
    }
    return out;
}

std::vector<const nlattr*> message_attrs(const nlmsghdr* nlh) {
    const void* start = mnl_nlmsg_get_payload_offset(nlh, sizeof(nfgenmsg));
    const auto* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh));
    auto len = tail - static_cast<const char*>(start);
    return attrs_in(start, len > 0 ? static_cast<std::size_t>(len) : 0);
}

std::vector<const nlattr*> nested_attrs(const nlattr* nest) {
    return attrs_in(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest));
}

std::string cmd_name(std::uint8_t cmd) {
    switch (cmd) {
    case IPSET_CMD_PROTOCOL:
        return "IPSET_CMD_PROTOCOL";
    case IPSET_CMD_CREATE:
        return "IPSET_CMD_CREATE";
    case IPSET_CMD_DESTROY:
        return "IPSET_CMD_DESTROY";
    case IPSET_CMD_SWAP:
        return "IPSET_CMD_SWAP";
    case IPSET_CMD_LIST:
        return "IPSET_CMD_LIST";
    case IPSET_CMD_ADD:
        return "IPSET_CMD_ADD";
    case IPSET_CMD_DEL:
        return "IPSET_CMD_DEL";
    case IPSET_CMD_TYPE:
        return "IPSET_CMD_TYPE";
    default:
        return "IPSET_CMD_" + std::to_string(cmd);
    }
}

void put_name(nlmsghdr* nlh, std::uint16_t type, std::string_view name) {
    if (name.empty() || name.size() > ipset_name_max)
        throw std::invalid_argument("bad ipset name \"" + std::string(name) + "\"");
    std::string z(name);
    mnl_attr_put_strz(nlh, type, z.c_str());
}

void put_port(nlmsghdr* nlh, std::uint16_t type, std::uint16_t port) {
    mnl_attr_put_u16(nlh, type | NLA_F_NET_BYTEORDER, htons(port));
}

void put_net(nlmsghdr* nlh, const Cidr& c) {
    nlattr* ip = mnl_attr_nest_start(nlh, IPSET_ATTR_IP);
    if (c.family == AF_INET)
        mnl_attr_put(nlh, IPSET_ATTR_IPADDR_IPV4 | NLA_F_NET_BYTEORDER, 4, c.addr.data());
    else
        mnl_attr_put(nlh, IPSET_ATTR_IPADDR_IPV6 | NLA_F_NET_BYTEORDER, 16, c.addr.data());
    mnl_attr_nest_end(nlh, ip);
    mnl_attr_put_u8(nlh, IPSET_ATTR_CIDR, c.prefix);
}

std::size_t element_bytes(const IpSetDef& d) {
    if (d.type == IpSetType::bitmap_port)
        return port_element_bytes;
    return d.family == AF_INET6 ? net6_element_bytes : net4_element_bytes;
}

// A string attribute, or nullopt when it is not a NUL-terminated string.
std::optional<std::string> get_str(const nlattr* a) {
    if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
        return std::nullopt;
    return std::string(mnl_attr_get_str(a));
}

std::optional<std::uint16_t> get_port(const nlattr* a) {
    if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
        return std::nullopt;
    return ntohs(mnl_attr_get_u16(a));
}

// One DATA container of an element: a port (and PORT_TO) or a network. False when malformed.
bool parse_element(const nlattr* data, IpSetMembers& m) {
    std::optional<std::uint16_t> port, port_to;
    std::optional<Cidr> net;
    int cidr = -1;
    for (const nlattr* a : nested_attrs(data)) {
        switch (mnl_attr_get_type(a)) {
        case IPSET_ATTR_PORT:
            port = get_port(a);
            if (!port)
                return false;
            break;
        case IPSET_ATTR_PORT_TO:
            port_to = get_port(a);
            if (!port_to)
                return false;
            break;
        case IPSET_ATTR_IP: {
            for (const nlattr* ip : nested_attrs(a)) {
                Cidr c;
                auto len = mnl_attr_get_payload_len(ip);
                if (mnl_attr_get_type(ip) == IPSET_ATTR_IPADDR_IPV4 && len == 4)
                    c.family = AF_INET;
                else if (mnl_attr_get_type(ip) == IPSET_ATTR_IPADDR_IPV6 && len == 16)
                    c.family = AF_INET6;
                else
                    return false;
                std::memcpy(c.addr.data(), mnl_attr_get_payload(ip), len);
                net = c;
            }
            break;
        }
        case IPSET_ATTR_CIDR:
            if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
                return false;
            cidr = mnl_attr_get_u8(a);
            break;
        default: // counters, comments, line numbers: not ours to judge
            break;
        }
    }
    if (port) {
        m.ports.push_back({*port, port_to.value_or(*port)});
        return true;
    }
    if (net) {
        net->prefix = static_cast<std::uint8_t>(cidr >= 0                ? cidr
                                                : net->family == AF_INET ? 32
                                                                         : 128);
        m.nets.push_back(*net);
        return true;
    }
    return false;
}

// The elements of an ADT list (or of one DATA container) into m.
bool parse_elements(const nlattr* adt, IpSetMembers& m) {
    for (const nlattr* d : nested_attrs(adt)) {
        if (mnl_attr_get_type(d) != IPSET_ATTR_DATA || !parse_element(d, m))
            return false;
    }
    return true;
}

// The header of a bitmap:port listing: its range and how many rules use it.
void parse_list_header(const nlattr* data, ListedSet& s) {
    std::optional<std::uint16_t> from, to;
    for (const nlattr* a : nested_attrs(data)) {
        switch (mnl_attr_get_type(a)) {
        case IPSET_ATTR_PORT:
            from = get_port(a);
            break;
        case IPSET_ATTR_PORT_TO:
            to = get_port(a);
            break;
        case IPSET_ATTR_REFERENCES:
            if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
                s.references = ntohl(mnl_attr_get_u32(a));
            break;
        default:
            break;
        }
    }
    if (from && to)
        s.range = Interval{*from, *to};
}

bool cidr_less(const Cidr& a, const Cidr& b) {
    if (a.family != b.family)
        return a.family < b.family;
    if (a.addr != b.addr)
        return a.addr < b.addr;
    return a.prefix < b.prefix;
}

} // namespace

std::string_view type_name(IpSetType t) {
    return t == IpSetType::bitmap_port ? "bitmap:port" : "hash:net";
}

void normalize(IpSetMembers& m) {
    IntervalSet ports;
    for (const auto& iv : m.ports)
        ports.add(iv);
    m.ports = ports.intervals();
    std::sort(m.nets.begin(), m.nets.end(), cidr_less);
    m.nets.erase(std::unique(m.nets.begin(), m.nets.end()), m.nets.end());
}

nlmsghdr* IpsetRequest::begin(std::uint8_t cmd, std::uint16_t flags, std::size_t room) {
    open_ = buf_.size();
    buf_.resize(open_ + MNL_ALIGN(room), 0);
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf_.data() + open_);
    nlh->nlmsg_type = static_cast<std::uint16_t>((NFNL_SUBSYS_IPSET << 8) | cmd);
    nlh->nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | flags);
    nlh->nlmsg_seq = seq_++;
    auto* nfg = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
    nfg->nfgen_family = AF_INET;
    nfg->version = NFNETLINK_V0;
    nfg->res_id = htons(0);
    mnl_attr_put_u8(nlh, IPSET_ATTR_PROTOCOL, ipset_protocol);
    return nlh;
}

void IpsetRequest::end(std::string what, bool dump) {
    const auto* nlh = reinterpret_cast<const nlmsghdr*>(buf_.data() + open_);
    parts_.push_back({nlh->nlmsg_seq, std::move(what), dump});
    buf_.resize(open_ + nlh->nlmsg_len);
}

const IpsetPart* IpsetRequest::find(std::uint32_t seq) const {
    for (const auto& p : parts_)
        if (p.seq == seq)
            return &p;
    return nullptr;
}

std::vector<const nlmsghdr*> IpsetRequest::headers() const {
    std::vector<const nlmsghdr*> out;
    const auto* nlh = reinterpret_cast<const nlmsghdr*>(buf_.data());
    int len = static_cast<int>(buf_.size());
    for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
        out.push_back(nlh);
    return out;
}

void IpsetRequest::protocol() {
    begin(IPSET_CMD_PROTOCOL, NLM_F_ACK, small_room);
    end(cmd_name(IPSET_CMD_PROTOCOL));
}

void IpsetRequest::type(IpSetType t, int family) {
    nlmsghdr* nlh = begin(IPSET_CMD_TYPE, NLM_F_ACK, small_room);
    mnl_attr_put_strz(nlh, IPSET_ATTR_TYPENAME, std::string(type_name(t)).c_str());
    mnl_attr_put_u8(nlh, IPSET_ATTR_FAMILY, static_cast<std::uint8_t>(family));
    end(cmd_name(IPSET_CMD_TYPE) + " " + std::string(type_name(t)));
}

void IpsetRequest::create(const IpSetDef& d, std::uint8_t revision) {
    nlmsghdr* nlh = begin(IPSET_CMD_CREATE, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, small_room);
    put_name(nlh, IPSET_ATTR_SETNAME, d.name);
    mnl_attr_put_strz(nlh, IPSET_ATTR_TYPENAME, std::string(type_name(d.type)).c_str());
    mnl_attr_put_u8(nlh, IPSET_ATTR_REVISION, revision);
    // bitmap:port serves IPv4 and IPv6 alike (NFPROTO_UNSPEC); a hash:net is one family.
    mnl_attr_put_u8(nlh, IPSET_ATTR_FAMILY,
                    static_cast<std::uint8_t>(d.type == IpSetType::bitmap_port ? 0 : d.family));
    nlattr* data = mnl_attr_nest_start(nlh, IPSET_ATTR_DATA);
    if (d.type == IpSetType::bitmap_port) {
        put_port(nlh, IPSET_ATTR_PORT, 0);
        put_port(nlh, IPSET_ATTR_PORT_TO, 65535);
    }
    mnl_attr_nest_end(nlh, data);
    end(cmd_name(IPSET_CMD_CREATE) + " " + d.name);
}

void IpsetRequest::destroy(std::string_view name) {
    // A DESTROY without a name destroys every set that is not in use: never send one.
    nlmsghdr* nlh = begin(IPSET_CMD_DESTROY, NLM_F_ACK, small_room);
    put_name(nlh, IPSET_ATTR_SETNAME, name);
    end(cmd_name(IPSET_CMD_DESTROY) + " " + std::string(name));
}

void IpsetRequest::swap_sets(std::string_view a, std::string_view b) {
    nlmsghdr* nlh = begin(IPSET_CMD_SWAP, NLM_F_ACK, small_room);
    put_name(nlh, IPSET_ATTR_SETNAME, a);
    put_name(nlh, IPSET_ATTR_SETNAME2, b);
    end(cmd_name(IPSET_CMD_SWAP) + " " + std::string(a) + " " + std::string(b));
}

void IpsetRequest::list(std::string_view name, bool names_only) {
    nlmsghdr* nlh = begin(IPSET_CMD_LIST, NLM_F_DUMP, small_room);
    if (!name.empty())
        put_name(nlh, IPSET_ATTR_SETNAME, name);
    if (names_only)
        mnl_attr_put_u32(nlh, IPSET_ATTR_FLAGS | NLA_F_NET_BYTEORDER,
                         htonl(IPSET_FLAG_LIST_SETNAME));
    end(cmd_name(IPSET_CMD_LIST) + (name.empty() ? "" : " " + std::string(name)), true);
}

void IpsetRequest::change(bool add, const IpSetDef& d, const IpSetMembers& m,
                          std::size_t max_message) {
    const std::uint8_t cmd = add ? IPSET_CMD_ADD : IPSET_CMD_DEL;
    const std::size_t per = element_bytes(d);
    const std::size_t per_message = std::max<std::size_t>(1, (max_message - small_room) / per);
    const std::size_t total = d.type == IpSetType::bitmap_port ? m.ports.size() : m.nets.size();
    for (std::size_t first = 0; first < total; first += per_message) {
        std::size_t n = std::min(per_message, total - first);
        nlmsghdr* nlh = begin(cmd, NLM_F_ACK, small_room + n * per);
        put_name(nlh, IPSET_ATTR_SETNAME, d.name);
        // The kernel takes an ADT list only with a line number (ipset restore's), which it
        // writes back into the error it returns for a failed element.
        mnl_attr_put_u32(nlh, IPSET_ATTR_LINENO, 0);
        nlattr* adt = mnl_attr_nest_start(nlh, IPSET_ATTR_ADT);
        for (std::size_t i = first; i < first + n; ++i) {
            nlattr* data = mnl_attr_nest_start(nlh, IPSET_ATTR_DATA);
            if (d.type == IpSetType::bitmap_port) {
                put_port(nlh, IPSET_ATTR_PORT, m.ports[i].first);
                if (m.ports[i].last != m.ports[i].first)
                    put_port(nlh, IPSET_ATTR_PORT_TO, m.ports[i].last);
            } else {
                put_net(nlh, m.nets[i]);
            }
            mnl_attr_nest_end(nlh, data);
        }
        mnl_attr_nest_end(nlh, adt);
        end(cmd_name(cmd) + " " + d.name);
    }
}

std::uint8_t ipset_cmd(const nlmsghdr* nlh) {
    if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_IPSET)
        return 0;
    return static_cast<std::uint8_t>(nlh->nlmsg_type & 0xff);
}

int parse_list(const nlmsghdr* nlh, std::vector<ListedSet>& sets) {
    if (ipset_cmd(nlh) != IPSET_CMD_LIST)
        return -EINVAL;
    ListedSet* s = nullptr;
    // The name comes first in every message of a listing; everything after it belongs to it.
    for (const nlattr* a : message_attrs(nlh)) {
        switch (mnl_attr_get_type(a)) {
        case IPSET_ATTR_SETNAME: {
            auto name = get_str(a);
            if (!name)
                return -EINVAL;
            if (sets.empty() || sets.back().name != *name)
                sets.push_back({.name = *name});
            s = &sets.back();
            break;
        }
        case IPSET_ATTR_TYPENAME:
            if (!s || !get_str(a))
                return -EINVAL;
            s->type = *get_str(a);
            break;
        case IPSET_ATTR_FAMILY:
            if (s && mnl_attr_validate(a, MNL_TYPE_U8) == 0)
                s->family = mnl_attr_get_u8(a);
            break;
        case IPSET_ATTR_REVISION:
            if (s && mnl_attr_validate(a, MNL_TYPE_U8) == 0)
                s->revision = mnl_attr_get_u8(a);
            break;
        case IPSET_ATTR_DATA:
            if (!s)
                return -EINVAL;
            parse_list_header(a, *s);
            break;
        case IPSET_ATTR_ADT:
            if (!s || !parse_elements(a, s->members))
                return -EINVAL;
            break;
        default:
            break;
        }
    }
    return 0;
}

void finish_list(std::vector<ListedSet>& sets) {
    for (auto& s : sets)
        normalize(s.members);
}

int parse_type_reply(const nlmsghdr* nlh, TypeInfo* out) {
    if (ipset_cmd(nlh) != IPSET_CMD_TYPE)
        return -EINVAL;
    bool have = false;
    for (const nlattr* a : message_attrs(nlh)) {
        if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
            continue;
        if (mnl_attr_get_type(a) == IPSET_ATTR_REVISION) {
            out->revision_max = mnl_attr_get_u8(a);
            have = true;
        } else if (mnl_attr_get_type(a) == IPSET_ATTR_REVISION_MIN) {
            out->revision_min = mnl_attr_get_u8(a);
        }
    }
    return have ? 0 : -EINVAL;
}

int parse_protocol_reply(const nlmsghdr* nlh, std::uint8_t* protocol, std::uint8_t* min) {
    if (ipset_cmd(nlh) != IPSET_CMD_PROTOCOL)
        return -EINVAL;
    bool have = false;
    for (const nlattr* a : message_attrs(nlh)) {
        if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
            continue;
        if (mnl_attr_get_type(a) == IPSET_ATTR_PROTOCOL) {
            *protocol = mnl_attr_get_u8(a);
            have = true;
        } else if (mnl_attr_get_type(a) == IPSET_ATTR_PROTOCOL_MIN) {
            *min = mnl_attr_get_u8(a);
        }
    }
    if (have && *min == 0)
        *min = *protocol; // an old kernel accepts only its own version
    return have ? 0 : -EINVAL;
}

std::string ipset_error_text(int negative_error) {
    static const std::map<int, const char*> texts = {
        {IPSET_ERR_PROTOCOL, "ipset protocol error (the kernel speaks another version)"},
        {IPSET_ERR_FIND_TYPE, "set type not supported by the kernel"},
        {IPSET_ERR_MAX_SETS, "the kernel's maximal number of sets is reached"},
        {IPSET_ERR_BUSY, "the set is in use by a kernel component (an iptables rule)"},
        {IPSET_ERR_EXIST_SETNAME2, "the second set does not exist"},
        {IPSET_ERR_TYPE_MISMATCH, "the two sets have different types"},
        {IPSET_ERR_EXIST, "the element or set already exists"},
        {IPSET_ERR_INVALID_CIDR, "invalid CIDR prefix"},
        {IPSET_ERR_INVALID_FAMILY, "invalid address family for this set"},
        {IPSET_ERR_REFERENCED, "the set is referenced"},
        {IPSET_ERR_IPADDR_IPV4, "an IPv4 address was expected"},
        {IPSET_ERR_IPADDR_IPV6, "an IPv6 address was expected"},
        {IPSET_ERR_BITMAP_RANGE, "out of the set's range, or the hash is full"},
    };
    int e = -negative_error;
    if (auto it = texts.find(e); it != texts.end())
        return it->second;
    if (e == ENOENT)
        return "no such set";
    if (e > 0 && e < IPSET_ERR_PRIVATE)
        return std::strerror(e);
    return "ipset error " + std::to_string(e);
}

int errno_of_ipset(int negative_error) {
    switch (-negative_error) {
    case IPSET_ERR_EXIST:
        return -EEXIST;
    case IPSET_ERR_BUSY:
    case IPSET_ERR_REFERENCED:
        return -EBUSY;
    case IPSET_ERR_FIND_TYPE:
        return -EOPNOTSUPP;
    case IPSET_ERR_PROTOCOL:
        return -EPROTO;
    case IPSET_ERR_EXIST_SETNAME2:
        return -ENOENT;
    case IPSET_ERR_MAX_SETS:
        return -ENOSPC;
    default:
        return -negative_error < IPSET_ERR_PRIVATE ? negative_error : -EINVAL;
    }
}

int parse_request(const nlmsghdr* nlh, ParsedRequest* out) {
    out->cmd = ipset_cmd(nlh);
    out->flags = nlh->nlmsg_flags;
    if (out->cmd == 0)
        return -EINVAL;
    for (const nlattr* a : message_attrs(nlh)) {
        switch (mnl_attr_get_type(a)) {
        case IPSET_ATTR_PROTOCOL:
            out->protocol = mnl_attr_get_u8(a);
            break;
        case IPSET_ATTR_SETNAME:
            out->name = get_str(a).value_or("?");
            break;
        case IPSET_ATTR_TYPENAME:
            out->name2 = get_str(a).value_or("?");
            break;
        case IPSET_ATTR_FAMILY:
            out->family = mnl_attr_get_u8(a);
            break;
        case IPSET_ATTR_REVISION:
            out->revision = mnl_attr_get_u8(a);
            break;
        case IPSET_ATTR_FLAGS:
            out->list_flags = ntohl(mnl_attr_get_u32(a));
            break;
        case IPSET_ATTR_DATA: {
            ListedSet s;
            parse_list_header(a, s);
            out->range = s.range;
            break;
        }
        case IPSET_ATTR_ADT:
            if (!parse_elements(a, out->members))
                return -EINVAL;
            break;
        case IPSET_ATTR_LINENO:
            break;
        default:
            return -EINVAL;
        }
    }
    return 0;
}

} // namespace portcullis::legacy
