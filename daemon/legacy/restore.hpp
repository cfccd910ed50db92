// SPDX-License-Identifier: GPL-2.0-or-later
// The one binary the daemon runs: iptables-restore (and ip6tables-restore), to install its fixed
// chain. Finding the right one, and running it with the rules on its standard input.
//
// Which iptables: Debian and others ship both `iptables-legacy-restore` and an `iptables-restore`
// that is really iptables-nft (a symlink to xtables-nft-multi); DSM ships only legacy binaries,
// named plainly. We look in the system directories (never $PATH: a daemon running as root must
// not run whatever a PATH entry offers) for `iptables-legacy-restore` first, then
// `iptables-restore`, and take the first whose real file is not an nft-based multi-binary.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::legacy {

struct RestoreTools {
    std::string v4; // absolute path of iptables-restore (legacy)
    std::string v6; // of ip6tables-restore; empty when there is none
};

// A file's real path (symlinks resolved), or nullopt when it is not an executable file.
using ResolvePath = std::function<std::optional<std::string>(const std::string& path)>;

// Nullopt, and *why, when no legacy iptables-restore exists.
std::optional<RestoreTools> find_restore_tools(const ResolvePath& resolve, std::string* why);
std::optional<RestoreTools> find_restore_tools(std::string* why);

// Runs `tool --noflush --counters` with `input` on its standard input. 0 when it exited 0;
// otherwise a negative errno (-EIO for a non-zero exit, -ETIMEDOUT when it hung and was killed)
// and *output holds what it printed (its error message).
int run_restore(const std::string& tool, std::string_view input, std::string* output);

} // namespace portcullis::legacy
