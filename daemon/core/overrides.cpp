// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/overrides.hpp"

#include "core/catalog.hpp"
#include "core/strings.hpp"
#include "core/toml-reader.hpp"

namespace portcullis {

namespace {

// The entries of a file that is TOML: every good one into out, an error for every bad one.
void read_entries(detail::TomlReader& r, const toml::table& root, Overrides& out) {
    r.check_keys(root, {"overrides"}, "the overrides file");
    const toml::table* t = r.get_table(root, "overrides");
    if (!t)
        return;
    for (const auto& [key, node] : *t) {
        std::string id(key.str());
        const auto* s = node.as_string();
        auto o = s ? override_from_string(s->get()) : std::nullopt;
        if (!valid_service_id(id))
            r.error(r.pos(key.source()), "bad service id '" + printable(id) + "'");
        else if (!o)
            r.error(r.pos(node), "override must be \"open\" or \"closed\"");
        else
            out.emplace(id, *o);
    }
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

// A file that is not TOML any more (cut short, overwritten in part): the lines that still read
// `ID = "open"` or `ID = "closed"`, as render_overrides() writes them.
Overrides salvage_lines(std::string_view text) {
    Overrides out;
    while (!text.empty()) {
        auto nl = text.find('\n');
        std::string_view line = trim(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        auto eq = line.find('=');
        if (eq == std::string_view::npos)
            continue;
        std::string_view id = trim(line.substr(0, eq));
        std::string_view value = trim(line.substr(eq + 1));
        if (auto hash = value.find('#'); hash != std::string_view::npos)
            value = trim(value.substr(0, hash));
        if (value.size() < 2 || value.front() != '"' || value.back() != '"')
            continue;
        auto o = override_from_string(value.substr(1, value.size() - 2));
        if (o && valid_service_id(id))
            out.insert_or_assign(std::string(id), *o);
    }
    return out;
}

} // namespace

Overrides parse_overrides_text(std::string_view text, const std::string& file) {
    detail::TomlReader r(file);
    toml::table root = r.parse(text);
    Overrides out;
    read_entries(r, root, out);
    r.finish();
    return out;
}

SalvagedOverrides salvage_overrides_text(std::string_view text, const std::string& file) {
    SalvagedOverrides s;
    detail::TomlReader r(file);
    bool is_toml = false;
    try {
        toml::table root = r.parse(text);
        is_toml = true;
        read_entries(r, root, s.overrides); // keeps the good entries, records the bad ones
        r.finish();
    } catch (const ConfigError& e) {
        s.problems = e.diagnostics();
        if (!is_toml)
            s.overrides = salvage_lines(text);
    }
    return s;
}

std::string render_overrides(const Overrides& overrides) {
    std::string text = "# Written by portcullisd (SetOverride). Edit with busctl, not by hand.\n"
                       "[overrides]\n";
    for (const auto& [id, o] : overrides)
        text += id + " = \"" + std::string(to_string(o)) + "\"\n";
    return text;
}

} // namespace portcullis
