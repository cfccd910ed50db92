// SPDX-License-Identifier: GPL-2.0-or-later
// Catalogue entries read from other firewalls' definitions: firewalld service XML files
// (ids firewalld-NAME) and ufw application profiles (ids ufw-NAME).
//
// Imports never stop the daemon: a bad entry is skipped with a warning, a file that cannot be
// read or parsed at all is one warning, and a directory that does not exist is skipped
// silently (most boxes have no /etc/firewalld/services). The catalogue then reads its TOML
// directories after the imports, so a local entry with the same id replaces an imported one.
#pragma once

#include "core/catalog.hpp"
#include "core/error.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis {

// The [import] table of the config: each key lists directories, in order; empty means off.
struct ImportConfig {
    std::vector<std::string> firewalld;
    std::vector<std::string> ufw;
};

// A catalogue service plus what its format said that a catalogue entry cannot hold (firewalld's
// <destination>: portcullis opens the ports for every destination address of the box).
struct ImportedService {
    Service service;
    std::vector<std::string> notes;
};

// One file as read: its path (as diagnostics and `source` show it), its text, and which of the
// listed directories it came from.
struct ImportFile {
    std::string path;
    std::string text;
    std::size_t dir_index = 0;
};

// Files larger than this are skipped with a warning: firewalld's largest service file is under
// 2 KiB and ufw reads at most 10 MiB of profiles in all.
inline constexpr std::size_t max_import_file_size = std::size_t{1} << 20U;
inline constexpr std::size_t max_import_files_per_dir = 4096;

// Reads the regular, non-hidden files of each directory whose name `wanted` accepts, in
// lexical order per directory. Each path is read as root + dir + "/" + name and reported as
// dir + "/" + name (root is "" for the box itself; `--migrate-from --source-root` sets it). A
// missing directory is skipped; an unreadable directory or file is one warning each.
std::vector<ImportFile> read_import_dirs(const std::vector<std::string>& dirs,
                                         bool (*wanted)(std::string_view file_name),
                                         std::vector<Diagnostic>& warnings,
                                         const std::string& root = "");

// Reads one file the same way; nullopt when it does not exist (silently) or cannot be read (a
// warning).
std::optional<ImportFile> read_import_file(const std::string& path,
                                           std::vector<Diagnostic>& warnings,
                                           const std::string& root = "");

// Which files each reader takes: *.xml; every file but backups that packagers leave
// (*.dpkg-new, *.dpkg-old, *.dpkg-dist, *.rpmnew, *.rpmsave, *~), as ufw itself does.
bool firewalld_file_wanted(std::string_view file_name);
bool ufw_file_wanted(std::string_view file_name);

// The catalogue id for an imported name: prefix + "-" + the name lowercased, every run of
// characters outside [a-z0-9] as one '-', no '-' at either end, cut to 64 characters in all.
// "Apache Full" -> "ufw-apache-full", "RH-Satellite-6" -> "firewalld-rh-satellite-6",
// "Foo_Bar.v2+" -> "ufw-foo-bar-v2". Empty when nothing of the name is left.
std::string imported_id(std::string_view prefix, std::string_view name);

// A message built from other projects' files, made safe to print: control characters escaped
// (\n, \x01), bytes that are not UTF-8 as \xFF, and cut after max_chars characters with "...",
// so a hostile file can neither write to a terminal nor flood a log.
std::string safe_message(std::string_view text, std::size_t max_chars = 300);

// Every service of the [import] directories, sorted by id, with their notes. Warnings are
// appended to *warnings when it is not null.
std::vector<ImportedService> load_imports_detailed(const ImportConfig& config,
                                                   std::vector<Diagnostic>* warnings);
std::vector<Service> load_imports(const ImportConfig& config, std::vector<Diagnostic>* warnings);

} // namespace portcullis
