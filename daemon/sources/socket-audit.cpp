// SPDX-License-Identifier: GPL-2.0-or-later
#include "sources/socket-audit.hpp"

#include "portcullis/c-handle.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <memory>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <vector>

namespace portcullis {

namespace {

struct DumpState {
    Proto proto;
    std::vector<ListeningSocket>* out;
};

bool is_loopback(int family, const void* addr) {
    if (family == AF_INET)
        return (ntohl(*static_cast<const std::uint32_t*>(addr)) >> 24) == 127;
    const auto* a6 = static_cast<const in6_addr*>(addr);
    if (IN6_IS_ADDR_LOOPBACK(a6))
        return true;
    return IN6_IS_ADDR_V4MAPPED(a6) && a6->s6_addr[12] == 127;
}

int on_message(const nlmsghdr* nlh, void* data) {
    auto* st = static_cast<DumpState*>(data);
    if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg)))
        return MNL_CB_OK;
    const auto* msg = static_cast<const inet_diag_msg*>(mnl_nlmsg_get_payload(nlh));
    // A connected UDP socket talks to one peer; it is not a service.
    if (st->proto == Proto::udp && msg->id.idiag_dport != 0)
        return MNL_CB_OK;
    if (is_loopback(msg->idiag_family, msg->id.idiag_src))
        return MNL_CB_OK;
    char text[INET6_ADDRSTRLEN] = {};
    inet_ntop(msg->idiag_family, msg->id.idiag_src, text, sizeof text);
    st->out->push_back({st->proto, ntohs(msg->id.idiag_sport), text});
    return MNL_CB_OK;
}

} // namespace

int list_listening_sockets(std::vector<ListeningSocket>* out) {
    out->clear();
    for (int family : {AF_INET, AF_INET6})
        for (Proto proto : {Proto::tcp, Proto::udp}) {
            DumpState st{proto, out};
            // TCP: listeners only. UDP: every state; connected ones are filtered out above.
            int r = proto == Proto::tcp
                        ? inet_diag_dump(family, IPPROTO_TCP, 1U << TCP_LISTEN, on_message, &st)
                        : inet_diag_dump(family, IPPROTO_UDP, ~0U, on_message, &st);
            if (r < 0)
                return r;
        }
    std::sort(out->begin(), out->end());
    out->erase(std::unique(out->begin(), out->end()), out->end());
    return 0;
}

int inet_diag_dump(int family, int protocol, std::uint32_t states, mnl_cb_t on_answer, void* data) {
    CHandle<mnl_socket, mnl_socket_close> nl(mnl_socket_open(NETLINK_SOCK_DIAG));
    if (!nl)
        return -errno;
    if (mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0)
        return -errno;
    std::vector<char> buf(static_cast<std::size_t>(MNL_SOCKET_BUFFER_SIZE));
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    auto seq = static_cast<unsigned>(time(nullptr));
    nlh->nlmsg_seq = seq;
    auto* req =
        static_cast<inet_diag_req_v2*>(mnl_nlmsg_put_extra_header(nlh, sizeof(inet_diag_req_v2)));
    req->sdiag_family = static_cast<std::uint8_t>(family);
    req->sdiag_protocol = static_cast<std::uint8_t>(protocol);
    req->idiag_states = states;
    if (mnl_socket_sendto(nl.get(), nlh, nlh->nlmsg_len) < 0)
        return -errno;
    unsigned portid = mnl_socket_get_portid(nl.get());
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(nl.get(), buf.data(), buf.size());
        if (n < 0)
            return -errno;
        int r = mnl_cb_run(buf.data(), static_cast<std::size_t>(n), seq, portid, on_answer, data);
        if (r == MNL_CB_STOP)
            return 0;
        if (r < 0)
            return -errno;
    }
}

} // namespace portcullis
