// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/migrate.hpp"

#include "core/import.hpp"
#include "core/strings.hpp"
#include "core/utf8.hpp"

#include <algorithm>
#include <sys/socket.h>

namespace portcullis {

namespace {

// A TOML basic string. Our inputs come from other projects' files and from file names, and the
// file we print must always load: portcullis refuses control characters in every string, so
// tab, newline and CR become a space and the other control characters, like bytes that are not
// UTF-8, U+FFFD.
std::string toml_string(std::string_view s) {
    std::string out = "\"";
    for (std::size_t i = 0; i < s.size();) {
        char32_t cp = 0;
        std::size_t n = utf8_decode(s, i, &cp);
        if (n == 0) {
            out += "\\uFFFD";
            ++i;
            continue;
        }
        if (cp == '"' || cp == '\\') {
            out += '\\';
            out += static_cast<char>(cp);
        } else if (cp == '\t' || cp == '\n' || cp == '\r') {
            out += ' ';
        } else if (cp < 0x20 || cp == 0x7F) {
            out += "\\uFFFD";
        } else {
            out += s.substr(i, n);
        }
        i += n;
    }
    return out + "\"";
}

// A comment's text on one line, whatever the input held.
std::string comment_text(std::string_view s) {
    return safe_message(s);
}

std::string toml_list(const std::vector<std::string>& items) {
    std::string one = "[";
    for (std::size_t i = 0; i < items.size(); ++i)
        one += (i ? ", " : "") + toml_string(items[i]);
    one += "]";
    if (one.size() <= 80)
        return one;
    std::string many = "[\n";
    for (const auto& item : items)
        many += "    " + toml_string(item) + ",\n";
    return many + "]";
}

std::string where_text(const MigratedZone& z) {
    std::vector<std::string> parts;
    if (!z.interfaces.empty())
        parts.push_back("interfaces " + join(z.interfaces));
    if (!z.sources.empty()) {
        std::vector<std::string> nets;
        for (const auto& c : z.sources)
            nets.push_back(c.str());
        parts.push_back("sources " + join(nets));
    }
    return parts.empty() ? "every interface and source" : join(parts, "; ");
}

std::string render_config(const MigrationPlan& plan, const std::string& catalog_file) {
    const std::string& from = plan.from;
    std::string out =
        "# portcullis configuration migrated from " + from + " (portcullisd --migrate-from " +
        from +
        ").\n"
        "# Install it as /etc/portcullis/portcullis.toml, and " +
        catalog_file +
        ",\n# printed with it, in /etc/portcullis/catalog.d/.\n"
        "# Check first: portcullisd --print-ruleset --config /etc/portcullis/portcullis.toml\n"
        "# The migration report lists what " +
        from +
        " did that this file does not.\n\n"
        "# Monitor first: what the rules would drop is let through and counted (the D-Bus "
        "property\n# Dropped). Set \"enforce\" once nothing you need is counted.\n"
        "mode = \"monitor\"\n\n"
        "# " +
        from +
        " opened only what it was told to, and so does this file: every service below is in\n"
        "# [always]. Set enabled = true to let portcullis also open the catalogue services whose\n"
        "# systemd units are enabled.\n"
        "[systemd]\nenabled = false\n";
    for (const auto& z : plan.zones) {
        out += "\n# " + comment_text(z.origin) + ": " + where_text(z) + "\n";
        out += "[zones." + z.name + "]\n";
        if (!z.interfaces.empty())
            out += "interfaces = " + toml_list(z.interfaces) + "\n";
        if (!z.sources.empty()) {
            std::vector<std::string> nets;
            for (const auto& c : z.sources)
                nets.push_back(c.str());
            out += "sources = " + toml_list(nets) + "\n";
        }
        if (z.is_default)
            out += "default = true\n";
    }
    std::vector<std::string> ids;
    for (const auto& s : plan.services) {
        ids.push_back(s.service.id);
        out += "\n[services." + s.service.id + "]\nzones = " + toml_list(s.zones) + "\n";
    }
    out += "\n[always]\nservices = " + toml_list(ids) + "\n";
    return out;
}

// "# 22/tcp alone is also the catalogue's "ssh"" for the port entries of a migration.
std::vector<std::string> hint_lines(const Service& s, const Catalog& cat) {
    std::vector<std::string> out;
    for (const auto& r : s.ports) {
        std::vector<std::string> same;
        for (const auto& c : cat.services())
            if (c.ports.size() == 1 && c.ports[0] == r && same.size() < 3)
                same.push_back("\"" + c.id + "\"");
        if (!same.empty())
            out.push_back(to_string(r) + " alone is also the catalogue's " + join(same, ", "));
    }
    return out;
}

std::string render_catalog(const MigrationPlan& plan, const Catalog* hints) {
    std::string out =
        "# Local catalogue entries of the configuration migrated from " + plan.from +
        ": install in\n# /etc/portcullis/catalog.d/. The " + plan.from +
        "-* entries are copies of its definitions, with the ids\n"
        "# [import] gives them (these replace the imported ones); the migrated-* entries hold "
        "the\n# ports it opened by number.\n";
    for (const auto& m : plan.services) {
        const Service& s = m.service;
        out += "\n";
        for (const auto& n : m.notes)
            out += "# note: " + comment_text(n) + "\n";
        if (hints)
            for (const auto& h : hint_lines(s, *hints))
                out += "# " + h + "\n";
        out += "[[service]]\nid = " + toml_string(s.id) + "\nname = " + toml_string(s.name) +
               "\nvendor = " + toml_string(s.vendor) +
               "\nports = " + toml_list(port_words(s.ports)) + "\n";
        if (!s.helpers.empty())
            out += "helpers = " + toml_list(s.helpers) + "\n";
        out += "source = " + toml_string(s.source) + "\n";
    }
    return out;
}

std::string render_report(const MigrationPlan& plan) {
    std::string out = "Carried over from " + plan.from + ":\n";
    for (const auto& z : plan.zones) {
        out += "  zone " + z.name + (z.is_default ? " (default)" : "") + ", " + z.origin + ": " +
               where_text(z) + "\n";
        for (const auto& s : plan.services) {
            if (std::find(s.zones.begin(), s.zones.end(), z.name) == s.zones.end())
                continue;
            std::string ports = join(port_words(s.service.ports));
            out += "    " + s.service.id + ": " + (ports.empty() ? "no ports" : ports) + "\n";
        }
    }
    if (plan.zones.empty())
        out += "  nothing\n";
    if (plan.not_carried.empty())
        return out + "Not carried over: nothing.\n";
    out += "Not carried over (" + std::to_string(plan.not_carried.size()) + "):\n";
    for (const auto& d : plan.not_carried)
        out += "  " + safe_message(d.pos.file.empty() ? d.message : d.str()) + "\n";
    return out;
}

} // namespace

MigrationText render_migration(const MigrationPlan& plan, const Catalog* hints) {
    MigrationText t;
    t.catalog_file = "50-migrated-" + plan.from + ".toml";
    t.config = render_config(plan, t.catalog_file);
    t.catalog = render_catalog(plan, hints);
    t.report = render_report(plan);
    return t;
}

std::string migration_output(const MigrationText& text) {
    return "# ==> portcullis.toml <==\n" + text.config + "\n# ==> " + text.catalog_file + " <==\n" +
           text.catalog + "\n# ==> migration-report.txt <==\n" + text.report;
}

std::string zone_name_for(std::string_view text, std::size_t max_len,
                          const std::vector<std::string>& taken) {
    std::string base;
    for (char c : text) {
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        base += ok ? c : '-';
    }
    max_len = std::min<std::size_t>(max_len, 24);
    if (base.size() > max_len)
        base.resize(max_len);
    if (base.empty())
        base = "zone";
    auto free = [&](const std::string& n) {
        return std::find(taken.begin(), taken.end(), n) == taken.end();
    };
    if (free(base))
        return base;
    for (unsigned i = 2;; ++i) {
        std::string suffix = "-" + std::to_string(i);
        std::string name = base.substr(0, std::min(base.size(), 24 - suffix.size())) + suffix;
        if (free(name))
            return name;
    }
}

std::string interface_problem_for_migration(std::string_view name) {
    if (name.empty() || name.size() > 15)
        return "interface names have 1 to 15 characters";
    if (name.back() == '+' || name.find('*') != std::string_view::npos)
        return "wildcard interface names are not supported";
    for (char c : name) {
        auto u = static_cast<unsigned char>(c);
        if (c == '/' || c == ':' || c == '"' || c == '\\' || u <= ' ' || u >= 0x7F)
            return "interface names cannot contain '" + comment_text(std::string(1, c)) + "'";
    }
    return {};
}

std::optional<Cidr> parse_source_network(std::string_view text, std::string* note,
                                         std::string* why) {
    std::size_t slash = text.find('/');
    auto host = parse_cidr(text.substr(0, slash), why);
    if (!host)
        return std::nullopt;
    unsigned max = host->family == AF_INET ? 32 : 128;
    unsigned prefix = max;
    if (slash != std::string_view::npos) {
        std::string_view mask = text.substr(slash + 1);
        bool digits =
            !mask.empty() && mask.size() <= 3 &&
            std::all_of(mask.begin(), mask.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (digits) {
            prefix = static_cast<unsigned>(std::stoul(std::string(mask)));
        } else if (auto m = parse_cidr(mask);
                   m && m->family == AF_INET && host->family == AF_INET) {
            // An IPv4 netmask such as 255.255.255.0: contiguous ones, then zeros.
            prefix = 0;
            bool zero_seen = false;
            for (unsigned bit = 0; bit < 32; ++bit) {
                bool one = (m->addr[bit / 8] >> (7 - bit % 8)) & 1U;
                if (one && zero_seen)
                    prefix = 99; // not contiguous: refused below
                else if (one)
                    ++prefix;
                zero_seen = zero_seen || !one;
            }
        } else {
            prefix = 99;
        }
        if (prefix > max) {
            if (why)
                *why = "bad prefix or netmask '/" + std::string(mask) + "'";
            return std::nullopt;
        }
    }
    Cidr c = *host;
    c.prefix = static_cast<std::uint8_t>(prefix);
    for (unsigned bit = prefix; bit < max; ++bit)
        c.addr[bit / 8] &= static_cast<std::uint8_t>(~(1U << (7 - bit % 8)));
    if (note && c.addr != host->addr)
        *note = "host bits of '" + std::string(text) + "' cleared: " + c.str();
    return c;
}

std::vector<PortRange> every_port() {
    return {
        {Proto::tcp, 1, 65535}, {Proto::udp, 1, 65535}, {Proto::icmp, 0, 0}, {Proto::icmpv6, 0, 0}};
}

} // namespace portcullis
