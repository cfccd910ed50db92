// SPDX-License-Identifier: GPL-2.0-or-later
// The one root step of a box where the daemon does not run as root, and the daemon's side of it.
//
// DSM 7 runs an unsigned package as its own user (sc-PACKAGE), and only Synology's signature
// runs one as root. The daemon needs CAP_NET_ADMIN, so root grants it once, as a file
// capability on the daemon's binary: `portcullisd --configure-host`, run by a Task Scheduler
// boot-up task (an upgrade replaces the binary and with it the capability; the task gives it
// back at the next boot, and is safe to run any number of times). It
//  - makes the bundle root's (the binary, its directory, and the loader and libraries the
//    bundle's manifest lists): a capability on a file the package user could rewrite, or
//    next to libraries it could replace, would be the package user's capability;
//  - sets security.capability on the binary: cap_net_admin, permitted only. When the legacy
//    backend is what the config picks on this kernel (every DSM box: no nf_tables), also
//    cap_net_raw, for iptables-restore alone: libiptc opens a SOCK_RAW socket, which needs
//    CAP_NET_RAW, before it asks for anything else (measured: "unable to initialize table
//    'filter'" with CAP_NET_ADMIN alone). The daemon never makes cap_net_raw effective itself;
//  - lets the daemon's user take iptables' lock (/run/xtables.lock, root's and 0600 once any
//    iptables ran): legacy iptables-restore refuses to run without it ("can't open lock
//    file"), whatever its capabilities;
//  - probes the kernel and says which backend can work.
// At start the daemon (when not root) makes CAP_NET_ADMIN effective, and nothing else, and
// passes what it was granted on as ambient capabilities to the one program it runs
// (iptables-restore), which has no file capability of its own.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis {

// EX_NOPERM: the daemon lacks CAP_NET_ADMIN, or --configure-host is not root.
inline constexpr int exit_noperm = 77;

// The file a bundle lists its loader and libraries in, relative to the bundle root (the
// directory above the binary's bin/): one file name of lib/ per line, '#' comments.
inline constexpr std::string_view bundle_manifest = "lib/portcullis-bundle.txt";

// Bits of the first 32 capabilities, as file capabilities and capget() count them.
inline constexpr std::uint32_t cap_bit_net_admin = 1U << 12; // CAP_NET_ADMIN
inline constexpr std::uint32_t cap_bit_net_raw = 1U << 13;   // CAP_NET_RAW

// The value of security.capability that permits `permitted` (cap_bit_* values) and nothing
// else: VFS_CAP_REVISION_2, no effective flag (the daemon raises what it uses), no inheritable.
std::string file_capability(std::uint32_t permitted);
// What such a value permits; nullopt for anything else (none, an effective flag, inheritable
// or higher capabilities, a user namespace's root), which --configure-host replaces.
std::optional<std::uint32_t> file_capability_permitted(std::string_view xattr);

// The daemon at start (not with --dry-run): "" when it may go on, otherwise the error to log,
// which names the configure-host step and the Task Scheduler task that repeats it. When not
// root: CAP_NET_ADMIN becomes the only effective capability, and what was granted is raised
// into the ambient set for iptables-restore. `binary` is the path the admin knows the daemon
// by (argv[0] when absolute). A problem only the legacy backend would meet (no ambient
// capabilities before Linux 4.3) goes to *warning.
std::string prepare_net_admin(std::string_view binary, std::string* warning);

// The library names a bundle manifest lists (see bundle_manifest), in order. Names with a '/'
// or starting with '.' are left out: the manifest names files of lib/ only.
std::vector<std::string> parse_bundle_manifest(std::string_view text);

// portcullisd --configure-host [--config PATH]: see above. Returns 0 when the capability is set
// and a backend can work, exit_noperm when not root, 69 when no backend can work here, 70
// when a step failed, 78 for a config error (after the capability was set).
int run_configure_host(const std::string& config_path, bool config_given, std::ostream& out,
                       std::ostream& err);

} // namespace portcullis
