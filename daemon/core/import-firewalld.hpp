// SPDX-License-Identifier: GPL-2.0-or-later
// firewalld service definitions (firewalld.service(5)) as catalogue services.
//
// What maps and what does not:
//   <port port="22" protocol="tcp"/>, port="a-b"      -> ports (sctp and dccp: warning, skipped)
//   <port port="" protocol="icmp"/>, <protocol value="icmp|icmpv6|ipv6-icmp"/>
//                                                     -> icmp / icmpv6 (others: warning, skipped)
//   <helper name="ftp"/>, <module name="nf_conntrack_ftp"/>
//                                                     -> helpers (other helpers: warning)
//   <include service="x"/>                            -> x's ports, helpers and notes, resolved
//                                                        across all files; loops and unknown
//                                                        services are warnings
//   <source-port>                                     -> ignored with a warning
//   <destination ipv4=".." ipv6=".."/>                -> a note: portcullis opens the ports for
//                                                        every destination address
//   <short>                                           -> name (the file name when absent)
// The id is firewalld-NAME (NAME from the file name, see imported_id), vendor "firewalld",
// source the file. A service left with no ports (only a protocol such as gre, or only
// includes that failed) is still a service: a config may name it, and opening it opens nothing.
#pragma once

#include "core/import.hpp"
#include "core/xml.hpp"
#include "portcullis/ports.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis {

// One service file as read, before its includes are resolved.
struct FirewalldService {
    std::string name; // the file name without ".xml": what <include> and zones refer to
    std::string path;
    SourcePos pos; // of <service>
    std::string short_name;
    std::vector<PortRange> ports;
    std::vector<std::string> helpers;
    std::vector<std::string> notes;
    struct Include {
        std::string service;
        SourcePos pos;
    };
    std::vector<Include> includes;
};

// The firewalld name of a file: its file name without ".xml"; empty when it is not NAME.xml.
std::string firewalld_name(std::string_view path);

// Where an element is, as a diagnostic shows it.
SourcePos xml_pos(const std::string& path, const XmlElement& e);

// firewalld's port="PORT" or "FIRST-LAST" (either order, as firewalld accepts) with protocol
// tcp or udp. On failure returns nullopt and sets *why.
std::optional<PortRange> parse_firewalld_port(std::string_view port, std::string_view protocol,
                                              std::string* why);
// A whole protocol: icmp, icmpv6 (or /etc/protocols' ipv6-icmp). Others: nullopt and *why.
std::optional<PortRange> parse_firewalld_protocol(std::string_view value, std::string* why);

// Parses one file. A file that is not a service definition at all (not XML, another root) is
// one warning and nullopt; a bad element is a warning and is skipped.
std::optional<FirewalldService> parse_firewalld_service(std::string_view text,
                                                        const std::string& path,
                                                        std::vector<Diagnostic>& warnings);

// Resolves includes across `services` (a later one with the same name replaces an earlier one,
// as /etc/firewalld/services overrides /usr/lib/firewalld/services) and makes catalogue
// services, sorted by id. Two names that map to the same id: the first by name wins.
std::vector<ImportedService> resolve_firewalld(const std::vector<FirewalldService>& services,
                                               std::vector<Diagnostic>& warnings);

// parse_firewalld_service on each file, then resolve_firewalld.
std::vector<ImportedService> import_firewalld(const std::vector<ImportFile>& files,
                                              std::vector<Diagnostic>& warnings);

} // namespace portcullis
