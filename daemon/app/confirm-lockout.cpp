// SPDX-License-Identifier: GPL-2.0-or-later
#include "app/confirm-lockout.hpp"

#include <algorithm>
#include <set>
#include <sys/socket.h>

namespace portcullis {

namespace {

bool admits(const Cidr& net, const Cidr& host) {
    if (net.family != host.family)
        return false;
    unsigned full = net.prefix / 8U;
    if (!std::equal(net.addr.begin(), net.addr.begin() + full, host.addr.begin()))
        return false;
    unsigned rest = net.prefix % 8U;
    if (rest == 0)
        return true;
    auto mask = static_cast<std::uint8_t>(0xffU << (8U - rest));
    return (net.addr[full] & mask) == (host.addr[full] & mask);
}

bool zone_admits(const ZoneState& z, const Cidr& peer) {
    return z.sources.empty() || std::any_of(z.sources.begin(), z.sources.end(),
                                            [&](const Cidr& c) { return admits(c, peer); });
}

// The interfaces on which a new connection from `peer` to `port`/tcp is accepted; "" stands for
// every interface.
std::set<std::string> accepting_interfaces(const DesiredState& st, const CallerSession& s) {
    if (st.mode == Mode::monitor)
        return {""};
    std::set<std::string> out;
    for (const ZoneState& z : st.zones) {
        if (!z.tcp.contains(s.local_port) || !zone_admits(z, s.peer))
            continue;
        if (z.interfaces.empty())
            return {""};
        out.insert(z.interfaces.begin(), z.interfaces.end());
    }
    return out;
}

std::string endpoint(const CallerSession& s) {
    std::string host = s.peer.str();
    // Cidr::str() of a host may carry its /32 or /128; an endpoint has none.
    if (auto slash = host.find('/'); slash != std::string::npos)
        host.resize(slash);
    return s.peer.family == AF_INET6 ? "[" + host + "]:" + std::to_string(s.peer_port)
                                     : host + ":" + std::to_string(s.peer_port);
}

} // namespace

std::vector<CallerSession> sessions_cut_off(const DesiredState& before, const DesiredState& after,
                                            const std::vector<CallerSession>& sessions) {
    std::vector<CallerSession> cut;
    for (const CallerSession& s : sessions) {
        std::set<std::string> was = accepting_interfaces(before, s);
        std::set<std::string> now = accepting_interfaces(after, s);
        if (now.count("") != 0)
            continue;
        bool lost = std::any_of(was.begin(), was.end(),
                                [&](const std::string& i) { return now.count(i) == 0; });
        if (lost)
            cut.push_back(s);
    }
    return cut;
}

std::string lockout_message(const std::vector<CallerSession>& cut) {
    if (cut.empty())
        return {};
    const CallerSession& s = cut.front();
    std::string peer = endpoint(s);
    std::string msg = "this change closes " + std::to_string(s.local_port) +
                      "/tcp to new connections from " + peer.substr(0, peer.rfind(':')) +
                      ", the port of your own session from " + peer;
    if (cut.size() > 1)
        msg += " (and " + std::to_string(cut.size() - 1) + " more)";
    return msg + ": you could not log in again; use the confirmed variant (SetOverrideConfirmed, "
                 "ReloadConfirmed) to apply it with an automatic rollback";
}

} // namespace portcullis
