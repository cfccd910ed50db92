// SPDX-License-Identifier: GPL-2.0-or-later
#include "api/caller-sessions.hpp"

#include "bus/handles.hpp"
#include "sources/socket-audit.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <set>
#include <string>
#include <unistd.h>

namespace portcullis::api {

namespace {

// Deep enough for sshd -> sshd -> shell -> sudo -> busctl, with room for wrappers.
constexpr int max_ancestors = 32;

pid_t parent_of(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    std::getline(in, stat); // one line
    // The command name is in parentheses and may hold anything: the fields follow the last ')'.
    auto close = stat.rfind(')');
    if (close == std::string::npos || close + 4 >= stat.size())
        return 0;
    const char* p = stat.c_str() + close + 4; // ") S " then the ppid
    pid_t ppid = 0;
    std::from_chars(p, stat.c_str() + stat.size(), ppid);
    return ppid;
}

// Adds the inodes of the sockets `pid` holds open ("socket:[INODE]" in /proc/PID/fd).
void add_socket_inodes(pid_t pid, std::set<std::uint64_t>* inodes) {
    std::error_code ec;
    std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec);
    for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
        auto target = std::filesystem::read_symlink(it->path(), ec);
        if (ec) {
            ec.clear();
            continue;
        }
        std::string t = target.string();
        if (t.rfind("socket:[", 0) != 0)
            continue;
        std::uint64_t inode = 0;
        std::from_chars(t.c_str() + 8, t.c_str() + t.size(), inode);
        inodes->insert(inode);
    }
}

struct Dump {
    const std::set<std::uint64_t>* inodes;
    std::set<std::uint16_t> listening;
    std::vector<CallerSession> sessions;
};

// The remote end as an IPv4 or IPv6 host; false for loopback peers.
bool peer_of(const inet_diag_msg* msg, Cidr* peer) {
    const auto* dst = reinterpret_cast<const std::uint8_t*>(msg->id.idiag_dst);
    in6_addr a6{};
    if (msg->idiag_family == AF_INET6)
        std::memcpy(&a6, dst, sizeof a6);
    if (msg->idiag_family == AF_INET || IN6_IS_ADDR_V4MAPPED(&a6)) {
        peer->family = AF_INET;
        peer->prefix = 32;
        std::memcpy(peer->addr.data(), msg->idiag_family == AF_INET ? dst : dst + 12, 4);
        return peer->addr[0] != 127;
    }
    peer->family = AF_INET6;
    peer->prefix = 128;
    std::memcpy(peer->addr.data(), dst, 16);
    return !IN6_IS_ADDR_LOOPBACK(&a6);
}

int on_message(const nlmsghdr* nlh, void* data) {
    auto* d = static_cast<Dump*>(data);
    if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg)))
        return MNL_CB_OK;
    const auto* msg = static_cast<const inet_diag_msg*>(mnl_nlmsg_get_payload(nlh));
    std::uint16_t port = ntohs(msg->id.idiag_sport);
    if (msg->idiag_state == TCP_LISTEN) {
        d->listening.insert(port);
        return MNL_CB_OK;
    }
    CallerSession s;
    if (d->inodes->count(msg->idiag_inode) == 0 || !peer_of(msg, &s.peer))
        return MNL_CB_OK;
    s.local_port = port;
    s.peer_port = ntohs(msg->id.idiag_dport);
    d->sessions.push_back(s);
    return MNL_CB_OK;
}

} // namespace

int sender_pid(sd_bus_message* m, pid_t* pid) {
    sd_bus_creds* raw = nullptr;
    int r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_PID | SD_BUS_CREDS_AUGMENT, &raw);
    if (r < 0)
        return r;
    bus::CredsPtr creds(raw);
    return sd_bus_creds_get_pid(creds.get(), pid);
}

int caller_sessions(pid_t pid, std::vector<CallerSession>* out) {
    out->clear();
    std::set<std::uint64_t> inodes;
    for (int i = 0; i < max_ancestors && pid > 1; ++i, pid = parent_of(pid))
        add_socket_inodes(pid, &inodes);
    if (inodes.empty())
        return 0;
    Dump d{&inodes, {}, {}};
    constexpr std::uint32_t states = (1U << TCP_ESTABLISHED) | (1U << TCP_LISTEN);
    for (int family : {AF_INET, AF_INET6})
        if (int r = inet_diag_dump(family, IPPROTO_TCP, states, on_message, &d); r < 0)
            return r;
    for (const CallerSession& s : d.sessions)
        if (d.listening.count(s.local_port) != 0)
            out->push_back(s);
    return 0;
}

} // namespace portcullis::api
