// SPDX-License-Identifier: GPL-2.0-or-later
// DSM's port declarations (".sc", service configure files) as catalogue services, ids syno-NAME.
//
// A DSM package that talks on the network ships a .sc file; DSM's port-config resource copies
// it into /usr/local/etc/services.d/ when the package is installed (DSM's own services have
// theirs in /usr/syno/etc/services.d/). DSM's firewall only lists them for rules an admin
// writes by hand; here an enabled package opens exactly the ports its own file declares.
//
// The file is INI (core/ini.hpp), one section per service:
//   [syncthing_bep]
//   title="BEP (Block Exchange Protocol)"
//   desc="Syncthing File Synchronization"
//   port_forward="yes"
//   dst.ports="22000/tcp"
// Values may be quoted or not. dst.ports is what opens; src.ports (source ports) and
// port_forward (DSM's router page) do not concern an input filter and are ignored, as are keys
// we do not know. The dst.ports grammar (parse_sc_ports): comma-separated items, each PORT,
// FIRST:LAST (the range form Synology documents; FIRST-LAST is read too) or one of those
// followed by /PROTO, which ends a group and applies to every port since the previous group;
// a bare "tcp" or "udp" item right after a group adds that protocol to it:
//   "22000/tcp"   "8280,8281/tcp"   "6885:6999/udp"   "64738/tcp,udp"   "53/udp,53/tcp"
// Ports with no protocol at all ("8555", "21116") mean tcp and udp, as the packages that write
// them say in their titles ("TCP+UDP").
//
// Problems never stop anything: a bad line, a bad item of dst.ports or a section with nothing
// to open is a warning as FILE:LINE:COLUMN and skips only that line, item or section.
#pragma once

#include "core/catalog.hpp"
#include "core/error.hpp"
#include "core/import.hpp"
#include "portcullis/ports.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis {

// Where DSM keeps .sc files: its own services, then the ones packages installed. The default
// of [synology] services_dirs when [synology] enabled = true.
inline constexpr std::string_view dsm_builtin_services_dir = "/usr/syno/etc/services.d";
inline constexpr std::string_view dsm_package_services_dir = "/usr/local/etc/services.d";
std::vector<std::string> default_services_dirs();

// One dst.ports value read: the ports of every good item, and one problem per bad item with
// its offset in the value (for the column).
struct ScPortProblem {
    std::size_t offset = 0;
    std::string message;
};
struct ScPorts {
    std::vector<PortRange> ports; // sorted, no duplicates
    std::vector<ScPortProblem> problems;
};
ScPorts parse_sc_ports(std::string_view value);

// The DSM package a .sc file belongs to, where that can be told (else ""):
//  1. the file (symlinks resolved) lies inside PACKAGES_DIR/NAME/target;
//  2. its name is NAME.sc, and PACKAGES_DIR/NAME is a package (DSM's naming convention);
//  3. PACKAGES_DIR/NAME/conf/resource names it: its "port-config" "protocol-file" (the path
//     inside target/ of the file DSM copied) has the same file name. When several packages
//     claim the name, the one whose copy in target/ has the same text is taken.
// Built once per load from one listing of PACKAGES_DIR.
class ScPackageIndex {
public:
    explicit ScPackageIndex(const std::string& packages_dir);
    [[nodiscard]] std::string package_of(const std::string& sc_path, std::string_view text) const;

private:
    struct Package {
        std::string name;
        std::string target;        // PACKAGES_DIR/NAME/target, symlinks resolved ("" if none)
        std::string protocol_file; // from conf/resource, relative to target/ ("" if none)
    };
    std::string dir_;
    std::vector<Package> packages_;
};

// The value of "protocol-file" in a conf/resource text (JSON), "" when there is none. A scan
// for that one key and its string, not a JSON parser: the file is DSM's, and nothing else of it
// is read.
std::string resource_protocol_file(std::string_view resource_json);

// Every service of one .sc file, in file order, tied to `package` when it is not empty: its
// `packages` names it and its `units` DSM's pkgctl-PACKAGE.service. Problems are appended to
// warnings.
std::vector<ImportedService> parse_sc_file(std::string_view text, const std::string& path,
                                           const std::string& package,
                                           std::vector<Diagnostic>& warnings);

// Every service of the .sc files of `dirs` (in order; a section defined again in a later file
// replaces the earlier one, with a warning), sorted by id. A directory that does not exist is
// skipped silently (a box without packages has no /usr/local/etc/services.d). Warnings are
// appended to *warnings when it is not null.
std::vector<Service> load_sc_services(const std::vector<std::string>& dirs,
                                      const std::string& packages_dir,
                                      std::vector<Diagnostic>* warnings);

// Adds .sc services to a catalogue loaded from TOML, which wins: a .sc service is left out when
// the catalogue has its id, or has a service naming the same DSM package (the curated entry
// also knows which ports are optional, which are remote, which units provide it).
void add_sc_services(Catalog& catalog, std::vector<Service> sc_services);

} // namespace portcullis
