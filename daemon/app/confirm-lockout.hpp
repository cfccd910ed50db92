// SPDX-License-Identifier: GPL-2.0-or-later
// WouldLockOut: does a change cut off the caller's own remote session? Pure: the caller's
// sessions are read elsewhere (api/caller-sessions.hpp); this only compares two states.
#pragma once

#include "core/planner.hpp"
#include "portcullis/net.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace portcullis {

// One established inbound TCP session of the caller: our local port, and the remote end.
struct CallerSession {
    std::uint16_t local_port = 0;
    Cidr peer; // the remote address, as a host (/32 or /128)
    std::uint16_t peer_port = 0;

    bool operator==(const CallerSession&) const = default;
};

// The sessions whose new connections `after` would refuse where `before` let them in.
//
// The rule: a session with local port P from address A is cut off when there is an
// interface on which a new connection from A to P/tcp is accepted under `before` and not under
// `after`. Under a state, a new connection from A to P/tcp is accepted on the interfaces of
// every zone that opens P/tcp and admits A (a zone without `sources` admits every address; a
// zone without `interfaces` stands for every interface), and on every interface in `monitor`
// mode. The interface a session came in on is not known here, so a change that closes P for A
// on any interface counts (closing it on wan while the session came through lan is a false
// positive; the confirmed variants apply it anyway). Established packets are always accepted
// (the ruleset's first rule), so the session itself lives on: what is lost is the next login.
std::vector<CallerSession> sessions_cut_off(const DesiredState& before, const DesiredState& after,
                                            const std::vector<CallerSession>& sessions);

// The WouldLockOut message, naming the first session cut off ("this change closes 22/tcp to
// new connections from 198.18.0.2, the port of your own session from 198.18.0.2:50122 (and 1
// more): ..."); "" when none is.
std::string lockout_message(const std::vector<CallerSession>& cut);

} // namespace portcullis
