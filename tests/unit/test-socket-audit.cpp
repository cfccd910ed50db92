// SPDX-License-Identifier: GPL-2.0-or-later
// NETLINK_SOCK_DIAG needs no privileges: these tests open real sockets and find them.
#include "sources/socket-audit.hpp"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace portcullis;

namespace {

struct Fd {
    int fd;
    ~Fd() { close(fd); }
};

std::uint16_t bound_port(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    return ntohs(ss.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                         : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

int bind_v4(int type, const char* addr) {
    int fd = socket(AF_INET, type, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    inet_pton(AF_INET, addr, &sa.sin_addr);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    if (type == SOCK_STREAM)
        REQUIRE(listen(fd, 1) == 0);
    return fd;
}

bool has(const std::vector<ListeningSocket>& v, Proto p, std::uint16_t port, const char* addr) {
    for (const auto& s : v)
        if (s.proto == p && s.port == port && s.address == addr)
            return true;
    return false;
}

} // namespace

TEST_CASE("listening sockets are found, loopback ones are not", "[audit]") {
    Fd tcp_any{bind_v4(SOCK_STREAM, "0.0.0.0")};
    Fd tcp_lo{bind_v4(SOCK_STREAM, "127.0.0.1")};
    Fd udp_any{bind_v4(SOCK_DGRAM, "0.0.0.0")};
    int fd6 = socket(AF_INET6, SOCK_STREAM, 0);
    Fd tcp6{fd6};
    int one = 1;
    setsockopt(fd6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    sockaddr_in6 sa6{};
    sa6.sin6_family = AF_INET6;
    sa6.sin6_addr = in6addr_any;
    REQUIRE(bind(fd6, reinterpret_cast<sockaddr*>(&sa6), sizeof sa6) == 0);
    REQUIRE(listen(fd6, 1) == 0);

    std::vector<ListeningSocket> socks;
    REQUIRE(list_listening_sockets(&socks) == 0);
    CHECK(has(socks, Proto::tcp, bound_port(tcp_any.fd), "0.0.0.0"));
    CHECK(has(socks, Proto::udp, bound_port(udp_any.fd), "0.0.0.0"));
    CHECK(has(socks, Proto::tcp, bound_port(fd6), "::"));
    CHECK_FALSE(has(socks, Proto::tcp, bound_port(tcp_lo.fd), "127.0.0.1"));
    CHECK(std::is_sorted(socks.begin(), socks.end()));
}

TEST_CASE("a connected UDP socket is not a listener", "[audit]") {
    // The socket must have a non-loopback local address, or the loopback filter would hide it
    // whether or not the connected filter works. IPV6_FREEBIND binds to a documentation address
    // no interface has (no privileges needed), and connecting to ::1 always has a route. (IPv4
    // cannot do this: its route lookup refuses a source address that is not local.)
    int fd = socket(AF_INET6, SOCK_DGRAM, 0);
    REQUIRE(fd >= 0);
    Fd guard{fd};
    int one = 1;
    REQUIRE(setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof one) == 0);
    sockaddr_in6 local{};
    local.sin6_family = AF_INET6;
    REQUIRE(inet_pton(AF_INET6, "2001:db8::9", &local.sin6_addr) == 1);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0);
    const std::uint16_t port = bound_port(fd);
    REQUIRE(port != 0);

    // Unconnected, it is a listener: the check below can fail.
    std::vector<ListeningSocket> socks;
    REQUIRE(list_listening_sockets(&socks) == 0);
    REQUIRE(has(socks, Proto::udp, port, "2001:db8::9"));

    sockaddr_in6 peer{};
    peer.sin6_family = AF_INET6;
    peer.sin6_port = htons(9); // discard; nothing is sent
    peer.sin6_addr = in6addr_loopback;
    REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&peer), sizeof peer) == 0);
    REQUIRE(list_listening_sockets(&socks) == 0);
    CHECK_FALSE(has(socks, Proto::udp, port, "2001:db8::9"));
}
