// SPDX-License-Identifier: GPL-2.0-or-later
#include "legacy/xtables.hpp"

#include "legacy/handles.hpp"

#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <vector>

// After <netinet/in.h>: the kernel headers then leave its definitions alone.
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv6/ip6_tables.h>

namespace portcullis::legacy {

namespace {

// How often to read again when the table changed between its size and its entries.
constexpr int read_attempts = 5;

UniqueFd option_socket(int family) {
    return UniqueFd(socket(family == 6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
}

template <class Info>
void copy_info(const Info& info, XtTable* out) {
    out->valid_hooks = info.valid_hooks;
    for (std::size_t h = 0; h < xt_hooks; ++h) {
        out->hook_entry[h] = info.hook_entry[h];
        out->underflow[h] = info.underflow[h];
    }
    out->num_entries = info.num_entries;
}

template <class Info, class Get>
int read_table(int fd, int level, int opt_info, int opt_entries, std::string_view name,
               XtTable* out) {
    for (int attempt = 0; attempt < read_attempts; ++attempt) {
        Info info{};
        name.copy(info.name, sizeof info.name - 1);
        socklen_t len = sizeof info;
        if (getsockopt(fd, level, opt_info, &info, &len) < 0)
            return -errno;
        copy_info(info, out);
        std::vector<std::uint8_t> buf(sizeof(Get) + info.size);
        Get get{};
        name.copy(get.name, sizeof get.name - 1);
        get.size = info.size;
        std::memcpy(buf.data(), &get, sizeof get);
        len = static_cast<socklen_t>(buf.size());
        if (getsockopt(fd, level, opt_entries, buf.data(), &len) < 0) {
            if (errno == EAGAIN)
                continue; // the table changed in between: ask again
            return -errno;
        }
        out->entries.assign(buf.begin() + sizeof(Get), buf.end());
        return 0;
    }
    return -EAGAIN;
}

} // namespace

int read_xt_table(int family, std::string_view name, XtTable* out) {
    UniqueFd fd = option_socket(family);
    if (!fd)
        return -errno;
    out->family = family;
    out->name = std::string(name);
    if (family == 6)
        return read_table<ip6t_getinfo, ip6t_get_entries>(fd.get(), IPPROTO_IPV6, IP6T_SO_GET_INFO,
                                                          IP6T_SO_GET_ENTRIES, name, out);
    return read_table<ipt_getinfo, ipt_get_entries>(fd.get(), IPPROTO_IP, IPT_SO_GET_INFO,
                                                    IPT_SO_GET_ENTRIES, name, out);
}

int xt_revision(int family, bool target, std::string_view name) {
    UniqueFd fd = option_socket(family);
    if (!fd)
        return -errno;
    xt_get_revision rev{};
    name.copy(rev.name, sizeof rev.name - 1);
    rev.revision = 0;
    socklen_t len = sizeof rev;
    int level = family == 6 ? IPPROTO_IPV6 : IPPROTO_IP;
    int opt = family == 6 ? (target ? IP6T_SO_GET_REVISION_TARGET : IP6T_SO_GET_REVISION_MATCH)
                          : (target ? IPT_SO_GET_REVISION_TARGET : IPT_SO_GET_REVISION_MATCH);
    // The kernel answers with the best revision as the call's return value, or
    // EPROTONOSUPPORT when the extension exists but not in revision 0 (conntrack starts at 1,
    // and set has no revision 0 for IPv6): it is there all the same.
    int r = getsockopt(fd.get(), level, opt, &rev, &len);
    if (r < 0 && errno == EPROTONOSUPPORT)
        return 0;
    return r < 0 ? -errno : r;
}

} // namespace portcullis::legacy
