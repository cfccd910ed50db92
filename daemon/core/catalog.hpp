// SPDX-License-Identifier: GPL-2.0-or-later
// The catalogue: which ports each service needs, and what tells us it is enabled.
#pragma once

#include "core/error.hpp"
#include "portcullis/ports.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis {

struct Service {
    std::string id;
    std::string name;
    std::string vendor;
    std::string category;
    std::vector<PortRange> ports;    // opened while the service is enabled
    std::vector<PortRange> optional; // opened only when the config asks
    std::vector<PortRange> remote;   // on other hosts: never opened
    std::vector<std::string> units;  // systemd units; "name@.service" matches every instance
    std::vector<std::string> packages;
    std::vector<std::string> helpers; // conntrack helpers ("ftp")
    std::string source;
    SourcePos origin; // where the [[service]] was defined
};

// Conntrack helpers the backends know how to attach.
inline constexpr std::string_view known_helpers[] = {"ftp"};

class Catalog {
public:
    // Adds s, replacing a service with the same id whole.
    void add_or_replace(Service s);
    // The same for many at once, in order (a later one replaces an earlier one with its id),
    // in O(n log n).
    void add_all(std::vector<Service> later);

    [[nodiscard]] const Service* find(std::string_view id) const;
    // Sorted by id.
    [[nodiscard]] const std::vector<Service>& services() const { return services_; }
    [[nodiscard]] std::size_t size() const { return services_.size(); }

private:
    std::vector<Service> services_;
};

// Parses one catalogue file's text. Throws ConfigError with every problem of the file.
std::vector<Service> parse_catalog_text(std::string_view text, const std::string& file);

// Loads every *.toml of each directory in order (files in lexical order). Within one directory
// an id may appear once; a later directory's service replaces an earlier one with the same id.
// A directory that does not exist is skipped (an empty /etc/portcullis/catalog.d is normal).
Catalog load_catalog(const std::vector<std::string>& dirs);

// True when unit (a concrete unit name such as "openvpn-server@home.service") is named by
// pattern (either the same name or a template "openvpn-server@.service").
bool unit_matches(std::string_view pattern, std::string_view unit);

// True for a template name such as "foo@.service" (no instance between '@' and the suffix).
bool unit_is_template_name(std::string_view name);

// The template pattern that would name unit: "foo@.service" for "foo@bar.service", "" when
// unit is no instance a template can name (unit_matches(template_of(u), u) holds otherwise).
std::string template_of(std::string_view unit);

// Checks a systemd unit name, e.g. "ssh.service" or "openvpn-server@.service".
bool valid_unit_name(std::string_view name);

bool valid_service_id(std::string_view id);

} // namespace portcullis
