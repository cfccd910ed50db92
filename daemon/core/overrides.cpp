// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/overrides.hpp"

#include "core/catalog.hpp"
#include "core/toml-reader.hpp"

namespace portcullis {

Overrides parse_overrides_text(std::string_view text, const std::string& file) {
    detail::TomlReader r(file);
    toml::table root = r.parse(text);
    r.check_keys(root, {"overrides"}, "the overrides file");
    Overrides out;
    if (const toml::table* t = r.get_table(root, "overrides")) {
        for (const auto& [key, node] : *t) {
            std::string id(key.str());
            const auto* s = node.as_string();
            auto o = s ? override_from_string(s->get()) : std::nullopt;
            if (!valid_service_id(id))
                r.error(r.pos(key.source()), "bad service id '" + id + "'");
            else if (!o)
                r.error(r.pos(node), "override must be \"open\" or \"closed\"");
            else
                out.emplace(id, *o);
        }
    }
    r.finish();
    return out;
}

std::string render_overrides(const Overrides& overrides) {
    std::string text = "# Written by portcullisd (SetOverride). Edit with busctl, not by hand.\n"
                       "[overrides]\n";
    for (const auto& [id, o] : overrides)
        text += id + " = \"" + std::string(to_string(o)) + "\"\n";
    return text;
}

} // namespace portcullis
