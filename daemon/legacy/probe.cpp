// SPDX-License-Identifier: GPL-2.0-or-later
#include "legacy/probe.hpp"

#include "legacy/handles.hpp"
#include "legacy/ipset-socket.hpp"
#include "legacy/xtables.hpp"

#include <cerrno>
#include <sys/socket.h>

namespace portcullis::legacy {

namespace {

void probe_ipset(LegacyProbe& p) {
    IpsetSocket sock;
    std::string msg;
    if (p.ipset = sock.open(); p.ipset < 0)
        return;
    IpsetRequest proto(sock.next_seq());
    proto.protocol();
    std::uint8_t min = 0;
    p.ipset = sock.run(proto, &msg, [&](const nlmsghdr* nlh) {
        return parse_protocol_reply(nlh, &p.ipset_protocol, &min);
    });
    if (p.ipset < 0)
        return;
    if (p.ipset_protocol == 0 || min > ipset_protocol) {
        p.ipset = -EPROTO; // a kernel that no longer speaks protocol 6
        return;
    }
    for (IpSetType t : {IpSetType::bitmap_port, IpSetType::hash_net}) {
        IpsetRequest type(sock.next_seq());
        type.type(t, AF_INET);
        TypeInfo info;
        if (sock.run(type, &msg,
                     [&](const nlmsghdr* nlh) { return parse_type_reply(nlh, &info); }) == 0)
            (t == IpSetType::bitmap_port ? p.bitmap_port : p.hash_net) = info.revision_max;
    }
}

bool has_ipv6() {
    UniqueFd fd(socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    return static_cast<bool>(fd) || errno != EAFNOSUPPORT;
}

int probe_table(int family, const char* name, const std::optional<RestoreTools>& tools) {
    XtTable t;
    int r = read_xt_table(family, name, &t);
    const std::string& tool = family == 6 ? (tools ? tools->v6 : "") : (tools ? tools->v4 : "");
    if (r == -ENOPROTOOPT && !tool.empty()) {
        // ip_tables is a module nobody loaded yet, and the kernel does not load it for a
        // getsockopt: iptables-restore does (modprobe), as it would at the first install.
        std::string out;
        run_restore(tool, "*" + std::string(name) + "\nCOMMIT\n", &out);
        r = read_xt_table(family, name, &t);
    }
    return r;
}

} // namespace

std::vector<Missing> LegacyProbe::missing() const {
    std::vector<Missing> m;
    if (ipset < 0) {
        m.push_back({"ip_set", "CONFIG_IP_SET, module ip_set"});
    } else {
        if (!bitmap_port)
            m.push_back({"ip_set type bitmap:port",
                         "CONFIG_IP_SET_BITMAP_PORT, module ip_set_bitmap_port"});
        if (!hash_net)
            m.push_back({"ip_set type hash:net", "CONFIG_IP_SET_HASH_NET, module ip_set_hash_net"});
    }
    if (!tools)
        m.push_back({"a legacy iptables-restore", tools_problem});
    if (iptables < 0)
        m.push_back({"legacy iptables",
                     "CONFIG_IP_NF_IPTABLES and CONFIG_IP_NF_FILTER, modules ip_tables and "
                     "iptable_filter"});
    if (ipv6 && ip6tables < 0)
        m.push_back({"legacy ip6tables",
                     "CONFIG_IP6_NF_IPTABLES and CONFIG_IP6_NF_FILTER, modules ip6_tables and "
                     "ip6table_filter"});
    if (ipv6 && tools && tools->v6.empty())
        m.push_back({"a legacy ip6tables-restore", "the iptables package"});
    if (!set_match)
        m.push_back({"the iptables set match", "CONFIG_NETFILTER_XT_SET, module xt_set"});
    if (state_match.empty())
        m.push_back({"the iptables conntrack match",
                     "CONFIG_NETFILTER_XT_MATCH_CONNTRACK, module xt_conntrack"});
    if (raw < 0 || (ipv6 && raw6 < 0) || !ct_target)
        m.push_back({"the raw table's CT target (for the FTP helper)",
                     "CONFIG_IP_NF_RAW, CONFIG_IP6_NF_RAW and CONFIG_NETFILTER_XT_TARGET_CT, "
                     "modules iptable_raw, ip6table_raw and xt_CT"});
    return m;
}

LegacyProbe probe_legacy() {
    LegacyProbe p;
    p.probed = true;
    probe_ipset(p);
    p.tools = find_restore_tools(&p.tools_problem);
    p.ipv6 = has_ipv6();
    p.iptables = probe_table(4, "filter", p.tools);
    p.raw = probe_table(4, "raw", p.tools);
    if (p.ipv6) {
        p.ip6tables = probe_table(6, "filter", p.tools);
        p.raw6 = probe_table(6, "raw", p.tools);
    }
    auto both = [&](bool target, const char* name) {
        return xt_revision(4, target, name) >= 0 && (!p.ipv6 || xt_revision(6, target, name) >= 0);
    };
    if (p.iptables == 0) {
        p.set_match = both(false, "set");
        p.state_match = both(false, "conntrack") ? "conntrack"
                        : both(false, "state")   ? "state"
                                                 : "";
        p.ct_target = both(true, "CT");
    }
    return p;
}

} // namespace portcullis::legacy
