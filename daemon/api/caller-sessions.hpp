// SPDX-License-Identifier: GPL-2.0-or-later
// The caller's own remote sessions, for WouldLockOut: the established inbound TCP connections
// of this network namespace whose sockets the calling process or one of its ancestors holds
// (an admin's busctl runs below a shell below sshd, which holds the connection).
#pragma once

#include "app/confirm-lockout.hpp"

#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <vector>

namespace portcullis::api {

// The caller's pid, as the bus reports it (it cannot be forged). 0 or a negative errno.
int sender_pid(sd_bus_message* m, pid_t* pid);

// The sessions held by `pid` and its ancestors (pid 1 excluded): established TCP sockets, IPv4
// and IPv6, whose local port has a listener (inbound) and whose peer is not a loopback
// address. IPv4-mapped IPv6 peers are reported as IPv4. Returns 0 or a negative errno.
int caller_sessions(pid_t pid, std::vector<CallerSession>* out);

} // namespace portcullis::api
